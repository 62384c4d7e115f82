// The project's one CBOR codec (RFC 8949), deterministic and strict.
//
// Only a subset of CBOR is used by carnet, and only its "core deterministic encoding" (RFC 8949
// §4.2.1) is accepted, so that every value has exactly one byte form: a signature over bytes is then a
// signature over the value, and `cborEncode(cborDecode(b)) === b` for every accepted `b`.
//   - major 0/1 integers within ±(2^53-1), major 2 byte strings, major 3 UTF-8 text strings,
//     major 4 arrays, major 5 maps (keys: integers or text strings), and false/true/null (major 7);
//   - arguments (integer values and lengths) in their shortest form (§4.2.1, first bullet);
//   - definite lengths only (§4.2.1, third bullet);
//   - map keys sorted by the bytewise lexicographic order of their encodings, no duplicates (§4.2.1,
//     §5.6: duplicate keys make the map invalid, §5.4 validity).
// Tags, floats, undefined, simple values and indefinite lengths are rejected (§4.2.2-style strictness:
// an application profile may refuse what it does not use).
//
// Decoding never throws: hostile bytes get a verdict `{ ok: false, code, message, offset }` with a
// French message. Every declared length is checked against the bytes remaining BEFORE anything is
// allocated, so decoding allocates no more than the input's size (fuzz contract).
//
// Espruino subset (../../shared/espruino/FACTS.md): no shifts on values that may exceed 2^31 (numbers
// above 2^32 are split with division and multiplication), no typed-array slice(), no classes extending
// Error (errors are plain objects), functions declared before the code that calls them.

import { compareBytes, utf8DecodeRange, utf8Length, utf8Write } from './bytes';

/** A map whose keys are integers or text strings, in insertion order (the encoder sorts them). */
export class CborMap {
  // `declare`: the fields are set by the constructor and no class-field syntax is emitted for the
  // bundle (older Espruino parsers accept only methods in a class body).
  declare keys: CborValue[];
  declare values: CborValue[];
  constructor(keys?: CborValue[], values?: CborValue[]) {
    this.keys = keys ? keys : [];
    this.values = values ? values : [];
  }
  /** Value stored under an integer or text key, or undefined when absent. */
  get(key: number | string): CborValue | undefined {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === key) return this.values[i];
    }
    return undefined;
  }
}

export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;

export type CborDecodeResult =
  { ok: true; value: CborValue } | { ok: false; code: string; message: string; offset: number };

export type CborDecodePrefixResult =
  { ok: true; value: CborValue; end: number } | { ok: false; code: string; message: string; offset: number };

/**
 * Every code a decoding verdict can carry (for the error table and the tests). Each message is French
 * and ends with the byte offset it refers to.
 */
export const CBOR_DECODE_CODES: string[] = [
  'CBOR_TRUNCATED', // the input ends inside an item
  'CBOR_LENGTH', // a declared length or count exceeds the bytes left
  'CBOR_TRAILING', // bytes after the top item (cborDecode only)
  'CBOR_MALFORMED', // not well-formed: reserved additional info 28-30, or 31 on majors 0, 1, 6
  'CBOR_NON_CANONICAL', // an argument not in its shortest form (RFC 8949 §4.2.1)
  'CBOR_INDEFINITE', // indefinite length (RFC 8949 §3.2.2, excluded by §4.2.1)
  'CBOR_INT_RANGE', // integer beyond ±(2^53-1)
  'CBOR_UTF8', // text string that is not well-formed UTF-8
  'CBOR_MAP_KEY', // map key other than an integer or text string
  'CBOR_MAP_ORDER', // map keys not in bytewise order of their encodings (RFC 8949 §4.2.1)
  'CBOR_MAP_DUPLICATE', // the same key twice
  'CBOR_DEPTH', // nesting deeper than the limit
  'CBOR_UNSUPPORTED', // tag, float, undefined, simple value or break
];

