// Member voucher (SPEC.md §5): issuer-signed, on the card, allocates every month of its validity offline.

import { CborValue } from '../cbor';
import { Ed25519Signer } from '../crypto/types';
import {
  CARD_UID_BYTES,
  FUND_ID_BYTES,
  KEY_ID_BYTES,
  MAX_EXTRA_PERSONS,
  MAX_MONTH,
  MAX_MONTHLY_ALLOCATION,
  MAX_PARTS,
  MAX_U32,
  MAX_VALIDITY_MONTHS,
  MAX_VOUCHER_CREDIT,
  MIN_MONTH,
  PSEUDONYM_BYTES,
} from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';
import { Fields } from './fields';
import {
  Opened,
  TYPE_VOUCHER,
  encodeBody,
  encodeBodyVersion,
  openTyped,
  openTypedInRegion,
  sealEnvelope,
} from './envelope';

export const RULE_FLAT = 1;
export const RULE_HOUSEHOLD = 2;
export const RULE_PARTS = 3;

/** Allocation rule: flat amount, base + per extra person, or N parts of a unit (all cents). */
export interface AllocationRule {
  kind: number;
  /** RULE_FLAT: the amount; RULE_HOUSEHOLD: the base; RULE_PARTS: the unit. */
  amount: number;
  /** RULE_HOUSEHOLD only: per extra person. */
  perExtra: number;
  /** RULE_HOUSEHOLD: extra persons; RULE_PARTS: number of parts; RULE_FLAT: 0. */
  count: number;
}

export const CARRY_NONE = 0;
export const CARRY_CAPPED = 1;

export interface CarryPolicy {
  kind: number;
  /** CARRY_CAPPED: the most that can be carried into a month, cents. */
  cap: number;
}

/**
 * Version 2 only (SPEC.md §5.1): a one-off amount added to one month's allocation, e.g. the balance of a
 * lost card given back on its replacement after the quarantine.
 */
export interface VoucherCredit {
  month: number;
  amount: number;
}

export interface Voucher {
  fundId: Uint8Array;
  pseudonym: Uint8Array;
  cardUid: Uint8Array;
  rule: AllocationRule;
  startMonth: number;
  validityMonths: number;
  carry: CarryPolicy;
  issuerKeyId: Uint8Array;
  issuedAt: number;
  serial: number;
  /** Present only in version-2 vouchers (absent, not null, in version 1 so v1 summaries stay as they were). */
  credit?: VoucherCredit;
}

const VOUCHER_FIELDS = 10;
/** Version 2 adds `credit` after the ten v1 fields. */
const VOUCHER_FIELDS_V2 = 11;

/** Monthly allocation of a rule, cents. */
export function monthlyAllocation(rule: AllocationRule): number {
  if (rule.kind === RULE_FLAT) return rule.amount;
  if (rule.kind === RULE_HOUSEHOLD) return rule.amount + rule.perExtra * rule.count;
  return rule.amount * rule.count;
}

function encodeRule(r: AllocationRule): CborValue[] {
  if (r.kind === RULE_FLAT) return [RULE_FLAT, r.amount];
  if (r.kind === RULE_HOUSEHOLD) return [RULE_HOUSEHOLD, r.amount, r.perExtra, r.count];
  return [RULE_PARTS, r.amount, r.count];
}

/** A version-1 voucher unless it carries a credit (SPEC.md §5.1): old readers keep reading v1 cards. */
export function encodeVoucher(v: Voucher): Uint8Array {
  const carry: CborValue[] = v.carry.kind === CARRY_CAPPED ? [CARRY_CAPPED, v.carry.cap] : [CARRY_NONE];
  const fields: CborValue[] = [
    v.fundId,
    v.pseudonym,
    v.cardUid,
    encodeRule(v.rule),
    v.startMonth,
    v.validityMonths,
    carry,
    v.issuerKeyId,
    v.issuedAt,
    v.serial,
  ];
  if (v.credit === undefined) return encodeBody(TYPE_VOUCHER, fields);
  fields.push([v.credit.month, v.credit.amount]);
  return encodeBodyVersion(TYPE_VOUCHER, 2, fields);
}

export function signVoucher(v: Voucher, issuer: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeVoucher(v), issuer);
}

