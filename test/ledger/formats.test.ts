// File formats of the ledger: export and fund bundle round trips and limits (MAX and MAX+1), split at
// every byte, IBAN mod 97, pain.001 summary, CSV conventions.

import { describe, expect, it } from 'vitest';
import { cborEncode } from '../../protocol/src/cbor';
import {
  decodeFundBundle,
  decodeLogExport,
  encodeLogExport,
  LOG_EXPORT_LABEL,
  MAX_BUNDLE_ITEMS,
  MAX_EXPORT_CHECKPOINTS,
  MAX_EXPORT_ENVELOPE_BYTES,
  MAX_EXPORT_RECORDS,
} from '../../host/src/ledger/export';
import {
  amountText,
  ibanFromBban,
  ibanValid,
  MAX_IBAN_CHARS,
  painXml,
  readPainSummary,
} from '../../host/src/ledger/sepa';
import { csvMoney, csvText, parseVendors } from '../../host/src/ledger/outputs';
import { generateMarket } from './generate';

const m = generateMarket({ seed: 4, readers: 2, cards: 10, days: 2, taps: 4 });

function exportWith(records: Uint8Array[], checkpoints: Uint8Array[]): Uint8Array {
  const d = decodeLogExport(m.exports[0][0]);
  if (!d.ok) throw new Error(d.message);
  return encodeLogExport(Object.assign({}, d.value, { records, checkpoints }));
}

describe('export de journal', () => {
  it('round-trips byte for byte', () => {
    const f = m.exports[1][0];
    const d = decodeLogExport(f);
    expect(d.ok).toBe(true);
    if (d.ok) expect(encodeLogExport(d.value)).toEqual(f);
    const b = decodeFundBundle(m.fundBytes);
    expect(b.ok && b.value.vouchers.length).toBe(10);
  });

  it('refuses every truncation and every extension of a file', () => {
    const f = m.exports[0][0];
    for (let i = 0; i < f.length; i++) {
      const d = decodeLogExport(f.subarray(0, i));
      expect(d.ok, 'cut at ' + i).toBe(false);
    }
    const longer = new Uint8Array(f.length + 1);
    longer.set(f);
    expect(decodeLogExport(longer).ok).toBe(false);
  });

  it('holds MAX_EXPORT_RECORDS records and refuses one more', () => {
    const one = new Uint8Array([0x80]);
    const recs = new Array<Uint8Array>(MAX_EXPORT_RECORDS).fill(one);
    expect(decodeLogExport(exportWith(recs, [])).ok).toBe(true);
    recs.push(one);
    const d = decodeLogExport(exportWith(recs, []));
    expect(!d.ok && d.message).toMatch(/plus de 1000000/);
  });

  it('holds MAX_EXPORT_CHECKPOINTS checkpoints of MAX_EXPORT_ENVELOPE_BYTES, refuses one more of each', () => {
    const env = new Uint8Array(MAX_EXPORT_ENVELOPE_BYTES);
    const cps = new Array<Uint8Array>(MAX_EXPORT_CHECKPOINTS).fill(env);
    expect(decodeLogExport(exportWith([], cps)).ok).toBe(true);
    expect(decodeLogExport(exportWith([], cps.concat([env]))).ok).toBe(false);
    expect(decodeLogExport(exportWith([], [new Uint8Array(MAX_EXPORT_ENVELOPE_BYTES + 1)])).ok).toBe(false);
  });

  it('names what it is not: another label, another version', () => {
    const d = decodeLogExport(m.fundBytes);
    expect(!d.ok && d.code).toBe('FICHIER_INCONNU');
    const v2 = cborEncode([LOG_EXPORT_LABEL, 2, 0, 0, 0, 0, 0, [], []]);
    const r = decodeLogExport(v2);
    expect(!r.ok && r.code).toBe('FICHIER_VERSION');
  });

  it('a fund bundle holds MAX_BUNDLE_ITEMS vouchers and refuses one more', () => {
    const b = decodeFundBundle(m.fundBytes);
    if (!b.ok) throw new Error(b.message);
    const item = new Uint8Array([1]);
    const mk = (n: number): Uint8Array =>
      cborEncode([
        'carnet-fonds',
        1,
        b.value.fundId,
        b.value.rootPublicKey,
        60,
        [],
        [],
        new Array<Uint8Array>(n).fill(item),
        [],
      ]);
    expect(decodeFundBundle(mk(MAX_BUNDLE_ITEMS)).ok).toBe(true);
    expect(decodeFundBundle(mk(MAX_BUNDLE_ITEMS + 1)).ok).toBe(false);
  });
});

