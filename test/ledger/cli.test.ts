// `carnet tresorerie …` end to end through the CLI (in process): fund bundle, imports, report, CSV,
// SEPA transfer and its re-import, confirmation and the next blocklist; refusals and exit codes.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toHex } from '../../protocol/src/bytes';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { verifyBlocklist } from '../../protocol/src/verify';
import { runCli } from '../../host/src/cli/main';
import { EXIT_DATAERR, EXIT_FINDINGS, EXIT_OK } from '../../host/src/cli/exit-codes';
import { generateMarket, Market, tamperRecord } from './generate';

let dir = '';
let m: Market;
let out: string[] = [];

const io = { progress: () => undefined, ask: async () => '' };

async function carnet(...args: string[]): Promise<number> {
  out = [];
  return runCli(['tresorerie', ...args, '--base', path.join(dir, 'registre.sqlite')], io);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'carnet-cli-ledger-'));
  m = generateMarket({ seed: 3, readers: 3, cards: 30, days: 6, taps: 10, exportsPerReader: 2, clones: 1 });
  writeFileSync(path.join(dir, 'fonds.cbor'), m.fundBytes);
  const logs = path.join(dir, 'journaux');
  mkdirSync(logs);
  m.exports.forEach((files, r) =>
    files.forEach((f, i) => writeFileSync(path.join(logs, `lecteur-${r}-${i}.cbor`), f)),
  );
  writeFileSync(path.join(dir, 'commercants.json'), m.vendorsJson);
  writeFileSync(path.join(dir, 'operateur.hex'), toHex(m.operatorSeed));
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
});

afterAll(() => {
  vi.restoreAllMocks();
  delete process.env.CARNET_NOW;
  rmSync(dir, { recursive: true, force: true });
});

describe('carnet tresorerie', () => {
  it('runs a month from the fund bundle to the SEPA file and the blocklist', async () => {
    expect(await carnet('caisse', '--fichier', path.join(dir, 'fonds.cbor'))).toBe(EXIT_OK);
    const bad = path.join(dir, 'altere.cbor');
    writeFileSync(bad, tamperRecord(m.exports[0][0], 3, 5));
    expect(await carnet('importer', '--fichier', bad)).toBe(EXIT_DATAERR);
    expect(out.join('')).toMatch(/REFUSÉ/);
    expect(await carnet('importer', '--fichier', path.join(dir, 'journaux'))).toBe(EXIT_OK);
    expect(out.join('')).toMatch(/lecteur n° 101, relevés 1 à \d+, \d+ nouveaux/);

    // Before the month's end: no report without --provisoire, no transfer.
    process.env.CARNET_NOW = String(m.after - 3 * 86400);
    expect(await carnet('rapport', '--mois', '2026-11', '--sortie', path.join(dir, 'r.html'))).toBe(
      EXIT_DATAERR,
    );
    expect(out.join('')).toMatch(/le mois 2026-11 n’est pas clos/);
    expect(
      await carnet('rapport', '--mois', '2026-11', '--provisoire', '--sortie', path.join(dir, 'p.html')),
    ).toBe(EXIT_FINDINGS);
    expect(readFileSync(path.join(dir, 'p.html'), 'utf8')).toContain('NON clos');

    process.env.CARNET_NOW = String(m.after + 3600);
    expect(
      await carnet(
        'rapport',
        '--mois',
        '2026-11',
        '--sortie',
        path.join(dir, 'r.html'),
        '--commercants',
        path.join(dir, 'commercants.json'),
      ),
    ).toBe(EXIT_FINDINGS);
    expect(readFileSync(path.join(dir, 'r.html'), 'utf8')).toContain('Carte copiée');
    expect(
      await carnet(
        'csv',
        '--mois',
        '2026-11',
        '--sortie',
        path.join(dir, 'csv'),
        '--commercants',
        path.join(dir, 'commercants.json'),
      ),
    ).toBe(EXIT_OK);
    expect(readdirSync(path.join(dir, 'csv')).sort()).toEqual([
      'commercant-10-2026-11.csv',
      'commercant-11-2026-11.csv',
      'mois-2026-11.csv',
    ]);

    const xml = path.join(dir, 'virements.xml');
    expect(
      await carnet(
        'virement',
        '--mois',
        '2026-11',
        '--commercants',
        path.join(dir, 'commercants.json'),
        '--sortie',
        xml,
        '--date',
        '2026-12-04',
      ),
    ).toBe(EXIT_OK);
    expect(readFileSync(xml, 'utf8')).toContain('<ReqdExctnDt>2026-12-04</ReqdExctnDt>');
    expect(await carnet('paye', '--fichier', xml)).toBe(EXIT_OK);
    expect(out.join('')).toMatch(/marqué payé/);

    out = [];
    expect(
      await runCli(
        [
          'tresorerie',
          'anomalies',
          '--mois',
          '2026-11',
          '--json',
          '--base',
          path.join(dir, 'registre.sqlite'),
        ],
        io,
      ),
    ).toBe(EXIT_FINDINGS);
    const list = JSON.parse(out.join('')) as { id: string; kind: string }[];
    const clone = list.find((a) => a.kind === 'COPIE_DE_CARTE');
    expect(clone).toBeDefined();
    expect(await carnet('confirmer', '--mois', '2026-11', '--anomalie', (clone as { id: string }).id)).toBe(
      EXIT_OK,
    );
    const bl = path.join(dir, 'liste.cbor');
    expect(await carnet('blocage', '--cle', path.join(dir, 'operateur.hex'), '--sortie', bl)).toBe(EXIT_OK);
    expect(verifyBlocklist(readFileSync(bl), m.operator.publicKey, m.fund.fundId, hostCrypto).ok).toBe(true);
  });

  it('refuses a vendors file with a wrong IBAN check', async () => {
    const v = JSON.parse(m.vendorsJson) as { vendeurs: { iban: string }[] };
    const iban = v.vendeurs[0].iban;
    v.vendeurs[0].iban = iban.slice(0, 2) + (iban[2] === '9' ? '1' : '9') + iban.slice(3);
    writeFileSync(path.join(dir, 'faux.json'), JSON.stringify(v));
    process.env.CARNET_NOW = String(m.after + 3600);
    expect(await carnet('virement', '--mois', '2026-11', '--commercants', path.join(dir, 'faux.json'))).toBe(
      EXIT_DATAERR,
    );
    expect(out.join('')).toMatch(/IBAN invalide \(clé mod 97\)/);
  });
});
