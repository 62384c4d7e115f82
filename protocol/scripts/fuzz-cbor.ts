// Fuzzing of the CBOR decoder (protocol/src/cbor.ts). Host-only.
//
// Contract checked on every input (the fuzz contract of the codec, not "it decodes"):
//   - cborDecode and cborDecodePrefix never throw and always return a verdict: ok, or a known code with
//     a French message and an offset inside the input;
//   - whenever a decode is ok, re-encoding the value gives back exactly the input bytes (deterministic
//     encoding, RFC 8949 §4.2.1: one byte form per value);
//   - cborDecode and cborDecodePrefix agree (same verdict; TRAILING ⇔ a prefix that ends early);
//   - valid encodings left unmutated decode to the value that produced them.
// "No allocation beyond the input's size" holds by construction (lengths are checked against the bytes
// left before allocating); the inputs below include huge declared lengths to exercise those checks.
//
// Inputs: pure random bytes, random sequences of plausible heads, and mutations (bit flips, byte
// replacements, truncations, insertions, deletions, duplications) of valid encodings of random values.
// The generator is a seeded PRNG so that `npm run fuzz` (1,000,000 runs) and protocol/src/cbor.fuzz.test.ts
// (100,000 runs) share it and every failure is reproducible from (seed, run index).

import fc from 'fast-check';
import {
  CBOR_DECODE_CODES,
  CBOR_MAX_DEPTH,
  CborMap,
  cborDecode,
  cborDecodePrefix,
  cborEncode,
} from '../src/cbor';
import type { CborValue } from '../src/cbor';
import { bytesEqual, toHex } from '../src/bytes';
import { cborValueEqual } from '../src/node/cbor-crosscheck';

/** Seeded 32-bit PRNG (mulberry32): returns integers in [0, 2^32). */
export type Rng = () => number;

export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return function (): number {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Integer in [0, n). */
function below(rng: Rng, n: number): number {
  return rng() % n;
}

// Integers near every boundary of the argument encodings and of the safe range.
const INTERESTING_INTS = [
  0, 1, 23, 24, 25, 255, 256, 257, 65535, 65536, 65537, 4294967295, 4294967296, 4294967297, 9007199254740990,
  9007199254740991,
];

function randomInt(rng: Rng): number {
  const k = below(rng, 6);
  let n: number;
  if (k === 0) n = INTERESTING_INTS[below(rng, INTERESTING_INTS.length)];
  else if (k === 1) n = below(rng, 24);
  else if (k === 2) n = below(rng, 256);
  else if (k === 3) n = below(rng, 65536);
  else if (k === 4) n = rng();
  else n = below(rng, 0x200000) * 4294967296 + rng(); // up to 2^53-1
  return below(rng, 3) === 0 ? -n : n; // -0 is never produced: 0 stays 0
}

// Pieces of text covering 1- to 4-byte UTF-8 sequences.
const TEXT_PIECES = [
  'a',
  'Z',
  '0',
  ' ',
  '-',
  'é',
  'ü',
  '€',
  '水',
  '\u{10151}',
  '\u{1f600}',
  '\u007f',
  '\u0080',
  '\uffff',
];

function randomText(rng: Rng): string {
  const n = below(rng, 4) === 0 ? below(rng, 40) : below(rng, 8);
  let s = '';
  for (let i = 0; i < n; i++) s += TEXT_PIECES[below(rng, TEXT_PIECES.length)];
  return s;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = rng() & 0xff;
  return u;
}

/** A random value of our CBOR subset, nested at most `depth` more levels. */
export function randomCborValue(rng: Rng, depth: number): CborValue {
  const k = below(rng, depth > 0 ? 9 : 6);
  if (k === 0 || k === 1) return randomInt(rng);
  if (k === 2) return randomText(rng);
  if (k === 3) return randomBytes(rng, below(rng, 4) === 0 ? below(rng, 300) : below(rng, 20));
  if (k === 4) return below(rng, 2) === 0;
  if (k === 5) return null;
  if (k === 6 || k === 7) {
    const n = below(rng, 6);
    const arr: CborValue[] = [];
    for (let i = 0; i < n; i++) arr.push(randomCborValue(rng, depth - 1));
    return arr;
  }
  // Map with unique integer or text keys, in random order (the encoder sorts them).
  const n = below(rng, 6);
  const m = new CborMap();
  for (let i = 0; i < n; i++) {
    const key: number | string = below(rng, 2) === 0 ? randomInt(rng) : randomText(rng);
    if (m.keys.indexOf(key) >= 0) continue;
    m.keys.push(key);
    m.values.push(randomCborValue(rng, depth - 1));
  }
  return m;
}

// Initial bytes that steer random data towards items the decoder walks into: every major type with
// short and long arguments, indefinite and reserved ones, and the major-7 values.
const HEAD_BYTES = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x37, 0x38, 0x39, 0x3b, 0x40, 0x41, 0x48, 0x58, 0x59,
  0x5a, 0x5b, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x78, 0x7b, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x98, 0x9a, 0x9b,
  0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xb8, 0xbb, 0xbf, 0xc0, 0xc2, 0xd8, 0xdf, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
  0xfa, 0xfb, 0xfc, 0xff, 0xc3, 0xed, 0xf0, 0xf4, 0x80, 0xbf,
];

