// The reader's log in flash (SPEC.md §9; issue 4 §4). A ring of pre-sized segment files written at
// offsets, never appended (an Espruino StorageFile cannot hold 0xFF; flash writes only clear bits).
//
// Segment file layout:
//   header  [0x43 0x4C 'CL'][version 1][first_seq u32][h_{first_seq-1}: 32 bytes] then mark 0xA5
//   records [length u16, 1..256][record CBOR bytes] then mark 0xA5, one after the other
//   free    0xFF... (a length of 0xFFFF means: nothing written here yet)
// Every mark is written by a separate, last write, so a power cut at any byte leaves either a complete
// record (mark present) or a torn one (mark still 0xFF), which reopening ignores. A segment with a torn
// record is sealed: new records go to the next segment (a torn length cannot be trusted to skip it).
// The chain value h_{first-1} in each header lets a segment be freed without losing the chain (§9.2).
// Segments are freed (erased) only when every record in them is acknowledged by the host.

import { FlashStore } from '../hal/devices';
import { Sha256 } from '../../../protocol/src/crypto/types';
import { chainNext } from '../../../protocol/src/structures/log';
import { MAX_LOG_RECORD_BYTES } from '../../../protocol/src/limits';
import { getU32, putU32 } from './blob';

/** Segments in the ring. 8 lets all but one be freed after an ACK while one stays current. */
export const LOG_SEGMENTS = 8;
/** Bytes per segment: 8 x 3 KB = 24 KB, half of a Pico's 48 KB Storage (the rest: code, keys, objects). */
export const LOG_SEGMENT_BYTES = 3072;
/** Segment header: magic 2, version 1, first_seq 4, previous chain value 32, mark 1. */
export const LOG_SEGMENT_HEADER_BYTES = 40;
/** Per-record framing: 2 length bytes before, 1 mark byte after. */
export const LOG_RECORD_OVERHEAD = 3;
export const LOG_MARK = 0xa5;
export const LOG_SEGMENT_VERSION = 1;
/** Segment file names: short, as Storage names are at most 28 characters. */
export const LOG_FILE_PREFIX = 'lg';

interface Segment {
  name: string;
  firstSeq: number;
  prevHash: Uint8Array;
  count: number;
  /** Write offset of the next record. */
  end: number;
  /** A torn record was found: no more writes here. */
  sealed: boolean;
}

export interface LogAnomaly {
  code: string;
  message: string;
}

export class FlashLog {
  flash: FlashStore;
  sha256: Sha256;
  segmentCount: number;
  segmentBytes: number;
  /** Active segments, oldest first. */
  segs: Segment[] = [];
  nextSeq = 1;
  head: Uint8Array = new Uint8Array(32);
  started = false;
  anomalies: LogAnomaly[] = [];

  constructor(flash: FlashStore, sha256: Sha256, segmentCount: number, segmentBytes: number) {
    this.flash = flash;
    this.sha256 = sha256;
    this.segmentCount = segmentCount > 0 ? segmentCount : LOG_SEGMENTS;
    this.segmentBytes = segmentBytes > 0 ? segmentBytes : LOG_SEGMENT_BYTES;
  }

  fileName(i: number): string {
    return LOG_FILE_PREFIX + i;
  }

  /** Scans the segments, rebuilds the chain head, and drops whatever a power cut left incomplete. */
  open(): void {
    this.segs = [];
    this.anomalies = [];
    for (let i = 0; i < this.segmentCount; i++) {
      const name = this.fileName(i);
      if (this.flash.size(name) !== this.segmentBytes) continue;
      const s = this.scanSegment(name);
      if (s === null) continue;
      if (s.count === 0 && s.sealed) {
        // A power cut while the first record of a fresh segment was written: no record in it, and the
        // next append opened another segment with the same first_seq. Left in place it would sort next
        // to that one and look like a gap, dropping every later segment; it holds nothing: erased.
        this.flash.erase(name);
        continue;
      }
      this.segs.push(s);
    }
    this.segs.sort(function (a: Segment, b: Segment) {
      return a.firstSeq - b.firstSeq;
    });
    this.started = this.segs.length > 0;
    if (!this.started) return;
    // Rebuild the head and check that each segment continues the previous one (§9.2).
    let h = this.segs[0].prevHash;
    let seq = this.segs[0].firstSeq;
    for (let k = 0; k < this.segs.length; k++) {
      const s = this.segs[k];
      if (k > 0 && (s.firstSeq !== seq || !sameBytes(s.prevHash, h))) {
        this.anomalies.push({ code: 'LOG_SEGMENT_GAP', message: 'segment de journal discontinu' });
        // Keep the older, consistent part only; the later segments cannot be chained.
        this.segs = this.segs.slice(0, k);
        break;
      }
      let pos = LOG_SEGMENT_HEADER_BYTES;
      for (let r = 0; r < s.count; r++) {
        const len = this.lengthAt(s.name, pos);
        const rec = this.flash.read(s.name, pos + 2, len) as Uint8Array;
        h = chainNext(h, rec, this.sha256);
        pos += len + LOG_RECORD_OVERHEAD;
      }
      seq = s.firstSeq + s.count;
    }
    this.head = h;
    this.nextSeq = seq;
    // The last segment stays writable only if it is not sealed; otherwise the next append opens one.
  }

