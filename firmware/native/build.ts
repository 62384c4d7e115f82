// Builds the native Ed25519 (firmware/native/src) for its two targets and checks the Thumb blob.
//
//   npx tsx firmware/native/build.ts            build if any input changed (npm run build:native)
//   npx tsx firmware/native/build.ts --force    rebuild everything
//
// Outputs in firmware/native/build/ (not checked in):
//   ed25519.bin            raw Thumb-2 blob for Cortex-M4, position independent: stored as the Storage file
//                          "ed25519.bin" on the reader and called through E.nativeCall
//   ed25519.offsets.json   entry offsets (even: add 1 for Thumb), size, CRC-32, ABI version
//   ed25519.elf            the linked blob with symbols (disassembly, stack usage)
//   ed25519.wasm           the same C for WebAssembly, for the Node tests and the simulator
//   harness.elf            the QEMU mps2-an386 harness that loads ed25519.bin at run time (harness/)
//   ed25519-native.generated.ts  the offsets as TypeScript; `npm run build:native` also copies it to
//                          firmware/src/platform/espruino/ (checked in, so the firmware typechecks on a
//                          fresh clone; native-build.test.ts fails when the copy is stale)
//
// The build refuses a blob that would not run from an arbitrary flash address: it links the code twice at
// different base addresses and requires identical bytes (any absolute address would differ), and it fails
// on any .data, .bss, GOT, relocation or undefined symbol.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
export const NATIVE_DIR = here;
export const SRC_DIR = path.join(here, 'src');
export const HARNESS_DIR = path.join(here, 'harness');
export const BUILD_DIR = path.join(here, 'build');
export const REPO_ROOT = path.resolve(here, '..', '..');
export const GENERATED_TS_CHECKED_IN = path.join(
  REPO_ROOT,
  'firmware',
  'src',
  'platform',
  'espruino',
  'ed25519-native.generated.ts',
);

/**
 * Flash budget of the blob (issue 3): 24 KB. A Pico has 48 KB of Storage for the whole firmware, logs
 * and this file; the MDBT42Q 40 KB.
 */
export const BLOB_MAX_BYTES = 24 * 1024;

/**
 * Stack budget of any entry (issue 3): 3 KB. Espruino calls native code on its own C stack, whose free
 * part on a Pico is a few kilobytes; the emulator test measures every entry's high-water mark against it.
 */
export const NATIVE_STACK_MAX_BYTES = 3 * 1024;

/** Name of the Storage file on the reader (Espruino Storage names are at most 28 characters). */
export const STORAGE_NAME = 'ed25519.bin';

/** Entry points, in the order the harness job header lists them. */
export const ENTRIES = [
  'carnet_ed25519_verify',
  'carnet_ed25519_sign',
  'carnet_ed25519_pubkey',
  'carnet_sha512',
  'carnet_ed25519_check_pubkey',
  'carnet_ed25519_version',
] as const;
export type EntryName = (typeof ENTRIES)[number];

// Cortex-M4, Thumb-2, soft-float calling convention (E.nativeCall passes ints in r0-r3), position
// independent. -fno-schedule-insns: GCC's pre-allocation scheduler hoists every load of a field element
// to the top of the function and then spills them (measured: fe_add 85 -> 59 instructions, signing
// -7%). -fno-tree-loop-distribute-patterns and -ffreestanding: no implicit memset/memcpy calls, there
// is no libc to link. -fno-common: a tentative definition would land in .bss.
export const THUMB_CFLAGS = [
  '-mcpu=cortex-m4',
  '-mthumb',
  '-mfloat-abi=soft',
  '-std=gnu11',
  '-O2',
  '-fno-schedule-insns',
  '-fPIC',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-common',
  '-fno-tree-loop-distribute-patterns',
  '-ffunction-sections',
  '-fdata-sections',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fstack-usage',
  '-Wall',
  '-Wextra',
  '-Werror',
];

