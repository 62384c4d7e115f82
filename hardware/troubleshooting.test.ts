// The troubleshooting table of hardware/README.md is tied to the firmware's own messages (issue 8): every
// screen text quoted in its first column, and every console message quoted in it, must exist verbatim as
// a string literal in the firmware sources, so renaming a message without fixing the docs fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T } from '../firmware/src/app/texts';

const repoRoot = join(import.meta.dirname, '..');
const readme = readFileSync(join(repoRoot, 'hardware', 'README.md'), 'utf8');
const SOURCES = [
  'firmware/src/app/texts.ts',
  'firmware/src/app/ui.ts',
  'firmware/src/app/core.ts',
  'firmware/src/main.ts',
  'firmware/src/platform/espruino/ed25519-native.ts',
].map((p) => readFileSync(join(repoRoot, p), 'utf8'));

function section(): string {
  const a = readme.indexOf('<!-- depannage:start -->');
  const b = readme.indexOf('<!-- depannage:end -->');
  expect(a).toBeGreaterThan(0);
  expect(b).toBeGreaterThan(a);
  return readme.substring(a, b);
}

function inFirmware(s: string): boolean {
  return SOURCES.some((src) => src.includes("'" + s + "'") || src.includes('"' + s + '"'));
}

function quoted(cell: string): string[] {
  const out: string[] = [];
  const re = /`([^`]+)`/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cell)) !== null) out.push(m[1]);
  return out;
}

describe('hardware/README.md troubleshooting table', () => {
  const rows = section()
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| message') && !l.startsWith('| ---'));

  it('has a row per refusal and boot problem, each with a cause and a fix', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const r of rows) {
      const cells = r.split(' | ');
      expect(cells.length, r).toBe(3);
      for (const c of cells) expect(c.replace(/[|\s]/g, '').length, r).toBeGreaterThan(3);
    }
  });

  it('every screen text quoted in the first column is the firmware text, verbatim', () => {
    let n = 0;
    for (const r of rows) {
      for (const s of quoted(r.split(' | ')[0])) {
        expect(inFirmware(s), s).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(25);
    expect(inFirmware('Carte retirée, reposez-la')).toBe(false); // the check can fail
  });

  it('the refusals and boot messages a stallholder meets are all in the table', () => {
    const first = rows.map((r) => r.split(' | ')[0]).join('\n');
    for (const k of [
      'noNfc',
      'noPrinter',
      'retap',
      'syncRequired',
      'logFull',
      'notConfigured',
      'cardError',
      'unknownCard',
      'badSignature',
      'expired',
      'blocked',
      'rollback',
      'overBalance',
      'overTap',
      'overDay',
      'storageError',
      'voided',
      'otherCard',
    ] as const)
      expect(first, k).toContain('`' + T[k] + '`');
  });

  it('console messages quoted in the table exist in the firmware', () => {
    const s = section();
    expect(s).toContain('`fichier ed25519.bin absent de la mémoire Storage : réinstallez le micrologiciel`');
    expect(
      inFirmware('fichier ed25519.bin absent de la mémoire Storage : réinstallez le micrologiciel'),
    ).toBe(true);
  });
});
