// Cross-package: the reader's own code (simulated) sells, its log is pulled over the serial service,
// carried as a log export, imported into the treasurer's SQLite ledger and reconciled. The money the
// reader took from the card is exactly what the ledger owes the vendor, to the cent.

import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  provisionedReader,
  memberCard,
  readerCert,
  READER_ID,
  SIM_T,
  root,
  fundId,
  issuerCertEnv,
  operatorCertEnv,
  signedVoucher,
  voucherFlat,
  T0,
  NOV_2026,
} from '../sim/fund';
import { signReaderCertificate } from '../../protocol/src/structures/keys';
import { chainGenesis } from '../../protocol/src/structures/log';
import { sha256Host } from '../../protocol/src/node/ed25519';
import { MSG_GET_CHECKPOINT, MSG_PULL_LOG } from '../../protocol/src/messages';
import { encodeFundBundle, encodeLogExport } from '../../host/src/ledger/export';
import { Ledger } from '../../host/src/ledger/ledger';
import { reconcile } from '../../host/src/ledger/reconcile';
import { monthCsv, vendorCsv } from '../../host/src/ledger/outputs';
import { reportHtml } from '../../host/src/ledger/report';
import { MemberRegistry } from '../../host/src/desk/registry';
import { LedgerDbView } from '../../host/src/desk/ledger-view';
import { toHex } from '../../protocol/src/bytes';

const dir = mkdtempSync(join(tmpdir(), 'carnet-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Typed amount in cents, category key, and the covered share expected (config: cat 1 100 %, cat 2 50 %). */
const SALES: [string, string, number][] = [
  ['1250', '1', 1250],
  ['800', '2', 400],
  ['2000', '1', 2000],
  ['999', '2', 499],
];

describe('reader → serial pull → log export → ledger', () => {
  it('pays the vendor exactly what the card was debited, with exact conservation and no anomaly', async () => {
    const p = provisionedReader('e2e-ledger');
    const card = memberCard();
    for (const [amount, cat] of SALES) {
      p.sim.keys(amount + '#' + cat);
      p.sim.tap(card);
      p.sim.removeCard();
      p.sim.advance(60_000);
    }

    // Pull everything, then a fresh checkpoint bound to our nonce.
    const records: Uint8Array[] = [];
    for (;;) {
      const b = p.host.request(MSG_PULL_LOG, [records.length + 1, 64]);
      if (b.type !== 0x84) throw new Error('no LOG_BATCH');
      records.push(...b.records);
      if (b.records.length === 0 || records.length >= b.headSeq) break;
    }
    const ck = p.host.request(MSG_GET_CHECKPOINT, [new Uint8Array(16).fill(3)]);
    if (ck.type !== 0x85) throw new Error('no CHECKPOINT');

    const cert = signReaderCertificate(readerCert(p.publicKey, T0 + 180 * 86400), root);
    const ledger = await Ledger.open(join(dir, 'registre.sqlite'));
    const fund = await ledger.loadFund(
      encodeFundBundle({
        fundId,
        rootPublicKey: root.publicKey,
        utcOffsetMin: 60,
        keyCertificates: [issuerCertEnv, operatorCertEnv],
        readerCertificates: [cert],
        vouchers: [signedVoucher(voucherFlat)],
        blocklists: [],
      }),
    );
    expect(fund).toMatchObject({ ok: true });
    const exportBytes = encodeLogExport({
      fundId,
      readerId: READER_ID,
      readerCertificate: cert,
      fromSeq: 1,
      prevHead: chainGenesis(fundId, READER_ID, sha256Host),
      records,
      checkpoints: [ck.envelope],
    });
    const first = await ledger.importLog(exportBytes, 'fichier', SIM_T + 3600);
    expect(first).toMatchObject({
      ok: true,
      status: 'importe',
      fromSeq: 1,
      toSeq: records.length,
      uncovered: 0,
      anomalies: [],
    });
    // The same file twice changes nothing.
    const again = await ledger.importLog(exportBytes, 'fichier', SIM_T + 3600);
    expect(again).toMatchObject({ ok: true, status: 'deja', newRecords: 0 });

    const rec = await reconcile(ledger, NOV_2026, SIM_T + 86400);
    const covered = SALES.reduce((s, x) => s + x[2], 0);
    console.log(
      `reader log: ${records.length} records; ledger: payable ${rec.payable} c, debited ${rec.debited} c, unspent ${rec.unspent} c`,
    );
    expect(rec.anomalies).toEqual([]);
    expect(rec.balanced).toBe(true);
    expect(rec.committedSales).toBe(covered);
    expect(rec.payable).toBe(covered);
    expect(rec.debited).toBe(covered);
    expect(rec.available).toBe(6500);
    expect(rec.unspent).toBe(6500 - covered);
    expect(rec.available).toBe(rec.debited + rec.unspent - rec.overspend);

    // Issue 7: the vendor's exports carry no member's name (the desk registry holds the only link from a
    // pseudonym to a person) — nor the pseudonym itself.
    const registry = MemberRegistry.open(join(dir, 'registre.chiffre'), 'phrase de test');
    const pseudonym = toHex(voucherFlat.pseudonym);
    registry.upsert({
      name: 'Alice Martin',
      pseudonym,
      householdSize: null,
      parts: null,
      uid: toHex(voucherFlat.cardUid),
      serial: 1,
      startMonth: voucherFlat.startMonth,
      validityMonths: voucherFlat.validityMonths,
      issuedAt: voucherFlat.issuedAt,
      status: 'active',
      blockedAt: null,
      replacedBy: null,
      replaces: null,
    });
    registry.save();
    const exports = [
      await vendorCsv(ledger, rec, rec.vendors[0].vendorId, null),
      monthCsv(rec, null),
      reportHtml(rec, new Map(), SIM_T + 86400),
    ];
    expect(exports[0]).toContain('41,49'); // the statement does list the sales, with French decimals
    for (const e of exports) {
      for (const name of registry.names()) expect(e.includes(name), name).toBe(false);
      expect(e.toLowerCase().includes(pseudonym)).toBe(false);
    }

    // The card desk reads the same ledger to give a lost card's balance back (issue 7).
    const view = new LedgerDbView(ledger);
    const last = await view.lastStateOf(pseudonym);
    expect(last).toMatchObject({ month: NOV_2026, cardSeq: SALES.length, spent: covered, voucherSerial: 1 });
    const before = await view.lastStateOf(pseudonym, SIM_T - 1);
    expect(before).toBeNull();
    await ledger.close();
  });
});
