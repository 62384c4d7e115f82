// Conformance of the native Ed25519 C, compiled to WebAssembly (the same source as the reader's Thumb
// blob): RFC 8032 §7.1, all Wycheproof cases, the protocol's golden vectors, and the carnet rule's edge
// cases, each verdict compared with the host verifier (node:crypto + pre-checks), the protocol's tweetnacl
// reference and the BigInt model of ref/ed25519-ref.ts.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { ED25519_SMALL_ORDER_KEYS_HEX } from '../../protocol/src/crypto/ed25519-rule';
import { loadEd25519Wasm, type Ed25519Wasm } from '../src/platform/node/ed25519-wasm';
import { ensureNativeBuild } from './build';
import {
  L,
  P,
  bigToBytesLE,
  bytesToBigLE,
  decodePoint,
  isSmallOrder,
  smallOrderEncodings,
  verifyRef,
} from './ref/ed25519-ref';
import {
  fromHex,
  hostVerify,
  nodePublicKey,
  nodeSign,
  protocolEd25519Vectors,
  referenceVerify,
  rfc8032Tests,
  sha512,
  toHex,
  wycheproofCases,
} from './test-support';

let ed: Ed25519Wasm;
let checkPubkey: (pub: Uint8Array) => number;
let rawVerifyLen: (len: number) => number;

beforeAll(() => {
  const build = ensureNativeBuild();
  ed = loadEd25519Wasm(build.wasm);
  checkPubkey = (pub: Uint8Array): number => ed.checkPublicKey(pub);
  // Direct access to the exports, for arguments the adapter never passes.
  const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(build.wasm)), {})
    .exports as unknown as {
    __heap_base: WebAssembly.Global;
    carnet_ed25519_check_pubkey(p: number): number;
    carnet_ed25519_verify(s: number, p: number, m: number, n: number): number;
    carnet_ed25519_sign(o: number, s: number, m: number, n: number): number;
    carnet_ed25519_pubkey(o: number, s: number): number;
    carnet_sha512(o: number, m: number, n: number): number;
  };
  const base = x.__heap_base.value as number;
  rawVerifyLen = (len: number): number => x.carnet_ed25519_verify(base, base + 64, base + 96, len);
  // Null pointers and negative lengths are refused by every entry.
  expect(x.carnet_ed25519_verify(0, base, base, 0)).toBe(-1);
  expect(x.carnet_ed25519_sign(0, base, base, 0)).toBe(-1);
  expect(x.carnet_ed25519_pubkey(base, 0)).toBe(-1);
  expect(x.carnet_sha512(base, base, -1)).toBe(-1);
  expect(x.carnet_ed25519_check_pubkey(0)).toBe(-1);
});

/** Reason codes of carnet_ed25519_check_pubkey (GE_* in src/ge25519.h). */
const KEY_OK = 0;
const KEY_NON_CANONICAL = 1;
const KEY_NOT_ON_CURVE = 2;
const KEY_X_ZERO_SIGN = 3;
const KEY_SMALL_ORDER = 4;

/** The BigInt model's reason for a 32-byte key. */
function refKeyReason(pub: Uint8Array): number {
  const d = decodePoint(pub);
  if (!d.ok) {
    return d.reason === 'NON_CANONICAL'
      ? KEY_NON_CANONICAL
      : d.reason === 'NOT_ON_CURVE'
        ? KEY_NOT_ON_CURVE
        : KEY_X_ZERO_SIGN;
  }
  return isSmallOrder(d.point) ? KEY_SMALL_ORDER : KEY_OK;
}

function sha512Bytes(b: Uint8Array): Uint8Array {
  return sha512(b);
}

