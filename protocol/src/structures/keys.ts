// Key hierarchy (SPEC.md §4): key certificates, reader certificates, reader directory.

import { CborValue } from '../cbor';
import { Ed25519Signer, Sha256 } from '../crypto/types';
import { FUND_ID_BYTES, KEY_ID_BYTES, MAX_AMOUNT_CENTS, MAX_DIRECTORY_READERS, MAX_U32 } from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';
import { Fields } from './fields';
import {
  Opened,
  TYPE_DIRECTORY,
  TYPE_KEY_CERT,
  TYPE_READER_CERT,
  encodeBody,
  openTyped,
  sealEnvelope,
} from './envelope';

const PUBLIC_KEY_BYTES = 32;

/** Key id = first 8 bytes of SHA-256(public key) (SPEC.md, Conventions). */
export function keyId(publicKey: Uint8Array, sha256: Sha256): Uint8Array {
  return new Uint8Array(sha256(publicKey).subarray(0, KEY_ID_BYTES));
}

export const ROLE_ISSUER = 1;
export const ROLE_OPERATOR = 2;
export const ROLE_ROOT_SUCCESSOR = 3;

export interface KeyCertificate {
  fundId: Uint8Array;
  role: number;
  publicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
  signerKeyId: Uint8Array;
}

const KEY_CERT_FIELDS = 6;

export function encodeKeyCertificate(c: KeyCertificate): Uint8Array {
  return encodeBody(TYPE_KEY_CERT, [c.fundId, c.role, c.publicKey, c.notBefore, c.notAfter, c.signerKeyId]);
}

export function signKeyCertificate(c: KeyCertificate, root: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeKeyCertificate(c), root);
}

export function readKeyCertificate(fields: CborValue[]): Verdict<KeyCertificate> {
  const f = new Fields(fields, 'certificat de clé', KEY_CERT_FIELDS);
  const c: KeyCertificate = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    role: f.uint(1, 'role', ROLE_ISSUER, ROLE_ROOT_SUCCESSOR),
    publicKey: f.bytes(2, 'public_key', PUBLIC_KEY_BYTES),
    notBefore: f.uint(3, 'not_before', 0, MAX_U32),
    notAfter: f.uint(4, 'not_after', 0, MAX_U32),
    signerKeyId: f.bytes(5, 'signer_key_id', KEY_ID_BYTES),
  };
  if (f.error === '' && c.notAfter <= c.notBefore) f.fail('STRUCT_RANGE', 'fenêtre de validité vide');
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(c);
}

export interface ReaderLimits {
  perTapMax: number;
  perCardDayMax: number;
  readerDayMax: number;
}

export interface ReaderCertificate {
  fundId: Uint8Array;
  readerId: number;
  publicKey: Uint8Array;
  vendorId: number;
  notBefore: number;
  notAfter: number;
  limits: ReaderLimits;
  signerKeyId: Uint8Array;
}

const READER_CERT_FIELDS = 8;

export function encodeReaderCertificate(c: ReaderCertificate): Uint8Array {
  return encodeBody(TYPE_READER_CERT, [
    c.fundId,
    c.readerId,
    c.publicKey,
    c.vendorId,
    c.notBefore,
    c.notAfter,
    [c.limits.perTapMax, c.limits.perCardDayMax, c.limits.readerDayMax],
    c.signerKeyId,
  ]);
}

export function signReaderCertificate(c: ReaderCertificate, root: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeReaderCertificate(c), root);
}

export function readLimits(f: Fields, i: number): ReaderLimits {
  const arr = f.array(i, 'limits', 3);
  const g = new Fields(arr, 'limites', 3);
  const l: ReaderLimits = {
    perTapMax: g.uint(0, 'per_tap_max', 1, MAX_AMOUNT_CENTS),
    perCardDayMax: g.uint(1, 'per_card_day_max', 1, MAX_AMOUNT_CENTS),
    readerDayMax: g.uint(2, 'reader_day_max', 1, MAX_AMOUNT_CENTS),
  };
  if (f.error === '' && g.error !== '') f.fail(g.errorCode, g.error);
  return l;
}

