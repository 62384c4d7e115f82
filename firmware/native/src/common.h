/* Shared definitions of the carnet Ed25519 unity build (see ed25519.c).
 *
 * Freestanding C99: no libc, no heap, no writable globals. The same source is compiled to
 *  - a position-independent Thumb-2 blob for Cortex-M4 (arm-none-eabi-gcc), run by E.nativeCall;
 *  - WebAssembly (clang --target=wasm32), run by the Node tests and the simulator.
 */
#ifndef CARNET_COMMON_H
#define CARNET_COMMON_H

#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint64_t u64;
typedef int64_t i64;

/* Every internal function is static (internal linkage): with -fPIC, GCC then addresses the constant
 * tables PC-relative instead of through a GOT, so the blob runs at whatever address Storage maps it. */
#define INTERNAL static

#if defined(__wasm__)
#define CARNET_EXPORT(name) __attribute__((export_name(name), visibility("default")))
#else
/* "used" keeps the entry in the blob; the build reads its offset from the ELF symbol table. */
#define CARNET_EXPORT(name) __attribute__((used, noinline, visibility("default")))
#endif

/* Keeps a large stack frame out of its caller, so that phases (hashing, point arithmetic) do not add up
 * their frames: the stack budget is 3 KB. */
#define NOINLINE __attribute__((noinline))

/* UMAAL: (hi:lo) = a * b + lo + hi, the 32x32+32+32 -> 64 multiply-accumulate that cannot overflow
 * ((2^32-1)^2 + 2(2^32-1) = 2^64-1). Cortex-M4 executes it in one cycle, with a data-independent timing
 * (ARMv7E-M DSP extension; the Cortex-M3 lacks it, see README). GCC 12 does not form it from C, so the
 * Thumb build states it; every other target (WebAssembly) computes the same value in C. Both are the same
 * mathematical operation on the same operands: the Thumb build is checked against the WASM results by the
 * emulator test on every vector. */
#if defined(__ARM_ARCH_7EM__) && defined(__thumb2__)
#define UMAAL(lo, hi, a, b) __asm__("umaal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b))
#else
#define UMAAL(lo, hi, a, b)                                        \
  do {                                                             \
    u64 umaal_t_ = (u64)(a) * (u64)(b) + (u64)(lo) + (u64)(hi);    \
    (lo) = (u32)umaal_t_;                                          \
    (hi) = (u32)(umaal_t_ >> 32);                                  \
  } while (0)
#endif

/* Constant-time helpers: masks are all-ones or zero, computed without comparisons that a compiler could
 * turn into branches. */
INTERNAL inline u32 ct_mask(u32 bit) { return (u32)0 - (bit & 1); }
/* 1 if a == b (for a, b < 2^31), else 0. */
INTERNAL inline u32 ct_eq_small(u32 a, u32 b) { return ((a ^ b) - 1) >> 31; }

INTERNAL inline u32 load32_le(const u8 *p) {
  return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

INTERNAL inline void store32_le(u8 *p, u32 v) {
  p[0] = (u8)v;
  p[1] = (u8)(v >> 8);
  p[2] = (u8)(v >> 16);
  p[3] = (u8)(v >> 24);
}

/* Erases secrets from the stack before returning. The volatile pointer keeps the compiler from
 * removing the stores as dead. */
INTERNAL void wipe(void *p, u32 n) {
  volatile u8 *q = (volatile u8 *)p;
  while (n--) *q++ = 0;
}

#endif
