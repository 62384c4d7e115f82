// Host Ed25519 and SHA-256 on node:crypto (OpenSSL), applying the carnet validity rule.
//
// Host only: any Node feature is allowed here; the firmware never imports this file.
// The rule (../crypto/ed25519-rule.ts, SPEC.md "Ed25519") is: byte pre-checks (lengths, S < L, canonical
// and non-small-order key), then OpenSSL's verification, which decodes A (refusing points off the curve,
// RFC 8032 §5.1.3 step 3) and compares encode([S]B - [k]A) with R byte for byte (cofactorless §5.1.7).
// The pre-checks are not optional: OpenSSL 3.0 alone accepts (R = identity, S = 0) under the identity key
// for every message (see ed25519.test.ts).

import crypto from 'node:crypto';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SEED_BYTES, ed25519PreCheck } from '../crypto/ed25519-rule';
import type { Ed25519Signer, ProtocolCrypto } from '../crypto/types';

// RFC 8410 §4: SubjectPublicKeyInfo for id-Ed25519 (OID 1.3.101.112) followed by the 32 raw key bytes:
// SEQUENCE(42) { SEQUENCE(5) { OID 2b6570 }, BIT STRING(33) { 0 unused bits, key } }.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
// RFC 8410 §7 / RFC 5958: OneAsymmetricKey version 0, id-Ed25519, privateKey = OCTET STRING wrapping the
// CurvePrivateKey OCTET STRING of the 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Most parsed public keys kept by the host verifier. A ledger checks logs from a few hundred readers and
 * vouchers from a few thousand cards; 4096 keeps them all hot, while a stream of fresh (possibly hostile)
 * keys cannot make the cache grow past about 4096 small KeyObjects.
 */
export const HOST_KEY_CACHE_MAX = 4096;

// Least-recently-used cache: a Map iterates in insertion order, so a hit is moved to the end and the
// first entry is the one to evict. null marks a key OpenSSL refused to import.
const keyCache = new Map<string, crypto.KeyObject | null>();

function cacheId(pub: Uint8Array): string {
  return Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString('latin1');
}

/** Number of public keys currently cached (for tests of the bound). */
export function hostKeyCacheSize(): number {
  return keyCache.size;
}

// The KeyObject of a 32-byte public key that passed the pre-check, or null if OpenSSL refuses it.
function publicKeyObject(pub: Uint8Array): crypto.KeyObject | null {
  const id = cacheId(pub);
  const cached = keyCache.get(id);
  if (cached !== undefined) {
    keyCache.delete(id);
    keyCache.set(id, cached);
    return cached;
  }
  let key: crypto.KeyObject | null;
  try {
    key = crypto.createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, pub]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    key = null;
  }
  keyCache.set(id, key);
  if (keyCache.size > HOST_KEY_CACHE_MAX) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  return key;
}

/** Verifies `sig` on `msg` under `pub` with the full carnet rule. Never throws: anything wrong is false. */
export function verifyEd25519Host(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (ed25519PreCheck(pub, sig) !== null) return false;
    const key = publicKeyObject(pub);
    if (key === null) return false;
    return crypto.verify(null, msg, key, sig) === true;
  } catch {
    return false;
  }
}

/**
 * Same verdict as verifyEd25519Host, computed on libuv's thread pool (node:crypto's callback form), so that
 * a ledger checking many signatures uses every core. Never rejects. The caller must not modify the three
 * arrays before the promise settles.
 */
export function verifyEd25519HostAsync(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    try {
      if (ed25519PreCheck(pub, sig) !== null) {
        resolve(false);
        return;
      }
      const key = publicKeyObject(pub);
      if (key === null) {
        resolve(false);
        return;
      }
      crypto.verify(null, msg, key, sig, (err, ok) => {
        resolve(err === null && ok === true);
      });
    } catch {
      resolve(false);
    }
  });
}

function checkSeed(seed32: Uint8Array): void {
  // A wrong seed length is a programmer error, not hostile input: throw (house rule).
  if (!(seed32 instanceof Uint8Array) || seed32.length !== ED25519_SEED_BYTES) {
    throw {
      code: 'ED25519_SEED_LENGTH',
      message: 'graine Ed25519 de mauvaise longueur (32 octets attendus)',
    };
  }
}

function privateKeyObject(seed32: Uint8Array): crypto.KeyObject {
  checkSeed(seed32);
  return crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed32]),
    format: 'der',
    type: 'pkcs8',
  });
}

function publicKeyOf(privateKey: crypto.KeyObject): Uint8Array {
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  if (spki.length !== SPKI_ED25519_PREFIX.length + ED25519_PUBLIC_KEY_BYTES) {
    throw { code: 'ED25519_SPKI', message: 'export SPKI inattendu de node:crypto' };
  }
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
}

/** Pure Ed25519 signature (RFC 8032 §5.1.6) of `msg` with the 32-byte seed: 64 bytes R || S. */
export function signEd25519Host(seed32: Uint8Array, msg: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.sign(null, msg, privateKeyObject(seed32)));
}

/** The 32-byte public key of a seed (RFC 8032 §5.1.5). */
export function publicKeyFromSeedHost(seed32: Uint8Array): Uint8Array {
  return publicKeyOf(privateKeyObject(seed32));
}

/** A signer holding the parsed private key, for repeated signatures with the same seed. */
export function hostSigner(seed32: Uint8Array): Ed25519Signer {
  const privateKey = privateKeyObject(seed32);
  return {
    publicKey: publicKeyOf(privateKey),
    sign: (msg: Uint8Array): Uint8Array => new Uint8Array(crypto.sign(null, msg, privateKey)),
  };
}

/** SHA-256 digest (32 bytes) by node:crypto. */
export function sha256Host(data: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash('sha256').update(data).digest());
}

/** The crypto the protocol structures use on the host. */
export const hostCrypto: ProtocolCrypto = { sha256: sha256Host, verify: verifyEd25519Host };
