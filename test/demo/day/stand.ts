// A stand of the market: a simulated reader (the firmware's own code, test/sim/reader-sim.ts) on which the
// demo presses keys and lays cards, and the card-side measure of what each operation took: the spend state
// the reader wrote on the card, read back and verified with the readers' public keys. That measure is the
// demo's first witness of the money, independent of the reader's log and of the ledger.

import { hostCrypto } from '../../../protocol/src/node/ed25519';
import { FIRST_USER_PAGE, layoutForChip, regionOf } from '../../../protocol/src/card';
import { signatureValid } from '../../../protocol/src/structures/envelope';
import { SpendState, openStateInRegion } from '../../../protocol/src/structures/state';
import { RESULT_SCREEN_MS } from '../../../firmware/src/app/ui';
import { decodeEscPos, PrintedLine } from '../../sim/virtual-printer';
import { CardMemory } from '../../sim/card-memory';
import { ReaderSim } from '../../sim/reader-sim';
import { SimReaderEnd } from '../../../host/src/link/sim-reader-end';

/** A little longer than the result screen, so the next key starts a new operation (ui.ts 'result'). */
export const BETWEEN_CUSTOMERS_MS = RESULT_SCREEN_MS + 1000;

/** The current spend state on a card: the valid one (signed by a known reader) with the highest card_seq. */
export function cardState(card: CardMemory, readerKeys: Uint8Array[]): SpendState | null {
  const layout = layoutForChip(card.chip);
  if (layout === null) return null;
  const user = card.pages.subarray(FIRST_USER_PAGE * 4);
  let best: SpendState | null = null;
  for (const slot of [layout.slotA, layout.slotB]) {
    const o = openStateInRegion(regionOf(user, slot));
    if (!o.ok) continue;
    const signed = readerKeys.some((k) => signatureValid(o.value.opened, k, hostCrypto.verify));
    if (signed && (best === null || o.value.value.cardSeq > best.cardSeq)) best = o.value.value;
  }
  return best;
}

export interface TapOutcome {
  /** Screens shown during the operation, in order (each ≤ 4 lines of the OLED). */
  screens: string[][];
  /** The result screen. */
  result: string[];
  /** Cents the card's state moved by: > 0 taken from the card, < 0 given back. */
  taken: number;
  /** Documents the printer printed during the operation. */
  printed: PrintedLine[][];
}

export class Stand {
  readonly screensLog: string[][] = [];
  constructor(
    readonly sim: ReaderSim,
    readonly end: SimReaderEnd | null,
    private readonly readerKeys: () => Uint8Array[],
  ) {}

  spent(card: CardMemory): number {
    const s = cardState(card, this.readerKeys());
    return s === null ? 0 : s.spent;
  }

  /** Lets the result screen time out (the simulator's clock, not the wall clock). */
  nextCustomer(): void {
    if (this.end !== null) this.end.advance(BETWEEN_CUSTOMERS_MS);
    else this.sim.advance(BETWEEN_CUSTOMERS_MS);
  }

  /** Runs `act` (keys and taps) and reports the screens, the receipts and the card-side measure. */
  private measure(card: CardMemory, act: () => void): TapOutcome {
    const s0 = this.sim.screens.length;
    const p0 = this.sim.printed.length;
    const before = this.spent(card);
    act();
    const screens = this.sim.screens.slice(s0).map((l) => l.slice());
    const result = this.sim.screen().slice();
    const printed = this.sim.printed.slice(p0).map((b) => decodeEscPos(b).lines);
    const taken = this.spent(card) - before;
    return { screens, result, taken, printed };
  }

  /** A sale: amount typed in cents, `#`, category key (its place on the screen), card laid and taken. */
  sale(card: CardMemory, cents: number, categoryKey: number): TapOutcome {
    const o = this.measure(card, () => {
      this.sim.keys(String(cents));
      this.sim.keys('#');
      if (this.sim.screen()[0] === 'Catégorie ?') this.sim.keys(String(categoryKey));
      this.sim.tap(card);
      this.sim.removeCard();
    });
    this.nextCustomer();
    return o;
  }

  /** Key A then the card: the month's balance on the screen (logged as BALANCE, nothing written). */
  balance(card: CardMemory): TapOutcome {
    const o = this.measure(card, () => {
      this.sim.keys('A');
      this.sim.tap(card);
      this.sim.removeCard();
    });
    this.nextCustomer();
    return o;
  }

  /** Key C then the same card: the last sale of this reader is cancelled and its covered share given back. */
  cancelLast(card: CardMemory): TapOutcome {
    const o = this.measure(card, () => {
      this.sim.keys('C');
      this.sim.tap(card);
      this.sim.removeCard();
    });
    this.nextCustomer();
    return o;
  }

  /**
   * A sale during which the card leaves the field after `pagesBeforeTear` page writes (the page being
   * written keeps its old bytes): the reader asks for the card again; then the same card comes back.
   */
  tornSale(
    card: CardMemory,
    cents: number,
    categoryKey: number,
    pagesBeforeTear: number,
    tearMode: string,
  ): { torn: TapOutcome; retap: TapOutcome } {
    const torn = this.measure(card, () => {
      card.arm(pagesBeforeTear, tearMode);
      this.sim.keys(String(cents));
      this.sim.keys('#');
      if (this.sim.screen()[0] === 'Catégorie ?') this.sim.keys(String(categoryKey));
      this.sim.tap(card);
      this.sim.removeCard();
    });
    const retap = this.measure(card, () => {
      this.sim.tap(card);
      this.sim.removeCard();
    });
    this.nextCustomer();
    return { torn, retap };
  }

  /** Key D, then # to confirm: the Z report (DAY_CLOSE record, signed checkpoint, printed report). */
  dayClose(): { result: string[]; printed: PrintedLine[][] } {
    const p0 = this.sim.printed.length;
    this.sim.keys('D');
    this.sim.keys('#');
    const result = this.sim.screen().slice();
    const printed = this.sim.printed.slice(p0).map((b) => decodeEscPos(b).lines);
    this.nextCustomer();
    return { result, printed };
  }
}
