// The carnet Ed25519 rule (ed25519-rule.ts) on both verifiers: node:crypto (host) and tweetnacl (reference).
//
// Tiers: unit (pre-check boundaries, RFC 8032 §7.1 vectors), conformance (Wycheproof), property (fast-check
// with a printed fixed seed). The small-order constants of the source are re-derived here with a separate
// big-integer model of edwards25519 (test-only: BigInt is not allowed in the Espruino subset), itself
// checked against the RFC vectors before it is trusted.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  ED25519_GROUP_ORDER_L_HEX,
  ED25519_MESSAGES_EN,
  ED25519_MESSAGES_FR,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
  ED25519_SMALL_ORDER_KEYS_HEX,
  ed25519PreCheck,
  isCanonicalFieldElement,
  isCanonicalScalar,
  isSmallOrderKey,
} from './ed25519-rule';
import {
  HOST_KEY_CACHE_MAX,
  hostCrypto,
  hostKeyCacheSize,
  hostSigner,
  publicKeyFromSeedHost,
  sha256Host,
  signEd25519Host,
  verifyEd25519Host,
  verifyEd25519HostAsync,
} from '../node/ed25519';
import {
  publicKeyFromSeedReference,
  referenceCrypto,
  referenceSigner,
  sha256Reference,
  signEd25519Reference,
  verifyEd25519Reference,
} from '../node/ed25519-reference';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const WYCHEPROOF_PATH = path.resolve(repoRoot, '../shared/vectors/wycheproof_ed25519_test.json');
const PROPERTY_SEED = 0xed25519;
// 1,000 runs: each costs ~15-40 ms in tweetnacl; the native issue adds 20,000 runs against node:crypto.
const PROPERTY_RUNS = 1000;

// ---------------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------------

function hex(u8: Uint8Array): string {
  return Buffer.from(u8).toString('hex');
}

function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function leToBig(u8: Uint8Array): bigint {
  let n = 0n;
  for (let i = u8.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(u8[i]);
  return n;
}

function bigToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// A small, slow, independent model of edwards25519 (RFC 8032 §5.1), for deriving constants only.
// ---------------------------------------------------------------------------------------------------

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function fmod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function fpow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = fmod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

function finv(a: bigint): bigint {
  return fpow(a, P - 2n);
}

const D = fmod(-121665n * finv(121666n));
const SQRT_M1 = fpow(2n, (P - 1n) / 4n);

// Extended homogeneous coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z (RFC 8032 §5.1.4).
interface Point {
  X: bigint;
  Y: bigint;
  Z: bigint;
  T: bigint;
}

const IDENTITY: Point = { X: 0n, Y: 1n, Z: 1n, T: 0n };

function pointAdd(p: Point, q: Point): Point {
  // RFC 8032 §5.1.4 addition formulas (complete for a = -1 and non-square d).
  const a = fmod((p.Y - p.X) * (q.Y - q.X));
  const b = fmod((p.Y + p.X) * (q.Y + q.X));
  const c = fmod(2n * p.T * q.T * D);
  const d = fmod(2n * p.Z * q.Z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: fmod(e * f), Y: fmod(g * h), Z: fmod(f * g), T: fmod(e * h) };
}

function pointMul(n: bigint, p: Point): Point {
  let result = IDENTITY;
  let addend = p;
  let k = n;
  while (k > 0n) {
    if (k & 1n) result = pointAdd(result, addend);
    addend = pointAdd(addend, addend);
    k >>= 1n;
  }
  return result;
}

// RFC 8032 §5.1.2 encoding: y little-endian, bit 255 = low bit of x.
function encodePoint(p: Point): Uint8Array {
  const zi = finv(p.Z);
  const x = fmod(p.X * zi);
  const y = fmod(p.Y * zi);
  const out = bigToLe(y, 32);
  out[31] |= Number(x & 1n) << 7;
  return out;
}

// RFC 8032 §5.1.3 decoding. `lenient` lets x = 0 with the sign bit set through (step 4 skipped), so that
// those encodings can be examined as points too.
function decodePoint(bytes: Uint8Array, lenient: boolean): Point | null {
  const sign = BigInt(bytes[31] >> 7);
  const yBytes = new Uint8Array(bytes);
  yBytes[31] &= 0x7f;
  const y = leToBig(yBytes);
  if (y >= P) return null; // step 1
  const u = fmod(y * y - 1n);
  const v = fmod(D * y * y + 1n);
  // step 2: candidate root x = u v^3 (u v^7)^((p-5)/8)
  let x = fmod(u * fpow(v, 3n) * fpow(u * fpow(v, 7n), (P - 5n) / 8n));
  const vx2 = fmod(v * x * x);
  if (vx2 === u) {
    // root found
  } else if (vx2 === fmod(-u)) {
    x = fmod(x * SQRT_M1);
  } else {
    return null; // step 3: not on the curve
  }
  if (x === 0n && sign === 1n && !lenient) return null; // step 4
  if ((x & 1n) !== sign) x = fmod(-x);
  return { X: x, Y: y, Z: 1n, T: fmod(x * y) };
}

function isIdentity(p: Point): boolean {
  return fmod(p.X) === 0n && fmod(p.Y - p.Z) === 0n;
}

function pointsEqual(p: Point, q: Point): boolean {
  return hex(encodePoint(p)) === hex(encodePoint(q));
}

// Base point B (RFC 8032 §5.1): y = 4/5, x even.
const BASE = decodePoint(bigToLe(fmod(4n * finv(5n)), 32), false) as Point;

function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash('sha512').update(data).digest());
}

