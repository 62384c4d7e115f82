// The ledger suite, run unchanged against SQLite (sqlite.test.ts) and a real PostgreSQL server
// (pg.test.ts). Logs come from the honest-market generator and its fault injectors (generate.ts).

import { expect, it } from 'vitest';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { toHex } from '../../protocol/src/bytes';
import { verifyBlocklist } from '../../protocol/src/verify';
import {
  decodeFundBundle,
  decodeLogExport,
  encodeFundBundle,
  encodeLogExport,
} from '../../host/src/ledger/export';
import { Ledger } from '../../host/src/ledger/ledger';
import { reconcile } from '../../host/src/ledger/reconcile';
import { LedgerStore } from '../../host/src/ledger/store';
import {
  confirmAnomaly,
  createPaymentBatch,
  markBatchPaid,
  monthCsv,
  nextBlocklist,
  parseVendors,
  vendorCsv,
} from '../../host/src/ledger/outputs';
import { dropRecord, generateMarket, Market, otherFund, rewriteLog, tamperRecord } from './generate';

export type MakeStore = () => Promise<LedgerStore>;
/** Two stores (two connections) on one fresh database. */
export type MakeTwin = () => Promise<[LedgerStore, LedgerStore]>;

async function fresh(make: MakeStore, m: Market): Promise<Ledger> {
  const l = new Ledger(await make());
  const r = await l.loadFund(m.fundBytes);
  expect(r.ok).toBe(true);
  return l;
}

async function importAll(l: Ledger, m: Market): Promise<void> {
  for (const files of m.exports) {
    for (const f of files) {
      const r = await l.importLog(f);
      if (!r.ok) throw new Error(r.code + ' ' + r.message);
    }
  }
}

async function count(l: Ledger, table: string): Promise<number> {
  return Number((await l.query('SELECT COUNT(*) AS n FROM ' + table))[0].n);
}

const HONEST = { seed: 11, readers: 4, cards: 40, days: 8, taps: 12, exportsPerReader: 3 };
const FAULTY = Object.assign({}, HONEST, {
  seed: 12,
  clones: 1,
  rollbacks: 1,
  pendingNoCommit: 1,
  revokeFirstReader: true,
  alerts: 1,
});