  private lengthAt(name: string, pos: number): number {
    const b = this.flash.read(name, pos, 2);
    if (b === null) return 0xffff;
    return b[0] * 256 + b[1];
  }

  private scanSegment(name: string): Segment | null {
    const h = this.flash.read(name, 0, LOG_SEGMENT_HEADER_BYTES);
    if (h === null || h[0] !== 0x43 || h[1] !== 0x4c || h[2] !== LOG_SEGMENT_VERSION) return null;
    if (h[LOG_SEGMENT_HEADER_BYTES - 1] !== LOG_MARK) return null;
    const s: Segment = {
      name: name,
      firstSeq: getU32(h, 3),
      prevHash: new Uint8Array(h.subarray(7, 39)),
      count: 0,
      end: LOG_SEGMENT_HEADER_BYTES,
      sealed: false,
    };
    let pos = LOG_SEGMENT_HEADER_BYTES;
    while (pos + LOG_RECORD_OVERHEAD < this.segmentBytes) {
      const len = this.lengthAt(name, pos);
      if (len === 0xffff) break;
      if (len < 1 || len > MAX_LOG_RECORD_BYTES || pos + len + LOG_RECORD_OVERHEAD > this.segmentBytes) {
        s.sealed = true;
        break;
      }
      const m = this.flash.read(name, pos + 2 + len, 1);
      if (m === null || m[0] !== LOG_MARK) {
        s.sealed = true;
        break;
      }
      s.count++;
      pos += len + LOG_RECORD_OVERHEAD;
    }
    s.end = pos;
    if (s.sealed) s.end = this.segmentBytes;
    return s;
  }

  /** Starts an empty log whose chain begins at `genesis` (h_0, SPEC.md §9.2). Erases every segment. */
  start(genesis: Uint8Array): boolean {
    for (let i = 0; i < this.segmentCount; i++) this.flash.erase(this.fileName(i));
    this.segs = [];
    this.nextSeq = 1;
    this.head = genesis;
    this.started = true;
    return this.openSegment();
  }

  private freeFileIndex(): number {
    for (let i = 0; i < this.segmentCount; i++) {
      const name = this.fileName(i);
      let used = false;
      for (let k = 0; k < this.segs.length; k++) if (this.segs[k].name === name) used = true;
      if (!used) return i;
    }
    return -1;
  }

  private openSegment(): boolean {
    const i = this.freeFileIndex();
    if (i < 0) return false;
    const name = this.fileName(i);
    if (!this.flash.create(name, this.segmentBytes)) return false;
    const h = new Uint8Array(LOG_SEGMENT_HEADER_BYTES - 1);
    h[0] = 0x43;
    h[1] = 0x4c;
    h[2] = LOG_SEGMENT_VERSION;
    putU32(h, 3, this.nextSeq);
    h.set(this.head, 7);
    if (!this.flash.write(name, 0, h)) return false;
    const m = new Uint8Array(1);
    m[0] = LOG_MARK;
    if (!this.flash.write(name, LOG_SEGMENT_HEADER_BYTES - 1, m)) return false;
    this.segs.push({
      name: name,
      firstSeq: this.nextSeq,
      prevHash: this.head,
      count: 0,
      end: LOG_SEGMENT_HEADER_BYTES,
      sealed: false,
    });
    return true;
  }

  private roomInCurrent(): number {
    if (this.segs.length === 0) return 0;
    const s = this.segs[this.segs.length - 1];
    if (s.sealed) return 0;
    return this.segmentBytes - s.end;
  }

