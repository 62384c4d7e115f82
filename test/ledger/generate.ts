// A host-side generator of honest market months, following the protocol rules exactly (balanceFor,
// carriedForNewState, coveredShare, stateId, voucherId, encodeLogRecord, chainNext, signCheckpoint), and
// fault injectors (clone, rollback, tampered record, missing record, pending without commit, a revoked
// reader selling on). It stands in for the reader simulator until that exists; its exports are exactly
// what a volunteer's laptop carries (protocol/SPEC.md §14).

import { createHash } from 'node:crypto';
import { CborValue } from '../../protocol/src/cbor';
import { Ed25519Signer } from '../../protocol/src/crypto/types';
import { hostSigner, sha256Host } from '../../protocol/src/node/ed25519';
import { coveredShare, signBlocklist } from '../../protocol/src/structures/config';
import {
  keyId,
  ROLE_ISSUER,
  ROLE_OPERATOR,
  signKeyCertificate,
  signReaderCertificate,
} from '../../protocol/src/structures/keys';
import {
  chainGenesis,
  chainNext,
  decodeLogRecord,
  encodeLogRecord,
  ALERT_ROLLBACK,
  LOG_ALERT,
  LOG_BALANCE,
  LOG_DAY_CLOSE,
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_VOID,
  signCheckpoint,
  VOID_CARD_GONE,
} from '../../protocol/src/structures/log';
import {
  balanceFor,
  carriedForNewState,
  encodeState,
  SpendState,
  stateId,
  voucherId,
} from '../../protocol/src/structures/state';
import {
  allocationForMonth,
  CARRY_CAPPED,
  CARRY_NONE,
  RULE_FLAT,
  RULE_HOUSEHOLD,
  RULE_PARTS,
  signVoucher,
  Voucher,
} from '../../protocol/src/structures/voucher';
import { localDay, monthIndex, monthStartTime } from '../../protocol/src/time';
import {
  decodeLogExport,
  encodeFundBundle,
  encodeLogExport,
  FundBundle,
  LogExport,
} from '../../host/src/ledger/export';
import { ibanFromBban } from '../../host/src/ledger/sepa';
import { cborEncode } from '../../protocol/src/cbor';

export const GEN_MONTH = monthIndex(2026, 11);
export const GEN_UTC_OFFSET = 60;

export const CATEGORIES = [
  { id: 1, label: 'Fruits et légumes', rateBp: 10000 },
  { id: 2, label: 'Épicerie', rateBp: 8000 },
  { id: 3, label: 'Boulangerie', rateBp: 5000 },
];

/** Deterministic PRNG (mulberry32): same seed, same market. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedBytes(label: string, n: number): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update('carnet-ledger-gen/' + label)
      .digest()
      .subarray(0, n),
  );
}

export interface GenOptions {
  seed: number;
  readers: number;
  cards: number;
  days: number;
  /** Tap slots per reader per day. */
  taps: number;
  /** Export files per reader (split at day closes). */
  exportsPerReader?: number;
  clones?: number;
  rollbacks?: number;
  pendingNoCommit?: number;
  /** Revoke reader index 0 halfway through the month; it keeps selling (it never got the blocklist). */
  revokeFirstReader?: boolean;
  /** Sign day-close checkpoints (the bench turns this off: one checkpoint per export is enough). */
  dayCheckpoints?: boolean;
  /** Reader index 1's certificate ends on day 2 of the first month; it keeps selling. */
  shortCertificate?: boolean;
  /** Consecutive months simulated (default 1); faults happen in the first one. */
  months?: number;
  /** ALERT_ROLLBACK records a reader writes (a card shown in an older state than one it saw). */
  alerts?: number;
  /** Largest ticket amount in random sales, cents (default 4000). */
  maxAmount?: number;
}

