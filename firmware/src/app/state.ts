// The reader's persistent state (issue 4 §4) and the "run state" folded from its log.
//
// Signed objects (certificate, configuration, directory, blocklist, key certificates) are kept as their
// envelopes in blobs (blob.ts) and re-opened at boot. The run state (day totals, per-card day totals,
// last-seen table, last sale, pending sale, acknowledged seq) is a pure fold of the log records:
// `applyRecord` is used live and, at boot, to replay the records written after the last saved copy,
// so a power cut between a log write and the run-state save loses nothing.

import { CborValue, cborDecode, cborEncode } from '../../../protocol/src/cbor';
import {
  LOG_ALERT,
  LOG_CONFIG,
  LOG_DAY_CLOSE,
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_VOID,
  CHANGE_LOG_ACK,
  LogRecord,
} from '../../../protocol/src/structures/log';
import { decodeStateBody } from '../../../protocol/src/structures/state';
import { localDay } from '../../../protocol/src/time';

/** Last-seen table size: the last 32 cards that paid here keep their newest state (rollback check, SPEC
 * §13). Each entry holds a state body (~100 B): 32 entries ≈ 3.5 KB of flash and RAM on a Pico. */
export const SEEN_MAX = 32;
/** Per-card day totals kept: 64 cards (~4 JsVars each, ~260 of a Pico's 5,100). A 65th distinct card in one
 * day at one stall evicts the smallest total, the entry whose loss lets the least money past the cap. */
export const DAY_CARDS_MAX = 64;

export interface SeenEntry {
  pseudonym: Uint8Array;
  cardSeq: number;
  body: Uint8Array;
}

export interface CategoryTotal {
  id: number;
  count: number;
  covered: number;
}

export interface PendingOp {
  seq: number;
  kind: number;
  category: number;
  amount: number;
  covered: number;
  /** Body of the state being written; its envelope is re-signed identically (Ed25519 is deterministic). */
  body: Uint8Array;
  /** Refunds: the sale being cancelled. */
  saleSeq: number;
}

export interface LastSale {
  seq: number;
  pendingSeq: number;
  kind: number;
  pseudonym: Uint8Array;
  category: number;
  amount: number;
  covered: number;
  balanceAfter: number;
  body: Uint8Array;
  time: number;
}

export interface RunState {
  /** Last log seq folded into this state. */
  appliedSeq: number;
  ackedSeq: number;
  lastSync: number;
  /** Local day of the totals below (-1: none yet). */
  day: number;
  /** Z report totals since the last day close (or the day change). */
  zCount: number;
  zCovered: number;
  zFirstSeq: number;
  zPerCategory: CategoryTotal[];
  /** Limits: covered totals of the current local day. */
  readerDayCovered: number;
  cardDay: { pseudonym: Uint8Array; covered: number }[];
  seen: SeenEntry[];
  pending: PendingOp | null;
  lastSale: LastSale | null;
  /** Balance shown on the last receipt (not in the log; only for reprints). */
  lastBalance: number;
}

