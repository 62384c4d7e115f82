// Firmware build (issue 4, "Build" §6): esbuild bundles firmware/src/main.ts into ONE plain script for
// Espruino's Storage, following ../shared/espruino/FACTS.md, then runs the subset gate on what it wrote,
// checks the size budget and writes a manifest.
//
//   npm run build:firmware            → firmware/build/{carnet.js, bootcde.js, conformance.js, manifest.json}
//   npx tsx firmware/build.ts --out DIR
//
// Choices, each from FACTS.md:
// - Output is a plain script wrapped in `(function(){ ... })();` (esbuild format "cjs" of an entry without
//   exports, wrapped by us). Not esbuild's "iife": with it esbuild rewrites `require("Storage")` into its
//   `__require` shim, which tests `typeof Proxy` (no Proxy on Espruino). With "cjs" and the Espruino
//   modules marked external, `require("Storage")` stays a plain call to Espruino's require.
// - Identifiers are NOT minified: esbuild's renamer can produce `of`, which Espruino cannot parse as a
//   name, and names over 63 characters get truncated. Whitespace and syntax minification are kept: they
//   re-print the same constructs, and the gate checks the result anyway.
// - target es2022 (so esbuild adds no helper functions), with these marked unsupported:
//   `logical-assignment` (otherwise the syntax minifier turns `if (!a) a = b` into `a ||= b`, which
//   Espruino rejects), and class fields and static blocks. Class fields: TypeScript's declared fields
//   (`items: number[];`) would otherwise be printed as bare field declarations `class{items;...}`. The
//   Espruino parser's class body takes only methods, get/set and `static` methods (src/jsparse.c,
//   jspeClassDefinition); FACTS.md says 2v29 accepts public fields, but not whether it takes a field with
//   no initialiser, and nothing here can run 2v29 to check. With `useDefineForClassFields: false` esbuild
//   drops declared-only fields and moves initialised ones into the constructor as `this.x = v` (and static
//   ones after the class as `X.y = v`), which every Espruino version parses. The gate refuses any class
//   field left in a bundle. Lowering to es2019 instead would give `__publicField` helpers.
//   `**` is left as is (never lowered to the inexact Math.pow): the gate refuses it.
// - Non-ASCII characters are written as \xNN / \uNNNN escapes (charset ascii): Espruino strings are 8-bit
//   on the Pico, the escapes give the same char codes on the board and in Node.
// - Storage layout: the bundle is the Storage file `carnet.js`; `.bootcde` is a small loader that
//   checks the bundle's size and CRC-32 (E.CRC32, native) and runs it with
//   `eval(require("Storage").read("carnet.js"))`. Storage.read maps the file in flash without copying,
//   and code evaluated from flash keeps its function bodies in flash (FACTS: 2,279 JsVars from Storage
//   against 8,866 loaded into RAM; the Pico has 5,100). Why a loader rather than the bundle itself as
//   `.bootcde`: (1) a way back to the REPL that needs no working firmware: holding the Pico's button
//   (BTN1) at power-up skips the bundle; (2) a half-uploaded or stale bundle is detected (size + CRC)
//   and reported on the console instead of running into a syntax error in a function parsed later;
//   (3) the Web IDE's "save()" rewrites `.bootcde` but leaves `carnet.js` and the log files alone.

import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSubset, GateViolation } from './subset-gate';
import { crc32 } from '../protocol/src/crc32';
import { ED25519_BLOB_NAME, ED25519_BLOB_SIZE } from './src/platform/espruino/ed25519-native.generated';

const here = dirname(fileURLToPath(import.meta.url));
export const FIRMWARE_DIR = here;
export const DEFAULT_OUT_DIR = join(here, 'build');

/**
 * Size budget of the reader bundle (issue 4: "bundle size target ≤ 40 KB, identifiers not minified").
 * Reason: the Pico's Storage is 48 KB (FACTS.md, board table) and must also hold the native Ed25519 blob
 * (ed25519.bin, ~18 KB) and the signed log files; above 40 KB the bundle alone would leave no room for
 * either. The build fails above this limit.
 */
