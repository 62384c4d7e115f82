/* The Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19) (RFC 8032 §5.1).
 *
 * Coordinates (RFC 8032 §5.1.4, Hisil-Wong-Carter-Dawson 2008):
 *   ge_p3      extended (X:Y:Z:T), x = X/Z, y = Y/Z, x*y = T/Z; with T unused it is the projective (X:Y:Z)
 *              that doubling needs, which saves one multiplication per doubling;
 *   ge_p1p1    "completed" (E, F, G, H), the output of the RFC formulas before their last 4
 *              multiplications: X = E*F, Y = G*H, Z = F*G, T = E*H;
 *   ge_cached  (Y+X, Y-X, 2Z, 2d*T), a second addend prepared once and added many times;
 *   ge_precomp (y+x, y-x, 2d*x*y) of an affine point (Z = 1), the form of the constant tables.
 * The addition formulas are complete on this curve (d is not a square), so no input needs a special case:
 * the identity and doubling go through the same code, which the constant-time signing path relies on.
 */
#ifndef CARNET_GE25519_H
#define CARNET_GE25519_H

#include "fe25519.h"

typedef struct {
  fe X, Y, Z, T;
} ge_p3;

typedef struct {
  fe E, F, G, H;
} ge_p1p1;

typedef struct {
  fe YpX, YmX, Z2, T2d;
} ge_cached;

typedef struct {
  fe ypx, ymx, xy2d;
} ge_precomp;

#include "ed25519_tables.h"

INTERNAL void ge_p3_identity(ge_p3 *p) {
  fe_set_small(p->X, 0);
  fe_set_small(p->Y, 1);
  fe_set_small(p->Z, 1);
  fe_set_small(p->T, 0);
}

/* Completed -> projective: 3 multiplications (T is left stale; only doubling may read the result). */
INTERNAL void ge_p1p1_to_p2(ge_p3 *r, const ge_p1p1 *p) {
  fe_mul(r->X, p->E, p->F);
  fe_mul(r->Y, p->G, p->H);
  fe_mul(r->Z, p->F, p->G);
}

/* Completed -> extended: 4 multiplications. */
INTERNAL void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p) {
  fe_mul(r->X, p->E, p->F);
  fe_mul(r->Y, p->G, p->H);
  fe_mul(r->Z, p->F, p->G);
  fe_mul(r->T, p->E, p->H);
}

INTERNAL void ge_p3_to_cached(ge_cached *r, const ge_p3 *p) {
  fe_add(r->YpX, p->Y, p->X);
  fe_sub(r->YmX, p->Y, p->X);
  fe_add(r->Z2, p->Z, p->Z);
  fe_mul(r->T2d, p->T, FE_D2);
}

/* Doubling, RFC 8032 §5.1.4: A = X^2, B = Y^2, C = 2Z^2, H = A + B, E = H - (X+Y)^2, G = A - B,
 * F = C + G. Reads X, Y, Z only. */
INTERNAL NOINLINE void ge_dbl(ge_p1p1 *r, const ge_p3 *p) {
  fe a, b, c, t;
  fe_sq(a, p->X);
  fe_sq(b, p->Y);
  fe_sq(c, p->Z);
  fe_add(c, c, c);
  fe_add(t, p->X, p->Y);
  fe_sq(t, t);
  fe_add(r->H, a, b);
  fe_sub(r->E, r->H, t);
  fe_sub(r->G, a, b);
  fe_add(r->F, c, r->G);
}

/* Addition, RFC 8032 §5.1.4: A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2), C = T1 2d T2, D = Z1 2 Z2,
 * E = B - A, F = D - C, G = D + C, H = B + A. With neg set, adds -Q = (-X2, Y2, Z2, -T2) instead: Y2-X2
 * and Y2+X2 trade places and C changes sign (variable time: verification only). */
INTERNAL NOINLINE void ge_add_cached(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q, int neg) {
  fe a, b, c, d, t;
  fe_sub(t, p->Y, p->X);
  fe_mul(a, t, neg ? q->YpX : q->YmX);
  fe_add(t, p->Y, p->X);
  fe_mul(b, t, neg ? q->YmX : q->YpX);
  fe_mul(c, p->T, q->T2d);
  fe_mul(d, p->Z, q->Z2);
  fe_sub(r->E, b, a);
  fe_add(r->H, b, a);
  if (neg) {
    fe_add(r->F, d, c);
    fe_sub(r->G, d, c);
  } else {
    fe_sub(r->F, d, c);
    fe_add(r->G, d, c);
  }
}

