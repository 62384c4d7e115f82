// What the desk asks the ledger: the last known spend state of a pseudonym (to compute a lost card's
// remaining balance and its quarantine). host/src/ledger (issue 8, another helper) does not exist yet,
// so this is a small interface with a JSON implementation over an export file:
//   { "states": [ { "pseudonym": "<16 hex>", "month": 682, "cardSeq": 3, "carried": 0, "spent": 1250,
//                   "time": 1793500000, "voucherSerial": 1 } ] }
// When the ledger lands, it implements LedgerView and the desk needs no change.

import { readFileSync } from 'node:fs';
import { DeskError } from './card-io';

export interface LedgerStateView {
  month: number;
  cardSeq: number;
  carried: number;
  spent: number;
  time: number;
  voucherSerial: number;
}

export interface LedgerView {
  /** The state with the highest card_seq the ledger holds for this pseudonym, or null. */
  lastStateOf(pseudonymHex: string): LedgerStateView | null;
}

export class JsonLedgerView implements LedgerView {
  private readonly states: (LedgerStateView & { pseudonym: string })[];
  constructor(json: unknown) {
    const j = json as { states?: unknown };
    this.states = Array.isArray(j.states) ? (j.states as (LedgerStateView & { pseudonym: string })[]) : [];
  }

  static load(path: string): JsonLedgerView {
    try {
      return new JsonLedgerView(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      throw new DeskError('LEDGER_UNREADABLE', 'export du grand livre illisible : ' + path);
    }
  }

  lastStateOf(pseudonymHex: string): LedgerStateView | null {
    let best: LedgerStateView | null = null;
    for (const s of this.states) {
      if (s.pseudonym === pseudonymHex && (best === null || s.cardSeq > best.cardSeq)) best = s;
    }
    return best;
  }
}

/** No ledger available: nothing known beyond the card desk. */
export const EMPTY_LEDGER: LedgerView = { lastStateOf: () => null };
