// Ed25519 on the reader: the C of firmware/native, compiled to a Thumb-2 blob, stored as the Storage file
// ed25519.bin and called with E.nativeCall. The only file of the firmware that touches E for this.
// Espruino subset (../../../../../shared/espruino/FACTS.md).
//
// How the blob is called (firmware/native/README.md):
//  - require("Storage").read(name) maps the file in flash without copying it; E.getAddressOf(code, true)
//    gives its address. E.nativeCall(address + offset + 1, signature) builds a native function for an
//    entry (bit 0 set: Thumb). The code string is NOT passed as E.nativeCall's third argument: Espruino
//    would copy the 18 KB blob into RAM (JsVars) for every function made that way.
//  - Buffers are passed as addresses of flat strings: E.toFlatString(bytes) then E.getAddressOf(
//    E.toArrayBuffer(flat), true); the C writes its output into the same memory.
//  - Storage.compact() moves files: the address is read again before every call, and a moved file is
//    checked again (size, CRC-32, ABI version) before it is called.
//  - A board without the Cortex-M4 instruction set (the original Espruino board is a Cortex-M3, ESP32 is
//    not ARM) must not jump into the blob: only the boards listed below are accepted.
//
// Verdicts: the C applies the whole carnet rule (SPEC.md "Ed25519"); this wrapper only refuses wrong
// lengths before calling it.

import { Ed25519 } from '../../hal/crypto';
import {
  ED25519_BLOB_ABI,
  ED25519_BLOB_CRC32,
  ED25519_BLOB_NAME,
  ED25519_BLOB_SIZE,
  ED25519_OFFSET_PUBKEY,
  ED25519_OFFSET_SHA512,
  ED25519_OFFSET_SIGN,
  ED25519_OFFSET_VERIFY,
  ED25519_OFFSET_VERSION,
} from './ed25519-native.generated';

/**
 * process.env.BOARD of the boards whose MCU is a Cortex-M4 (UMAAL and the other ARMv7E-M instructions the
 * blob uses): Pico (STM32F401), WiFi (STM32F411), Jolt.js (nRF52840), MDBT42Q (nRF52832).
 */
export const NATIVE_ED25519_BOARDS = ['PICO_R1_3', 'ESPRUINOWIFI', 'JOLTJS', 'MDBT42Q'];

/** The part of Espruino's E this adapter uses (injected by main.ts: the global E). */
export interface EspruinoE {
  nativeCall(address: number, signature: string): (a?: number, b?: number, c?: number, d?: number) => number;
  getAddressOf(v: unknown, flatAddress: boolean): number;
  toFlatString(data: Uint8Array): string | undefined;
  toArrayBuffer(s: string): ArrayBuffer;
  CRC32(data: string): number;
}

/** The part of require("Storage") this adapter uses. */
export interface EspruinoStorage {
  read(name: string): string | undefined;
}

export interface NativeEd25519 extends Ed25519 {
  /** SHA-512 by the blob (FIPS 180-4): the Pico and the MDBT42Q have no native SHA-512 in Espruino. */
  sha512(msg: Uint8Array): Uint8Array;
}

export type NativeOpen = { ok: true; value: NativeEd25519 } | { ok: false; code: string; message: string };

/** Error words of the adapter, French first. */
export const NATIVE_ED25519_MESSAGES_FR: { [code: string]: string } = {
  NATIVE_BOARD_UNSUPPORTED:
    'carte non prise en charge : le code Ed25519 natif demande un Cortex-M4 (Pico, WiFi, Jolt.js, MDBT42Q)',
  NATIVE_BLOB_MISSING: 'fichier ed25519.bin absent de la mémoire Storage : réinstallez le micrologiciel',
  NATIVE_BLOB_MISMATCH:
    'fichier ed25519.bin différent de celui de ce micrologiciel (taille, CRC ou version) : réinstallez-le',
  NATIVE_BLOB_NOT_MAPPED: "fichier ed25519.bin inutilisable : il n'est pas lisible directement en mémoire",
  NATIVE_OUT_OF_MEMORY: 'mémoire insuffisante pour appeler le code Ed25519 natif',
  NATIVE_SELF_TEST:
    "le code Ed25519 natif a échoué à son auto-test (vecteurs de la RFC 8032) : il n'est pas utilisé",
  NATIVE_CALL_FAILED: 'le code Ed25519 natif a refusé ses arguments',
};

