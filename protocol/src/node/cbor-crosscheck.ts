// Host-only cross-check of our CBOR decoder (../cbor.ts) against cbor-x, an independent
// implementation. Not bundled for the reader: it may use any Node/ES feature.
//
// What "agree" means, given that cbor-x is a lenient general-purpose decoder and ours is strict:
//   - when we accept bytes, cbor-x must decode them to the same value (maps → Map in the same order,
//     byte strings → Buffer/Uint8Array, 8-byte integers → BigInt that we compare as numbers);
//   - when we reject bytes as not well-formed (RFC 8949 §3 / Appendix F: truncated, a length beyond
//     the input, trailing bytes, reserved additional information), cbor-x must reject them too;
//   - our other rejections (non-shortest forms, key order, duplicates, bad UTF-8, tags, floats, simple
//     values, indefinite lengths, depth, range) are our profile's choices: cbor-x may accept those.

import { Decoder } from 'cbor-x';
import { CborMap, cborDecode } from '../cbor';
import type { CborValue } from '../cbor';
import { bytesEqual, toHex } from '../bytes';

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

// Verdicts that say the bytes are not well-formed CBOR at all, so every decoder must refuse them.
const NOT_WELL_FORMED = ['CBOR_TRUNCATED', 'CBOR_LENGTH', 'CBOR_TRAILING', 'CBOR_MALFORMED'];

/**
 * Structural equality of two CborValues. With `orderedMaps`, maps must list the same pairs in the same
 * order (what a decoder returns); without, maps are compared as sets of pairs (what a caller builds).
 */
export function cborValueEqual(a: CborValue, b: CborValue, orderedMaps: boolean): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => cborValueEqual(x, b[i], orderedMaps));
  }
  if (a instanceof CborMap && b instanceof CborMap) {
    if (a.keys.length !== b.keys.length || a.values.length !== b.values.length) return false;
    if (orderedMaps) {
      return a.keys.every(
        (k, i) => cborValueEqual(k, b.keys[i], true) && cborValueEqual(a.values[i], b.values[i], true),
      );
    }
    return a.keys.every((k, i) => {
      const j = b.keys.indexOf(k);
      return j >= 0 && cborValueEqual(a.values[i], b.values[j], false);
    });
  }
  return false;
}

// Marks a cbor-x result that has no CborValue form (a BigInt beyond 2^53-1, a Date, a Tag...).
class Unmappable {
  constructor(readonly what: string) {}
}

// cbor-x's output as a CborValue; throws Unmappable when it has no such form.
function fromCborX(v: unknown): CborValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Unmappable('bigint ' + v);
    }
    return Number(v);
  }
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(fromCborX);
  if (v instanceof Map) {
    const m = new CborMap();
    for (const [k, x] of v) {
      m.keys.push(fromCborX(k));
      m.values.push(fromCborX(x));
    }
    return m;
  }
  throw new Unmappable(Object.prototype.toString.call(v) + ' ' + String(v));
}

/** Decodes `bytes` with cbor-x and with our decoder and says whether they agree (see the header). */
export function crossCheck(bytes: Uint8Array): { ok: boolean; detail?: string } {
  const ours = cborDecode(bytes);
  let theirs: unknown;
  let theirError: string | undefined;
  try {
    theirs = decoder.decode(bytes);
  } catch (e) {
    theirError = e instanceof Error ? e.message : String(e);
  }
  if (ours.ok) {
    if (theirError !== undefined) {
      return { ok: false, detail: `carnet accepte, cbor-x refuse (${theirError}) : ${toHex(bytes)}` };
    }
    let conv: CborValue;
    try {
      conv = fromCborX(theirs);
    } catch (e) {
      if (!(e instanceof Unmappable)) throw e;
      return { ok: false, detail: `cbor-x rend ${e.what} : ${toHex(bytes)}` };
    }
    if (!cborValueEqual(ours.value, conv, true)) {
      return { ok: false, detail: `valeurs différentes : ${toHex(bytes)}` };
    }
    return { ok: true };
  }
  if (NOT_WELL_FORMED.includes(ours.code) && theirError === undefined) {
    return { ok: false, detail: `carnet refuse (${ours.code}), cbor-x accepte : ${toHex(bytes)}` };
  }
  return {
    ok: true,
    detail: `refusé par carnet (${ours.code})` + (theirError === undefined ? ', accepté par cbor-x' : ''),
  };
}
