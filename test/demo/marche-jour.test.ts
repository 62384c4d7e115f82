// `npm run marche` (test/demo/marche-jour.ts): the whole market day run into temporary folders. The books
// must balance to the cent by three witnesses that do not go through the ledger (cards, decoded logs, Z
// reports), the clone and the rollback attempt must be found, and every file must exist and parse: SEPA
// total, HTML report per vendor, vendor CSV, the SQLite ledger reopened and reconciled again. Then the
// `--port` path: a simulated reader behind a socat pty stands for real hardware as reader n° 1.

import { afterAll, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMarketDay, DayResult, DEMO_PASSPHRASE, OUTPUT_MARKER } from './day/day';
import { firmwarePlan } from './day/install';
import { money } from './day/text';
import { loadKeys, loadFund, PULL_DB_FILE } from '../../host/src/link/fund-folder';
import { openPullStore } from '../../host/src/link/pull-store';
import { PtyRig } from '../../host/src/link/pty-rig';
import { NO_FAULTS, bigReaderSim } from '../../host/src/link/sim-reader-end';
import { nowSeconds } from '../../host/src/link/reader-client';
import { Ledger } from '../../host/src/ledger/ledger';
import { reconcile } from '../../host/src/ledger/reconcile';
import { readPainSummary, amountText, ibanValid } from '../../host/src/ledger/sepa';
import { csvMoney } from '../../host/src/ledger/outputs';
import { fromHex } from '../../protocol/src/bytes';
import { ALERT_ROLLBACK, LOG_ALERT, decodeLogRecord } from '../../protocol/src/structures/log';

