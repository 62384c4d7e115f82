// The Espruino adapter of the native Ed25519, against a fake Espruino whose E.nativeCall runs the WASM build
// of the same C: the fake keeps a small address space (the Storage file "in flash", flat strings "in RAM"),
// so the adapter's address arithmetic, buffer layout, blob checks and start-up self-test run exactly as on
// a board, and every native call is checked to target the blob's current address.

import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureNativeBuild, type NativeBuild } from '../../../native/build';
import {
  hostVerify,
  nodeKeyAndSign,
  protocolEd25519Vectors,
  rfc8032Tests,
  sha512,
  toHex,
  wycheproofCases,
} from '../../../native/test-support';
import {
  ED25519_BLOB_CRC32,
  ED25519_BLOB_NAME,
  ED25519_BLOB_SIZE,
  ED25519_OFFSET_CHECK_PUBKEY,
  ED25519_OFFSET_PUBKEY,
  ED25519_OFFSET_SHA512,
  ED25519_OFFSET_SIGN,
  ED25519_OFFSET_VERIFY,
  ED25519_OFFSET_VERSION,
} from './ed25519-native.generated';
import { NATIVE_ED25519_MESSAGES_EN, NATIVE_ED25519_MESSAGES_FR, openNativeEd25519 } from './ed25519-native';

interface WasmExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  [entry: string]: unknown;
}

const FLASH_BASE = 0x08040000;
const RAM_BASE = 0x20001000;

/** A fake Espruino: E and require("Storage") over the WASM build. */
class FakeEspruino {
  blob: string | undefined;
  flashBase = FLASH_BASE;
  version = -1; // -1: the real carnet_ed25519_version()
  nativeCalls = 0;
  created = 0;
  failFlat = false;
  corruptVerify = false;
  private flats = new Map<string, { bytes: Uint8Array; address: number }>();
  private buffers = new Map<ArrayBuffer, number>();
  private nextRam = RAM_BASE;
  private x: WasmExports;

  constructor(build: NativeBuild) {
    this.blob = readFileSync(build.blob).toString('latin1');
    this.x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(build.wasm)), {})
      .exports as unknown as WasmExports;
  }

  storage = {
    read: (name: string): string | undefined => (name === ED25519_BLOB_NAME ? this.blob : undefined),
  };

  E = {
    getAddressOf: (v: unknown, flat: boolean): number => {
      expect(flat).toBe(true);
      if (typeof v === 'string' && v === this.blob) return this.flashBase;
      if (v instanceof ArrayBuffer) return this.buffers.get(v) ?? 0;
      return 0;
    },
    toFlatString: (data: Uint8Array): string | undefined => {
      if (this.failFlat) return undefined;
      const key = `flat#${this.flats.size}`;
      const address = this.nextRam;
      this.nextRam += (data.length + 7) & ~3;
      this.flats.set(key, { bytes: new Uint8Array(data), address });
      return key;
    },
    toArrayBuffer: (s: string): ArrayBuffer => {
      const f = this.flats.get(s);
      if (!f) throw new Error('toArrayBuffer of an unknown string');
      const ab = f.bytes.buffer as ArrayBuffer;
      this.buffers.set(ab, f.address);
      return ab;
    },
    CRC32: (s: string): number => {
      // Espruino returns the CRC as a signed 32-bit integer: the adapter must cope.
      return zlib.crc32(Buffer.from(s, 'latin1')) | 0;
    },
    nativeCall: (
      address: number,
      signature: string,
    ): ((a?: number, b?: number, c?: number, d?: number) => number) => {
      this.created++;
      expect(address & 1, 'Thumb bit').toBe(1);
      const boundBase = this.flashBase;
      const offset = address - 1 - boundBase;
      const entries: { [off: number]: [string, string] } = {
        [ED25519_OFFSET_VERIFY]: ['carnet_ed25519_verify', 'int(int,int,int,int)'],
        [ED25519_OFFSET_SIGN]: ['carnet_ed25519_sign', 'int(int,int,int,int)'],
        [ED25519_OFFSET_PUBKEY]: ['carnet_ed25519_pubkey', 'int(int,int)'],
        [ED25519_OFFSET_SHA512]: ['carnet_sha512', 'int(int,int,int)'],
        [ED25519_OFFSET_CHECK_PUBKEY]: ['carnet_ed25519_check_pubkey', 'int(int)'],
        [ED25519_OFFSET_VERSION]: ['carnet_ed25519_version', 'int()'],
      };
      const entry = entries[offset];
      if (!entry) throw new Error(`nativeCall into the middle of the blob (offset ${offset})`);
      expect(signature).toBe(entry[1]);
      return (a?: number, b?: number, c?: number, d?: number): number => {
        // The function was made for one address: calling it after the file moved would crash a board.
        if (boundBase !== this.flashBase) throw new Error('native call to a stale blob address');
        this.nativeCalls++;
        if (entry[0] === 'carnet_ed25519_version' && this.version >= 0) return this.version;
        if (entry[0] === 'carnet_ed25519_verify' && this.corruptVerify) return 1;
        return this.callWasm(entry[0], [a, b, c, d]);
      };
    },
  };

  /** Copies the one flat buffer the pointer arguments fall in into WASM memory, calls, copies it back. */
  private callWasm(name: string, args: (number | undefined)[]): number {
    const ptrs = args.filter((v): v is number => v !== undefined && v >= RAM_BASE);
    const heap = this.x.__heap_base.value as number;
    const mem = new Uint8Array(this.x.memory.buffer);
    let flat: { bytes: Uint8Array; address: number } | undefined;
    if (ptrs.length > 0) {
      flat = [...this.flats.values()].find(
        (f) => ptrs[0] >= f.address && ptrs[0] < f.address + Math.max(f.bytes.length, 1),
      );
      if (!flat) throw new Error('pointer outside every flat buffer');
      for (const p of ptrs) expect(p - flat.address).toBeLessThanOrEqual(flat.bytes.length);
      mem.set(flat.bytes, heap);
    }
    const translated = args.map((v) =>
      v !== undefined && v >= RAM_BASE && flat ? heap + (v - flat.address) : v,
    );
    const fn = this.x[name] as (...a: (number | undefined)[]) => number;
    const r = fn(...translated.filter((v) => v !== undefined));
    if (flat) flat.bytes.set(new Uint8Array(this.x.memory.buffer, heap, flat.bytes.length));
    return r;
  }
}

