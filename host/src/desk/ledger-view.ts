// What the desk asks the ledger: the last known spend state of a pseudonym (to compute a lost card's
// remaining balance). Two implementations: LedgerDbView over the treasurer's ledger database
// (host/src/ledger, being written by another helper: only its `query()` and the `ops` table are used),
// and JsonLedgerView over a JSON export, for desks that only receive a file:
//   { "states": [ { "pseudonym": "<16 hex>", "month": 682, "cardSeq": 3, "carried": 0, "spent": 1250,
//                   "time": 1793500000, "voucherSerial": 1 } ] }

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
  /**
   * The state with the highest card_seq the ledger holds for this pseudonym, or null; with `before`,
   * among the states written at or before that time (a lost card's balance when it was blocked).
   */
  lastStateOf(pseudonymHex: string, before?: number): Promise<LedgerStateView | null>;
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

  lastStateOf(pseudonymHex: string, before?: number): Promise<LedgerStateView | null> {
    let best: LedgerStateView | null = null;
    for (const s of this.states) {
      if (before !== undefined && s.time > before) continue;
      if (s.pseudonym === pseudonymHex && (best === null || s.cardSeq > best.cardSeq)) best = s;
    }
    return Promise.resolve(best);
  }
}

/** What LedgerDbView needs of host/src/ledger's Ledger (structural, so the desk does not depend on it). */
export interface LedgerQuery {
  query(sql: string, params: (number | string | Uint8Array | null)[]): Promise<Record<string, unknown>[]>;
}

/** Status of a voided operation in the ledger's `ops` table (host/src/ledger/ledger.ts OP_VOIDED). */
const OP_VOIDED = 2;

export class LedgerDbView implements LedgerView {
  constructor(private readonly ledger: LedgerQuery) {}

  async lastStateOf(pseudonymHex: string, before?: number): Promise<LedgerStateView | null> {
    // A voided sale never reached the card for good; every other operation carries a card state.
    const rows = await this.ledger.query(
      'SELECT month, card_seq, carried, spent, time, voucher_serial FROM ops WHERE pseudonym = ? AND status <> ? ' +
        'AND time <= ? ORDER BY card_seq DESC LIMIT 1',
      [Buffer.from(pseudonymHex, 'hex'), OP_VOIDED, before === undefined ? 4294967295 : before],
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      month: Number(r.month),
      cardSeq: Number(r.card_seq),
      carried: Number(r.carried),
      spent: Number(r.spent),
      time: Number(r.time),
      voucherSerial: Number(r.voucher_serial),
    };
  }
}

/** No ledger available: nothing known beyond the card desk. */
export const EMPTY_LEDGER: LedgerView = { lastStateOf: () => Promise.resolve(null) };