describe('native Ed25519 (WASM build): RFC 8032 §7.1', () => {
  it('derives the public key, signs byte for byte and verifies the five tests', () => {
    const tests = rfc8032Tests();
    expect(tests).toHaveLength(5);
    for (const t of tests) {
      expect(toHex(ed.publicKey(t.seed)), t.name).toBe(toHex(t.pub));
      expect(toHex(ed.sign(t.seed, t.msg)), t.name).toBe(toHex(t.sig));
      expect(ed.verify(t.sig, t.pub, t.msg), t.name).toBe(true);
      // The typed vectors are node:crypto's answers too (guards against a typo in the RFC copy).
      expect(toHex(nodeSign(t.seed, t.msg)), t.name).toBe(toHex(t.sig));
      expect(toHex(nodePublicKey(t.seed)), t.name).toBe(toHex(t.pub));
      expect(hostVerify(t.sig, t.pub, t.msg), t.name).toBe(true);
    }
  });

  it('SHA-512 of every length 0..300 and of 1 MB equals node:crypto (padding edges 111, 112, 127, 128)', () => {
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 7)) & 0xff;
    for (let n = 0; n <= 300; n++) {
      expect(toHex(ed.sha512(data.subarray(0, n))), `length ${n}`).toBe(
        toHex(sha512Bytes(data.subarray(0, n))),
      );
    }
    expect(toHex(ed.sha512(data))).toBe(toHex(sha512Bytes(data)));
    // FIPS 180-4 appendix C.1 ("abc")
    expect(toHex(ed.sha512(new TextEncoder().encode('abc')))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
  });
});

describe('native Ed25519 (WASM build): Wycheproof', () => {
  it('gives the expected verdict on every case, identical to the host, reference and BigInt verifiers', () => {
    const cases = wycheproofCases();
    // The file declares 151 tests (the issue counts 150; every one is run).
    expect(cases.length).toBe(151);
    let valid = 0;
    for (const c of cases) {
      const got = ed.verify(c.sig, c.pub, c.msg);
      expect(got, `${c.id} ${c.comment}`).toBe(c.valid);
      expect(hostVerify(c.sig, c.pub, c.msg), `${c.id} host`).toBe(got);
      expect(referenceVerify(c.sig, c.pub, c.msg), `${c.id} reference`).toBe(got);
      expect(verifyRef(c.sig, c.pub, c.msg, sha512Bytes), `${c.id} BigInt model`).toBe(got);
      if (got) valid++;
    }
    expect(valid).toBe(88);
    console.log(
      `Wycheproof: ${cases.length} cases, ${valid} valid, ${cases.length - valid} invalid, all agree`,
    );
  });
});

describe('native Ed25519 (WASM build): protocol golden vectors', () => {
  it('runs every protocol/vectors/ed25519*.json case, identical to the host verifier', () => {
    const files = protocolEd25519Vectors();
    let n = 0;
    for (const f of files) {
      for (const c of f.cases) {
        const got = ed.verify(c.sig, c.pub, c.msg);
        expect(got, c.id).toBe(c.valid);
        expect(hostVerify(c.sig, c.pub, c.msg), `${c.id} host`).toBe(got);
        n++;
      }
    }
    if (files.length === 0) {
      console.log(
        'protocol/vectors: no ed25519*.json file yet; nothing to run there (RFC and Wycheproof above)',
      );
    } else {
      console.log(`protocol/vectors: ${files.map((f) => f.file).join(', ')}: ${n} cases agree`);
    }
    expect(n).toBe(files.reduce((s, f) => s + f.cases.length, 0));
  });
});

