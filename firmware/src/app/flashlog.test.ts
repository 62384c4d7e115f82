import { describe, expect, it } from 'vitest';
import { VirtualFlash, isPowerCut } from '../../../test/sim/virtual-flash';
import { FlashLog, LOG_RECORD_OVERHEAD, LOG_SEGMENT_HEADER_BYTES } from './flashlog';
import { loadBlob, saveBlob } from './blob';
import { sha256 } from '../../../protocol/src/crypto/sha256';
import { chainGenesis, encodeLogRecord, verifyLogRun, LOG_BOOT } from '../../../protocol/src/structures/log';
import { MAX_LOG_RECORD_BYTES } from '../../../protocol/src/limits';

const genesis = chainGenesis(new Uint8Array(8), 7, sha256);

function rec(seq: number, text: string): Uint8Array {
  return encodeLogRecord({ seq: seq, time: 1000 + seq, kind: LOG_BOOT, data: [text, 0] });
}

function records(log: FlashLog): Uint8Array[] {
  const out: Uint8Array[] = [];
  log.scan(log.firstSeq(), (s, r) => {
    out.push(r);
    return true;
  });
  return out;
}

describe('blob: write new, then switch', () => {
  it('a power cut at every byte of a save leaves the old or the new payload', () => {
    const base = new VirtualFlash(4096);
    expect(saveBlob(base, 'x', new Uint8Array([1, 2, 3]))).toBe(true);
    const next = new Uint8Array(40).fill(0x11);
    const probe = base.clone();
    const before = probe.bytesWritten;
    saveBlob(probe, 'x', next);
    const total = probe.bytesWritten - before;
    let sawOld = 0;
    let sawNew = 0;
    for (let n = 0; n <= total; n++) {
      const f = base.clone();
      f.cutAfter = n;
      try {
        saveBlob(f, 'x', next);
      } catch (e) {
        if (!isPowerCut(e)) throw e;
      }
      f.cutAfter = -1;
      const got = loadBlob(f, 'x') as Uint8Array;
      if (got.length === 3) sawOld++;
      else {
        expect(got).toEqual(next);
        sawNew++;
      }
    }
    // Only the very last byte (the mark) switches to the new copy.
    expect(sawNew).toBe(1);
    expect(sawOld).toBe(total);
  });

  it('returns null when nothing was ever written, and keeps the newest of many saves', () => {
    const f = new VirtualFlash(4096);
    expect(loadBlob(f, 'y')).toBeNull();
    for (let i = 0; i < 5; i++) saveBlob(f, 'y', new Uint8Array([i]));
    expect(loadBlob(f, 'y')).toEqual(new Uint8Array([4]));
  });

  it('refuses a save that does not fit and keeps the old copy', () => {
    const f = new VirtualFlash(64);
    expect(saveBlob(f, 'z', new Uint8Array([9]))).toBe(true);
    expect(saveBlob(f, 'z', new Uint8Array(100))).toBe(false);
    expect(loadBlob(f, 'z')).toEqual(new Uint8Array([9]));
  });
});

