// The Espruino subset gate (firmware/subset-gate.ts): every forbidden construct has a fixture that must
// fail with its rule name (firmware/gate-fixtures/<rule>.<variant>.js), the accepted-syntax fixtures
// (gate-fixtures/ok/) must pass, and the real bundles built by firmware/build.ts must pass.

import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { crc32 } from '../protocol/src/crc32';
import { checkSubset, GATE_RULES, MAX_IDENTIFIER_LENGTH } from './subset-gate';
import {
  buildFirmware,
  BuildResult,
  esbuildOptions,
  FIRMWARE_BUNDLE_MAX_BYTES,
  loaderSource,
  readBuilt,
  FIRMWARE_DIR,
} from './build';

const FIXTURES = join(FIRMWARE_DIR, 'gate-fixtures');
// `.broken-js`: fixtures that do not parse (prettier and eslint skip that extension).
const failing = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.js') || f.endsWith('.broken-js'))
  .sort();
const passing = readdirSync(join(FIXTURES, 'ok'))
  .filter((f) => f.endsWith('.js'))
  .sort();

function ruleOf(file: string): string {
  return file.split('.')[0];
}

function rulesIn(text: string): string[] {
  const seen: string[] = [];
  for (const v of checkSubset(text, 'snippet.js')) if (seen.indexOf(v.rule) < 0) seen.push(v.rule);
  return seen;
}

describe('subset gate: fixtures that must fail', () => {
  it('has a fixture for every rule', () => {
    const covered = failing.map(ruleOf);
    for (const rule of Object.keys(GATE_RULES)) expect(covered, 'fixture for ' + rule).toContain(rule);
    for (const r of covered) expect(Object.keys(GATE_RULES), 'rule of fixture').toContain(r);
  });

  for (const f of failing) {
    it(f + ' fails with rule ' + ruleOf(f) + ' only', () => {
      const v = checkSubset(readFileSync(join(FIXTURES, f), 'utf8'), f);
      expect(v.length).toBeGreaterThan(0);
      for (const x of v) {
        expect(x.rule).toBe(ruleOf(f));
        expect(x.line).toBeGreaterThan(1); // the fixture's comments come first
        expect(x.column).toBeGreaterThan(0);
        expect(x.message.length).toBeGreaterThan(10);
      }
    });
  }
});

describe('subset gate: accepted code passes', () => {
  for (const f of passing) {
    it('ok/' + f, () => {
      expect(checkSubset(readFileSync(join(FIXTURES, 'ok', f), 'utf8'), f)).toEqual([]);
    });
  }

  it('flags a 64-character name but not a 63-character one (MAX and MAX+1)', () => {
    const max = 'n'.repeat(MAX_IDENTIFIER_LENGTH);
    expect(rulesIn('var ' + max + ' = 1;')).toEqual([]);
    expect(rulesIn('var ' + max + 'n = 1;')).toEqual(['long-identifier']);
  });

  it('does not flag uses after the declaration or inside deferred closures', () => {
    expect(rulesIn('function f() {}\nf();')).toEqual([]);
    expect(rulesIn('var g = function () { return h(); };\nfunction h() { return 1; }\ng();')).toEqual([]);
    expect(rulesIn('var g = function () { return h(); };\ng();\nfunction h() { return 1; }')).toEqual([
      'use-before-declaration',
    ]);
    expect(rulesIn('function a() { return b(); }\nfunction c() { a(); }\nc();\nfunction b() {}')).toEqual([
      'use-before-declaration',
    ]);
  });

  it('refuses every missing static and global by name, shadowing excepted', () => {
    for (const g of [
      'Map',
      'Set',
      'WeakMap',
      'WeakSet',
      'Symbol',
      'Proxy',
      'Reflect',
      'BigInt',
      'DataView',
    ]) {
      expect(rulesIn('console.log(' + g + ');'), g).toEqual(['missing-global']);
      expect(rulesIn('function f(' + g + ') { return ' + g + '; }'), g + ' shadowed').toEqual([]);
    }
    for (const m of [
      'Math.imul',
      'Math.clz32',
      'Math.trunc',
      'Math.log2',
      'Number.isInteger',
      'Object.freeze',
    ]) {
      expect(rulesIn('console.log(' + m + '(1));'), m).toEqual(['missing-static']);
    }
    expect(rulesIn("console.log(Math['imul']);")).toEqual(['missing-static']);
    expect(rulesIn('var Math = { imul: 1 };\nconsole.log(Math.imul);')).toEqual([]);
  });
});