function randomHeads(rng: Rng): Uint8Array {
  const n = 1 + below(rng, 24);
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    u[i] = below(rng, 3) === 0 ? rng() & 0xff : HEAD_BYTES[below(rng, HEAD_BYTES.length)];
  return u;
}

function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  let u = new Uint8Array(src);
  const count = 1 + below(rng, 3);
  for (let c = 0; c < count; c++) {
    const len = u.length;
    const k = below(rng, 8);
    if (k === 0 && len > 0) {
      u[below(rng, len)] ^= 1 << below(rng, 8); // bit flip
    } else if (k === 1 && len > 0) {
      u[below(rng, len)] = below(rng, 2) === 0 ? rng() & 0xff : HEAD_BYTES[below(rng, HEAD_BYTES.length)];
    } else if (k === 2 && len > 0) {
      u = u.subarray(0, below(rng, len)); // truncation
    } else if (k === 3) {
      const at = below(rng, len + 1);
      const ins = randomBytes(rng, 1 + below(rng, 4));
      const v = new Uint8Array(len + ins.length);
      v.set(u.subarray(0, at), 0);
      v.set(ins, at);
      v.set(u.subarray(at), at + ins.length);
      u = v;
    } else if (k === 4 && len > 1) {
      const at = below(rng, len);
      const n = 1 + below(rng, Math.min(4, len - at));
      const v = new Uint8Array(len - n);
      v.set(u.subarray(0, at), 0);
      v.set(u.subarray(at + n), at);
      u = v;
    } else if (k === 5 && len > 1) {
      // Duplicate a slice in place (repeats keys and items).
      const a = below(rng, len);
      const b = a + 1 + below(rng, Math.min(8, len - a));
      const v = new Uint8Array(len + (b - a));
      v.set(u.subarray(0, b), 0);
      v.set(u.subarray(a), b);
      u = v;
    } else if (k === 6 && len > 1) {
      const i = below(rng, len);
      const j = below(rng, len);
      const t = u[i];
      u[i] = u[j];
      u[j] = t;
    } else if (len > 0) {
      // Increment or decrement a byte: turns sorted keys into equal or unsorted ones, lengths into
      // off-by-one lengths.
      const i = below(rng, len);
      u[i] = (u[i] + (below(rng, 2) === 0 ? 1 : 255)) & 0xff;
    }
  }
  return u;
}

/** One fuzz input; `value` is set when `bytes` is its unmutated encoding. */
export type FuzzInput = { bytes: Uint8Array; value: CborValue | undefined };

export function makeFuzzInput(rng: Rng): FuzzInput {
  const k = below(rng, 20);
  if (k < 3) return { bytes: randomBytes(rng, below(rng, 48)), value: undefined };
  if (k < 5) return { bytes: randomHeads(rng), value: undefined };
  if (k === 5) {
    // Arrays and maps nested around the depth limit, written directly (the encoder refuses to go
    // deeper than CBOR_MAX_DEPTH), sometimes mutated.
    const levels = CBOR_MAX_DEPTH - 2 + below(rng, 5);
    const raw: number[] = [];
    for (let i = 0; i < levels; i++) {
      if (below(rng, 2) === 0) raw.push(0x81);
      else raw.push(0xa1, below(rng, 24));
    }
    raw.push(below(rng, 24));
    const nested = new Uint8Array(raw);
    return { bytes: below(rng, 2) === 0 ? nested : mutate(rng, nested), value: undefined };
  }
  // Nesting up to the limit now and then, so that CBOR_DEPTH is reached by mutations.
  const depth = below(rng, 10) === 0 ? CBOR_MAX_DEPTH : 3;
  const value = randomCborValue(rng, depth);
  const bytes = cborEncode(value);
  if (k < 7) return { bytes: bytes, value: value };
  return { bytes: mutate(rng, bytes), value: undefined };
}

