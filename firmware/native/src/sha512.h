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

/* One 128-byte block (FIPS 180-4 §6.4.2). The eight working variables rotate through the array v,
 * indexed modulo 8 from the round number, so the loop body stays small (flash is scarce). */
INTERNAL NOINLINE void sha512_block(u64 h[8], const u8 *p) {
  u64 w[16], v[8];
  for (int i = 0; i < 16; i++) w[i] = load64_be(p + 8 * i);
  for (int i = 0; i < 8; i++) v[i] = h[i];
  for (int i = 0; i < 80; i++) {
    if (i >= 16) {
      u64 w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
      u64 s0 = SHA_ROTR(w15, 1) ^ SHA_ROTR(w15, 8) ^ (w15 >> 7);
      u64 s1 = SHA_ROTR(w2, 19) ^ SHA_ROTR(w2, 61) ^ (w2 >> 6);
      w[i & 15] += s0 + s1 + w[(i - 7) & 15];
    }
    /* Round i with a = v[-i], b = v[1-i], ..., h = v[7-i] (indices mod 8). */
    u64 a = v[(0 - i) & 7], b = v[(1 - i) & 7], c = v[(2 - i) & 7], d = v[(3 - i) & 7];
    u64 e = v[(4 - i) & 7], f = v[(5 - i) & 7], g = v[(6 - i) & 7], hh = v[(7 - i) & 7];
    u64 t1 = hh + (SHA_ROTR(e, 14) ^ SHA_ROTR(e, 18) ^ SHA_ROTR(e, 41)) + ((e & f) ^ (~e & g)) +
             SHA512_K[i] + w[i & 15];
    u64 t2 = (SHA_ROTR(a, 28) ^ SHA_ROTR(a, 34) ^ SHA_ROTR(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    /* New e = d + t1 goes where d was; new a = t1 + t2 goes where h was, which is a's slot next round. */
    v[(3 - i) & 7] = d + t1;
    v[(7 - i) & 7] = t1 + t2;
  }
  for (int i = 0; i < 8; i++) h[i] += v[i];
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
