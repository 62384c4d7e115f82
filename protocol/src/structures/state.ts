// Spend state (SPEC.md §6): reader-signed, written in card slot A or B, recorded in the reader's log.

import { CborValue, cborDecode } from '../cbor';
import { Ed25519Signer, Sha256 } from '../crypto/types';
import { MAX_AMOUNT_CENTS, MAX_MONTH, MAX_U32, MIN_MONTH, PSEUDONYM_BYTES, STATE_ID_BYTES } from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';
import { Fields } from './fields';
import {
  Opened,
  TYPE_STATE,
  checkBody,
  encodeBody,
  openTyped,
  openTypedInRegion,
  sealEnvelope,
} from './envelope';
import { CARRY_CAPPED, Voucher, allocationForMonth } from './voucher';

export interface SpendState {
  pseudonym: Uint8Array;
  voucherSerial: number;
  month: number;
  cardSeq: number;
  carried: number;
  spent: number;
  lastAmount: number;
  readerId: number;
  logSeq: number;
  time: number;
  prev: Uint8Array;
}

const STATE_FIELDS = 11;

export function encodeState(s: SpendState): Uint8Array {
  return encodeBody(TYPE_STATE, [
    s.pseudonym,
    s.voucherSerial,
    s.month,
    s.cardSeq,
    s.carried,
    s.spent,
    s.lastAmount,
    s.readerId,
    s.logSeq,
    s.time,
    s.prev,
  ]);
}

export function signState(s: SpendState, reader: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeState(s), reader);
}

export function readState(fields: CborValue[]): Verdict<SpendState> {
  const f = new Fields(fields, 'état de dépense', STATE_FIELDS);
  const s: SpendState = {
    pseudonym: f.bytes(0, 'pseudonym', PSEUDONYM_BYTES),
    voucherSerial: f.uint(1, 'voucher_serial', 1, MAX_U32),
    month: f.uint(2, 'month', MIN_MONTH, MAX_MONTH),
    cardSeq: f.uint(3, 'card_seq', 1, MAX_U32),
    carried: f.uint(4, 'carried', 0, MAX_AMOUNT_CENTS),
    spent: f.uint(5, 'spent', 0, MAX_AMOUNT_CENTS),
    lastAmount: f.int(6, 'last_amount', -MAX_AMOUNT_CENTS, MAX_AMOUNT_CENTS),
    readerId: f.uint(7, 'reader_id', 1, MAX_U32),
    logSeq: f.uint(8, 'log_seq', 1, MAX_U32),
    time: f.uint(9, 'time', 0, MAX_U32),
    prev: f.bytes(10, 'prev', STATE_ID_BYTES),
  };
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(s);
}

export function openState(bytes: Uint8Array): Verdict<{ opened: Opened; value: SpendState }> {
  return openTyped(bytes, TYPE_STATE, STATE_FIELDS, readState);
}

/** Opens the state at the start of a card slot region (stale bytes after it are ignored). */
export function openStateInRegion(region: Uint8Array): Verdict<{ opened: Opened; value: SpendState }> {
  return openTypedInRegion(region, TYPE_STATE, STATE_FIELDS, readState);
}

/** Decodes a state body taken out of a log record (no envelope: the log is covered by checkpoints). */
export function decodeStateBody(body: Uint8Array): Verdict<SpendState> {
  const d = cborDecode(body);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  const b = checkBody(d.value, TYPE_STATE, STATE_FIELDS);
  if (!b.ok) return failVerdict(b.code, b.message);
  return readState(b.value);
}

/** State id: first 16 bytes of SHA-256 of the state body (SPEC.md §6). */
export function stateId(body: Uint8Array, sha256: Sha256): Uint8Array {
  return new Uint8Array(sha256(body).subarray(0, STATE_ID_BYTES));
}

/** Voucher id: first 16 bytes of SHA-256 of the voucher envelope; the first state's `prev`. */
export function voucherId(envelope: Uint8Array, sha256: Sha256): Uint8Array {
  return new Uint8Array(sha256(envelope).subarray(0, STATE_ID_BYTES));
}

/**
 * Cents carried into month `target` from a state of an earlier month (SPEC.md §6.2). Without carry-over
 * it is 0. With a cap, the unspent balance at the end of the state's month is capped, then each month
 * without a state adds its allocation, capped again. The reader and the ledger both call this.
 */
export function carriedInto(v: Voucher, s: SpendState, target: number): number {
  if (v.carry.kind !== CARRY_CAPPED || target <= s.month) return 0;
  const cap = v.carry.cap;
  let c = allocationForMonth(v, s.month) + s.carried - s.spent;
  if (c < 0) c = 0;
  if (c > cap) c = cap;
  for (let m = s.month + 1; m < target; m++) {
    c = c + allocationForMonth(v, m);
    if (c > cap) c = cap;
  }
  return c;
}

/** Cents carried into month `target` when the card has no state yet: every earlier month of the voucher
 * went unspent (SPEC.md §6.2). */
export function carriedFromStart(v: Voucher, target: number): number {
  if (v.carry.kind !== CARRY_CAPPED) return 0;
  let c = 0;
  for (let m = v.startMonth; m < target; m++) {
    c = c + allocationForMonth(v, m);
    if (c > v.carry.cap) c = v.carry.cap;
  }
  return c;
}

/** Carried amount a new state for `month` must record, given the current state (null: none yet). */
export function carriedForNewState(v: Voucher, current: SpendState | null, month: number): number {
  if (current === null) return carriedFromStart(v, month);
  if (current.month === month) return current.carried;
  return carriedInto(v, current, month);
}

/** Balance available in `month` given the current state (null: no state yet). */
export function balanceFor(v: Voucher, current: SpendState | null, month: number): number {
  const alloc = allocationForMonth(v, month);
  if (current === null) return alloc + carriedFromStart(v, month);
  if (current.month === month) return alloc + current.carried - current.spent;
  if (current.month > month) return 0; // a state from the future: the reader refuses it elsewhere
  return alloc + carriedInto(v, current, month);
}
