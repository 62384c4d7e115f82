// Shared by the native Ed25519 tests: vectors (RFC 8032 §7.1, Wycheproof, the protocol's golden files),
// the independent verdicts they are compared with, and node:crypto signing.

import crypto from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { verifyEd25519Host } from '../../protocol/src/node/ed25519';
import { verifyEd25519Reference } from '../../protocol/src/node/ed25519-reference';
import { REPO_ROOT } from './build';

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export interface VerifyCase {
  /** Where the case comes from, e.g. "wycheproof #63". */
  id: string;
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
  /** The expected verdict from the vector file. */
  valid: boolean;
  comment: string;
}

/** The Ed25519 vectors of Project Wycheproof (../shared/vectors, read-only), every group and case. */
export function wycheproofCases(): VerifyCase[] {
  const file = path.join(REPO_ROOT, '..', 'shared', 'vectors', 'wycheproof_ed25519_test.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    testGroups: {
      publicKey: { pk: string };
      tests: { tcId: number; comment: string; msg: string; sig: string; result: string }[];
    }[];
  };
  const out: VerifyCase[] = [];
  for (const g of doc.testGroups) {
    for (const t of g.tests) {
      if (t.result !== 'valid' && t.result !== 'invalid') throw new Error(`unexpected result ${t.result}`);
      out.push({
        id: `wycheproof #${t.tcId}`,
        pub: fromHex(g.publicKey.pk),
        msg: fromHex(t.msg),
        sig: fromHex(t.sig),
        valid: t.result === 'valid',
        comment: t.comment,
      });
    }
  }
  return out;
}

export interface Rfc8032Test {
  name: string;
  seed: Uint8Array;
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
}

/**
 * RFC 8032 §7.1, the five Ed25519 tests, typed from the RFC. TEST 1024's 1023-byte message is the same
 * bytes as Wycheproof's "Test 1024" case (its key is checked to be the RFC's).
 */
export function rfc8032Tests(): Rfc8032Test[] {
  const test1024 = wycheproofCases().find((c) => c.comment.endsWith('Test 1024'));
  if (!test1024) throw new Error('Wycheproof "Test 1024" missing');
  const t = (
    name: string,
    seed: string,
    pub: string,
    msg: string | Uint8Array,
    sig: string,
  ): Rfc8032Test => ({
    name,
    seed: fromHex(seed),
    pub: fromHex(pub),
    msg: typeof msg === 'string' ? fromHex(msg) : msg,
    sig: fromHex(sig),
  });
  return [
    t(
      'TEST 1',
      '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      '',
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    ),
    t(
      'TEST 2',
      '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      '72',
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    ),
    t(
      'TEST 3',
      'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
      'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
      'af82',
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    ),
    t(
      'TEST 1024',
      'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
      '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
      test1024.msg,
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
    ),
    t(
      'TEST SHA(abc)',
      '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
      'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
    ),
  ];
}

export interface ProtocolVectorFile {
  file: string;
  cases: VerifyCase[];
}

interface ProtocolCase {
  id: string | number;
  comment?: string;
  result: string;
  // protocol/vectors/README.md layout: the signature in `bytes`, key and message in `context`
  bytes?: string;
  context?: { public_key?: string; message?: string };
  // plain layout {pub, msg, sig}, accepted as well
  pub?: string;
  msg?: string;
  sig?: string;
}

/**
 * Every protocol golden file with Ed25519 cases: protocol/vectors/ed25519*.json. The cases follow
 * protocol/vectors/README.md ({id, comment, context: {public_key, message}, bytes: signature, result});
 * a plain {pub, msg, sig, result} case is read too. An empty list means no such file exists (the tests
 * log it).
 */
export function protocolEd25519Vectors(): ProtocolVectorFile[] {
  const dir = path.join(REPO_ROOT, 'protocol', 'vectors');
  if (!existsSync(dir)) return [];
  const out: ProtocolVectorFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/^ed25519.*\.json$/.test(name)) continue;
    const doc = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { tests?: ProtocolCase[] };
    if (!Array.isArray(doc.tests)) throw new Error(`${name}: no "tests" array`);
    out.push({
      file: name,
      cases: doc.tests.map((t) => {
        const pub = t.context?.public_key ?? t.pub;
        const msg = t.context?.message ?? t.msg;
        const sig = t.bytes ?? t.sig;
        if (pub === undefined || msg === undefined || sig === undefined) {
          throw new Error(`${name} #${t.id}: public key, message or signature missing`);
        }
        if (t.result !== 'valid' && t.result !== 'invalid')
          throw new Error(`${name} #${t.id}: result ${t.result}`);
        return {
          id: `${name} #${t.id}`,
          pub: fromHex(pub),
          msg: fromHex(msg),
          sig: fromHex(sig),
          valid: t.result === 'valid',
          comment: t.comment ?? '',
        };
      }),
    });
  }
  return out;
}

/** The host verifier of the protocol (node:crypto behind the carnet pre-checks). */
export function hostVerify(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean {
  return verifyEd25519Host(pub, msg, sig);
}

/** The protocol's reference verifier (tweetnacl behind the same pre-checks). */
export function referenceVerify(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean {
  return verifyEd25519Reference(pub, msg, sig);
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function nodeKey(seed: Uint8Array): crypto.KeyObject {
  return crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** node:crypto (OpenSSL) signature and public key of a seed. */
export function nodeSign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.sign(null, msg, nodeKey(seed)));
}

export function nodePublicKey(seed: Uint8Array): Uint8Array {
  return publicKeyOf(nodeKey(seed));
}

function publicKeyOf(key: crypto.KeyObject): Uint8Array {
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/** node:crypto's public key and signature of one seed, parsing the key once. */
export function nodeKeyAndSign(seed: Uint8Array, msg: Uint8Array): { pub: Uint8Array; sig: Uint8Array } {
  const key = nodeKey(seed);
  return { pub: publicKeyOf(key), sig: new Uint8Array(crypto.sign(null, msg, key)) };
}

export function sha512(msg: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash('sha512').update(msg).digest());
}