export function emptyRun(): RunState {
  return {
    appliedSeq: 0,
    ackedSeq: 0,
    lastSync: 0,
    day: -1,
    zCount: 0,
    zCovered: 0,
    zFirstSeq: 0,
    zPerCategory: [],
    readerDayCovered: 0,
    cardDay: [],
    seen: [],
    pending: null,
    lastSale: null,
    lastBalance: 0,
  };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function cardDayCovered(run: RunState, pseudonym: Uint8Array): number {
  for (let i = 0; i < run.cardDay.length; i++) {
    if (sameBytes(run.cardDay[i].pseudonym, pseudonym)) return run.cardDay[i].covered;
  }
  return 0;
}

export function findSeen(run: RunState, pseudonym: Uint8Array): SeenEntry | null {
  for (let i = 0; i < run.seen.length; i++)
    if (sameBytes(run.seen[i].pseudonym, pseudonym)) return run.seen[i];
  return null;
}

function noteSeen(run: RunState, body: Uint8Array): void {
  const st = decodeStateBody(body);
  if (!st.ok) return;
  const e = findSeen(run, st.value.pseudonym);
  if (e !== null) {
    if (st.value.cardSeq >= e.cardSeq) {
      e.cardSeq = st.value.cardSeq;
      e.body = body;
    }
    // Move to the end: the table evicts the card not seen for the longest time.
    run.seen.splice(run.seen.indexOf(e), 1);
    run.seen.push(e);
    return;
  }
  run.seen.push({ pseudonym: st.value.pseudonym, cardSeq: st.value.cardSeq, body: body });
  if (run.seen.length > SEEN_MAX) run.seen.shift();
}

function rollDay(run: RunState, day: number, seq: number): void {
  if (run.day === day) return;
  run.day = day;
  run.readerDayCovered = 0;
  run.cardDay = [];
  // A new day also starts a new Z period when the previous one was not closed.
  run.zCount = 0;
  run.zCovered = 0;
  run.zFirstSeq = seq;
  run.zPerCategory = [];
  // "Cancel the last sale" is a correction within the Z period: once the period is over its report can
  // no longer take the refund back (DAY_CLOSE counts are unsigned, SPEC §9.1), so yesterday's sale is
  // refunded at the desk, not here.
  run.lastSale = null;
}

function addCardDay(run: RunState, pseudonym: Uint8Array, delta: number): void {
  for (let i = 0; i < run.cardDay.length; i++) {
    if (sameBytes(run.cardDay[i].pseudonym, pseudonym)) {
      run.cardDay[i].covered += delta;
      if (run.cardDay[i].covered < 0) run.cardDay[i].covered = 0;
      return;
    }
  }
  if (delta <= 0) return;
  run.cardDay.push({ pseudonym: pseudonym, covered: delta });
  if (run.cardDay.length > DAY_CARDS_MAX) {
    let k = 0;
    for (let i = 1; i < run.cardDay.length; i++) if (run.cardDay[i].covered < run.cardDay[k].covered) k = i;
    run.cardDay.splice(k, 1);
  }
}

function addCategory(run: RunState, id: number, count: number, covered: number): void {
  for (let i = 0; i < run.zPerCategory.length; i++) {
    if (run.zPerCategory[i].id === id) {
      run.zPerCategory[i].count += count;
      run.zPerCategory[i].covered += covered;
      return;
    }
  }
  run.zPerCategory.push({ id: id, count: count, covered: covered });
  run.zPerCategory.sort(function (a: CategoryTotal, b: CategoryTotal) {
    return a.id - b.id;
  });
}

/** Folds one log record into the run state. `utcOffsetMin` from the configuration (§7). */
export function applyRecord(run: RunState, r: LogRecord, utcOffsetMin: number): void {
  run.appliedSeq = r.seq;
  const d = r.data;
  if (r.kind === LOG_SALE_PENDING) {
    run.pending = {
      seq: r.seq,
      kind: LOG_SALE_PENDING,
      category: d[0] as number,
      amount: d[1] as number,
      covered: d[2] as number,
      body: d[3] as Uint8Array,
      saleSeq: 0,
    };
  } else if (r.kind === LOG_REFUND_PENDING) {
    run.pending = {
      seq: r.seq,
      kind: LOG_REFUND_PENDING,
      category: run.lastSale === null ? 0 : run.lastSale.category,
      amount: d[1] as number,
      covered: d[1] as number,
      body: d[2] as Uint8Array,
      saleSeq: d[0] as number,
    };
  } else if (r.kind === LOG_SALE_COMMIT || r.kind === LOG_REFUND_COMMIT) {
    const p = run.pending;
    if (p === null || p.seq !== (d[0] as number)) return;
    const st = decodeStateBody(p.body);
    if (!st.ok) return;
    const s = st.value;
    rollDay(run, localDay(r.time, utcOffsetMin), r.seq);
    if (run.zFirstSeq === 0) run.zFirstSeq = p.seq;
    if (r.kind === LOG_SALE_COMMIT) {
      run.readerDayCovered += p.covered;
      addCardDay(run, s.pseudonym, p.covered);
      run.zCount++;
      run.zCovered += p.covered;
      addCategory(run, p.category, 1, p.covered);
      run.lastSale = {
        seq: r.seq,
        pendingSeq: p.seq,
        kind: LOG_SALE_PENDING,
        pseudonym: s.pseudonym,
        category: p.category,
        amount: p.amount,
        covered: p.covered,
        balanceAfter: -1,
        body: p.body,
        time: r.time,
      };
    } else {
      run.readerDayCovered -= p.covered;
      if (run.readerDayCovered < 0) run.readerDayCovered = 0;
      addCardDay(run, s.pseudonym, -p.covered);
      run.zCount--;
      run.zCovered -= p.covered;
      addCategory(run, p.category, -1, -p.covered);
      run.lastSale = null;
    }
    noteSeen(run, p.body);
    run.pending = null;
  } else if (r.kind === LOG_VOID) {
    if (run.pending !== null && run.pending.seq === (d[0] as number)) run.pending = null;
  } else if (r.kind === LOG_DAY_CLOSE) {
    run.zCount = 0;
    run.zCovered = 0;
    run.zFirstSeq = r.seq + 1;
    run.zPerCategory = [];
    // The Z report is printed: a sale before it can no longer be cancelled here (see rollDay).
    run.lastSale = null;
  } else if (r.kind === LOG_CONFIG) {
    run.lastSync = r.time;
    if ((d[0] as number) === CHANGE_LOG_ACK) run.ackedSeq = d[1] as number;
  } else if (r.kind === LOG_ALERT) {
    // Alerts change nothing here; they are evidence for the ledger.
  }
}

function cats(list: CategoryTotal[]): CborValue[] {
  const out: CborValue[] = [];
  for (let i = 0; i < list.length; i++) out.push([list[i].id, list[i].count, list[i].covered]);
  return out;
}

/** CBOR of the run state (saved in the "rn" blob after each operation). */
export function encodeRun(run: RunState): Uint8Array {
  const seen: CborValue[] = [];
  for (let i = 0; i < run.seen.length; i++)
    seen.push([run.seen[i].pseudonym, run.seen[i].cardSeq, run.seen[i].body]);
  const cd: CborValue[] = [];
  for (let i = 0; i < run.cardDay.length; i++) cd.push([run.cardDay[i].pseudonym, run.cardDay[i].covered]);
  const p = run.pending;
  const ls = run.lastSale;
  return cborEncode([
    1,
    run.appliedSeq,
    run.ackedSeq,
    run.lastSync,
    run.day,
    run.zCount,
    run.zCovered,
    run.zFirstSeq,
    cats(run.zPerCategory),
    run.readerDayCovered,
    cd,
    seen,
    p === null ? null : [p.seq, p.kind, p.category, p.amount, p.covered, p.body, p.saleSeq],
    ls === null
      ? null
      : [
          ls.seq,
          ls.pendingSeq,
          ls.kind,
          ls.pseudonym,
          ls.category,
          ls.amount,
          ls.covered,
          ls.balanceAfter,
          ls.body,
          ls.time,
        ],
    run.lastBalance,
  ]);
}

/** Decodes a saved run state; null when unreadable (then the log is replayed from its start). */
export function decodeRun(bytes: Uint8Array): RunState | null {
  const d = cborDecode(bytes);
  if (!d.ok || !Array.isArray(d.value) || d.value.length !== 15 || d.value[0] !== 1) return null;
  const v = d.value as CborValue[];
  const run = emptyRun();
  run.appliedSeq = v[1] as number;
  run.ackedSeq = v[2] as number;
  run.lastSync = v[3] as number;
  run.day = v[4] as number;
  run.zCount = v[5] as number;
  run.zCovered = v[6] as number;
  run.zFirstSeq = v[7] as number;
  const pc = v[8] as CborValue[][];
  for (let i = 0; i < pc.length; i++)
    run.zPerCategory.push({ id: pc[i][0] as number, count: pc[i][1] as number, covered: pc[i][2] as number });
  run.readerDayCovered = v[9] as number;
  const cd = v[10] as CborValue[][];
  for (let i = 0; i < cd.length; i++)
    run.cardDay.push({ pseudonym: cd[i][0] as Uint8Array, covered: cd[i][1] as number });
  const seen = v[11] as CborValue[][];
  for (let i = 0; i < seen.length; i++)
    run.seen.push({
      pseudonym: seen[i][0] as Uint8Array,
      cardSeq: seen[i][1] as number,
      body: seen[i][2] as Uint8Array,
    });
  const p = v[12] as CborValue[] | null;
  if (p !== null) {
    run.pending = {
      seq: p[0] as number,
      kind: p[1] as number,
      category: p[2] as number,
      amount: p[3] as number,
      covered: p[4] as number,
      body: p[5] as Uint8Array,
      saleSeq: p[6] as number,
    };
  }
  const ls = v[13] as CborValue[] | null;
  if (ls !== null) {
    run.lastSale = {
      seq: ls[0] as number,
      pendingSeq: ls[1] as number,
      kind: ls[2] as number,
      pseudonym: ls[3] as Uint8Array,
      category: ls[4] as number,
      amount: ls[5] as number,
      covered: ls[6] as number,
      balanceAfter: ls[7] as number,
      body: ls[8] as Uint8Array,
      time: ls[9] as number,
    };
  }
  run.lastBalance = v[14] as number;
  return run;
}
