// The carnet Ed25519 validity rule, byte-level part (SPEC.md "Ed25519").
//
// One rule for every verifier of the project (host node:crypto, tweetnacl reference, firmware C code):
//   1. public key A is exactly 32 bytes, signature exactly 64 bytes R || S;
//   2. S < L (RFC 8032 §5.1.7), so that a signature cannot be re-encoded as S + L;
//   3. A's y coordinate is canonical, y < p = 2^255 - 19 (RFC 8032 §5.1.3 step 1 reads it; we refuse
//      the 19 redundant encodings y = p .. 2^255 - 1 outright);
//   4. A is not one of the small-order points (the 8 points with [8]A = identity, plus the two encodings of
//      x = 0 with the sign bit set that RFC 8032 §5.1.3 step 4 already rejects): with such a key the
//      signature (R = identity, S = 0) verifies for a large share of all messages (all of them for the
//      identity), so nobody can be held to a signature under it;
//   5. A decodes to a curve point (RFC 8032 §5.1.3 step 3) and encode([S]B - [k]A) == R byte for byte, with
//      k = SHA-512(R || A || M) mod L (cofactorless, RFC 8032 §5.1.7 without the factor 8). Step 5 is done
//      by the verifier's own point arithmetic (node:crypto, tweetnacl and the firmware C code all compute
//      exactly this); a non-canonical R then never verifies because the encoding they compare to is
//      canonical.
// This file holds steps 1-4: pure byte comparisons, no big integers, in the Espruino subset
// (../../../shared/espruino/FACTS.md) so that the firmware bundle runs the very same checks before calling
// its native verifier.

/** RFC 8032 §5.1.2: a public key is the 32-byte encoding of the point A. */
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** RFC 8032 §5.1.6 step 6: a signature is R (32 bytes) || S (32 bytes). */
export const ED25519_SIGNATURE_BYTES = 64;
/** RFC 8032 §5.1.5: the private key is a 32-byte seed, hashed with SHA-512 into the scalar and prefix. */
export const ED25519_SEED_BYTES = 32;

/** Error words of the pre-check, French first (the project's people read French). */
export const ED25519_MESSAGES_FR: { [code: string]: string } = {
  ED25519_KEY_LENGTH: 'clé publique Ed25519 de mauvaise longueur (32 octets attendus)',
  ED25519_SIG_LENGTH: 'signature Ed25519 de mauvaise longueur (64 octets attendus)',
  ED25519_S_NOT_CANONICAL: "signature Ed25519 non canonique (S n'est pas inférieur à l'ordre L du groupe)",
  ED25519_KEY_NOT_CANONICAL: "clé publique Ed25519 non canonique (y n'est pas inférieur à 2^255 - 19)",
  ED25519_KEY_SMALL_ORDER: "clé publique Ed25519 refusée : point d'ordre faible, elle n'engage personne",
};

/** The same error words in English. */
export const ED25519_MESSAGES_EN: { [code: string]: string } = {
  ED25519_KEY_LENGTH: 'Ed25519 public key of the wrong length (32 bytes expected)',
  ED25519_SIG_LENGTH: 'Ed25519 signature of the wrong length (64 bytes expected)',
  ED25519_S_NOT_CANONICAL: 'non-canonical Ed25519 signature (S is not below the group order L)',
  ED25519_KEY_NOT_CANONICAL: 'non-canonical Ed25519 public key (y is not below 2^255 - 19)',
  ED25519_KEY_SMALL_ORDER: 'Ed25519 public key refused: small-order point, it binds nobody',
};

/**
 * Every encoding with y < p of a point A with [8]A = identity (RFC 8032 §5.1.3 encoding: y little-endian,
 * bit 255 = sign of x). Derived and checked point by point in ed25519.test.ts with an independent big
 * integer implementation of the curve.
 */
