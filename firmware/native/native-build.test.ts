// The native Ed25519 build: the blob is position independent, has no writable data, fits its budget; the
// guards that enforce this do fire on bad code; generated files (constant tables, TypeScript offsets) are
// up to date; the WebAssembly module is freestanding.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOB_MAX_BYTES,
  ENTRIES,
  GENERATED_TS_CHECKED_IN,
  THUMB_CFLAGS,
  checkBlobElf,
  ensureNativeBuild,
  generatedTs,
  linkCheckedBlob,
  run,
  type NativeBuild,
} from './build';
import { TABLES_PATH, generateTables } from './gen-tables';

let build: NativeBuild;
let work: string;

beforeAll(() => {
  build = ensureNativeBuild();
  work = mkdtempSync(path.join(os.tmpdir(), 'carnet-native-build-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Compiles a C snippet with the blob's flags (minus `drop`) and links it like the blob (src/blob.ld wants an
 * entry named carnet_ed25519_version). */
function blobOf(name: string, source: string, drop: string[] = []): Buffer {
  const c = path.join(work, `${name}.c`);
  const o = path.join(work, `${name}.o`);
  writeFileSync(c, source);
  run(
    'arm-none-eabi-gcc',
    [...THUMB_CFLAGS.filter((f) => !drop.includes(f)), '-Wno-error', '-c', '-o', o, c],
    work,
  );
  const dir = path.join(work, name);
  run('mkdir', ['-p', dir]);
  return linkCheckedBlob(o, dir);
}

describe('native Ed25519 build', () => {
  it('produces a blob within the flash budget, with only .text and no relocation', () => {
    const blob = readFileSync(build.blob);
    expect(blob.length).toBe(build.info.size);
    expect(blob.length).toBeLessThanOrEqual(BLOB_MAX_BYTES);
    expect(() => checkBlobElf(build.elf)).not.toThrow();
    for (const name of ENTRIES) {
      const off = build.info.offsets[name];
      expect(off % 2, name).toBe(0);
      expect(off, name).toBeLessThan(blob.length);
    }
    expect(new Set(Object.values(build.info.offsets)).size).toBe(ENTRIES.length);
    console.log(
      `blob: ${blob.length} bytes (budget ${BLOB_MAX_BYTES}), CRC-32 0x${build.info.crc32.toString(16)}`,
    );
  });

  it('links a position-independent, data-free snippet at two addresses to the same bytes', () => {
    const ok = blobOf(
      'ok',
      'static const unsigned t[4] = {1, 2, 3, 4};\n' +
        '__attribute__((used)) unsigned carnet_ed25519_version(unsigned i) { return t[i & 3]; }\n',
    );
    expect(ok.length).toBeGreaterThan(0);
  });

  it('refuses writable data (.bss / .data)', () => {
    expect(() =>
      blobOf(
        'bss',
        'static unsigned n;\n__attribute__((used)) unsigned carnet_ed25519_version(void) { return ++n; }\n',
      ),
    ).toThrow(/bss is not allowed/);
    expect(() =>
      blobOf(
        'data',
        'static unsigned n = 5;\n__attribute__((used)) unsigned carnet_ed25519_version(void) { return ++n; }\n',
      ),
    ).toThrow(/data is not allowed/);
  });

  it('refuses code that depends on its address (constant table reached through an absolute address)', () => {
    expect(() =>
      blobOf(
        'abs',
        'static const unsigned t[4] = {1, 2, 3, 4};\n' +
          '__attribute__((used)) unsigned carnet_ed25519_version(unsigned i) { return t[i & 3]; }\n',
        ['-fPIC'],
      ),
    ).toThrow(/dépend de son adresse/);
  });

  it('refuses calls to anything outside the blob (no libc)', () => {
    expect(() =>
      blobOf(
        'libc',
        'void *memcpy(void *, const void *, unsigned);\n' +
          '__attribute__((used)) void carnet_ed25519_version(char *d, const char *s) { memcpy(d, s, 100); }\n',
      ),
    ).toThrow(/undefined reference to `memcpy'/);
  });

  it('has its constant tables header in step with gen-tables.ts', () => {
    expect(readFileSync(TABLES_PATH, 'utf8')).toBe(generateTables());
  });

  it('has the checked-in TypeScript offsets in step with the blob (else: npm run build:native)', () => {
    expect(readFileSync(GENERATED_TS_CHECKED_IN, 'utf8')).toBe(generatedTs(build.info));
  });

  it('compiles to a WebAssembly module without imports, exporting every entry', () => {
    const m = new WebAssembly.Module(readFileSync(build.wasm));
    expect(WebAssembly.Module.imports(m)).toEqual([]);
    const names = WebAssembly.Module.exports(m).map((e) => e.name);
    for (const e of ENTRIES) expect(names).toContain(e);
    expect(names).toContain('memory');
    expect(names).toContain('__heap_base');
  });
});
