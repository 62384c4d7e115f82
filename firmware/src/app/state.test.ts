import { describe, expect, it } from 'vitest';
import {
  DAY_CARDS_MAX,
  SEEN_MAX,
  applyRecord,
  decodeRun,
  emptyRun,
  encodeRun,
  findSeen,
  cardDayCovered,
} from './state';
import {
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_DAY_CLOSE,
  LOG_VOID,
  LogRecord,
} from '../../../protocol/src/structures/log';
import { encodeState } from '../../../protocol/src/structures/state';

const T = 1794000000;

function pseud(i: number): Uint8Array {
  const p = new Uint8Array(8);
  p[0] = i >> 8;
  p[1] = i & 255;
  return p;
}

function body(i: number, cardSeq: number, spent: number): Uint8Array {
  return encodeState({
    pseudonym: pseud(i),
    voucherSerial: 1,
    month: 682,
    cardSeq: cardSeq,
    carried: 0,
    spent: spent,
    lastAmount: spent,
    readerId: 101,
    logSeq: 1,
    time: T,
    prev: new Uint8Array(16),
  });
}

/** One committed sale of `covered` cents by card i, as the two records the reader writes. */
function sale(run: ReturnType<typeof emptyRun>, seq: number, i: number, covered: number, t = T): number {
  const p: LogRecord = {
    seq: seq,
    time: t,
    kind: LOG_SALE_PENDING,
    data: [1, covered, covered, body(i, 1, covered)],
  };
  applyRecord(run, p, 60);
  applyRecord(run, { seq: seq + 1, time: t, kind: LOG_SALE_COMMIT, data: [seq] }, 60);
  return seq + 2;
}

describe('run state fold', () => {
  it('last-seen table keeps SEEN_MAX cards (MAX kept, MAX + 1 evicts the oldest)', () => {
    const run = emptyRun();
    let seq = 1;
    for (let i = 0; i < SEEN_MAX; i++) seq = sale(run, seq, i, 10);
    expect(run.seen.length).toBe(SEEN_MAX);
    expect(findSeen(run, pseud(0))).not.toBeNull();
    sale(run, seq, SEEN_MAX, 10);
    expect(run.seen.length).toBe(SEEN_MAX);
    expect(findSeen(run, pseud(0))).toBeNull();
    expect(findSeen(run, pseud(SEEN_MAX))).not.toBeNull();
  });

  it('per-card day totals keep DAY_CARDS_MAX cards; MAX + 1 evicts the smallest total', () => {
    const run = emptyRun();
    let seq = 1;
    for (let i = 0; i < DAY_CARDS_MAX; i++) seq = sale(run, seq, i, 100 + i);
    expect(run.cardDay.length).toBe(DAY_CARDS_MAX);
    sale(run, seq, DAY_CARDS_MAX, 5000);
    expect(run.cardDay.length).toBe(DAY_CARDS_MAX);
    expect(cardDayCovered(run, pseud(0))).toBe(0); // the smallest (100) went
    expect(cardDayCovered(run, pseud(1))).toBe(101);
    expect(cardDayCovered(run, pseud(DAY_CARDS_MAX))).toBe(5000);
  });

  it('day totals roll at the local day change; Z totals reset at DAY_CLOSE; VOID closes a pending sale', () => {
    const run = emptyRun();
    let seq = sale(run, 1, 1, 300);
    seq = sale(run, seq, 1, 200);
    expect(run.readerDayCovered).toBe(500);
    expect(run.zCount).toBe(2);
    applyRecord(run, { seq: seq, time: T, kind: LOG_DAY_CLOSE, data: [0, 2, 500, 1, []] }, 60);
    seq++;
    expect(run.zCount).toBe(0);
    expect(run.readerDayCovered).toBe(500); // the limits are per day, not per Z period
    seq = sale(run, seq, 1, 100, T + 86400);
    expect(run.readerDayCovered).toBe(100);
    expect(cardDayCovered(run, pseud(1))).toBe(100);
    applyRecord(run, { seq: seq, time: T, kind: LOG_SALE_PENDING, data: [1, 5, 5, body(1, 2, 105)] }, 60);
    expect(run.pending).not.toBeNull();
    applyRecord(run, { seq: seq + 1, time: T, kind: LOG_VOID, data: [seq, 2] }, 60);
    expect(run.pending).toBeNull();
  });

  it('encodes and decodes losslessly; garbage decodes to null', () => {
    const run = emptyRun();
    let seq = 1;
    for (let i = 0; i < 5; i++) seq = sale(run, seq, i, 10 * i + 1);
    applyRecord(run, { seq: seq, time: T, kind: LOG_SALE_PENDING, data: [1, 5, 5, body(9, 2, 5)] }, 60);
    expect(decodeRun(encodeRun(run))).toEqual(run);
    expect(decodeRun(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});
