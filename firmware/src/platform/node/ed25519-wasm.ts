// Ed25519 on the WebAssembly build of firmware/native (the very C the reader runs as a Thumb blob), for
// the Node tests and the simulator. Node only: not part of the Espruino bundle.
//
// The module is freestanding (no imports). Arguments go through a scratch area at __heap_base, grown
// as needed; every call copies its inputs in and its output out, so callers never see WASM memory.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ed25519 } from '../../hal/crypto';

/** Where firmware/native/build.ts writes the WebAssembly build. */
export const ED25519_WASM_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'native',
  'build',
  'ed25519.wasm',
);

interface NativeExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  carnet_ed25519_verify(sig: number, pub: number, msg: number, msglen: number): number;
  carnet_ed25519_sign(out: number, seed: number, msg: number, msglen: number): number;
  carnet_ed25519_pubkey(out: number, seed: number): number;
  carnet_sha512(out: number, msg: number, msglen: number): number;
  carnet_ed25519_check_pubkey(pub: number): number;
  carnet_ed25519_version(): number;
}

export interface Ed25519Wasm extends Ed25519 {
  /** The C verifier's raw answer: 1 valid, 0 invalid, -1 bad arguments (lengths are checked before). */
  verifyRaw(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): number;
  /**
   * carnet_ed25519_check_pubkey: 0 if the 32-byte key passes the rule's key checks, else why not (1 y >= p,
   * 2 not on the curve, 3 x = 0 with the sign bit set, 4 small order); -1 for a wrong length.
   */
  checkPublicKey(pub: Uint8Array): number;
  /** SHA-512 (FIPS 180-4) by the same C code. */
  sha512(msg: Uint8Array): Uint8Array;
  /** carnet_ed25519_version(): the blob ABI (CARNET_ED25519_ABI). */
  version(): number;
}

function seedError(): { code: string; message: string } {
  return { code: 'ED25519_SEED_LENGTH', message: 'graine Ed25519 de mauvaise longueur (32 octets attendus)' };
}

/** Instantiates the WASM build (from `wasmPath`, default the build output) as an Ed25519. */
export function loadEd25519Wasm(wasmPath?: string): Ed25519Wasm {
  const module = new WebAssembly.Module(readFileSync(wasmPath === undefined ? ED25519_WASM_PATH : wasmPath));
  const x = new WebAssembly.Instance(module, {}).exports as unknown as NativeExports;
  const base = x.__heap_base.value as number;

  // Scratch layout at __heap_base: out[64] | key[32] | sig[64] | msg[...].
  const OUT = base;
  const KEY = base + 64;
  const SIG = base + 96;
  const MSG = base + 160;

  function reserve(msgLen: number): Uint8Array {
    const need = MSG + msgLen;
    const have = x.memory.buffer.byteLength;
    if (need > have) x.memory.grow(Math.ceil((need - have) / 65536));
    return new Uint8Array(x.memory.buffer);
  }

  function verifyRaw(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): number {
    const mem = reserve(msg.length);
    mem.set(sig, SIG);
    mem.set(pub, KEY);
    mem.set(msg, MSG);
    return x.carnet_ed25519_verify(SIG, KEY, MSG, msg.length);
  }

  return {
    name: 'C natif (WebAssembly)',
    verifyRaw,
    verify(sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean {
      if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
      if (!(pub instanceof Uint8Array) || pub.length !== 32) return false;
      if (!(msg instanceof Uint8Array)) return false;
      return verifyRaw(sig, pub, msg) === 1;
    },
    sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
      if (!(seed instanceof Uint8Array) || seed.length !== 32) throw seedError();
      const mem = reserve(msg.length);
      mem.set(seed, KEY);
      mem.set(msg, MSG);
      const r = x.carnet_ed25519_sign(OUT, KEY, MSG, msg.length);
      if (r !== 0) throw { code: 'ED25519_NATIVE', message: `signature native refusée (code ${r})` };
      const out = new Uint8Array(new Uint8Array(x.memory.buffer, OUT, 64));
      new Uint8Array(x.memory.buffer).fill(0, KEY, KEY + 32);
      return out;
    },
    publicKey(seed: Uint8Array): Uint8Array {
      if (!(seed instanceof Uint8Array) || seed.length !== 32) throw seedError();
      const mem = reserve(0);
      mem.set(seed, KEY);
      x.carnet_ed25519_pubkey(OUT, KEY);
      const out = new Uint8Array(new Uint8Array(x.memory.buffer, OUT, 32));
      new Uint8Array(x.memory.buffer).fill(0, KEY, KEY + 32);
      return out;
    },
    checkPublicKey(pub: Uint8Array): number {
      if (!(pub instanceof Uint8Array) || pub.length !== 32) return -1;
      reserve(0).set(pub, KEY);
      return x.carnet_ed25519_check_pubkey(KEY);
    },
    sha512(msg: Uint8Array): Uint8Array {
      const mem = reserve(msg.length);
      mem.set(msg, MSG);
      x.carnet_sha512(OUT, MSG, msg.length);
      return new Uint8Array(new Uint8Array(x.memory.buffer, OUT, 64));
    },
    version(): number {
      return x.carnet_ed25519_version();
    },
  };
}