/**
 * Deepest nesting of arrays and maps accepted by the decoder and produced by the encoder. Our deepest
 * structure nests 4 levels; anything much deeper is hostile and would only cost stack and memory on
 * the reader (recursion depth is bounded by this limit). A top-level array counts as depth 1.
 */
export const CBOR_MAX_DEPTH = 16;

/**
 * Largest integer magnitude, 2^53-1: JS numbers (and Espruino doubles) hold every integer up to it
 * exactly, and no larger one. Written as a literal because Math.pow is inexact on Espruino.
 */
export const CBOR_MAX_SAFE_UINT = 9007199254740991;

// 2^32, 2^16: the 8-byte and 4-byte arguments are split with these, never with 32-bit shifts.
const TWO_POW_32 = 4294967296;
const TWO_POW_16 = 65536;
// Largest high 32-bit word of a value <= 2^53-1.
const MAX_SAFE_HIGH_WORD = 0x1fffff;

// ---------------------------------------------------------------------------------------------------
// Encoder

type Writer = { buf: Uint8Array; pos: number };

function encodeError(message: string): { code: string; message: string } {
  return { code: 'CBOR_ENCODE_UNSUPPORTED', message: message };
}

function ensure(w: Writer, extra: number): void {
  const need = w.pos + extra;
  if (need <= w.buf.length) return;
  // Only reached if sizeOf under-estimated: a safety net, the size pass is exact for valid values.
  let cap = w.buf.length * 2 + 16;
  while (cap < need) cap *= 2;
  const nb = new Uint8Array(cap);
  nb.set(w.buf.subarray(0, w.pos), 0);
  w.buf = nb;
}

// Number of bytes of a head with argument n (RFC 8949 §3: 0, 1, 2, 4 or 8 bytes after the first).
function headSize(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  if (n < TWO_POW_32) return 5;
  return 9;
}

// Writes the head of an item: major type and argument `n` (0 <= n <= 2^53-1) in the shortest form
// (RFC 8949 §3 and §4.2.1: 0..23 in the initial byte, then 1, 2, 4 or 8 bytes).
function writeHead(w: Writer, major: number, n: number): void {
  if (w.pos + 9 > w.buf.length) ensure(w, headSize(n));
  const buf = w.buf;
  let p = w.pos;
  const mt = major << 5;
  if (n < 24) {
    buf[p++] = mt | n;
  } else if (n < 0x100) {
    buf[p++] = mt | 24;
    buf[p++] = n;
  } else if (n < 0x10000) {
    buf[p++] = mt | 25;
    buf[p++] = n >> 8;
    buf[p++] = n & 0xff;
  } else if (n < TWO_POW_32) {
    // n may exceed 2^31: split it into two 16-bit halves by division.
    const hi16 = Math.floor(n / TWO_POW_16);
    const lo16 = n - hi16 * TWO_POW_16;
    buf[p++] = mt | 26;
    buf[p++] = hi16 >> 8;
    buf[p++] = hi16 & 0xff;
    buf[p++] = lo16 >> 8;
    buf[p++] = lo16 & 0xff;
  } else {
    const hi = Math.floor(n / TWO_POW_32); // <= 0x1fffff
    const lo = n - hi * TWO_POW_32;
    const lo16hi = Math.floor(lo / TWO_POW_16);
    const lo16lo = lo - lo16hi * TWO_POW_16;
    buf[p++] = mt | 27;
    buf[p++] = 0;
    buf[p++] = hi >> 16;
    buf[p++] = (hi >> 8) & 0xff;
    buf[p++] = hi & 0xff;
    buf[p++] = lo16hi >> 8;
    buf[p++] = lo16hi & 0xff;
    buf[p++] = lo16lo >> 8;
    buf[p++] = lo16lo & 0xff;
  }
  w.pos = p;
}

