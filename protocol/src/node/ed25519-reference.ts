// Reference Ed25519 on tweetnacl (pure JavaScript, independent of OpenSSL), applying the same carnet
// validity rule as the host verifier: tests compare the two verdict by verdict.
//
// tweetnacl's verify (crypto_sign_open) decodes A, refusing points off the curve (RFC 8032 §5.1.3 step 3),
// and compares encode([S]B - [k]A) with R byte for byte (cofactorless §5.1.7). On its own it accepts S >= L,
// non-canonical y and small-order keys: the pre-check (../crypto/ed25519-rule.ts) refuses those first.
// Host and tests only; far too large and slow for a device (../../../shared/espruino/FACTS.md).

import nacl from 'tweetnacl';
import { ED25519_SEED_BYTES, ed25519PreCheck } from '../crypto/ed25519-rule';
import { sha256 } from '../crypto/sha256';
import type { Ed25519Signer, ProtocolCrypto, Sha256 } from '../crypto/types';

/** Verifies `sig` on `msg` under `pub` with the full carnet rule. Never throws: anything wrong is false. */
export function verifyEd25519Reference(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (ed25519PreCheck(pub, sig) !== null) return false;
    return nacl.sign.detached.verify(msg, sig, pub) === true;
  } catch {
    return false;
  }
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

/** Pure Ed25519 signature (RFC 8032 §5.1.6) of `msg` with the 32-byte seed: 64 bytes R || S. */
export function signEd25519Reference(seed32: Uint8Array, msg: Uint8Array): Uint8Array {
  checkSeed(seed32);
  return nacl.sign.detached(msg, nacl.sign.keyPair.fromSeed(seed32).secretKey);
}

/** The 32-byte public key of a seed (RFC 8032 §5.1.5). */
export function publicKeyFromSeedReference(seed32: Uint8Array): Uint8Array {
  checkSeed(seed32);
  return nacl.sign.keyPair.fromSeed(seed32).publicKey;
}

/** A signer holding the expanded tweetnacl secret key. */
export function referenceSigner(seed32: Uint8Array): Ed25519Signer {
  checkSeed(seed32);
  const pair = nacl.sign.keyPair.fromSeed(seed32);
  return {
    publicKey: pair.publicKey,
    sign: (msg: Uint8Array): Uint8Array => nacl.sign.detached(msg, pair.secretKey),
  };
}

/** The portable SHA-256 of ../crypto/sha256.ts (FIPS 180-4), the one firmware code runs in Node tests. */
export const sha256Reference: Sha256 = sha256;

/** The crypto of the reference path, interchangeable with hostCrypto. */
export const referenceCrypto: ProtocolCrypto = { sha256: sha256Reference, verify: verifyEd25519Reference };
