import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  compareBytes,
  concatBytes,
  fromHex,
  toHex,
  utf8Decode,
  utf8DecodeRange,
  utf8Encode,
  utf8Length,
} from './bytes';

const SEED = 0xb17e5;
console.log(`bytes.test.ts: fast-check seed ${SEED}`);

// The host's own strict UTF-8 codec, as the reference (BOM kept: it is an ordinary code point here).
const refDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function refDecode(u8: Uint8Array): string | null {
  try {
    return refDecoder.decode(u8);
  } catch {
    return null;
  }
}

describe('hex', () => {
  it('round-trips and matches Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (u) => {
        const h = toHex(u);
        expect(h).toBe(Buffer.from(u).toString('hex'));
        expect(bytesEqual(fromHex(h), u)).toBe(true);
        expect(bytesEqual(fromHex(h.toUpperCase()), u)).toBe(true);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('throws a plain object on bad hex', () => {
    for (const bad of ['0', 'abc', 'zz', '0g', ' 00', '0x00', 'é0']) {
      let thrown: unknown;
      try {
        fromHex(bad);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, bad).toMatchObject({ code: 'HEX_INVALID' });
    }
    expect(fromHex('').length).toBe(0);
  });
});

describe('concat, equal, compare', () => {
  it('concatBytes joins in order', () => {
    expect(toHex(concatBytes([fromHex('01'), fromHex(''), fromHex('0203')]))).toBe('010203');
    expect(concatBytes([]).length).toBe(0);
  });

  it('bytesEqual and compareBytes agree with Buffer.compare', () => {
    const small = fc.uint8Array({ maxLength: 6 }).map((u) => u.map((b) => b & 3)); // many ties and prefixes
    fc.assert(
      fc.property(small, small, (a, b) => {
        const ref = Buffer.compare(Buffer.from(a), Buffer.from(b));
        expect(compareBytes(a, b)).toBe(ref);
        expect(bytesEqual(a, b)).toBe(ref === 0);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    expect(compareBytes(fromHex('61'), fromHex('6161'))).toBe(-1); // a prefix sorts first
    expect(compareBytes(fromHex('ff'), fromHex('0000'))).toBe(1); // the first byte decides
  });
});

describe('UTF-8', () => {
  it('encodes like TextEncoder on well-formed strings, and decodes back', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const u = utf8Encode(s);
        expect(toHex(u)).toBe(toHex(enc.encode(s)));
        expect(utf8Length(s)).toBe(u.length);
        expect(utf8Decode(u)).toBe(s);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('refuses lone surrogates when encoding', () => {
    for (const s of ['\ud800', '\udc00', 'a\ud83d', '\ud83da', '\ude00\ud83d']) {
      expect(utf8Length(s)).toBe(-1);
      expect(() => utf8Encode(s)).toThrow();
      let thrown: unknown;
      try {
        utf8Encode(s);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject({ code: 'UTF8_LONE_SURROGATE' });
    }
    expect(toHex(utf8Encode('\ud83d\ude00'))).toBe('f09f9880');
  });

  it('decodes boundaries and rejects every ill-formed sequence of RFC 3629', () => {
    const good: Array<[string, string]> = [
      ['7f', '\u007f'],
      ['c280', '\u0080'],
      ['dfbf', '\u07ff'],
      ['e0a080', '\u0800'],
      ['ed9fbf', '\ud7ff'],
      ['ee8080', '\ue000'],
      ['efbfbf', '\uffff'],
      ['efbbbf', '\ufeff'],
      ['f0908080', '\u{10000}'],
      ['f48fbfbf', '\u{10ffff}'],
      ['00', '\u0000'],
    ];
    for (const [hex, s] of good) expect(utf8Decode(fromHex(hex)), hex).toBe(s);
    const bad = [
      '80', // lone continuation
      'bf',
      'c0af', // overlong
      'c1bf',
      'e080af',
      'e09fbf',
      'f08080af',
      'f08fbfbf',
      'eda080', // surrogates
      'edbfbf',
      'f4908080', // > U+10FFFF
      'f5808080',
      'ff',
      'fe',
      'c2', // truncated
      'e0a0',
      'f09080',
      'c241', // continuation missing
      'e0a041',
      'f0908041',
    ];
    for (const hex of bad) expect(utf8Decode(fromHex(hex)), hex).toBeNull();
  });

  it('agrees with the strict TextDecoder on random bytes', () => {
    const biased = fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom(0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x9f, 0xa0, 0x8f, 0x90),
        ),
        { maxLength: 12 },
      )
      .map((a) => new Uint8Array(a));
    fc.assert(
      fc.property(biased, (u) => {
        expect(utf8Decode(u)).toBe(refDecode(u));
      }),
      { seed: SEED, numRuns: 20000 },
    );
  });

  it('utf8DecodeRange reads only its range', () => {
    const u = fromHex('ff6162ff');
    expect(utf8DecodeRange(u, 1, 3)).toBe('ab');
    expect(utf8DecodeRange(fromHex('e282ac'), 0, 2)).toBeNull(); // the range cuts the sequence
  });
});
