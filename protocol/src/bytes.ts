// Small byte helpers shared by the protocol modules.
//
// Written in the Espruino subset (../../shared/espruino/FACTS.md): no TextEncoder/TextDecoder, no
// Uint8Array.from, no `.slice()` on typed arrays (it returns a plain Array on Espruino), and no
// arithmetic that relies on 32-bit shifts of values that may exceed 2^31.
//
// Text: on most Espruino boards JS strings are 8-bit, so a non-ASCII string does not hold the same
// code units there as on the host. The protocol therefore keeps its text ASCII; the UTF-8 helpers
// below are still exact for any well-formed string, so that the host and the tests are strict.

const HEX_DIGITS = '0123456789abcdef';

/** Lower-case hexadecimal of `u8`, two digits per byte. */
export function toHex(u8: Uint8Array): string {
  let s = '';
  for (let i = 0; i < u8.length; i++) {
    const b = u8[i];
    s += HEX_DIGITS.charAt(b >> 4) + HEX_DIGITS.charAt(b & 15);
  }
  return s;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // '0'..'9'
  if (c >= 97 && c <= 102) return c - 87; // 'a'..'f'
  if (c >= 65 && c <= 70) return c - 55; // 'A'..'F'
  return -1;
}

/**
 * Bytes of a hexadecimal string (either case, no separators). A programmer helper for constants and
 * tests: it throws a plain object `{ code: 'HEX_INVALID', message }` on odd length or a non-hex digit.
 */
export function fromHex(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 2 !== 0) {
    throw { code: 'HEX_INVALID', message: 'chaîne hexadécimale de longueur impaire ou absente' };
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(s.charCodeAt(2 * i));
    const lo = hexNibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      throw {
        code: 'HEX_INVALID',
        message: 'caractère non hexadécimal à la position ' + (hi < 0 ? 2 * i : 2 * i + 1),
      };
    }
    out[i] = hi * 16 + lo;
  }
  return out;
}

/** One new array holding the arrays of `list` one after the other. */
export function concatBytes(list: Uint8Array[]): Uint8Array {
  let total = 0;
  for (let i = 0; i < list.length; i++) total += list[i].length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < list.length; i++) {
    out.set(list[i], pos);
    pos += list[i].length;
  }
  return out;
}

/** True when `a` and `b` hold the same bytes. Not constant-time: do not compare secrets with it. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/**
 * Bytewise lexicographic order (-1, 0 or 1): the first differing byte decides, and a proper prefix
 * sorts first. This is the key order of RFC 8949 §4.2.1 when applied to encoded map keys.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  if (a.length === b.length) return 0;
  return a.length < b.length ? -1 : 1;
}

/**
 * Number of UTF-8 bytes needed for `s` (RFC 3629), or -1 if `s` holds a lone UTF-16 surrogate, which
 * has no UTF-8 form.
 */
export function utf8Length(s: string): number {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      n += 1;
    } else if (c < 0x800) {
      n += 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A high surrogate must be followed by a low one; together they make one 4-byte sequence.
      if (c >= 0xdc00 || i + 1 >= len) return -1;
      const d = s.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return -1;
      n += 4;
      i++;
    } else {
      n += 3;
    }
  }
  return n;
}

/**
 * Writes the UTF-8 form of `s` into `out` from `pos` and returns the position after it. The caller has
 * checked `utf8Length(s) >= 0` and made room for that many bytes.
 */
export function utf8Write(s: string, out: Uint8Array, pos: number): number {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[pos++] = c;
    } else if (c < 0x800) {
      out[pos++] = 0xc0 | (c >> 6);
      out[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // Surrogate pair → code point U+10000..U+10FFFF (RFC 3629 §3, 4 bytes).
      c = 0x10000 + (c - 0xd800) * 1024 + (s.charCodeAt(++i) - 0xdc00);
      out[pos++] = 0xf0 | (c >> 18);
      out[pos++] = 0x80 | ((c >> 12) & 0x3f);
      out[pos++] = 0x80 | ((c >> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    } else {
      out[pos++] = 0xe0 | (c >> 12);
      out[pos++] = 0x80 | ((c >> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/**
 * UTF-8 bytes of `s`. A string holding a lone surrogate is a programmer error (it has no UTF-8 form, and
 * silently replacing it by U+FFFD would change the data): it throws `{ code: 'UTF8_LONE_SURROGATE' }`.
 */
export function utf8Encode(s: string): Uint8Array {
  const n = utf8Length(s);
  if (n < 0) {
    throw { code: 'UTF8_LONE_SURROGATE', message: 'la chaîne contient un demi-caractère UTF-16 isolé' };
  }
  const out = new Uint8Array(n);
  utf8Write(s, out, 0);
  return out;
}

/**
 * Decodes `u8[start..end)` as strict UTF-8 (RFC 3629 §4): returns null for overlong forms, UTF-16
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF, stray continuation bytes and truncated
 * sequences. The caller guarantees 0 <= start <= end <= u8.length.
 */
export function utf8DecodeRange(u8: Uint8Array, start: number, end: number): string | null {
  let s = '';
  let i = start;
  while (i < end) {
    const b0 = u8[i];
    if (b0 < 0x80) {
      s += String.fromCharCode(b0);
      i++;
      continue;
    }
    let cp: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      // 2 bytes; 0xc0 and 0xc1 would be overlong forms of ASCII.
      if (i + 1 >= end) return null;
      const b1 = u8[i + 1];
      if ((b1 & 0xc0) !== 0x80) return null;
      cp = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
      i += 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      // 3 bytes; after 0xe0 the second byte must be >= 0xa0 (no overlong), after 0xed it must be
      // <= 0x9f (no surrogates).
      if (i + 2 >= end) return null;
      const b1 = u8[i + 1];
      const b2 = u8[i + 2];
      const lo = b0 === 0xe0 ? 0xa0 : 0x80;
      const hi = b0 === 0xed ? 0x9f : 0xbf;
      if (b1 < lo || b1 > hi || (b2 & 0xc0) !== 0x80) return null;
      cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      i += 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      // 4 bytes; after 0xf0 the second byte must be >= 0x90 (no overlong), after 0xf4 it must be
      // <= 0x8f (nothing above U+10FFFF).
      if (i + 3 >= end) return null;
      const b1 = u8[i + 1];
      const b2 = u8[i + 2];
      const b3 = u8[i + 3];
      const lo = b0 === 0xf0 ? 0x90 : 0x80;
      const hi = b0 === 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80) return null;
      cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      i += 4;
      // Code points above U+FFFF are a UTF-16 surrogate pair in a JS string.
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      continue;
    } else {
      // 0x80..0xc1 (continuation byte or overlong lead) and 0xf5..0xff never start a sequence.
      return null;
    }
    s += String.fromCharCode(cp);
  }
  return s;
}

/** Strict UTF-8 decoding of the whole array; null if it is not well-formed (see utf8DecodeRange). */
export function utf8Decode(u8: Uint8Array): string | null {
  return utf8DecodeRange(u8, 0, u8.length);
}