let build: NativeBuild;

beforeAll(() => {
  build = ensureNativeBuild();
});

function openOn(fake: FakeEspruino, board = 'PICO_R1_3'): ReturnType<typeof openNativeEd25519> {
  return openNativeEd25519(fake.E, fake.storage, board);
}

describe('Espruino adapter of the native Ed25519 (fake E over the WASM build)', () => {
  it('opens on every supported board after its self-test, and matches the generated blob description', () => {
    const fake = new FakeEspruino(build);
    expect(fake.blob!.length).toBe(ED25519_BLOB_SIZE);
    expect(zlib.crc32(Buffer.from(fake.blob!, 'latin1'))).toBe(ED25519_BLOB_CRC32);
    for (const board of ['PICO_R1_3', 'ESPRUINOWIFI', 'JOLTJS', 'MDBT42Q']) {
      const r = openOn(fake, board);
      expect(r.ok, board).toBe(true);
    }
    // The self-test ran through E.nativeCall: version, public key, signature, two verifications.
    expect(fake.nativeCalls).toBeGreaterThanOrEqual(5);
  });

  it('verifies RFC 8032, Wycheproof and the protocol vectors like the host, refusing bad lengths before the C', () => {
    const fake = new FakeEspruino(build);
    const r = openOn(fake);
    if (!r.ok) throw new Error(r.message);
    const ed = r.value;
    for (const t of rfc8032Tests()) {
      expect(toHex(ed.publicKey(t.seed)), t.name).toBe(toHex(t.pub));
      expect(toHex(ed.sign(t.seed, t.msg)), t.name).toBe(toHex(t.sig));
      expect(ed.verify(t.sig, t.pub, t.msg), t.name).toBe(true);
      expect(toHex(ed.sha512(t.msg)), t.name).toBe(toHex(sha512(t.msg)));
    }
    const cases = [...wycheproofCases(), ...protocolEd25519Vectors().flatMap((f) => f.cases)];
    let wrongLength = 0;
    for (const c of cases) {
      const before = fake.nativeCalls;
      expect(ed.verify(c.sig, c.pub, c.msg), c.id).toBe(c.valid);
      expect(ed.verify(c.sig, c.pub, c.msg), c.id).toBe(hostVerify(c.sig, c.pub, c.msg));
      if (c.sig.length !== 64 || c.pub.length !== 32) {
        expect(fake.nativeCalls, c.id).toBe(before);
        wrongLength++;
      }
    }
    expect(wrongLength).toBeGreaterThan(0);
    const seed = new Uint8Array(32).fill(9);
    const msg = new TextEncoder().encode('reçu n° 42');
    const node = nodeKeyAndSign(seed, msg);
    expect(toHex(ed.sign(seed, msg))).toBe(toHex(node.sig));
    expect(toHex(ed.publicKey(seed))).toBe(toHex(node.pub));
    expect(() => ed.sign(new Uint8Array(31), msg)).toThrow();
    expect(ed.name).toContain('natif');
  });

  it('refuses unsupported boards without calling any native code', () => {
    for (const board of ['ESP32', 'ESPRUINOBOARD', 'LINUX', '']) {
      const fake = new FakeEspruino(build);
      const r = openOn(fake, board);
      expect(r).toEqual({
        ok: false,
        code: 'NATIVE_BOARD_UNSUPPORTED',
        message: NATIVE_ED25519_MESSAGES_FR.NATIVE_BOARD_UNSUPPORTED,
      });
      expect(fake.created).toBe(0);
    }
  });

  it('refuses a missing, truncated or corrupted Storage file before making any native function', () => {
    const missing = new FakeEspruino(build);
    missing.blob = undefined;
    expect(openOn(missing)).toMatchObject({ ok: false, code: 'NATIVE_BLOB_MISSING' });
    const truncated = new FakeEspruino(build);
    truncated.blob = truncated.blob!.slice(0, -1);
    expect(openOn(truncated)).toMatchObject({ ok: false, code: 'NATIVE_BLOB_MISMATCH' });
    const corrupted = new FakeEspruino(build);
    const b = Buffer.from(corrupted.blob!, 'latin1');
    b[1234] ^= 0x10;
    corrupted.blob = b.toString('latin1');
    expect(openOn(corrupted)).toMatchObject({ ok: false, code: 'NATIVE_BLOB_MISMATCH' });
    for (const f of [missing, truncated, corrupted]) expect(f.created).toBe(0);
  });

  it('refuses a file that is not mapped at a word-aligned address', () => {
    for (const base of [0, FLASH_BASE + 2, FLASH_BASE + 1]) {
      const fake = new FakeEspruino(build);
      fake.flashBase = base;
      expect(openOn(fake), `0x${base.toString(16)}`).toMatchObject({
        ok: false,
        code: 'NATIVE_BLOB_NOT_MAPPED',
      });
      expect(fake.created).toBe(0);
    }
  });

  it('refuses a blob of another ABI version and one that fails the RFC 8032 self-test', () => {
    const other = new FakeEspruino(build);
    other.version = 2;
    expect(openOn(other)).toMatchObject({ ok: false, code: 'NATIVE_BLOB_MISMATCH' });
    const lying = new FakeEspruino(build);
    lying.corruptVerify = true; // accepts everything: the flipped-bit self-test must catch it
    expect(openOn(lying)).toMatchObject({ ok: false, code: 'NATIVE_SELF_TEST' });
  });

  it('follows the file when Storage.compact() moves it, checking it again', () => {
    const fake = new FakeEspruino(build);
    const r = openOn(fake);
    if (!r.ok) throw new Error(r.message);
    const t = rfc8032Tests()[1];
    expect(r.value.verify(t.sig, t.pub, t.msg)).toBe(true);
    const made = fake.created;
    fake.flashBase = FLASH_BASE + 0x2000; // compacted: same bytes, new place
    expect(r.value.verify(t.sig, t.pub, t.msg)).toBe(true);
    expect(fake.created).toBeGreaterThan(made);
    // Moved and replaced by something else: refused with a code, never called.
    fake.flashBase = FLASH_BASE + 0x4000;
    const b = Buffer.from(fake.blob!, 'latin1');
    b[100] ^= 1;
    fake.blob = b.toString('latin1');
    expect(() => r.value.verify(t.sig, t.pub, t.msg)).toThrow(
      expect.objectContaining({ code: 'NATIVE_BLOB_MISMATCH' }),
    );
  });

  it('reports running out of memory with a code instead of calling with a null buffer', () => {
    const fake = new FakeEspruino(build);
    const r = openOn(fake);
    if (!r.ok) throw new Error(r.message);
    fake.failFlat = true;
    const t = rfc8032Tests()[0];
    expect(() => r.value.verify(t.sig, t.pub, t.msg)).toThrow(
      expect.objectContaining({ code: 'NATIVE_OUT_OF_MEMORY' }),
    );
  });

  it('has an English message for every French one', () => {
    expect(Object.keys(NATIVE_ED25519_MESSAGES_EN).sort()).toEqual(
      Object.keys(NATIVE_ED25519_MESSAGES_FR).sort(),
    );
  });
});