/* Mixed addition of an affine table point (Z2 = 1, so D = 2 Z1): 3 multiplications. The signing path
 * passes neg = 0 always and negates the operand with masks instead (ge_select). */
INTERNAL NOINLINE void ge_add_precomp(ge_p1p1 *r, const ge_p3 *p, const ge_precomp *q, int neg) {
  fe a, b, c, d, t;
  fe_sub(t, p->Y, p->X);
  fe_mul(a, t, neg ? q->ypx : q->ymx);
  fe_add(t, p->Y, p->X);
  fe_mul(b, t, neg ? q->ymx : q->ypx);
  fe_mul(c, p->T, q->xy2d);
  fe_add(d, p->Z, p->Z);
  fe_sub(r->E, b, a);
  fe_add(r->H, b, a);
  if (neg) {
    fe_add(r->F, d, c);
    fe_sub(r->G, d, c);
  } else {
    fe_sub(r->F, d, c);
    fe_add(r->G, d, c);
  }
}

/* Reasons for refusing a point encoding (RFC 8032 §5.1.3) or a public key (the carnet rule). */
#define GE_OK 0
#define GE_NON_CANONICAL 1 /* y >= p */
#define GE_NOT_ON_CURVE 2  /* x^2 = (y^2 - 1) / (d y^2 + 1) has no root */
#define GE_X_ZERO_SIGN 3   /* x = 0 with the sign bit set */
#define GE_SMALL_ORDER 4   /* [8]A = identity (public keys only) */

/* Decoding, RFC 8032 §5.1.3, with the protocol's strictness: GE_OK, or why the encoding is refused.
 * Public data (variable time). */
INTERNAL NOINLINE int ge_frombytes(ge_p3 *r, const u8 s[32]) {
  fe y2, u, v, v3, t, x, chk;
  if (!fe_bytes_canonical(s)) return GE_NON_CANONICAL;
  u32 sign = s[31] >> 7;
  fe_frombytes(r->Y, s);
  fe_set_small(r->Z, 1);
  fe_sq(y2, r->Y);
  fe_sub(u, y2, r->Z);             /* u = y^2 - 1 */
  fe_mul(v, y2, FE_D);
  fe_add(v, v, r->Z);              /* v = d y^2 + 1 */
  fe_sq(t, v);
  fe_mul(v3, t, v);                /* v^3 */
  fe_sq(t, v3);
  fe_mul(t, t, v);                 /* v^7 */
  fe_mul(t, t, u);                 /* u v^7 */
  fe_pow22523(t, t);               /* (u v^7)^((p-5)/8) */
  fe_mul(t, t, v3);
  fe_mul(x, t, u);                 /* x = u v^3 (u v^7)^((p-5)/8), step 2 */
  fe_sq(t, x);
  fe_mul(chk, t, v);               /* v x^2 */
  fe_sub(t, chk, u);
  if (!fe_iszero(t)) {             /* step 3: v x^2 = -u: multiply by sqrt(-1) */
    fe_add(t, chk, u);
    if (!fe_iszero(t)) return GE_NOT_ON_CURVE; /* neither: no square root */
    fe_mul(x, x, FE_SQRTM1);
  }
  if (fe_iszero(x) && sign) return GE_X_ZERO_SIGN; /* step 4 */
  if (fe_isodd(x) != sign) fe_neg(x, x);
  fe_copy(r->X, x);
  fe_mul(r->T, x, r->Y);
  return GE_OK;
}

/* 1 if [8]P is the identity, i.e. P is one of the 8 points of small order. Three doublings, then
 * X = 0 and Y = Z. Public data. */
INTERNAL NOINLINE int ge_is_small_order(const ge_p3 *p) {
  ge_p1p1 t;
  ge_p3 q;
  ge_dbl(&t, p);
  ge_p1p1_to_p2(&q, &t);
  ge_dbl(&t, &q);
  ge_p1p1_to_p2(&q, &t);
  ge_dbl(&t, &q);
  ge_p1p1_to_p2(&q, &t);
  fe d;
  fe_sub(d, q.Y, q.Z);
  return (int)(fe_iszero(q.X) & fe_iszero(d));
}

/* Encoding, RFC 8032 §5.1.2, of (X:Y:Z) given 1/Z. */
INTERNAL void ge_encode_with_zinv(u8 s[32], const ge_p3 *p, const fe zinv) {
  fe x, y;
  fe_mul(x, p->X, zinv);
  fe_mul(y, p->Y, zinv);
  fe_tobytes(s, y);
  s[31] |= (u8)(fe_isodd(x) << 7);
}

