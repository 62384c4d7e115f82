// The Thumb blob itself (firmware/native/build/ed25519.bin, the bytes stored on the reader) run on an
// emulated Cortex-M4 (QEMU mps2-an386) by harness/harness.c, which loads it at run time at an address
// that is neither its link address nor 8-byte aligned and calls entries at blob + offset | 1, as
// E.nativeCall does. Verdicts and outputs are compared with the WASM build and node:crypto; signing is
// checked to execute the same number of instructions whatever the key and message contents.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEd25519Wasm, type Ed25519Wasm } from '../src/platform/node/ed25519-wasm';
import { NATIVE_STACK_MAX_BYTES, ensureNativeBuild, type NativeBuild } from './build';
import { runHarness, type HarnessOp } from './qemu';
import {
  hostVerify,
  nodeKeyAndSign,
  protocolEd25519Vectors,
  rfc8032Tests,
  sha512,
  toHex,
  wycheproofCases,
  type VerifyCase,
} from './test-support';
import { ED25519_SMALL_ORDER_KEYS_HEX } from '../../protocol/src/crypto/ed25519-rule';
import { P, bigToBytesLE } from './ref/ed25519-ref';

/** Fixed seed of the random cases (printed). */
export const QEMU_SEED = 0x0e25519e;
const RANDOM_CASES = 48;

let build: NativeBuild;
let ed: Ed25519Wasm;

beforeAll(() => {
  build = ensureNativeBuild();
  ed = loadEd25519Wasm(build.wasm);
  console.log(`fast-check seed ${QEMU_SEED} (0x${QEMU_SEED.toString(16)})`);
});

function fullLength(c: VerifyCase): boolean {
  return c.sig.length === 64 && c.pub.length === 32;
}