  /**
   * True when records of the given sizes could all be appended now (without freeing anything): the
   * sale path asks for its PENDING and COMMIT (or VOID) before it writes either.
   */
  canFit(sizes: number[]): boolean {
    let room = this.roomInCurrent();
    let freeSegs = this.segmentCount - this.segs.length;
    const perSeg = this.segmentBytes - LOG_SEGMENT_HEADER_BYTES;
    for (let i = 0; i < sizes.length; i++) {
      const need = sizes[i] + LOG_RECORD_OVERHEAD;
      if (need > room) {
        if (freeSegs === 0 || need > perSeg) return false;
        freeSegs--;
        room = perSeg;
      }
      room -= need;
    }
    return true;
  }

  /** Appends one record (its CBOR bytes, seq = nextSeq). False when the log is full. */
  append(record: Uint8Array): boolean {
    if (!this.started || record.length < 1 || record.length > MAX_LOG_RECORD_BYTES) return false;
    if (record.length + LOG_RECORD_OVERHEAD > this.roomInCurrent()) {
      if (!this.openSegment()) return false;
    }
    const s = this.segs[this.segs.length - 1];
    const out = new Uint8Array(record.length + 2);
    out[0] = record.length >> 8;
    out[1] = record.length & 255;
    out.set(record, 2);
    if (!this.flash.write(s.name, s.end, out)) return false;
    const m = new Uint8Array(1);
    m[0] = LOG_MARK;
    if (!this.flash.write(s.name, s.end + 2 + record.length, m)) return false;
    s.end += record.length + LOG_RECORD_OVERHEAD;
    s.count++;
    this.head = chainNext(this.head, record, this.sha256);
    this.nextSeq++;
    return true;
  }

  firstSeq(): number {
    return this.segs.length === 0 ? this.nextSeq : this.segs[0].firstSeq;
  }

  /** Record capacity for records of `size` bytes when the log is empty (for INFO and the figures). */
  capacityFor(size: number): number {
    const perSeg = Math.floor((this.segmentBytes - LOG_SEGMENT_HEADER_BYTES) / (size + LOG_RECORD_OVERHEAD));
    return perSeg * this.segmentCount;
  }

  /**
   * Calls `visit(seq, bytes)` for records seq >= fromSeq in order until it returns false. Returns the
   * chain value before fromSeq (h_{from-1}), or null when fromSeq is not held.
   */
  scan(fromSeq: number, visit: (seq: number, rec: Uint8Array) => boolean): Uint8Array | null {
    if (fromSeq < this.firstSeq() || fromSeq > this.nextSeq) return null;
    let before: Uint8Array | null = fromSeq === this.nextSeq ? this.head : null;
    for (let k = 0; k < this.segs.length; k++) {
      const s = this.segs[k];
      if (fromSeq >= s.firstSeq + s.count) continue;
      let h = s.prevHash;
      let pos = LOG_SEGMENT_HEADER_BYTES;
      for (let r = 0; r < s.count; r++) {
        const seq = s.firstSeq + r;
        const len = this.lengthAt(s.name, pos);
        const rec = this.flash.read(s.name, pos + 2, len) as Uint8Array;
        if (seq === fromSeq) before = h;
        if (seq >= fromSeq) {
          if (!visit(seq, rec)) return before;
        } else {
          h = chainNext(h, rec, this.sha256);
        }
        pos += len + LOG_RECORD_OVERHEAD;
      }
    }
    return before;
  }

  /** One record's bytes, or null. */
  record(seq: number): Uint8Array | null {
    let out: Uint8Array | null = null;
    this.scan(seq, function (s: number, rec: Uint8Array) {
      if (s === seq) out = rec;
      return false;
    });
    return out;
  }

  /** Chain value after record `seq` (h_seq), or null when not held. */
  hashAt(seq: number): Uint8Array | null {
    if (seq === this.nextSeq - 1) return this.head;
    const h = this.scan(seq + 1, function () {
      return false;
    });
    return h;
  }

  /** Frees (erases) the oldest segments whose records are all <= ackedSeq, never the current one. */
  freeUpTo(ackedSeq: number): number {
    let freed = 0;
    while (this.segs.length > 1) {
      const s = this.segs[0];
      if (s.firstSeq + s.count - 1 > ackedSeq) break;
      this.flash.erase(s.name);
      this.segs.shift();
      freed++;
    }
    return freed;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