function isSafeInteger(v: number): boolean {
  // Number.isInteger/isSafeInteger are missing on Espruino. NaN fails the first test, ±Infinity the
  // second.
  return v === Math.floor(v) && v <= CBOR_MAX_SAFE_UINT && v >= -CBOR_MAX_SAFE_UINT;
}

function writeInt(w: Writer, v: number): void {
  // -0 is written as 0: integer arithmetic on cents can produce it (0 * -1), and CBOR integers have
  // no negative zero. Negative n is major 1 with argument -1 - n (RFC 8949 §3.1).
  if (v >= 0) writeHead(w, 0, v);
  else writeHead(w, 1, -1 - v);
}

function writeText(w: Writer, s: string): void {
  const n = utf8Length(s);
  if (n < 0) throw encodeError('texte contenant un demi-caractère UTF-16 isolé : pas de forme UTF-8');
  writeHead(w, 3, n);
  ensure(w, n);
  w.pos = utf8Write(s, w.buf, w.pos);
}

// Writes a map key (integer or text string), the only key types of our subset.
function writeKey(w: Writer, k: CborValue): void {
  if (typeof k === 'number') {
    if (!isSafeInteger(k))
      throw encodeError('clé de table numérique non entière ou hors de ±(2^53-1) : ' + k);
    writeInt(w, k);
  } else if (typeof k === 'string') {
    writeText(w, k);
  } else {
    throw encodeError('clé de table ni entière ni texte');
  }
}

// Compares w.buf[a0..a1) with w.buf[b0..b1) bytewise (RFC 8949 §4.2.1 key order).
function compareRanges(buf: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  const la = a1 - a0;
  const lb = b1 - b0;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const x = buf[a0 + i];
    const y = buf[b0 + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  if (la === lb) return 0;
  return la < lb ? -1 : 1;
}

function writeItem(w: Writer, v: CborValue, depth: number): void {
  if (typeof v === 'number') {
    if (!isSafeInteger(v)) {
      throw encodeError('nombre non entier ou hors de ±(2^53-1) : ' + v + ' (flottants non pris en charge)');
    }
    writeInt(w, v);
  } else if (typeof v === 'string') {
    writeText(w, v);
  } else if (v === false) {
    ensure(w, 1);
    w.buf[w.pos++] = 0xf4;
  } else if (v === true) {
    ensure(w, 1);
    w.buf[w.pos++] = 0xf5;
  } else if (v === null) {
    ensure(w, 1);
    w.buf[w.pos++] = 0xf6;
  } else if (v instanceof Uint8Array) {
    writeHead(w, 2, v.length);
    ensure(w, v.length);
    w.buf.set(v, w.pos);
    w.pos += v.length;
  } else if (Array.isArray(v)) {
    if (depth >= CBOR_MAX_DEPTH)
      throw encodeError('imbrication plus profonde que ' + CBOR_MAX_DEPTH + ' niveaux');
    writeHead(w, 4, v.length);
    for (let i = 0; i < v.length; i++) writeItem(w, v[i], depth + 1);
  } else if (v instanceof CborMap) {
    if (depth >= CBOR_MAX_DEPTH)
      throw encodeError('imbrication plus profonde que ' + CBOR_MAX_DEPTH + ' niveaux');
    writeMap(w, v, depth + 1);
  } else {
    throw encodeError('valeur non encodable (' + typeof v + ')');
  }
}

function writeMap(w: Writer, m: CborMap, depth: number): void {
  const keys = m.keys;
  const values = m.values;
  const n = keys.length;
  if (values.length !== n) throw encodeError('table avec ' + n + ' clés mais ' + values.length + ' valeurs');
  writeHead(w, 5, n);
  const start = w.pos;
  // Fast path: keys already in canonical order (how our own messages are built). Each key is written
  // in place and compared with the previous one; the first out-of-order key sends us to the slow path.
  let prevStart = -1;
  let prevEnd = -1;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const ks = w.pos;
    writeKey(w, keys[i]);
    const ke = w.pos;
    if (prevStart >= 0) {
      const c = compareRanges(w.buf, prevStart, prevEnd, ks, ke);
      if (c === 0) throw encodeError('clé de table en double');
      if (c > 0) {
        sorted = false;
        break;
      }
    }
    writeItem(w, values[i], depth);
    prevStart = ks;
    prevEnd = ke;
  }
  if (sorted) return;
  // Slow path: encode every key apart, sort the encodings (RFC 8949 §4.2.1), then write the pairs.
  w.pos = start;
  const enc: Uint8Array[] = [];
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    writeKey(w, keys[i]);
    enc.push(new Uint8Array(w.buf.subarray(start, w.pos)));
    order.push(i);
    w.pos = start;
  }
  order.sort(function (a: number, b: number): number {
    return compareBytes(enc[a], enc[b]);
  });
  for (let j = 0; j < n; j++) {
    const i = order[j];
    if (j > 0 && compareBytes(enc[order[j - 1]], enc[i]) === 0) throw encodeError('clé de table en double');
    const k = enc[i];
    ensure(w, k.length);
    w.buf.set(k, w.pos);
    w.pos += k.length;
    writeItem(w, values[i], depth);
  }
}