/** Verdict counts of a fuzz run: 'OK' and each rejection code. */
export type FuzzStats = { [code: string]: number };

function violation(what: string, bytes: Uint8Array, extra?: string): Error {
  return new Error('CBOR fuzz contract: ' + what + ' — input ' + toHex(bytes) + (extra ? ' — ' + extra : ''));
}

function checkVerdict(
  bytes: Uint8Array,
  res: { ok: boolean; code?: string; message?: string; offset?: number },
  start: number,
): void {
  if (res === null || typeof res !== 'object' || typeof res.ok !== 'boolean')
    throw violation('no verdict', bytes);
  if (res.ok) return;
  if (typeof res.code !== 'string' || CBOR_DECODE_CODES.indexOf(res.code) < 0) {
    throw violation('unknown code ' + String(res.code), bytes);
  }
  if (typeof res.message !== 'string' || res.message.indexOf("à l'octet " + res.offset) < 0) {
    throw violation('message without its offset: ' + String(res.message), bytes);
  }
  const off = res.offset;
  if (typeof off !== 'number' || off !== Math.floor(off) || off < start || off > bytes.length) {
    throw violation('offset outside the input: ' + String(off), bytes);
  }
}

/**
 * Runs the contract checks on one input and returns the verdict code of cborDecode ('OK' when it
 * decodes). Throws an Error naming the input on any violation. `rng` picks a start for cborDecodePrefix.
 */
export function checkCborInput(bytes: Uint8Array, rng: Rng): string {
  let res;
  let pre;
  try {
    res = cborDecode(bytes);
    pre = cborDecodePrefix(bytes, 0);
  } catch (e) {
    throw violation('decoder threw', bytes, String(e));
  }
  checkVerdict(bytes, res, 0);
  checkVerdict(bytes, pre, 0);
  if (res.ok) {
    if (!bytesEqual(cborEncode(res.value), bytes)) throw violation('re-encoding differs', bytes);
    if (!pre.ok || pre.end !== bytes.length) throw violation('cborDecodePrefix disagrees (ok)', bytes);
  } else if (res.code === 'CBOR_TRAILING') {
    if (!pre.ok || pre.end !== res.offset || pre.end >= bytes.length) {
      throw violation('cborDecodePrefix disagrees (trailing)', bytes);
    }
  } else if (pre.ok || pre.code !== res.code || pre.offset !== res.offset) {
    throw violation('cborDecodePrefix disagrees (' + res.code + ')', bytes);
  }
  // An item starting anywhere inside the input (stream and log readers decode from an offset).
  const start = below(rng, bytes.length + 1);
  let mid;
  try {
    mid = cborDecodePrefix(bytes, start);
  } catch (e) {
    throw violation('cborDecodePrefix threw at ' + start, bytes, String(e));
  }
  checkVerdict(bytes, mid, start);
  if (mid.ok) {
    if (mid.end <= start || mid.end > bytes.length)
      throw violation('bad end ' + mid.end + ' from ' + start, bytes);
    if (!bytesEqual(cborEncode(mid.value), bytes.subarray(start, mid.end))) {
      throw violation('re-encoding of the item at ' + start + ' differs', bytes);
    }
  }
  return res.ok ? 'OK' : res.code;
}

/**
 * `runs` inputs from `seed`; returns the verdict counts. Throws on the first contract violation with
 * the seed and run index, so that it can be replayed.
 */
export function runCborFuzz(runs: number, seed: number): FuzzStats {
  // fast-check drives the runs (its seed is the one printed); each run's 32-bit value seeds the
  // structured generator above, so a failure names the fast-check seed and the counterexample.
  const stats: FuzzStats = {};
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (inputSeed) => {
      const rng = makeRng(inputSeed);
      const input = makeFuzzInput(rng);
      const code = checkCborInput(input.bytes, rng);
      if (input.value !== undefined) {
        // An unmutated valid encoding must decode, to the same bytes (checked above) and value.
        const again = cborDecode(input.bytes);
        if (!again.ok) throw violation('valid encoding rejected: ' + again.code, input.bytes);
        if (!cborValueEqual(input.value, again.value, false)) {
          throw violation('valid encoding decoded to another value', input.bytes);
        }
      }
      stats[code] = (stats[code] || 0) + 1;
    }),
    { seed: seed, numRuns: runs },
  );
  return stats;
}

/** Entry point of the `npm run fuzz` aggregator. */
export function fuzzCbor(runs: number, seed: number): { runs: number; seed: number; ms: number } {
  const t0 = Date.now();
  runCborFuzz(runs, seed);
  return { runs: runs, seed: seed, ms: Date.now() - t0 };
}
