// Reader configuration (SPEC.md §7) and blocklist (SPEC.md §8).

import { CborValue } from '../cbor';
import { Ed25519Signer } from '../crypto/types';
import {
  FUND_ID_BYTES,
  KEY_ID_BYTES,
  MAX_AMOUNT_CENTS,
  MAX_BLOCKLIST_ENTRIES,
  MAX_CATEGORIES,
  MAX_CATEGORY_ID,
  MAX_CATEGORY_LABEL_BYTES,
  MAX_OFFLINE_DAYS,
  MAX_RATE_BP,
  MAX_U32,
  MAX_UTC_OFFSET_MIN,
  MAX_VENDOR_NAME_BYTES,
  MIN_UTC_OFFSET_MIN,
  PSEUDONYM_BYTES,
} from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';
import { Fields } from './fields';
import {
  Opened,
  TYPE_BLOCKLIST,
  TYPE_CONFIG,
  encodeBody,
  openTyped,
  sealEnvelope,
  strictlyIncreasingBytes,
} from './envelope';
import { ReaderLimits } from './keys';
import { compareBytes } from '../bytes';

export interface Category {
  id: number;
  label: string;
  rateBp: number;
}

export interface ReaderConfig {
  fundId: Uint8Array;
  readerId: number;
  version: number;
  issuedAt: number;
  vendorName: string;
  categories: Category[];
  perTapMax: number;
  perCardDayMax: number;
  readerDayMax: number;
  offlineDays: number;
  minBlocklistVersion: number;
  utcOffsetMin: number;
  signerKeyId: Uint8Array;
}

const CONFIG_FIELDS = 13;

export function encodeConfig(c: ReaderConfig): Uint8Array {
  const cats: CborValue[] = [];
  for (let i = 0; i < c.categories.length; i++) {
    cats.push([c.categories[i].id, c.categories[i].label, c.categories[i].rateBp]);
  }
  return encodeBody(TYPE_CONFIG, [
    c.fundId,
    c.readerId,
    c.version,
    c.issuedAt,
    c.vendorName,
    cats,
    c.perTapMax,
    c.perCardDayMax,
    c.readerDayMax,
    c.offlineDays,
    c.minBlocklistVersion,
    c.utcOffsetMin,
    c.signerKeyId,
  ]);
}

export function signConfig(c: ReaderConfig, signer: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeConfig(c), signer);
}

export function readConfig(fields: CborValue[]): Verdict<ReaderConfig> {
  const f = new Fields(fields, 'configuration du lecteur', CONFIG_FIELDS);
  const c: ReaderConfig = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    readerId: f.uint(1, 'reader_id', 1, MAX_U32),
    version: f.uint(2, 'version', 1, MAX_U32),
    issuedAt: f.uint(3, 'issued_at', 0, MAX_U32),
    vendorName: f.text(4, 'vendor_name', MAX_VENDOR_NAME_BYTES),
    categories: [],
    perTapMax: f.uint(6, 'per_tap_max', 1, MAX_AMOUNT_CENTS),
    perCardDayMax: f.uint(7, 'per_card_day_max', 1, MAX_AMOUNT_CENTS),
    readerDayMax: f.uint(8, 'reader_day_max', 1, MAX_AMOUNT_CENTS),
    offlineDays: f.uint(9, 'offline_days', 1, MAX_OFFLINE_DAYS),
    minBlocklistVersion: f.uint(10, 'min_blocklist_version', 0, MAX_U32),
    utcOffsetMin: f.int(11, 'utc_offset_min', MIN_UTC_OFFSET_MIN, MAX_UTC_OFFSET_MIN),
    signerKeyId: f.bytes(12, 'signer_key_id', KEY_ID_BYTES),
  };
  if (f.error === '' && c.vendorName.length === 0) f.fail('STRUCT_RANGE', 'le nom du commerçant est vide');
  const raw = f.array(5, 'categories', MAX_CATEGORIES);
  if (f.error === '' && raw.length === 0) f.fail('STRUCT_RANGE', 'au moins une catégorie est requise');
  for (let i = 0; i < raw.length && f.error === ''; i++) {
    const g = new Fields(raw[i], 'catégorie ' + i, 3);
    const cat: Category = {
      id: g.uint(0, 'category_id', 0, MAX_CATEGORY_ID),
      label: g.text(1, 'label', MAX_CATEGORY_LABEL_BYTES),
      rateBp: g.uint(2, 'rate_bp', 0, MAX_RATE_BP),
    };
    if (g.error !== '') f.fail(g.errorCode, g.error);
    else if (cat.label.length === 0) f.fail('STRUCT_RANGE', 'catégorie ' + i + ' sans libellé');
    else if (i > 0 && cat.id <= c.categories[i - 1].id) {
      f.fail('STRUCT_ORDER', 'les catégories doivent être triées par identifiant croissant, sans doublon');
    }
    c.categories.push(cat);
  }
  if (f.error === '' && (c.perCardDayMax < c.perTapMax || c.readerDayMax < c.perCardDayMax)) {
    f.fail(
      'STRUCT_RANGE',
      'limites incohérentes (par passage ≤ par carte et par jour ≤ par lecteur et par jour)',
    );
  }
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(c);
}

