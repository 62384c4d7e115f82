// Unit tests of the v1 structures: round trips, money rules (allocation, carry-over, covered share),
// time conventions and the card layout. Malformed and hostile inputs are in the golden vectors and the
// fuzz suite.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCrypto, sha256Host } from '../node/ed25519';
import * as F from '../../scripts/vector-fixtures';
import {
  openVoucher,
  signVoucher,
  monthlyAllocation,
  allocationForMonth,
  Voucher,
  CARRY_CAPPED,
  RULE_HOUSEHOLD,
  RULE_PARTS,
} from './voucher';
import {
  openState,
  signState,
  stateId,
  voucherId,
  balanceFor,
  carriedInto,
  carriedFromStart,
  carriedForNewState,
  encodeState,
  SpendState,
} from './state';
import {
  openConfig,
  signConfig,
  coveredShare,
  configWithinCertificate,
  openBlocklist,
  signBlocklist,
  sortedBytesContains,
} from './config';
import {
  openKeyCertificate,
  signKeyCertificate,
  openReaderCertificate,
  signReaderCertificate,
  openDirectory,
  signDirectory,
  findDirectoryEntry,
} from './keys';
import {
  chainGenesis,
  chainNext,
  encodeLogRecord,
  decodeLogRecord,
  verifyLogRun,
  LOG_SALE_PENDING,
  LOG_SALE_COMMIT,
} from './log';
import {
  NTAG215_LAYOUT,
  NTAG216_LAYOUT,
  layoutRegions,
  layoutTable,
  userMemoryBytes,
  PAGE_BYTES,
  FIRST_USER_PAGE,
  crc16,
  encodeCardHeader,
  decodeCardHeader,
  CHIP_NTAG215,
  pagesToWrite,
} from '../card';
import { MAX_SLOT_BYTES, MAX_VOUCHER_BYTES } from '../limits';
import {
  civilFromDays,
  daysFromCivil,
  monthOfTime,
  monthIndex,
  monthLabel,
  parseMonthLabel,
  monthStartTime,
  localDay,
} from '../time';
import { utf8Encode } from '../bytes';

function strip<T extends object>(o: T): T {
  return JSON.parse(
    JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)),
  );
}

describe('structures round-trip through sign → open', () => {
  it('voucher (three allocation rules)', () => {
    for (const v of [F.voucherFlat, F.voucherHousehold, F.voucherParts]) {
      const o = openVoucher(signVoucher(v, F.issuer));
      expect(o.ok).toBe(true);
      if (o.ok) expect(strip(o.value.value)).toEqual(strip(v));
    }
  });
  it('state, config, blocklist, certificates, directory', () => {
    const st = F.sampleState(new Uint8Array(16));
    const s = openState(signState(st, F.reader1));
    expect(s.ok && strip(s.value.value)).toEqual(strip(st));
    const c = openConfig(signConfig(F.config, F.operator));
    expect(c.ok && strip(c.value.value)).toEqual(strip(F.config));
    const b = openBlocklist(signBlocklist(F.blocklist, F.operator));
    expect(b.ok && strip(b.value.value)).toEqual(strip(F.blocklist));
    const k = openKeyCertificate(signKeyCertificate(F.issuerCert, F.root));
    expect(k.ok && strip(k.value.value)).toEqual(strip(F.issuerCert));
    const r = openReaderCertificate(signReaderCertificate(F.reader1Cert, F.root));
    expect(r.ok && strip(r.value.value)).toEqual(strip(F.reader1Cert));
    const d = openDirectory(signDirectory(F.directory, F.root));
    expect(d.ok && strip(d.value.value)).toEqual(strip(F.directory));
    if (d.ok) {
      expect(findDirectoryEntry(d.value.value, 102)?.vendorId).toBe(8);
      expect(findDirectoryEntry(d.value.value, 103)).toBeNull();
    }
  });
  it('blocklist membership by binary search', () => {
    for (const p of F.blocklist.pseudonyms) expect(sortedBytesContains(F.blocklist.pseudonyms, p)).toBe(true);
    expect(sortedBytesContains(F.blocklist.pseudonyms, F.pseudonym)).toBe(false);
  });
});

