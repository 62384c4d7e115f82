// Golden vectors × implementations: every case of protocol/vectors/*.json must get its expected verdict
// and decoded summary from the protocol code with the host crypto (node:crypto) and with the portable
// reference (tweetnacl + portable SHA-256). The firmware bundle runs the same cases in its own suite.
// Also enforces the freeze rule: vectors are append-only.

import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runVectorCase, VectorCase } from '../../protocol/src/conformance';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { referenceCrypto } from '../../protocol/src/node/ed25519-reference';
import { generateVectorFiles, caseDigest, VECTORS_DIR, VectorFile } from '../../protocol/scripts/gen-vectors';

const repoRoot = join(VECTORS_DIR, '..', '..');
const files = readdirSync(VECTORS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(name: string): VectorFile {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), 'utf8')) as VectorFile;
}

describe('golden vectors', () => {
  it('cover every structure of the protocol', () => {
    const names = files.map((f) => f.replace('.json', ''));
    for (const s of [
      'key_certificate',
      'reader_certificate',
      'directory',
      'voucher',
      'state',
      'config',
      'blocklist',
      'log_record',
      'log_chain',
      'checkpoint',
      'command',
      'card_header',
      'card_image',
      'cbor',
      'ed25519',
      'frame',
    ]) {
      expect(names).toContain(s);
    }
  });

  for (const file of files) {
    const vf = load(file);
    for (const [name, crypto] of [
      ['host', hostCrypto],
      ['reference', referenceCrypto],
    ] as const) {
      it(`${file} (${vf.tests.length} cases) on the ${name} crypto`, () => {
        let valid = 0;
        for (const t of vf.tests) {
          const o = runVectorCase(vf.structure, t as VectorCase, crypto);
          expect({ id: t.id, result: o.result, code: o.code }).toEqual({
            id: t.id,
            result: t.result,
            code: t.code,
          });
          expect(o.decoded).toEqual(t.decoded);
          if (o.result === 'valid') valid++;
        }
        // Each file has valid and invalid cases.
        expect(valid).toBeGreaterThan(0);
        expect(valid).toBeLessThan(vf.tests.length);
      });
    }
  }

  it('are exactly what the generator produces today (no silent format change)', () => {
    const generated = generateVectorFiles();
    for (const g of generated) {
      const path = join(VECTORS_DIR, g.structure + '.json');
      expect(existsSync(path), g.structure).toBe(true);
      const onDisk = load(g.structure + '.json');
      for (const t of onDisk.tests) {
        const now = g.tests.find((x) => x.id === t.id);
        expect(now, `${g.structure} #${t.id}`).toBeDefined();
        expect(caseDigest(now!), `${g.structure} #${t.id} changed`).toBe(caseDigest(t as VectorCase));
      }
    }
  });

  it('are append-only across the git history', () => {
    // Every landed version of a vector file must be a prefix of today's (same ids, identical cases).
    const inGit = existsSync(join(repoRoot, '.git'));
    expect(inGit, 'the vector freeze check needs the git history of the clone').toBe(true);
    let checked = 0;
    for (const file of files) {
      const rel = 'protocol/vectors/' + file;
      const commits = execFileSync('git', ['log', '--format=%H', '--', rel], {
        cwd: repoRoot,
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean);
      const current = load(file);
      for (const c of commits) {
        let old: VectorFile;
        try {
          old = JSON.parse(
            execFileSync('git', ['show', `${c}:${rel}`], {
              cwd: repoRoot,
              encoding: 'utf8',
              maxBuffer: 64 << 20,
            }),
          );
        } catch {
          continue; // the file was deleted in that commit: a deletion itself fails the coverage test above
        }
        expect(old.tests.length).toBeLessThanOrEqual(current.tests.length);
        for (let i = 0; i < old.tests.length; i++) {
          expect(
            caseDigest(current.tests[i] as VectorCase),
            `${file} #${old.tests[i].id} changed since ${c.slice(0, 8)}`,
          ).toBe(caseDigest(old.tests[i] as VectorCase));
        }
        checked++;
      }
    }
    console.log(`vector freeze: ${checked} landed file versions checked`);
  });
});
