// Fuzz of the host link receive path: SLIP stream decoder, frame decoder and message decoder.
//
// Contract (not "decodes", since most inputs are garbage):
//   - nothing throws, whatever the bytes and however they are chunked;
//   - memory is bounded: the stream decoder never holds more than MAX_FRAME_BYTES of a frame;
//   - every frame reported ok has a valid CRC-32 (checked with node:zlib, not with our crc32) and
//     re-encodes to exactly the bytes received;
//   - one event per SLIP frame: the frame layer neither loses nor invents frames;
//   - an unmutated stream decodes to exactly the frames sent;
//   - every message reported ok re-encodes to exactly its payload (deterministic CBOR + shape).
//
// Inputs come from fast-check (a seed and a mode per run, so a failure shrinks to a reproducible pair),
// expanded into bytes by a small xorshift PRNG: generating kilobytes per run through fast-check's
// arbitraries would cost more than the decoding under test.
//
// Used by protocol/src/frame.fuzz.test.ts and by `npm run fuzz` (protocol/scripts/fuzz.ts).
// Run alone: npx tsx protocol/scripts/fuzz-frame.ts [runs] [seed]

import fc from 'fast-check';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { CborValue } from '../src/cbor';
import {
  FRAME_CRC_BYTES,
  FRAME_KIND_DATA,
  Frame,
  FrameStreamDecoder,
  MAX_FRAME_BYTES,
  MAX_FRAME_PAYLOAD,
  ackFrame,
  encodeFrame,
  encodeFrameSlip,
  nakFrame,
} from '../src/frame';
import {
  MAX_LOG_BATCH_RECORDS,
  MSG_CHALLENGE,
  MSG_CHECKPOINT,
  MSG_COMMAND,
  MSG_ERROR,
  MSG_GET_CHECKPOINT,
  MSG_HELLO,
  MSG_INFO,
  MSG_LOG_BATCH,
  MSG_NONCE,
  MSG_PULL_LOG,
  MSG_RESULT,
  MSG_SELF_TEST,
  MSG_SELF_TEST_REPORT,
  decodeMessage,
  encodeMessage,
  encodeTypedMessage,
} from '../src/messages';
import { SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC, SlipStreamDecoder } from '../src/slip';

type Rand = () => number; // uniform 32-bit unsigned

function xorshift(seed: number): Rand {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

function below(r: Rand, n: number): number {
  return n <= 0 ? 0 : r() % n;
}

const SPECIAL = [SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC];

function randomBytes(r: Rand, n: number, specialBias: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = below(r, 100) < specialBias ? SPECIAL[r() & 3] : r() & 0xff;
  return out;
}

// Lengths skewed towards short ones, up to `max`.
function skewedLength(r: Rand, max: number): number {
  const u = below(r, 1 << 16) / (1 << 16);
  return Math.floor(u * u * (max + 1));
}

function asciiText(r: Rand, max: number): string {
  let s = '';
  const n = below(r, max + 1);
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + below(r, 95));
  return s;
}

function u32(r: Rand): number {
  return below(r, 4) === 0 ? 0xffffffff : r();
}

function orNull<T>(r: Rand, v: T): T | null {
  return below(r, 4) === 0 ? null : v;
}

