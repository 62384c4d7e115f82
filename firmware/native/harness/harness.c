/* Emulator harness for the carnet Ed25519 blob (QEMU mps2-an386, Cortex-M4, -icount shift=0).
 *
 * It runs the very bytes that Espruino runs: it reads build/ed25519.bin through semihosting into memory
 * at an address that is 4 mod 8 (not the link address 0, and only word aligned, like a Storage file) and
 * calls its entries at blob + offset | 1 (Thumb), exactly as E.nativeCall does.
 *
 * Input, "job.bin" in QEMU's working directory (little-endian):
 *   "CJOB", u32 count, u32 offsets[6] (verify, sign, pubkey, sha512, check_pubkey, version), u32 blob
 *   size, then count records: u8 op ('V' verify, 'S' sign, 'P' public key, 'H' SHA-512, 'K' key check),
 *   u8 measure, u16 0, u32 msglen, then V: sig[64] pub[32] msg | S: seed[32] msg | P: seed[32] | H: msg |
 *   K: pub[32], padded to 4 bytes.
 * Output, one line per record on the semihosting console:
 *   "<op> <index> <return value> [<hex output>] [icount=<n> stack=<bytes>]"
 * then "DONE <count>"; any problem prints "ERROR ..." and exits with a failure status.
 *
 * Instruction counts are exact. SysTick runs on the CPU clock; with -icount shift=0 QEMU advances it one
 * tick per 40 instructions, deterministically. A tick is too coarse on its own, so measure() uses a vernier:
 * it restarts the tick phase (a write to SYST_CVR), runs k NOPs then the operation, and finds by bisection
 * the smallest k that adds one tick; that k gives the count modulo 40, the tick count the rest. The result
 * is calibrated against an empty function and checked at start-up on code of known length.
 */
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;

/* startup.S */
extern u32 semihost(u32 op, const void *arg);
extern void nop_sled(void);
extern void nop_sled_end(void);
extern void empty_fn(void);
extern void count_loop(void);
extern void paint_stack(u32 *from, u32 pattern);
extern int call_with_sp(u32 fn, const u32 args[4], u32 *sp_out);
extern u32 timed_call(u32 sled, u32 fn, const u32 args[4], int *ret);
extern u32 __bss_end;

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_READ 0x06
#define SYS_FLEN 0x0c
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

#define SYST_CSR (*(volatile u32 *)0xe000e010)
#define SYST_RVR (*(volatile u32 *)0xe000e014)
#define SYST_CVR (*(volatile u32 *)0xe000e018)

/* The blob goes into SSRAM1 (this board's code memory), 4 bytes past an 8-byte boundary. */
#define BLOB_ADDR 0x00200004u
#define BLOB_MAX (64u * 1024u)
/* Jobs go into the 16 MB PSRAM. */
#define JOB_ADDR 0x21000000u
#define JOB_MAX (16u * 1024u * 1024u)
/* Painted stack area: from the end of .bss up to the caller's frame. */
#define PAINT 0x5a17c0deu

static void put(const char *s) { semihost(SYS_WRITE0, s); }

static void finish(int ok) {
  semihost(SYS_EXIT, (const void *)(ok ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR));
  for (;;) {
  }
}

static char line[4096];
static u32 line_len;

static void lput(const char *s) {
  while (*s && line_len < sizeof line - 2) line[line_len++] = *s++;
}

static void lnum(u32 v) {
  char b[12];
  int n = 0;
  do {
    b[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) {
    char c[2] = {b[--n], 0};
    lput(c);
  }
}

static void lint(int v) {
  if (v < 0) {
    lput("-");
    lnum((u32)(-(v + 1)) + 1);
  } else {
    lnum((u32)v);
  }
}

static void lhex(const u8 *p, u32 n) {
  static const char digits[] = "0123456789abcdef";
  for (u32 i = 0; i < n; i++) {
    char c[3] = {digits[p[i] >> 4], digits[p[i] & 15], 0};
    lput(c);
  }
}

static void lend(void) {
  line[line_len++] = '\n';
  line[line_len] = 0;
  put(line);
  line_len = 0;
}

static void fail(const char *why) {
  line_len = 0;
  lput("ERROR ");
  lput(why);
  lend();
  finish(0);
}

void harness_fault(u32 *sp) {
  line_len = 0;
  lput("ERROR fault, pc=");
  lnum(sp[6]);
  lput(" lr=");
  lnum(sp[5]);
  lend();
  finish(0);
}

static u32 read_file(const char *name, u32 len_name, u8 *dst, u32 max) {
  u32 open_args[3] = {(u32)name, 1 /* "rb" */, len_name};
  u32 h = semihost(SYS_OPEN, open_args);
  if (h == 0xffffffffu) fail("cannot open input file");
  u32 flen_args[1] = {h};
  u32 n = semihost(SYS_FLEN, flen_args);
  if (n > max) fail("input file too large");
  u32 read_args[3] = {h, (u32)dst, n};
  if (semihost(SYS_READ, read_args) != 0) fail("short read");
  semihost(SYS_CLOSE, flen_args);
  return n;
}

static u32 rd32(const u8 *p) { return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24); }

