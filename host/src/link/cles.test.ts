// `carnet cles creer`: keys sealed under the passphrase, wrong passphrase refused, paper backup with
// checksums, public keys exported, an existing fund never overwritten; and staging of a big object.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/main';
import { CommandIo } from '../cli/command';
import { PAPER_FILE, PUBLIC_FILE, loadFund, loadKeys, paperChecksum } from './fund-folder';
import { toHex } from '../../../protocol/src/bytes';

function io(answers: string[]): CommandIo {
  return { progress: () => {}, ask: async () => answers.shift() ?? '' };
}

async function quiet(args: string[], i: CommandIo): Promise<number> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  (process.stdout as unknown as { write: () => boolean }).write = () => true;
  (process.stderr as unknown as { write: () => boolean }).write = () => true;
  try {
    return await runCli(args, i);
  } finally {
    (process.stdout as unknown as { write: typeof o }).write = o;
    (process.stderr as unknown as { write: typeof e }).write = e;
  }
}

describe('carnet cles creer', () => {
  it('creates sealed keys, a paper backup with checksums and a public export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-cles-'));
    const pass = 'une phrase assez longue';
    expect(await quiet(['cles', 'creer', '--caisse', dir], io([pass, pass]))).toBe(0);
    const f = loadFund(dir)!;
    const k = loadKeys(dir, pass);
    expect(toHex(k.root.publicKey)).toBe(f.rootPublicKey);
    expect(toHex(k.operator.publicKey)).toBe(f.operatorPublicKey);
    expect(() => loadKeys(dir, pass + 'x')).toThrow(/phrase de passe incorrecte/);
    const paper = readFileSync(join(dir, PAPER_FILE), 'utf8');
    const lines = paper.split('\n').filter((l) => /^\s+\d\s/.test(l));
    expect(lines.length).toBe(12);
    // Every line's checksum matches, and one mistyped digit is caught by its line's checksum.
    let name = '';
    for (const l of paper.split('\n')) {
      if (/^Clé/.test(l)) name = l;
      const m = /^\s+(\d)\s+(.+?)\s+\[([0-9a-f]{4})\]$/.exec(l);
      if (m === null) continue;
      const i = Number(m[1]) - 1;
      expect(paperChecksum(name + i + m[2])).toBe(m[3]);
      const typo = m[2].replace(/^./, (c) => (c === '0' ? '1' : '0'));
      expect(paperChecksum(name + i + typo)).not.toBe(m[3]);
    }
    const pub = JSON.parse(readFileSync(join(dir, PUBLIC_FILE), 'utf8'));
    expect(pub.racine).toBe(f.rootPublicKey);
    expect(paper).not.toContain(f.rootPublicKey);
    // Never overwrites an existing fund; a short or mistyped passphrase is refused.
    expect(await quiet(['cles', 'creer', '--caisse', dir], io([pass, pass]))).toBe(64);
    rmSync(dir, { recursive: true, force: true });
    const d2 = mkdtempSync(join(tmpdir(), 'carnet-cles-'));
    expect(await quiet(['cles', 'creer', '--caisse', d2], io(['court', 'court']))).toBe(64);
    expect(await quiet(['cles', 'creer', '--caisse', d2], io([pass, pass + '!']))).toBe(64);
    expect(loadFund(d2)).toBeNull();
    rmSync(d2, { recursive: true, force: true });
  }, 30000);

  it('a wrong passphrase is exit 77 on a reader command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-cles-'));
    const pass = 'une phrase assez longue';
    await quiet(['keys', 'create', '--caisse', dir], io([pass, pass]));
    const code = await quiet(['lecteur', 'releve', '--caisse', dir, '--port', '/dev/null'], io(['mauvaise']));
    expect(code).toBe(77);
    rmSync(dir, { recursive: true, force: true });
  }, 30000);
});
