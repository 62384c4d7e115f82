/* Startup code for the carnet Ed25519 emulator harness (QEMU mps2-an386, Cortex-M4). */
  .syntax unified
  .thumb

  .section .vectors, "a"
  .align 2
  .global vectors
vectors:
  .word __stack_top
  .word reset_handler
  .word fault_handler   /* NMI */
  .word fault_handler   /* HardFault */
  .word fault_handler   /* MemManage */
  .word fault_handler   /* BusFault */
  .word fault_handler   /* UsageFault */

  .text
  .thumb_func
  .global reset_handler
reset_handler:
  ldr r0, =__bss_start
  ldr r1, =__bss_end
  movs r2, #0
1:
  cmp r0, r1
  bhs 2f
  str r2, [r0], #4
  b 1b
2:
  bl harness_main
  /* harness_main exits through semihosting; never reached */
3:
  b 3b

  .thumb_func
  .global fault_handler
fault_handler:
  mrs r0, msp
  bl harness_fault
4:
  b 4b

/* Semihosting call (ARM semihosting specification, Thumb state: BKPT 0xAB): r0 = operation, r1 = argument. */
  .thumb_func
  .global semihost
semihost:
  bkpt 0xab
  bx lr

/* A sled of 128 16-bit NOPs then a return. Entering at nop_sled_end - 2k runs exactly k NOPs and the BX:
 * the variable delay of the instruction counter's vernier (harness.c, measure()). */
  .align 2
  .thumb_func
  .global nop_sled
nop_sled:
  .rept 128
  nop.n
  .endr
  .global nop_sled_end
nop_sled_end:
  bx lr

/* Known instruction counts for the counter's self-test: empty_fn runs 1 instruction; count_loop(n) runs
 * 2n + 1 (SUBS and BNE per iteration, then BX). */
  .thumb_func
  .global empty_fn
empty_fn:
  bx lr

  .thumb_func
  .global count_loop
count_loop:
  subs r0, r0, #1
  bne count_loop
  bx lr

/* Paints the stack from r0 (inclusive, word aligned) up to 16 bytes below the current SP with r1. A leaf
 * that touches no stack itself, so the painted area starts right under the caller's frame. */
  .thumb_func
  .global paint_stack
paint_stack:
  mov r2, sp
  subs r2, r2, #16
5:
  cmp r0, r2
  bhs 6f
  str r1, [r0], #4
  b 5b
6:
  bx lr

/* The timed region of the instruction counter, in assembly so that it is the same instructions whatever
 * the delay: restart SysTick's tick phase (any write to SYST_CVR), run the NOP sled from its entry `sled`,
 * call fn(args[0..3]), read SYST_CVR. Stores fn's result in *ret and returns the SYST_CVR value.
 * u32 timed_call(u32 sled, u32 fn, const u32 args[4], int *ret) */
  .thumb_func
  .global timed_call
timed_call:
  push {r4, r5, r6, r7, r8, lr}   /* 24 bytes: the callee keeps an 8-byte aligned SP (AAPCS) */
  mov r4, r1
  mov r5, r2
  mov r6, r3
  ldr r7, =0xe000e018
  movs r1, #0
  str r1, [r7]
  blx r0
  ldr r0, [r5, #0]
  ldr r1, [r5, #4]
  ldr r2, [r5, #8]
  ldr r3, [r5, #12]
  blx r4
  ldr r1, [r7]
  str r0, [r6]
  mov r0, r1
  pop {r4, r5, r6, r7, r8, pc}
  .ltorg

/* Calls fn(a, b, c, d) and returns its result, storing in *sp_out the SP the callee starts with. */
  .thumb_func
  .global call_with_sp
call_with_sp:                 /* r0 = fn, r1 = args (4 words), r2 = sp_out */
  push {r4, r5, r6, lr}
  mov r4, r0
  mov r5, r2
  ldr r0, [r1, #0]
  ldr r2, [r1, #8]
  ldr r3, [r1, #12]
  ldr r1, [r1, #4]
  mov r6, sp
  str r6, [r5]
  blx r4
  pop {r4, r5, r6, pc}