// One random legal message of each catalog type (positional fields).
function randomMessage(r: Rand): { type: number; fields: CborValue[] } {
  switch (below(r, 13)) {
    case 0:
      return { type: MSG_HELLO, fields: [u32(r)] };
    case 1:
      return {
        type: MSG_INFO,
        fields: [
          below(r, 65536),
          asciiText(r, 32),
          asciiText(r, 16),
          below(r, 4),
          orNull(r, u32(r)),
          orNull(r, randomBytes(r, 8, 10)),
          orNull(r, randomBytes(r, 32, 10)),
          u32(r),
          u32(r),
          u32(r),
          u32(r),
          u32(r),
          orNull(r, u32(r)),
          u32(r),
          u32(r),
          u32(r),
          orNull(r, u32(r)),
        ],
      };
    case 2:
      return { type: MSG_CHALLENGE, fields: [] };
    case 3:
      return { type: MSG_NONCE, fields: [randomBytes(r, 16, 10)] };
    case 4:
      return { type: MSG_COMMAND, fields: [randomBytes(r, 1 + skewedLength(r, 899), 5)] };
    case 5:
      return {
        type: MSG_RESULT,
        fields: [
          below(r, 256),
          orNull(r, asciiText(r, 64)),
          orNull(r, randomBytes(r, skewedLength(r, 900), 5)),
        ],
      };
    case 6:
      return { type: MSG_PULL_LOG, fields: [u32(r), 1 + below(r, MAX_LOG_BATCH_RECORDS)] };
    case 7: {
      const records: Uint8Array[] = [];
      const n = below(r, 12);
      let size = 0;
      for (let i = 0; i < n; i++) {
        const len = 1 + skewedLength(r, 255);
        if (size + len + 3 > 900) break;
        size += len + 3;
        records.push(randomBytes(r, len, 5));
      }
      return { type: MSG_LOG_BATCH, fields: [u32(r), randomBytes(r, 32, 5), records, u32(r)] };
    }
    case 8:
      return { type: MSG_GET_CHECKPOINT, fields: [orNull(r, randomBytes(r, 16, 10))] };
    case 9:
      return { type: MSG_CHECKPOINT, fields: [randomBytes(r, 1 + skewedLength(r, 255), 5)] };
    case 10:
      return { type: MSG_SELF_TEST, fields: [] };
    case 11: {
      const entries: CborValue[] = [];
      const n = below(r, 17);
      for (let i = 0; i < n; i++) entries.push([asciiText(r, 16), below(r, 2) === 0, asciiText(r, 40)]);
      return { type: MSG_SELF_TEST_REPORT, fields: [entries] };
    }
    default:
      return { type: MSG_ERROR, fields: [below(r, 256), asciiText(r, 64)] };
  }
}

function randomFrame(r: Rand): Frame {
  const k = below(r, 10);
  if (k === 0) return ackFrame(below(r, 65536));
  if (k === 1) return nakFrame(below(r, 65536), below(r, 256));
  if (k <= 6) {
    const m = randomMessage(r);
    return {
      kind: FRAME_KIND_DATA,
      seq: below(r, 65536),
      requestId: below(r, 65536),
      type: m.type,
      payload: encodeMessage(m.type, m.fields),
    };
  }
  return {
    kind: FRAME_KIND_DATA,
    seq: below(r, 65536),
    requestId: below(r, 65536),
    type: 1 + below(r, 255),
    payload: randomBytes(r, skewedLength(r, MAX_FRAME_PAYLOAD), 20),
  };
}

function concat(list: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const u of list) n += u.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const u of list) {
    out.set(u, p);
    p += u.length;
  }
  return out;
}

// A few random edits: bit flips, special bytes, insertions, deletions, duplicated or dropped ranges.
function mutate(r: Rand, input: Uint8Array): Uint8Array {
  let b = input;
  const edits = 1 + below(r, 6);
  for (let e = 0; e < edits; e++) {
    const op = below(r, 6);
    const at = below(r, b.length + 1);
    if (op === 0 && b.length > 0) {
      b = new Uint8Array(b);
      b[at % b.length] ^= 1 << below(r, 8);
    } else if (op === 1 && b.length > 0) {
      b = new Uint8Array(b);
      b[at % b.length] = SPECIAL[r() & 3];
    } else if (op === 2) {
      b = concat([
        b.subarray(0, at),
        new Uint8Array([r() & 1 ? SPECIAL[r() & 3] : r() & 0xff]),
        b.subarray(at),
      ]);
    } else if (op === 3) {
      b = concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + below(r, 40)))]);
    } else if (op === 4) {
      const len = below(r, 200);
      b = concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
    } else {
      b = b.subarray(0, at);
    }
  }
  return b;
}

function chunked(r: Rand, stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  // Whole, byte by byte (short streams only: it is the slowest style and adds nothing on long ones),
  // small chunks, large chunks.
  const style = below(r, 4);
  const smallest = style === 1 && stream.length > 256 ? 4 : 1;
  let i = 0;
  while (i < stream.length) {
    const n = style === 0 ? stream.length : style === 1 ? smallest : 1 + below(r, style === 2 ? 16 : 700);
    out.push(stream.subarray(i, i + n));
    i += n;
  }
  return out;
}

function fail(message: string): never {
  throw new Error('fuzz-frame: ' + message);
}

function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at] * 256 + b[at + 1]) * 256 + b[at + 2]) * 256 + b[at + 3];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// A message decoded ok must re-encode to its payload; decoding must never throw.
function checkMessage(type: number, payload: Uint8Array): void {
  const m = decodeMessage(type, payload);
  if (m.ok && !sameBytes(encodeTypedMessage(m.message), payload))
    fail('message ' + type + ' does not re-encode');
}