interface SimReader {
  id: number;
  vendorId: number;
  signer: Ed25519Signer;
  cert: Uint8Array;
  seq: number;
  head: Uint8Array;
  records: Uint8Array[];
  heads: Uint8Array[];
  checkpoints: { seq: number; env: Uint8Array }[];
  dayFirst: number;
  dayCount: number;
  dayCovered: number;
  dayPer: Map<number, [number, number]>;
  /** seq of day-close records: export split points. */
  closes: number[];
}

interface SimCard {
  voucher: Voucher;
  env: Uint8Array;
  vid: Uint8Array;
  cur: { state: SpendState; body: Uint8Array } | null;
  history: { state: SpendState; body: Uint8Array }[];
  clone: boolean;
}

export interface Expected {
  /** Net covered cents by vendor: committed sales − committed refunds (all readers). */
  vendorNet: Map<number, number>;
  /** Net covered of records held (revoked reader after revocation), by vendor. */
  vendorHeld: Map<number, number>;
  /** Allocations available over all cards (allocation + carried in), cents. */
  available: number;
  /** Net debited from cards, cents. */
  debited: number;
  committedSales: number;
  forks: number;
  pendingNoCommit: number;
}

export interface Market {
  /** The first month simulated. */
  month: number;
  /** Figures of each month simulated, first month first (`expected` is the first month's). */
  expectedByMonth: Expected[];
  fund: FundBundle;
  fundBytes: Uint8Array;
  /** Export files per reader, in sequence order. */
  exports: Uint8Array[][];
  root: Ed25519Signer;
  operator: Ed25519Signer;
  operatorSeed: Uint8Array;
  readerIds: number[];
  vendorIds: number[];
  expected: Expected;
  /** A time after the month is closed and every log delivered. */
  after: number;
  revokedAt: number | null;
  vendorsJson: string;
  records: number;
  /** The readers' keys (to forge what a compromised reader could sign). */
  readerSigners: Ed25519Signer[];
}

function rec(r: SimReader, time: number, kind: number, data: CborValue[]): number {
  r.seq++;
  const bytes = encodeLogRecord({ seq: r.seq, time, kind, data });
  r.head = chainNext(r.head, bytes, sha256Host);
  r.records.push(bytes);
  r.heads.push(r.head);
  return r.seq;
}

function checkpoint(r: SimReader, fundId: Uint8Array, time: number, nonce: Uint8Array | null): void {
  r.checkpoints.push({
    seq: r.seq,
    env: signCheckpoint({ fundId, readerId: r.id, seq: r.seq, head: r.head, time, nonce }, r.signer),
  });
}