describe('flash log', () => {
  it('appends, reopens, and chains exactly as SPEC §9.2 (verifyLogRun)', () => {
    const f = new VirtualFlash(64 * 1024);
    const log = new FlashLog(f, sha256, 4, 512);
    log.start(genesis);
    for (let i = 1; i <= 30; i++) expect(log.append(rec(i, 'boot ' + i))).toBe(true);
    const again = new FlashLog(f, sha256, 4, 512);
    again.open();
    expect(again.nextSeq).toBe(31);
    expect(again.head).toEqual(log.head);
    const run = verifyLogRun(genesis, 1, records(again), sha256);
    expect(run.ok).toBe(true);
    expect(run.value.head).toEqual(log.head);
    // h_{k-1} before any seq, as PULL_LOG needs it.
    const before10 = again.scan(10, () => false) as Uint8Array;
    const first9 = records(again).slice(0, 9);
    expect(verifyLogRun(genesis, 1, first9, sha256).value.head).toEqual(before10);
    expect(again.hashAt(9)).toEqual(before10);
  });

  it('a power cut at every byte of an append reopens to the last complete record', () => {
    const base = new VirtualFlash(64 * 1024);
    const log = new FlashLog(base, sha256, 2, 256);
    log.start(genesis);
    // Fill so that the next appends cross into a new segment too.
    let seq = 1;
    while (log.canFit([40])) log.append(rec(seq++, 'x'.repeat(20)));
    expect(log.canFit([40])).toBe(false);
    const small = new FlashLog(base, sha256, 3, 256);
    small.open();
    const f0 = base.clone();
    const probe = new FlashLog(f0, sha256, 3, 256);
    probe.open();
    const b0 = f0.bytesWritten;
    probe.append(rec(seq, 'y'.repeat(23)));
    probe.append(rec(seq + 1, 'z'));
    const total = f0.bytesWritten - b0;
    expect(total).toBeGreaterThan(LOG_SEGMENT_HEADER_BYTES);
    for (let n = 0; n < total; n++) {
      const f = base.clone();
      f.cutAfter = n;
      const l = new FlashLog(f, sha256, 3, 256);
      l.open();
      let done = 0;
      try {
        if (l.append(rec(seq, 'y'.repeat(23)))) done++;
        if (l.append(rec(seq + 1, 'z'))) done++;
      } catch (e) {
        if (!isPowerCut(e)) throw e;
      }
      f.cutAfter = -1;
      // Reopened with one more segment file: a torn record seals its segment, the next one takes over.
      const r = new FlashLog(f, sha256, 4, 256);
      r.open();
      expect(r.nextSeq).toBeGreaterThanOrEqual(seq);
      expect(r.nextSeq).toBeLessThanOrEqual(seq + done);
      const all = records(r);
      expect(verifyLogRun(genesis, 1, all, sha256).ok).toBe(true);
      // And it keeps working: the next record is appended and chained.
      expect(r.append(rec(r.nextSeq, 'after'))).toBe(true);
      const r2 = new FlashLog(f, sha256, 4, 256);
      r2.open();
      expect(verifyLogRun(genesis, 1, records(r2), sha256).ok).toBe(true);
      expect(r2.nextSeq).toBe(r.nextSeq);
    }
  });

  it('frees only segments whose records are all acknowledged, never the current one', () => {
    const f = new VirtualFlash(64 * 1024);
    const log = new FlashLog(f, sha256, 3, 256);
    log.start(genesis);
    let seq = 1;
    while (log.append(rec(seq, 'x'.repeat(22)))) seq++;
    const last = seq - 1;
    expect(log.segs.length).toBe(3);
    const firstSegLast = log.segs[0].firstSeq + log.segs[0].count - 1;
    expect(log.freeUpTo(firstSegLast - 1)).toBe(0);
    expect(log.freeUpTo(firstSegLast)).toBe(1);
    expect(log.firstSeq()).toBe(firstSegLast + 1);
    expect(log.freeUpTo(last)).toBe(1); // the current segment stays
    expect(log.append(rec(seq, 'again'))).toBe(true);
    const r = new FlashLog(f, sha256, 3, 256);
    r.open();
    const from = r.firstSeq();
    const prev = r.scan(from, () => false) as Uint8Array;
    expect(verifyLogRun(prev, from, records(r), sha256).value.head).toEqual(log.head);
  });

  it('records of MAX_LOG_RECORD_BYTES fit, MAX + 1 are refused', () => {
    const f = new VirtualFlash(64 * 1024);
    const log = new FlashLog(f, sha256, 2, 1024);
    log.start(genesis);
    const pad = (n: number) => {
      let t = 'a';
      let r = rec(1, t);
      while (r.length < n) r = rec(1, (t += 'a'));
      return r;
    };
    const max = pad(MAX_LOG_RECORD_BYTES);
    expect(max.length).toBe(MAX_LOG_RECORD_BYTES);
    expect(log.append(max)).toBe(true);
    expect(log.append(new Uint8Array(MAX_LOG_RECORD_BYTES + 1))).toBe(false);
    expect(LOG_RECORD_OVERHEAD).toBe(3);
  });
});