export function ledgerSuite(make: MakeStore, makeTwin: MakeTwin): void {
  it('reconciles an honest month: no anomaly, exact conservation, vendor totals as generated', async () => {
    const m = generateMarket(HONEST);
    const l = await fresh(make, m);
    await importAll(l, m);
    expect(await count(l, 'records')).toBe(m.records);
    const rec = await reconcile(l, m.month, m.after);
    expect(rec.anomalies).toEqual([]);
    expect(rec.closed).toBe(true);
    expect(rec.balanced).toBe(true);
    expect(rec.available).toBe(m.expected.available);
    expect(rec.debited).toBe(m.expected.debited);
    expect(rec.overspend).toBe(0);
    expect(rec.available).toBe(rec.debited + rec.unspent);
    expect(rec.committedSales).toBe(m.expected.committedSales);
    for (const v of rec.vendors) expect(v.payable).toBe(m.expected.vendorNet.get(v.vendorId));
    await l.close();
  });

  it('reconciles consecutive months: states link across the month change, carry-over exact', async () => {
    const m = generateMarket(Object.assign({}, HONEST, { seed: 21, months: 3, days: 5, cards: 30 }));
    const l = await fresh(make, m);
    await importAll(l, m);
    expect(m.expectedByMonth.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      const rec = await reconcile(l, m.month + i, m.after);
      const e = m.expectedByMonth[i];
      expect(rec.anomalies).toEqual([]);
      expect(rec.balanced).toBe(true);
      expect(rec.available).toBe(e.available);
      expect(rec.debited).toBe(e.debited);
      for (const v of rec.vendors) expect(v.payable).toBe(e.vendorNet.get(v.vendorId));
    }
    await l.close();
  });

  it('is idempotent: the same files again, or an overlapping merged export, change nothing', async () => {
    const m = generateMarket(HONEST);
    const l = await fresh(make, m);
    await importAll(l, m);
    const before = await reconcile(l, m.month, m.after);
    const again = await l.importLog(m.exports[0][1]);
    expect(again.ok && again.status).toBe('deja');
    // An export covering parts 1 and 2 of reader 0 in one file (a laptop that kept both): known content.
    const a = decodeLogExport(m.exports[0][0]);
    const b = decodeLogExport(m.exports[0][1]);
    if (!a.ok || !b.ok) throw new Error('decode');
    const merged = encodeLogExport(
      Object.assign({}, a.value, {
        records: a.value.records.concat(b.value.records),
        checkpoints: a.value.checkpoints.concat(b.value.checkpoints),
      }),
    );
    const r = await l.importLog(merged);
    expect(r.ok && r.status).toBe('deja');
    expect(r.ok && r.newRecords).toBe(0);
    expect(await count(l, 'records')).toBe(m.records);
    expect(await reconcile(l, m.month, m.after)).toEqual(before);
    await l.close();
  });

  it('is atomic: a failure in the middle of an import leaves nothing behind', async () => {
    const m = generateMarket(HONEST);
    const store = await make();
    const l0 = new Ledger(store);
    await l0.loadFund(m.fundBytes);
    // A store whose `ops` insert fails, after records and checkpoints were written in the transaction.
    const broken: LedgerStore = {
      dialect: store.dialect,
      close: () => store.close(),
      tx: (fn, locks) =>
        store.tx(
          (tx) =>
            fn({
              all: tx.all,
              run: tx.run,
              each: tx.each,
              insertMany: async (table, cols, rows) => {
                if (table === 'ops') throw new Error('panne simulée');
                return tx.insertMany(table, cols, rows);
              },
            }),
          locks,
        ),
    };
    const l = new Ledger(broken);
    await expect(l.importLog(m.exports[0][0])).rejects.toThrow('panne simulée');
    expect(await count(l0, 'records')).toBe(0);
    expect(await count(l0, 'checkpoints')).toBe(0);
    expect(await count(l0, 'imports')).toBe(0);
    // The same file then imports fully.
    const r = await l0.importLog(m.exports[0][0]);
    expect(r.ok && r.status).toBe('importe');
    await l0.close();
  });

  it('refuses another fund, a tampered file, an unknown reader, an unsigned run — nothing imported, refusal journaled', async () => {
    const m = generateMarket(HONEST);
    const l = await fresh(make, m);
    const cases: [Uint8Array, string][] = [
      [otherFund(m.exports[0][0]), 'AUTRE_FONDS'],
      [tamperRecord(m.exports[1][0], 17, 77), 'FICHIER_ALTERE'],
      [dropRecord(m.exports[2][0], 9), 'RELEVE_MANQUANT'],
      [m.exports[0][0].subarray(0, m.exports[0][0].length - 3), 'FICHIER_ALTERE'],
    ];
    const e = decodeLogExport(m.exports[3][0]);
    if (!e.ok) throw new Error('decode');
    cases.push([encodeLogExport(Object.assign({}, e.value, { checkpoints: [] })), 'NON_SIGNE']);
    // A bundle that does not know reader 104: its logs are refused.
    const fb = decodeFundBundle(m.fundBytes);
    if (!fb.ok) throw new Error('decode');
    const l2 = new Ledger(await make());
    await l2.loadFund(
      encodeFundBundle(
        Object.assign({}, fb.value, { readerCertificates: fb.value.readerCertificates.slice(0, 3) }),
      ),
    );
    const unknown = await l2.importLog(m.exports[3][0]);
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.code).toBe('LECTEUR_INCONNU');
    expect(!unknown.ok && unknown.message).toMatch(/lecteur n° 104 est inconnu/);
    expect(await count(l2, 'records')).toBe(0);
    await l2.close();
    for (const [file, code] of cases) {
      const r = await l.importLog(file);
      expect(r.ok, code).toBe(false);
      expect(!r.ok && r.code).toBe(code);
    }
    expect(await count(l, 'records')).toBe(0);
    expect(await count(l, 'ops')).toBe(0);
    expect(await count(l, 'imports')).toBe(0);
    const journal = await l.query("SELECT kind FROM anomalies WHERE kind = 'FICHIER_REFUSE'");
    expect(journal.length).toBe(cases.length);
    await l.close();
  });

  it('refuses a fund bundle with a forged voucher, and a bundle of another fund', async () => {
    const m = generateMarket(HONEST);
    const fb = decodeFundBundle(m.fundBytes);
    if (!fb.ok) throw new Error('decode');
    const v = new Uint8Array(fb.value.vouchers[3]);
    v[v.length - 1] ^= 1;
    const l = new Ledger(await make());
    const r = await l.loadFund(encodeFundBundle(Object.assign({}, fb.value, { vouchers: [v] })));
    expect(!r.ok && r.code).toBe('BON_INVALIDE');
    expect(await count(l, 'vouchers')).toBe(0);
    expect((await l.loadFund(m.fundBytes)).ok).toBe(true);
    const other = generateMarket(Object.assign({}, HONEST, { seed: 99 }));
    const r2 = await l.loadFund(other.fundBytes);
    expect(!r2.ok && r2.code).toBe('AUTRE_FONDS');
    await l.close();
  });

  it('detects a clone and a rollback (forks), overspend, a pending sale never committed, a revoked reader', async () => {
    const m = generateMarket(FAULTY);
    const l = await fresh(make, m);
    await importAll(l, m);
    const rec = await reconcile(l, m.month, m.after);
    const kinds = rec.anomalies.map((a) => a.kind).sort();
    expect(kinds).toEqual([
      'ALERTE_LECTEUR',
      'COPIE_DE_CARTE',
      'EN_ATTENTE_SANS_SUITE',
      'LECTEUR_REVOQUE',
      'RETOUR_ARRIERE',
    ]);
    const alert = rec.anomalies.find((a) => a.kind === 'ALERTE_LECTEUR');
    expect(alert?.message).toMatch(/retour en arrière/);
    expect((alert?.evidence as { evidence: string[] }).evidence.length).toBeGreaterThan(0);
    const clone = rec.anomalies.find((a) => a.kind === 'COPIE_DE_CARTE');
    const ev = clone?.evidence as { states: { reader: number }[] };
    expect(ev.states.length).toBe(2);
    expect(new Set(ev.states.map((s) => s.reader)).size).toBe(2);
    expect(rec.overspend).toBeGreaterThan(0);
    expect(rec.balanced).toBe(true);
    expect(rec.available).toBe(m.expected.available);
    expect(rec.available).toBe(rec.debited + rec.unspent - rec.overspend);
    const held = [...m.expected.vendorHeld.values()].reduce((s, x) => s + x, 0);
    expect(held).toBeGreaterThan(0);
    expect(rec.held).toBe(held);
    for (const v of rec.vendors) {
      expect(v.payable).toBe(
        (m.expected.vendorNet.get(v.vendorId) ?? 0) - (m.expected.vendorHeld.get(v.vendorId) ?? 0),
      );
    }
    await l.close();
  });

  it('catches a reader that signed two histories (rewritten log): kept as evidence, nothing imported', async () => {
    const m = generateMarket(HONEST);
    const l = await fresh(make, m);
    await importAll(l, m);
    const before = await count(l, 'records');
    const forged = rewriteLog(m, 2);
    const r = await l.importLog(forged);
    expect(r.ok && r.status).toBe('conflit');
    expect(await count(l, 'records')).toBe(before);
    const rec = await reconcile(l, m.month, m.after);
    const a = rec.anomalies.filter((x) => x.kind === 'JOURNAL_REECRIT');
    expect(a.length).toBe(1);
    expect(a[0].readerId).toBe(m.readerIds[2]);
    const ev = a[0].evidence as { stored_head: string; new_head: string };
    expect(ev.stored_head).not.toBe(ev.new_head);
    // Confirming it puts the reader on the next blocklist.
    expect((await confirmAnomaly(l, m.month, a[0].id, m.after)).ok).toBe(true);
    const b = await nextBlocklist(l, m.operatorSeed, m.after);
    expect(b.ok && b.blocklist.readerIds).toEqual([m.readerIds[2]]);
    await l.close();
  });

  it('holds what a reader sold outside its certificate, and the sales of a card whose voucher is unknown', async () => {
    const m = generateMarket(Object.assign({}, HONEST, { seed: 31, shortCertificate: true }));
    // The fund bundle lacks one voucher (the card desk never sent it).
    const fb = decodeFundBundle(m.fundBytes);
    if (!fb.ok) throw new Error(fb.message);
    const missingVoucher = fb.value.vouchers[7];
    const l = new Ledger(await make());
    const loaded = await l.loadFund(
      encodeFundBundle(
        Object.assign({}, fb.value, { vouchers: fb.value.vouchers.filter((v) => v !== missingVoucher) }),
      ),
    );
    expect(loaded.ok).toBe(true);
    await importAll(l, m);
    const rec = await reconcile(l, m.month, m.after);
    const kinds = new Set(rec.anomalies.map((a) => a.kind));
    expect([...kinds].sort()).toEqual(['BON_INCONNU', 'HORS_CERTIFICAT']);
    const unknown = rec.anomalies.filter((a) => a.kind === 'BON_INCONNU');
    const unknownNet = unknown.reduce((s, a) => s + a.amount, 0);
    expect(rec.unknownVoucherNet).toBe(unknownNet);
    const outside = rec.anomalies.find((a) => a.kind === 'HORS_CERTIFICAT');
    expect(outside?.readerId).toBe(m.readerIds[1]);
    const expiredHeld = [...m.expected.vendorHeld.values()].reduce((s, x) => s + x, 0);
    expect(expiredHeld).toBeGreaterThan(0);
    // Held = the expired reader's sales after its certificate ended + the unknown card's (not counted twice).
    const both = unknown.filter((a) => {
      const ev = a.evidence as { reader: number; seq: number };
      return ev.reader === m.readerIds[1];
    });
    expect(rec.held).toBeLessThanOrEqual(expiredHeld + unknownNet);
    expect(rec.held).toBeGreaterThanOrEqual(
      expiredHeld + unknownNet - both.reduce((s, a) => s + a.amount, 0),
    );
    expect(rec.balanced).toBe(true);
    expect(rec.debited + rec.unknownVoucherNet).toBe(rec.committedSales - rec.refunds);
    await l.close();
  });

  it('keeps a hole in a reader log as an anomaly until the missing export arrives', async () => {
    const m = generateMarket(HONEST);
    const l = await fresh(make, m);
    for (let r = 0; r < m.exports.length; r++) {
      for (let i = 0; i < m.exports[r].length; i++)
        if (!(r === 1 && i === 1)) await l.importLog(m.exports[r][i]);
    }
    let rec = await reconcile(l, m.month, m.after);
    const gaps = rec.anomalies.filter((a) => a.kind === 'TROU');
    expect(gaps.length).toBe(1);
    expect(gaps[0].readerId).toBe(m.readerIds[1]);
    const r = await l.importLog(m.exports[1][1]);
    expect(r.ok && r.status).toBe('importe');
    rec = await reconcile(l, m.month, m.after);
    expect(rec.anomalies).toEqual([]);
    expect(rec.balanced).toBe(true);
    await l.close();
  });

  it('does not pay for a month not closed, then pays once with a valid pain.001 file and marks it paid', async () => {
    const m = generateMarket(HONEST);
    const l = await fresh(make, m);
    const vendors = parseVendors(m.vendorsJson);
    if (!vendors.ok) throw new Error(vendors.message);
    for (const files of m.exports) await l.importLog(files[0]);
    const early = await createPaymentBatch(l, m.month, vendors.value, m.after, '2026-12-03');
    expect(!early.ok && early.code).toBe('MOIS_NON_CLOS');
    expect(!early.ok && early.message).toMatch(/lecteurs n° 101, 102, 103, 104/);
    await importAll(l, m);
    const before = await createPaymentBatch(l, m.month, vendors.value, m.after - 86400 * 2, '2026-12-03');
    expect(!before.ok && before.code).toBe('MOIS_NON_CLOS');
    const b = await createPaymentBatch(l, m.month, vendors.value, m.after, '2026-12-03');
    if (!b.ok) throw new Error(b.message);
    const rec = await reconcile(l, m.month, m.after);
    expect(b.total).toBe(rec.payable);
    expect(b.count).toBe(rec.vendors.length);
    expect(b.xml).toContain('pain.001.001.03');
    expect(b.xml).toContain(
      `<CtrlSum>${Math.floor(rec.payable / 100)}.${String(rec.payable % 100).padStart(2, '0')}</CtrlSum>`,
    );
    const again = await createPaymentBatch(l, m.month, vendors.value, m.after, '2026-12-03');
    expect(!again.ok && again.code).toBe('RIEN_A_PAYER');
    const paid = await markBatchPaid(l, b.xml, m.after + 5);
    expect(paid.ok && paid.already).toBe(false);
    const paid2 = await markBatchPaid(l, b.xml, m.after + 6);
    expect(paid2.ok && paid2.already).toBe(true);
    const forged = await markBatchPaid(
      l,
      b.xml.replace(/<CtrlSum>[^<]*<\/CtrlSum>/, '<CtrlSum>1.00</CtrlSum>'),
      m.after,
    );
    expect(!forged.ok && forged.code).toBe('LOT_DIFFERENT');
    const status = await l.query('SELECT status FROM payments WHERE batch_id = ?', [b.batchId]);
    expect(status[0].status).toBe('paye');
    await l.close();
  });

  it('writes CSV in French conventions whose totals match the reconciliation', async () => {
    const m = generateMarket(FAULTY);
    const l = await fresh(make, m);
    await importAll(l, m);
    const vendors = parseVendors(m.vendorsJson);
    if (!vendors.ok) throw new Error(vendors.message);
    const rec = await reconcile(l, m.month, m.after);
    const csv = monthCsv(rec, vendors.value);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0].split(';')[6]).toBe('À payer');
    const total = lines[lines.length - 1].split(';');
    expect(total[6]).toBe(`${Math.floor(rec.payable / 100)},${String(rec.payable % 100).padStart(2, '0')}`);
    const v = rec.vendors[0];
    const st = await vendorCsv(l, rec, v.vendorId, vendors.value);
    const body = st.slice(1).trimEnd().split('\r\n');
    // The statement's own lines add up to its payable figure.
    let sum = 0;
    for (const row of body.slice(2)) {
      const c = row.split(';');
      if (c.length === 9 && c[8] === 'validé') sum += Math.round(Number(c[7].replace(',', '.')) * 100);
    }
    expect(sum).toBe(v.payable);
    expect(body[body.length - 1]).toBe(
      `À payer;${Math.floor(v.payable / 100)},${String(v.payable % 100).padStart(2, '0')}`,
    );
    await l.close();
  });

  it('confirms anomalies into the next signed blocklist (operator key)', async () => {
    const m = generateMarket(FAULTY);
    const l = await fresh(make, m);
    await importAll(l, m);
    const rec = await reconcile(l, m.month, m.after);
    const clone = rec.anomalies.find((a) => a.kind === 'COPIE_DE_CARTE');
    if (!clone) throw new Error('no clone');
    const c = await confirmAnomaly(l, m.month, clone.id, m.after);
    expect(c.ok).toBe(true);
    expect(!(await confirmAnomaly(l, m.month, 'nope', m.after)).ok).toBe(true);
    const wrongKey = await nextBlocklist(l, new Uint8Array(32).fill(7), m.after);
    expect(!wrongKey.ok && wrongKey.code).toBe('CLE_NON_OPERATEUR');
    const b = await nextBlocklist(l, m.operatorSeed, m.after);
    if (!b.ok) throw new Error(b.message);
    // The generator's month already had blocklist version 1 (reader 101 revoked).
    expect(b.blocklist.version).toBe(2);
    expect(b.blocklist.readerIds).toEqual([m.readerIds[0]]);
    expect(b.blocklist.pseudonyms.map(toHex)).toEqual([clone.pseudonym]);
    const v = verifyBlocklist(b.bytes, m.operator.publicKey, m.fund.fundId, hostCrypto);
    expect(v.ok).toBe(true);
    const after = await reconcile(l, m.month, m.after);
    expect(after.anomalies.find((a) => a.id === clone.id)?.confirmed).toBe(true);
    await l.close();
  });

  it('lets two treasurers race to make the month’s transfer file: one batch, never two', async () => {
    const m = generateMarket(HONEST);
    const [s1, s2] = await makeTwin();
    const a = new Ledger(s1);
    await a.loadFund(m.fundBytes);
    const b = new Ledger(s2);
    await importAll(a, m);
    const vendors = parseVendors(m.vendorsJson);
    if (!vendors.ok) throw new Error(vendors.message);
    const [x, y] = await Promise.all([
      createPaymentBatch(a, m.month, vendors.value, m.after, '2026-12-03'),
      createPaymentBatch(b, m.month, vendors.value, m.after, '2026-12-03'),
    ]);
    expect([x.ok, y.ok].filter((ok) => ok).length).toBe(1);
    const loser = x.ok ? y : x;
    expect(['RIEN_A_PAYER', 'LOT_CONCURRENT']).toContain(loser.ok ? '' : loser.code);
    expect(await count(a, 'payments')).toBe(1);
    await b.close();
    await a.close();
  });

  it('lets two importers race on the same files: each record once, same reconciliation', async () => {
    const m = generateMarket(HONEST);
    const [s1, s2] = await makeTwin();
    const a = new Ledger(s1);
    await a.loadFund(m.fundBytes);
    const b = new Ledger(s2);
    const all = m.exports.flat();
    // Opposite orders: parts of one reader arrive out of order on one side (a hole, then filled).
    await Promise.all([
      (async () => {
        for (const f of all) await a.importLog(f);
      })(),
      (async () => {
        for (const f of all.slice().reverse()) await b.importLog(f);
      })(),
    ]);
    expect(await count(a, 'records')).toBe(m.records);
    const rec = await reconcile(a, m.month, m.after);
    expect(rec.anomalies).toEqual([]);
    expect(rec.balanced).toBe(true);
    for (const v of rec.vendors) expect(v.payable).toBe(m.expected.vendorNet.get(v.vendorId));
    await b.close();
    await a.close();
  });
}