describe('SEPA', () => {
  it('checks IBANs with mod 97 (ISO 13616)', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('FR14 2004 1010 0505 0001 3M02 606')).toBe(true);
    expect(ibanValid('FR15 2004 1010 0505 0001 3M02 606')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 23')).toBe(false);
    expect(ibanFromBban('FR', '20041010050500013M02606')).toBe('FR1420041010050500013M02606');
    // MAX_IBAN_CHARS and one more (a valid check on 35 characters is still refused).
    const max = ibanFromBban('MT', '1'.repeat(MAX_IBAN_CHARS - 4));
    expect(max.length).toBe(MAX_IBAN_CHARS);
    expect(ibanValid(max)).toBe(true);
    expect(ibanValid(ibanFromBban('MT', '1'.repeat(MAX_IBAN_CHARS - 3)))).toBe(false);
  });

  it('writes pain.001.001.03 whose summary reads back', () => {
    const xml = painXml({
      msgId: 'CARNET-2026-11-01',
      createdAt: 1796083200,
      executionDate: '2026-12-03',
      debtor: { name: 'Caisse', iban: 'FR1420041010050500013M02606', bic: 'PSSTFRPPLIL' },
      transfers: [
        {
          name: 'Épicerie & Co <test>',
          iban: 'GB82WEST12345698765432',
          bic: 'WESTGB22',
          amount: 123456,
          endToEndId: 'A-1',
          remittance: 'x',
        },
        {
          name: 'Ferme',
          iban: 'FR1420041010050500013M02606',
          bic: 'PSSTFRPP',
          amount: 5,
          endToEndId: 'A-2',
          remittance: 'y',
        },
      ],
    });
    expect(xml).toContain('<Nm>Epicerie   Co  test </Nm>');
    expect(xml).toContain('<InstdAmt Ccy="EUR">1234.56</InstdAmt>');
    expect(xml).toContain('<InstdAmt Ccy="EUR">0.05</InstdAmt>');
    const s = readPainSummary(xml);
    expect(s.ok && s.value).toEqual({ msgId: 'CARNET-2026-11-01', count: 2, total: 123461 });
    expect(amountText(100)).toBe('1.00');
    expect(readPainSummary('<xml/>').ok).toBe(false);
  });
});

describe('CSV et fichier des commerçants', () => {
  it('uses BOM, semicolons, decimal comma, CRLF, quotes when needed', () => {
    const t = csvText([
      ['a;b', 'c"d', csvMoney(-12345)],
      [1, csvMoney(5), ''],
    ]);
    expect(t).toBe('\ufeff"a;b";"c""d";-123,45\r\n1;0,05;\r\n');
  });

  it('reads the vendors file and refuses a bad BIC or a duplicate', () => {
    expect(parseVendors(m.vendorsJson).ok).toBe(true);
    const v = JSON.parse(m.vendorsJson) as { vendeurs: { bic: string; vendor_id: number }[] };
    v.vendeurs[0].bic = 'xx';
    expect(parseVendors(JSON.stringify(v)).ok).toBe(false);
    const w = JSON.parse(m.vendorsJson) as { vendeurs: unknown[] };
    w.vendeurs.push(w.vendeurs[0]);
    const r = parseVendors(JSON.stringify(w));
    expect(!r.ok && r.message).toMatch(/en double/);
    expect(parseVendors('{').ok).toBe(false);
  });
});