describe('Thumb blob on an emulated Cortex-M4', () => {
  it('gives the WASM build’s and the host’s verdicts and outputs on every vector and random case', () => {
    const ops: HarnessOp[] = [];
    const checks: ((r: { ret: number; out?: Uint8Array }) => void)[] = [];
    const add = (op: HarnessOp, check: (r: { ret: number; out?: Uint8Array }) => void): void => {
      ops.push(op);
      checks.push(check);
    };

    for (const t of rfc8032Tests()) {
      add({ op: 'pubkey', seed: t.seed }, (r) => expect(toHex(r.out!), t.name).toBe(toHex(t.pub)));
      add({ op: 'sign', seed: t.seed, msg: t.msg }, (r) => expect(toHex(r.out!), t.name).toBe(toHex(t.sig)));
      add({ op: 'verify', sig: t.sig, pub: t.pub, msg: t.msg }, (r) => expect(r.ret, t.name).toBe(1));
    }

    // Wycheproof and the protocol's golden file. Cases whose signature or key has the wrong length never
    // reach the C: the Espruino wrapper answers false first (ed25519-native.test.ts); they are all invalid.
    const vectors = [...wycheproofCases(), ...protocolEd25519Vectors().flatMap((f) => f.cases)];
    const short = vectors.filter((c) => !fullLength(c));
    for (const c of short) expect(c.valid, c.id).toBe(false);
    for (const c of vectors.filter(fullLength)) {
      add({ op: 'verify', sig: c.sig, pub: c.pub, msg: c.msg }, (r) => {
        expect(r.ret === 1, `${c.id} ${c.comment}`).toBe(c.valid);
        expect(r.ret === 1, `${c.id} host`).toBe(hostVerify(c.sig, c.pub, c.msg));
        expect(r.ret === 1, `${c.id} wasm`).toBe(ed.verify(c.sig, c.pub, c.msg));
      });
    }

    // Random keys and messages: same public keys and signatures as node:crypto; one mutated bit refused.
    const samples = fc.sample(
      fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat()),
      { seed: QEMU_SEED, numRuns: RANDOM_CASES },
    );
    for (const [seed, msg, bit] of samples) {
      const node = nodeKeyAndSign(seed, msg);
      const bad = new Uint8Array(node.sig);
      bad[(bit % 512) >> 3] ^= 1 << (bit & 7);
      add({ op: 'pubkey', seed }, (r) => expect(toHex(r.out!)).toBe(toHex(node.pub)));
      add({ op: 'sign', seed, msg }, (r) => expect(toHex(r.out!)).toBe(toHex(node.sig)));
      add({ op: 'verify', sig: node.sig, pub: node.pub, msg }, (r) => expect(r.ret).toBe(1));
      add({ op: 'verify', sig: bad, pub: node.pub, msg }, (r) => expect(r.ret).toBe(0));
    }

    // SHA-512 across the padding boundaries (FIPS 180-4 §5.1.2).
    const data = new Uint8Array(1000).map((_, i) => (i * 7 + 3) & 0xff);
    for (const n of [0, 1, 3, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 1000]) {
      add({ op: 'sha512', msg: data.subarray(0, n) }, (r) =>
        expect(toHex(r.out!), `${n}`).toBe(toHex(sha512(data.subarray(0, n)))),
      );
    }

    // Key checks with a reason: small order, x = 0 with the sign bit, non-canonical, near p, random.
    const keys: Uint8Array[] = ED25519_SMALL_ORDER_KEYS_HEX.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    for (let y = P - 3n; y < 1n << 255n; y++)
      keys.push(bigToBytesLE(y, 32), bigToBytesLE(y | (1n << 255n), 32));
    for (const [seed] of samples.slice(0, 24)) keys.push(seed);
    for (const k of keys) {
      add({ op: 'checkPubkey', pub: k }, (r) => {
        expect(r.ret, toHex(k)).toBe(ed.checkPublicKey(k));
      });
    }

    const run = runHarness(build, ops);
    expect(run.version).toBe(build.info.abi);
    expect(run.blobSize).toBe(build.info.size);
    // Not the link address (0), and only word aligned, like a Storage file.
    expect(run.blobAddress).not.toBe(0);
    expect(run.blobAddress % 8).toBe(4);
    run.results.forEach((r, i) => checks[i](r));
    console.log(
      `QEMU: ${ops.length} operations on the Thumb blob at 0x${run.blobAddress.toString(16)}, all equal to WASM and ` +
        `node:crypto (${short.length} wrong-length vectors are refused by the wrapper before the C)`,
    );
  });

  it('signs in a number of instructions that depends on the message length only, within 3 KB of stack', () => {
    const lengths = [0, 40, 200];
    const seeds = fc.sample(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
      seed: QEMU_SEED + 1,
      numRuns: 5,
    });
    // Extreme secrets as well: scalar digits all zero, all -8 / 7 after recoding.
    seeds.push(new Uint8Array(32), new Uint8Array(32).fill(0xff));
    const ops: HarnessOp[] = [];
    for (const n of lengths) {
      for (const seed of seeds) {
        ops.push({ op: 'sign', seed, msg: new Uint8Array(n).fill(seed[0]), measure: true });
        ops.push({
          op: 'sign',
          seed,
          msg: new Uint8Array(n).map((_, i) => (i * 37 + seed[1]) & 0xff),
          measure: true,
        });
      }
    }
    for (const seed of seeds) ops.push({ op: 'pubkey', seed, measure: true });
    const t = rfc8032Tests()[3];
    ops.push({ op: 'verify', sig: t.sig, pub: t.pub, msg: t.msg, measure: true });
    ops.push({ op: 'sha512', msg: t.msg, measure: true });
    ops.push({ op: 'checkPubkey', pub: t.pub, measure: true });
    const run = runHarness(build, ops);
    let k = 0;
    const summary: string[] = [];
    for (const n of lengths) {
      const counts = new Set<number>();
      for (let i = 0; i < 2 * seeds.length; i++) {
        const r = run.results[k++];
        expect(r.stack!).toBeLessThanOrEqual(NATIVE_STACK_MAX_BYTES);
        counts.add(r.icount!);
      }
      expect([...counts], `message length ${n}`).toHaveLength(1);
      summary.push(`sign(${n} bytes) ${[...counts][0]}`);
    }
    const pubCounts = new Set<number>();
    for (let i = 0; i < seeds.length; i++) pubCounts.add(run.results[k++].icount!);
    expect([...pubCounts]).toHaveLength(1);
    summary.push(`pubkey ${[...pubCounts][0]}`);
    for (const r of run.results.slice(k)) expect(r.stack!).toBeLessThanOrEqual(NATIVE_STACK_MAX_BYTES);
    expect(run.results[k].ret).toBe(1);
    console.log(`instructions, equal for ${seeds.length} keys x 2 messages each: ${summary.join(', ')}`);
  });
});
