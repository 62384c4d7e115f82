/* Arithmetic in GF(p), p = 2^255 - 19 (RFC 8032 §5.1, RFC 7748 §4.1).
 *
 * Representation: 8 little-endian 32-bit limbs, radix 2^32 ("full radix").
 * Invariant: an fe holds ANY value in [0, 2^256) congruent to the element ("loosely reduced"); every
 * operation accepts such inputs and returns such an output. Only fe_canon returns the unique
 * representative in [0, p), for encoding and comparisons.
 *
 * Why full radix rather than ref10's 10 x 25.5-bit limbs: the Cortex-M4 UMAAL instruction computes
 * a*b + c + d into 64 bits in one cycle, exactly the step of a schoolbook product with carries, so
 * 8 x 8 limbs cost 64 UMAAL; 10 x 10 limbs cost 100 multiply-accumulates plus ~19 multiplications by
 * 19 and a long carry chain, and GCC spills them (measured: ~390 instructions per product against ~220
 * here). Tables are also 20% smaller (32 bytes per element instead of 40).
 *
 * All functions run in constant time: no branch or memory index depends on limb values.
 */
#ifndef CARNET_FE25519_H
#define CARNET_FE25519_H

#include "common.h"

typedef u32 fe[8];

INTERNAL void fe_copy(fe r, const fe a) {
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) r[i] = a[i];
}

INTERNAL void fe_set_small(fe r, u32 v) {
  r[0] = v;
#pragma GCC unroll 8
  for (int i = 1; i < 8; i++) r[i] = 0;
}

/* Carry chains use UMAAL as an adder: UMAAL(x, c, y, 1) computes x + y + c into (c:x), i.e. one
 * add-with-carry per limb with the carry kept in a register. C has no add-with-carry, and the usual
 * 64-bit emulation costs 3-4 instructions per limb (measured under QEMU, call included: 161 instructions
 * for fe_add with 64-bit C carries, 59 with UMAAL). */
#define ADC_STEP(x, c, y, one) UMAAL(x, c, y, one)

/* r = a + b. a + b < 2^257 = t + c * 2^256 with c in {0, 1}; 2^256 = 2p + 38, so fold c * 38 back in.
 * The fold carries out again only if t + 38 >= 2^256, and then the low limbs are below 38: adding 38 to
 * limb 0 a second time cannot carry. */
INTERNAL NOINLINE void fe_add(fe r, const fe a, const fe b) {
  u32 one = 1, zero = 0, m = 38, c = 0;
  u32 t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], t6 = a[6], t7 = a[7];
  ADC_STEP(t0, c, b[0], one);
  ADC_STEP(t1, c, b[1], one);
  ADC_STEP(t2, c, b[2], one);
  ADC_STEP(t3, c, b[3], one);
  ADC_STEP(t4, c, b[4], one);
  ADC_STEP(t5, c, b[5], one);
  ADC_STEP(t6, c, b[6], one);
  ADC_STEP(t7, c, b[7], one);
  u32 k = 0;
  UMAAL(t0, k, c, m);
  ADC_STEP(t1, k, zero, zero);
  ADC_STEP(t2, k, zero, zero);
  ADC_STEP(t3, k, zero, zero);
  ADC_STEP(t4, k, zero, zero);
  ADC_STEP(t5, k, zero, zero);
  ADC_STEP(t6, k, zero, zero);
  ADC_STEP(t7, k, zero, zero);
  r[0] = t0 + 38 * k;
  r[1] = t1;
  r[2] = t2;
  r[3] = t3;
  r[4] = t4;
  r[5] = t5;
  r[6] = t6;
  r[7] = t7;
}

/* r = a - b, computed as t = a + ~b + 1 (two's complement): the carry out c is 1 exactly when a >= b.
 * Otherwise (borrow w = 1 - c) t = a - b + 2^256, and 2^256 = 2p + 38, so subtract 38: add 2^256 - 38
 * modulo 2^256, i.e. the limbs (-38, -1, ..., -1) masked by w. That add fails to carry out only if t < 38,
 * when the result wrapped to at least 2^256 - 38: subtracting 38 once more from limb 0 cannot borrow. */