// Exact encoded size of a valid value, computed before writing so that the output is allocated once,
// at its final size: no doubling, no final copy (on the host, typed arrays above 64 bytes are costly
// to allocate; on Espruino, peak memory is the output itself). Invalid values are left to writeItem,
// which throws; only the depth is checked here, so that a cyclic value cannot recurse forever.
function sizeOf(v: CborValue, depth: number): number {
  if (typeof v === 'number') return headSize(v >= 0 ? v : -1 - v);
  if (typeof v === 'string') {
    const n = utf8Length(v);
    return n < 0 ? 0 : headSize(n) + n;
  }
  if (v === true || v === false || v === null) return 1;
  if (v instanceof Uint8Array) return headSize(v.length) + v.length;
  if (Array.isArray(v)) {
    if (depth >= CBOR_MAX_DEPTH)
      throw encodeError('imbrication plus profonde que ' + CBOR_MAX_DEPTH + ' niveaux');
    let s = headSize(v.length);
    for (let i = 0; i < v.length; i++) s += sizeOf(v[i], depth + 1);
    return s;
  }
  if (v instanceof CborMap) {
    if (depth >= CBOR_MAX_DEPTH)
      throw encodeError('imbrication plus profonde que ' + CBOR_MAX_DEPTH + ' niveaux');
    const n = v.keys.length;
    let s = headSize(n);
    for (let i = 0; i < n; i++) s += sizeOf(v.keys[i], depth + 1) + sizeOf(v.values[i], depth + 1);
    return s;
  }
  return 0;
}

/**
 * Deterministic encoding of `value` (RFC 8949 §4.2.1). Throws a plain object
 * `{ code: 'CBOR_ENCODE_UNSUPPORTED', message }` for values outside the subset: non-integer numbers,
 * NaN, integers beyond ±(2^53-1), undefined and other JS values, map keys other than integers and text,
 * duplicate keys, strings with lone surrogates, nesting deeper than CBOR_MAX_DEPTH.
 */
export function cborEncode(value: CborValue): Uint8Array {
  const w: Writer = { buf: new Uint8Array(sizeOf(value, 0)), pos: 0 };
  writeItem(w, value, 0);
  if (w.pos === w.buf.length) return w.buf;
  return new Uint8Array(w.buf.subarray(0, w.pos));
}

// ---------------------------------------------------------------------------------------------------
// Decoder

type Reader = {
  b: Uint8Array;
  pos: number;
  end: number;
  maxDepth: number;
  code: string;
  message: string;
  offset: number;
  // Argument of the head just read by readArg (valid when readArg returned true).
  arg: number;
};

// Returned by the item readers when r.code holds an error; a fresh object, equal to no decoded value.
const FAIL: CborValue = new CborMap();