// -O3: the WASM build only serves tests and the simulator, where speed matters more than size (the
// property suites run hundreds of thousands of verifications).
export const WASM_CFLAGS = [
  '--target=wasm32',
  '-std=gnu11',
  '-O3',
  '-nostdlib',
  '-ffreestanding',
  '-fno-builtin',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--export=__heap_base',
  '-Wl,-z,stack-size=65536',
];

export interface NativeOffsets {
  abi: number;
  size: number;
  crc32: number;
  sha256: string;
  offsets: Record<EntryName, number>;
}

export interface NativeBuild {
  blob: string;
  elf: string;
  offsetsJson: string;
  wasm: string;
  harness: string;
  generatedTs: string;
  info: NativeOffsets;
}

export function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; code?: string; message: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `${cmd} introuvable : installez les paquets Debian gcc-arm-none-eabi, qemu-system-arm, clang et lld ` +
          `(scripts/setup.sh) / ${cmd} not found: install the Debian packages listed in scripts/setup.sh`,
        { cause: e },
      );
    }
    throw new Error(`${cmd} ${args.join(' ')}\n${err.stdout ?? ''}${err.stderr ?? err.message}`, {
      cause: e,
    });
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(c|h|S|ld)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Hash of everything the outputs depend on: sources, this script, compiler versions. */
function inputsHash(): string {
  const h = createHash('sha256');
  for (const f of [...filesUnder(SRC_DIR), ...filesUnder(HARNESS_DIR), fileURLToPath(import.meta.url)]) {
    h.update(path.relative(here, f));
    h.update(readFileSync(f));
  }
  h.update(run('arm-none-eabi-gcc', ['--version']));
  h.update(run('clang', ['--version']));
  return h.digest('hex');
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function linkBlob(obj: string, base: number, out: string): void {
  run('arm-none-eabi-gcc', [
    '-mcpu=cortex-m4',
    '-mthumb',
    '-nostdlib',
    '-nostartfiles',
    '-static',
    '-Wl,--gc-sections',
    '-Wl,--no-undefined',
    `-Wl,-T,${path.join(SRC_DIR, 'blob.ld')}`,
    `-Wl,--defsym=BLOB_BASE=0x${base.toString(16)}`,
    '-o',
    out,
    obj,
  ]);
}

/** The position-independence and no-data checks of the header comment. Throws with a French message. */
export function checkBlobElf(elf: string): void {
  const sections = run('arm-none-eabi-readelf', ['-S', '-W', elf]);
  const allocated: string[] = [];
  for (const line of sections.split('\n')) {
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)/.exec(line);
    if (m && m[3].includes('A') && parseInt(m[2], 16) > 0) allocated.push(m[1]);
  }
  if (allocated.length !== 1 || allocated[0] !== '.text') {
    throw new Error(
      `blob Ed25519 : sections chargées inattendues ${allocated.join(', ')} (seule .text est permise)`,
    );
  }
  const relocs = run('arm-none-eabi-readelf', ['-r', elf]);
  if (!/There are no relocations/.test(relocs)) {
    throw new Error(`blob Ed25519 : relocations présentes\n${relocs}`);
  }
  const undef = run('arm-none-eabi-nm', ['-u', elf]).trim();
  if (undef !== '') throw new Error(`blob Ed25519 : symboles non définis ${undef}`);
}

/**
 * Links an object into a blob with src/blob.ld at base 0 and at 0x10000, checks both ELF files
 * (checkBlobElf) and requires the two binaries to be identical, then the budget; returns the bytes. Leaves
 * a.elf / b.elf in `work`. Throws with a French message on any violation.
 */
export function linkCheckedBlob(obj: string, work: string): Buffer {
  const elfA = path.join(work, 'a.elf');
  const elfB = path.join(work, 'b.elf');
  linkBlob(obj, 0, elfA);
  linkBlob(obj, 0x10000, elfB);
  checkBlobElf(elfA);
  checkBlobElf(elfB);
  const binA = path.join(work, 'a.bin');
  const binB = path.join(work, 'b.bin');
  run('arm-none-eabi-objcopy', ['-O', 'binary', '-j', '.text', elfA, binA]);
  run('arm-none-eabi-objcopy', ['-O', 'binary', '-j', '.text', elfB, binB]);
  const blob = readFileSync(binA);
  if (!blob.equals(readFileSync(binB))) {
    throw new Error(
      'blob Ed25519 : le code dépend de son adresse de chargement (liens à 0 et 0x10000 différents)',
    );
  }
  if (blob.length > BLOB_MAX_BYTES) {
    throw new Error(`blob Ed25519 : ${blob.length} octets, au-delà du budget de ${BLOB_MAX_BYTES}`);
  }
  return blob;
}