describe('money rules', () => {
  it('monthly allocation of each rule (the three funds of the brief)', () => {
    expect(monthlyAllocation(F.voucherFlat.rule)).toBe(6500); // 65 € flat
    expect(monthlyAllocation({ kind: RULE_HOUSEHOLD, amount: 15000, perExtra: 7500, count: 2 })).toBe(30000); // 150 + 2 × 75
    expect(monthlyAllocation({ kind: RULE_PARTS, amount: 2500, perExtra: 0, count: 3 })).toBe(7500); // 3 parts of 25 €
  });
  it('allocation is zero outside the validity months', () => {
    expect(allocationForMonth(F.voucherFlat, F.NOV_2026 - 1)).toBe(0);
    expect(allocationForMonth(F.voucherFlat, F.NOV_2026)).toBe(6500);
    expect(allocationForMonth(F.voucherFlat, F.NOV_2026 + 11)).toBe(6500);
    expect(allocationForMonth(F.voucherFlat, F.NOV_2026 + 12)).toBe(0);
  });
  it('covered share rounds down to the cent (the member pays the rest)', () => {
    expect(coveredShare(1999, 5000)).toBe(999);
    expect(coveredShare(1999, 10000)).toBe(1999);
    expect(coveredShare(1, 3333)).toBe(0);
    expect(coveredShare(100000000, 10000)).toBe(100000000);
  });
  const state = (month: number, carried: number, spent: number): SpendState => ({
    ...F.sampleState(new Uint8Array(16)),
    month,
    carried,
    spent,
  });
  it('no carry-over: a new month starts from the allocation', () => {
    const s = state(F.NOV_2026, 0, 1000);
    expect(carriedInto(F.voucherFlat, s, F.NOV_2026 + 1)).toBe(0);
    expect(balanceFor(F.voucherFlat, s, F.NOV_2026)).toBe(5500);
    expect(balanceFor(F.voucherFlat, s, F.NOV_2026 + 1)).toBe(6500);
  });
  it('capped carry-over across skipped months', () => {
    const v: Voucher = F.voucherHousehold; // 375 €/month, cap 50 €
    const s = state(F.NOV_2026, 0, 36000); // 15 € left in November
    expect(carriedInto(v, s, F.NOV_2026 + 1)).toBe(1500);
    expect(carriedInto(v, s, F.NOV_2026 + 3)).toBe(5000); // capped
    expect(balanceFor(v, s, F.NOV_2026 + 1)).toBe(37500 + 1500);
    expect(carriedFromStart(v, F.NOV_2026)).toBe(0);
    expect(carriedFromStart(v, F.NOV_2026 + 2)).toBe(5000);
    expect(balanceFor(v, null, F.NOV_2026 + 2)).toBe(37500 + 5000);
    expect(carriedForNewState(v, s, F.NOV_2026)).toBe(0);
    const over = state(F.NOV_2026, 0, 37500);
    expect(carriedInto({ ...v, carry: { kind: CARRY_CAPPED, cap: 100 } }, over, F.NOV_2026 + 1)).toBe(0);
  });
  it('a version-2 credit adds to its month only, then follows the carry-over rule', () => {
    const flat = { ...F.voucherFlat, credit: { month: F.NOV_2026 + 1, amount: 4210 } };
    expect(allocationForMonth(flat, F.NOV_2026)).toBe(6500);
    expect(allocationForMonth(flat, F.NOV_2026 + 1)).toBe(6500 + 4210);
    expect(allocationForMonth(flat, F.NOV_2026 + 2)).toBe(6500);
    const capped = { ...F.voucherHousehold, credit: { month: F.NOV_2026, amount: 1000 } };
    expect(carriedFromStart(capped, F.NOV_2026 + 1)).toBe(5000); // 375 € + 10 € unspent, capped at 50 €
    const o = openVoucher(signVoucher(flat, F.issuer));
    expect(o.ok && o.value.value.credit).toEqual({ month: F.NOV_2026 + 1, amount: 4210 });
    const v1 = openVoucher(signVoucher(F.voucherFlat, F.issuer));
    expect(v1.ok && 'credit' in v1.value.value).toBe(false);
  });
  it('a state from a later month gives no balance for an earlier one', () => {
    expect(balanceFor(F.voucherFlat, state(F.NOV_2026 + 1, 0, 0), F.NOV_2026)).toBe(0);
  });
});

