// A minimal transport-level virtual NTAG215/216 (CardTransport over an in-memory page array) for the
// core's tests, with tear injection: "fail the Nth page write from now, leaving that page old, new or
// garbled", after which the card has left the field until `present = true` again. The drivers helper's
// test/sim/virtual-ntag.ts models more (weak pages, NXP signature); this one is enough for the core.

import { CARD_GONE, CardFailure, CardTarget, CardTransport } from '../../firmware/src/hal/devices';
import {
  CHIP_NTAG215,
  CHIP_NTAG216,
  CardLayout,
  PAGE_BYTES,
  encodeCardHeader,
} from '../../protocol/src/card';

export const TEAR_OLD = 'old';
export const TEAR_NEW = 'new';
export const TEAR_GARBLED = 'garbled';
/** The new bytes are in but weakly programmed: the next read gives them, every later read a garbled
 * value, until the page is written again (the worst case of "weak" bits for a reader that commits). */
export const TEAR_WEAK_ONCE = 'weak-once';

function gone(): CardFailure {
  return { error: CARD_GONE, detail: 'carte absente' };
}

export class CardMemory implements CardTransport {
  uid: Uint8Array;
  chip: number;
  pages: Uint8Array;
  present = true;
  /** Index (0-based, counted from the last arm()) of the page write that tears; -1 = none. */
  tearAt = -1;
  tearMode = TEAR_OLD;
  writesSinceArm = 0;
  pageWrites = 0;
  commands = 0;
  /** Pages torn TEAR_WEAK_ONCE: how many reads they have served. */
  weak: { [page: number]: number } = {};

  constructor(uid: Uint8Array, chip: number) {
    this.uid = uid;
    this.chip = chip;
    const n = chip === CHIP_NTAG216 ? 231 : 135;
    this.pages = new Uint8Array(n * PAGE_BYTES);
    this.pages.set(uid.subarray(0, 3), 0);
    this.pages.set(uid.subarray(3, 7), 4);
  }

  /** Tear the n-th page write from now (0 = the next one). */
  arm(n: number, mode: string): void {
    this.tearAt = n;
    this.tearMode = mode;
    this.writesSinceArm = 0;
  }

  clone(): CardMemory {
    const c = new CardMemory(this.uid, this.chip);
    c.pages = new Uint8Array(this.pages);
    return c;
  }

  lastPage(): number {
    return this.pages.length / PAGE_BYTES - 1;
  }

  detect(): CardTarget | null | CardFailure {
    this.commands++;
    return this.present ? { uid: this.uid } : null;
  }

  getVersion(): Uint8Array | CardFailure {
    this.commands++;
    if (!this.present) return gone();
    return new Uint8Array([0x00, 0x04, 0x04, 0x02, 0x01, 0x00, this.chip, 0x03]);
  }

  read(page: number): Uint8Array | CardFailure {
    this.commands++;
    if (!this.present) return gone();
    const out = new Uint8Array(16);
    const n = this.lastPage() + 1;
    for (let i = 0; i < 4; i++)
      out.set(this.pages.subarray(((page + i) % n) * 4, ((page + i) % n) * 4 + 4), i * 4);
    return out;
  }

  fastRead(start: number, end: number): Uint8Array | CardFailure {
    this.commands++;
    if (!this.present) return gone();
    if (start > end || end > this.lastPage()) return { error: 'CARD_NAK', detail: 'adresse hors carte' };
    const out = new Uint8Array(this.pages.subarray(start * 4, (end + 1) * 4));
    for (const k of Object.keys(this.weak)) {
      const p = Number(k);
      if (p < start || p > end) continue;
      if (this.weak[p]++ > 0) for (let i = 0; i < 4; i++) out[(p - start) * 4 + i] ^= 0x24;
    }
    return out;
  }

  write(page: number, data: Uint8Array): null | CardFailure {
    this.commands++;
    if (!this.present) return gone();
    if (page < 4 || page > this.lastPage() || data.length !== 4) return { error: 'CARD_NAK', detail: 'page' };
    const at = this.writesSinceArm++;
    if (at === this.tearAt) {
      this.tearAt = -1;
      if (this.tearMode === TEAR_NEW) this.pages.set(data, page * 4);
      if (this.tearMode === TEAR_WEAK_ONCE) {
        this.pages.set(data, page * 4);
        this.weak[page] = 0;
      }
      if (this.tearMode === TEAR_GARBLED) {
        for (let i = 0; i < 4; i++) this.pages[page * 4 + i] = data[i] ^ 0x5a;
      }
      this.present = false;
      return gone();
    }
    this.pages.set(data, page * 4);
    delete this.weak[page];
    this.pageWrites++;
    return null;
  }

  readSignature(): Uint8Array | CardFailure {
    this.commands++;
    if (!this.present) return gone();
    return new Uint8Array(32);
  }
}

/** A card as the desk issues it (SPEC.md §12): voucher envelope in its region, header written last. */
export function issueCard(uid: Uint8Array, layout: CardLayout, voucherEnvelope: Uint8Array): CardMemory {
  const c = new CardMemory(uid, layout.chip);
  c.pages.set(voucherEnvelope, layout.voucher.firstPage * PAGE_BYTES);
  c.pages.set(encodeCardHeader(layout.chip, 0), layout.header.firstPage * PAGE_BYTES);
  return c;
}

export { CHIP_NTAG215, CHIP_NTAG216 };
