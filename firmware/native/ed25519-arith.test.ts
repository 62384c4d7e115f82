// The field (GF(2^255 - 19)) and scalar (mod L) arithmetic of the native Ed25519 on edge values, checked
// against big integers on all three builds of the same C: Thumb under QEMU (the UMAAL instruction path),
// WebAssembly, and the host build under the sanitizers. Carry chains fail on values that random inputs
// almost never produce (limbs of all ones, sums just above 2^256, p .. 2^256 - 1), so they are listed here.
// The entry point comes from test-c/fe-test.c, a test-only wrapper around the unity build.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NATIVE_DIR,
  THUMB_CFLAGS,
  WASM_CFLAGS,
  ensureNativeBuild,
  linkCheckedBlob,
  run,
  type NativeBuild,
} from './build';
import { runHarness } from './qemu';
import { L, P, bigToBytesLE, bytesToBigLE, mod, powMod } from './ref/ed25519-ref';

const OP = {
  mul: 0,
  sq: 1,
  add: 2,
  sub: 3,
  canon: 4,
  invert: 5,
  pow22523: 6,
  neg: 7,
  scReduce64: 8,
  scMuladd: 9,
  sqn3: 10,
} as const;

interface Case {
  input: Uint8Array;
  /** The exact expected output, or a check modulo p for the loosely reduced field results. */
  exact?: bigint;
  modP?: bigint;
  what: string;
}

const TWO256 = 1n << 256n;
const FIELD_EDGES: bigint[] = [
  0n,
  1n,
  2n,
  19n,
  37n,
  38n,
  39n,
  (1n << 32n) - 1n,
  1n << 32n,
  (1n << 64n) - 1n,
  1n << 224n,
  P - 2n,
  P - 1n,
  P,
  P + 1n,
  P + 18n,
  P + 19n,
  P + 37n,
  (1n << 255n) - 1n,
  1n << 255n,
  (1n << 255n) + 18n,
  (1n << 255n) + 19n,
  2n * P - 1n,
  2n * P,
  2n * P + 1n,
  TWO256 - 39n,
  TWO256 - 38n,
  TWO256 - 37n,
  TWO256 - 20n,
  TWO256 - 19n,
  TWO256 - 1n,
  BigInt('0x' + '55'.repeat(32)),
  BigInt('0x' + 'aa'.repeat(32)),
  BigInt('0x' + 'ffffffff00000000'.repeat(4)),
  BigInt('0x' + '00000000ffffffff'.repeat(4)),
  BigInt('0x' + '8000000000000000'.repeat(4)),
];

/** Deterministic pseudo-random values below `limit` (a linear congruential walk; reproducible). */
function pseudoRandom(n: number, limit: bigint, salt: bigint): bigint[] {
  const out: bigint[] = [];
  let x = 0x243f6a8885a308d3n ^ salt;
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let k = 0; k < 8; k++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      v = (v << 64n) | x;
    }
    out.push(v % limit);
  }
  return out;
}

