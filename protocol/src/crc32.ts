// CRC-32 of the host link frames (SPEC.md, "Host link": frame layout).
//
// The IEEE 802.3 CRC-32 (also zlib's, PNG's and Espruino's native `E.CRC32`): reflected polynomial
// 0xEDB88320, initial value and final XOR 0xFFFFFFFF ("CRC-32" in the Rocksoft/Williams catalogue:
// check value of "123456789" is 0xCBF43926). The firmware may call `E.CRC32` instead; both give the
// same number, which the tests pin against node:zlib.
//
// Espruino subset (../../shared/espruino/FACTS.md): the table is built by a loop at module load, no
// Math.imul, and values that may exceed 2^31 are brought back to unsigned with `>>> 0`. The table is an
// Int32Array (signed words): Espruino keeps 32-bit signed integers unboxed, and XOR works on the
// signed form the same as on the unsigned one.

/** Reflected IEEE 802.3 polynomial (x^32 + x^26 + ... + 1, bit-reversed). */
export const CRC32_POLY_REFLECTED = 0xedb88320;

function buildCrc32Table(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      // One step of the reflected shift register: shift right, XOR the polynomial when bit 0 was set.
      c = c & 1 ? CRC32_POLY_REFLECTED ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c;
  }
  return table;
}

const CRC32_TABLE = buildCrc32Table();

/**
 * CRC-32 (IEEE 802.3) of `data[start..end)`, as an unsigned 32-bit number. `start` and `end` default to
 * the whole array; they let a frame decoder check `bytes[0..n-4)` without copying.
 */
export function crc32(data: Uint8Array, start?: number, end?: number): number {
  const s = start === undefined ? 0 : start;
  const e = end === undefined ? data.length : end;
  let c = -1; // 0xFFFFFFFF, the initial value, in signed form
  for (let i = s; i < e; i++) {
    c = CRC32_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  }
  // Final XOR with 0xFFFFFFFF, then unsigned.
  return ~c >>> 0;
}