INTERNAL NOINLINE void fe_sub(fe r, const fe a, const fe b) {
  u32 one = 1, c = 1;
  u32 t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], t6 = a[6], t7 = a[7];
  ADC_STEP(t0, c, ~b[0], one);
  ADC_STEP(t1, c, ~b[1], one);
  ADC_STEP(t2, c, ~b[2], one);
  ADC_STEP(t3, c, ~b[3], one);
  ADC_STEP(t4, c, ~b[4], one);
  ADC_STEP(t5, c, ~b[5], one);
  ADC_STEP(t6, c, ~b[6], one);
  ADC_STEP(t7, c, ~b[7], one);
  u32 w = c ^ 1;
  u32 hi = 0 - w, lo = 0 - 38 * w, k = 0;
  ADC_STEP(t0, k, lo, one);
  ADC_STEP(t1, k, hi, one);
  ADC_STEP(t2, k, hi, one);
  ADC_STEP(t3, k, hi, one);
  ADC_STEP(t4, k, hi, one);
  ADC_STEP(t5, k, hi, one);
  ADC_STEP(t6, k, hi, one);
  ADC_STEP(t7, k, hi, one);
  r[0] = t0 - 38 * (w & (k ^ 1));
  r[1] = t1;
  r[2] = t2;
  r[3] = t3;
  r[4] = t4;
  r[5] = t5;
  r[6] = t6;
  r[7] = t7;
}

INTERNAL void fe_neg(fe r, const fe a) {
  static const fe zero = {0, 0, 0, 0, 0, 0, 0, 0};
  fe_sub(r, zero, a);
}

/* r = lo + 2^256 * hi (mod p), hi = h0..h7: 2^256 = 38 (mod p), so r = lo + 38 * hi, a 262-bit value
 * t + k * 2^256 with k <= 38, folded once more as k * 38. As in fe_add, a second carry is only possible
 * when the low limbs are tiny, and its fold cannot carry. */
#define FE_REDUCE_WIDE(r, l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7) \
  do {                                                                                  \
    u32 k_ = 0, m_ = 38, z_ = 0, x_;                                                    \
    u32 s0_ = (l0), s1_ = (l1), s2_ = (l2), s3_ = (l3);                                 \
    u32 s4_ = (l4), s5_ = (l5), s6_ = (l6), s7_ = (l7);                                 \
    UMAAL(s0_, k_, (h0), m_);                                                           \
    UMAAL(s1_, k_, (h1), m_);                                                           \
    UMAAL(s2_, k_, (h2), m_);                                                           \
    UMAAL(s3_, k_, (h3), m_);                                                           \
    UMAAL(s4_, k_, (h4), m_);                                                           \
    UMAAL(s5_, k_, (h5), m_);                                                           \
    UMAAL(s6_, k_, (h6), m_);                                                           \
    UMAAL(s7_, k_, (h7), m_);                                                           \
    x_ = 0;                                                                             \
    UMAAL(s0_, x_, k_, m_);                                                             \
    UMAAL(s1_, x_, z_, z_);                                                             \
    UMAAL(s2_, x_, z_, z_);                                                             \
    UMAAL(s3_, x_, z_, z_);                                                             \
    UMAAL(s4_, x_, z_, z_);                                                             \
    UMAAL(s5_, x_, z_, z_);                                                             \
    UMAAL(s6_, x_, z_, z_);                                                             \
    UMAAL(s7_, x_, z_, z_);                                                             \
    (r)[0] = s0_ + 38 * x_;                                                             \
    (r)[1] = s1_;                                                                       \
    (r)[2] = s2_;                                                                       \
    (r)[3] = s3_;                                                                       \
    (r)[4] = s4_;                                                                       \
    (r)[5] = s5_;                                                                       \
    (r)[6] = s6_;                                                                       \
    (r)[7] = s7_;                                                                       \
  } while (0)

/* r = a * b (mod p). Schoolbook operand scanning: row j adds a * b[j] into an 8-limb window t that slides
 * one limb per row; UMAAL adds the window limb and the running carry at once, so no carry is ever lost. */