export function readReaderCertificate(fields: CborValue[]): Verdict<ReaderCertificate> {
  const f = new Fields(fields, 'certificat de lecteur', READER_CERT_FIELDS);
  const c: ReaderCertificate = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    readerId: f.uint(1, 'reader_id', 1, MAX_U32),
    publicKey: f.bytes(2, 'public_key', PUBLIC_KEY_BYTES),
    vendorId: f.uint(3, 'vendor_id', 1, MAX_U32),
    notBefore: f.uint(4, 'not_before', 0, MAX_U32),
    notAfter: f.uint(5, 'not_after', 0, MAX_U32),
    limits: readLimits(f, 6),
    signerKeyId: f.bytes(7, 'signer_key_id', KEY_ID_BYTES),
  };
  if (f.error === '' && c.notAfter <= c.notBefore) f.fail('STRUCT_RANGE', 'fenêtre de validité vide');
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(c);
}

export interface DirectoryEntry {
  readerId: number;
  publicKey: Uint8Array;
  vendorId: number;
  notAfter: number;
}

export interface ReaderDirectory {
  fundId: Uint8Array;
  version: number;
  issuedAt: number;
  entries: DirectoryEntry[];
  signerKeyId: Uint8Array;
}

const DIRECTORY_FIELDS = 5;

export function encodeDirectory(d: ReaderDirectory): Uint8Array {
  const entries: CborValue[] = [];
  for (let i = 0; i < d.entries.length; i++) {
    const e = d.entries[i];
    entries.push([e.readerId, e.publicKey, e.vendorId, e.notAfter]);
  }
  return encodeBody(TYPE_DIRECTORY, [d.fundId, d.version, d.issuedAt, entries, d.signerKeyId]);
}

export function signDirectory(d: ReaderDirectory, root: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeDirectory(d), root);
}

export function readDirectory(fields: CborValue[]): Verdict<ReaderDirectory> {
  const f = new Fields(fields, 'annuaire des lecteurs', DIRECTORY_FIELDS);
  const d: ReaderDirectory = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    version: f.uint(1, 'version', 1, MAX_U32),
    issuedAt: f.uint(2, 'issued_at', 0, MAX_U32),
    entries: [],
    signerKeyId: f.bytes(4, 'signer_key_id', KEY_ID_BYTES),
  };
  const raw = f.array(3, 'entries', MAX_DIRECTORY_READERS);
  for (let i = 0; i < raw.length && f.error === ''; i++) {
    const g = new Fields(raw[i], 'annuaire, entrée ' + i, 4);
    const e: DirectoryEntry = {
      readerId: g.uint(0, 'reader_id', 1, MAX_U32),
      publicKey: g.bytes(1, 'public_key', PUBLIC_KEY_BYTES),
      vendorId: g.uint(2, 'vendor_id', 1, MAX_U32),
      notAfter: g.uint(3, 'not_after', 0, MAX_U32),
    };
    if (g.error !== '') f.fail(g.errorCode, g.error);
    else if (i > 0 && e.readerId <= d.entries[i - 1].readerId) {
      f.fail('STRUCT_ORDER', 'les lecteurs doivent être triés par identifiant croissant, sans doublon');
    }
    d.entries.push(e);
  }
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(d);
}

/** Directory entry of a reader, by binary search on the sorted entries; null when absent. */
export function findDirectoryEntry(d: ReaderDirectory, readerId: number): DirectoryEntry | null {
  let lo = 0;
  let hi = d.entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = d.entries[mid];
    if (e.readerId === readerId) return e;
    if (e.readerId < readerId) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/** Opens (without verifying) a key certificate envelope. */
export function openKeyCertificate(bytes: Uint8Array): Verdict<{ opened: Opened; value: KeyCertificate }> {
  return openTyped(bytes, TYPE_KEY_CERT, KEY_CERT_FIELDS, readKeyCertificate);
}

export function openReaderCertificate(
  bytes: Uint8Array,
): Verdict<{ opened: Opened; value: ReaderCertificate }> {
  return openTyped(bytes, TYPE_READER_CERT, READER_CERT_FIELDS, readReaderCertificate);
}

export function openDirectory(bytes: Uint8Array): Verdict<{ opened: Opened; value: ReaderDirectory }> {
  return openTyped(bytes, TYPE_DIRECTORY, DIRECTORY_FIELDS, readDirectory);
}
