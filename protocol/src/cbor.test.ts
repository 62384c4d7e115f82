// Unit, conformance and property tests of the CBOR codec (cbor.ts). The fuzz suite is cbor.fuzz.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CBOR_DECODE_CODES,
  CBOR_MAX_DEPTH,
  CBOR_MAX_SAFE_UINT,
  CborMap,
  cborDecode,
  cborDecodePrefix,
  cborEncode,
} from './cbor';
import type { CborValue } from './cbor';
import { compareBytes, fromHex, toHex } from './bytes';
import { cborValueEqual, crossCheck } from './node/cbor-crosscheck';
import { makeFuzzInput, makeRng } from '../scripts/fuzz-cbor';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const APPENDIX_A = path.join(repoRoot, '..', 'shared', 'vectors', 'cbor_appendix_a.json');

// Fixed seed of every fast-check property in this file (printed so that a failure can be replayed).
const SEED = 0x0c0b0e5;
console.log(`cbor.test.ts: fast-check seed ${SEED}`);

// ---------------------------------------------------------------------------------------------------
// Helpers

function decodeHex(hex: string, maxDepth?: number) {
  return cborDecode(fromHex(hex), maxDepth);
}

function encodeHex(v: CborValue): string {
  return toHex(cborEncode(v));
}

// What cborEncode threw (undefined if it did not throw).
function encodeThrown(v: unknown): unknown {
  try {
    cborEncode(v as CborValue);
  } catch (e) {
    return e;
  }
  return undefined;
}

const BOUNDARY_INTS = [
  0,
  1,
  23,
  24,
  255,
  256,
  65535,
  65536,
  4294967295,
  4294967296,
  CBOR_MAX_SAFE_UINT - 1,
  CBOR_MAX_SAFE_UINT,
];

const intArb = fc
  .oneof(
    fc.integer({ min: -30, max: 300 }),
    fc.constantFrom(...BOUNDARY_INTS, ...BOUNDARY_INTS.map((n) => -n)),
    fc.integer(),
    fc.maxSafeInteger(),
  )
  .map((n) => (n === 0 ? 0 : n)); // no -0: it encodes as 0 and would not compare equal after a round trip

const textArb = fc.string({ unit: 'binary', maxLength: 40 }); // any code point, well-formed
const keyArb = fc.oneof(intArb, textArb);