INTERNAL NOINLINE void fe_mul(fe r, const fe a, const fe b) {
  u32 lo[8];
  u32 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
  u32 c, bj, t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
#define FE_MUL_ROW(j, T0, T1, T2, T3, T4, T5, T6, T7) \
  bj = b[j];                                          \
  c = 0;                                              \
  UMAAL(T0, c, a0, bj);                               \
  UMAAL(T1, c, a1, bj);                               \
  UMAAL(T2, c, a2, bj);                               \
  UMAAL(T3, c, a3, bj);                               \
  UMAAL(T4, c, a4, bj);                               \
  UMAAL(T5, c, a5, bj);                               \
  UMAAL(T6, c, a6, bj);                               \
  UMAAL(T7, c, a7, bj);                               \
  lo[j] = T0;                                         \
  T0 = c;
  FE_MUL_ROW(0, t0, t1, t2, t3, t4, t5, t6, t7)
  FE_MUL_ROW(1, t1, t2, t3, t4, t5, t6, t7, t0)
  FE_MUL_ROW(2, t2, t3, t4, t5, t6, t7, t0, t1)
  FE_MUL_ROW(3, t3, t4, t5, t6, t7, t0, t1, t2)
  FE_MUL_ROW(4, t4, t5, t6, t7, t0, t1, t2, t3)
  FE_MUL_ROW(5, t5, t6, t7, t0, t1, t2, t3, t4)
  FE_MUL_ROW(6, t6, t7, t0, t1, t2, t3, t4, t5)
  FE_MUL_ROW(7, t7, t0, t1, t2, t3, t4, t5, t6)
#undef FE_MUL_ROW
  /* After row j the window starts at limb j+1; after row 7 it holds limbs 8..15 as t0..t7. */
  FE_REDUCE_WIDE(r, lo[0], lo[1], lo[2], lo[3], lo[4], lo[5], lo[6], lo[7], t0, t1, t2, t3, t4, t5, t6, t7);
}

/* r = a^2 (mod p): the 28 cross products a_i a_j (i < j) once, doubled by a one-bit shift, plus the 8
 * squares a_i^2 on the diagonal: 36 multiplications instead of 64. Cross-product row i completes limbs
 * 2i+1 and 2i+2 of the cross sum, so output limbs 2i and 2i+1 are finished (doubled, diagonal added) right
 * after it: fewer values stay live, and GCC spills less. */
INTERNAL NOINLINE void fe_sq(fe r, const fe a) {
  u32 lo[8];
  u32 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
  u32 t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0, t8, t9, t10, t11, t12, t13, t14, c;
  u32 k = 0, top = 0, zero = 0, u;
  /* Output limbs (2i, 2i+1) from cross limbs T2 = t_{2i}, T1 = t_{2i+1}: shift in the previous top bit,
   * add a_i^2 and the running carry k. */
#define FE_SQ_OUT(T2, T1, ai, OUT0, OUT1) \
  u = ((T2) << 1) | top;                  \
  top = (T2) >> 31;                       \
  UMAAL(u, k, ai, ai);                    \
  OUT0 = u;                               \
  u = ((T1) << 1) | top;                  \
  top = (T1) >> 31;                       \
  ADC_STEP(u, k, zero, zero);             \
  OUT1 = u;
  c = 0;
  UMAAL(t1, c, a0, a1);
  UMAAL(t2, c, a0, a2);
  UMAAL(t3, c, a0, a3);
  UMAAL(t4, c, a0, a4);
  UMAAL(t5, c, a0, a5);
  UMAAL(t6, c, a0, a6);
  UMAAL(t7, c, a0, a7);
  t8 = c;
  FE_SQ_OUT(zero, t1, a0, lo[0], lo[1])
  c = 0;
  UMAAL(t3, c, a1, a2);
  UMAAL(t4, c, a1, a3);
  UMAAL(t5, c, a1, a4);
  UMAAL(t6, c, a1, a5);
  UMAAL(t7, c, a1, a6);
  UMAAL(t8, c, a1, a7);
  t9 = c;
  FE_SQ_OUT(t2, t3, a1, lo[2], lo[3])
  c = 0;
  UMAAL(t5, c, a2, a3);
  UMAAL(t6, c, a2, a4);
  UMAAL(t7, c, a2, a5);
  UMAAL(t8, c, a2, a6);
  UMAAL(t9, c, a2, a7);
  t10 = c;
  FE_SQ_OUT(t4, t5, a2, lo[4], lo[5])
  c = 0;
  UMAAL(t7, c, a3, a4);
  UMAAL(t8, c, a3, a5);
  UMAAL(t9, c, a3, a6);
  UMAAL(t10, c, a3, a7);
  t11 = c;
  FE_SQ_OUT(t6, t7, a3, lo[6], lo[7])
  c = 0;
  UMAAL(t9, c, a4, a5);
  UMAAL(t10, c, a4, a6);
  UMAAL(t11, c, a4, a7);
  t12 = c;
  u32 h0, h1, h2, h3, h4, h5, h6, h7;
  FE_SQ_OUT(t8, t9, a4, h0, h1)
  c = 0;
  UMAAL(t11, c, a5, a6);
  UMAAL(t12, c, a5, a7);
  t13 = c;
  FE_SQ_OUT(t10, t11, a5, h2, h3)
  c = 0;
  UMAAL(t13, c, a6, a7);
  t14 = c;
  FE_SQ_OUT(t12, t13, a6, h4, h5)
  FE_SQ_OUT(t14, zero, a7, h6, h7)
#undef FE_SQ_OUT
  /* k = 0 and top = 0 here: the square is below 2^512. */
  FE_REDUCE_WIDE(r, lo[0], lo[1], lo[2], lo[3], lo[4], lo[5], lo[6], lo[7], h0, h1, h2, h3, h4, h5, h6, h7);
}

