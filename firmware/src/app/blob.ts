// Small persistent objects in flash (keys, certificate, configuration, directory, blocklist, run state),
// written so that a power cut at any byte leaves either the old or the new object (issue 4 §4).
//
// Each object has two files, NAME0 and NAME1. A write erases the file NOT holding the current copy, writes
// [generation u32][length u32][CRC-32 u32][payload] and then, in a separate last write, one commit mark byte.
// Reading takes the complete copy (mark present, CRC right) with the highest generation. Until the mark
// is written the old copy stays the valid one: "write new, then switch".

import { FlashStore } from '../hal/devices';
import { crc32 } from '../../../protocol/src/crc32';

/** Bytes before the payload: generation, length, CRC-32 (4 each, big-endian). */
export const BLOB_HEADER_BYTES = 12;
/** Commit mark written last (any value other than erased 0xFF would do; 0xA5 is not a common pattern). */
export const BLOB_MARK = 0xa5;

function putU32(out: Uint8Array, pos: number, v: number): void {
  out[pos] = Math.floor(v / 16777216) & 255;
  out[pos + 1] = (v >>> 16) & 255;
  out[pos + 2] = (v >>> 8) & 255;
  out[pos + 3] = v & 255;
}

export function getU32(b: Uint8Array, pos: number): number {
  return ((b[pos] * 256 + b[pos + 1]) * 256 + b[pos + 2]) * 256 + b[pos + 3];
}

export { putU32 };

interface BlobCopy {
  gen: number;
  payload: Uint8Array;
}

function readCopy(flash: FlashStore, name: string): BlobCopy | null {
  const size = flash.size(name);
  if (size < BLOB_HEADER_BYTES + 1) return null;
  const h = flash.read(name, 0, BLOB_HEADER_BYTES);
  if (h === null) return null;
  const len = getU32(h, 4);
  if (len + BLOB_HEADER_BYTES + 1 > size) return null;
  const mark = flash.read(name, BLOB_HEADER_BYTES + len, 1);
  if (mark === null || mark[0] !== BLOB_MARK) return null;
  const payload = flash.read(name, BLOB_HEADER_BYTES, len);
  if (payload === null || crc32(payload, 0, len) !== getU32(h, 8)) return null;
  return { gen: getU32(h, 0), payload: payload };
}

function best(flash: FlashStore, name: string): { copy: BlobCopy | null; index: number } {
  const a = readCopy(flash, name + '0');
  const b = readCopy(flash, name + '1');
  if (a === null && b === null) return { copy: null, index: -1 };
  if (b === null || (a !== null && a.gen >= b.gen)) return { copy: a, index: 0 };
  return { copy: b, index: 1 };
}

/** The current payload of object `name`, or null when none was ever completely written. */
export function loadBlob(flash: FlashStore, name: string): Uint8Array | null {
  const b = best(flash, name).copy;
  return b === null ? null : b.payload;
}

/** Replaces object `name`. False when the flash has no room (the old copy is still valid then). */
export function saveBlob(flash: FlashStore, name: string, payload: Uint8Array): boolean {
  const cur = best(flash, name);
  const target = name + (cur.index === 0 ? '1' : '0');
  const gen = cur.copy === null ? 1 : cur.copy.gen + 1;
  if (!flash.create(target, BLOB_HEADER_BYTES + payload.length + 1)) return false;
  const out = new Uint8Array(BLOB_HEADER_BYTES + payload.length);
  putU32(out, 0, gen);
  putU32(out, 4, payload.length);
  putU32(out, 8, crc32(payload, 0, payload.length));
  out.set(payload, BLOB_HEADER_BYTES);
  if (!flash.write(target, 0, out)) return false;
  const mark = new Uint8Array(1);
  mark[0] = BLOB_MARK;
  if (!flash.write(target, BLOB_HEADER_BYTES + payload.length, mark)) return false;
  // The older copy is left as it is: erasing it would gain nothing and add one more moment to fail.
  return true;
}

/** Erases both copies (used by tests and by a factory reset). */
export function eraseBlob(flash: FlashStore, name: string): void {
  flash.erase(name + '0');
  flash.erase(name + '1');
}