function fail(r: Reader, code: string, message: string, offset: number): CborValue {
  r.code = code;
  r.message = message + " à l'octet " + offset;
  r.offset = offset;
  return FAIL;
}

// Names of the major-7 items we refuse, for the messages (RFC 8949 §3.3).
function simpleName(ai: number, next: number): string {
  if (ai === 23) return 'valeur « undefined »';
  if (ai === 25) return 'nombre flottant demi-précision';
  if (ai === 26) return 'nombre flottant simple précision';
  if (ai === 27) return 'nombre flottant double précision';
  if (ai === 31) return "marqueur de fin « break » hors d'un élément de longueur indéfinie";
  if (ai === 24) return next >= 0 ? 'valeur simple ' + next : 'valeur simple';
  return 'valeur simple ' + ai;
}

const MAJOR_NAMES = [
  'entier positif',
  'entier négatif',
  "chaîne d'octets",
  'texte',
  'tableau',
  'table',
  'étiquette',
  'valeur simple',
];

// Tag number for the message, when it is in the initial byte or the next one (RFC 8949 §3.4).
function tagHint(r: Reader, ai: number, head: number): string {
  if (ai < 24) return '' + ai;
  if (ai === 24 && head + 1 < r.end) return '' + r.b[head + 1];
  return '?';
}

// Reads the argument of the head whose initial byte is at `head` (additional info `ai` already known to
// be 0..27) into r.arg, checking it is in the shortest form (RFC 8949 §4.2.1). Values above 2^53-1 set
// r.arg to -1: integers reject them (CBOR_INT_RANGE), and a length that large exceeds any input.
// Returns false, with r.code set, on truncation or a non-shortest form.
function readArg(r: Reader, major: number, ai: number, head: number): boolean {
  if (ai < 24) {
    r.arg = ai;
    return true;
  }
  const b = r.b;
  const p = r.pos;
  // 1, 2, 4 or 8 argument bytes for ai 24..27 (RFC 8949 §3).
  const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 8;
  if (p + size > r.end) {
    fail(r, 'CBOR_TRUNCATED', 'CBOR tronqué', r.end);
    return false;
  }
  let v: number;
  let shortest: boolean;
  if (size === 1) {
    v = b[p];
    shortest = v >= 24;
  } else if (size === 2) {
    v = b[p] * 256 + b[p + 1];
    shortest = v >= 0x100;
  } else if (size === 4) {
    // Multiplications, not `<< 24`: the result may exceed 2^31.
    v = ((b[p] * 256 + b[p + 1]) * 256 + b[p + 2]) * 256 + b[p + 3];
    shortest = v >= 0x10000;
  } else {
    const hi = ((b[p] * 256 + b[p + 1]) * 256 + b[p + 2]) * 256 + b[p + 3];
    const lo = ((b[p + 4] * 256 + b[p + 5]) * 256 + b[p + 6]) * 256 + b[p + 7];
    // hi === 0: the value fits in 4 bytes, so the 8-byte form is not the shortest.
    shortest = hi !== 0;
    v = hi > MAX_SAFE_HIGH_WORD ? -1 : hi * TWO_POW_32 + lo;
  }
  if (!shortest) {
    fail(
      r,
      'CBOR_NON_CANONICAL',
      (major < 2 ? 'entier' : 'longueur') + ' non canonique (forme courte exigée)',
      head,
    );
    return false;
  }
  r.pos = p + size;
  r.arg = v;
  return true;
}