describe('esbuild output under the firmware settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carnet-gate-'));

  async function bundleOf(files: { [name: string]: string }): Promise<string> {
    for (const n of Object.keys(files)) writeFileSync(join(dir, n), files[n]);
    const r = await esbuild.build(esbuildOptions(join(dir, 'entry.ts')));
    return r.outputFiles === undefined ? '' : r.outputFiles[0].text;
  }

  it('`import * as X` used as a value brings esbuild helpers that the gate refuses', async () => {
    const text = await bundleOf({
      'lib.ts': 'export const a = 1;\nexport function b() { return 2; }\n',
      'entry.ts':
        "import * as lib from './lib';\nconst keys: string[] = [];\nfor (const k in lib) keys.push(k);\nconsole.log(keys);\n",
    });
    expect(rulesIn(text)).toContain('esbuild-helper');
  });

  it('a module that calls a function declared further down is refused once bundled', async () => {
    const text = await bundleOf({
      'lib.ts': 'export const table = build();\nfunction build(): number[] {\n  return [1];\n}\n',
      'entry.ts': "import { table } from './lib';\nconsole.log(table);\n",
    });
    expect(rulesIn(text)).toEqual(['use-before-declaration']);
  });

  it('a closure over a loop `let` survives bundling and is refused', async () => {
    const text = await bundleOf({
      'entry.ts':
        'const fns: (() => number)[] = [];\nfor (let i = 0; i < 3; i++) fns.push(() => i);\nconsole.log(fns);\n',
    });
    expect(rulesIn(text)).toEqual(['loop-closure']);
  });

  it('keeps require("Storage") a plain call, moves class fields into constructors, invents no ||=', async () => {
    const text = await bundleOf({
      'entry.ts':
        'declare function require(n: string): { read(n: string): string };\n' +
        "class A { list: number[] = []; kind: string; static n = 1; constructor() { this.kind = 'a'; } }\nconst o: { x?: number } = {};\nif (!o.x) o.x = 1;\n" +
        "console.log(new A().list, o, require('Storage').read('f'));\n",
    });
    expect(text).toContain('require("Storage")');
    expect(text).not.toContain('__require');
    expect(text).not.toContain('__publicField');
    expect(text).toContain('this.list=[]');
    expect(text).toContain('A.n=1');
    expect(text).not.toContain('||=');
    expect(rulesIn(text)).toEqual([]);
  });
});

describe('the real bundles', () => {
  let built: BuildResult;
  const lines: string[] = [];
  beforeAll(async () => {
    built = await buildFirmware({
      // Given relative to the cwd, as `npm run marche` does on a fresh clone: the manifest must still name
      // files that exist (relative to firmware/ or absolute).
      outDir: relative(process.cwd(), mkdtempSync(join(tmpdir(), 'carnet-build-'))),
      log: (l) => lines.push(l),
    });
    for (const l of lines) console.log(l);
  }, 120_000);

  it('builds with no esbuild error and no gate violation', () => {
    expect(built.errors.filter((e) => e.indexOf('FIRMWARE_BUNDLE_MAX_BYTES') < 0)).toEqual([]);
    expect(built.violations).toEqual([]);
  });

  it('checks the size budget: the build fails exactly when carnet.js exceeds FIRMWARE_BUNDLE_MAX_BYTES', () => {
    const size = Buffer.byteLength(readBuilt(built, 'carnet.js'), 'latin1');
    console.log(
      'carnet.js: ' +
        size +
        ' bytes, budget ' +
        FIRMWARE_BUNDLE_MAX_BYTES +
        (size > FIRMWARE_BUNDLE_MAX_BYTES ? ' (OVER)' : ''),
    );
    const overBudget = built.errors.some((e) => e.indexOf('FIRMWARE_BUNDLE_MAX_BYTES') >= 0);
    expect(overBudget).toBe(size > FIRMWARE_BUNDLE_MAX_BYTES);
    expect(built.ok).toBe(size <= FIRMWARE_BUNDLE_MAX_BYTES);
  });

  it('passes the gate: carnet.js, bootcde.js, conformance.js', () => {
    for (const name of ['carnet.js', 'bootcde.js', 'conformance.js']) {
      expect(checkSubset(readBuilt(built, name), name), name).toEqual([]);
    }
  });

  it('the manifest records sizes, hashes and CRC-32 of what was written; the loader checks them', () => {
    const m = JSON.parse(readFileSync(built.manifestPath, 'utf8')) as {
      files: { file: string; storageName: string | null; bytes: number; sha256: string; crc32: number }[];
      budget: { bundleMaxBytes: number };
    };
    for (const f of m.files)
      expect(existsSync(isAbsolute(f.file) ? f.file : join(FIRMWARE_DIR, f.file)), f.file).toBe(true);
    expect(m.budget.bundleMaxBytes).toBe(FIRMWARE_BUNDLE_MAX_BYTES);
    const main = m.files.filter((f) => f.storageName === 'carnet.js')[0];
    const text = readBuilt(built, 'carnet.js');
    expect(main.bytes).toBe(Buffer.byteLength(text, 'latin1'));
    expect(main.sha256).toBe(createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex'));
    expect(main.crc32).toBe(crc32(new Uint8Array(Buffer.from(text, 'latin1'))) >>> 0);
    expect(readBuilt(built, 'bootcde.js')).toBe(loaderSource(main.bytes, main.crc32));
    const loader = m.files.filter((f) => f.storageName === '.bootcde')[0];
    expect(loader.bytes).toBe(Buffer.byteLength(readBuilt(built, 'bootcde.js'), 'latin1'));
  });

  it('npm run gate exits 1 on a failing fixture and 0 on the built bundle', () => {
    const tsx = join(FIRMWARE_DIR, '..', 'node_modules', '.bin', 'tsx');
    const gate = join(FIRMWARE_DIR, 'subset-gate.ts');
    let code = 0;
    try {
      execFileSync(tsx, [gate, join(FIXTURES, 'spread.call.js')], { stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(1);
    const out = execFileSync(tsx, [gate, join(built.outDir, 'carnet.js')], { encoding: 'utf8' });
    expect(out).toContain('OK');
  });
});