function readRule(f: Fields, i: number): AllocationRule {
  const raw = f.array(i, 'rule', 4);
  const r: AllocationRule = { kind: 0, amount: 0, perExtra: 0, count: 0 };
  if (f.error !== '') return r;
  const kind = raw.length > 0 ? raw[0] : null;
  let g: Fields;
  if (kind === RULE_FLAT) {
    g = new Fields(raw, 'règle forfaitaire', 2);
    r.kind = RULE_FLAT;
    r.amount = g.uint(1, 'amount', 1, MAX_MONTHLY_ALLOCATION);
  } else if (kind === RULE_HOUSEHOLD) {
    g = new Fields(raw, 'règle par foyer', 4);
    r.kind = RULE_HOUSEHOLD;
    r.amount = g.uint(1, 'base', 1, MAX_MONTHLY_ALLOCATION);
    r.perExtra = g.uint(2, 'per_extra_person', 0, MAX_MONTHLY_ALLOCATION);
    r.count = g.uint(3, 'extra_persons', 0, MAX_EXTRA_PERSONS);
  } else if (kind === RULE_PARTS) {
    g = new Fields(raw, 'règle en parts', 3);
    r.kind = RULE_PARTS;
    r.amount = g.uint(1, 'unit', 1, MAX_MONTHLY_ALLOCATION);
    r.count = g.uint(2, 'parts', 1, MAX_PARTS);
  } else {
    f.fail('STRUCT_RANGE', "règle d'allocation inconnue");
    return r;
  }
  if (g.error !== '') f.fail(g.errorCode, g.error);
  else if (monthlyAllocation(r) > MAX_MONTHLY_ALLOCATION) {
    f.fail('STRUCT_RANGE', 'allocation mensuelle au-delà de ' + MAX_MONTHLY_ALLOCATION + ' centimes');
  }
  return r;
}

function readCarry(f: Fields, i: number): CarryPolicy {
  const raw = f.array(i, 'carry', 2);
  const c: CarryPolicy = { kind: CARRY_NONE, cap: 0 };
  if (f.error !== '') return c;
  if (raw.length === 1 && raw[0] === CARRY_NONE) return c;
  const g = new Fields(raw, 'report', 2);
  g.uint(0, 'kind', CARRY_CAPPED, CARRY_CAPPED);
  c.kind = CARRY_CAPPED;
  // Carrying more than the monthly maximum a member may hold would only grow what a lost card carries.
  c.cap = g.uint(1, 'cap', 1, MAX_MONTHLY_ALLOCATION);
  if (g.error !== '') f.fail(g.errorCode, g.error);
  return c;
}

export function readVoucher(fields: CborValue[]): Verdict<Voucher> {
  const v2 = fields.length === VOUCHER_FIELDS_V2;
  const f = new Fields(fields, 'bon', v2 ? VOUCHER_FIELDS_V2 : VOUCHER_FIELDS);
  const v: Voucher = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    pseudonym: f.bytes(1, 'pseudonym', PSEUDONYM_BYTES),
    cardUid: f.bytes(2, 'card_uid', CARD_UID_BYTES),
    rule: readRule(f, 3),
    startMonth: f.uint(4, 'start_month', MIN_MONTH, MAX_MONTH),
    validityMonths: f.uint(5, 'validity_months', 1, MAX_VALIDITY_MONTHS),
    carry: readCarry(f, 6),
    issuerKeyId: f.bytes(7, 'issuer_key_id', KEY_ID_BYTES),
    issuedAt: f.uint(8, 'issued_at', 0, MAX_U32),
    serial: f.uint(9, 'serial', 1, MAX_U32),
  };
  if (v2 && f.error === '') {
    const g = new Fields(f.array(10, 'credit', 2), 'crédit', 2);
    const credit: VoucherCredit = {
      month: g.uint(0, 'month', MIN_MONTH, MAX_MONTH),
      amount: g.uint(1, 'amount', 1, MAX_VOUCHER_CREDIT),
    };
    if (g.error !== '') f.fail(g.errorCode, g.error);
    else if (credit.month < v.startMonth || credit.month >= v.startMonth + v.validityMonths) {
      f.fail('STRUCT_RANGE', 'crédit hors des mois de validité du bon');
    }
    v.credit = credit;
  }
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(v);
}

export function openVoucher(bytes: Uint8Array): Verdict<{ opened: Opened; value: Voucher }> {
  return openTyped(bytes, TYPE_VOUCHER, VOUCHER_FIELDS, readVoucher, VOUCHER_FIELDS_V2);
}

/** Opens the voucher at the start of the card's voucher region (stale bytes after it are ignored). */
export function openVoucherInRegion(region: Uint8Array): Verdict<{ opened: Opened; value: Voucher }> {
  return openTypedInRegion(region, TYPE_VOUCHER, VOUCHER_FIELDS, readVoucher, VOUCHER_FIELDS_V2);
}

/** Allocation of a voucher for a month index: 0 outside its validity, plus a v2 credit in its month (SPEC.md §5). */
export function allocationForMonth(v: Voucher, month: number): number {
  if (month < v.startMonth || month >= v.startMonth + v.validityMonths) return 0;
  const credit = v.credit !== undefined && v.credit.month === month ? v.credit.amount : 0;
  return monthlyAllocation(v.rule) + credit;
}