export function generateMarket(o: GenOptions): Market {
  const rand = rng(o.seed);
  const ri = (n: number): number => Math.floor(rand() * n);
  // Changes at each month of a multi-month market; the closures below read the current one.
  let month = GEN_MONTH;
  const off = GEN_UTC_OFFSET;
  const t0 = monthStartTime(month, off);
  const fundId = seedBytes('fund/' + o.seed, 8);
  const root = hostSigner(seedBytes('root/' + o.seed, 32));
  const issuer = hostSigner(seedBytes('issuer/' + o.seed, 32));
  const operatorSeed = seedBytes('operator/' + o.seed, 32);
  const operator = hostSigner(operatorSeed);
  const rootKid = keyId(root.publicKey, sha256Host);
  const keyCerts = [
    signKeyCertificate(
      {
        fundId,
        role: ROLE_ISSUER,
        publicKey: issuer.publicKey,
        notBefore: t0 - 400 * 86400,
        notAfter: t0 + 400 * 86400,
        signerKeyId: rootKid,
      },
      root,
    ),
    signKeyCertificate(
      {
        fundId,
        role: ROLE_OPERATOR,
        publicKey: operator.publicKey,
        notBefore: t0 - 400 * 86400,
        notAfter: t0 + 400 * 86400,
        signerKeyId: rootKid,
      },
      root,
    ),
  ];
  const readers: SimReader[] = [];
  for (let i = 0; i < o.readers; i++) {
    const id = 101 + i;
    const signer = hostSigner(seedBytes('reader/' + o.seed + '/' + id, 32));
    const vendorId = 10 + Math.floor(i / 2);
    const cert = signReaderCertificate(
      {
        fundId,
        readerId: id,
        publicKey: signer.publicKey,
        vendorId,
        notBefore: t0 - 30 * 86400,
        // Reader index 1 may get a certificate that ends on day 2 of the month (it keeps selling).
        notAfter: o.shortCertificate && i === 1 ? t0 + 2 * 86400 : t0 + 365 * 86400,
        limits: { perTapMax: 5000, perCardDayMax: 20000, readerDayMax: 100000000 },
        signerKeyId: rootKid,
      },
      root,
    );
    const head = chainGenesis(fundId, id, sha256Host);
    readers.push({
      id,
      vendorId,
      signer,
      cert,
      seq: 0,
      head,
      records: [],
      heads: [],
      checkpoints: [],
      dayFirst: 1,
      dayCount: 0,
      dayCovered: 0,
      dayPer: new Map(),
      closes: [],
    });
  }
  const issuerKid = keyId(issuer.publicKey, sha256Host);
  const cards: SimCard[] = [];
  const vouchers: Uint8Array[] = [];
  for (let i = 0; i < o.cards; i++) {
    const kind = [RULE_FLAT, RULE_HOUSEHOLD, RULE_PARTS][i % 3];
    const rule =
      kind === RULE_FLAT
        ? { kind, amount: 3000 + 500 * ri(10), perExtra: 0, count: 0 }
        : kind === RULE_HOUSEHOLD
          ? { kind, amount: 4000, perExtra: 1500, count: ri(5) }
          : { kind, amount: 1000, perExtra: 0, count: 2 + ri(6) };
    const carry =
      i % 4 === 3 ? { kind: CARRY_CAPPED, cap: 2000 + 100 * ri(30) } : { kind: CARRY_NONE, cap: 0 };
    const v: Voucher = {
      fundId,
      pseudonym: seedBytes('pseudo/' + o.seed + '/' + i, 8),
      cardUid: seedBytes('uid/' + o.seed + '/' + i, 7),
      rule,
      // Some vouchers started earlier: with carry-over they bring unspent months in.
      startMonth: month - (i % 5 === 4 ? 2 : 0),
      validityMonths: 12,
      carry,
      issuerKeyId: issuerKid,
      issuedAt: t0 - 90 * 86400,
      serial: 1 + (i % 2),
    };
    const env = signVoucher(v, issuer);
    vouchers.push(env);
    const card: SimCard = {
      voucher: v,
      env,
      vid: voucherId(env, sha256Host),
      cur: null,
      history: [],
      clone: false,
    };
    cards.push(card);
  }
  const newExpected = (): Expected => {
    let available = 0;
    for (const c of cards) available += balanceFor(c.voucher, c.cur ? c.cur.state : null, month);
    return {
      vendorNet: new Map(),
      vendorHeld: new Map(),
      available,
      debited: 0,
      committedSales: 0,
      forks: 0,
      pendingNoCommit: 0,
    };
  };
  let exp: Expected = newExpected();
  const expectedByMonth: Expected[] = [];
  const revokedAt = o.revokeFirstReader ? t0 + Math.floor(o.days / 2) * 86400 + 12 * 3600 : null;
  const addNet = (r: SimReader, time: number, delta: number): void => {
    exp.vendorNet.set(r.vendorId, (exp.vendorNet.get(r.vendorId) ?? 0) + delta);
    exp.debited += delta;
    const revoked = revokedAt !== null && r === readers[0] && time >= revokedAt;
    const expired = o.shortCertificate === true && r === readers[1] && time >= t0 + 2 * 86400;
    if (revoked || expired) {
      exp.vendorHeld.set(r.vendorId, (exp.vendorHeld.get(r.vendorId) ?? 0) + delta);
    }
  };
  const newState = (
    c: SimCard,
    r: SimReader,
    time: number,
    delta: number,
    logSeq: number,
  ): { state: SpendState; body: Uint8Array } => {
    const cur = c.cur ? c.cur.state : null;
    const state: SpendState = {
      pseudonym: c.voucher.pseudonym,
      voucherSerial: c.voucher.serial,
      month,
      cardSeq: cur ? cur.cardSeq + 1 : 1,
      carried: carriedForNewState(c.voucher, cur, month),
      spent: (cur && cur.month === month ? cur.spent : 0) + delta,
      lastAmount: delta,
      readerId: r.id,
      logSeq,
      time,
      prev: c.cur ? stateId(c.cur.body, sha256Host) : c.vid,
    };
    return { state, body: encodeState(state) };
  };
  /** One sale attempt; returns true when a state was committed. */
  const sale = (
    c: SimCard,
    r: SimReader,
    time: number,
    amountWanted: number,
    mode: 'commit' | 'void' | 'nocommit',
  ): boolean => {
    const cat = CATEGORIES[ri(CATEGORIES.length)];
    const bal = balanceFor(c.voucher, c.cur ? c.cur.state : null, month);
    let amount = amountWanted;
    let covered = coveredShare(amount, cat.rateBp);
    if (covered > bal) {
      // Spend what is left (the member pays the rest): the amount whose covered share fits.
      amount = Math.floor((bal * 10000) / cat.rateBp);
      covered = coveredShare(amount, cat.rateBp);
    }
    if (covered <= 0 || amount <= 0) {
      rec(r, time, LOG_BALANCE, [c.voucher.pseudonym, c.cur ? stateId(c.cur.body, sha256Host) : null]);
      return false;
    }
    const seq = r.seq + 1;
    const ns = newState(c, r, time, covered, seq);
    rec(r, time, LOG_SALE_PENDING, [cat.id, amount, covered, ns.body]);
    if (mode === 'void') {
      rec(r, time + 1, LOG_VOID, [seq, VOID_CARD_GONE]);
      return false;
    }
    if (mode === 'nocommit') {
      exp.pendingNoCommit++;
      return false;
    }
    rec(r, time + 1, LOG_SALE_COMMIT, [seq]);
    c.cur = ns;
    c.history.push(ns);
    // Only the last two states are ever needed (a rollback goes back one); keeps the bench's memory flat.
    if (c.history.length > 2) c.history.shift();
    r.dayCount++;
    r.dayCovered += covered;
    const p = r.dayPer.get(cat.id) ?? [0, 0];
    r.dayPer.set(cat.id, [p[0] + 1, p[1] + covered]);
    exp.committedSales += covered;
    addNet(r, time, covered);
    return true;
  };
  const refund = (c: SimCard, r: SimReader, time: number): void => {
    const cur = c.cur;
    // A refund cancels the card's last sale, at this reader, in this month (spent never goes below 0).
    if (!cur || cur.state.readerId !== r.id || cur.state.lastAmount <= 0 || cur.state.month !== month) return;
    const amount = cur.state.lastAmount;
    const seq = r.seq + 1;
    const ns = newState(c, r, time, -amount, seq);
    rec(r, time, LOG_REFUND_PENDING, [cur.state.logSeq, amount, ns.body]);
    rec(r, time + 1, LOG_REFUND_COMMIT, [seq]);
    c.cur = ns;
    c.history.push(ns);
    if (c.history.length > 2) c.history.shift();
    addNet(r, time, -amount);
  };
  // Faults are planned on fixed days so every run has them whatever the random taps do.
  const faultDay = Math.max(1, Math.floor(o.days / 3));
  let pendingLeft = o.pendingNoCommit ?? 0;
  const dayCps = o.dayCheckpoints !== false;
  const maxAmount = Math.max(300, o.maxAmount ?? 4000);
  const months = Math.max(1, o.months ?? 1);
  for (let dd = 0; dd < o.days * months; dd++) {
    const mi = Math.floor(dd / o.days);
    const d = dd - mi * o.days;
    if (d === 0 && mi > 0) {
      expectedByMonth.push(exp);
      month = GEN_MONTH + mi;
      exp = newExpected();
    }
    const dayStart = monthStartTime(month, off) + d * 86400;
    for (const r of readers) {
      r.dayFirst = r.seq + 1;
      r.dayCount = 0;
      r.dayCovered = 0;
      r.dayPer = new Map();
    }
    if (d === faultDay && mi === 0) {
      for (let k = 0; k < (o.clones ?? 0) && readers.length >= 2; k++) {
        // A clone: a copy of card k carrying its current state spends at another reader (SPEC §13).
        const orig = cards[k];
        const copy: SimCard = {
          voucher: orig.voucher,
          env: orig.env,
          vid: orig.vid,
          cur: orig.cur,
          history: orig.history.slice(),
          clone: true,
        };
        const t = dayStart + 8 * 3600 + k * 10;
        sale(orig, readers[0], t, 1500, 'commit');
        sale(copy, readers[1], t + 5, 1500, 'commit');
        // The copy then spends all it believes is left: overspend.
        for (let j = 0; j < 5; j++) sale(copy, readers[1], t + 6 + j * 2, 4000, 'commit');
        // Both cards stay in use: the original is debited again after the copy (the mark of a clone, as
        // opposed to a rollback, where the older branch stops).
        sale(orig, readers[0], t + 30, 300, 'commit');
        exp.forks++;
      }
      for (let k = 0; k < (o.rollbacks ?? 0) && readers.length >= 1; k++) {
        // A rollback: card (clones + k) goes back to an older state after being debited, then spends.
        const c = cards[(o.clones ?? 0) + k];
        const t = dayStart + 8 * 3600 + 1000 + k * 10;
        sale(c, readers[0], t, 1200, 'commit');
        sale(c, readers[0], t + 3, 1200, 'commit');
        const h = c.history;
        c.cur = h.length >= 2 ? h[h.length - 2] : null;
        sale(c, readers[readers.length - 1], t + 6, 1200, 'commit');
        exp.forks++;
      }
    }
    if (d === faultDay && mi === 0) {
      for (let k = 0; k < (o.alerts ?? 0); k++) {
        const c = cards[k % cards.length];
        const ev = c.history.map((h) => h.body);
        rec(readers[0], dayStart + 7 * 3600 + k, LOG_ALERT, [ALERT_ROLLBACK, c.voucher.pseudonym, ev]);
      }
    }
    for (let k = 0; k < o.taps; k++) {
      for (let ridx = 0; ridx < readers.length; ridx++) {
        const r = readers[ridx];
        const time = dayStart + 9 * 3600 + k * 37 + ridx * 3;
        // Cards the faults use are left alone until the fault day, so the faults always happen.
        const spared =
          d <= faultDay && mi === 0 ? Math.min(cards.length - 1, (o.clones ?? 0) + (o.rollbacks ?? 0)) : 0;
        const c = cards[spared + ri(cards.length - spared)];
        const x = rand();
        if (pendingLeft > 0 && d === faultDay && mi === 0 && k === 0) {
          pendingLeft--;
          // A card that still has money, so the pending sale is a real one.
          let pc = c;
          for (const cand of cards)
            if (balanceFor(cand.voucher, cand.cur ? cand.cur.state : null, month) >= 800) pc = cand;
          sale(pc, r, time, 800, 'nocommit');
        } else if (x < 0.72) sale(c, r, time, 200 + ri(maxAmount - 200), 'commit');
        else if (x < 0.8) sale(c, r, time, 200 + ri(maxAmount - 200), 'void');
        else if (x < 0.88) refund(c, r, time);
        else rec(r, time, LOG_BALANCE, [c.voucher.pseudonym, c.cur ? stateId(c.cur.body, sha256Host) : null]);
      }
    }
    for (const r of readers) {
      const closeT = dayStart + 20 * 3600;
      const per: CborValue[] = [];
      for (const id of [...r.dayPer.keys()].sort((a, b) => a - b)) {
        const p = r.dayPer.get(id) as [number, number];
        per.push([id, p[0], p[1]]);
      }
      rec(r, closeT, LOG_DAY_CLOSE, [localDay(closeT, off), r.dayCount, r.dayCovered, r.dayFirst, per]);
      if (dayCps) checkpoint(r, fundId, closeT + 1, null);
      r.closes.push(r.seq);
    }
  }
  // Delivery after the month: a live checkpoint (host nonce) past the month end closes each log.
  expectedByMonth.push(exp);
  const after = monthStartTime(GEN_MONTH + months, off) + 2 * 3600;
  for (const r of readers) checkpoint(r, fundId, after, seedBytes('nonce/' + o.seed + '/' + r.id, 16));
  const blocklists: Uint8Array[] = [];
  if (revokedAt !== null) {
    blocklists.push(
      signBlocklist(
        {
          fundId,
          version: 1,
          issuedAt: revokedAt,
          pseudonyms: [],
          readerIds: [readers[0].id],
          issuerKeyIds: [],
          signerKeyId: keyId(operator.publicKey, sha256Host),
        },
        operator,
      ),
    );
  }
  const fund: FundBundle = {
    fundId,
    rootPublicKey: root.publicKey,
    utcOffsetMin: off,
    keyCertificates: keyCerts,
    readerCertificates: readers.map((r) => r.cert),
    vouchers,
    blocklists,
  };
  const exports: Uint8Array[][] = [];
  let records = 0;
  for (const r of readers) {
    records += r.records.length;
    const parts = Math.max(1, Math.min(o.exportsPerReader ?? 1, r.closes.length));
    const ends: number[] = [];
    for (let p = 1; p <= parts; p++)
      ends.push(p === parts ? r.seq : r.closes[Math.floor((p * r.closes.length) / parts) - 1]);
    const files: Uint8Array[] = [];
    let from = 1;
    for (const end of ends) {
      if (end < from) continue;
      const e: LogExport = {
        fundId,
        readerId: r.id,
        readerCertificate: r.cert,
        fromSeq: from,
        prevHead: from === 1 ? chainGenesis(fundId, r.id, sha256Host) : r.heads[from - 2],
        records: r.records.slice(from - 1, end),
        checkpoints: r.checkpoints.filter((c) => c.seq >= from && c.seq <= end).map((c) => c.env),
      };
      if (e.checkpoints.length === 0) {
        // No day checkpoint in this part (bench mode): the reader signs one on export.
        const cp = signCheckpoint(
          { fundId, readerId: r.id, seq: end, head: r.heads[end - 1], time: after, nonce: null },
          r.signer,
        );
        e.checkpoints = [cp];
      }
      files.push(encodeLogExport(e));
      from = end + 1;
    }
    exports.push(files);
  }
  const vendorIds = [...new Set(readers.map((r) => r.vendorId))].sort((a, b) => a - b);
  const vendorsJson = JSON.stringify(
    {
      caisse: {
        nom: 'Caisse commune de test',
        iban: ibanFromBban('FR', '20041010050500013M02606'),
        bic: 'PSSTFRPPLIL',
      },
      categories: Object.fromEntries(CATEGORIES.map((c) => [String(c.id), c.label])),
      vendeurs: vendorIds.map((v) => ({
        vendor_id: v,
        nom: 'Commerce ' + v,
        iban: ibanFromBban('FR', '3000600001' + String(v).padStart(11, '0') + '89'),
        bic: 'AGRIFRPP',
      })),
    },
    null,
    2,
  );
  return {
    month: GEN_MONTH,
    expectedByMonth,
    fund,
    fundBytes: encodeFundBundle(fund),
    exports,
    root,
    operator,
    operatorSeed,
    readerIds: readers.map((r) => r.id),
    vendorIds,
    expected: expectedByMonth[0],
    after,
    revokedAt,
    vendorsJson,
    records,
    readerSigners: readers.map((r) => r.signer),
  };
}