INTERNAL NOINLINE void ge_tobytes(u8 s[32], const ge_p3 *p) {
  fe zinv;
  fe_invert(zinv, p->Z);
  ge_encode_with_zinv(s, p, zinv);
}

/* Encodes two points with a single inversion (Montgomery's trick): 1/Z1 = Z2 / (Z1 Z2) and vice versa.
 * Signing encodes A and R this way, saving one inversion (~250 squarings). */
INTERNAL NOINLINE void ge_tobytes2(u8 s1[32], const ge_p3 *p1, u8 s2[32], const ge_p3 *p2) {
  fe z, zi, z1i, z2i;
  fe_mul(z, p1->Z, p2->Z);
  fe_invert(zi, z);
  fe_mul(z1i, zi, p2->Z);
  fe_mul(z2i, zi, p1->Z);
  ge_encode_with_zinv(s1, p1, z1i);
  ge_encode_with_zinv(s2, p2, z2i);
}

/* --- Fixed-base multiplication for signing, constant time ---------------------------------------------
 * The scalar a < 2^255 is written in 64 signed radix-16 digits e_i in [-8, 8]. With T = CARNET_FB_TABLES
 * tables and span S = 64 / T digits between them (T = 8, S = 8 in this build):
 *   a = sum e_i 16^i = sum_{u=0..S-1} 16^u sum_{j=0..T-1} e_{Sj+u} 16^(Sj)
 * and FB_BASE[j] holds 1..8 times 16^(Sj) B. Horner's rule on u: S rounds of T table additions with 4
 * doublings between rounds, i.e. 64 additions and 4(S-1) doublings (28 here). Each addition reads all 8
 * entries of its table and keeps the wanted one with masks, then negates it with masks if the digit is
 * negative, so neither the sequence of operations nor any address depends on the scalar. Fewer tables
 * trade flash for doublings (gen-tables.ts explains the choice). */
#define FB_SPAN (64 / CARNET_FB_TABLES)

/* r = e * P given table[m-1] = m P, e in [-8, 8]; e = 0 gives the identity (1, 1, 0). Every word of every
 * entry is read, in the same order whatever e is, and kept or dropped with a mask: no address depends on
 * the secret digit. */
INTERNAL NOINLINE void ge_select(ge_precomp *r, const ge_precomp table[CARNET_FB_ENTRIES], i32 e) {
  u32 neg = (u32)e >> 31;
  u32 abs_e = (u32)((e ^ (0 - (i32)neg)) + (i32)neg);
  u32 mask[CARNET_FB_ENTRIES];
#pragma GCC unroll 8
  for (u32 m = 0; m < CARNET_FB_ENTRIES; m++) mask[m] = ct_mask(ct_eq_small(abs_e, m + 1));
  /* A ge_precomp is 24 consecutive u32 (3 x fe), so the table is read as rows of 24 words. */
  const u32 *tw = &table[0].ypx[0];
  u32 *rw = &r->ypx[0];
  for (u32 w = 0; w < 24; w++) {
    u32 acc = 0;
#pragma GCC unroll 8
    for (u32 m = 0; m < CARNET_FB_ENTRIES; m++) acc |= tw[24 * m + w] & mask[m];
    rw[w] = acc;
  }
  u32 id = ct_eq_small(abs_e, 0); /* 1 for the identity (1, 1, 0) */
  r->ypx[0] |= id;
  r->ymx[0] |= id;
  /* -(x, y) = (-x, y): y+x and y-x trade places, 2dxy changes sign. */
  u32 negmask = ct_mask(neg);
  fe minus;
  fe_cswap(r->ypx, r->ymx, negmask);
  fe_neg(minus, r->xy2d);
  fe_cmov(r->xy2d, minus, negmask);
}

INTERNAL NOINLINE void ge_scalarmult_base(ge_p3 *r, const u8 a[32]) {
  i32 e[64];
  ge_p1p1 t;
  ge_precomp sel;
  for (int i = 0; i < 32; i++) {
    e[2 * i] = a[i] & 15;
    e[2 * i + 1] = a[i] >> 4;
  }
  /* Recode to [-8, 8): digit + carry is in [0, 16]; if it is 8 or more, subtract 16 and carry 1. The
   * top digit absorbs the last carry; it stays <= 8 because a < 2^255 (top nibble <= 7). */
  i32 carry = 0;
  for (int i = 0; i < 63; i++) {
    e[i] += carry;
    carry = (e[i] + 8) >> 4;
    e[i] -= carry << 4;
  }
  e[63] += carry;

  ge_p3_identity(r);
  for (int u = FB_SPAN - 1; u >= 0; u--) {
    if (u != FB_SPAN - 1) {
      for (int k = 0; k < 3; k++) {
        ge_dbl(&t, r);
        ge_p1p1_to_p2(r, &t);
      }
      ge_dbl(&t, r);
      ge_p1p1_to_p3(r, &t);
    }
    for (int j = 0; j < CARNET_FB_TABLES; j++) {
      ge_select(&sel, FB_BASE[j], e[FB_SPAN * j + u]);
      ge_add_precomp(&t, r, &sel, 0);
      ge_p1p1_to_p3(r, &t);
    }
  }
  wipe(e, sizeof e);
  wipe(&sel, sizeof sel);
}

