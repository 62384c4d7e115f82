// Property tests of the native Ed25519 (WASM build of the reader's C) against node:crypto (OpenSSL) and
// tweetnacl, on random keys and messages from a fixed, printed fast-check seed. With the mutation suite
// (ed25519-mutations.test.ts) this is the ">= 20,000 random messages and keys": 10,000 signed
// cases + 10,000 hostile inputs + 200 tweetnacl cases here, 200 exhaustively mutated signatures there.

import fc from 'fast-check';
import nacl from 'tweetnacl';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEd25519Wasm, type Ed25519Wasm } from '../src/platform/node/ed25519-wasm';
import { ensureNativeBuild } from './build';
import { hostVerify, nodeKeyAndSign, referenceVerify, toHex } from './test-support';

/** Fixed seed of these properties (house rule: printed, so that a failure can be replayed). */
export const PROPERTY_SEED = 0x25519ca5;
/** Signed (key, message) cases compared with node:crypto. */
const SIGNED_RUNS = 10_000;
/** Hostile (signature, key, message) triples whose verdict must equal the host verifier's. */
const HOSTILE_RUNS = 10_000;
/** Cases also compared with tweetnacl (about 40 ms each in pure JavaScript: key, signature, 2 verifications). */
const TWEETNACL_RUNS = 200;

let ed: Ed25519Wasm;

beforeAll(() => {
  ed = loadEd25519Wasm(ensureNativeBuild().wasm);
  console.log(`fast-check seed ${PROPERTY_SEED} (0x${PROPERTY_SEED.toString(16)})`);
});

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const msgArb = fc.uint8Array({ minLength: 0, maxLength: 400 });

function flip(b: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(b);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

describe('native Ed25519 (WASM) against node:crypto', () => {
  it(`signs and verifies like node:crypto on ${SIGNED_RUNS} random keys and messages`, () => {
    fc.assert(
      fc.property(seedArb, msgArb, (seed, msg) => {
        const pub = ed.publicKey(seed);
        const sig = ed.sign(seed, msg);
        const node = nodeKeyAndSign(seed, msg);
        expect(toHex(pub)).toBe(toHex(node.pub));
        expect(toHex(sig)).toBe(toHex(node.sig));
        expect(ed.verify(sig, pub, msg)).toBe(true);
        expect(hostVerify(sig, pub, msg)).toBe(true);
      }),
      { seed: PROPERTY_SEED, numRuns: SIGNED_RUNS },
    );
    console.log(`${SIGNED_RUNS} keys and messages: same public keys, signatures and verdicts as node:crypto`);
  });

  it(`gives the host verifier's verdict on ${HOSTILE_RUNS} hostile inputs`, () => {
    const kinds = [0, 0, 0, 0, 0, 0];
    fc.assert(
      fc.property(
        seedArb,
        msgArb,
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 5 }),
        (seed, msg, junkSig, junkPub, kind) => {
          const pub = ed.publicKey(seed);
          const good = ed.sign(seed, msg);
          let sig: Uint8Array;
          let key: Uint8Array;
          switch (kind) {
            case 0: // random signature, real key
              sig = junkSig;
              key = pub;
              break;
            case 1: // real signature, random key
              sig = good;
              key = junkPub;
              break;
            case 2: // real R, random S below 2^253 (often >= L), real key
              sig = new Uint8Array(good);
              sig.set(junkSig.subarray(32), 32);
              sig[63] &= 0x1f;
              key = pub;
              break;
            case 3: // random R, real S
              sig = new Uint8Array(good);
              sig.set(junkSig.subarray(0, 32), 0);
              key = pub;
              break;
            case 4: // signature of another message
              sig = ed.sign(seed, junkSig);
              key = pub;
              break;
            default: // one flipped bit of the valid signature or key
              sig = new Uint8Array(good);
              key = new Uint8Array(pub);
              if (junkSig[0] & 1) sig[junkSig[1] & 63] ^= 1 << (junkSig[2] & 7);
              else key[junkSig[1] & 31] ^= 1 << (junkSig[2] & 7);
          }
          const got = ed.verify(sig, key, msg);
          expect(got).toBe(hostVerify(sig, key, msg));
          kinds[kind]++;
        },
      ),
      { seed: PROPERTY_SEED + 1, numRuns: HOSTILE_RUNS },
    );
    console.log(`${HOSTILE_RUNS} hostile inputs (by kind ${kinds.join('/')}): same verdicts as node:crypto`);
  });
});

describe('native Ed25519 (WASM) against tweetnacl', () => {
  it(`signs like tweetnacl and gives the reference verifier's verdicts on ${TWEETNACL_RUNS} cases`, () => {
    fc.assert(
      fc.property(seedArb, msgArb, fc.nat(), (seed, msg, bit) => {
        const pair = nacl.sign.keyPair.fromSeed(seed);
        expect(toHex(ed.publicKey(seed))).toBe(toHex(pair.publicKey));
        const sig = nacl.sign.detached(msg, pair.secretKey);
        expect(toHex(ed.sign(seed, msg))).toBe(toHex(sig));
        expect(ed.verify(sig, pair.publicKey, msg)).toBe(referenceVerify(sig, pair.publicKey, msg));
        const s2 = flip(sig, bit % 512);
        expect(ed.verify(s2, pair.publicKey, msg)).toBe(referenceVerify(s2, pair.publicKey, msg));
      }),
      { seed: PROPERTY_SEED + 2, numRuns: TWEETNACL_RUNS },
    );
  });
});
