// The native Ed25519 C compiled a third time, for the build machine with GCC's AddressSanitizer and
// UndefinedBehaviorSanitizer (test-c/driver.c), and run on the vectors and on random cases: any undefined
// behaviour (over-wide shift, signed overflow, out-of-bounds access), which the Thumb and WASM compilers
// could each turn into different code, aborts the run. Outputs must equal the WASM build's.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ED25519_SMALL_ORDER_KEYS_HEX } from '../../protocol/src/crypto/ed25519-rule';
import { loadEd25519Wasm, type Ed25519Wasm } from '../src/platform/node/ed25519-wasm';
import { NATIVE_DIR, SRC_DIR, ensureNativeBuild, run } from './build';
import { P, bigToBytesLE } from './ref/ed25519-ref';
import { fromHex, protocolEd25519Vectors, rfc8032Tests, toHex, wycheproofCases } from './test-support';

/** Fixed seed of the random cases (printed). */
export const SANITIZE_SEED = 0x5a17e255;
const RANDOM_CASES = 300;

let work: string;
let exe: string;
let ed: Ed25519Wasm;

beforeAll(() => {
  ed = loadEd25519Wasm(ensureNativeBuild().wasm);
  work = mkdtempSync(path.join(os.tmpdir(), 'carnet-sanitize-'));
  exe = path.join(work, 'ed25519-sanitized');
  run('gcc', [
    '-std=gnu11',
    '-O1',
    '-g',
    '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-o',
    exe,
    path.join(SRC_DIR, 'ed25519.c'),
    path.join(NATIVE_DIR, 'test-c', 'driver.c'),
  ]);
  console.log(`fast-check seed ${SANITIZE_SEED} (0x${SANITIZE_SEED.toString(16)})`);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const h = (b: Uint8Array): string => (b.length === 0 ? '-' : toHex(b));

describe('native Ed25519 under AddressSanitizer and UndefinedBehaviorSanitizer (host build)', () => {
  it('runs vectors, random cases, key checks and hashes without undefined behaviour, like the WASM build', () => {
    const lines: string[] = [];
    const expected: string[] = [];
    const add = (line: string, want: string): void => {
      lines.push(line);
      expected.push(want);
    };
    for (const t of rfc8032Tests()) {
      add(`P ${h(t.seed)}`, toHex(t.pub));
      add(`S ${h(t.seed)} ${h(t.msg)}`, toHex(t.sig));
      add(`V ${h(t.sig)} ${h(t.pub)} ${h(t.msg)}`, '1');
    }
    for (const c of [...wycheproofCases(), ...protocolEd25519Vectors().flatMap((f) => f.cases)]) {
      if (c.sig.length !== 64 || c.pub.length !== 32) continue; // refused by every wrapper before the C
      add(`V ${h(c.sig)} ${h(c.pub)} ${h(c.msg)}`, c.valid ? '1' : '0');
    }
    const samples = fc.sample(
      fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat()),
      { seed: SANITIZE_SEED, numRuns: RANDOM_CASES },
    );
    for (const [seed, msg, bit] of samples) {
      const pub = ed.publicKey(seed);
      const sig = ed.sign(seed, msg);
      add(`P ${h(seed)}`, toHex(pub));
      add(`S ${h(seed)} ${h(msg)}`, toHex(sig));
      add(`V ${h(sig)} ${h(pub)} ${h(msg)}`, '1');
      const bad = new Uint8Array(sig);
      bad[(bit % 512) >> 3] ^= 1 << (bit & 7);
      add(`V ${h(bad)} ${h(pub)} ${h(msg)}`, '0');
      add(`K ${h(seed)}`, String(ed.checkPublicKey(seed)));
      add(`H ${h(msg)}`, toHex(ed.sha512(msg)));
    }
    const keys = ED25519_SMALL_ORDER_KEYS_HEX.map(fromHex);
    for (let y = P - 3n; y < 1n << 255n; y++)
      keys.push(bigToBytesLE(y, 32), bigToBytesLE(y | (1n << 255n), 32));
    for (const k of keys) add(`K ${h(k)}`, String(ed.checkPublicKey(k)));

    const r = spawnSync(exe, [], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.stderr, 'sanitizer report').toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(lines.length);
    out.forEach((o, i) => expect(o, lines[i].slice(0, 80)).toBe(expected[i]));
    console.log(
      `sanitized host build: ${lines.length} operations, no undefined behaviour, same outputs as WASM`,
    );
  });
});
