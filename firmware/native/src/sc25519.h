/* Scalars modulo L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1).
 *
 * 8 little-endian 32-bit limbs. Reduction of 512-bit values (SHA-512 outputs, RFC 8032 §5.1.6 steps 2
 * and 4, and r + k * s in step 5) is Barrett's (HAC algorithm 14.42 with b = 2^32, k = 8): fixed loops
 * and masked final subtractions, so it runs in constant time on the secret nonce and key.
 */
#ifndef CARNET_SC25519_H
#define CARNET_SC25519_H

#include "common.h"

/* r = x mod L for x < 2^512 (16 limbs). HAC 14.42: q1 = floor(x / b^7) (9 limbs), q3 = floor(q1 * mu /
 * b^9), r = (x - q3 * L) mod b^9, which is below 3L; then subtract L at most twice. */
INTERNAL NOINLINE void sc_barrett(u32 r[8], const u32 x[16]) {
  u32 q2[18], r2[9], t[9];
  u32 c;
  for (int i = 0; i < 18; i++) q2[i] = 0;
  /* q2 = q1 * mu: full 9 x 9 product (the low limbs feed carries into the kept high ones). */
  for (int i = 0; i < 9; i++) {
    u32 qi = x[7 + i];
    c = 0;
    for (int j = 0; j < 9; j++) UMAAL(q2[i + j], c, qi, SC_MU[j]);
    q2[i + 9] = c;
  }
  /* r2 = (q3 * L) mod b^9 with q3 = q2[9..17]; products beyond limb 8 are not needed. */
  for (int i = 0; i < 9; i++) r2[i] = 0;
  for (int i = 0; i < 9; i++) {
    u32 qi = q2[9 + i];
    c = 0;
    for (int j = 0; i + j < 9 && j < 8; j++) UMAAL(r2[i + j], c, qi, SC_L[j]);
    if (i + 8 < 9) r2[i + 8] += c;
  }
  /* t = (x mod b^9) - r2 mod b^9, the true value being in [0, 3L). */
  u32 w = 0;
  for (int i = 0; i < 9; i++) {
    u64 d = (u64)x[i] - r2[i] - w;
    t[i] = (u32)d;
    w = (u32)(d >> 63);
  }
  /* Twice: if t >= L then t -= L, chosen by the borrow of t - L, with masks. */
  for (int round = 0; round < 2; round++) {
    u32 s[9];
    w = 0;
    for (int i = 0; i < 9; i++) {
      u64 d = (u64)t[i] - (i < 8 ? SC_L[i] : 0) - w;
      s[i] = (u32)d;
      w = (u32)(d >> 63);
    }
    u32 keep = ct_mask(w); /* borrow: t < L, keep t */
    for (int i = 0; i < 9; i++) t[i] = (t[i] & keep) | (s[i] & ~keep);
  }
  for (int i = 0; i < 8; i++) r[i] = t[i];
}

/* r = (64-byte little-endian string) mod L. */
INTERNAL void sc_reduce64(u32 r[8], const u8 s[64]) {
  u32 x[16];
  for (int i = 0; i < 16; i++) x[i] = load32_le(s + 4 * i);
  sc_barrett(r, x);
  wipe(x, sizeof x);
}

/* r = (a * b + c) mod L, for a, b < 2^256 and c < 2^256: the sum stays below 2^512. */
INTERNAL void sc_muladd(u32 r[8], const u32 a[8], const u32 b[8], const u32 c[8]) {
  u32 x[16];
  for (int i = 0; i < 16; i++) x[i] = 0;
  for (int i = 0; i < 8; i++) {
    u32 ai = a[i], k = 0;
    for (int j = 0; j < 8; j++) UMAAL(x[i + j], k, ai, b[j]);
    x[i + 8] = k;
  }
  u64 s = 0;
  for (int i = 0; i < 16; i++) {
    s += (u64)x[i] + (i < 8 ? c[i] : 0);
    x[i] = (u32)s;
    s >>= 32;
  }
  sc_barrett(r, x);
  wipe(x, sizeof x);
}

/* 1 if the 32-byte little-endian s is below L (RFC 8032 §5.1.7: "if S is not in [0, L), reject"), else 0.
 * Public data (variable time). */
INTERNAL int sc_is_canonical(const u8 s[32]) {
  for (int i = 7; i >= 0; i--) {
    u32 v = load32_le(s + 4 * i);
    if (v < SC_L[i]) return 1;
    if (v > SC_L[i]) return 0;
  }
  return 0;
}

INTERNAL void sc_tobytes(u8 s[32], const u32 a[8]) {
  for (int i = 0; i < 8; i++) store32_le(s + 4 * i, a[i]);
}

INTERNAL void sc_frombytes(u32 a[8], const u8 s[32]) {
  for (int i = 0; i < 8; i++) a[i] = load32_le(s + 4 * i);
}

#endif