/**
 * What a compromised reader can do: re-sign its log with one record changed (a balance inquiry's time
 * moved by a second), as one export from seq 1 with a fresh checkpoint. Every byte verifies on its own;
 * only the comparison with what the ledger already holds shows two histories.
 */
export function rewriteLog(m: Market, readerIndex: number): Uint8Array {
  const records: Uint8Array[] = [];
  let first: LogExport | null = null;
  for (const f of m.exports[readerIndex]) {
    const d = decodeLogExport(f);
    if (!d.ok) throw new Error(d.message);
    if (!first) first = d.value;
    for (const r of d.value.records) records.push(r);
  }
  if (!first) throw new Error('no export');
  const e: LogExport = first;
  let target = -1;
  for (let i = Math.floor(records.length / 2); i < records.length && target < 0; i++) {
    const r = decodeLogRecord(records[i]);
    if (r.ok && r.value.kind === LOG_BALANCE) target = i;
  }
  if (target < 0) throw new Error('no balance record to rewrite');
  const r = decodeLogRecord(records[target]);
  if (!r.ok) throw new Error(r.message);
  records[target] = encodeLogRecord({
    seq: r.value.seq,
    time: r.value.time + 1,
    kind: r.value.kind,
    data: r.value.data,
  });
  let head = chainGenesis(e.fundId, e.readerId, sha256Host);
  for (const rec of records) head = chainNext(head, rec, sha256Host);
  const cp = signCheckpoint(
    { fundId: e.fundId, readerId: e.readerId, seq: records.length, head, time: m.after + 60, nonce: null },
    m.readerSigners[readerIndex],
  );
  return encodeLogExport({
    fundId: e.fundId,
    readerId: e.readerId,
    readerCertificate: e.readerCertificate,
    fromSeq: 1,
    prevHead: e.prevHead,
    records,
    checkpoints: [cp],
  });
}