function entryOffsets(elf: string): Record<EntryName, number> {
  const syms = run('arm-none-eabi-nm', [elf]);
  const found = new Map<string, number>();
  for (const line of syms.split('\n')) {
    const m = /^([0-9a-f]+)\s+T\s+(\S+)$/.exec(line.trim());
    if (m) found.set(m[2], parseInt(m[1], 16));
  }
  const out = {} as Record<EntryName, number>;
  for (const name of ENTRIES) {
    const v = found.get(name);
    if (v === undefined) throw new Error(`blob Ed25519 : point d'entrée ${name} absent`);
    // nm prints Thumb function addresses with bit 0 clear; E.nativeCall wants offset | 1.
    out[name] = v & ~1;
  }
  return out;
}

function abiVersion(): number {
  const h = readFileSync(path.join(SRC_DIR, 'carnet_ed25519.h'), 'utf8');
  const m = /#define CARNET_ED25519_ABI (\d+)/.exec(h);
  if (!m) throw new Error('CARNET_ED25519_ABI introuvable');
  return Number(m[1]);
}

export function generatedTs(info: NativeOffsets): string {
  const hex = (n: number): string => '0x' + n.toString(16);
  return [
    '// Generated by firmware/native/build.ts (npm run build:native): do not edit.',
    '// The Storage file ed25519.bin must be exactly the blob these numbers describe: the adapter checks its',
    '// size and CRC-32 (E.CRC32) before calling into it, since a stale blob would jump into the middle of code.',
    '',
    `/** Storage file holding the Thumb blob (firmware/native/build/${STORAGE_NAME}). */`,
    `export const ED25519_BLOB_NAME = '${STORAGE_NAME}';`,
    '/** Blob size in bytes. */',
    `export const ED25519_BLOB_SIZE = ${info.size};`,
    '/** CRC-32 (IEEE 802.3, as E.CRC32 computes it) of the blob. */',
    `export const ED25519_BLOB_CRC32 = ${hex(info.crc32)};`,
    '/** carnet_ed25519_version() of this blob (CARNET_ED25519_ABI). */',
    `export const ED25519_BLOB_ABI = ${info.abi};`,
    '/** Entry offsets from the start of the blob (even; E.nativeCall needs address + offset + 1 for Thumb). */',
    `export const ED25519_OFFSET_VERIFY = ${hex(info.offsets.carnet_ed25519_verify)};`,
    `export const ED25519_OFFSET_SIGN = ${hex(info.offsets.carnet_ed25519_sign)};`,
    `export const ED25519_OFFSET_PUBKEY = ${hex(info.offsets.carnet_ed25519_pubkey)};`,
    `export const ED25519_OFFSET_SHA512 = ${hex(info.offsets.carnet_sha512)};`,
    `export const ED25519_OFFSET_CHECK_PUBKEY = ${hex(info.offsets.carnet_ed25519_check_pubkey)};`,
    `export const ED25519_OFFSET_VERSION = ${hex(info.offsets.carnet_ed25519_version)};`,
    '',
  ].join('\n');
}

function paths(): Omit<NativeBuild, 'info'> {
  return {
    blob: path.join(BUILD_DIR, 'ed25519.bin'),
    elf: path.join(BUILD_DIR, 'ed25519.elf'),
    offsetsJson: path.join(BUILD_DIR, 'ed25519.offsets.json'),
    wasm: path.join(BUILD_DIR, 'ed25519.wasm'),
    harness: path.join(BUILD_DIR, 'harness.elf'),
    generatedTs: path.join(BUILD_DIR, 'ed25519-native.generated.ts'),
  };
}

