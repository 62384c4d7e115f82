/* carnet Ed25519: pure Ed25519 signing and verification (RFC 8032 §5.1) for the reader firmware.
 *
 * One translation unit ("unity build"): every helper is static, so the Thumb blob exports exactly the
 * entry points below and GCC addresses the constant tables PC-relative. See ../README.md for the design,
 * the validity rule and the measured figures.
 *
 * Entry points (all lengths in bytes; buffers must not overlap):
 *   carnet_ed25519_verify(sig64, pub32, msg, msglen)  1 valid, 0 invalid, -1 bad arguments
 *   carnet_ed25519_sign(sig64_out, seed32, msg, msglen)  0 done, -1 bad arguments
 *   carnet_ed25519_pubkey(pub32_out, seed32)           0 done, -1 bad arguments
 *   carnet_sha512(out64, msg, msglen)                  0 done, -1 bad arguments
 *   carnet_ed25519_check_pubkey(pub32)                 0 acceptable key, else why not (GE_* in ge25519.h)
 *   carnet_ed25519_version()                           CARNET_ED25519_ABI
 */
#include "carnet_ed25519.h"
#include "common.h"
#include "fe25519.h"
#include "ge25519.h" /* also the generated constant tables */
#include "sc25519.h"
#include "sha512.h"

/* RFC 8032 §5.1.5: h = SHA-512(seed); s = h[0..31] with bits 0-2 and 255 cleared and bit 254 set;
 * prefix = h[32..63]. */
INTERNAL void expand_seed(u8 h[64], const u8 seed[32]) {
  sha512_ctx ctx;
  sha512_init(&ctx);
  sha512_update(&ctx, seed, 32);
  sha512_final(&ctx, h);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  wipe(&ctx, sizeof ctx);
}

/* k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.6 step 4, §5.1.7 step 2). */
INTERNAL NOINLINE void challenge(u32 k[8], const u8 r[32], const u8 a[32], const u8 *m, u32 n) {
  sha512_ctx ctx;
  u8 h[64];
  sha512_init(&ctx);
  sha512_update(&ctx, r, 32);
  sha512_update(&ctx, a, 32);
  sha512_update(&ctx, m, n);
  sha512_final(&ctx, h);
  sc_reduce64(k, h);
}

/* r = SHA-512(prefix || M) mod L, the deterministic nonce (RFC 8032 §5.1.6 step 2). Secret. */
INTERNAL NOINLINE void nonce(u32 r[8], const u8 prefix[32], const u8 *m, u32 n) {
  sha512_ctx ctx;
  u8 h[64];
  sha512_init(&ctx);
  sha512_update(&ctx, prefix, 32);
  sha512_update(&ctx, m, n);
  sha512_final(&ctx, h);
  sc_reduce64(r, h);
  wipe(&ctx, sizeof ctx);
  wipe(h, sizeof h);
}

/* Verification under the carnet rule (README "The rule"; RFC 8032 §5.1.7 without the cofactor):
 *   1. S < L, else reject;
 *   2. A decodes (canonical y < p, on the curve, no "negative zero" x), else reject;
 *   3. A is not of small order ([8]A != identity), else reject;
 *   4. k = SHA-512(R || A || M) mod L; accept iff encode([S]B - [k]A) == R, byte for byte.
 * R is never decoded: a non-canonical or off-curve R cannot equal a canonical encoding. */
CARNET_EXPORT("carnet_ed25519_verify")
int carnet_ed25519_verify(const uint8_t *sig, const uint8_t *pub, const uint8_t *msg, int32_t msglen) {
  ge_p3 a;
  u32 k[8];
  u8 kb[32], chk[32];
  if (sig == 0 || pub == 0 || msglen < 0 || (msg == 0 && msglen != 0)) return -1;
  if (!sc_is_canonical(sig + 32)) return 0;
  if (ge_frombytes(&a, pub) != GE_OK) return 0;
  if (ge_is_small_order(&a)) return 0;
  challenge(k, sig, pub, msg, (u32)msglen);
  sc_tobytes(kb, k);
  /* [S]B - [k]A = [S]B + [k](-A), -(X:Y:Z:T) = (-X:Y:Z:-T) */
  fe_neg(a.X, a.X);
  fe_neg(a.T, a.T);
  ge_double_scalarmult(&a, kb, &a, sig + 32); /* a := R' (a is read before it is overwritten) */
  ge_tobytes(chk, &a);
  u32 diff = 0;
  for (int i = 0; i < 32; i++) diff |= (u32)(chk[i] ^ sig[i]);
  return diff == 0;
}

