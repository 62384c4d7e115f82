// Ed25519 of the reader (interface only). Implementations:
//   platform/espruino/ed25519-native.ts   the C code of firmware/native as a Thumb blob (E.nativeCall), on
//                                         every ARM board: the only one the reader ever uses;
//   platform/node/ed25519-wasm.ts         the same C compiled to WebAssembly (tests, simulator);
//   platform/node/ed25519-tweetnacl.ts    tweetnacl, for the Node simulator only when the WASM build is
//                                         missing (never on a board: minutes per verification there).
// All apply the carnet validity rule (protocol/src/crypto/ed25519-rule.ts, SPEC.md "Ed25519") and give the
// same verdict on every input; the tests compare them with the host verifier.
//
// Argument order: verify(sig, pub, msg), as specified for this interface. The protocol's Ed25519Verify
// (protocol/src/crypto/types.ts) takes (pub, msg, sig): adapt with a small function, never by position.

export interface Ed25519 {
  /**
   * True iff `sig` (64 bytes R || S) is a valid signature of `msg` under `pub` (32 bytes) by the carnet
   * rule. Never throws: wrong lengths and hostile bytes answer false.
   */
  verify(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean;
  /** Pure Ed25519 signature (RFC 8032 §5.1.6) of `msg` with the 32-byte seed: 64 bytes R || S. */
  sign(seed: Uint8Array, msg: Uint8Array): Uint8Array;
  /** The 32-byte public key of a 32-byte seed (RFC 8032 §5.1.5). */
  publicKey(seed: Uint8Array): Uint8Array;
  /** Which implementation this is, for logs and the self-test screen. */
  readonly name: string;
}