/* --- Double-scalar multiplication for verification, variable time (all inputs public) --------------- */

/* Width-w non-adjacent form of a 256-bit scalar below 2^253: every non-zero digit is odd, in
 * [-(2^(w-1) - 1), 2^(w-1) - 1], and is followed by at least w-1 zeros. Scanning bits from the bottom
 * with a carry: where the running value is odd, take its residue modulo 2^w, centred. */
INTERNAL void sc_wnaf(signed char naf[256], const u8 s[32], int w) {
  u32 carry = 0;
  u32 wmask = (1u << w) - 1, half = 1u << (w - 1);
  for (int i = 0; i < 256; i++) naf[i] = 0;
  for (int i = 0; i < 256;) {
    u32 bit = (s[i >> 3] >> (i & 7)) & 1;
    if (bit == carry) {
      i++; /* running value even here: digit 0, carry unchanged */
      continue;
    }
    /* w bits from position i (bits past 255 read as 0), plus the carry */
    u32 lo = s[i >> 3];
    u32 hi = (i >> 3) + 1 < 32 ? s[(i >> 3) + 1] : 0;
    u32 win = (((lo | (hi << 8)) >> (i & 7)) + carry) & wmask;
    if (win >= half) {
      naf[i] = (signed char)((i32)win - (i32)(wmask + 1));
      carry = 1;
    } else {
      naf[i] = (signed char)win;
      carry = 0;
    }
    i += w;
  }
}

/* ai[i] = (2i+1) A for i = 0..7, in cached form (a frame of its own: its temporaries do not stay on the
 * stack during the main loop). */
INTERNAL NOINLINE void ge_odd_multiples(ge_cached ai[8], const ge_p3 *A) {
  ge_p1p1 t;
  ge_p3 a2, u;
  ge_p3_to_cached(&ai[0], A);
  ge_dbl(&t, A);
  ge_p1p1_to_p3(&a2, &t);
  for (int i = 1; i < 8; i++) {
    ge_add_cached(&t, &a2, &ai[i - 1], 0);
    ge_p1p1_to_p3(&u, &t);
    ge_p3_to_cached(&ai[i], &u);
  }
}

/* The joint double-and-add loop of ge_double_scalarmult (Straus-Shamir: one chain of doublings for both
 * scalars, an addition wherever a wNAF digit is non-zero). */
INTERNAL NOINLINE void ge_straus(ge_p3 *r, const u8 k[32], const ge_cached ai[8], const u8 s[32]) {
  signed char nk[256], ns[256];
  ge_p1p1 t;
  sc_wnaf(nk, k, 5);
  sc_wnaf(ns, s, CARNET_BASE_WNAF_WIDTH);
  ge_p3_identity(r);
  int i = 255;
  while (i >= 0 && nk[i] == 0 && ns[i] == 0) i--;
  for (; i >= 0; i--) {
    ge_dbl(&t, r);
    if (nk[i] != 0) {
      ge_p1p1_to_p3(r, &t);
      int d = nk[i];
      ge_add_cached(&t, r, &ai[(d < 0 ? -d : d) >> 1], d < 0);
    }
    if (ns[i] != 0) {
      ge_p1p1_to_p3(r, &t);
      int d = ns[i];
      ge_add_precomp(&t, r, &BASE_ODD[(d < 0 ? -d : d) >> 1], d < 0);
    }
    ge_p1p1_to_p2(r, &t);
  }
}

/* r = [k]A + [s]B, with A's odd multiples (width 5) computed here and B's from the constant table. The
 * three phases have separate frames so that only the 1 KB table of A stays on the stack throughout (the
 * budget is 3 KB). r may be A itself: A is only read before r is first written. */
INTERNAL NOINLINE void ge_double_scalarmult(ge_p3 *r, const u8 k[32], const ge_p3 *A, const u8 s[32]) {
  ge_cached ai[8]; /* (2i+1) A */
  ge_odd_multiples(ai, A);
  ge_straus(r, k, ai, s);
}

#endif