/* Signing, RFC 8032 §5.1.6 (pure Ed25519, no context), constant time in the seed and the message
 * contents: the instruction count depends on the message length only (checked in the emulator test).
 * The public key is recomputed from the seed every time: trusting a caller-supplied key would let a
 * wrong one leak the secret scalar (two signatures with equal r but different k). */
CARNET_EXPORT("carnet_ed25519_sign")
int carnet_ed25519_sign(uint8_t *sig, const uint8_t *seed, const uint8_t *msg, int32_t msglen) {
  u8 h[64], pub[32], rb[32];
  u32 s[8], r[8], k[8], out[8];
  ge_p3 ap, rp;
  if (sig == 0 || seed == 0 || msglen < 0 || (msg == 0 && msglen != 0)) return -1;
  expand_seed(h, seed);
  ge_scalarmult_base(&ap, h);               /* A = [s]B */
  nonce(r, h + 32, msg, (u32)msglen);
  sc_tobytes(rb, r);
  ge_scalarmult_base(&rp, rb);              /* R = [r]B */
  ge_tobytes2(pub, &ap, rb, &rp);           /* rb now holds encode(R) */
  challenge(k, rb, pub, msg, (u32)msglen);
  sc_frombytes(s, h);
  sc_muladd(out, k, s, r);                  /* S = (r + k s) mod L */
  for (int i = 0; i < 32; i++) sig[i] = rb[i];
  sc_tobytes(sig + 32, out);
  wipe(h, sizeof h);
  wipe(s, sizeof s);
  wipe(r, sizeof r);
  wipe(&ap, sizeof ap);
  wipe(&rp, sizeof rp);
  return 0;
}

/* The public key of a seed, RFC 8032 §5.1.5: encode([s]B). */
CARNET_EXPORT("carnet_ed25519_pubkey")
int carnet_ed25519_pubkey(uint8_t *pub, const uint8_t *seed) {
  u8 h[64];
  ge_p3 ap;
  if (pub == 0 || seed == 0) return -1;
  expand_seed(h, seed);
  ge_scalarmult_base(&ap, h);
  ge_tobytes(pub, &ap);
  wipe(h, sizeof h);
  wipe(&ap, sizeof ap);
  return 0;
}

/* SHA-512 of a message (FIPS 180-4): the Pico and the MDBT42Q have no native SHA-512 in Espruino. */
CARNET_EXPORT("carnet_sha512")
int carnet_sha512(uint8_t *out, const uint8_t *msg, int32_t msglen) {
  sha512_ctx ctx;
  if (out == 0 || msglen < 0 || (msg == 0 && msglen != 0)) return -1;
  sha512_init(&ctx);
  sha512_update(&ctx, msg, (u32)msglen);
  sha512_final(&ctx, out);
  return 0;
}

/* Whether a public key passes the rule's key checks (decoding and small order), and if not why:
 * 1 y >= p, 2 not on the curve, 3 x = 0 with the sign bit set, 4 small order. Verification applies exactly
 * these checks; this entry lets the host link and the tests see the reason. */
CARNET_EXPORT("carnet_ed25519_check_pubkey")
int carnet_ed25519_check_pubkey(const uint8_t *pub) {
  ge_p3 a;
  if (pub == 0) return -1;
  int why = ge_frombytes(&a, pub);
  if (why != GE_OK) return why;
  return ge_is_small_order(&a) ? GE_SMALL_ORDER : GE_OK;
}

CARNET_EXPORT("carnet_ed25519_version")
int carnet_ed25519_version(void) { return CARNET_ED25519_ABI; }
