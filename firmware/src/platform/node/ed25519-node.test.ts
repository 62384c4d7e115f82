// The simulator's Ed25519 choices: the WASM build of the reader's C when built, else tweetnacl (saying so);
// both give the host verifier's verdicts on every vector, including the rule's refusals that tweetnacl
// alone would not make.

import nacl from 'tweetnacl';
import { beforeAll, describe, expect, it } from 'vitest';
import { ED25519_SMALL_ORDER_KEYS_HEX } from '../../../../protocol/src/crypto/ed25519-rule';
import { ensureNativeBuild } from '../../../native/build';
import {
  fromHex,
  hostVerify,
  protocolEd25519Vectors,
  rfc8032Tests,
  toHex,
  wycheproofCases,
} from '../../../native/test-support';
import { openNodeEd25519 } from './ed25519';
import { TWEETNACL_ED25519_NAME, createTweetnaclEd25519 } from './ed25519-tweetnacl';
import { ED25519_WASM_PATH, loadEd25519Wasm } from './ed25519-wasm';

beforeAll(() => {
  expect(ensureNativeBuild().wasm).toBe(ED25519_WASM_PATH);
});

describe('simulator Ed25519', () => {
  it('uses the WASM build when it exists, tweetnacl with a warning when it does not', () => {
    const logs: string[] = [];
    expect(openNodeEd25519((l) => logs.push(l)).name).toBe('C natif (WebAssembly)');
    expect(logs).toEqual([]);
    const fallback = openNodeEd25519((l) => logs.push(l), '/nonexistent/ed25519.wasm');
    expect(fallback.name).toBe(TWEETNACL_ED25519_NAME);
    expect(fallback.name).toContain('simulateur Node uniquement');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('tweetnacl');
  });

  it('gives identical verdicts and signatures with both implementations and the host', () => {
    const impls = [loadEd25519Wasm(), createTweetnaclEd25519()];
    for (const t of rfc8032Tests()) {
      for (const ed of impls) {
        expect(toHex(ed.publicKey(t.seed)), `${ed.name} ${t.name}`).toBe(toHex(t.pub));
        expect(toHex(ed.sign(t.seed, t.msg)), `${ed.name} ${t.name}`).toBe(toHex(t.sig));
      }
    }
    const cases = [...wycheproofCases(), ...protocolEd25519Vectors().flatMap((f) => f.cases)];
    const forged = new Uint8Array(64);
    forged[0] = 1; // R = identity, S = 0
    const msg = new TextEncoder().encode('solde');
    for (const h of ED25519_SMALL_ORDER_KEYS_HEX) {
      cases.push({ id: `small order ${h}`, pub: fromHex(h), msg, sig: forged, valid: false, comment: '' });
    }
    for (const c of cases) {
      const want = hostVerify(c.sig, c.pub, c.msg);
      expect(want, c.id).toBe(c.valid);
      for (const ed of impls) expect(ed.verify(c.sig, c.pub, c.msg), `${ed.name} ${c.id}`).toBe(want);
    }
    // What the pre-check adds to tweetnacl: plain tweetnacl accepts the forgery under the identity key.
    expect(nacl.sign.detached.verify(msg, forged, fromHex(ED25519_SMALL_ORDER_KEYS_HEX[0]))).toBe(true);
  });

  it('answers false for non-arrays and wrong lengths, and throws for a wrong seed length', () => {
    for (const ed of [loadEd25519Wasm(), createTweetnaclEd25519()]) {
      const t = rfc8032Tests()[0];
      expect(ed.verify(t.sig, t.pub, null as unknown as Uint8Array)).toBe(false);
      expect(ed.verify([...t.sig] as unknown as Uint8Array, t.pub, t.msg)).toBe(false);
      expect(ed.verify(t.sig.subarray(1), t.pub, t.msg)).toBe(false);
      expect(() => ed.publicKey(new Uint8Array(16))).toThrow();
      expect(() => ed.sign(new Uint8Array(64), t.msg)).toThrow();
    }
  });
});