describe('state and voucher ids', () => {
  it('state id is SHA-256 of the body, 16 bytes; the first state links to the voucher id', () => {
    const env = signVoucher(F.voucherFlat, F.issuer);
    const vid = voucherId(env, sha256Host);
    expect(vid.length).toBe(16);
    const body = encodeState(F.sampleState(vid));
    expect(Buffer.from(stateId(body, sha256Host))).toEqual(Buffer.from(sha256Host(body).subarray(0, 16)));
  });
});

describe('log chain', () => {
  it('chains records and stops at a gap, keeping what verified', () => {
    const g = chainGenesis(F.fundId, 101, sha256Host);
    const r1 = encodeLogRecord({
      seq: 1,
      time: F.T0,
      kind: LOG_SALE_PENDING,
      data: [1, 100, 100, new Uint8Array(10)],
    });
    const r2 = encodeLogRecord({ seq: 2, time: F.T0, kind: LOG_SALE_COMMIT, data: [1] });
    const r4 = encodeLogRecord({ seq: 4, time: F.T0, kind: LOG_SALE_COMMIT, data: [1] });
    const ok = verifyLogRun(g, 1, [r1, r2], sha256Host);
    expect(ok.ok).toBe(true);
    expect(Buffer.from(ok.value.head)).toEqual(
      Buffer.from(chainNext(chainNext(g, r1, sha256Host), r2, sha256Host)),
    );
    const gap = verifyLogRun(g, 1, [r1, r2, r4], sha256Host);
    expect(gap.ok).toBe(false);
    expect(gap.code).toBe('LOG_GAP');
    expect(gap.value.lastSeq).toBe(2);
    expect(Buffer.from(gap.value.head)).toEqual(Buffer.from(ok.value.head));
    expect(decodeLogRecord(r2).ok).toBe(true);
  });
  it('genesis differs per reader and per fund', () => {
    const a = chainGenesis(F.fundId, 101, sha256Host);
    expect(Buffer.from(a)).not.toEqual(Buffer.from(chainGenesis(F.fundId, 102, sha256Host)));
    expect(Buffer.from(a)).not.toEqual(Buffer.from(chainGenesis(F.otherFundId, 101, sha256Host)));
    expect(Buffer.from(chainGenesis(F.fundId, 4294967295, sha256Host))).not.toEqual(Buffer.from(a));
  });
});

describe('reader configuration limits', () => {
  it('may lower but not raise the certificate limits', () => {
    expect(configWithinCertificate(F.config, F.reader1Cert.limits)).toBe(true);
    expect(configWithinCertificate({ ...F.config, perTapMax: 5001 }, F.reader1Cert.limits)).toBe(false);
  });
});

describe('time conventions', () => {
  it('civil dates round-trip for every day from 1970 to 2106', () => {
    for (let d = 0; d < 50000; d += 7) {
      const c = civilFromDays(d);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(d);
    }
    expect(civilFromDays(daysFromCivil(2028, 2, 29))).toEqual({ year: 2028, month: 2, day: 29 });
  });
  it('month index and local offsets', () => {
    expect(monthIndex(1970, 1)).toBe(0);
    expect(monthIndex(2026, 11)).toBe(682);
    expect(monthOfTime(F.T0, 0)).toBe(682);
    expect(monthOfTime(F.T0 - 1, 0)).toBe(681);
    expect(monthOfTime(F.T0 - 1, 60)).toBe(682); // 00:59:59 local on 1 November at UTC+1
    expect(monthLabel(682)).toBe('2026-11');
    expect(parseMonthLabel('2026-11')).toBe(682);
    expect(parseMonthLabel('2026-13')).toBeNull();
    expect(parseMonthLabel('26-11')).toBeNull();
    expect(monthStartTime(682, 60)).toBe(F.T0 - 3600);
    expect(localDay(F.T0, 0)).toBe(20758);
    const d = new Date(Date.UTC(2030, 5, 15, 23, 30));
    expect(monthOfTime(d.getTime() / 1000, 60)).toBe(monthIndex(2030, 6));
  });
});