export const ED25519_SMALL_ORDER_KEYS_HEX: string[] = [
  // identity (0, 1), order 1
  '0100000000000000000000000000000000000000000000000000000000000000',
  // y = 1 with the sign bit set: x = 0 cannot be "negative" (RFC 8032 §5.1.3 step 4)
  '0100000000000000000000000000000000000000000000000000000000000080',
  // (0, -1), order 2: y = p - 1
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  // y = p - 1 with the sign bit set (x = 0 again, RFC 8032 §5.1.3 step 4)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  // (±sqrt(-1), 0), order 4: y = 0, both signs of x
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  // the four points of order 8: two y values, both signs of x each
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];

/** L = 2^252 + 27742317777372353535851937790883648493, the prime order of the base point, little-endian. */
export const ED25519_GROUP_ORDER_L_HEX = 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010';

function hexDigitValue(c: number): number {
  // Constants of this file only: lower-case digits.
  return c <= 57 ? c - 48 : c - 87;
}

function bytesOfHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = hexDigitValue(hex.charCodeAt(2 * i)) * 16 + hexDigitValue(hex.charCodeAt(2 * i + 1));
  }
  return out;
}

const GROUP_ORDER_L = bytesOfHex(ED25519_GROUP_ORDER_L_HEX);
const SMALL_ORDER_KEYS: Uint8Array[] = [];
for (let i = 0; i < ED25519_SMALL_ORDER_KEYS_HEX.length; i++) {
  SMALL_ORDER_KEYS.push(bytesOfHex(ED25519_SMALL_ORDER_KEYS_HEX[i]));
}

/**
 * True iff `s32` is 32 bytes and, read little-endian, is below L (RFC 8032 §5.1.7: "If S is not in
 * the range [0, L), reject"). Compared from the most significant byte down.
 */
export function isCanonicalScalar(s32: Uint8Array): boolean {
  if (s32 == null || s32.length !== 32) return false;
  for (let i = 31; i >= 0; i--) {
    if (s32[i] < GROUP_ORDER_L[i]) return true;
    if (s32[i] > GROUP_ORDER_L[i]) return false;
  }
  return false; // equal to L
}

/**
 * True iff `y32` is 32 bytes and its low 255 bits (bit 255 is the sign of x and is ignored here),
 * read little-endian, are below p = 2^255 - 19. The values at or above p are exactly those whose bits
 * 8..254 are all ones and whose lowest byte is at least 0xed (p = ed ff .. ff 7f little-endian).
 */
export function isCanonicalFieldElement(y32: Uint8Array): boolean {
  if (y32 == null || y32.length !== 32) return false;
  if ((y32[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) {
    if (y32[i] !== 0xff) return true;
  }
  return y32[0] < 0xed;
}

/** True iff `pub32` is byte for byte one of ED25519_SMALL_ORDER_KEYS_HEX. */
export function isSmallOrderKey(pub32: Uint8Array): boolean {
  if (pub32 == null || pub32.length !== 32) return false;
  for (let k = 0; k < SMALL_ORDER_KEYS.length; k++) {
    const candidate = SMALL_ORDER_KEYS[k];
    let same = true;
    for (let i = 0; i < 32 && same; i++) {
      if (pub32[i] !== candidate[i]) same = false;
    }
    if (same) return true;
  }
  return false;
}

/**
 * Steps 1-4 of the rule. Returns null when they pass (the verifier must then decode A and check the
 * equation), or the code of the first failing check, in this fixed order: ED25519_KEY_LENGTH,
 * ED25519_SIG_LENGTH, ED25519_S_NOT_CANONICAL, ED25519_KEY_NOT_CANONICAL, ED25519_KEY_SMALL_ORDER.
 * Never throws.
 */
export function ed25519PreCheck(pub: Uint8Array, sig: Uint8Array): string | null {
  if (pub == null || pub.length !== ED25519_PUBLIC_KEY_BYTES) return 'ED25519_KEY_LENGTH';
  if (sig == null || sig.length !== ED25519_SIGNATURE_BYTES) return 'ED25519_SIG_LENGTH';
  if (!isCanonicalScalar(sig.subarray(32, 64))) return 'ED25519_S_NOT_CANONICAL';
  if (!isCanonicalFieldElement(pub)) return 'ED25519_KEY_NOT_CANONICAL';
  if (isSmallOrderKey(pub)) return 'ED25519_KEY_SMALL_ORDER';
  return null;
}