// RFC 8032 §5.1.5: public key of a seed.
function modelPublicKey(seed: Uint8Array): Uint8Array {
  const h = sha512(seed);
  const a = new Uint8Array(h.subarray(0, 32));
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  return encodePoint(pointMul(leToBig(a), BASE));
}

// RFC 8032 §5.1.7 cofactorless check with the model, without the pre-checks: [S]B == R + [k]A.
function modelVerifyEquation(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const A = decodePoint(pub, false);
  const R = decodePoint(sig.subarray(0, 32), false);
  if (A === null || R === null) return false;
  const S = leToBig(sig.subarray(32, 64));
  const k = leToBig(sha512(concat(concat(sig.subarray(0, 32), pub), msg))) % L;
  return pointsEqual(pointMul(S, BASE), pointAdd(R, pointMul(k, A)));
}

// The 8 points of the torsion subgroup: [L]P has order dividing 8 for any point P (the curve has
// 8 * L points); take the first P for which it has order exactly 8, then its multiples. The curve's group
// is Z/8 x Z/L (L prime), so these 8 points are all the points with [8]P = identity.
function torsionPoints(): Point[] {
  for (let y = 2n; y < 1000n; y++) {
    const p = decodePoint(bigToLe(y, 32), false);
    if (p === null) continue;
    const t = pointMul(L, p);
    if (!isIdentity(pointMul(4n, t))) {
      const points: Point[] = [];
      for (let i = 0n; i < 8n; i++) points.push(pointMul(i, t));
      return points;
    }
  }
  throw new Error('no point of order 8 found');
}