// Reads one item at r.pos; `depth` is the number of arrays/maps around it. Returns FAIL with r.code set
// on the first problem found.
function readItem(r: Reader, depth: number): CborValue {
  const head = r.pos;
  if (head >= r.end) return fail(r, 'CBOR_TRUNCATED', 'CBOR tronqué', head);
  const ib = r.b[head];
  const major = ib >> 5;
  const ai = ib & 0x1f;
  r.pos = head + 1;

  if (major === 7) {
    // RFC 8949 §3.3: only false, true and null are in our subset.
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return null;
    if (ai >= 28 && ai <= 30)
      return fail(r, 'CBOR_MALFORMED', 'information additionnelle réservée (28 à 30)', head);
    const next = ai === 24 && head + 1 < r.end ? r.b[head + 1] : -1;
    return fail(r, 'CBOR_UNSUPPORTED', 'CBOR non pris en charge (' + simpleName(ai, next) + ')', head);
  }
  if (ai >= 28 && ai <= 30) {
    // RFC 8949 §3: additional information 28-30 is reserved, the item is not well-formed.
    return fail(r, 'CBOR_MALFORMED', 'information additionnelle réservée (28 à 30)', head);
  }
  if (ai === 31) {
    // RFC 8949 §3.2: indefinite length exists only for majors 2-5; for 0, 1 and 6 it is malformed.
    if (major >= 2 && major <= 5) {
      return fail(r, 'CBOR_INDEFINITE', 'longueur indéfinie interdite (' + MAJOR_NAMES[major] + ')', head);
    }
    return fail(r, 'CBOR_MALFORMED', MAJOR_NAMES[major] + ' avec information additionnelle 31', head);
  }
  if (major === 6) {
    return fail(
      r,
      'CBOR_UNSUPPORTED',
      'CBOR non pris en charge (étiquette, tag ' + tagHint(r, ai, head) + ')',
      head,
    );
  }
  if (!readArg(r, major, ai, head)) return FAIL;
  const n = r.arg;

  if (major === 0) {
    if (n < 0) return fail(r, 'CBOR_INT_RANGE', 'entier hors de ±(2^53-1)', head);
    return n;
  }
  if (major === 1) {
    // Value is -1 - n; n = 2^53-1 would give -2^53, beyond the safe range.
    if (n < 0 || n >= CBOR_MAX_SAFE_UINT) return fail(r, 'CBOR_INT_RANGE', 'entier hors de ±(2^53-1)', head);
    return -1 - n;
  }
  const remaining = r.end - r.pos;
  if (major === 2 || major === 3) {
    if (n < 0 || n > remaining) {
      return fail(
        r,
        'CBOR_LENGTH',
        'longueur déclarée (' + (n < 0 ? '> 2^53' : n) + ') au-delà des données',
        head,
      );
    }
    const s = r.pos;
    r.pos = s + n;
    // A copy, so that the value neither keeps the whole input alive nor changes if the caller reuses
    // its buffer (subarray + copy: typed-array slice() returns a plain Array on Espruino).
    if (major === 2) return new Uint8Array(r.b.subarray(s, s + n));
    const text = utf8DecodeRange(r.b, s, s + n);
    if (text === null) return fail(r, 'CBOR_UTF8', 'texte UTF-8 mal formé', head);
    return text;
  }
  if (depth >= r.maxDepth) {
    return fail(r, 'CBOR_DEPTH', 'imbrication plus profonde que ' + r.maxDepth + ' niveaux', head);
  }
  if (major === 4) {
    // Each item takes at least one byte: reject before allocating anything.
    if (n < 0 || n > remaining) {
      return fail(
        r,
        'CBOR_LENGTH',
        'tableau de ' + (n < 0 ? '> 2^53' : n) + ' éléments au-delà des données',
        head,
      );
    }
    const arr: CborValue[] = [];
    for (let i = 0; i < n; i++) {
      const item = readItem(r, depth + 1);
      if (item === FAIL) return FAIL;
      arr.push(item);
    }
    return arr;
  }
  // major === 5: each pair takes at least two bytes.
  if (n < 0 || n > remaining / 2) {
    return fail(r, 'CBOR_LENGTH', 'table de ' + (n < 0 ? '> 2^53' : n) + ' paires au-delà des données', head);
  }
  const keys: CborValue[] = [];
  const values: CborValue[] = [];
  let prevStart = -1;
  let prevEnd = -1;
  for (let i = 0; i < n; i++) {
    const ks = r.pos;
    if (ks < r.end) {
      const km = r.b[ks] >> 5;
      if (km !== 0 && km !== 1 && km !== 3) {
        return fail(
          r,
          'CBOR_MAP_KEY',
          'clé de table de type ' + MAJOR_NAMES[km] + ' (entier ou texte exigé)',
          ks,
        );
      }
    }
    const key = readItem(r, depth + 1);
    if (key === FAIL) return FAIL;
    const ke = r.pos;
    // The key was decoded strictly, so its input bytes are its canonical encoding: compare those
    // (RFC 8949 §4.2.1 bytewise lexicographic order).
    if (prevStart >= 0) {
      const c = compareRanges(r.b, prevStart, prevEnd, ks, ke);
      if (c === 0) return fail(r, 'CBOR_MAP_DUPLICATE', 'clé de table en double', ks);
      if (c > 0) return fail(r, 'CBOR_MAP_ORDER', 'clés de table non triées', ks);
    }
    prevStart = ks;
    prevEnd = ke;
    const val = readItem(r, depth + 1);
    if (val === FAIL) return FAIL;
    keys.push(key);
    values.push(val);
  }
  return new CborMap(keys, values);
}