// Pushes `chunks` through a FrameStreamDecoder and, in parallel, a bare SlipStreamDecoder (the raw
// frames), and checks the contract. Returns the ok frames.
function runStream(chunks: Uint8Array[]): Frame[] {
  const dec = new FrameStreamDecoder();
  const raw = new SlipStreamDecoder(MAX_FRAME_BYTES);
  const ok: Frame[] = [];
  for (const c of chunks) {
    const events = dec.push(c);
    const slip = raw.push(c);
    if (dec.bufferedBytes() > MAX_FRAME_BYTES || dec.bufferedBytes() < 0)
      fail('buffer above MAX_FRAME_BYTES');
    if (events.length !== slip.length) fail('frame events do not match SLIP frames one to one');
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const s = slip[i];
      if (!e.ok) {
        if (!s.ok && s.code !== e.code) fail('SLIP error code changed');
        if (typeof e.message !== 'string' || e.message.length === 0) fail('error without a message');
        continue;
      }
      if (!s.ok) fail('ok frame from a SLIP error');
      const bytes = s.frame;
      const end = bytes.length - FRAME_CRC_BYTES;
      if (zlib.crc32(bytes.subarray(0, end)) !== readU32BE(bytes, end)) fail('ok frame with a bad CRC-32');
      if (!sameBytes(encodeFrame(e.frame), bytes)) fail('ok frame does not re-encode to its bytes');
      if (e.frame.kind === FRAME_KIND_DATA) checkMessage(e.frame.type, e.frame.payload);
      ok.push(e.frame);
    }
  }
  return ok;
}

function runOne(seed: number, mode: number): void {
  const r = xorshift(seed);
  if (mode === 0) {
    // Random bytes, some runs rich in END/ESC.
    runStream(chunked(r, randomBytes(r, skewedLength(r, 3000), below(r, 2) === 0 ? 0 : 30)));
    return;
  }
  if (mode === 5) {
    // Messages alone: random type, a valid payload (mutated or not) or random bytes.
    const m = randomMessage(r);
    const payload = encodeMessage(m.type, m.fields);
    checkMessage(m.type, payload);
    const type = below(r, 3) === 0 ? below(r, 256) : m.type;
    checkMessage(type, mutate(r, payload));
    checkMessage(type, randomBytes(r, skewedLength(r, 64), 10));
    return;
  }
  const frames: Frame[] = [];
  const n = 1 + below(r, 5);
  for (let i = 0; i < n; i++) frames.push(randomFrame(r));
  const stream = concat(frames.map(encodeFrameSlip));
  if (mode === 1) {
    // Unmutated: exactly the frames sent come out, whatever the chunking.
    const got = runStream(chunked(r, stream));
    if (got.length !== frames.length) fail('lost or extra frames in a clean stream');
    for (let i = 0; i < got.length; i++) {
      if (!sameBytes(encodeFrame(got[i]), encodeFrame(frames[i])))
        fail('clean stream frame ' + i + ' differs');
    }
    return;
  }
  // Modes 2-4: mutated valid streams, with garbage around them in mode 4.
  let bytes = mutate(r, stream);
  if (mode === 4) bytes = concat([randomBytes(r, below(r, 50), 20), bytes, randomBytes(r, below(r, 50), 20)]);
  runStream(chunked(r, bytes));
}

/** The fuzz property: one run = one (seed, mode) pair. */
export function frameFuzzProperty(): fc.IPropertyWithHooks<[number, number]> {
  return fc.property(fc.integer(), fc.integer({ min: 0, max: 5 }), (seed, mode) => {
    runOne(seed, mode);
  });
}

/** Runs the fuzz property `runs` times from `seed` (fast-check); throws on the first broken invariant. */
export function fuzzFrames(runs: number, seed: number): { runs: number; seed: number; ms: number } {
  const t0 = performance.now();
  fc.assert(frameFuzzProperty(), { seed: seed, numRuns: runs });
  return { runs: runs, seed: seed, ms: Math.round(performance.now() - t0) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] || 100000);
  const seed = Number(process.argv[3] || 0x5e1f);
  console.log('fuzz-frame: ' + runs + ' runs, seed ' + seed);
  const r = fuzzFrames(runs, seed);
  console.log('fuzz-frame: ok, ' + r.runs + ' runs in ' + r.ms + ' ms (seed ' + r.seed + ')');
}
