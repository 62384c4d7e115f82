// Crypto is injected into the protocol structures: the host passes node:crypto (protocol/src/node/ed25519.ts),
// tests may pass the tweetnacl reference (protocol/src/node/ed25519-reference.ts), and the firmware passes
// Espruino's native SHA-256 and its C Ed25519 verifier. Every implementation applies the same validity rule
// (protocol/src/crypto/ed25519-rule.ts, SPEC.md "Ed25519"), so a structure verifies identically everywhere.

/** SHA-256 (FIPS 180-4): returns the 32-byte digest of `data`. */
export interface Sha256 {
  (data: Uint8Array): Uint8Array;
}

/**
 * Ed25519 verification applying the full carnet rule: length checks, S < L, canonical and non-small-order
 * public key, then the cofactorless equation encode([S]B - [k]A) == R (RFC 8032 §5.1.7). Never throws:
 * any malformed input answers false.
 */
export interface Ed25519Verify {
  (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
}

/** A holder of one Ed25519 private key (pure Ed25519, RFC 8032 §5.1.6); `sign` returns 64 bytes R || S. */
export interface Ed25519Signer {
  publicKey: Uint8Array;
  sign(msg: Uint8Array): Uint8Array;
}

/** What the protocol structures need to check untrusted bytes. */
export interface ProtocolCrypto {
  sha256: Sha256;
  verify: Ed25519Verify;
}