describe('card layout (SPEC.md §12.2)', () => {
  it('voucher and two slots fit an NTAG215; the table printed in SPEC.md is the layout', () => {
    const spec = readFileSync(join(__dirname, '..', '..', 'SPEC.md'), 'utf8');
    for (const l of [NTAG215_LAYOUT, NTAG216_LAYOUT]) {
      const regions = layoutRegions(l);
      let page = FIRST_USER_PAGE;
      for (const r of regions) {
        expect(r.firstPage).toBe(page); // contiguous, no overlap
        page += r.pages;
      }
      expect(page - 1).toBeLessThanOrEqual(l.lastUserPage);
      const table = layoutTable(l);
      console.log(table);
      expect(spec).toContain(table);
    }
    expect(userMemoryBytes(NTAG215_LAYOUT)).toBe(504); // NXP datasheet: NTAG215 has 504 user bytes
    expect(userMemoryBytes(NTAG216_LAYOUT)).toBe(888);
    expect(NTAG215_LAYOUT.slotB.firstPage + NTAG215_LAYOUT.slotB.pages - 1).toBe(0x81);
    expect(NTAG215_LAYOUT.voucher.pages * PAGE_BYTES).toBe(MAX_VOUCHER_BYTES);
    expect(NTAG215_LAYOUT.slotA.pages * PAGE_BYTES).toBe(MAX_SLOT_BYTES);
  });
  it('the largest v1 voucher and state fit their regions', () => {
    const big: Voucher = {
      ...F.voucherHousehold,
      rule: { kind: RULE_HOUSEHOLD, amount: 50000, perExtra: 3000, count: 15 },
      startMonth: 1631 - 24,
      validityMonths: 24,
      carry: { kind: CARRY_CAPPED, cap: 100000 },
      issuedAt: 4294967295,
      serial: 4294967295,
      credit: { month: 1631, amount: 200000 },
    };
    const v = signVoucher(big, F.issuer);
    const s = signState(
      {
        ...F.sampleState(new Uint8Array(16)),
        month: 1631,
        cardSeq: 4294967295,
        carried: 100000000,
        spent: 100000000,
        lastAmount: -100000000,
        readerId: 4294967295,
        logSeq: 4294967295,
        time: 4294967295,
      },
      F.reader1,
    );
    console.log(
      `largest voucher ${v.length} B (region ${MAX_VOUCHER_BYTES}), largest state ${s.length} B (region ${MAX_SLOT_BYTES})`,
    );
    expect(v.length).toBeLessThanOrEqual(MAX_VOUCHER_BYTES);
    expect(s.length).toBeLessThanOrEqual(MAX_SLOT_BYTES);
    expect(pagesToWrite(s.length)).toBeLessThanOrEqual(NTAG215_LAYOUT.slotA.pages);
  });
  it('header CRC-16/CCITT-FALSE and decoding', () => {
    expect(crc16(utf8Encode('123456789'), 0, 9)).toBe(0x29b1);
    const h = decodeCardHeader(encodeCardHeader(CHIP_NTAG215, 1));
    expect(h.ok && h.value).toEqual({ version: 1, chip: CHIP_NTAG215, flags: 1 });
    expect(decodeCardHeader(new Uint8Array(3)).ok).toBe(false);
  });
  it('verifies against the host crypto', () => {
    expect(
      hostCrypto.verify(F.issuer.publicKey, new Uint8Array([1]), F.issuer.sign(new Uint8Array([1]))),
    ).toBe(true);
  });
});
