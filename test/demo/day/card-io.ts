// The card desk's CardIo (host/src/desk/card-io.ts) over the simulator's in-memory NTAG image
// (test/sim/card-memory.ts): the desk issues a card into the very bytes the readers' firmware then reads,
// with no PC/SC stack in between (test/desk/pcsc.test.ts covers that stack; here speed matters).

import { CardIo, DeskError, MSG_CARD_GONE } from '../../../host/src/desk/card-io';
import { CHIP_NTAG216, PAGE_BYTES } from '../../../protocol/src/card';
import { CardMemory } from '../../sim/card-memory';

/** First configuration page (CFG0) of each chip: NXP NTAG213/215/216 datasheet §8.5 (table 5). */
const CFG0_NTAG215 = 0x83;
const CFG0_NTAG216 = 0xe3;

/**
 * A blank card as it leaves the factory: CardMemory starts all zeros, but a real tag ships with AUTH0 =
 * 0xFF (no password protection, datasheet §8.5.7) and a capability container in page 3 (§8.5.6). Without
 * AUTH0 = 0xFF the desk would take the card for a write-protected one.
 */
export function blankCard(uid: Uint8Array, chip: number): CardMemory {
  const c = new CardMemory(uid, chip);
  const pages = c.pages.length / PAGE_BYTES;
  c.pages.set([0xe1, 0x10, ((pages - 9) * 4) / 8, 0x00], 3 * PAGE_BYTES);
  const cfg0 = chip === CHIP_NTAG216 ? CFG0_NTAG216 : CFG0_NTAG215;
  c.pages[cfg0 * PAGE_BYTES + 3] = 0xff;
  return c;
}

function failed(x: Uint8Array | { error: string }): x is { error: string } {
  return !(x instanceof Uint8Array);
}

/** The desk's view of a card lying on its USB reader. */
export class MemoryCardIo implements CardIo {
  constructor(readonly card: CardMemory) {}

  uid(): Uint8Array {
    return this.card.uid;
  }

  atr(): Uint8Array | null {
    return null;
  }

  async getVersion(): Promise<Uint8Array | null> {
    const v = this.card.getVersion();
    return failed(v) ? null : v;
  }

  async readSig(): Promise<Uint8Array | null> {
    const s = this.card.readSignature();
    return failed(s) ? null : s;
  }

  async readPages(first: number, count: number): Promise<Uint8Array> {
    const r = this.card.fastRead(first, first + count - 1);
    if (failed(r)) throw new DeskError('CARD_GONE', MSG_CARD_GONE);
    return r;
  }

  async writePage(page: number, data: Uint8Array): Promise<void> {
    const r = this.card.write(page, data);
    if (r !== null) throw new DeskError('CARD_GONE', MSG_CARD_GONE);
  }

  async pwdAuth(): Promise<Uint8Array | null> {
    // The demo's cards are not write-protected (no card secret): a password never matches.
    return null;
  }
}