// ------------------------------------------------------------------------------ file-level injectors

/** Flips one bit of record `index` of an export file, leaving the checkpoints as the reader signed them. */
export function tamperRecord(file: Uint8Array, index: number, bit: number): Uint8Array {
  const d = decodeLogExport(file);
  if (!d.ok) throw new Error(d.message);
  const e = d.value;
  const i = index % e.records.length;
  const r = new Uint8Array(e.records[i]);
  const b = bit % (r.length * 8);
  r[b >> 3] ^= 1 << (b & 7);
  e.records = e.records.slice();
  e.records[i] = r;
  return encodeLogExport(e);
}

/** Removes record `index` from an export file (the rest unchanged). */
export function dropRecord(file: Uint8Array, index: number): Uint8Array {
  const d = decodeLogExport(file);
  if (!d.ok) throw new Error(d.message);
  const e = d.value;
  const i = 1 + (index % Math.max(1, e.records.length - 2));
  e.records = e.records.slice(0, i).concat(e.records.slice(i + 1));
  return encodeLogExport(e);
}

/** The same export re-labelled with another fund id (what a file from a neighbouring caisse looks like). */
export function otherFund(file: Uint8Array): Uint8Array {
  const d = decodeLogExport(file);
  if (!d.ok) throw new Error(d.message);
  const e = d.value;
  e.fundId = seedBytes('elsewhere', 8);
  return encodeLogExport(e);
}

/** Raw CBOR helper for tests that build odd files. */
export const encodeRaw = cborEncode;

/** Checks a generator invariant the tests rely on: every card's available allocation this month. */
export function allocationOf(v: Voucher, month: number): number {
  return allocationForMonth(v, month);
}