/* ---- Exact instruction counting ---------------------------------------------------------------------- */

/* Elapsed ticks since the last write to SYST_CVR: the write clears the counter, the next tick reloads
 * 0xffffff, and it counts down from there. */
static u32 ticks_since_reset(u32 cvr) { return cvr == 0 ? 0 : 0x1000000u - cvr; }

/* One timed run (timed_call in startup.S): restart the tick phase, 64 + k NOPs (at least one full tick,
 * so that the counter is past its reload), then the call. Runs differ only by the k extra NOPs. */
static u32 timed_run(u32 fn, const u32 args[4], u32 k, int *ret) {
  u32 sled = ((u32)nop_sled_end - 2u * (64u + k)) | 1u;
  return ticks_since_reset(timed_call(sled, fn, args, ret));
}

/* Instructions of timed_run's fixed part plus the callee, up to an additive constant (see the header):
 * 40 * ticks(k=0) - k1, with k1 in [1, 40] the smallest k that adds a tick. */
static u32 vernier(u32 fn, const u32 args[4], int *ret) {
  u32 t0 = timed_run(fn, args, 0, ret);
  u32 lo = 1, hi = 40;
  while (lo < hi) {
    u32 mid = (lo + hi) / 2;
    int r;
    if (timed_run(fn, args, mid, &r) > t0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return 40u * t0 - lo;
}

static u32 vernier_base;

/* Instructions executed by fn from its first instruction through its return, inclusive. */
static u32 measure(u32 fn, const u32 args[4], int *ret) {
  return vernier(fn, args, ret) - vernier_base + 1;
}

static void counter_self_test(void) {
  static const u32 zero[4] = {0, 0, 0, 0};
  int r;
  SYST_RVR = 0x00ffffff;
  SYST_CVR = 0;
  SYST_CSR = 5; /* enable, processor clock, no interrupt */
  vernier_base = vernier((u32)empty_fn, zero, &r);
  /* k NOPs and a BX: k + 1 instructions */
  static const u32 ks[] = {0, 1, 2, 3, 38, 39, 40, 41, 63};
  for (u32 i = 0; i < sizeof ks / sizeof ks[0]; i++) {
    u32 fn = ((u32)nop_sled_end - 2u * ks[i]) | 1u;
    if (measure(fn, zero, &r) != ks[i] + 1) {
      line_len = 0;
      lput("ERROR instruction counter self-test: sled ");
      lnum(ks[i]);
      lput(" measured ");
      lnum(measure(fn, zero, &r));
      lend();
      finish(0);
    }
  }
  /* count_loop(n): 2n + 1 instructions; long runs catch a tick period other than 40 */
  static const u32 ns[] = {1, 2, 1000, 123457, 2000003};
  for (u32 i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    u32 args[4] = {ns[i], 0, 0, 0};
    u32 got = measure((u32)count_loop | 1u, args, &r);
    if (got != 2 * ns[i] + 1) {
      line_len = 0;
      lput("ERROR instruction counter self-test: loop ");
      lnum(ns[i]);
      lput(" measured ");
      lnum(got);
      lend();
      finish(0);
    }
  }
}

/* Stack high-water mark of one call: paint everything below the caller's frame, call, and find the lowest
 * word that changed. Bytes from the SP the callee starts with. */
static u32 stack_used(u32 fn, const u32 args[4], int *ret) {
  u32 *bottom = (u32 *)(((u32)&__bss_end + 7u) & ~7u);
  u32 sp;
  paint_stack(bottom, PAINT);
  *ret = call_with_sp(fn, args, &sp);
  u32 *p = bottom;
  while (p < (u32 *)sp && *p == PAINT) p++;
  if (p == bottom) fail("stack overflowed the painted area");
  return sp - (u32)p;
}

/* ---- Jobs ---------------------------------------------------------------------------------------------- */

static u8 out[64];

void harness_main(void) {
  u8 *blob = (u8 *)BLOB_ADDR;
  u8 *job = (u8 *)JOB_ADDR;
  counter_self_test();
  u32 blob_len = read_file("blob.bin", 8, blob, BLOB_MAX);
  u32 job_len = read_file("job.bin", 7, job, JOB_MAX);
  if (job_len < 36 || rd32(job) != 0x424f4a43u /* "CJOB" */) fail("bad job header");
  u32 count = rd32(job + 4);
  u32 off[6];
  for (int i = 0; i < 6; i++) off[i] = rd32(job + 8 + 4 * i);
  if (rd32(job + 32) != blob_len) fail("blob size differs from the job's");
  for (int i = 0; i < 6; i++)
    if (off[i] >= blob_len || (off[i] & 1)) fail("bad entry offset");
  u32 e_verify = (u32)blob + off[0] + 1, e_sign = (u32)blob + off[1] + 1;
  u32 e_pub = (u32)blob + off[2] + 1, e_sha = (u32)blob + off[3] + 1, e_check = (u32)blob + off[4] + 1;
  u32 e_version = (u32)blob + off[5] + 1;

  int version = ((int (*)(void))e_version)();
  line_len = 0;
  lput("VERSION ");
  lint(version);
  lput(" blob=");
  lnum(blob_len);
  lput(" at=");
  lnum((u32)blob);
  lend();

  const u8 *p = job + 36;
  const u8 *end = job + job_len;
  for (u32 i = 0; i < count; i++) {
    if (p + 8 > end) fail("truncated record");
    u8 op = p[0], meas = p[1];
    u32 mlen = rd32(p + 4);
    const u8 *d = p + 8;
    u32 args[4], fn, outlen = 0, need;
    switch (op) {
      case 'V': /* verify(sig, pub, msg, len) */
        need = 96 + mlen;
        args[0] = (u32)d;
        args[1] = (u32)(d + 64);
        args[2] = (u32)(d + 96);
        args[3] = mlen;
        fn = e_verify;
        break;
      case 'S': /* sign(out, seed, msg, len) */
        need = 32 + mlen;
        args[0] = (u32)out;
        args[1] = (u32)d;
        args[2] = (u32)(d + 32);
        args[3] = mlen;
        fn = e_sign;
        outlen = 64;
        break;
      case 'P': /* pubkey(out, seed) */
        need = 32;
        args[0] = (u32)out;
        args[1] = (u32)d;
        args[2] = args[3] = 0;
        fn = e_pub;
        outlen = 32;
        break;
      case 'H': /* sha512(out, msg, len) */
        need = mlen;
        args[0] = (u32)out;
        args[1] = (u32)d;
        args[2] = mlen;
        args[3] = 0;
        fn = e_sha;
        outlen = 64;
        break;
      case 'K': /* check_pubkey(pub) */
        need = 32;
        args[0] = (u32)d;
        args[1] = args[2] = args[3] = 0;
        fn = e_check;
        break;
      default:
        fail("unknown op");
        return;
    }
    if (d + need > end) fail("truncated record data");
    int ret;
    u32 icount = 0, stack = 0;
    if (meas) {
      stack = stack_used(fn, args, &ret);
      int r2;
      icount = measure(fn, args, &r2);
      if (r2 != ret) fail("result changed between runs");
    } else {
      ret = call_with_sp(fn, args, &stack);
      stack = 0;
    }
    line_len = 0;
    char o[2] = {(char)op, 0};
    lput(o);
    lput(" ");
    lnum(i);
    lput(" ");
    lint(ret);
    if (outlen) {
      lput(" ");
      lhex(out, outlen);
    }
    if (meas) {
      lput(" icount=");
      lnum(icount);
      lput(" stack=");
      lnum(stack);
    }
    lend();
    p = d + ((need + 3u) & ~3u);
  }
  line_len = 0;
  lput("DONE ");
  lnum(count);
  lend();
  finish(1);
}