export const FIRMWARE_BUNDLE_MAX_BYTES = 40 * 1024;
/** Storage of the reference board, Espruino Pico (FACTS.md, "Boards"). */
export const PICO_STORAGE_BYTES = 48 * 1024;
/** Storage file names are at most 28 characters (FACTS.md, "Storage"). */
export const STORAGE_NAME_MAX = 28;
/** Storage file that holds the bundle (run by the loader). */
export const BUNDLE_STORAGE_NAME = 'carnet.js';
/** Boot file run by Espruino after .boot0...boot3 (FACTS.md, "Storage"). */
export const LOADER_STORAGE_NAME = '.bootcde';
/** Pin read by the loader at power-up: held down = stay in the REPL (the Pico's own button, B12). */
export const MAINTENANCE_BUTTON = 'BTN1';

/** Espruino's built-in modules: left as plain `require("...")` calls in the bundle. */
export const ESPRUINO_MODULES = ['Storage', 'crypto', 'heatshrink', 'Flash'];

export interface BuiltFile {
  file: string; // path relative to firmware/ (absolute when built elsewhere)
  storageName: string | null; // name in Espruino Storage, null for test-only bundles
  bytes: number;
  sha256: string;
  crc32: number;
  /** Bytes of the bundle per source module, largest first (bundles only). */
  modules?: { file: string; bytes: number }[];
}

export interface BuildResult {
  ok: boolean;
  outDir: string;
  files: BuiltFile[];
  violations: { file: string; v: GateViolation }[];
  errors: string[];
  manifestPath: string;
}

export interface BuildOptions {
  outDir?: string;
  /** Also build firmware/src/conformance-entry.ts (test bundle; not for a board). Default true. */
  conformance?: boolean;
  log?: (line: string) => void;
}

/** The esbuild settings of every firmware bundle (exported for the gate's tests). */
export function esbuildOptions(entry: string): esbuild.BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2022',
    supported: {
      'logical-assignment': false,
      'class-field': false,
      'class-static-field': false,
      'class-static-blocks': false,
    },
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    external: ESPRUINO_MODULES,
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    keepNames: false,
    charset: 'ascii',
    legalComments: 'none',
    treeShaking: true,
    sourcemap: false,
    logLevel: 'silent',
    banner: { js: '(function(){' },
    footer: { js: '})();' },
  };
}

/** Writes through a temporary file + rename, so a reader never sees half a bundle. */
function writeAtomic(path: string, text: string): void {
  const tmp = path + '.' + process.pid + '.tmp';
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function describe(path: string, text: string, storageName: string | null): BuiltFile {
  const bytes = Buffer.from(text, 'latin1');
  return {
    file: path.startsWith(here) ? relative(here, path) : path,
    storageName: storageName,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    crc32: crc32(new Uint8Array(bytes)) >>> 0,
  };
}

/** Checks that a bundle is pure ASCII: Espruino strings are 8-bit (FACTS.md, "Semantic traps"). */
function nonAscii(text: string): number {
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > 0x7e && text.charCodeAt(i) !== 0x7f) return i;
  return -1;
}

/**
 * The `.bootcde` loader: ASCII, written in the subset by hand (the gate checks it too). French first:
 * the console is read by the volunteer who re-flashes the reader.
 */
export function loaderSource(bundleBytes: number, bundleCrc: number): string {
  return (
    '// carnet: boot loader (.bootcde). Runs the Storage file ' +
    BUNDLE_STORAGE_NAME +
    ' from flash after checking it.\n' +
    '// Hold the Pico button (' +
    MAINTENANCE_BUTTON +
    ') at power-up to stay in the REPL / maintenance.\n' +
    '(function () {\n' +
    '  if (digitalRead(' +
    MAINTENANCE_BUTTON +
    ') === 1) {\n' +
    "    console.log('carnet : bouton tenu au d\\xE9marrage, console laiss\\xE9e libre (maintenance) / button held: REPL kept');\n" +
    '    return;\n' +
    '  }\n' +
    "  var code = require('Storage').read('" +
    BUNDLE_STORAGE_NAME +
    "');\n" +
    '  if (code === undefined || code.length !== ' +
    bundleBytes +
    ' || (E.CRC32(code) >>> 0) !== ' +
    bundleCrc +
    ') {\n' +
    "    console.log('carnet : " +
    BUNDLE_STORAGE_NAME +
    " absent ou incomplet, r\\xE9installez le micrologiciel / bundle missing or damaged');\n" +
    '    return;\n' +
    '  }\n' +
    '  eval(code);\n' +
    '})();\n'
  );
}

