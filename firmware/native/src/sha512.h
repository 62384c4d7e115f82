/* SHA-512 (FIPS 180-4 §6.4), streaming, for RFC 8032 §5.1.5-§5.1.7.
 *
 * Constant time by construction: no branch or index depends on the data, only on the length. The
 * message schedule is kept as a rolling window of 16 words (FIPS 180-4 §6.4.2 computes W_0..W_79; only the
 * last 16 are ever read), which keeps the block function's frame small.
 */
#ifndef CARNET_SHA512_H
#define CARNET_SHA512_H

#include "common.h"

typedef struct {
  u64 h[8];
  u8 buf[128];
  u32 fill;  /* bytes in buf */
  u32 total; /* message bytes so far; messages are below 2^31 bytes (int length) */
} sha512_ctx;

#define SHA_ROTR(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

INTERNAL u64 load64_be(const u8 *p) {
  u32 hi = ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
  u32 lo = ((u32)p[4] << 24) | ((u32)p[5] << 16) | ((u32)p[6] << 8) | p[7];
  return ((u64)hi << 32) | lo;
}

INTERNAL void store64_be(u8 *p, u64 v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (u8)v;
    v >>= 8;
  }
}

#define SHA_S0(x) (SHA_ROTR(x, 28) ^ SHA_ROTR(x, 34) ^ SHA_ROTR(x, 39))
#define SHA_S1(x) (SHA_ROTR(x, 14) ^ SHA_ROTR(x, 18) ^ SHA_ROTR(x, 41))
#define SHA_s0(x) (SHA_ROTR(x, 1) ^ SHA_ROTR(x, 8) ^ ((x) >> 7))
#define SHA_s1(x) (SHA_ROTR(x, 19) ^ SHA_ROTR(x, 61) ^ ((x) >> 6))

/* Round i of FIPS 180-4 §6.4.2 step 3, with the variables renamed instead of moved: the caller rotates
 * the argument list, so that after 8 rounds every variable is back in its own name. */
#define SHA_ROUND(a, b, c, d, e, f, g, h, i)                                       \
  do {                                                                             \
    u64 t1_ = (h) + SHA_S1(e) + (((e) & (f)) ^ (~(e) & (g))) + SHA512_K[i] + w[i]; \
    u64 t2_ = SHA_S0(a) + (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)));              \
    (d) += t1_;                                                                    \
    (h) = t1_ + t2_;                                                               \
  } while (0)

/* One 128-byte block (FIPS 180-4 §6.4.2). The whole schedule W_0..W_79 is expanded first (640 bytes of
 * stack, in a frame of its own that never overlaps the point arithmetic), then the 80 rounds run 8 at a
 * time with constant names, so no working variable is ever copied. */
INTERNAL NOINLINE void sha512_block(u64 h[8], const u8 *p) {
  u64 w[80];
  for (int i = 0; i < 16; i++) w[i] = load64_be(p + 8 * i);
  for (int i = 16; i < 80; i++) w[i] = SHA_s1(w[i - 2]) + w[i - 7] + SHA_s0(w[i - 15]) + w[i - 16];
  u64 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 80; i += 8) {
    SHA_ROUND(a, b, c, d, e, f, g, hh, i);
    SHA_ROUND(hh, a, b, c, d, e, f, g, i + 1);
    SHA_ROUND(g, hh, a, b, c, d, e, f, i + 2);
    SHA_ROUND(f, g, hh, a, b, c, d, e, i + 3);
    SHA_ROUND(e, f, g, hh, a, b, c, d, i + 4);
    SHA_ROUND(d, e, f, g, hh, a, b, c, i + 5);
    SHA_ROUND(c, d, e, f, g, hh, a, b, i + 6);
    SHA_ROUND(b, c, d, e, f, g, hh, a, i + 7);
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

INTERNAL void sha512_init(sha512_ctx *s) {
  for (int i = 0; i < 8; i++) s->h[i] = SHA512_IV[i];
  s->fill = 0;
  s->total = 0;
}

INTERNAL void sha512_update(sha512_ctx *s, const u8 *m, u32 n) {
  s->total += n;
  while (n > 0) {
    u32 take = 128 - s->fill;
    if (take > n) take = n;
    for (u32 i = 0; i < take; i++) s->buf[s->fill + i] = m[i];
    s->fill += take;
    m += take;
    n -= take;
    if (s->fill == 128) {
      sha512_block(s->h, s->buf);
      s->fill = 0;
    }
  }
}

/* Padding (FIPS 180-4 §5.1.2): 0x80, zeros, then the 128-bit big-endian bit length. */
INTERNAL void sha512_final(sha512_ctx *s, u8 out[64]) {
  u32 f = s->fill;
  s->buf[f++] = 0x80;
  if (f > 112) {
    while (f < 128) s->buf[f++] = 0;
    sha512_block(s->h, s->buf);
    f = 0;
  }
  while (f < 120) s->buf[f++] = 0;
  /* Bit length = total * 8 < 2^34: bytes 120..127 of the block (the upper 64 bits are zero). */
  store64_be(s->buf + 120, (u64)s->total << 3);
  sha512_block(s->h, s->buf);
  for (int i = 0; i < 8; i++) store64_be(out + 8 * i, s->h[i]);
}

#endif