function input(op: number, ...operands: [bigint, number][]): Uint8Array {
  const parts = operands.map(([v, n]) => bigToBytesLE(v, n));
  const out = new Uint8Array(1 + parts.reduce((s, p) => s + p.length, 0));
  out[0] = op;
  let o = 1;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function cases(): Case[] {
  const out: Case[] = [];
  const values = [...FIELD_EDGES, ...pseudoRandom(12, TWO256, 1n)];
  for (const a of values) {
    for (const b of values) {
      out.push({ input: input(OP.mul, [a, 32], [b, 32]), modP: mod(a * b), what: `mul ${a} ${b}` });
      out.push({ input: input(OP.add, [a, 32], [b, 32]), modP: mod(a + b), what: `add ${a} ${b}` });
      out.push({ input: input(OP.sub, [a, 32], [b, 32]), modP: mod(a - b), what: `sub ${a} ${b}` });
    }
    out.push({ input: input(OP.sq, [a, 32]), modP: mod(a * a), what: `sq ${a}` });
    out.push({ input: input(OP.sqn3, [a, 32]), modP: powMod(a, 8n), what: `sqn3 ${a}` });
    out.push({ input: input(OP.canon, [a, 32]), exact: mod(a), what: `canon ${a}` });
    out.push({ input: input(OP.neg, [a, 32]), modP: mod(-a), what: `neg ${a}` });
    out.push({ input: input(OP.invert, [a, 32]), modP: powMod(a, P - 2n), what: `invert ${a}` });
    out.push({ input: input(OP.pow22523, [a, 32]), modP: powMod(a, (P - 5n) / 8n), what: `pow22523 ${a}` });
  }
  const TWO512 = 1n << 512n;
  const wide = [
    0n,
    1n,
    L - 1n,
    L,
    L + 1n,
    2n * L - 1n,
    2n * L,
    3n * L,
    1n << 252n,
    1n << 253n,
    TWO256 - 1n,
    TWO256,
    L << 256n,
    (L << 256n) - 1n,
    L * L - 1n,
    L * L,
    1n << 511n,
    TWO512 - 1n,
    TWO512 - L,
    TWO512 - 2n * L - 1n,
    BigInt('0x' + 'ff'.repeat(64)) - (1n << 288n),
    ...pseudoRandom(60, TWO512, 2n),
  ];
  for (const x of wide)
    out.push({ input: input(OP.scReduce64, [x, 64]), exact: x % L, what: `sc_reduce ${x}` });
  const sc = [
    0n,
    1n,
    L - 1n,
    L,
    (1n << 255n) - 1n,
    (1n << 254n) + 8n,
    TWO256 - 1n,
    ...pseudoRandom(4, TWO256, 3n),
  ];
  for (const a of sc) {
    for (const b of sc) {
      for (const c of [0n, L - 1n, TWO256 - 1n]) {
        out.push({
          input: input(OP.scMuladd, [a, 32], [b, 32], [c, 32]),
          exact: (a * b + c) % L,
          what: `sc_muladd ${a} ${b} ${c}`,
        });
      }
    }
  }
  return out;
}

function check(c: Case, out: Uint8Array): void {
  const v = bytesToBigLE(out.subarray(0, 32));
  if (c.exact !== undefined) expect(v, c.what).toBe(c.exact);
  else expect(mod(v), c.what).toBe(c.modP);
}

let build: NativeBuild;
let work: string;
let all: Case[];

beforeAll(() => {
  build = ensureNativeBuild();
  work = mkdtempSync(path.join(os.tmpdir(), 'carnet-arith-'));
  all = cases();
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const FE_TEST = path.join(NATIVE_DIR, 'test-c', 'fe-test.c');

describe('field and scalar arithmetic on edge values', () => {
  it('is exact in the WebAssembly build', () => {
    const wasm = path.join(work, 'fe-test.wasm');
    run('clang', [...WASM_CFLAGS, '-o', wasm, FE_TEST]);
    const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), {}).exports as unknown as {
      memory: WebAssembly.Memory;
      __heap_base: WebAssembly.Global;
      carnet_test_op(out: number, inp: number, len: number): number;
    };
    const base = x.__heap_base.value as number;
    for (const c of all) {
      new Uint8Array(x.memory.buffer).set(c.input, base + 64);
      expect(x.carnet_test_op(base, base + 64, c.input.length), c.what).toBe(0);
      check(c, new Uint8Array(x.memory.buffer, base, 32));
    }
    console.log(`WASM: ${all.length} arithmetic cases exact`);
  });

  it('is exact in the Thumb build under QEMU (UMAAL instruction path)', () => {
    const obj = path.join(work, 'fe-test.o');
    run('arm-none-eabi-gcc', [...THUMB_CFLAGS, '-c', '-o', obj, FE_TEST], work);
    const dir = path.join(work, 'thumb');
    mkdirSync(dir);
    const blob = linkCheckedBlob(obj, dir);
    const blobPath = path.join(dir, 'fe-test.bin');
    writeFileSync(blobPath, blob);
    const syms = run('arm-none-eabi-nm', [path.join(dir, 'a.elf')]);
    const offsetOf = (name: string): number => {
      const m = new RegExp(`^([0-9a-f]+) T ${name}$`, 'm').exec(syms);
      if (!m) throw new Error(`${name} missing`);
      return parseInt(m[1], 16) & ~1;
    };
    // The harness's SHA-512 record calls (out, data, len): point it at carnet_test_op.
    const testBuild: NativeBuild = {
      ...build,
      blob: blobPath,
      info: {
        ...build.info,
        size: blob.length,
        offsets: {
          carnet_ed25519_verify: offsetOf('carnet_ed25519_verify'),
          carnet_ed25519_sign: offsetOf('carnet_ed25519_sign'),
          carnet_ed25519_pubkey: offsetOf('carnet_ed25519_pubkey'),
          carnet_sha512: offsetOf('carnet_test_op'),
          carnet_ed25519_check_pubkey: offsetOf('carnet_ed25519_check_pubkey'),
          carnet_ed25519_version: offsetOf('carnet_ed25519_version'),
        },
      },
    };
    const r = runHarness(
      testBuild,
      all.map((c) => ({ op: 'sha512' as const, msg: c.input })),
    );
    r.results.forEach((res, i) => {
      expect(res.ret, all[i].what).toBe(0);
      check(all[i], res.out!);
    });
    console.log(`Thumb (QEMU): ${all.length} arithmetic cases exact`);
  });

  it('is exact, without undefined behaviour, in the sanitized host build', () => {
    const exe = path.join(work, 'fe-test-sanitized');
    run('gcc', [
      '-std=gnu11',
      '-O1',
      '-g',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      '-DCARNET_TEST_OP',
      '-o',
      exe,
      FE_TEST,
      path.join(NATIVE_DIR, 'test-c', 'driver.c'),
    ]);
    const lines = all.map((c) => `T ${Buffer.from(c.input).toString('hex')}`);
    const r = spawnSync(exe, [], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.stderr, 'sanitizer report').toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(all.length);
    out.forEach((o, i) => check(all[i], new Uint8Array(Buffer.from(o, 'hex'))));
    console.log(`sanitized host build: ${all.length} arithmetic cases exact`);
  });
});