/** Builds whatever is stale (or everything with force) and returns the outputs. */
export function ensureNativeBuild(options: { force?: boolean; log?: (s: string) => void } = {}): NativeBuild {
  const log = options.log ?? ((): void => undefined);
  const p = paths();
  const stampFile = path.join(BUILD_DIR, 'stamp.json');
  const hash = inputsHash();
  if (!options.force && existsSync(stampFile) && existsSync(p.offsetsJson)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { hash: string };
    const all = [p.blob, p.elf, p.wasm, p.harness, p.generatedTs].every((f) => existsSync(f));
    if (stamp.hash === hash && all) {
      return { ...p, info: JSON.parse(readFileSync(p.offsetsJson, 'utf8')) as NativeOffsets };
    }
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const work = path.join(BUILD_DIR, `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const src = path.join(SRC_DIR, 'ed25519.c');

  // Thumb blob, linked at two bases.
  log('arm-none-eabi-gcc: ed25519.c -> ed25519.o');
  const obj = path.join(work, 'ed25519.o');
  run('arm-none-eabi-gcc', [...THUMB_CFLAGS, '-c', '-o', obj, src], work);
  const blob = linkCheckedBlob(obj, work);
  const elfA = path.join(work, 'a.elf');
  const info: NativeOffsets = {
    abi: abiVersion(),
    size: blob.length,
    crc32: zlib.crc32(blob) >>> 0,
    sha256: createHash('sha256').update(blob).digest('hex'),
    offsets: entryOffsets(elfA),
  };

  // WebAssembly.
  log('clang --target=wasm32: ed25519.c -> ed25519.wasm');
  const wasmTmp = path.join(work, 'ed25519.wasm');
  run('clang', [...WASM_CFLAGS, '-o', wasmTmp, src]);
  const wasmModule = new WebAssembly.Module(readFileSync(wasmTmp));
  if (WebAssembly.Module.imports(wasmModule).length !== 0) {
    throw new Error('ed25519.wasm importe des fonctions : le C doit rester autonome (pas de libc)');
  }

  // Emulator harness.
  log('arm-none-eabi-gcc: harness -> harness.elf');
  const harnessTmp = path.join(work, 'harness.elf');
  run('arm-none-eabi-gcc', [
    '-mcpu=cortex-m4',
    '-mthumb',
    '-O2',
    '-ffreestanding',
    '-fno-builtin',
    '-nostdlib',
    '-nostartfiles',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-T',
    path.join(HARNESS_DIR, 'harness.ld'),
    '-o',
    harnessTmp,
    path.join(HARNESS_DIR, 'startup.S'),
    path.join(HARNESS_DIR, 'harness.c'),
  ]);

  writeAtomic(p.blob, blob);
  writeAtomic(p.elf, readFileSync(elfA));
  writeAtomic(p.wasm, readFileSync(wasmTmp));
  writeAtomic(p.harness, readFileSync(harnessTmp));
  writeAtomic(path.join(BUILD_DIR, 'ed25519.su'), readFileSync(path.join(work, 'ed25519.su')));
  writeAtomic(p.offsetsJson, JSON.stringify(info, null, 2) + '\n');
  writeAtomic(p.generatedTs, generatedTs(info));
  writeAtomic(stampFile, JSON.stringify({ hash }) + '\n');
  run('rm', ['-rf', work]);
  return { ...p, info };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const b = ensureNativeBuild({ force: process.argv.includes('--force'), log: (s) => console.log(s) });
  copyFileSync(b.generatedTs, GENERATED_TS_CHECKED_IN);
  console.log(
    `${path.relative(REPO_ROOT, b.blob)}: ${b.info.size} octets, CRC-32 0x${b.info.crc32.toString(16)}`,
  );
  for (const name of ENTRIES) console.log(`  ${name} @ 0x${b.info.offsets[name].toString(16)}`);
  console.log(`${path.relative(REPO_ROOT, b.wasm)}, ${path.relative(REPO_ROOT, b.harness)}`);
  console.log(`${path.relative(REPO_ROOT, GENERATED_TS_CHECKED_IN)} mis à jour`);
}