/** Bundles one entry; returns its text or the esbuild errors. */
async function bundle(
  entry: string,
): Promise<{ text: string | null; errors: string[]; modules: { file: string; bytes: number }[] }> {
  try {
    const opts = esbuildOptions(entry);
    opts.metafile = true;
    const r = await esbuild.build(opts);
    const out = r.outputFiles === undefined ? [] : r.outputFiles;
    if (out.length !== 1) {
      return { text: null, errors: ['esbuild produced ' + out.length + ' files'], modules: [] };
    }
    // Bytes each source module contributes to the bundle: where the size budget goes.
    const modules: { file: string; bytes: number }[] = [];
    if (r.metafile !== undefined) {
      for (const o of Object.values(r.metafile.outputs)) {
        for (const f of Object.keys(o.inputs)) modules.push({ file: f, bytes: o.inputs[f].bytesInOutput });
      }
    }
    modules.sort((a, b) => b.bytes - a.bytes);
    return { text: out[0].text, errors: [], modules: modules };
  } catch (e) {
    const failure = e as { errors?: esbuild.Message[] };
    if (failure.errors !== undefined) {
      return {
        text: null,
        errors: failure.errors.map(
          (m) =>
            (m.location === null
              ? ''
              : m.location.file + ':' + m.location.line + ':' + m.location.column + ' ') + m.text,
        ),
        modules: [],
      };
    }
    return { text: null, errors: [String(e)], modules: [] };
  }
}