/** Random CborValue nested at most `maxDepth` levels (arrays and maps). */
function cborArb(maxDepth: number, int: fc.Arbitrary<number>): fc.Arbitrary<CborValue> {
  const scalar: fc.Arbitrary<CborValue> = fc.oneof(
    int,
    textArb,
    fc.uint8Array({ maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
  );
  const key = fc.oneof(int, textArb);
  return fc.letrec<{ value: CborValue; array: CborValue[]; map: CborMap }>((tie) => ({
    value: fc.oneof({ maxDepth: maxDepth, depthIdentifier: 'cbor' }, scalar, tie('array'), tie('map')),
    array: fc.array(tie('value'), { maxLength: 5, depthIdentifier: 'cbor' }),
    map: fc
      .uniqueArray(fc.tuple(key, tie('value')), {
        selector: (e) => e[0],
        maxLength: 5,
        depthIdentifier: 'cbor',
      })
      .map(
        (entries) =>
          new CborMap(
            entries.map((e) => e[0]),
            entries.map((e) => e[1]),
          ),
      ),
  })).value;
}

// Checks that the keys of every map in `v` are in strictly increasing order of their encodings.
function mapsCanonical(v: CborValue): boolean {
  if (Array.isArray(v)) return v.every(mapsCanonical);
  if (v instanceof CborMap) {
    for (let i = 1; i < v.keys.length; i++) {
      if (compareBytes(cborEncode(v.keys[i - 1]), cborEncode(v.keys[i])) >= 0) return false;
    }
    return v.values.every(mapsCanonical);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// 1. RFC 8949 Appendix A

type AppendixItem = { hex: string; roundtrip: boolean; decoded?: unknown; diagnostic?: string };

// Expected verdict of an Appendix A item, found from its bytes by a walker independent of the decoder:
// the first construct outside our subset in document order, or 'OK'. Appendix A only holds
// well-formed items, so the walker need not detect truncation.
function classify(b: Uint8Array): string {
  let p = 0;
  const item = (): string => {
    const ib = b[p++];
    const major = ib >> 5;
    const ai = ib & 31;
    if (major === 7) return ai >= 20 && ai <= 22 ? 'OK' : 'CBOR_UNSUPPORTED'; // false/true/null only
    if (major === 6) return 'CBOR_UNSUPPORTED'; // tags
    if (ai === 31) return 'CBOR_INDEFINITE';
    let n = BigInt(ai);
    if (ai >= 24) {
      const size = 1 << (ai - 24);
      n = 0n;
      for (let i = 0; i < size; i++) n = n * 256n + BigInt(b[p++]);
      const min = [24n, 256n, 65536n, 4294967296n][ai - 24];
      if (n < min) return 'CBOR_NON_CANONICAL';
    }
    if (major === 0 && n > 2n ** 53n - 1n) return 'CBOR_INT_RANGE';
    if (major === 1 && n > 2n ** 53n - 2n) return 'CBOR_INT_RANGE';
    if (major === 2 || major === 3) {
      const s = b.subarray(p, p + Number(n));
      p += Number(n);
      if (major === 3) {
        try {
          new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(s);
        } catch {
          return 'CBOR_UTF8';
        }
      }
    }
    if (major === 4) {
      for (let i = 0n; i < n; i++) {
        const r = item();
        if (r !== 'OK') return r;
      }
    }
    if (major === 5) {
      let prev: Uint8Array | null = null;
      for (let i = 0n; i < n; i++) {
        const ks = p;
        if (![0, 1, 3].includes(b[p] >> 5)) return 'CBOR_MAP_KEY';
        const r = item();
        if (r !== 'OK') return r;
        const k = b.subarray(ks, p);
        if (prev && compareBytes(prev, k) === 0) return 'CBOR_MAP_DUPLICATE';
        if (prev && compareBytes(prev, k) > 0) return 'CBOR_MAP_ORDER';
        prev = k;
        const rv = item();
        if (rv !== 'OK') return rv;
      }
    }
    return 'OK';
  };
  const r = item();
  return r === 'OK' && p !== b.length ? 'CBOR_TRAILING' : r;
}

// Expected value from the JSON `decoded` field: JSON objects are maps with text keys, in their order.
function fromJson(v: unknown): CborValue {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object') {
    const m = new CborMap();
    for (const k of Object.keys(v)) {
      m.keys.push(k);
      m.values.push(fromJson((v as Record<string, unknown>)[k]));
    }
    return m;
  }
  return v as CborValue;
}

// Expected value from the `diagnostic` field (RFC 8949 §8), for the few accepted items that only have
// one: integers, h'..' byte strings, "text", [..] and {k: v, ..}.
function fromDiagnostic(s: string): CborValue {
  let p = 0;
  const ws = () => {
    while (s[p] === ' ') p++;
  };
  const value = (): CborValue => {
    ws();
    if (s.startsWith("h'", p)) {
      const end = s.indexOf("'", p + 2);
      const hex = s.slice(p + 2, end);
      p = end + 1;
      return fromHex(hex);
    }
    if (s[p] === '"') {
      const end = s.indexOf('"', p + 1);
      const t = s.slice(p + 1, end);
      p = end + 1;
      return t;
    }
    if (s[p] === '[' || s[p] === '{') {
      const isMap = s[p] === '{';
      const close = isMap ? '}' : ']';
      p++;
      const keys: CborValue[] = [];
      const values: CborValue[] = [];
      ws();
      while (s[p] !== close) {
        const first = value();
        ws();
        if (isMap) {
          if (s[p] !== ':') throw new Error('diagnostic: ":" attendu dans ' + s);
          p++;
          keys.push(first);
          values.push(value());
        } else {
          values.push(first);
        }
        ws();
        if (s[p] === ',') p++;
        ws();
      }
      p++;
      return isMap ? new CborMap(keys, values) : values;
    }
    const m = /^-?\d+/.exec(s.slice(p));
    if (!m) throw new Error('diagnostic non pris en charge par le test : ' + s);
    p += m[0].length;
    return Number(m[0]);
  };
  const v = value();
  if (p !== s.length) throw new Error('diagnostic: reste « ' + s.slice(p) + ' »');
  return v;
}

describe('RFC 8949 Appendix A', () => {
  const items = JSON.parse(fs.readFileSync(APPENDIX_A, 'utf8')) as AppendixItem[];

  it('accepts exactly the items of our subset, with the expected value, and rejects the rest by reason', () => {
    const tally: Record<string, number> = {};
    const expectedTally: Record<string, number> = {};
    for (const item of items) {
      const bytes = fromHex(item.hex);
      const expected = classify(bytes);
      expectedTally[expected] = (expectedTally[expected] || 0) + 1;
      const res = cborDecode(bytes);
      const got = res.ok ? 'OK' : res.code;
      tally[got] = (tally[got] || 0) + 1;
      expect(got, `${item.hex} (${item.diagnostic ?? JSON.stringify(item.decoded)})`).toBe(expected);
      if (res.ok) {
        const want = 'decoded' in item ? fromJson(item.decoded) : fromDiagnostic(item.diagnostic as string);
        expect(cborValueEqual(res.value, want, true), item.hex).toBe(true);
        // Every accepted item is already in deterministic form: re-encoding gives the same bytes.
        expect(item.roundtrip).toBe(true);
        expect(encodeHex(res.value)).toBe(item.hex);
      }
    }
    console.log(`Appendix A: ${items.length} items; verdicts ${JSON.stringify(tally)}`);
    expect(tally).toEqual(expectedTally);
    // The same counts, as read off the appendix by hand: 35 items in the subset (integers up to 10^12,
    // false/true/null, byte and text strings, arrays, maps); 2 integers beyond ±(2^53-1); 34
    // unsupported (22 floats, undefined, 3 simple values, 8 tags incl. the two bignums); 11
    // indefinite-length items. Appendix A has no item of our subset in non-shortest or unsorted form,
    // so NON_CANONICAL and MAP_ORDER do not appear here (they are tested by hand below).
    expect(tally).toEqual({ OK: 35, CBOR_INT_RANGE: 2, CBOR_UNSUPPORTED: 34, CBOR_INDEFINITE: 11 });
  });

  it('agrees with cbor-x on every item', () => {
    for (const item of items) {
      const r = crossCheck(fromHex(item.hex));
      expect(r.ok, r.detail).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Cross-check with cbor-x

describe('cross-check with cbor-x', () => {
  it('cbor-x decodes every encoding of ours to the same value', () => {
    fc.assert(
      fc.property(cborArb(4, intArb), (v) => {
        const r = crossCheck(cborEncode(v));
        if (!r.ok) throw new Error(r.detail);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('encodes like cbor-x where cbor-x is deterministic (integers below 2^32, no floats)', () => {
    // cbor-x writes integers of 2^32 and above as float64, so they are left out; maps are given to it
    // in our canonical key order (it keeps insertion order).
    const cborx = new Encoder({
      useRecords: false,
      mapsAsObjects: false,
      tagUint8Array: false,
      variableMapSize: true,
    });
    const toCborX = (v: CborValue): unknown => {
      if (Array.isArray(v)) return v.map(toCborX);
      if (v instanceof CborMap) return new Map(v.keys.map((k, i) => [k, toCborX(v.values[i])]));
      return v;
    };
    const int32 = fc.integer({ min: -4294967296, max: 4294967295 });
    fc.assert(
      fc.property(cborArb(4, int32), (v) => {
        const ours = cborEncode(v);
        const canonical = cborDecode(ours);
        if (!canonical.ok) throw new Error(canonical.code);
        expect(toHex(cborx.encode(toCborX(canonical.value)))).toBe(toHex(ours));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('agrees with cbor-x on 20,000 fuzz inputs (accepts: same value; not well-formed: both refuse)', () => {
    const rng = makeRng(SEED);
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const bytes = makeFuzzInput(rng).bytes;
      const r = crossCheck(bytes);
      expect(r.ok, r.detail).toBe(true);
      if (r.detail === undefined) accepted++;
    }
    console.log(`cbor-x cross-check: ${accepted} of 20000 fuzz inputs accepted by both`);
    expect(accepted).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------------------------------
// 3. Strictness: every rejection code, limits, truncations

describe('strict decoding', () => {
  // [input hex, expected offset, why]
  const cases: Record<string, Array<[string, number, string]>> = {
    CBOR_TRUNCATED: [
      ['', 0, 'empty input'],
      ['18', 1, '1-byte argument missing'],
      ['1901', 2, '2-byte argument cut'],
      ['1a000100', 4, '4-byte argument cut'],
      ['1b00000001000000', 8, '8-byte argument cut'],
      ['828101', 3, 'second array item missing'],
      ['a1011901', 4, 'map value cut inside its argument'],
    ],
    CBOR_LENGTH: [
      ['4401', 0, 'byte string of 4 with 1 byte left'],
      ['6461', 0, 'text of 4 with 1 byte left'],
      ['830102', 0, 'array of 3 with 2 bytes left'],
      ['a20102', 0, 'map of 2 pairs with 2 bytes left'],
      ['8182', 1, 'nested array of 2 with nothing left'],
      ['5b001fffffffffffff', 0, 'byte string of 2^53-1 bytes'],
      ['5bffffffffffffffff', 0, 'byte string of 2^64-1 bytes'],
      ['9a7fffffff', 0, 'array of 2^31-1 items'],
      ['9bffffffffffffffff', 0, 'array of 2^64-1 items'],
      ['bb0000000100000000', 0, 'map of 2^32 pairs'],
    ],
    CBOR_TRAILING: [
      ['0000', 1, 'two items'],
      ['8000', 1, 'byte after an array'],
      ['f6ff', 1, 'break after null'],
    ],
    CBOR_MALFORMED: [
      ['1c', 0, 'major 0, additional info 28'],
      ['3d', 0, 'major 1, additional info 29'],
      ['5e', 0, 'major 2, additional info 30'],
      ['fc', 0, 'major 7, additional info 28'],
      ['1f', 0, 'indefinite unsigned integer'],
      ['3f', 0, 'indefinite negative integer'],
      ['df', 0, 'indefinite tag'],
      ['811c', 1, 'reserved inside an array'],
    ],
    CBOR_NON_CANONICAL: [
      ['1817', 0, '23 on 1 byte'],
      ['1900ff', 0, '255 on 2 bytes'],
      ['1a0000ffff', 0, '65535 on 4 bytes'],
      ['1b00000000ffffffff', 0, '2^32-1 on 8 bytes'],
      ['3817', 0, '-24 on 1 byte'],
      ['5800', 0, 'empty byte string, length on 1 byte'],
      ['780161', 0, 'text length on 1 byte'],
      ['9800', 0, 'empty array, count on 1 byte'],
      ['b90000', 0, 'empty map, count on 2 bytes'],
      ['821817', 1, 'inside an array'],
    ],
    CBOR_INDEFINITE: [
      ['5fff', 0, 'byte string'],
      ['7fff', 0, 'text string'],
      ['9fff', 0, 'array'],
      ['bfff', 0, 'map'],
      ['819f01ff', 1, 'nested array'],
    ],
    CBOR_INT_RANGE: [
      ['1b0020000000000000', 0, '2^53'],
      ['1bffffffffffffffff', 0, '2^64-1'],
      ['3b001fffffffffffff', 0, '-2^53'],
      ['3bffffffffffffffff', 0, '-2^64'],
    ],
    CBOR_UTF8: [
      ['61ff', 0, 'byte 0xff'],
      ['6180', 0, 'lone continuation byte'],
      ['62c0af', 0, 'overlong 2-byte "/"'],
      ['63e080af', 0, 'overlong 3-byte'],
      ['64f08080af', 0, 'overlong 4-byte'],
      ['63eda080', 0, 'surrogate U+D800'],
      ['64f4908080', 0, 'U+110000'],
      ['62c341', 0, 'missing continuation byte'],
      ['62e282', 0, 'text ends inside a 3-byte sequence'],
    ],
    CBOR_MAP_KEY: [
      ['a14000', 1, 'byte string key'],
      ['a1f500', 1, 'true as key'],
      ['a1f600', 1, 'null as key'],
      ['a18000', 1, 'array key'],
      ['a1a000', 1, 'map key'],
      ['a1c000', 1, 'tagged key'],
      ['a1f90000', 1, 'float key'],
    ],
    CBOR_MAP_ORDER: [
      ['a202000100', 3, '{2, 1}'],
      ['a21818001700', 4, '{24, 23}: shorter encoding first'],
      ['a220000000', 3, '{-1, 0}: major 0 before major 1'],
      ['a26161000100', 4, '{"a", 1}: integers before text'],
      ['a262616100616200', 5, '{"aa", "b"}: shorter encoding first'],
    ],
    CBOR_MAP_DUPLICATE: [
      ['a201000100', 3, '{1, 1}'],
      ['a3616100616200616201', 7, '{"a", "b", "b"}'],
    ],
    CBOR_DEPTH: [
      ['81'.repeat(CBOR_MAX_DEPTH + 1) + '00', CBOR_MAX_DEPTH, 'one array too deep'],
      ['a100'.repeat(CBOR_MAX_DEPTH + 1) + '00', 2 * CBOR_MAX_DEPTH, 'one map too deep'],
    ],
    CBOR_UNSUPPORTED: [
      ['c000', 0, 'tag 0'],
      ['d8200000', 0, 'tag 32'],
      ['f90000', 0, 'half float'],
      ['fa00000000', 0, 'single float'],
      ['fb0000000000000000', 0, 'double float'],
      ['f7', 0, 'undefined'],
      ['f0', 0, 'simple(16)'],
      ['f820', 0, 'simple(32)'],
      ['ff', 0, 'break outside an indefinite item'],
      ['8201f7', 2, 'undefined inside an array'],
    ],
  };

  it('has a hand-made case for every code the decoder can return', () => {
    expect(Object.keys(cases).sort()).toEqual([...CBOR_DECODE_CODES].sort());
  });

  for (const code of Object.keys(cases)) {
    it(`rejects with ${code}`, () => {
      for (const [hex, offset, why] of cases[code]) {
        const res = decodeHex(hex);
        expect(res, `${hex} (${why})`).toMatchObject({ ok: false, code: code, offset: offset });
        if (!res.ok) expect(res.message).toContain(`à l'octet ${offset}`);
      }
    });
  }

  it('writes French messages naming what was found', () => {
    const msg = (hex: string) => {
      const r = decodeHex(hex);
      return r.ok ? '' : r.message;
    };
    expect(msg('828101')).toBe("CBOR tronqué à l'octet 3");
    expect(msg('821817')).toBe("entier non canonique (forme courte exigée) à l'octet 1");
    expect(msg('5800')).toBe("longueur non canonique (forme courte exigée) à l'octet 0");
    expect(msg('a202000100')).toBe("clés de table non triées à l'octet 3");
    expect(msg('a201000100')).toBe("clé de table en double à l'octet 3");
    expect(msg('f93c00')).toBe("CBOR non pris en charge (nombre flottant demi-précision) à l'octet 0");
    expect(msg('c11a514b67b0')).toBe("CBOR non pris en charge (étiquette, tag 1) à l'octet 0");
    expect(msg('f7')).toBe("CBOR non pris en charge (valeur « undefined ») à l'octet 0");
    expect(msg('9fff')).toBe("longueur indéfinie interdite (tableau) à l'octet 0");
    expect(msg('0000')).toBe("octets en trop après la fin du CBOR, à l'octet 1");
  });

  it(`accepts exactly CBOR_MAX_DEPTH (${CBOR_MAX_DEPTH}) nested arrays and maps, not one more`, () => {
    let deepest: CborValue = 0;
    for (let i = 0; i < CBOR_MAX_DEPTH; i++) deepest = [deepest];
    const atMax = cborEncode(deepest);
    expect(toHex(atMax)).toBe('81'.repeat(CBOR_MAX_DEPTH) + '00');
    expect(cborDecode(atMax).ok).toBe(true);
    expect(decodeHex('a100'.repeat(CBOR_MAX_DEPTH) + '00').ok).toBe(true);
    expect(decodeHex('81'.repeat(CBOR_MAX_DEPTH + 1) + '00')).toMatchObject({
      ok: false,
      code: 'CBOR_DEPTH',
    });
    expect(encodeThrown([deepest])).toMatchObject({ code: 'CBOR_ENCODE_UNSUPPORTED' });
    expect(encodeThrown(new CborMap([0], [deepest]))).toMatchObject({ code: 'CBOR_ENCODE_UNSUPPORTED' });
  });

  it('lets maxDepth lower the limit, never raise it', () => {
    expect(decodeHex('8100', 1).ok).toBe(true);
    expect(decodeHex('818100', 1)).toMatchObject({ ok: false, code: 'CBOR_DEPTH', offset: 1 });
    expect(decodeHex('80', 0)).toMatchObject({ ok: false, code: 'CBOR_DEPTH', offset: 0 });
    expect(decodeHex('00', 0).ok).toBe(true);
    const tooDeep = '81'.repeat(CBOR_MAX_DEPTH + 1) + '00';
    expect(decodeHex(tooDeep, 1000)).toMatchObject({ ok: false, code: 'CBOR_DEPTH' });
  });

  it('accepts ±(2^53-1) and rejects ±2^53 in both directions', () => {
    expect(encodeHex(CBOR_MAX_SAFE_UINT)).toBe('1b001fffffffffffff');
    expect(encodeHex(-CBOR_MAX_SAFE_UINT)).toBe('3b001ffffffffffffe');
    expect(decodeHex('1b001fffffffffffff')).toEqual({ ok: true, value: CBOR_MAX_SAFE_UINT });
    expect(decodeHex('3b001ffffffffffffe')).toEqual({ ok: true, value: -CBOR_MAX_SAFE_UINT });
    expect(decodeHex('1b0020000000000000')).toMatchObject({ ok: false, code: 'CBOR_INT_RANGE' });
    expect(decodeHex('3b001fffffffffffff')).toMatchObject({ ok: false, code: 'CBOR_INT_RANGE' });
    expect(encodeThrown(CBOR_MAX_SAFE_UINT + 1)).toMatchObject({ code: 'CBOR_ENCODE_UNSUPPORTED' });
    expect(encodeThrown(-CBOR_MAX_SAFE_UINT - 1)).toMatchObject({ code: 'CBOR_ENCODE_UNSUPPORTED' });
  });

  it('encodes every argument size boundary in its shortest form', () => {
    const table: Array<[number, string]> = [
      [0, '00'],
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [4294967295, '1affffffff'],
      [4294967296, '1b0000000100000000'],
      [-1, '20'],
      [-24, '37'],
      [-25, '3818'],
      [-256, '38ff'],
      [-257, '390100'],
      [-65537, '3a00010000'],
      [-4294967296, '3affffffff'],
      [-4294967297, '3b0000000100000000'],
    ];
    for (const [n, hex] of table) {
      expect(encodeHex(n), String(n)).toBe(hex);
      expect(decodeHex(hex), hex).toEqual({ ok: true, value: n });
    }
    expect(encodeHex(-0)).toBe('00'); // -0 from integer arithmetic is the integer 0
    expect(encodeHex(new Uint8Array(24))).toBe('5818' + '00'.repeat(24));
    expect(encodeHex('a'.repeat(256))).toBe('790100' + '61'.repeat(256));
    const big = new Uint8Array(70000);
    expect(toHex(cborEncode(big).subarray(0, 5))).toBe('5a00011170'); // 70000 = 0x11170, 4-byte length
  });

  it('sorts map keys by their encodings and refuses what cannot be encoded', () => {
    const m = new CborMap(['b', 'a', 10, -1, 'aa', 100], [1, 2, 3, 4, 5, 6]);
    // 0a < 1864 < 20 < 6161 < 6162 < 626161 (RFC 8949 §4.2.1 bytewise order of the encoded keys)
    expect(encodeHex(m)).toBe('a6' + '0a03' + '186406' + '2004' + '616102' + '616201' + '62616105');
    expect(encodeHex(new CborMap([1, 2], ['x', 'y']))).toBe('a2' + '016178' + '026179');
    const refused: Array<[unknown, string]> = [
      [1.5, 'float'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [undefined, 'undefined'],
      [{}, 'plain object'],
      [new Uint16Array(2), 'other typed array'],
      [BigInt(1), 'BigInt'],
      ['\ud800', 'lone surrogate'],
      [['ok', 'a\udc00b'], 'lone low surrogate inside an array'],
      [new CborMap([1.5], [0]), 'float key'],
      [new CborMap([true], [0]), 'boolean key'],
      [new CborMap([new Uint8Array(1)], [0]), 'byte string key'],
      [new CborMap([2 ** 53], [0]), 'unsafe integer key'],
      [new CborMap([1, 1], [0, 0]), 'duplicate adjacent keys'],
      [new CborMap(['b', 'a', 'b'], [0, 0, 0]), 'duplicate keys, unsorted'],
      [new CborMap([0, -0], [0, 0]), '0 and -0 are the same key'],
      [new CborMap([1, 2], [0]), 'keys without values'],
    ];
    for (const [v, why] of refused) {
      const e = encodeThrown(v);
      expect(e, why).toMatchObject({ code: 'CBOR_ENCODE_UNSUPPORTED' });
      expect(e, why).not.toBeInstanceOf(Error);
      expect(typeof (e as { message: unknown }).message, why).toBe('string');
    }
    const cyclic: CborValue[] = [];
    cyclic.push(cyclic);
    expect(encodeThrown(cyclic)).toMatchObject({ code: 'CBOR_ENCODE_UNSUPPORTED' });
  });

  it('rejects every truncation of valid encodings with TRUNCATED or LENGTH ("needs more bytes")', () => {
    const check = (v: CborValue) => {
      const b = cborEncode(v);
      for (let k = 0; k < b.length; k++) {
        const res = cborDecode(b.subarray(0, k));
        if (res.ok || (res.code !== 'CBOR_TRUNCATED' && res.code !== 'CBOR_LENGTH')) {
          throw new Error(`prefix ${k} of ${toHex(b)}: ${JSON.stringify(res)}`);
        }
        const pre = cborDecodePrefix(b.subarray(0, k), 0);
        expect(pre.ok).toBe(false);
      }
    };
    check([
      1,
      'é€水\u{10151}',
      new Uint8Array(30),
      new CborMap([1, 'k'], [[null, true, false], -70000]),
      2 ** 40,
    ]);
    fc.assert(fc.property(cborArb(4, intArb), check), { seed: SEED, numRuns: 500 });
  });

  it('cborDecodePrefix decodes one item from a position and reports its end', () => {
    const b = fromHex('01' + '820203' + '6161' + 'f6');
    expect(cborDecodePrefix(b, 0)).toEqual({ ok: true, value: 1, end: 1 });
    expect(cborDecodePrefix(b, 1)).toEqual({ ok: true, value: [2, 3], end: 4 });
    expect(cborDecodePrefix(b, 4)).toEqual({ ok: true, value: 'a', end: 6 });
    expect(cborDecodePrefix(b, 6)).toEqual({ ok: true, value: null, end: 7 });
    expect(cborDecodePrefix(b, 7)).toMatchObject({ ok: false, code: 'CBOR_TRUNCATED', offset: 7 });
    expect(cborDecodePrefix(b, 2)).toEqual({ ok: true, value: 2, end: 3 });
    for (const bad of [-1, 8, 1.5, NaN]) {
      expect(cborDecodePrefix(b, bad)).toMatchObject({ ok: false, code: 'CBOR_MALFORMED' });
    }
    expect(cborDecodePrefix(fromHex('818181818100'), 0, 2)).toMatchObject({ ok: false, code: 'CBOR_DEPTH' });
  });

  it('never throws on inputs that are not byte arrays', () => {
    for (const v of [null, undefined, 'a0', [0], {}]) {
      expect(cborDecode(v as unknown as Uint8Array)).toMatchObject({ ok: false, code: 'CBOR_MALFORMED' });
      expect(cborDecodePrefix(v as unknown as Uint8Array, 0)).toMatchObject({
        ok: false,
        code: 'CBOR_MALFORMED',
      });
    }
  });

  it('returns byte strings as copies, and accepts a Buffer or a subarray as input', () => {
    const input = fromHex('43010203');
    const res = cborDecode(input);
    if (!res.ok) throw new Error(res.code);
    input[1] = 9;
    expect(toHex(res.value as Uint8Array)).toBe('010203');
    expect((res.value as Uint8Array).buffer.byteLength).toBe(3);
    expect(cborDecode(Buffer.from('820102', 'hex'))).toEqual({ ok: true, value: [1, 2] });
    expect(cborDecode(fromHex('ff820102ff').subarray(1, 4))).toEqual({ ok: true, value: [1, 2] });
  });

  it('CborMap.get finds a value by key', () => {
    const m = new CborMap([1, 'a'], ['un', 'A']);
    expect(m.get(1)).toBe('un');
    expect(m.get('a')).toBe('A');
    expect(m.get('1')).toBeUndefined();
    expect(new CborMap().keys).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// 4. Round trip and canonicality

describe('round trip and determinism', () => {
  it('decode(encode(v)) equals v, with sorted maps, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(cborArb(5, intArb), (v) => {
        const bytes = cborEncode(v);
        const res = cborDecode(bytes);
        if (!res.ok) throw new Error(`${res.code}: ${res.message} in ${toHex(bytes)}`);
        expect(cborValueEqual(v, res.value, false)).toBe(true);
        expect(mapsCanonical(res.value)).toBe(true);
        expect(toHex(cborEncode(res.value))).toBe(toHex(bytes));
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('the encoding does not depend on the order in which map keys were given', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(keyArb, intArb), { selector: (e) => e[0], maxLength: 8 }),
        (entries) => {
          const a = new CborMap(
            entries.map((e) => e[0]),
            entries.map((e) => e[1]),
          );
          const rev = [...entries].reverse();
          const b = new CborMap(
            rev.map((e) => e[0]),
            rev.map((e) => e[1]),
          );
          expect(toHex(cborEncode(a))).toBe(toHex(cborEncode(b)));
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('every decodable byte string is the encoding of its value (random bytes and random heads)', () => {
    let decoded = 0;
    const heads = fc.constantFrom(
      0x18,
      0x19,
      0x1a,
      0x1b,
      0x38,
      0x41,
      0x58,
      0x61,
      0x78,
      0x82,
      0x98,
      0xa1,
      0xa2,
      0xb8,
      0xf5,
    );
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc
        .array(fc.oneof(heads, fc.integer({ min: 0, max: 255 })), { maxLength: 24 })
        .map((a) => new Uint8Array(a)),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const res = cborDecode(bytes);
        if (res.ok) {
          decoded++;
          expect(toHex(cborEncode(res.value))).toBe(toHex(bytes));
        }
      }),
      { seed: SEED, numRuns: 20000 },
    );
    console.log(`canonicality: ${decoded} of 20000 random inputs decoded, each re-encoded to itself`);
    expect(decoded).toBeGreaterThan(500);
  });
});