const root = mkdtempSync(join(tmpdir(), 'carnet-marche-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const NAMES = [
  'Awa Diallo',
  'Bruno Lefèvre',
  'Chantal Moreau',
  'Djamel Haddad',
  'Élise Roux',
  'Fatou Ndiaye',
];

async function day(
  name: string,
  over: Partial<Parameters<typeof runMarketDay>[0]> = {},
): Promise<{ r: DayResult; out: string; lines: string[] }> {
  const out = join(root, name);
  const lines: string[] = [];
  const r = await runMarketDay({
    out,
    lang: 'fr',
    port: null,
    detect: false,
    link: 'auto',
    print: (l) => lines.push(l),
    ...over,
  });
  // The transcript helps when a run that should pass fails (the planted-fault run fails on purpose).
  if (!r.ok && over.beforeReconcile === undefined) console.log(lines.join('\n'));
  return { r, out, lines };
}

/** Checks shared by every run: witnesses, anomalies, files. */
async function checkFiles(r: DayResult, out: string): Promise<void> {
  // SEPA: the control sum and each transfer are what the ledger owes each vendor.
  const xml = readFileSync(join(out, 'virements-sepa.xml'), 'utf8');
  const sum = readPainSummary(xml);
  expect(sum.ok).toBe(true);
  if (sum.ok) {
    expect(sum.value.total).toBe(r.payableTotal);
    expect(sum.value.count).toBe(r.vendors.filter((v) => v.payable > 0).length);
  }
  for (const v of r.vendors.filter((x) => x.payable > 0))
    expect(xml).toContain('<InstdAmt Ccy="EUR">' + amountText(v.payable) + '</InstdAmt>');
  for (const iban of xml.match(/<IBAN>[^<]+<\/IBAN>/g) ?? []) expect(ibanValid(iban.slice(6, -7))).toBe(true);

  // HTML report: each vendor with a sale has its line, with the amount owed.
  const html = readFileSync(join(out, 'rapport.html'), 'utf8');
  expect(html).toContain('data-ok="true"');
  for (const v of r.vendors.filter((x) => x.payable > 0)) {
    expect(html).toContain('<td>n° ' + v.vendorId + '</td>');
    expect(html).toContain('data-cents="' + v.payable + '"');
  }
  expect(html).toContain('Carte copiée');

  // Vendor statements (CSV, French conventions) end with what is owed.
  for (const v of r.vendors.filter((x) => x.payable > 0)) {
    const csv = readFileSync(join(out, 'releve-commercant-' + v.vendorId + '.csv'), 'utf8');
    expect(csv).toContain('À payer;' + csvMoney(v.payable) + '\r\n');
    expect(csv).toContain(v.name);
  }

  // No member's name anywhere outside the encrypted registry.
  for (const f of ['rapport.html', 'virements-sepa.xml', 'commercants.json', 'dossier-caisse.cbor']) {
    const bytes = readFileSync(join(out, f));
    for (const n of NAMES) expect(bytes.includes(Buffer.from(n)), f + ' ' + n).toBe(false);
  }
  // The registry is sealed: neither its text nor its decoded ciphertext holds a full name (a three-letter
  // first name alone can occur by chance in 2 KB of base64: the full names cannot, in practice).
  const sealed = readFileSync(join(out, 'guichet', 'registre.chiffre'), 'utf8');
  const cipher = Buffer.from((JSON.parse(sealed) as { data: string }).data, 'base64');
  for (const n of NAMES) {
    expect(sealed, n).not.toContain(n);
    expect(cipher.includes(Buffer.from(n)), n).toBe(false);
  }

  // The ledger on disk, reopened: the same reconciliation, balanced.
  const ledger = await Ledger.open(join(out, 'grand-livre.sqlite'));
  try {
    const rec = await reconcile(ledger, r.month, nowSeconds());
    expect(rec.balanced).toBe(true);
    expect(rec.payable).toBe(r.payableTotal);
    expect(rec.anomalies.map((a) => a.kind).sort()).toEqual(['ALERTE_LECTEUR', 'COPIE_DE_CARTE']);
  } finally {
    await ledger.close();
  }

  // The fund folder: keys sealed under the demo passphrase, refused under another.
  const caisse = join(out, 'caisse');
  expect(loadKeys(caisse, DEMO_PASSPHRASE).root.publicKey.length).toBe(32);
  expect(() => loadKeys(caisse, 'une autre phrase de passe')).toThrow();
  expect(readdirSync(join(caisse, 'exports')).length).toBe(3);
  const tickets = readdirSync(join(out, 'tickets'));
  expect(tickets.length).toBeGreaterThan(10);
  expect(readFileSync(join(out, 'tickets', tickets[0]), 'utf8')).toContain('<svg');
  expect(existsSync(join(out, OUTPUT_MARKER))).toBe(true);
}

describe('npm run marche: a whole market day', () => {
  it('balances to the cent by three witnesses, finds the clone and the rollback, writes files that parse', async () => {
    const { r, out, lines } = await day('jour');
    console.log(
      `market day: ${r.seconds.toFixed(1)} s over ${r.simulatedLink}, owed to vendors ${money(r.payableTotal)}, ` +
        `paid by members ${money(r.memberPaidTotal)}, anomalies ${r.anomalies.map((a) => a.kind).join(', ')}`,
    );
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.payableTotal).toBeGreaterThan(0);
    for (const v of r.vendors) {
      expect(v.sales).toBeGreaterThan(0);
      expect(v.takenOnCards).toBe(v.payable);
      expect(v.takenInLog).toBe(v.payable);
      expect(v.zTotal).toBe(v.payable);
    }
    expect(r.vendors.reduce((a, v) => a + v.payable, 0)).toBe(r.payableTotal);
    expect(r.vendors.find((v) => v.vendorId === 2)?.refunds).toBe(1);
    expect(r.cloneDetected).toBe(true);
    expect(r.rollbackDetected).toBe(true);
    expect(r.sepaTotal).toBe(r.payableTotal);
    // Over ptys each reader was a blank Espruino board first: the firmware went through the installer
    // (packet protocol), every file checked on the board before load() started carnet.
    if (r.simulatedLink === 'pty') {
      expect(r.installs.length).toBe(3);
      for (const inst of r.installs) {
        expect(inst.protocol).toBe('packet');
        expect(inst.files.map((f) => f.name).pop()).toBe('.bootcde');
        for (const f of inst.files) expect(f.rewrites).toBe(0);
        expect(inst.wireBytes).toBeGreaterThan(inst.files.reduce((a, f) => a + f.bytes, 0));
      }
    }
    await checkFiles(r, out);
    // The narrative is French and says the books balance.
    expect(lines).toContain('6. Bilan de la journée');
    expect(lines.some((l) => l.includes('✔ au centime près'))).toBe(true);
    expect(lines.some((l) => l.includes('Reposez la carte'))).toBe(true);
    expect(lines.some((l) => l.includes('Carte plus ancienne'))).toBe(true);
  });

  it('in English over the in-process pipe (no socat needed), and a second run replaces the first', async () => {
    const out = join(root, 'en');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, OUTPUT_MARKER), '');
    writeFileSync(join(out, 'vieux-fichier.txt'), 'from an earlier run');
    const { r, lines } = await day('en', { lang: 'en', link: 'memoire' });
    expect(r.problems).toEqual([]);
    expect(r.simulatedLink).toBe('memoire');
    expect(existsSync(join(out, 'vieux-fichier.txt'))).toBe(false);
    expect(lines).toContain('6. Summary of the day');
    expect(lines.some((l) => l.includes('✔ to the cent'))).toBe(true);
    await checkFiles(r, out);
  });

  it('--port: a reader on a serial port (a simulated one behind a pty) is provisioned and pulled as n° 1', async () => {
    const sim = bigReaderSim('marche-port', nowSeconds());
    const rig = new PtyRig(sim, NO_FAULTS);
    await rig.start();
    try {
      const { r, out, lines } = await day('port', { port: rig.hostPath });
      expect(r.problems).toEqual([]);
      expect(r.realPort).toBe(rig.hostPath);
      expect(lines.some((l) => l.includes('VRAI port ' + rig.hostPath))).toBe(true);
      // The reader behind the port now belongs to the demo's fund as reader n° 1 …
      const fund = loadFund(join(out, 'caisse'));
      expect(fund).not.toBeNull();
      const id = sim.reader.core.id;
      expect(id?.readerId).toBe(1);
      expect(Buffer.from(id?.fundId ?? []).toString('hex')).toBe(fund?.fundId);
      // … its log was pulled into the fund folder and acknowledged up to the stored head.
      const store = openPullStore(join(out, 'caisse', PULL_DB_FILE));
      const recs = store.records(fromHex(r.fundId), 1);
      const ack = store.lastAck(fromHex(r.fundId), 1);
      store.close();
      expect(recs.length).toBeGreaterThan(0);
      expect(ack?.seq).toBe(recs[recs.length - 1].seq);
      expect(sim.reader.core.run.ackedSeq).toBe(ack?.seq);
      // No sale was scripted on it (its keypad is not the demo's); the other two stands played the day.
      const v1 = r.vendors.find((v) => v.vendorId === 1);
      expect(v1?.takenOnCards).toBeNull();
      expect(v1?.payable).toBe(0);
      expect(r.cloneDetected && r.rollbackDetected).toBe(true);
      await checkFiles(r, out);
      // The rollback alert is in reader 2's log as pulled.
      const s2 = openPullStore(join(out, 'caisse', PULL_DB_FILE));
      const alerts = s2
        .records(fromHex(r.fundId), 2)
        .map((x) => decodeLogRecord(x.bytes))
        .filter((d) => d.ok && d.value.kind === LOG_ALERT && d.value.data[0] === ALERT_ROLLBACK);
      s2.close();
      expect(alerts.length).toBe(1);
      // A second run would make a new fund, which that reader refuses: said before anything is written.
      await expect(day('port-encore', { port: rig.hostPath })).rejects.toThrow(/déjà en service/);
      expect(existsSync(join(root, 'port-encore'))).toBe(false);
    } finally {
      await rig.stop();
    }
  });

  it('a planted fault (one sale of the cheese stand lost by the ledger) fails the day, naming the vendor', async () => {
    const { r } = await day('faute', {
      link: 'memoire',
      beforeReconcile: async (ledger) => {
        const n = await ledger.store.tx((tx) =>
          tx.run(
            'DELETE FROM ops WHERE reader_id = 3 AND seq = (SELECT MAX(seq) FROM ops WHERE reader_id = 3 AND kind = 1)',
          ),
        );
        expect(n).toBe(1);
      },
    });
    expect(r.ok).toBe(false);
    const v3 = r.vendors.find((v) => v.vendorId === 3);
    expect(v3?.payable).toBeLessThan(v3?.takenOnCards ?? 0);
    expect(r.problems.some((p) => p.startsWith('commerçant n° 3 : lecteur '))).toBe(true);
  });

  it('never empties a folder it did not make', async () => {
    const out = join(root, 'a-moi');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'important.txt'), 'à garder');
    await expect(day('a-moi')).rejects.toThrow(/rien n’a été effacé/);
    expect(readFileSync(join(out, 'important.txt'), 'utf8')).toBe('à garder');
  });

  it('firmware step: builds the bundle when there is no manifest, and names each Storage file', async () => {
    const dir = join(root, 'micrologiciel');
    const plan = await firmwarePlan(dir, join(dir, 'absent', 'manifest.json'));
    expect(plan.built).toBe(true);
    expect(plan.files.map((f) => f.storageName)).toEqual(expect.arrayContaining(['carnet.js', '.bootcde']));
    for (const f of plan.files) {
      expect(f.matches).toBe(true);
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
