// The fund as the desk needs it: id, time zone, allocation rule, validity, carry-over, trusted keys.
// Read from a JSON file (`--fonds FILE`) until the treasury area owns the fund's configuration:
//   { "fundId": "<16 hex>", "utcOffsetMin": 60,
//     "rule": { "kind": "forfait", "amount": 6500 }
//           | { "kind": "foyer", "base": 5000, "perExtraPerson": 2000 }
//           | { "kind": "parts", "unit": 1000 },
//     "validityMonths": 12, "carryCap": 0, "issuerPublicKeys": ["<64 hex>"], "rootPublicKey": "<64 hex>" }

import { readFileSync } from 'node:fs';
import { fromHex } from '../../../protocol/src/bytes';
import {
  FUND_ID_BYTES,
  MAX_EXTRA_PERSONS,
  MAX_MONTHLY_ALLOCATION,
  MAX_PARTS,
  MAX_UTC_OFFSET_MIN,
  MAX_VALIDITY_MONTHS,
  MIN_UTC_OFFSET_MIN,
} from '../../../protocol/src/limits';
import {
  AllocationRule,
  CARRY_CAPPED,
  CARRY_NONE,
  CarryPolicy,
  RULE_FLAT,
  RULE_HOUSEHOLD,
  RULE_PARTS,
  monthlyAllocation,
} from '../../../protocol/src/structures/voucher';
import { DeskError } from './card-io';

export type FundRule =
  | { kind: 'forfait'; amount: number }
  | { kind: 'foyer'; base: number; perExtraPerson: number }
  | { kind: 'parts'; unit: number };

export interface FundProfile {
  fundId: Uint8Array;
  utcOffsetMin: number;
  rule: FundRule;
  validityMonths: number;
  /** 0: no carry-over. */
  carryCap: number;
  issuerPublicKeys: Uint8Array[];
  rootPublicKey: Uint8Array | null;
}

/** What the registry knows about a member that the rule needs. */
export interface MemberRuleInput {
  householdSize: number | null;
  parts: number | null;
}

function bad(msg: string): DeskError {
  return new DeskError('FUND_PROFILE', 'profil du fonds invalide : ' + msg);
}

function int(x: unknown, lo: number, hi: number, name: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) {
    throw bad(name + ' doit être un entier entre ' + lo + ' et ' + hi);
  }
  return x;
}

function hexBytes(x: unknown, n: number, name: string): Uint8Array {
  if (typeof x !== 'string' || !/^[0-9a-fA-F]*$/.test(x) || x.length !== 2 * n) {
    throw bad(name + ' doit faire ' + n + ' octets en hexadécimal');
  }
  return fromHex(x.toLowerCase());
}

export function parseFundProfile(json: unknown): FundProfile {
  const j = json as Record<string, unknown>;
  if (!j || typeof j !== 'object') throw bad('objet JSON attendu');
  const r = j.rule as Record<string, unknown>;
  let rule: FundRule;
  if (!r || typeof r !== 'object') throw bad('règle manquante');
  if (r.kind === 'forfait')
    rule = { kind: 'forfait', amount: int(r.amount, 1, MAX_MONTHLY_ALLOCATION, 'amount') };
  else if (r.kind === 'foyer') {
    rule = {
      kind: 'foyer',
      base: int(r.base, 1, MAX_MONTHLY_ALLOCATION, 'base'),
      perExtraPerson: int(r.perExtraPerson, 0, MAX_MONTHLY_ALLOCATION, 'perExtraPerson'),
    };
  } else if (r.kind === 'parts')
    rule = { kind: 'parts', unit: int(r.unit, 1, MAX_MONTHLY_ALLOCATION, 'unit') };
  else throw bad('règle « forfait », « foyer » ou « parts » attendue');
  const keys = Array.isArray(j.issuerPublicKeys) ? j.issuerPublicKeys : [];
  return {
    fundId: hexBytes(j.fundId, FUND_ID_BYTES, 'fundId'),
    utcOffsetMin: int(j.utcOffsetMin ?? 60, MIN_UTC_OFFSET_MIN, MAX_UTC_OFFSET_MIN, 'utcOffsetMin'),
    rule: rule,
    validityMonths: int(j.validityMonths ?? 12, 1, MAX_VALIDITY_MONTHS, 'validityMonths'),
    carryCap: int(j.carryCap ?? 0, 0, MAX_MONTHLY_ALLOCATION, 'carryCap'),
    issuerPublicKeys: keys.map((k: unknown, i: number) => hexBytes(k, 32, 'issuerPublicKeys[' + i + ']')),
    rootPublicKey: j.rootPublicKey === undefined ? null : hexBytes(j.rootPublicKey, 32, 'rootPublicKey'),
  };
}

export function loadFundProfile(path: string): FundProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new DeskError('FUND_PROFILE_MISSING', 'profil du fonds introuvable : ' + path);
  }
  try {
    return parseFundProfile(JSON.parse(text));
  } catch (e) {
    if (e instanceof DeskError) throw e;
    throw bad('JSON illisible');
  }
}

/** The protocol rule for one member (SPEC.md §5): household size counts extra persons beyond the first. */
export function ruleFor(profile: FundProfile, m: MemberRuleInput): AllocationRule {
  const r = profile.rule;
  let out: AllocationRule;
  if (r.kind === 'forfait') out = { kind: RULE_FLAT, amount: r.amount, perExtra: 0, count: 0 };
  else if (r.kind === 'foyer') {
    if (m.householdSize === null || !Number.isInteger(m.householdSize) || m.householdSize < 1) {
      throw new DeskError(
        'MEMBER_HOUSEHOLD',
        'la règle du fonds compte les personnes du foyer : donnez --personnes',
      );
    }
    const extra = m.householdSize - 1;
    if (extra > MAX_EXTRA_PERSONS) {
      throw new DeskError('MEMBER_HOUSEHOLD', 'au plus ' + (MAX_EXTRA_PERSONS + 1) + ' personnes par foyer');
    }
    out = { kind: RULE_HOUSEHOLD, amount: r.base, perExtra: r.perExtraPerson, count: extra };
  } else {
    if (m.parts === null || !Number.isInteger(m.parts) || m.parts < 1 || m.parts > MAX_PARTS) {
      throw new DeskError(
        'MEMBER_PARTS',
        'la règle du fonds compte des parts : donnez --parts (1 à ' + MAX_PARTS + ')',
      );
    }
    out = { kind: RULE_PARTS, amount: r.unit, perExtra: 0, count: m.parts };
  }
  if (monthlyAllocation(out) > MAX_MONTHLY_ALLOCATION) {
    throw new DeskError('MEMBER_ALLOCATION', 'allocation mensuelle au-delà du maximum du protocole');
  }
  return out;
}

export function carryFor(profile: FundProfile): CarryPolicy {
  return profile.carryCap > 0 ? { kind: CARRY_CAPPED, cap: profile.carryCap } : { kind: CARRY_NONE, cap: 0 };
}