export const NATIVE_ED25519_MESSAGES_EN: { [code: string]: string } = {
  NATIVE_BOARD_UNSUPPORTED:
    'unsupported board: the native Ed25519 code needs a Cortex-M4 (Pico, WiFi, Jolt.js, MDBT42Q)',
  NATIVE_BLOB_MISSING: 'ed25519.bin missing from Storage: reinstall the firmware',
  NATIVE_BLOB_MISMATCH: 'ed25519.bin differs from this firmware (size, CRC or version): reinstall it',
  NATIVE_BLOB_NOT_MAPPED: 'ed25519.bin unusable: it is not readable in place in memory',
  NATIVE_OUT_OF_MEMORY: 'not enough memory to call the native Ed25519 code',
  NATIVE_SELF_TEST: 'the native Ed25519 code failed its self-test (RFC 8032 vectors): not used',
  NATIVE_CALL_FAILED: 'the native Ed25519 code refused its arguments',
};

function fail(code: string): NativeOpen {
  return { ok: false, code: code, message: NATIVE_ED25519_MESSAGES_FR[code] };
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

// RFC 8032 §7.1, TEST 1 (empty message): run at start-up through the whole E.nativeCall path.
const KAT_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const KAT_PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const KAT_SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

interface Entries {
  base: number;
  verify: (a?: number, b?: number, c?: number, d?: number) => number;
  sign: (a?: number, b?: number, c?: number, d?: number) => number;
  pubkey: (a?: number, b?: number, c?: number, d?: number) => number;
  sha512: (a?: number, b?: number, c?: number, d?: number) => number;
}

/** Thrown (not returned) by calls after a successful open: the blob vanished or memory ran out. */
function callError(code: string): { code: string; message: string } {
  return { code: code, message: NATIVE_ED25519_MESSAGES_FR[code] };
}

/**
 * Opens the native Ed25519: checks the board, the Storage file (size, CRC-32, mapped address, ABI) and
 * runs the RFC 8032 known-answer test through E.nativeCall. Never throws; on any failure the reader must
 * refuse to take payments (there is no fallback on a board).
 */
export function openNativeEd25519(e: EspruinoE, storage: EspruinoStorage, board: string): NativeOpen {
  if (NATIVE_ED25519_BOARDS.indexOf(board) < 0) return fail('NATIVE_BOARD_UNSUPPORTED');

  let entries: Entries | null = null;

  // The blob's current address and entry functions, checked again whenever the address changes.
  function locate(): Entries | string {
    const code = storage.read(ED25519_BLOB_NAME);
    if (code === undefined) return 'NATIVE_BLOB_MISSING';
    const base = e.getAddressOf(code, true);
    if (entries !== null && entries.base === base && base !== 0) return entries;
    if (code.length !== ED25519_BLOB_SIZE || e.CRC32(code) >>> 0 !== ED25519_BLOB_CRC32) {
      return 'NATIVE_BLOB_MISMATCH';
    }
    // The blob's constant tables are read with word loads: the file must start on a 4-byte boundary.
    if (base === 0 || (base & 3) !== 0) return 'NATIVE_BLOB_NOT_MAPPED';
    const version = e.nativeCall(base + ED25519_OFFSET_VERSION + 1, 'int()');
    if (version() !== ED25519_BLOB_ABI) return 'NATIVE_BLOB_MISMATCH';
    entries = {
      base: base,
      verify: e.nativeCall(base + ED25519_OFFSET_VERIFY + 1, 'int(int,int,int,int)'),
      sign: e.nativeCall(base + ED25519_OFFSET_SIGN + 1, 'int(int,int,int,int)'),
      pubkey: e.nativeCall(base + ED25519_OFFSET_PUBKEY + 1, 'int(int,int)'),
      sha512: e.nativeCall(base + ED25519_OFFSET_SHA512 + 1, 'int(int,int,int)'),
    };
    return entries;
  }

  function current(): Entries {
    const r = locate();
    if (typeof r === 'string') throw callError(r);
    return r;
  }

  // One flat buffer per call holding every argument; returns [view, address] or throws.
  function flat(bytes: Uint8Array): { view: Uint8Array; address: number } {
    const s = e.toFlatString(bytes);
    if (s === undefined) throw callError('NATIVE_OUT_OF_MEMORY');
    const ab = e.toArrayBuffer(s);
    const address = e.getAddressOf(ab, true);
    if (address === 0) throw callError('NATIVE_OUT_OF_MEMORY');
    return { view: new Uint8Array(ab), address: address };
  }

  function checkSeed(seed: Uint8Array): void {
    // A wrong seed length is a programmer error (house rule: it may throw).
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw {
        code: 'ED25519_SEED_LENGTH',
        message: 'graine Ed25519 de mauvaise longueur (32 octets attendus)',
      };
    }
  }

  const api: NativeEd25519 = {
    name: 'C natif (Thumb, E.nativeCall)',
    verify: function (sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean {
      if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
      if (!(pub instanceof Uint8Array) || pub.length !== 32) return false;
      if (!(msg instanceof Uint8Array)) return false;
      const en = current();
      // [sig 64 | pub 32 | msg]
      const args = new Uint8Array(96 + msg.length);
      args.set(sig, 0);
      args.set(pub, 64);
      args.set(msg, 96);
      const b = flat(args);
      return en.verify(b.address, b.address + 64, b.address + 96, msg.length) === 1;
    },
    sign: function (seed: Uint8Array, msg: Uint8Array): Uint8Array {
      checkSeed(seed);
      const en = current();
      // [signature out 64 | seed 32 | msg]
      const args = new Uint8Array(96 + msg.length);
      args.set(seed, 64);
      args.set(msg, 96);
      const b = flat(args);
      const r = en.sign(b.address, b.address + 64, b.address + 96, msg.length);
      const out = new Uint8Array(b.view.subarray(0, 64));
      b.view.fill(0, 64, 96);
      if (r !== 0) throw callError('NATIVE_CALL_FAILED');
      return out;
    },
    publicKey: function (seed: Uint8Array): Uint8Array {
      checkSeed(seed);
      const en = current();
      // [public key out 32 | seed 32]
      const args = new Uint8Array(64);
      args.set(seed, 32);
      const b = flat(args);
      en.pubkey(b.address, b.address + 32);
      const out = new Uint8Array(b.view.subarray(0, 32));
      b.view.fill(0, 32, 64);
      return out;
    },
    sha512: function (msg: Uint8Array): Uint8Array {
      const en = current();
      // [digest out 64 | msg]
      const args = new Uint8Array(64 + msg.length);
      args.set(msg, 64);
      const b = flat(args);
      en.sha512(b.address, b.address + 64, msg.length);
      return new Uint8Array(b.view.subarray(0, 64));
    },
  };

  const first = locate();
  if (typeof first === 'string') return fail(first);
  try {
    const seed = hexBytes(KAT_SEED);
    const pub = hexBytes(KAT_PUB);
    const sig = hexBytes(KAT_SIG);
    const empty = new Uint8Array(0);
    if (!sameBytes(api.publicKey(seed), pub)) return fail('NATIVE_SELF_TEST');
    if (!sameBytes(api.sign(seed, empty), sig)) return fail('NATIVE_SELF_TEST');
    if (!api.verify(sig, pub, empty)) return fail('NATIVE_SELF_TEST');
    sig[0] ^= 1;
    if (api.verify(sig, pub, empty)) return fail('NATIVE_SELF_TEST');
  } catch (err) {
    const code = (err as { code?: string }).code;
    return fail(
      code !== undefined && NATIVE_ED25519_MESSAGES_FR[code] !== undefined ? code : 'NATIVE_SELF_TEST',
    );
  }
  return { ok: true, value: api };
}