export function openConfig(bytes: Uint8Array): Verdict<{ opened: Opened; value: ReaderConfig }> {
  return openTyped(bytes, TYPE_CONFIG, CONFIG_FIELDS, readConfig);
}

/** A configuration may only lower the limits of the reader's certificate (SPEC.md §7). */
export function configWithinCertificate(c: ReaderConfig, limits: ReaderLimits): boolean {
  return (
    c.perTapMax <= limits.perTapMax &&
    c.perCardDayMax <= limits.perCardDayMax &&
    c.readerDayMax <= limits.readerDayMax
  );
}

/** Covered share of an amount at a rate: floor(amount × rate_bp / 10000) cents (SPEC.md §7). */
export function coveredShare(amount: number, rateBp: number): number {
  // amount ≤ MAX_AMOUNT_CENTS (1e8) and rate ≤ 1e4: the product stays below 2^53, exact in doubles.
  return Math.floor((amount * rateBp) / MAX_RATE_BP);
}

export interface Blocklist {
  fundId: Uint8Array;
  version: number;
  issuedAt: number;
  pseudonyms: Uint8Array[];
  readerIds: number[];
  issuerKeyIds: Uint8Array[];
  signerKeyId: Uint8Array;
}

const BLOCKLIST_FIELDS = 7;

export function encodeBlocklist(b: Blocklist): Uint8Array {
  const p: CborValue[] = [];
  for (let i = 0; i < b.pseudonyms.length; i++) p.push(b.pseudonyms[i]);
  const r: CborValue[] = [];
  for (let i = 0; i < b.readerIds.length; i++) r.push(b.readerIds[i]);
  const k: CborValue[] = [];
  for (let i = 0; i < b.issuerKeyIds.length; i++) k.push(b.issuerKeyIds[i]);
  return encodeBody(TYPE_BLOCKLIST, [b.fundId, b.version, b.issuedAt, p, r, k, b.signerKeyId]);
}

export function signBlocklist(b: Blocklist, signer: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeBlocklist(b), signer);
}

function readBytesList(f: Fields, i: number, name: string, len: number, max: number): Uint8Array[] {
  const raw = f.array(i, name, max);
  const out: Uint8Array[] = [];
  for (let j = 0; j < raw.length && f.error === ''; j++) {
    const v = raw[j];
    if (!(v instanceof Uint8Array) || v.length !== len)
      f.fail('STRUCT_SHAPE', name + ' : ' + len + ' octets attendus');
    else out.push(v);
  }
  if (f.error === '' && !strictlyIncreasingBytes(out))
    f.fail('STRUCT_ORDER', name + ' : liste non triée ou en double');
  return out;
}

export function readBlocklist(fields: CborValue[]): Verdict<Blocklist> {
  const f = new Fields(fields, 'liste de blocage', BLOCKLIST_FIELDS);
  const b: Blocklist = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    version: f.uint(1, 'version', 1, MAX_U32),
    issuedAt: f.uint(2, 'issued_at', 0, MAX_U32),
    pseudonyms: readBytesList(f, 3, 'pseudonyms', PSEUDONYM_BYTES, MAX_BLOCKLIST_ENTRIES),
    readerIds: [],
    issuerKeyIds: [],
    signerKeyId: f.bytes(6, 'signer_key_id', KEY_ID_BYTES),
  };
  const rawReaders = f.array(4, 'reader_ids', MAX_BLOCKLIST_ENTRIES);
  for (let j = 0; j < rawReaders.length && f.error === ''; j++) {
    const v = rawReaders[j];
    if (typeof v !== 'number' || Math.floor(v) !== v || v < 1 || v > MAX_U32) {
      f.fail('STRUCT_SHAPE', 'reader_ids : identifiant de lecteur invalide');
    } else if (j > 0 && v <= b.readerIds[j - 1]) {
      f.fail('STRUCT_ORDER', 'reader_ids : liste non triée ou en double');
    } else b.readerIds.push(v);
  }
  b.issuerKeyIds = readBytesList(f, 5, 'issuer_key_ids', KEY_ID_BYTES, MAX_BLOCKLIST_ENTRIES);
  if (
    f.error === '' &&
    b.pseudonyms.length + b.readerIds.length + b.issuerKeyIds.length > MAX_BLOCKLIST_ENTRIES
  ) {
    f.fail('STRUCT_TOO_LARGE', 'plus de ' + MAX_BLOCKLIST_ENTRIES + ' entrées');
  }
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(b);
}

export function openBlocklist(bytes: Uint8Array): Verdict<{ opened: Opened; value: Blocklist }> {
  return openTyped(bytes, TYPE_BLOCKLIST, BLOCKLIST_FIELDS, readBlocklist);
}

/** Binary search in a sorted list of byte strings. */
export function sortedBytesContains(list: Uint8Array[], item: Uint8Array): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareBytes(list[mid], item);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
