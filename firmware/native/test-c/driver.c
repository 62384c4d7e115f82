/* Host driver for the sanitizer run of the native Ed25519 (ed25519-sanitize.test.ts): the same C compiled
 * for the build machine with GCC's AddressSanitizer and UndefinedBehaviorSanitizer, so that undefined
 * behaviour (shifts, overflow, out-of-bounds reads) that the Thumb and WASM compilers might each exploit
 * differently is caught. One command per input line, hex fields separated by spaces:
 *   V <sig> <pub> <msg>   ->  verify result        S <seed> <msg>  ->  signature
 *   P <seed>              ->  public key           K <pub>         ->  key check reason
 *   H <msg>               ->  SHA-512
 *   T <op and operands>   ->  carnet_test_op (fe-test.c, when compiled with it: -DCARNET_TEST_OP)
 * An empty message is written as "-". Output: one line per command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/carnet_ed25519.h"

#ifdef CARNET_TEST_OP
int carnet_test_op(uint8_t *out, const uint8_t *in, int32_t len);
#endif

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes the next space-separated hex field into a fresh heap buffer of exactly its length (so that
 * AddressSanitizer sees any read past the end). */
static uint8_t *field(char **p, int32_t *len) {
  while (**p == ' ') (*p)++;
  char *s = *p;
  while (**p && **p != ' ' && **p != '\n') (*p)++;
  size_t n = (size_t)(*p - s);
  if (n == 1 && s[0] == '-') n = 0;
  uint8_t *out = malloc(n / 2 ? n / 2 : 1);
  for (size_t i = 0; i + 1 < n; i += 2) {
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) {
      fprintf(stderr, "bad hex\n");
      exit(2);
    }
    out[i / 2] = (uint8_t)(hi * 16 + lo);
  }
  *len = (int32_t)(n / 2);
  return out;
}

static void put(const uint8_t *b, int n) {
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

int main(void) {
  static char line[1 << 20];
  while (fgets(line, sizeof line, stdin)) {
    char *p = line + 1;
    int32_t a, b, c;
    uint8_t out[64];
    switch (line[0]) {
      case 'V': {
        uint8_t *sig = field(&p, &a), *pub = field(&p, &b), *msg = field(&p, &c);
        if (a != 64 || b != 32) {
          fprintf(stderr, "bad lengths\n");
          return 2;
        }
        printf("%d\n", carnet_ed25519_verify(sig, pub, msg, c));
        free(sig);
        free(pub);
        free(msg);
        break;
      }
      case 'S': {
        uint8_t *seed = field(&p, &a), *msg = field(&p, &c);
        carnet_ed25519_sign(out, seed, msg, c);
        put(out, 64);
        free(seed);
        free(msg);
        break;
      }
      case 'P': {
        uint8_t *seed = field(&p, &a);
        carnet_ed25519_pubkey(out, seed);
        put(out, 32);
        free(seed);
        break;
      }
      case 'K': {
        uint8_t *pub = field(&p, &a);
        printf("%d\n", carnet_ed25519_check_pubkey(pub));
        free(pub);
        break;
      }
      case 'H': {
        uint8_t *msg = field(&p, &c);
        carnet_sha512(out, msg, c);
        put(out, 64);
        free(msg);
        break;
      }
#ifdef CARNET_TEST_OP
      case 'T': {
        uint8_t *in = field(&p, &c);
        int r = carnet_test_op(out, in, c);
        if (r != 0) {
          printf("error %d\n", r);
        } else {
          put(out, 32);
        }
        free(in);
        break;
      }
#endif
      default:
        fprintf(stderr, "bad command\n");
        return 2;
    }
  }
  return 0;
}
