// Card layout for NTAG215 and NTAG216 (SPEC.md §12). Page numbers from the NXP NTAG213/215/216
// datasheet §8.5 (memory organisation): user memory starts at page 4; NTAG215 ends at page 0x81 (129),
// NTAG216 at page 0xE1 (225); the pages after are lock/configuration bytes that carnet never writes.

import { Verdict, failVerdict, okVerdict } from './verdict';
import { MAX_SLOT_BYTES, MAX_VOUCHER_BYTES } from './limits';

/** NTAG pages are 4 bytes (datasheet §8.5). */
export const PAGE_BYTES = 4;
/** First user page on every NTAG21x (datasheet §8.5: pages 0-2 UID/lock, page 3 capability container). */
export const FIRST_USER_PAGE = 4;
/** GET_VERSION storage-size bytes (datasheet §10.1, table "GET_VERSION response"). */
export const CHIP_NTAG215 = 0x11;
export const CHIP_NTAG216 = 0x13;

export const CARD_MAGIC_0 = 0x43; // 'C'
export const CARD_MAGIC_1 = 0x4e; // 'N'
export const CARD_LAYOUT_VERSION = 1;
export const CARD_HEADER_BYTES = 8;
/** Header flag bit 0: pages write-protected by the fund's card password (SPEC.md §12.4). */
export const CARD_FLAG_WRITE_PROTECTED = 1;
/** Receipts ring entries on NTAG216 (SPEC.md §12.3): 96 pages / 4 pages per entry. */
export const RECEIPT_RING_ENTRIES = 24;
export const RECEIPT_ENTRY_BYTES = 16;

export interface CardRegion {
  name: string;
  firstPage: number;
  pages: number;
}

export interface CardLayout {
  chip: number;
  chipName: string;
  lastUserPage: number;
  header: CardRegion;
  voucher: CardRegion;
  slotA: CardRegion;
  slotB: CardRegion;
  receipts: CardRegion | null;
}

function region(name: string, firstPage: number, pages: number): CardRegion {
  return { name: name, firstPage: firstPage, pages: pages };
}

// Voucher 40 pages (160 B) and slots 42 pages (168 B) each: a v1 voucher envelope is at most 138 B and
// a state envelope at most 137 B, so each region keeps room for future fields, and both slots are equal so a
// reader alternates between them with the same code.
export const NTAG215_LAYOUT: CardLayout = {
  chip: CHIP_NTAG215,
  chipName: 'NTAG215',
  lastUserPage: 0x81,
  header: region('header', 4, 2),
  voucher: region('voucher', 6, MAX_VOUCHER_BYTES / PAGE_BYTES),
  slotA: region('slot A', 46, MAX_SLOT_BYTES / PAGE_BYTES),
  slotB: region('slot B', 88, MAX_SLOT_BYTES / PAGE_BYTES),
  receipts: null,
};

export const NTAG216_LAYOUT: CardLayout = {
  chip: CHIP_NTAG216,
  chipName: 'NTAG216',
  lastUserPage: 0xe1,
  header: NTAG215_LAYOUT.header,
  voucher: NTAG215_LAYOUT.voucher,
  slotA: NTAG215_LAYOUT.slotA,
  slotB: NTAG215_LAYOUT.slotB,
  receipts: region('receipts', 130, (RECEIPT_RING_ENTRIES * RECEIPT_ENTRY_BYTES) / PAGE_BYTES),
};

export function layoutForChip(chip: number): CardLayout | null {
  if (chip === CHIP_NTAG215) return NTAG215_LAYOUT;
  if (chip === CHIP_NTAG216) return NTAG216_LAYOUT;
  return null;
}

/** Regions of a layout in page order. */
export function layoutRegions(l: CardLayout): CardRegion[] {
  const out = [l.header, l.voucher, l.slotA, l.slotB];
  if (l.receipts !== null) out.push(l.receipts);
  return out;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout); check("123456789") = 0x29B1. */
export function crc16(data: Uint8Array, start: number, end: number): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= data[i] << 8;
    for (let b = 0; b < 8; b++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

export interface CardHeader {
  version: number;
  chip: number;
  flags: number;
}

export function encodeCardHeader(chip: number, flags: number): Uint8Array {
  const h = new Uint8Array(CARD_HEADER_BYTES);
  h[0] = CARD_MAGIC_0;
  h[1] = CARD_MAGIC_1;
  h[2] = CARD_LAYOUT_VERSION;
  h[3] = chip;
  h[4] = flags;
  h[5] = 0;
  const crc = crc16(h, 0, 6);
  h[6] = crc >> 8;
  h[7] = crc & 0xff;
  return h;
}

/** Decodes the 8 header bytes (pages 4-5). Never throws. */
export function decodeCardHeader(h: Uint8Array): Verdict<CardHeader> {
  if (h.length < CARD_HEADER_BYTES || h[0] !== CARD_MAGIC_0 || h[1] !== CARD_MAGIC_1) {
    return failVerdict('CARD_NO_HEADER', 'carte vierge ou incomplète : pas d’en-tête carnet');
  }
  if (crc16(h, 0, 6) !== h[6] * 256 + h[7]) return failVerdict('CARD_HEADER_CRC', 'en-tête de carte abîmé');
  if (h[2] !== CARD_LAYOUT_VERSION) {
    return failVerdict('CARD_LAYOUT_VERSION', 'format de carte ' + h[2] + ' inconnu de ce lecteur');
  }
  if (layoutForChip(h[3]) === null || h[5] !== 0 || (h[4] & ~CARD_FLAG_WRITE_PROTECTED) !== 0) {
    return failVerdict('CARD_CHIP', 'en-tête de carte incohérent');
  }
  return okVerdict({ version: h[2], chip: h[3], flags: h[4] });
}

/** Bytes of a region out of a dump of the user memory starting at page 4. */
export function regionOf(userMemory: Uint8Array, r: CardRegion): Uint8Array {
  const start = (r.firstPage - FIRST_USER_PAGE) * PAGE_BYTES;
  return userMemory.subarray(start, start + r.pages * PAGE_BYTES);
}

/** Number of pages needed to write `byteLength` bytes at the start of a region. */
export function pagesToWrite(byteLength: number): number {
  return Math.floor((byteLength + PAGE_BYTES - 1) / PAGE_BYTES);
}

/** User memory size in bytes of a layout's chip. */
export function userMemoryBytes(l: CardLayout): number {
  return (l.lastUserPage - FIRST_USER_PAGE + 1) * PAGE_BYTES;
}

/** Markdown table of a layout's page ranges, as printed in SPEC.md §12.2 (a test keeps them equal). */
export function layoutTable(l: CardLayout): string {
  const lines = ['| ' + l.chipName + ' pages | hex | bytes | region |', '|---|---|---:|---|'];
  const regions = layoutRegions(l);
  let used = 0;
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i];
    const last = r.firstPage + r.pages - 1;
    lines.push(
      '| ' +
        r.firstPage +
        '–' +
        last +
        ' | 0x' +
        hex2(r.firstPage) +
        '–0x' +
        hex2(last) +
        ' | ' +
        r.pages * PAGE_BYTES +
        ' | ' +
        r.name +
        ' |',
    );
    used += r.pages * PAGE_BYTES;
  }
  lines.push('| | | ' + used + ' of ' + userMemoryBytes(l) + ' | user memory used |');
  return lines.join('\n');
}

function hex2(n: number): string {
  const s = n.toString(16).toUpperCase();
  return s.length < 2 ? '0' + s : s;
}