/** Builds the reader bundle, its loader and the conformance bundle; gates, measures, writes the manifest. */
export async function buildFirmware(options?: BuildOptions): Promise<BuildResult> {
  const o = options === undefined ? {} : options;
  // Absolute: the manifest's paths are relative to firmware/ or absolute, never relative to the caller's cwd.
  const outDir = resolve(o.outDir === undefined ? DEFAULT_OUT_DIR : o.outDir);
  const log = o.log === undefined ? (l: string) => console.log(l) : o.log;
  const withConformance = o.conformance === undefined ? true : o.conformance;
  mkdirSync(outDir, { recursive: true });
  const result: BuildResult = {
    ok: false,
    outDir: outDir,
    files: [],
    violations: [],
    errors: [],
    manifestPath: join(outDir, 'manifest.json'),
  };

  const targets: { entry: string; out: string; storage: string | null; budget: number | null }[] = [
    {
      entry: join(here, 'src', 'main.ts'),
      out: join(outDir, 'carnet.js'),
      storage: BUNDLE_STORAGE_NAME,
      budget: FIRMWARE_BUNDLE_MAX_BYTES,
    },
  ];
  if (withConformance) {
    // Test bundle: the protocol's golden-vector runner, run in node:vm (test/sim/espruino-vm.ts). No budget:
    // it carries every verifier of the protocol and is not installed on a board.
    targets.push({
      entry: join(here, 'src', 'conformance-entry.ts'),
      out: join(outDir, 'conformance.js'),
      storage: null,
      budget: null,
    });
  }

  for (const t of targets) {
    const b = await bundle(t.entry);
    if (b.text === null) {
      for (const e of b.errors) result.errors.push(t.entry + ': ' + e);
      continue;
    }
    const text = b.text;
    const at = nonAscii(text);
    if (at >= 0) result.errors.push(t.out + ': non-ASCII character at offset ' + at);
    for (const v of checkSubset(text, t.out)) result.violations.push({ file: t.out, v: v });
    writeAtomic(t.out, text);
    const f = describe(t.out, text, t.storage);
    f.modules = b.modules;
    result.files.push(f);
    log(
      'firmware: ' +
        f.file +
        ' ' +
        f.bytes +
        ' bytes (' +
        (f.bytes / 1024).toFixed(1) +
        ' KB)' +
        (t.budget === null ? ', test bundle' : ', budget ' + t.budget + ' bytes'),
    );
    if (t.budget !== null && f.bytes > t.budget) {
      const top = b.modules.slice(0, 8).map((m) => m.file + ' ' + m.bytes);
      log('firmware: largest modules of ' + f.file + ': ' + top.join(', '));
      result.errors.push(
        f.file +
          ': ' +
          f.bytes +
          ' bytes exceeds FIRMWARE_BUNDLE_MAX_BYTES = ' +
          t.budget +
          ' (the Pico has ' +
          PICO_STORAGE_BYTES +
          ' bytes of Storage for the bundle, ed25519.bin and the log)',
      );
    }
    if (t.storage === BUNDLE_STORAGE_NAME) {
      const loader = loaderSource(f.bytes, f.crc32);
      const loaderPath = join(outDir, 'bootcde.js');
      for (const v of checkSubset(loader, loaderPath)) result.violations.push({ file: loaderPath, v: v });
      writeAtomic(loaderPath, loader);
      result.files.push(describe(loaderPath, loader, LOADER_STORAGE_NAME));
    }
  }

  for (const x of result.violations) {
    log('subset gate: ' + x.file + ':' + x.v.line + ':' + x.v.column + ' [' + x.v.rule + '] ' + x.v.message);
  }
  for (const e of result.errors) log('firmware build error: ' + e);

  // Flash budget on the Pico: what Storage holds once installed.
  const main = result.files.filter((f) => f.storageName === BUNDLE_STORAGE_NAME)[0];
  const loader = result.files.filter((f) => f.storageName === LOADER_STORAGE_NAME)[0];
  const used =
    (main === undefined ? 0 : main.bytes) + (loader === undefined ? 0 : loader.bytes) + ED25519_BLOB_SIZE;
  const blobPath = join(here, 'native', 'build', 'ed25519.bin');
  const manifest = {
    schema: 'carnet_firmware_manifest_v1',
    builtAt: new Date().toISOString(),
    esbuild: esbuild.version,
    target: 'es2022 (logical assignment and class fields lowered), plain script, identifiers not minified',
    files: result.files,
    nativeBlob: {
      storageName: ED25519_BLOB_NAME,
      bytes: ED25519_BLOB_SIZE,
      file: existsSync(blobPath) ? relative(here, blobPath) : null,
    },
    budget: {
      bundleMaxBytes: FIRMWARE_BUNDLE_MAX_BYTES,
      picoStorageBytes: PICO_STORAGE_BYTES,
      storageUsedBytes: used,
      storageLeftForLogBytes: PICO_STORAGE_BYTES - used,
    },
    gate: { violations: result.violations.length },
    install:
      'Storage files: ' +
      BUNDLE_STORAGE_NAME +
      ' (build/carnet.js), ' +
      LOADER_STORAGE_NAME +
      ' (build/bootcde.js), ' +
      ED25519_BLOB_NAME +
      ' (native/build/ed25519.bin). Hold ' +
      MAINTENANCE_BUTTON +
      ' at power-up for the REPL.',
  };
  writeAtomic(result.manifestPath, JSON.stringify(manifest, null, 1) + '\n');
  log(
    'firmware: Pico Storage ' +
      used +
      ' / ' +
      PICO_STORAGE_BYTES +
      ' bytes used by code (bundle + loader + ' +
      ED25519_BLOB_NAME +
      '), ' +
      (PICO_STORAGE_BYTES - used) +
      ' left for the log',
  );
  result.ok = result.errors.length === 0 && result.violations.length === 0;
  log('firmware: ' + (result.ok ? 'OK' : 'FAILED'));
  return result;
}

/** Tests: the path of a freshly built bundle (reads it back from disk). */
export function readBuilt(result: BuildResult, name: string): string {
  return readFileSync(join(result.outDir, name), 'latin1');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--out');
  buildFirmware({ outDir: i > 0 ? process.argv[i + 1] : undefined }).then(
    (r) => process.exit(r.ok ? 0 : 1),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
