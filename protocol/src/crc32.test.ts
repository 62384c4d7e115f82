import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import zlib from 'node:zlib';
import { crc32 } from './crc32';

const SEED = 0x0c4c32;

function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

describe('crc32 (IEEE 802.3)', () => {
  it('gives the catalogue check value for "123456789" (CRC-32/ISO-HDLC)', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('matches Espruino E.CRC32("abc") (FACTS.md)', () => {
    expect(crc32(ascii('abc'))).toBe(0x352441c2);
  });

  it('is 0 for no bytes (init and final XOR cancel)', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('returns unsigned values above 2^31', () => {
    // 0xff: CRC-32 is 0xFF000000, whose top bit is set.
    const v = crc32(new Uint8Array([0xff]));
    expect(v).toBe(zlib.crc32(Buffer.from([0xff])));
    expect(v).toBeGreaterThan(0x7fffffff);
  });

  it('checks a sub-range without copying', () => {
    const data = ascii('xx123456789yy');
    expect(crc32(data, 2, 11)).toBe(0xcbf43926);
    expect(crc32(data, 5, 5)).toBe(0);
  });

  it('equals node:zlib.crc32 on random inputs (fixed seed)', () => {
    console.log('crc32 vs zlib seed', SEED);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
        expect(crc32(data)).toBe(zlib.crc32(data));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('equals node:zlib.crc32 on every sub-range of a random buffer', () => {
    const data = new Uint8Array(64);
    for (let i = 0; i < data.length; i++) data[i] = (i * 151 + 7) & 0xff;
    for (let a = 0; a <= data.length; a++) {
      for (let b = a; b <= data.length; b++) {
        expect(crc32(data, a, b)).toBe(zlib.crc32(data.subarray(a, b)));
      }
    }
  });
});
