// Fixed keys, ids and sample structures of the golden vectors and the tests. Everything derives from
// fixed labels, so the same script always produces the same bytes (Ed25519 signing is deterministic).

import { createHash } from 'node:crypto';
import { hostSigner, sha256Host } from '../src/node/ed25519';
import { Ed25519Signer } from '../src/crypto/types';
import {
  keyId,
  ROLE_ISSUER,
  KeyCertificate,
  ReaderCertificate,
  ReaderDirectory,
} from '../src/structures/keys';
import {
  CARRY_CAPPED,
  CARRY_NONE,
  RULE_FLAT,
  RULE_HOUSEHOLD,
  RULE_PARTS,
  Voucher,
} from '../src/structures/voucher';
import { SpendState } from '../src/structures/state';
import { Blocklist, ReaderConfig } from '../src/structures/config';
import { fromHex } from '../src/bytes';
import { monthIndex } from '../src/time';

export function labelBytes(label: string, n: number): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update('carnet-vectors-v1/' + label)
      .digest()
      .subarray(0, n),
  );
}

export function fixedSigner(label: string): Ed25519Signer {
  return hostSigner(labelBytes('key/' + label, 32));
}

export const root = fixedSigner('root');
export const issuer = fixedSigner('issuer');
export const operator = fixedSigner('operator');
export const reader1 = fixedSigner('reader-101');
export const reader2 = fixedSigner('reader-102');
export const attacker = fixedSigner('attacker');

export const fundId = labelBytes('fund', 8);
export const otherFundId = labelBytes('other-fund', 8);
export const cardUid = fromHex('04a1b2c3d4e580');
export const pseudonym = labelBytes('pseudonym-1', 8);

/** 2026-11-01T00:00:00Z and friends. */
export const T0 = 1793491200;
export const NOV_2026 = monthIndex(2026, 11);

export function kid(s: Ed25519Signer): Uint8Array {
  return keyId(s.publicKey, sha256Host);
}

export const issuerCert: KeyCertificate = {
  fundId: fundId,
  role: ROLE_ISSUER,
  publicKey: issuer.publicKey,
  notBefore: T0 - 86400,
  notAfter: T0 + 365 * 86400,
  signerKeyId: kid(root),
};

export const reader1Cert: ReaderCertificate = {
  fundId: fundId,
  readerId: 101,
  publicKey: reader1.publicKey,
  vendorId: 7,
  notBefore: T0 - 86400,
  notAfter: T0 + 180 * 86400,
  limits: { perTapMax: 5000, perCardDayMax: 10000, readerDayMax: 200000 },
  signerKeyId: kid(root),
};

export const directory: ReaderDirectory = {
  fundId: fundId,
  version: 3,
  issuedAt: T0,
  entries: [
    { readerId: 101, publicKey: reader1.publicKey, vendorId: 7, notAfter: T0 + 180 * 86400 },
    { readerId: 102, publicKey: reader2.publicKey, vendorId: 8, notAfter: T0 + 180 * 86400 },
  ],
  signerKeyId: kid(root),
};

export const voucherFlat: Voucher = {
  fundId: fundId,
  pseudonym: pseudonym,
  cardUid: cardUid,
  rule: { kind: RULE_FLAT, amount: 6500, perExtra: 0, count: 0 },
  startMonth: NOV_2026,
  validityMonths: 12,
  carry: { kind: CARRY_NONE, cap: 0 },
  issuerKeyId: kid(issuer),
  issuedAt: T0 + 3600,
  serial: 1,
};

export const voucherHousehold: Voucher = {
  fundId: fundId,
  pseudonym: labelBytes('pseudonym-2', 8),
  cardUid: fromHex('04112233445566'),
  rule: { kind: RULE_HOUSEHOLD, amount: 15000, perExtra: 7500, count: 3 },
  startMonth: NOV_2026,
  validityMonths: 6,
  carry: { kind: CARRY_CAPPED, cap: 5000 },
  issuerKeyId: kid(issuer),
  issuedAt: T0 + 7200,
  serial: 2,
};

export const voucherParts: Voucher = {
  fundId: fundId,
  pseudonym: labelBytes('pseudonym-3', 8),
  cardUid: fromHex('04778899aabbcc'),
  rule: { kind: RULE_PARTS, amount: 2500, perExtra: 0, count: 4 },
  startMonth: NOV_2026,
  validityMonths: 24,
  carry: { kind: CARRY_NONE, cap: 0 },
  issuerKeyId: kid(issuer),
  issuedAt: T0 + 9000,
  serial: 1,
};

export function sampleState(prev: Uint8Array): SpendState {
  return {
    pseudonym: pseudonym,
    voucherSerial: 1,
    month: NOV_2026,
    cardSeq: 1,
    carried: 0,
    spent: 1250,
    lastAmount: 1250,
    readerId: 101,
    logSeq: 42,
    time: T0 + 10 * 86400 + 9 * 3600,
    prev: prev,
  };
}

export const config: ReaderConfig = {
  fundId: fundId,
  readerId: 101,
  version: 5,
  issuedAt: T0,
  vendorName: 'Ferme des Prés',
  categories: [
    { id: 1, label: 'Légumes bio locaux', rateBp: 10000 },
    { id: 2, label: 'Épicerie', rateBp: 5000 },
  ],
  perTapMax: 5000,
  perCardDayMax: 8000,
  readerDayMax: 150000,
  offlineDays: 14,
  minBlocklistVersion: 2,
  utcOffsetMin: 60,
  signerKeyId: kid(operator),
};

export const blocklist: Blocklist = {
  fundId: fundId,
  version: 4,
  issuedAt: T0,
  pseudonyms: [labelBytes('blocked-a', 8), labelBytes('blocked-b', 8)].sort((a, b) => Buffer.compare(a, b)),
  readerIds: [55, 99],
  issuerKeyIds: [kid(attacker)],
  signerKeyId: kid(operator),
};