describe('native Ed25519 (WASM build): the carnet rule', () => {
  it('refuses S = L, S = L + 1, S + L and S = 2^256 - 1 on an otherwise valid signature', () => {
    const t = rfc8032Tests()[0];
    const s = bytesToBigLE(t.sig.subarray(32));
    for (const bad of [L, L + 1n, s + L, (1n << 256n) - 1n, L + (1n << 255n)]) {
      const sig = new Uint8Array(t.sig);
      sig.set(bigToBytesLE(bad, 32), 32);
      expect(ed.verify(sig, t.pub, t.msg), bad.toString(16)).toBe(false);
      expect(hostVerify(sig, t.pub, t.msg)).toBe(false);
    }
    // S = L - 1 is in range: the verdict is then the equation's (false here), never a range refusal.
    const sig = new Uint8Array(t.sig);
    sig.set(bigToBytesLE(L - 1n, 32), 32);
    expect(ed.verify(sig, t.pub, t.msg)).toBe(hostVerify(sig, t.pub, t.msg));
  });

  it('refuses every small-order key, even with the signature (R = identity, S = 0) that tweetnacl alone accepts', () => {
    // Our BigInt model finds the 8 points of order dividing 8; the protocol lists them plus the 2 encodings
    // of x = 0 with the sign bit set.
    const computed = smallOrderEncodings().map(toHex).sort();
    const listed = ED25519_SMALL_ORDER_KEYS_HEX.slice().sort();
    expect(computed).toHaveLength(8);
    for (const k of computed) expect(listed).toContain(k);
    const identityR = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
    const forged = new Uint8Array(64);
    forged.set(identityR, 0);
    const msg = new TextEncoder().encode('paiement de 12,50 EUR');
    for (const h of ED25519_SMALL_ORDER_KEYS_HEX) {
      const pub = fromHex(h);
      const reason = checkPubkey(pub);
      expect(reason, h).toBe(refKeyReason(pub));
      expect([KEY_SMALL_ORDER, KEY_X_ZERO_SIGN]).toContain(reason);
      expect(ed.verify(forged, pub, msg), h).toBe(false);
      expect(hostVerify(forged, pub, msg), h).toBe(false);
    }
    // Without the pre-check, tweetnacl accepts the forgery under the identity key: the check is needed.
    expect(nacl.sign.detached.verify(msg, forged, fromHex(ED25519_SMALL_ORDER_KEYS_HEX[0]))).toBe(true);
  });

  it('refuses the 19 non-canonical y (p .. 2^255 - 1) with both sign bits, and agrees with the model near p', () => {
    for (let y = P; y < 1n << 255n; y++) {
      for (const sign of [0n, 1n]) {
        const pub = bigToBytesLE(y | (sign << 255n), 32);
        expect(checkPubkey(pub), y.toString(16)).toBe(KEY_NON_CANONICAL);
      }
    }
    for (let y = P - 40n; y < P; y++) {
      for (const sign of [0n, 1n]) {
        const pub = bigToBytesLE(y | (sign << 255n), 32);
        expect(checkPubkey(pub), y.toString(16)).toBe(refKeyReason(pub));
      }
    }
    for (let y = 0n; y < 40n; y++) {
      for (const sign of [0n, 1n]) {
        const pub = bigToBytesLE(y | (sign << 255n), 32);
        expect(checkPubkey(pub), y.toString(16)).toBe(refKeyReason(pub));
      }
    }
  });

  it('classifies 1,500 random 32-byte keys exactly as the BigInt model does', () => {
    // Deterministic bytes (SHA-512 chain), so a failure is reproducible.
    let block = sha512Bytes(new TextEncoder().encode('carnet key classification'));
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 1500; i++) {
      if (i % 2 === 0) block = sha512Bytes(block);
      const pub = block.subarray((i % 2) * 32, (i % 2) * 32 + 32);
      const got = checkPubkey(pub);
      expect(got, toHex(pub)).toBe(refKeyReason(pub));
      counts[got]++;
    }
    // About half of all y have no x (not on the curve); the rest decode.
    expect(counts[KEY_OK]).toBeGreaterThan(500);
    expect(counts[KEY_NOT_ON_CURVE]).toBeGreaterThan(500);
    console.log(`random keys: ${counts[KEY_OK]} valid, ${counts[KEY_NOT_ON_CURVE]} not on the curve`);
  });

  it('answers false (never throws) for wrong lengths, and -1 from C for a negative message length', () => {
    const t = rfc8032Tests()[1];
    expect(ed.verify(t.sig.subarray(0, 63), t.pub, t.msg)).toBe(false);
    expect(ed.verify(new Uint8Array(65), t.pub, t.msg)).toBe(false);
    expect(ed.verify(t.sig, t.pub.subarray(0, 31), t.msg)).toBe(false);
    expect(ed.verify(t.sig, new Uint8Array(33), t.msg)).toBe(false);
    expect(() => ed.sign(new Uint8Array(31), t.msg)).toThrow();
    expect(() => ed.publicKey(new Uint8Array(33))).toThrow();
    expect(rawVerifyLen(-1)).toBe(-1);
  });

  it('never accepts an R whose y is one of the 19 non-canonical values p .. 2^255 - 1', () => {
    // encode([S]B - [k]A) is always canonical, so such an R cannot match (Wycheproof #151 covers the
    // sign bit of x = 0).
    const t = rfc8032Tests()[2];
    for (let y = P; y < 1n << 255n; y++) {
      const sig = new Uint8Array(t.sig);
      sig.set(bigToBytesLE(y, 32), 0);
      expect(ed.verify(sig, t.pub, t.msg)).toBe(false);
      expect(hostVerify(sig, t.pub, t.msg)).toBe(false);
    }
  });
});