// All encodings (y < p) of small-order points: the canonical encoding of each torsion point, plus the
// sign-bit-set variant of those with x = 0 (which RFC 8032 §5.1.3 step 4 rejects anyway).
function deriveSmallOrderEncodings(): string[] {
  const out: string[] = [];
  for (const p of torsionPoints()) {
    const enc = encodePoint(p);
    out.push(hex(enc));
    const x = fmod(p.X * finv(p.Z));
    if (x === 0n) {
      const flipped = new Uint8Array(enc);
      flipped[31] |= 0x80;
      out.push(hex(flipped));
    }
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------

// RFC 8032 §7.1, typed from the RFC.
const TEST_1024_MESSAGE =
  '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c5' +
  '0544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0' +
  '810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82' +
  'd522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9' +
  'a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c9' +
  '4fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5' +
  'd0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88' +
  '425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc' +
  '2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80' +
  'c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae078' +
  '4504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9' +
  'b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d' +
  'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc' +
  '82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d371459867' +
  '80fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8' +
  'b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e' +
  '6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f791' +
  '4f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45' +
  'a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac' +
  '86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0';

const RFC8032_VECTORS: Array<{ name: string; seed: string; pub: string; msg: string; sig: string }> = [
  {
    name: 'TEST 1',
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    seed: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    pub: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    msg: TEST_1024_MESSAGE,
    sig: '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    seed: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    pub: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    msg: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    sig: 'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

interface WycheproofCase {
  tcId: number;
  comment: string;
  flags: string[];
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
  valid: boolean;
}

function loadWycheproof(): { declared: number; cases: WycheproofCase[] } {
  const json = JSON.parse(fs.readFileSync(WYCHEPROOF_PATH, 'utf8')) as {
    numberOfTests: number;
    testGroups: Array<{
      publicKey: { pk: string };
      tests: Array<{
        tcId: number;
        comment: string;
        flags: string[];
        msg: string;
        sig: string;
        result: string;
      }>;
    }>;
  };
  const cases: WycheproofCase[] = [];
  for (const group of json.testGroups) {
    for (const t of group.tests) {
      cases.push({
        tcId: t.tcId,
        comment: t.comment,
        flags: t.flags,
        pub: unhex(group.publicKey.pk),
        msg: unhex(t.msg),
        sig: unhex(t.sig),
        valid: t.result === 'valid',
      });
    }
  }
  return { declared: json.numberOfTests, cases: cases };
}

const IDENTITY_ENCODING = unhex('0100000000000000000000000000000000000000000000000000000000000000');
const L_BYTES = bigToLe(L, 32);

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = new Uint8Array(sig);
  out.set(bigToLe(s, 32), 32);
  return out;
}

// (R = identity, S = 0): [S]B - [k]A = -[k]A, equal to the identity whenever [k]A is: for the identity key
// that is every message.
const FORGED_IDENTITY_SIG = concat(IDENTITY_ENCODING, new Uint8Array(32));

// k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.7 step 2).
function challenge(r: Uint8Array, pub: Uint8Array, msg: Uint8Array): bigint {
  return leToBig(sha512(concat(concat(r, pub), msg))) % L;
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

describe('edwards25519 big-integer model (test oracle)', () => {
  it('reproduces the RFC 8032 public keys and accepts the RFC signatures', () => {
    expect(hex(encodePoint(BASE))).toBe('5866666666666666666666666666666666666666666666666666666666666666');
    expect(isIdentity(pointMul(L, BASE))).toBe(true);
    expect(isIdentity(pointMul(L - 1n, BASE))).toBe(false);
    for (const v of RFC8032_VECTORS) {
      expect(hex(modelPublicKey(unhex(v.seed)))).toBe(v.pub);
      expect(modelVerifyEquation(unhex(v.pub), unhex(v.msg), unhex(v.sig))).toBe(true);
      const tampered = unhex(v.sig);
      tampered[40] ^= 1;
      expect(modelVerifyEquation(unhex(v.pub), unhex(v.msg), tampered)).toBe(false);
    }
  });
});

describe('constants of ed25519-rule.ts', () => {
  it('sizes follow RFC 8032 §5.1', () => {
    expect(ED25519_PUBLIC_KEY_BYTES).toBe(32);
    expect(ED25519_SIGNATURE_BYTES).toBe(64);
    expect(ED25519_SEED_BYTES).toBe(32);
  });

  it('L is 2^252 + 27742317777372353535851937790883648493', () => {
    expect(ED25519_GROUP_ORDER_L_HEX).toBe(hex(L_BYTES));
  });

  it('the small-order list is exactly the encodings derived from the torsion subgroup', () => {
    const derived = deriveSmallOrderEncodings();
    console.log('small-order encodings (derived):\n  ' + derived.join('\n  '));
    expect(derived.length).toBe(10);
    expect(new Set(derived).size).toBe(10);
    expect([...ED25519_SMALL_ORDER_KEYS_HEX].sort()).toEqual(derived);
    for (const h of ED25519_SMALL_ORDER_KEYS_HEX) {
      const p = decodePoint(unhex(h), true);
      expect(p).not.toBeNull();
      expect(isIdentity(pointMul(8n, p as Point))).toBe(true);
      expect(isCanonicalFieldElement(unhex(h))).toBe(true);
    }
  });

  it('every code has a French and an English message', () => {
    const codes = [
      'ED25519_KEY_LENGTH',
      'ED25519_SIG_LENGTH',
      'ED25519_S_NOT_CANONICAL',
      'ED25519_KEY_NOT_CANONICAL',
      'ED25519_KEY_SMALL_ORDER',
    ];
    expect(Object.keys(ED25519_MESSAGES_FR).sort()).toEqual([...codes].sort());
    expect(Object.keys(ED25519_MESSAGES_EN).sort()).toEqual([...codes].sort());
    for (const c of codes) {
      expect(ED25519_MESSAGES_FR[c].length).toBeGreaterThan(10);
      expect(ED25519_MESSAGES_EN[c].length).toBeGreaterThan(10);
    }
  });
});

describe('ed25519PreCheck', () => {
  const v = RFC8032_VECTORS[0];
  const pub = unhex(v.pub);
  const sig = unhex(v.sig);

  it('passes a valid RFC key and signature', () => {
    expect(ed25519PreCheck(pub, sig)).toBeNull();
  });

  it('lengths: key 32 accepted, 31 and 33 refused; signature 64 accepted, 63 and 65 refused', () => {
    expect(ed25519PreCheck(new Uint8Array(33), sig)).toBe('ED25519_KEY_LENGTH');
    expect(ed25519PreCheck(pub.subarray(0, 31), sig)).toBe('ED25519_KEY_LENGTH');
    expect(ed25519PreCheck(new Uint8Array(0), sig)).toBe('ED25519_KEY_LENGTH');
    expect(ed25519PreCheck(pub, concat(sig, new Uint8Array(1)))).toBe('ED25519_SIG_LENGTH');
    expect(ed25519PreCheck(pub, sig.subarray(0, 63))).toBe('ED25519_SIG_LENGTH');
    expect(ed25519PreCheck(pub, new Uint8Array(0))).toBe('ED25519_SIG_LENGTH');
    // Order of the checks: key length first, then signature length.
    expect(ed25519PreCheck(new Uint8Array(31), new Uint8Array(63))).toBe('ED25519_KEY_LENGTH');
  });

  it('never throws on missing arguments', () => {
    const none = null as unknown as Uint8Array;
    expect(ed25519PreCheck(none, sig)).toBe('ED25519_KEY_LENGTH');
    expect(ed25519PreCheck(pub, none)).toBe('ED25519_SIG_LENGTH');
    expect(isCanonicalScalar(none)).toBe(false);
    expect(isCanonicalFieldElement(none)).toBe(false);
    expect(isSmallOrderKey(none)).toBe(false);
  });

  it('S = L, L + 1 and 2^256 - 1 are refused; S = L - 1 and S = 0 pass (RFC 8032 §5.1.7)', () => {
    expect(ed25519PreCheck(pub, withS(sig, L))).toBe('ED25519_S_NOT_CANONICAL');
    expect(ed25519PreCheck(pub, withS(sig, L + 1n))).toBe('ED25519_S_NOT_CANONICAL');
    expect(ed25519PreCheck(pub, withS(sig, 2n ** 256n - 1n))).toBe('ED25519_S_NOT_CANONICAL');
    expect(ed25519PreCheck(pub, withS(sig, 2n ** 253n))).toBe('ED25519_S_NOT_CANONICAL');
    expect(ed25519PreCheck(pub, withS(sig, L - 1n))).toBeNull();
    expect(ed25519PreCheck(pub, withS(sig, 0n))).toBeNull();
    expect(isCanonicalScalar(bigToLe(L - 1n, 32))).toBe(true);
    expect(isCanonicalScalar(bigToLe(L, 32))).toBe(false);
    // S = L - 1 passes the pre-check but is not a signature of the message: both verifiers say no.
    expect(verifyEd25519Host(pub, unhex(v.msg), withS(sig, L - 1n))).toBe(false);
    expect(verifyEd25519Reference(pub, unhex(v.msg), withS(sig, L - 1n))).toBe(false);
  });

  it('isCanonicalScalar agrees with big-integer comparison (property, biased near L)', () => {
    console.log(`isCanonicalScalar property seed: ${PROPERTY_SEED}`);
    const nearL = fc
      .tuple(fc.integer({ min: 0, max: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
      .map(([keep, noise]) => {
        // Keep the `keep` most significant bytes of L, random below.
        const s = new Uint8Array(L_BYTES);
        for (let i = 0; i < 32 - keep; i++) s[i] = noise[i];
        return s;
      });
    fc.assert(
      fc.property(fc.oneof(nearL, fc.uint8Array({ minLength: 32, maxLength: 32 })), (s) => {
        expect(isCanonicalScalar(s)).toBe(leToBig(s) < L);
      }),
      { seed: PROPERTY_SEED, numRuns: 20000 },
    );
  });

  it('non-canonical y (p .. 2^255 - 1, both sign bits) is refused with ED25519_KEY_NOT_CANONICAL', () => {
    let count = 0;
    for (let y = P; y < 2n ** 255n; y++) {
      for (const signBit of [0, 0x80]) {
        const key = bigToLe(y, 32);
        key[31] |= signBit;
        expect(isCanonicalFieldElement(key)).toBe(false);
        expect(ed25519PreCheck(key, sig)).toBe('ED25519_KEY_NOT_CANONICAL');
        expect(verifyEd25519Host(key, unhex(v.msg), FORGED_IDENTITY_SIG)).toBe(false);
        expect(verifyEd25519Reference(key, unhex(v.msg), FORGED_IDENTITY_SIG)).toBe(false);
        count++;
      }
    }
    expect(count).toBe(38);
    // Boundaries: p - 1 is canonical with either sign bit, p is not.
    expect(isCanonicalFieldElement(bigToLe(P - 1n, 32))).toBe(true);
    expect(isCanonicalFieldElement(bigToLe(P - 1n + 2n ** 255n, 32))).toBe(true);
    expect(isCanonicalFieldElement(bigToLe(P, 32))).toBe(false);
    expect(isCanonicalFieldElement(bigToLe(P + 2n ** 255n, 32))).toBe(false);
    // Why it matters: y = p + 1 is a second encoding of the identity, and tweetnacl alone accepts the
    // forged (R = identity, S = 0) under it for any message.
    const identityAlias = bigToLe(P + 1n, 32);
    expect(nacl.sign.detached.verify(unhex('6e696d706f727465'), FORGED_IDENTITY_SIG, identityAlias)).toBe(
      true,
    );
    expect(verifyEd25519Reference(identityAlias, unhex('6e696d706f727465'), FORGED_IDENTITY_SIG)).toBe(false);
    expect(verifyEd25519Host(identityAlias, unhex('6e696d706f727465'), FORGED_IDENTITY_SIG)).toBe(false);
  });

  it('isCanonicalFieldElement agrees with big-integer comparison (property, biased near p)', () => {
    const nearP = fc
      .tuple(fc.integer({ min: 0, max: 31 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean())
      .map(([keep, noise, signBit]) => {
        const y = bigToLe(P, 32);
        for (let i = 0; i < 32 - keep; i++) y[i] = noise[i];
        y[31] = (y[31] & 0x7f) | (signBit ? 0x80 : 0);
        return y;
      });
    fc.assert(
      fc.property(fc.oneof(nearP, fc.uint8Array({ minLength: 32, maxLength: 32 })), (y) => {
        const masked = new Uint8Array(y);
        masked[31] &= 0x7f;
        expect(isCanonicalFieldElement(y)).toBe(leToBig(masked) < P);
      }),
      { seed: PROPERTY_SEED, numRuns: 20000 },
    );
  });

  it('order of the checks: S before key encoding, key encoding before small order', () => {
    const badKey = bigToLe(P, 32); // y = p: non-canonical alias of y = 0, a small-order point
    expect(ed25519PreCheck(badKey, withS(sig, L))).toBe('ED25519_S_NOT_CANONICAL');
    expect(ed25519PreCheck(badKey, sig)).toBe('ED25519_KEY_NOT_CANONICAL');
    expect(ed25519PreCheck(IDENTITY_ENCODING, withS(sig, L))).toBe('ED25519_S_NOT_CANONICAL');
    expect(ed25519PreCheck(IDENTITY_ENCODING, sig)).toBe('ED25519_KEY_SMALL_ORDER');
  });
});

describe('small-order keys', () => {
  it('each listed encoding is refused by the pre-check and by both verifiers, even where the bare libraries accept a forgery', () => {
    let nodeAlone = 0;
    for (const h of ED25519_SMALL_ORDER_KEYS_HEX) {
      const key = unhex(h);
      expect(isSmallOrderKey(key)).toBe(true);
      expect(ed25519PreCheck(key, FORGED_IDENTITY_SIG)).toBe('ED25519_KEY_SMALL_ORDER');
      // Find a message whose challenge k is a multiple of 8, so [k]A = identity and the forged
      // (R = identity, S = 0) satisfies the bare cofactorless equation.
      let msg: Uint8Array | null = null;
      for (let i = 0; i < 1000 && msg === null; i++) {
        const candidate = new Uint8Array(Buffer.from('forged ' + i));
        if (challenge(IDENTITY_ENCODING, key, candidate) % 8n === 0n) msg = candidate;
      }
      expect(msg).not.toBeNull();
      const m = msg as Uint8Array;
      // tweetnacl alone accepts it: this is the forgery the rule exists to stop.
      expect(nacl.sign.detached.verify(m, FORGED_IDENTITY_SIG, key)).toBe(true);
      expect(verifyEd25519Reference(key, m, FORGED_IDENTITY_SIG)).toBe(false);
      expect(verifyEd25519Host(key, m, FORGED_IDENTITY_SIG)).toBe(false);
      try {
        const k = crypto.createPublicKey({
          key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key]),
          format: 'der',
          type: 'spki',
        });
        if (crypto.verify(null, m, k, FORGED_IDENTITY_SIG)) nodeAlone++;
      } catch {
        // OpenSSL refused to import the key: fine.
      }
    }
    console.log(
      `bare node:crypto (OpenSSL ${process.versions.openssl}) accepts ${nodeAlone} of ${ED25519_SMALL_ORDER_KEYS_HEX.length} small-order forgeries; with the rule: 0`,
    );
  });

  it('the identity key: "signature valid for any message" (R = identity, S = 0) is refused', () => {
    const messages = ['', '00', '6d6f6e74616e743a2031323030', TEST_1024_MESSAGE];
    for (const mh of messages) {
      const m = unhex(mh);
      expect(nacl.sign.detached.verify(m, FORGED_IDENTITY_SIG, IDENTITY_ENCODING)).toBe(true);
      expect(verifyEd25519Host(IDENTITY_ENCODING, m, FORGED_IDENTITY_SIG)).toBe(false);
      expect(verifyEd25519Reference(IDENTITY_ENCODING, m, FORGED_IDENTITY_SIG)).toBe(false);
    }
  });

  it('a key next to a small-order one (one bit away) is not mistaken for it', () => {
    for (const h of ED25519_SMALL_ORDER_KEYS_HEX) {
      for (let bit = 0; bit < 256; bit++) {
        const key = unhex(h);
        key[bit >> 3] ^= 1 << (bit & 7);
        if (ED25519_SMALL_ORDER_KEYS_HEX.includes(hex(key))) continue; // the sign-bit twin
        expect(isSmallOrderKey(key)).toBe(false);
      }
    }
  });
});

describe('keys off the curve (RFC 8032 §5.1.3 step 3, left to the verifiers)', () => {
  it('pass the pre-check and are refused by both verifiers', () => {
    const v = RFC8032_VECTORS[1];
    const realSig = unhex(v.sig);
    let found = 0;
    for (let y = 2n; found < 24; y++) {
      for (const signBit of [0, 0x80]) {
        const key = bigToLe(y, 32);
        key[31] |= signBit;
        if (decodePoint(key, false) !== null) continue;
        found++;
        expect(ed25519PreCheck(key, realSig)).toBeNull();
        expect(ed25519PreCheck(key, FORGED_IDENTITY_SIG)).toBeNull();
        for (const sig of [realSig, FORGED_IDENTITY_SIG]) {
          expect(verifyEd25519Host(key, unhex(v.msg), sig)).toBe(false);
          expect(verifyEd25519Reference(key, unhex(v.msg), sig)).toBe(false);
        }
        // tweetnacl's own decoder refuses it (not only our wrapper).
        expect(nacl.sign.detached.verify(unhex(v.msg), FORGED_IDENTITY_SIG, key)).toBe(false);
      }
    }
    // Random 32-byte strings: about half are off the curve; the pre-check never decides that.
    const rnd = new Uint8Array(crypto.randomBytes(32 * 200));
    let off = 0;
    for (let i = 0; i < 200; i++) {
      const key = rnd.subarray(32 * i, 32 * i + 32);
      if (!isCanonicalFieldElement(key) || isSmallOrderKey(key) || decodePoint(key, false) !== null) continue;
      off++;
      expect(verifyEd25519Host(key, unhex(v.msg), realSig)).toBe(false);
      expect(verifyEd25519Reference(key, unhex(v.msg), realSig)).toBe(false);
    }
    expect(off).toBeGreaterThan(50);
  });
});

describe('RFC 8032 §7.1 test vectors', () => {
  it('SHA(abc) message is SHA-512("abc")', () => {
    expect(hex(sha512(new Uint8Array(Buffer.from('abc'))))).toBe(RFC8032_VECTORS[4].msg);
  });

  for (const v of RFC8032_VECTORS) {
    it(`${v.name}: public key, signature and verification on host and reference`, () => {
      const seed = unhex(v.seed);
      const msg = unhex(v.msg);
      expect(hex(publicKeyFromSeedHost(seed))).toBe(v.pub);
      expect(hex(publicKeyFromSeedReference(seed))).toBe(v.pub);
      expect(hex(signEd25519Host(seed, msg))).toBe(v.sig);
      expect(hex(signEd25519Reference(seed, msg))).toBe(v.sig);
      const hs = hostSigner(seed);
      const rs = referenceSigner(seed);
      expect(hex(hs.publicKey)).toBe(v.pub);
      expect(hex(rs.publicKey)).toBe(v.pub);
      expect(hex(hs.sign(msg))).toBe(v.sig);
      expect(hex(rs.sign(msg))).toBe(v.sig);
      expect(ed25519PreCheck(unhex(v.pub), unhex(v.sig))).toBeNull();
      expect(verifyEd25519Host(unhex(v.pub), msg, unhex(v.sig))).toBe(true);
      expect(verifyEd25519Reference(unhex(v.pub), msg, unhex(v.sig))).toBe(true);
      expect(hostCrypto.verify(unhex(v.pub), msg, unhex(v.sig))).toBe(true);
      expect(referenceCrypto.verify(unhex(v.pub), msg, unhex(v.sig))).toBe(true);
      // Malleability: S + L is the same scalar mod L; tweetnacl alone accepts it, the rule does not.
      const malleable = withS(unhex(v.sig), leToBig(unhex(v.sig).subarray(32)) + L);
      expect(nacl.sign.detached.verify(msg, malleable, unhex(v.pub))).toBe(true);
      expect(verifyEd25519Host(unhex(v.pub), msg, malleable)).toBe(false);
      expect(verifyEd25519Reference(unhex(v.pub), msg, malleable)).toBe(false);
    });
  }

  it('async host verification agrees', async () => {
    for (const v of RFC8032_VECTORS) {
      expect(await verifyEd25519HostAsync(unhex(v.pub), unhex(v.msg), unhex(v.sig))).toBe(true);
      const wrong = unhex(v.sig);
      wrong[0] ^= 0x40;
      expect(await verifyEd25519HostAsync(unhex(v.pub), unhex(v.msg), wrong)).toBe(false);
    }
  });

  it('a seed of the wrong length is a programmer error (throws)', () => {
    for (const n of [31, 33]) {
      const seed = new Uint8Array(n);
      expect(() => signEd25519Host(seed, new Uint8Array(0))).toThrow();
      expect(() => signEd25519Reference(seed, new Uint8Array(0))).toThrow();
      expect(() => publicKeyFromSeedHost(seed)).toThrow();
      expect(() => publicKeyFromSeedReference(seed)).toThrow();
      expect(() => hostSigner(seed)).toThrow();
      expect(() => referenceSigner(seed)).toThrow();
    }
  });

  it('the crypto bundles hash with SHA-256', () => {
    const data = new Uint8Array(Buffer.from('carnet'));
    const expected = crypto.createHash('sha256').update(data).digest('hex');
    expect(hex(hostCrypto.sha256(data))).toBe(expected);
    expect(hex(referenceCrypto.sha256(data))).toBe(expected);
    expect(hex(sha256Host(data))).toBe(expected);
    expect(hex(sha256Reference(data))).toBe(expected);
  });
});

describe('Wycheproof eddsa_verify (conformance)', () => {
  const wycheproof = loadWycheproof();

  it('every case: verdict == (result === "valid") on host and reference, and they agree', () => {
    expect(wycheproof.cases.length).toBe(wycheproof.declared);
    let valid = 0;
    let invalid = 0;
    const codes: { [code: string]: number } = {};
    for (const c of wycheproof.cases) {
      const host = verifyEd25519Host(c.pub, c.msg, c.sig);
      const reference = verifyEd25519Reference(c.pub, c.msg, c.sig);
      const label = `tcId ${c.tcId} (${c.comment}; ${c.flags.join(',')})`;
      expect(host, label).toBe(c.valid);
      expect(reference, label).toBe(c.valid);
      expect(host, label).toBe(reference);
      if (c.valid) valid++;
      else invalid++;
      const code = String(ed25519PreCheck(c.pub, c.sig));
      codes[code] = (codes[code] || 0) + 1;
    }
    console.log(
      `Wycheproof Ed25519: ${wycheproof.cases.length} cases (${valid} valid, ${invalid} invalid), ` +
        `host == reference == expected on all; pre-check outcomes: ${JSON.stringify(codes)}`,
    );
    expect(valid + invalid).toBe(wycheproof.cases.length);
  });

  it('async host verification agrees with sync on every case', async () => {
    const verdicts = await Promise.all(
      wycheproof.cases.map((c) => verifyEd25519HostAsync(c.pub, c.msg, c.sig)),
    );
    for (let i = 0; i < wycheproof.cases.length; i++) {
      const c = wycheproof.cases[i];
      expect(verdicts[i], `tcId ${c.tcId}`).toBe(verifyEd25519Host(c.pub, c.msg, c.sig));
      expect(verdicts[i], `tcId ${c.tcId}`).toBe(c.valid);
    }
    console.log(`Wycheproof Ed25519 async: ${verdicts.length} cases agree with sync`);
  });
});

describe('host verifier robustness', () => {
  it('never throws: wrong types and lengths answer false', async () => {
    const v = RFC8032_VECTORS[2];
    const pub = unhex(v.pub);
    const msg = unhex(v.msg);
    const sig = unhex(v.sig);
    const bad = [null, undefined, 'abc', 42, {}, [1, 2, 3]] as unknown as Uint8Array[];
    for (const b of bad) {
      expect(verifyEd25519Host(b, msg, sig)).toBe(false);
      expect(verifyEd25519Host(pub, b, sig)).toBe(false);
      expect(verifyEd25519Host(pub, msg, b)).toBe(false);
      expect(verifyEd25519Reference(b, msg, sig)).toBe(false);
      expect(verifyEd25519Reference(pub, b, sig)).toBe(false);
      expect(verifyEd25519Reference(pub, msg, b)).toBe(false);
      expect(await verifyEd25519HostAsync(b, msg, sig)).toBe(false);
      expect(await verifyEd25519HostAsync(pub, b, sig)).toBe(false);
      expect(await verifyEd25519HostAsync(pub, msg, b)).toBe(false);
    }
    // A valid signature inside a larger buffer (views with an offset) still verifies.
    const backing = new Uint8Array(200);
    backing.set(pub, 3);
    backing.set(sig, 50);
    expect(verifyEd25519Host(backing.subarray(3, 35), msg, backing.subarray(50, 114))).toBe(true);
    expect(verifyEd25519Reference(backing.subarray(3, 35), msg, backing.subarray(50, 114))).toBe(true);
  });

  it(`the key cache stays within HOST_KEY_CACHE_MAX (${HOST_KEY_CACHE_MAX}) and evicted keys still verify`, () => {
    const first = hostSigner(new Uint8Array(32).fill(1));
    const msg = new Uint8Array(Buffer.from('cache'));
    const firstSig = first.sign(msg);
    expect(verifyEd25519Host(first.publicKey, msg, firstSig)).toBe(true);
    const seeds = new Uint8Array(crypto.randomBytes(32 * (HOST_KEY_CACHE_MAX + 1)));
    for (let i = 0; i <= HOST_KEY_CACHE_MAX; i++) {
      const s = hostSigner(seeds.subarray(32 * i, 32 * i + 32));
      expect(verifyEd25519Host(s.publicKey, msg, s.sign(msg))).toBe(true);
      expect(hostKeyCacheSize()).toBeLessThanOrEqual(HOST_KEY_CACHE_MAX);
    }
    expect(hostKeyCacheSize()).toBe(HOST_KEY_CACHE_MAX);
    // `first` has been evicted by now: it is parsed again and gives the same answers.
    expect(verifyEd25519Host(first.publicKey, msg, firstSig)).toBe(true);
    const wrong = new Uint8Array(firstSig);
    wrong[5] ^= 1;
    expect(verifyEd25519Host(first.publicKey, msg, wrong)).toBe(false);
    expect(hostKeyCacheSize()).toBe(HOST_KEY_CACHE_MAX);
  });
});

describe('host and reference agree (property)', () => {
  it(`sign, public key, verify and single bit flips (${PROPERTY_RUNS} runs)`, () => {
    console.log(`Ed25519 host/reference property seed: ${PROPERTY_SEED}, runs: ${PROPERTY_RUNS}`);
    const flips = { sig: 0, pub: 0, msg: 0 };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: ED25519_SEED_BYTES, maxLength: ED25519_SEED_BYTES }),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.constantFrom('sig', 'pub', 'msg'),
        fc.nat(),
        (seed, msg, target, bitChoice) => {
          const rs = referenceSigner(seed);
          const pub = publicKeyFromSeedHost(seed);
          expect(hex(rs.publicKey)).toBe(hex(pub));
          const sig = signEd25519Host(seed, msg);
          expect(hex(rs.sign(msg))).toBe(hex(sig));
          expect(verifyEd25519Host(pub, msg, sig)).toBe(true);
          expect(verifyEd25519Reference(pub, msg, sig)).toBe(true);

          const where = target === 'msg' && msg.length === 0 ? 'sig' : (target as 'sig' | 'pub' | 'msg');
          const p2 = new Uint8Array(pub);
          const m2 = new Uint8Array(msg);
          const s2 = new Uint8Array(sig);
          const victim = where === 'sig' ? s2 : where === 'pub' ? p2 : m2;
          const bit = bitChoice % (victim.length * 8);
          victim[bit >> 3] ^= 1 << (bit & 7);
          flips[where]++;
          expect(verifyEd25519Host(p2, m2, s2)).toBe(false);
          expect(verifyEd25519Reference(p2, m2, s2)).toBe(false);
        },
      ),
      { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS },
    );
    console.log(`bit flips rejected by both: ${JSON.stringify(flips)}`);
  });

  it('random keys and signatures: host and reference give the same verdict and never throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        (pub, sig, msg) => {
          // S < 2^252 < L, so that the case reaches the verifiers' own decoding and equation.
          sig[63] &= 0x0f;
          expect(verifyEd25519Host(pub, msg, sig)).toBe(verifyEd25519Reference(pub, msg, sig));
        },
      ),
      { seed: PROPERTY_SEED, numRuns: 300 },
    );
  });
});