/* r = a^(2^n) (mod p). */
INTERNAL void fe_sqn(fe r, const fe a, int n) {
  fe_sq(r, a);
  for (int i = 1; i < n; i++) fe_sq(r, r);
}

/* The unique representative of a in [0, p). First fold bit 255 (2^255 = 19 mod p): t < 2^255 + 19.
 * Then t >= p exactly when t + 19 >= 2^255, i.e. when bit 255 of u = t + 19 is set, and t - p is u with
 * that bit cleared. Select with a mask, not a branch. */
INTERNAL NOINLINE void fe_canon(fe r, const fe a) {
  u32 zero = 0, nineteen = 19, k = 0;
  u32 t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], t4 = a[4], t5 = a[5], t6 = a[6], t7 = a[7];
  u32 top = t7 >> 31;
  t7 &= 0x7fffffff;
  UMAAL(t0, k, top, nineteen);
  ADC_STEP(t1, k, zero, zero);
  ADC_STEP(t2, k, zero, zero);
  ADC_STEP(t3, k, zero, zero);
  ADC_STEP(t4, k, zero, zero);
  ADC_STEP(t5, k, zero, zero);
  ADC_STEP(t6, k, zero, zero);
  ADC_STEP(t7, k, zero, zero);
  u32 u0 = t0, u1 = t1, u2 = t2, u3 = t3, u4 = t4, u5 = t5, u6 = t6, u7 = t7;
  k = nineteen;
  ADC_STEP(u0, k, zero, zero);
  ADC_STEP(u1, k, zero, zero);
  ADC_STEP(u2, k, zero, zero);
  ADC_STEP(u3, k, zero, zero);
  ADC_STEP(u4, k, zero, zero);
  ADC_STEP(u5, k, zero, zero);
  ADC_STEP(u6, k, zero, zero);
  ADC_STEP(u7, k, zero, zero);
  u32 m = ct_mask(u7 >> 31);
  u7 &= 0x7fffffff;
  r[0] = t0 ^ ((t0 ^ u0) & m);
  r[1] = t1 ^ ((t1 ^ u1) & m);
  r[2] = t2 ^ ((t2 ^ u2) & m);
  r[3] = t3 ^ ((t3 ^ u3) & m);
  r[4] = t4 ^ ((t4 ^ u4) & m);
  r[5] = t5 ^ ((t5 ^ u5) & m);
  r[6] = t6 ^ ((t6 ^ u6) & m);
  r[7] = t7 ^ ((t7 ^ u7) & m);
}

/* The low 255 bits of s (RFC 8032 §5.1.3 step 1: bit 255 is the sign of x, read by the caller). */
INTERNAL void fe_frombytes(fe r, const u8 s[32]) {
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) r[i] = load32_le(s + 4 * i);
  r[7] &= 0x7fffffff;
}

