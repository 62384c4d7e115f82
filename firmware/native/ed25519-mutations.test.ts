// Every single-bit mutation of the signature, the public key and the message of valid signatures is
// refused by the native Ed25519 (WASM build of the reader's C): exhaustive over the bits, on
// MUTATED_SIGNATURES random keys and messages from a fixed, printed seed. The host verifier (node:crypto)
// judges every HOST_STRIDE-th mutation too, with an offset that turns with the signature so that across
// the suite it sees every bit position (all of them, at ~150 us each, would double the run time).

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEd25519Wasm, type Ed25519Wasm } from '../src/platform/node/ed25519-wasm';
import { ensureNativeBuild } from './build';
import { hostVerify, nodeKeyAndSign, toHex } from './test-support';

/** Fixed seed (printed). */
export const MUTATION_SEED = 0x5eed2551;
/** Signatures mutated at every bit (512 + 256 + 8 * message length mutations each). */
const MUTATED_SIGNATURES = 200;
/** The host verifier judges one mutation in HOST_STRIDE. */
const HOST_STRIDE = 8;

let ed: Ed25519Wasm;

beforeAll(() => {
  ed = loadEd25519Wasm(ensureNativeBuild().wasm);
  console.log(`fast-check seed ${MUTATION_SEED} (0x${MUTATION_SEED.toString(16)})`);
});

describe('native Ed25519 (WASM): single-bit mutations', () => {
  it(`refuses every single-bit mutation of ${MUTATED_SIGNATURES} signatures, keys and messages`, () => {
    const totals = { signatures: 0, sig: 0, pub: 0, msg: 0, host: 0 };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 0, maxLength: 24 }),
        (seed, msg) => {
          const pub = ed.publicKey(seed);
          const sig = ed.sign(seed, msg);
          const node = nodeKeyAndSign(seed, msg);
          expect(toHex(sig)).toBe(toHex(node.sig));
          expect(ed.verify(sig, pub, msg)).toBe(true);
          let n = totals.signatures;
          const check = (s: Uint8Array, p: Uint8Array, m: Uint8Array, what: string): void => {
            // A failure names the bit.
            if (ed.verify(s, p, m))
              throw new Error(`${what} accepted: seed ${toHex(seed)} msg ${toHex(msg)}`);
            if (n++ % HOST_STRIDE === 0) {
              totals.host++;
              if (hostVerify(s, p, m)) throw new Error(`${what} accepted by the host verifier`);
            }
          };
          for (let bit = 0; bit < 512; bit++) {
            sig[bit >> 3] ^= 1 << (bit & 7);
            check(sig, pub, msg, `signature bit ${bit}`);
            sig[bit >> 3] ^= 1 << (bit & 7);
          }
          for (let bit = 0; bit < 256; bit++) {
            pub[bit >> 3] ^= 1 << (bit & 7);
            check(sig, pub, msg, `public key bit ${bit}`);
            pub[bit >> 3] ^= 1 << (bit & 7);
          }
          for (let bit = 0; bit < 8 * msg.length; bit++) {
            msg[bit >> 3] ^= 1 << (bit & 7);
            check(sig, pub, msg, `message bit ${bit}`);
            msg[bit >> 3] ^= 1 << (bit & 7);
          }
          totals.signatures++;
          totals.sig += 512;
          totals.pub += 256;
          totals.msg += 8 * msg.length;
        },
      ),
      { seed: MUTATION_SEED, numRuns: MUTATED_SIGNATURES },
    );
    expect(totals.signatures).toBe(MUTATED_SIGNATURES);
    console.log(
      `${totals.signatures} signatures: ${totals.sig} signature, ${totals.pub} key and ${totals.msg} message ` +
        `mutations, all refused by the native code; ${totals.host} of them also by node:crypto`,
    );
  });
});
