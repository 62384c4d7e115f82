// Ed25519 on tweetnacl, for the Node simulator ONLY, when the WASM build of firmware/native is not there.
// A board never uses it: tweetnacl needs 14-42 s per verification on a desktop core under the Espruino
// interpreter, minutes on a Pico (../../../../../shared/espruino/FACTS.md). The reader runs the native C
// (platform/espruino/ed25519-native.ts).
//
// tweetnacl alone accepts S >= L, non-canonical keys and small-order keys; the protocol's byte pre-check
// (protocol/src/crypto/ed25519-rule.ts) refuses those first, so the verdicts are the carnet rule's.

import nacl from 'tweetnacl';
import { ed25519PreCheck } from '../../../../protocol/src/crypto/ed25519-rule';
import type { Ed25519 } from '../../hal/crypto';

export const TWEETNACL_ED25519_NAME = 'tweetnacl (simulateur Node uniquement)';

function checkSeed(seed: Uint8Array): void {
  // A wrong seed length is a programmer error (house rule: it may throw).
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw {
      code: 'ED25519_SEED_LENGTH',
      message: 'graine Ed25519 de mauvaise longueur (32 octets attendus)',
    };
  }
}

export function createTweetnaclEd25519(): Ed25519 {
  return {
    name: TWEETNACL_ED25519_NAME,
    verify(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean {
      try {
        if (!(msg instanceof Uint8Array)) return false;
        if (ed25519PreCheck(pub, sig) !== null) return false;
        return nacl.sign.detached.verify(msg, sig, pub) === true;
      } catch {
        return false;
      }
    },
    sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
      checkSeed(seed);
      return nacl.sign.detached(msg, nacl.sign.keyPair.fromSeed(seed).secretKey);
    },
    publicKey(seed: Uint8Array): Uint8Array {
      checkSeed(seed);
      return nacl.sign.keyPair.fromSeed(seed).publicKey;
    },
  };
}