INTERNAL void fe_tobytes(u8 s[32], const fe a) {
  fe t;
  fe_canon(t, a);
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) store32_le(s + 4 * i, t[i]);
}

/* 1 if the low 255 bits of s, read little-endian, are below p (RFC 8032 §5.1.3 step 1), else 0. The only
 * 255-bit values >= p are p .. 2^255 - 1: bytes 1..30 all 0xff, byte 31 (without bit 7) 0x7f and byte 0 at
 * least 0xed. Public data only (variable time). */
INTERNAL int fe_bytes_canonical(const u8 s[32]) {
  if ((s[31] & 0x7f) != 0x7f) return 1;
  for (int i = 30; i >= 1; i--)
    if (s[i] != 0xff) return 1;
  return s[0] < 0xed;
}

/* 1 if a = 0 (mod p), else 0; constant time. */
INTERNAL u32 fe_iszero(const fe a) {
  fe t;
  fe_canon(t, a);
  u32 x = 0;
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) x |= t[i];
  return ((x | (0 - x)) >> 31) ^ 1;
}

/* The "sign" of a: the low bit of its canonical representative (RFC 8032 §5.1.2). */
INTERNAL u32 fe_isodd(const fe a) {
  fe t;
  fe_canon(t, a);
  return t[0] & 1;
}

/* r = a if mask is all ones, unchanged if mask is zero. */
INTERNAL void fe_cmov(fe r, const fe a, u32 mask) {
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) r[i] ^= (r[i] ^ a[i]) & mask;
}

/* Swap a and b if mask is all ones. */
INTERNAL void fe_cswap(fe a, fe b, u32 mask) {
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    u32 x = (a[i] ^ b[i]) & mask;
    a[i] ^= x;
    b[i] ^= x;
  }
}

/* z250 = a^(2^250 - 1) and z11 = a^11, the common prefix of the two exponentiations below: an addition
 * chain of 249 squarings and 10 multiplications through a^(2^5-1), a^(2^10-1), a^(2^20-1), a^(2^40-1),
 * a^(2^50-1), a^(2^100-1), a^(2^200-1). */
INTERNAL NOINLINE void fe_pow_2_250_1(fe z250, fe z11, const fe a) {
  fe z2, t, z9, z5, z10, z20, z50, z100;
  fe_sq(z2, a);         /* a^2 */
  fe_sqn(t, z2, 2);     /* a^8 */
  fe_mul(z9, t, a);     /* a^9 */
  fe_mul(z11, z9, z2);  /* a^11 */
  fe_sq(t, z11);        /* a^22 */
  fe_mul(z5, t, z9);    /* a^31 = a^(2^5 - 1) */
  fe_sqn(t, z5, 5);
  fe_mul(z10, t, z5);   /* 2^10 - 1 */
  fe_sqn(t, z10, 10);
  fe_mul(z20, t, z10);  /* 2^20 - 1 */
  fe_sqn(t, z20, 20);
  fe_mul(t, t, z20);    /* 2^40 - 1 */
  fe_sqn(t, t, 10);
  fe_mul(z50, t, z10);  /* 2^50 - 1 */
  fe_sqn(t, z50, 50);
  fe_mul(z100, t, z50); /* 2^100 - 1 */
  fe_sqn(t, z100, 100);
  fe_mul(t, t, z100);   /* 2^200 - 1 */
  fe_sqn(t, t, 50);
  fe_mul(z250, t, z50); /* 2^250 - 1 */
}

/* r = a^(p-2) = a^-1 (Fermat), p - 2 = 2^255 - 21 = (2^250 - 1) * 2^5 + 11. Gives 0 for 0. */
INTERNAL void fe_invert(fe r, const fe a) {
  fe z250, z11;
  fe_pow_2_250_1(z250, z11, a);
  fe_sqn(z250, z250, 5);
  fe_mul(r, z250, z11);
}

/* r = a^((p-5)/8), (p-5)/8 = 2^252 - 3 = (2^250 - 1) * 4 + 1: the exponent of the square root in
 * RFC 8032 §5.1.3 step 2. */
INTERNAL void fe_pow22523(fe r, const fe a) {
  fe z250, z11;
  fe_pow_2_250_1(z250, z11, a);
  fe_sqn(z250, z250, 2);
  fe_mul(r, z250, a);
}

#endif