function makeReader(bytes: Uint8Array, start: number, maxDepth: number | undefined): Reader {
  // maxDepth may only lower the limit: the encoder never produces deeper values, and the limit is
  // what bounds the recursion.
  let md = CBOR_MAX_DEPTH;
  if (typeof maxDepth === 'number' && maxDepth >= 0 && maxDepth < CBOR_MAX_DEPTH) md = Math.floor(maxDepth);
  return { b: bytes, pos: start, end: bytes.length, maxDepth: md, code: '', message: '', offset: 0, arg: 0 };
}

/**
 * Decodes exactly one item filling `bytes`. Never throws; see the file header for what is accepted.
 * `maxDepth` (default CBOR_MAX_DEPTH) can only lower the nesting limit.
 */
export function cborDecode(bytes: Uint8Array, maxDepth?: number): CborDecodeResult {
  if (!(bytes instanceof Uint8Array)) {
    return {
      ok: false,
      code: 'CBOR_MALFORMED',
      message: "entrée qui n'est pas un tableau d'octets",
      offset: 0,
    };
  }
  const r = makeReader(bytes, 0, maxDepth);
  const value = readItem(r, 0);
  if (value === FAIL) return { ok: false, code: r.code, message: r.message, offset: r.offset };
  if (r.pos !== r.end) {
    return {
      ok: false,
      code: 'CBOR_TRAILING',
      message: "octets en trop après la fin du CBOR, à l'octet " + r.pos,
      offset: r.pos,
    };
  }
  return { ok: true, value: value };
}

/**
 * Decodes one item starting at `start` and reports where it ends; bytes after it are left alone (for
 * stream and log readers). Never throws. CBOR_TRUNCATED and CBOR_LENGTH both mean the input ends
 * before the item does (a stream reader may wait for more bytes, up to its own size limit).
 */
export function cborDecodePrefix(
  bytes: Uint8Array,
  start: number,
  maxDepth?: number,
): CborDecodePrefixResult {
  if (!(bytes instanceof Uint8Array)) {
    return {
      ok: false,
      code: 'CBOR_MALFORMED',
      message: "entrée qui n'est pas un tableau d'octets",
      offset: 0,
    };
  }
  if (typeof start !== 'number' || start !== Math.floor(start) || start < 0 || start > bytes.length) {
    return {
      ok: false,
      code: 'CBOR_MALFORMED',
      message: 'position de départ invalide : ' + start,
      offset: 0,
    };
  }
  const r = makeReader(bytes, start, maxDepth);
  const value = readItem(r, 0);
  if (value === FAIL) return { ok: false, code: r.code, message: r.message, offset: r.offset };
  return { ok: true, value: value, end: r.pos };
}
