/* Test build only (never in the blob): the whole unity build plus one entry that runs a single internal
 * arithmetic operation, so that the tests can check the field and scalar code on edge values against
 * big integers, compiled for Thumb (run under QEMU), WebAssembly and the sanitized host build.
 *
 *   carnet_test_op(out, in, len): in[0] = operation, then its operands (32 bytes each, little-endian;
 *   64 for the wide scalar reduction). Writes the 32-byte result to out; returns 0, or -1 for a bad
 *   operation or length. The signature matches carnet_sha512's, so the emulator harness runs it through
 *   its 'H' record. */
#include "../src/ed25519.c"

#define OP_FE_MUL 0
#define OP_FE_SQ 1
#define OP_FE_ADD 2
#define OP_FE_SUB 3
#define OP_FE_CANON 4
#define OP_FE_INVERT 5
#define OP_FE_POW22523 6
#define OP_FE_NEG 7
#define OP_SC_REDUCE64 8
#define OP_SC_MULADD 9
#define OP_FE_SQN 10

INTERNAL void fe_load_raw(fe r, const u8 *s) {
  for (int i = 0; i < 8; i++) r[i] = load32_le(s + 4 * i);
}

INTERNAL void fe_store_raw(u8 *s, const fe a) {
  for (int i = 0; i < 8; i++) store32_le(s + 4 * i, a[i]);
}

CARNET_EXPORT("carnet_test_op")
int carnet_test_op(uint8_t *out, const uint8_t *in, int32_t len) {
  fe a, b, r;
  u32 x[8], y[8], z[8], s[8];
  if (len < 1) return -1;
  int op = in[0];
  const u8 *p = in + 1;
  int need;
  switch (op) {
    case OP_FE_MUL:
    case OP_FE_ADD:
    case OP_FE_SUB:
    case OP_SC_REDUCE64:
      need = 64;
      break;
    case OP_SC_MULADD:
      need = 96;
      break;
    default:
      need = 32;
  }
  if (len != 1 + need) return -1;
  switch (op) {
    case OP_FE_MUL: fe_load_raw(a, p); fe_load_raw(b, p + 32); fe_mul(r, a, b); break;
    case OP_FE_SQ: fe_load_raw(a, p); fe_sq(r, a); break;
    case OP_FE_ADD: fe_load_raw(a, p); fe_load_raw(b, p + 32); fe_add(r, a, b); break;
    case OP_FE_SUB: fe_load_raw(a, p); fe_load_raw(b, p + 32); fe_sub(r, a, b); break;
    case OP_FE_CANON: fe_load_raw(a, p); fe_canon(r, a); break;
    case OP_FE_INVERT: fe_load_raw(a, p); fe_invert(r, a); break;
    case OP_FE_POW22523: fe_load_raw(a, p); fe_pow22523(r, a); break;
    case OP_FE_NEG: fe_load_raw(a, p); fe_neg(r, a); break;
    case OP_FE_SQN: fe_load_raw(a, p); fe_sqn(r, a, 3); break;
    case OP_SC_REDUCE64: sc_reduce64(s, p); sc_tobytes(out, s); return 0;
    case OP_SC_MULADD:
      sc_frombytes(x, p); sc_frombytes(y, p + 32); sc_frombytes(z, p + 64);
      sc_muladd(s, x, y, z); sc_tobytes(out, s); return 0;
    default: return -1;
  }
  fe_store_raw(out, r);
  return 0;
}
