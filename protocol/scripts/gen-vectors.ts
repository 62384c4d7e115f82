// Generates the golden vectors of protocol/vectors/ from the fixed keys of vector-fixtures.ts.
// Append-only: a case already in a file must come out byte-identical, or the script stops; new cases
// are appended with the next ids. `--check` writes nothing and fails if a file would change.
//
//   npm run vectors            append new cases
//   npm run vectors -- --check verify files are what the generator produces

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { cborDecode, cborEncode, CborValue } from '../src/cbor';
import { toHex, fromHex, concatBytes } from '../src/bytes';
import { hostCrypto, sha256Host } from '../src/node/ed25519';
import { runVectorCase, VectorCase } from '../src/conformance';
import { encodeBody, sealEnvelope } from '../src/structures/envelope';
import {
  encodeKeyCertificate,
  signKeyCertificate,
  signReaderCertificate,
  signDirectory,
  encodeDirectory,
} from '../src/structures/keys';
import { encodeVoucher, signVoucher } from '../src/structures/voucher';
import { encodeState, signState, voucherId } from '../src/structures/state';
import { encodeConfig, signConfig, signBlocklist } from '../src/structures/config';
import {
  encodeLogRecord,
  chainGenesis,
  chainNext,
  signCheckpoint,
  LOG_SALE_PENDING,
  LOG_SALE_COMMIT,
  LOG_VOID,
  LOG_BALANCE,
  LOG_ALERT,
  LOG_CONFIG,
  LOG_BOOT,
  LOG_DAY_CLOSE,
  LOG_REFUND_PENDING,
  LOG_REFUND_COMMIT,
  VOID_CARD_GONE,
  ALERT_ROLLBACK,
  CHANGE_CONFIG,
} from '../src/structures/log';
import {
  signCommand,
  CMD_SET_TIME,
  CMD_ACK_LOG,
  CMD_PUT_CONFIG,
  CMD_KEYGEN,
} from '../src/structures/command';
import {
  encodeCardHeader,
  crc16,
  CHIP_NTAG215,
  CHIP_NTAG216,
  NTAG215_LAYOUT,
  NTAG216_LAYOUT,
  userMemoryBytes,
  regionOf,
  CardLayout,
} from '../src/card';
import * as F from './vector-fixtures';
import { encodeFrameSlip, ackFrame, FRAME_KIND_DATA } from '../src/frame';
import {
  encodeMessage,
  MSG_HELLO,
  MSG_PULL_LOG,
  MSG_LOG_BATCH,
  MSG_NONCE,
  MSG_COMMAND,
} from '../src/messages';
import { crc32 } from '../src/crc32';
import { slipEncode } from '../src/slip';

export const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');

interface Draft {
  comment: string;
  context: VectorCase['context'];
  bytes: Uint8Array;
  /** Expected verdict code: null for valid. The generator refuses to write a case the code disagrees with. */
  expect: string | null;
  flags: string[];
}

export interface VectorFile {
  schema: string;
  structure: string;
  version: number;
  generator: string;
  notes: string;
  tests: VectorCase[];
}

function flipBit(b: Uint8Array, byteIndex: number, bit: number): Uint8Array {
  const c = new Uint8Array(b);
  c[byteIndex] ^= 1 << bit;
  return c;
}

function hex(b: Uint8Array): string {
  return toHex(b);
}

/** Envelope whose body is re-encoded with another version number, re-signed by `signer`. */
function reversioned(body: Uint8Array, version: number, signer: typeof F.root): Uint8Array {
  const arr = (require_cbor_decode(body) as CborValue[]).slice();
  arr[1] = version;
  return sealEnvelope(cborEncode(arr), signer);
}

function require_cbor_decode(b: Uint8Array): CborValue {
  const d = cborDecode(b);
  if (!d.ok) throw new Error('fixture does not decode: ' + d.message);
  return d.value;
}

function withField(body: Uint8Array, index: number, value: CborValue): Uint8Array {
  const arr = (require_cbor_decode(body) as CborValue[]).slice();
  arr[index] = value;
  return cborEncode(arr);
}

/** The usual mutations of a signed envelope, with the verdict each must get. */
function signedMutations(
  envelope: Uint8Array,
  body: Uint8Array,
  signer: typeof F.root,
  ctx: VectorCase['context'],
  otherTypeEnvelope: Uint8Array,
): Draft[] {
  const sigStart = envelope.length - 64;
  return [
    {
      comment: 'signature: first bit of R flipped',
      context: ctx,
      bytes: flipBit(envelope, sigStart, 0),
      expect: 'SIGNATURE_INVALID',
      flags: ['flipped-bit'],
    },
    {
      comment: 'signature: last bit of S flipped',
      context: ctx,
      bytes: flipBit(envelope, envelope.length - 1, 6),
      expect: 'SIGNATURE_INVALID',
      flags: ['flipped-bit'],
    },
    {
      comment: 'body: last byte flipped, signature unchanged',
      context: ctx,
      bytes: flipBit(envelope, sigStart - 3, 1),
      expect: 'SIGNATURE_INVALID',
      flags: ['flipped-bit'],
    },
    {
      comment: 'signed by another key claiming the expected key id',
      context: ctx,
      bytes: sealEnvelope(body, F.attacker),
      expect: 'SIGNATURE_INVALID',
      flags: ['wrong-key'],
    },
    {
      comment: 'version 2 (unknown), validly signed',
      context: ctx,
      bytes: reversioned(body, 2, signer),
      expect: 'STRUCT_VERSION',
      flags: ['wrong-version'],
    },
    {
      comment: 'truncated by one byte',
      context: ctx,
      bytes: envelope.subarray(0, envelope.length - 1),
      expect: 'STRUCT_CBOR',
      flags: ['truncated'],
    },
    {
      comment: 'one trailing byte',
      context: ctx,
      bytes: concatBytes([envelope, new Uint8Array([0])]),
      expect: 'STRUCT_CBOR',
      flags: ['trailing'],
    },
    {
      comment: 'another structure type given in its place',
      context: ctx,
      bytes: otherTypeEnvelope,
      expect: 'STRUCT_WRONG_TYPE',
      flags: ['wrong-type'],
    },
    {
      comment: 'signature over the body without the "carnet" prefix',
      context: ctx,
      bytes: cborEncode([body, signer.sign(body)]),
      expect: 'SIGNATURE_INVALID',
      flags: ['domain-separation'],
    },
  ];
}

function drafts(): { [structure: string]: { notes: string; cases: Draft[] } } {
  const out: { [structure: string]: { notes: string; cases: Draft[] } } = {};
  const rootCtx = { signer: hex(F.root.publicKey), fund_id: hex(F.fundId), now: F.T0 };

  // Key certificates.
  const kcBody = encodeKeyCertificate(F.issuerCert);
  const kc = signKeyCertificate(F.issuerCert, F.root);
  const vEnv = signVoucher(F.voucherFlat, F.issuer);
  out.key_certificate = {
    notes: 'Key certificates (SPEC.md §4.1). context: signer = root public key, fund_id, now.',
    cases: [
      {
        comment: 'issuer key certified by the root',
        context: rootCtx,
        bytes: kc,
        expect: null,
        flags: ['valid'],
      },
      ...signedMutations(kc, kcBody, F.root, rootCtx, vEnv),
      {
        comment: 'expired: now = not_after',
        context: { ...rootCtx, now: F.issuerCert.notAfter },
        bytes: kc,
        expect: 'EXPIRED',
        flags: ['expired'],
      },
      {
        comment: 'not yet valid: now = not_before - 1',
        context: { ...rootCtx, now: F.issuerCert.notBefore - 1 },
        bytes: kc,
        expect: 'NOT_YET_VALID',
        flags: ['not-yet-valid'],
      },
      {
        comment: 'another fund',
        context: { ...rootCtx, fund_id: hex(F.otherFundId) },
        bytes: kc,
        expect: 'WRONG_FUND',
        flags: ['wrong-fund'],
      },
      {
        comment: 'checked against another root key',
        context: { ...rootCtx, signer: hex(F.attacker.publicKey) },
        bytes: kc,
        expect: 'SIGNATURE_INVALID',
        flags: ['wrong-key'],
      },
      {
        comment: 'validly signed by the root but naming another signer key id',
        context: rootCtx,
        bytes: sealEnvelope(withField(kcBody, 7, F.kid(F.attacker)), F.root),
        expect: 'WRONG_KEY',
        flags: ['wrong-key'],
      },
      {
        comment: 'role 4 does not exist',
        context: rootCtx,
        bytes: sealEnvelope(withField(kcBody, 3, 4), F.root),
        expect: 'STRUCT_RANGE',
        flags: ['range'],
      },
      {
        comment: 'empty validity window',
        context: rootCtx,
        bytes: sealEnvelope(withField(kcBody, 6, F.issuerCert.notBefore), F.root),
        expect: 'STRUCT_RANGE',
        flags: ['range'],
      },
    ],
  };

  // Reader certificates.
  const rc = signReaderCertificate(F.reader1Cert, F.root);
  const rcBody = require_cbor_decode(rc) as CborValue[];
  out.reader_certificate = {
    notes: 'Reader certificates (SPEC.md §4.2). context: signer = root public key, fund_id, now.',
    cases: [
      { comment: 'reader 101 of vendor 7', context: rootCtx, bytes: rc, expect: null, flags: ['valid'] },
      ...signedMutations(rc, rcBody[0] as Uint8Array, F.root, rootCtx, kc),
      {
        comment: 'expired',
        context: { ...rootCtx, now: F.reader1Cert.notAfter + 1 },
        bytes: rc,
        expect: 'EXPIRED',
        flags: ['expired'],
      },
      {
        comment: 'another fund',
        context: { ...rootCtx, fund_id: hex(F.otherFundId) },
        bytes: rc,
        expect: 'WRONG_FUND',
        flags: ['wrong-fund'],
      },
      {
        comment: 'reader id 0 is reserved',
        context: rootCtx,
        bytes: sealEnvelope(withField(rcBody[0] as Uint8Array, 3, 0), F.root),
        expect: 'STRUCT_RANGE',
        flags: ['range'],
      },
      {
        comment: 'reader id 2^32 is beyond u32',
        context: rootCtx,
        bytes: sealEnvelope(withField(rcBody[0] as Uint8Array, 3, 4294967296), F.root),
        expect: 'STRUCT_RANGE',
        flags: ['range', 'max+1'],
      },
      {
        comment: 'reader id 2^32-1 is the largest',
        context: rootCtx,
        bytes: sealEnvelope(withField(rcBody[0] as Uint8Array, 3, 4294967295), F.root),
        expect: null,
        flags: ['valid', 'max'],
      },
    ],
  };

  // Directory.
  const dEnv = signDirectory(F.directory, F.root);
  const dBody = encodeDirectory(F.directory);
  const bigDir = { ...F.directory, entries: [] as typeof F.directory.entries };
  for (let i = 0; i < 64; i++)
    bigDir.entries.push({
      readerId: 1000 + i,
      publicKey: F.reader1.publicKey,
      vendorId: 1,
      notAfter: F.T0 + 86400,
    });
  const bigDir65 = {
    ...bigDir,
    entries: bigDir.entries.concat([
      { readerId: 2000, publicKey: F.reader2.publicKey, vendorId: 1, notAfter: F.T0 },
    ]),
  };
  const unsorted = { ...F.directory, entries: [F.directory.entries[1], F.directory.entries[0]] };
  out.directory = {
    notes: 'Reader directories (SPEC.md §4.3). context: signer = root, fund_id.',
    cases: [
      { comment: 'two readers', context: rootCtx, bytes: dEnv, expect: null, flags: ['valid'] },
      ...signedMutations(dEnv, dBody, F.root, rootCtx, rc),
      {
        comment: '64 readers (MAX_DIRECTORY_READERS)',
        context: rootCtx,
        bytes: signDirectory(bigDir, F.root),
        expect: null,
        flags: ['valid', 'max'],
      },
      {
        comment: '65 readers',
        context: rootCtx,
        bytes: signDirectory(bigDir65, F.root),
        expect: 'STRUCT_TOO_LARGE',
        flags: ['oversized', 'max+1'],
      },
      {
        comment: 'entries not sorted by reader id',
        context: rootCtx,
        bytes: signDirectory(unsorted, F.root),
        expect: 'STRUCT_ORDER',
        flags: ['order'],
      },
    ],
  };

  // Vouchers.
  const vBody = encodeVoucher(F.voucherFlat);
  const vCtx = {
    signer: hex(F.issuer.publicKey),
    fund_id: hex(F.fundId),
    card_uid: hex(F.cardUid),
    month: F.NOV_2026,
    in_region: false,
  };
  const stateEnv = signState(F.sampleState(voucherId(vEnv, sha256Host)), F.reader1);
  const region = new Uint8Array(160);
  region.set(vEnv, 0);
  for (let i = vEnv.length; i < region.length; i++) region[i] = 0xa5; // stale bytes after the item
  out.voucher = {
    notes:
      'Member vouchers (SPEC.md §5). context: signer = issuer public key, fund_id, card_uid, month (index), in_region (bytes are a card region with stale bytes after the item).',
    cases: [
      {
        comment: 'flat 65 € a month, 12 months, no carry-over',
        context: vCtx,
        bytes: vEnv,
        expect: null,
        flags: ['valid'],
      },
      {
        comment: '150 € + 75 € per extra person (3), carry-over capped at 50 €',
        context: { ...vCtx, card_uid: hex(F.voucherHousehold.cardUid) },
        bytes: signVoucher(F.voucherHousehold, F.issuer),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: '4 parts of 25 €, 24 months',
        context: { ...vCtx, card_uid: hex(F.voucherParts.cardUid) },
        bytes: signVoucher(F.voucherParts, F.issuer),
        expect: null,
        flags: ['valid', 'max'],
      },
      ...signedMutations(vEnv, vBody, F.issuer, vCtx, stateEnv),
      {
        comment: 'in a card region with stale bytes after it',
        context: { ...vCtx, in_region: true },
        bytes: region,
        expect: null,
        flags: ['valid', 'region'],
      },
      {
        comment: 'expired: month after the last valid month',
        context: { ...vCtx, month: F.NOV_2026 + 12 },
        bytes: vEnv,
        expect: 'EXPIRED',
        flags: ['expired'],
      },
      {
        comment: 'last valid month',
        context: { ...vCtx, month: F.NOV_2026 + 11 },
        bytes: vEnv,
        expect: null,
        flags: ['valid', 'max'],
      },
      {
        comment: 'before the first month',
        context: { ...vCtx, month: F.NOV_2026 - 1 },
        bytes: vEnv,
        expect: 'NOT_YET_VALID',
        flags: ['not-yet-valid'],
      },
      {
        comment: 'copied to another card (UID differs)',
        context: { ...vCtx, card_uid: '04000000000001' },
        bytes: vEnv,
        expect: 'CARD_UID_MISMATCH',
        flags: ['clone'],
      },
      {
        comment: 'another fund',
        context: { ...vCtx, fund_id: hex(F.otherFundId) },
        bytes: vEnv,
        expect: 'WRONG_FUND',
        flags: ['wrong-fund'],
      },
      {
        comment: 'validity 25 months (MAX_VALIDITY_MONTHS + 1)',
        context: vCtx,
        bytes: signVoucher({ ...F.voucherFlat, validityMonths: 25 }, F.issuer),
        expect: 'STRUCT_RANGE',
        flags: ['max+1'],
      },
      {
        comment: 'monthly allocation 1 000,01 € (MAX + 1)',
        context: vCtx,
        bytes: signVoucher({ ...F.voucherFlat, rule: { ...F.voucherFlat.rule, amount: 100001 } }, F.issuer),
        expect: 'STRUCT_RANGE',
        flags: ['max+1'],
      },
      {
        comment: 'monthly allocation 1 000 € (MAX)',
        context: vCtx,
        bytes: signVoucher({ ...F.voucherFlat, rule: { ...F.voucherFlat.rule, amount: 100000 } }, F.issuer),
        expect: null,
        flags: ['valid', 'max'],
      },
      {
        comment: 'household rule over the monthly maximum',
        context: { ...vCtx, card_uid: hex(F.voucherHousehold.cardUid) },
        bytes: signVoucher(
          { ...F.voucherHousehold, rule: { ...F.voucherHousehold.rule, amount: 90000, perExtra: 5000 } },
          F.issuer,
        ),
        expect: 'STRUCT_RANGE',
        flags: ['max+1'],
      },
      {
        comment: 'allocation rule 4 does not exist',
        context: vCtx,
        bytes: sealEnvelope(withField(vBody, 5, [4, 100]), F.issuer),
        expect: 'STRUCT_RANGE',
        flags: ['range'],
      },
      {
        comment: 'pseudonym of 9 bytes',
        context: vCtx,
        bytes: sealEnvelope(withField(vBody, 3, new Uint8Array(9)), F.issuer),
        expect: 'STRUCT_SHAPE',
        flags: ['oversized'],
      },
      // Version 2 (SPEC.md §5.1): a one-off credit in one month of the validity.
      {
        comment: "v2: credit of 42,10 € in the first month (a lost card's balance given back)",
        context: vCtx,
        bytes: signVoucher(
          { ...F.voucherFlat, serial: 2, credit: { month: F.NOV_2026, amount: 4210 } },
          F.issuer,
        ),
        expect: null,
        flags: ['valid', 'v2'],
      },
      {
        comment: 'v2: credit of 2 000 € (MAX_VOUCHER_CREDIT)',
        context: vCtx,
        bytes: signVoucher(
          { ...F.voucherFlat, serial: 2, credit: { month: F.NOV_2026 + 3, amount: 200000 } },
          F.issuer,
        ),
        expect: null,
        flags: ['valid', 'v2', 'max'],
      },
      {
        comment: 'v2: credit of 2 000,01 €',
        context: vCtx,
        bytes: signVoucher(
          { ...F.voucherFlat, serial: 2, credit: { month: F.NOV_2026, amount: 200001 } },
          F.issuer,
        ),
        expect: 'STRUCT_RANGE',
        flags: ['v2', 'max+1'],
      },
      {
        comment: 'v2: credit in a month after the validity',
        context: vCtx,
        bytes: signVoucher(
          { ...F.voucherFlat, serial: 2, credit: { month: F.NOV_2026 + 12, amount: 100 } },
          F.issuer,
        ),
        expect: 'STRUCT_RANGE',
        flags: ['v2', 'range'],
      },
      {
        comment: 'version 2 with the ten fields of version 1',
        context: vCtx,
        bytes: sealEnvelope(withField(vBody, 1, 2), F.issuer),
        expect: 'STRUCT_VERSION',
        flags: ['v2', 'wrong-version'],
      },
      {
        comment: 'version 1 with an eleventh field',
        context: vCtx,
        bytes: sealEnvelope(
          cborEncode((require_cbor_decode(vBody) as CborValue[]).concat([[F.NOV_2026, 100]])),
          F.issuer,
        ),
        expect: 'STRUCT_SHAPE',
        flags: ['shape'],
      },
      {
        comment: 'version 3',
        context: vCtx,
        bytes: sealEnvelope(withField(vBody, 1, 3), F.issuer),
        expect: 'STRUCT_VERSION',
        flags: ['wrong-version'],
      },
    ],
  };

  // Spend states.
  const prev = voucherId(vEnv, sha256Host);
  const st = F.sampleState(prev);
  const sBody = encodeState(st);
  const sCtx = { signer: hex(F.reader1.publicKey), pseudonym: hex(F.pseudonym), in_region: false };
  const slot = new Uint8Array(168);
  slot.set(stateEnv, 0);
  out.state = {
    notes:
      'Spend states (SPEC.md §6). context: signer = the writing reader public key, pseudonym, in_region.',
    cases: [
      {
        comment: 'first state: 12,50 € spent in November 2026, prev = voucher id',
        context: sCtx,
        bytes: stateEnv,
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'refund state (negative last amount) with carry-over',
        context: sCtx,
        bytes: signState(
          { ...st, cardSeq: 2, spent: 0, lastAmount: -1250, carried: 300, prev: new Uint8Array(16).fill(7) },
          F.reader1,
        ),
        expect: null,
        flags: ['valid'],
      },
      ...signedMutations(stateEnv, sBody, F.reader1, sCtx, vEnv),
      {
        comment: 'in slot region with zero padding',
        context: { ...sCtx, in_region: true },
        bytes: slot,
        expect: null,
        flags: ['valid', 'region'],
      },
      {
        comment: 'torn write: region cut after 60 bytes, rest zero',
        context: { ...sCtx, in_region: true },
        bytes: concatBytes([slot.subarray(0, 60), new Uint8Array(108)]),
        expect: 'SIGNATURE_INVALID',
        flags: ['torn'],
      },
      {
        comment: 'state of another card',
        context: { ...sCtx, pseudonym: hex(F.labelBytes('someone-else', 8)) },
        bytes: stateEnv,
        expect: 'WRONG_KEY',
        flags: ['wrong-card'],
      },
      {
        comment: 'signed by reader 102 but checked with reader 101',
        context: sCtx,
        bytes: signState(st, F.reader2),
        expect: 'SIGNATURE_INVALID',
        flags: ['wrong-key'],
      },
      {
        comment: 'prev of 15 bytes',
        context: sCtx,
        bytes: signState({ ...st, prev: new Uint8Array(15) }, F.reader1),
        expect: 'STRUCT_SHAPE',
        flags: ['truncated'],
      },
      {
        comment: 'spent beyond MAX_AMOUNT_CENTS',
        context: sCtx,
        bytes: signState({ ...st, spent: 100000001 }, F.reader1),
        expect: 'STRUCT_RANGE',
        flags: ['max+1'],
      },
    ],
  };

  // Configuration.
  const cEnv = signConfig(F.config, F.operator);
  const cBody = encodeConfig(F.config);
  const cCtx = { signer: hex(F.operator.publicKey), fund_id: hex(F.fundId), reader_id: 101 };
  const cats8 = [];
  for (let i = 0; i < 8; i++) cats8.push({ id: i, label: 'Catégorie ' + i, rateBp: 1000 * i });
  out.config = {
    notes: 'Reader configurations (SPEC.md §7). context: signer = operator public key, fund_id, reader_id.',
    cases: [
      {
        comment: 'two categories, 100 % and 50 %, Latin-1 labels',
        context: cCtx,
        bytes: cEnv,
        expect: null,
        flags: ['valid'],
      },
      ...signedMutations(cEnv, cBody, F.operator, cCtx, dEnv),
      {
        comment: 'for another reader',
        context: { ...cCtx, reader_id: 102 },
        bytes: cEnv,
        expect: 'WRONG_KEY',
        flags: ['wrong-reader'],
      },
      {
        comment: '8 categories (MAX_CATEGORIES)',
        context: cCtx,
        bytes: signConfig({ ...F.config, categories: cats8 }, F.operator),
        expect: null,
        flags: ['valid', 'max'],
      },
      {
        comment: '9 categories',
        context: cCtx,
        bytes: signConfig(
          { ...F.config, categories: cats8.concat([{ id: 9, label: 'X', rateBp: 0 }]) },
          F.operator,
        ),
        expect: 'STRUCT_TOO_LARGE',
        flags: ['oversized', 'max+1'],
      },
      {
        comment: 'vendor name of 32 bytes (MAX)',
        context: cCtx,
        bytes: signConfig({ ...F.config, vendorName: 'A'.repeat(32) }, F.operator),
        expect: null,
        flags: ['valid', 'max'],
      },
      {
        comment: 'vendor name of 33 bytes',
        context: cCtx,
        bytes: signConfig({ ...F.config, vendorName: 'A'.repeat(33) }, F.operator),
        expect: 'STRUCT_TOO_LARGE',
        flags: ['oversized', 'max+1'],
      },
      {
        comment: 'euro sign in a label (outside Latin-1)',
        context: cCtx,
        bytes: signConfig(
          { ...F.config, categories: [{ id: 1, label: 'Panier 5 €', rateBp: 10000 }] },
          F.operator,
        ),
        expect: 'STRUCT_RANGE',
        flags: ['range'],
      },
      {
        comment: 'rate 100,01 %',
        context: cCtx,
        bytes: signConfig({ ...F.config, categories: [{ id: 1, label: 'Trop', rateBp: 10001 }] }, F.operator),
        expect: 'STRUCT_RANGE',
        flags: ['max+1'],
      },
      {
        comment: 'per-tap maximum above per-card daily maximum',
        context: cCtx,
        bytes: signConfig({ ...F.config, perTapMax: 9000 }, F.operator),
        expect: 'STRUCT_RANGE',
        flags: ['range'],
      },
      {
        comment: 'categories not sorted',
        context: cCtx,
        bytes: signConfig(
          { ...F.config, categories: [F.config.categories[1], F.config.categories[0]] },
          F.operator,
        ),
        expect: 'STRUCT_ORDER',
        flags: ['order'],
      },
    ],
  };

  // Blocklist.
  const bEnv = signBlocklist(F.blocklist, F.operator);
  const bBody = require_cbor_decode(bEnv) as CborValue[];
  const bCtx = { signer: hex(F.operator.publicKey), fund_id: hex(F.fundId) };
  const many: Uint8Array[] = [];
  for (let i = 0; i < 512; i++) many.push(new Uint8Array([0, 0, 0, 0, 0, 0, i >> 8, i & 255]));
  out.blocklist = {
    notes: 'Blocklists (SPEC.md §8). context: signer = operator public key, fund_id.',
    cases: [
      {
        comment: 'two pseudonyms, two readers, one issuer key',
        context: bCtx,
        bytes: bEnv,
        expect: null,
        flags: ['valid'],
      },
      ...signedMutations(bEnv, bBody[0] as Uint8Array, F.operator, bCtx, cEnv),
      {
        comment: '512 entries (MAX_BLOCKLIST_ENTRIES)',
        context: bCtx,
        bytes: signBlocklist(
          { ...F.blocklist, pseudonyms: many, readerIds: [], issuerKeyIds: [] },
          F.operator,
        ),
        expect: null,
        flags: ['valid', 'max'],
      },
      {
        comment: '513 entries',
        context: bCtx,
        bytes: signBlocklist(
          { ...F.blocklist, pseudonyms: many, readerIds: [1], issuerKeyIds: [] },
          F.operator,
        ),
        expect: 'STRUCT_TOO_LARGE',
        flags: ['oversized', 'max+1'],
      },
      {
        comment: 'duplicate pseudonym',
        context: bCtx,
        bytes: signBlocklist(
          { ...F.blocklist, pseudonyms: [F.blocklist.pseudonyms[0], F.blocklist.pseudonyms[0]] },
          F.operator,
        ),
        expect: 'STRUCT_ORDER',
        flags: ['order'],
      },
    ],
  };

  // Log records and chain.
  const sale = encodeLogRecord({
    seq: 42,
    time: st.time,
    kind: LOG_SALE_PENDING,
    data: [1, 1250, 1250, sBody],
  });
  const records = [
    encodeLogRecord({ seq: 1, time: F.T0, kind: LOG_BOOT, data: ['carnet 0.1.0', 0] }),
    encodeLogRecord({
      seq: 2,
      time: F.T0 + 60,
      kind: LOG_CONFIG,
      data: [CHANGE_CONFIG, 5, new Uint8Array(16).fill(1)],
    }),
    encodeLogRecord({ seq: 3, time: F.T0 + 600, kind: LOG_SALE_PENDING, data: [2, 2000, 1000, sBody] }),
    encodeLogRecord({ seq: 4, time: F.T0 + 601, kind: LOG_SALE_COMMIT, data: [3] }),
    encodeLogRecord({ seq: 5, time: F.T0 + 700, kind: LOG_BALANCE, data: [F.pseudonym, null] }),
    encodeLogRecord({ seq: 6, time: F.T0 + 800, kind: LOG_SALE_PENDING, data: [1, 500, 500, sBody] }),
    encodeLogRecord({ seq: 7, time: F.T0 + 805, kind: LOG_VOID, data: [6, VOID_CARD_GONE] }),
    encodeLogRecord({ seq: 8, time: F.T0 + 900, kind: LOG_REFUND_PENDING, data: [3, 1000, sBody] }),
    encodeLogRecord({ seq: 9, time: F.T0 + 901, kind: LOG_REFUND_COMMIT, data: [8] }),
    encodeLogRecord({
      seq: 10,
      time: F.T0 + 950,
      kind: LOG_ALERT,
      data: [ALERT_ROLLBACK, F.pseudonym, [sBody, sBody]],
    }),
    encodeLogRecord({
      seq: 11,
      time: F.T0 + 36000,
      kind: LOG_DAY_CLOSE,
      data: [20758, 1, 1000, 1, [[2, 1, 1000]]],
    }),
  ];
  const logCases: Draft[] = records.map((r, i) => ({
    comment: 'record kind ' + require_kind(r) + ' (seq ' + (i + 1) + ')',
    context: {},
    bytes: r,
    expect: null,
    flags: ['valid'],
  }));
  logCases.push(
    { comment: 'sale pending with its state body', context: {}, bytes: sale, expect: null, flags: ['valid'] },
    {
      comment: 'unknown kind 11',
      context: {},
      bytes: encodeBody(8, [5, F.T0, 11, []]),
      expect: 'STRUCT_RANGE',
      flags: ['range'],
    },
    {
      comment: 'commit pointing at itself',
      context: {},
      bytes: encodeLogRecord({ seq: 4, time: F.T0, kind: LOG_SALE_COMMIT, data: [4] }),
      expect: 'STRUCT_RANGE',
      flags: ['range'],
    },
    {
      comment: 'covered share above the amount',
      context: {},
      bytes: encodeLogRecord({ seq: 3, time: F.T0, kind: LOG_SALE_PENDING, data: [1, 100, 101, sBody] }),
      expect: 'STRUCT_RANGE',
      flags: ['range'],
    },
    {
      comment: 'record of 257 bytes (MAX_LOG_RECORD_BYTES + 1)',
      context: {},
      bytes: encodeLogRecord({
        seq: 10,
        time: F.T0,
        kind: LOG_ALERT,
        data: [1, null, [new Uint8Array(100), new Uint8Array(100), new Uint8Array(38)]],
      }),
      expect: 'STRUCT_TOO_LARGE',
      flags: ['oversized', 'max+1'],
    },
    {
      comment: 'truncated record',
      context: {},
      bytes: records[2].subarray(0, records[2].length - 1),
      expect: 'STRUCT_CBOR',
      flags: ['truncated'],
    },
    {
      comment: 'version 2',
      context: {},
      bytes: withField(records[0], 1, 2),
      expect: 'STRUCT_VERSION',
      flags: ['wrong-version'],
    },
  );
  out.log_record = { notes: 'Log records (SPEC.md §9.1). Decoded without context.', cases: logCases };

  const genesis = chainGenesis(F.fundId, 101, sha256Host);
  const chainCtx = { prev: hex(genesis), from_seq: 1 };
  let h = genesis;
  for (const r of records.slice(0, 5)) h = chainNext(h, r, sha256Host);
  out.log_chain = {
    notes:
      'Hash chains (SPEC.md §9.2). bytes: CBOR array of record byte strings; context: prev (chain value before from_seq), from_seq. decoded: head after the last verified record.',
    cases: [
      {
        comment: 'eleven records from genesis of reader 101',
        context: chainCtx,
        bytes: cborEncode(records),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'records 6-11 continuing from h_5',
        context: { prev: hex(h), from_seq: 6 },
        bytes: cborEncode(records.slice(5)),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'record 4 missing (gap)',
        context: chainCtx,
        bytes: cborEncode([records[0], records[1], records[2], records[4]]),
        expect: 'LOG_GAP',
        flags: ['gap'],
      },
      {
        comment: 'record 3 tampered (one bit)',
        context: chainCtx,
        bytes: cborEncode([records[0], records[1], flipBit(records[2], records[2].length - 1, 0)]),
        expect: null,
        flags: ['valid', 'tampered-head-differs'],
      },
    ],
  };

  // Checkpoints.
  const cp = {
    fundId: F.fundId,
    readerId: 101,
    seq: 11,
    head: new Uint8Array(32).fill(9),
    time: F.T0 + 36001,
    nonce: F.labelBytes('nonce', 16),
  };
  const cpEnv = signCheckpoint(cp, F.reader1);
  const cpBody = require_cbor_decode(cpEnv) as CborValue[];
  const cpCtx = { signer: hex(F.reader1.publicKey), fund_id: hex(F.fundId), reader_id: 101 };
  out.checkpoint = {
    notes: 'Checkpoints (SPEC.md §9.3). context: signer = reader public key, fund_id, reader_id.',
    cases: [
      {
        comment: 'head at seq 11 with a host nonce',
        context: cpCtx,
        bytes: cpEnv,
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'day-close checkpoint without nonce',
        context: cpCtx,
        bytes: signCheckpoint({ ...cp, nonce: null }, F.reader1),
        expect: null,
        flags: ['valid'],
      },
      ...signedMutations(cpEnv, cpBody[0] as Uint8Array, F.reader1, cpCtx, stateEnv),
      {
        comment: 'checkpoint of reader 102 presented as 101',
        context: cpCtx,
        bytes: signCheckpoint({ ...cp, readerId: 102 }, F.reader1),
        expect: 'WRONG_KEY',
        flags: ['wrong-reader'],
      },
    ],
  };

  // Commands.
  const nonce = F.labelBytes('reader-nonce', 16);
  const cmd = {
    fundId: F.fundId,
    readerId: 101,
    nonce: nonce,
    issuedAt: F.T0,
    kind: CMD_SET_TIME,
    args: [F.T0 + 5],
    signerKeyId: F.kid(F.operator),
  };
  const cmdEnv = signCommand(cmd, F.operator, kc);
  const cmdCtx = {
    signer: hex(F.operator.publicKey),
    fund_id: hex(F.fundId),
    reader_id: 101,
    nonce: hex(nonce),
  };
  const cmdBody = (require_cbor_decode(cmdEnv) as CborValue[])[0] as Uint8Array;
  out.command = {
    notes:
      "Signed commands (SPEC.md §10). context: signer public key, fund_id, reader_id, nonce (the reader's current challenge).",
    cases: [
      {
        comment: 'SET_TIME with the operator certificate attached',
        context: cmdCtx,
        bytes: cmdEnv,
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'ACK_LOG up to 11',
        context: cmdCtx,
        bytes: signCommand(
          { ...cmd, kind: CMD_ACK_LOG, args: [11, new Uint8Array(32).fill(9)] },
          F.operator,
          null,
        ),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'PUT_CONFIG inline',
        context: cmdCtx,
        bytes: signCommand({ ...cmd, kind: CMD_PUT_CONFIG, args: [cEnv, null] }, F.operator, null),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'KEYGEN signed by the root',
        context: { ...cmdCtx, signer: hex(F.root.publicKey) },
        bytes: signCommand(
          { ...cmd, kind: CMD_KEYGEN, args: [F.root.publicKey], signerKeyId: F.kid(F.root) },
          F.root,
          null,
        ),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'replayed: nonce of an earlier challenge',
        context: { ...cmdCtx, nonce: hex(F.labelBytes('old-nonce', 16)) },
        bytes: cmdEnv,
        expect: 'BAD_NONCE',
        flags: ['replay'],
      },
      {
        comment: 'for another reader',
        context: { ...cmdCtx, reader_id: 102 },
        bytes: cmdEnv,
        expect: 'WRONG_KEY',
        flags: ['wrong-reader'],
      },
      {
        comment: 'signature flipped',
        context: cmdCtx,
        bytes: flipBit(cmdEnv, 3 + cmdBody.length + 3, 0),
        expect: 'SIGNATURE_INVALID',
        flags: ['flipped-bit'],
      },
      {
        comment: 'PUT_CONFIG with both inline and staged objects',
        context: cmdCtx,
        bytes: signCommand(
          { ...cmd, kind: CMD_PUT_CONFIG, args: [cEnv, new Uint8Array(32)] },
          F.operator,
          null,
        ),
        expect: 'STRUCT_SHAPE',
        flags: ['shape'],
      },
      {
        comment: 'another fund',
        context: { ...cmdCtx, fund_id: hex(F.otherFundId) },
        bytes: cmdEnv,
        expect: 'WRONG_FUND',
        flags: ['wrong-fund'],
      },
    ],
  };

  // Card headers and images.
  out.card_header = {
    notes: 'Card headers (SPEC.md §12.1), 8 bytes from page 4.',
    cases: [
      {
        comment: 'NTAG215, no flags',
        context: {},
        bytes: encodeCardHeader(CHIP_NTAG215, 0),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'NTAG216, write-protected',
        context: {},
        bytes: encodeCardHeader(CHIP_NTAG216, 1),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'blank card (zeros)',
        context: {},
        bytes: new Uint8Array(8),
        expect: 'CARD_NO_HEADER',
        flags: ['blank'],
      },
      {
        comment: 'CRC mismatch',
        context: {},
        bytes: flipBit(encodeCardHeader(CHIP_NTAG215, 0), 4, 1),
        expect: 'CARD_HEADER_CRC',
        flags: ['flipped-bit'],
      },
      {
        comment: 'layout version 2',
        context: {},
        bytes: headerWith(2, CHIP_NTAG215),
        expect: 'CARD_LAYOUT_VERSION',
        flags: ['wrong-version'],
      },
      {
        comment: 'NTAG213 chip byte',
        context: {},
        bytes: headerWith(1, 0x0f),
        expect: 'CARD_CHIP',
        flags: ['wrong-chip'],
      },
    ],
  };
  const imgCtx = {
    issuer: hex(F.issuer.publicKey),
    reader: hex(F.reader1.publicKey),
    fund_id: hex(F.fundId),
    card_uid: hex(F.cardUid),
    month: F.NOV_2026,
  };
  const st2 = signState(
    { ...st, cardSeq: 2, spent: 2000, lastAmount: 750, prev: new Uint8Array(16).fill(3) },
    F.reader1,
  );
  const img215 = cardImage(NTAG215_LAYOUT, vEnv, stateEnv, st2);
  const torn = new Uint8Array(img215);
  const slotB = regionOf(torn, NTAG215_LAYOUT.slotB);
  for (let i = 40; i < slotB.length; i++) slotB[i] = 0xff;
  out.card_image = {
    notes:
      'Whole card images (SPEC.md §12): user memory from page 4. context: issuer, reader (public keys), fund_id, card_uid, month.',
    cases: [
      {
        comment: 'NTAG215: header, voucher, slot A seq 1, slot B seq 2',
        context: imgCtx,
        bytes: img215,
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'NTAG216 with the same content and an empty receipts ring',
        context: imgCtx,
        bytes: cardImage(NTAG216_LAYOUT, vEnv, stateEnv, st2),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'NTAG215 with slot B torn after 40 bytes: slot A still valid',
        context: imgCtx,
        bytes: torn,
        expect: null,
        flags: ['valid', 'torn'],
      },
      {
        comment: 'NTAG215 without header (pulled away during issue)',
        context: imgCtx,
        bytes: (() => {
          const c = new Uint8Array(img215);
          c.fill(0, 0, 8);
          return c;
        })(),
        expect: 'CARD_NO_HEADER',
        flags: ['torn'],
      },
    ],
  };

  // CBOR.
  const cborCases: Draft[] = [
    {
      comment: 'array [type, version] of a voucher',
      context: {},
      bytes: fromHex('820401'),
      expect: null,
      flags: ['valid'],
    },
    {
      comment: 'largest safe integer 2^53-1',
      context: {},
      bytes: fromHex('1b001fffffffffffff'),
      expect: null,
      flags: ['valid', 'max'],
    },
    {
      comment: '2^53',
      context: {},
      bytes: fromHex('1b0020000000000000'),
      expect: 'CBOR_INT_RANGE',
      flags: ['max+1'],
    },
    {
      comment: 'non-shortest integer 0x18 0x17',
      context: {},
      bytes: fromHex('1817'),
      expect: 'CBOR_NON_CANONICAL',
      flags: ['non-canonical'],
    },
    {
      comment: 'indefinite-length array',
      context: {},
      bytes: fromHex('9f01ff'),
      expect: 'CBOR_INDEFINITE',
      flags: ['indefinite'],
    },
    {
      comment: 'map keys out of order',
      context: {},
      bytes: fromHex('a2020101 01'.replace(' ', '')),
      expect: 'CBOR_MAP_ORDER',
      flags: ['order'],
    },
    {
      comment: 'duplicate map key',
      context: {},
      bytes: fromHex('a201010102'),
      expect: 'CBOR_MAP_DUPLICATE',
      flags: ['order'],
    },
    {
      comment: 'trailing byte',
      context: {},
      bytes: fromHex('0000'),
      expect: 'CBOR_TRAILING',
      flags: ['trailing'],
    },
    {
      comment: 'array claiming more items than bytes',
      context: {},
      bytes: fromHex('9a7fffffff00'),
      expect: 'CBOR_LENGTH',
      flags: ['oversized'],
    },
    {
      comment: 'float 1.5',
      context: {},
      bytes: fromHex('f93e00'),
      expect: 'CBOR_UNSUPPORTED',
      flags: ['unsupported'],
    },
    {
      comment: 'tag 1',
      context: {},
      bytes: fromHex('c11a514b67b0'),
      expect: 'CBOR_UNSUPPORTED',
      flags: ['unsupported'],
    },
    {
      comment: '16 nested arrays (CBOR_MAX_DEPTH)',
      context: {},
      bytes: fromHex('81'.repeat(15) + '80'),
      expect: null,
      flags: ['valid', 'max'],
    },
    {
      comment: '17 nested arrays',
      context: {},
      bytes: fromHex('81'.repeat(16) + '80'),
      expect: 'CBOR_DEPTH',
      flags: ['max+1'],
    },
    {
      comment: 'invalid UTF-8 in text',
      context: {},
      bytes: fromHex('62c328'),
      expect: 'CBOR_UTF8',
      flags: ['utf8'],
    },
    {
      comment: 'byte string longer than the input',
      context: {},
      bytes: fromHex('44010203'),
      expect: 'CBOR_LENGTH',
      flags: ['truncated'],
    },
    {
      comment: 'input ends inside an integer argument',
      context: {},
      bytes: fromHex('1a0102'),
      expect: 'CBOR_TRUNCATED',
      flags: ['truncated'],
    },
  ];
  out.cbor = {
    notes: 'The deterministic CBOR subset (SPEC.md §1). decoded: byte strings as hex, maps as objects.',
    cases: cborCases,
  };

  // Ed25519 rule edge cases (beyond Wycheproof).
  const msg = new TextEncoder().encode('carnet');
  const goodSig = F.issuer.sign(msg);
  const L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
  const sAddL = addLittleEndian(goodSig.subarray(32), L);
  const edCtx = { public_key: hex(F.issuer.publicKey), message: hex(msg) };
  const edCases: Draft[] = [
    { comment: 'valid signature', context: edCtx, bytes: goodSig, expect: null, flags: ['valid'] },
    {
      comment: 'S + L (malleated, S >= L)',
      context: edCtx,
      bytes: concatBytes([goodSig.subarray(0, 32), sAddL]),
      expect: 'INVALID',
      flags: ['malleability'],
    },
    {
      comment:
        'identity public key with R = identity, S = 0 (valid for every message without the small-order rule)',
      context: { public_key: '01' + '00'.repeat(31), message: hex(msg) },
      bytes: fromHex('01' + '00'.repeat(63)),
      expect: 'INVALID',
      flags: ['small-order'],
    },
    {
      comment: 'public key y = p (non-canonical encoding of y = 0)',
      context: {
        public_key: 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
        message: hex(msg),
      },
      bytes: goodSig,
      expect: 'INVALID',
      flags: ['non-canonical'],
    },
    {
      comment: 'signature of 63 bytes',
      context: edCtx,
      bytes: goodSig.subarray(0, 63),
      expect: 'INVALID',
      flags: ['truncated'],
    },
  ];
  out.ed25519 = {
    notes:
      'Ed25519 rule cases of SPEC.md §2 beyond Wycheproof. bytes: the 64-byte signature. context: public_key, message (hex).',
    cases: edCases,
  };

  // Serial frames: SLIP byte streams.
  const hello = encodeFrameSlip({
    kind: FRAME_KIND_DATA,
    seq: 1,
    requestId: 1,
    type: MSG_HELLO,
    payload: encodeMessage(MSG_HELLO, [1700000000]),
  });
  const ack = encodeFrameSlip(ackFrame(1));
  const pull = encodeFrameSlip({
    kind: FRAME_KIND_DATA,
    seq: 7,
    requestId: 300,
    type: MSG_PULL_LOG,
    payload: encodeMessage(MSG_PULL_LOG, [1, 64]),
  });
  const batch = encodeFrameSlip({
    kind: FRAME_KIND_DATA,
    seq: 9,
    requestId: 300,
    type: MSG_LOG_BATCH,
    payload: encodeMessage(MSG_LOG_BATCH, [1, genesis, records.slice(0, 5), 11]),
  });
  const escapes = encodeFrameSlip({
    kind: FRAME_KIND_DATA,
    seq: 0xc0db,
    requestId: 0xdbc0,
    type: MSG_NONCE,
    payload: encodeMessage(MSG_NONCE, [new Uint8Array(16).fill(0xc0)]),
  });
  const cmdFrame = encodeFrameSlip({
    kind: FRAME_KIND_DATA,
    seq: 2,
    requestId: 2,
    type: MSG_COMMAND,
    payload: encodeMessage(MSG_COMMAND, [cmdEnv]),
  });
  const corrupt = new Uint8Array(hello);
  corrupt[9] ^= 0x01;
  out.frame = {
    notes:
      'Serial link (SPEC.md §11): bytes are a SLIP stream; decoded lists each frame (kind, seq, request_id, type, payload, message) or receive error in order.',
    cases: [
      {
        comment: 'HELLO 1700000000, seq 1, request 1 (the SPEC worked example)',
        context: {},
        bytes: hello,
        expect: null,
        flags: ['valid'],
      },
      { comment: 'its ACK', context: {}, bytes: ack, expect: null, flags: ['valid'] },
      {
        comment: 'PULL_LOG then LOG_BATCH of five records, in one stream',
        context: {},
        bytes: concatBytes([pull, batch]),
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'seq, request id and payload full of 0xC0/0xDB: escapes',
        context: {},
        bytes: escapes,
        expect: null,
        flags: ['valid', 'escapes'],
      },
      {
        comment: 'signed SET_TIME command in a COMMAND frame',
        context: {},
        bytes: cmdFrame,
        expect: null,
        flags: ['valid'],
      },
      {
        comment: 'line noise before a frame: reported, then the frame decodes',
        context: {},
        bytes: concatBytes([new Uint8Array([0x41, 0x54, 0x0d, 0x0a]), hello]),
        expect: 'FRAME_TOO_SHORT',
        flags: ['noise', 'resync'],
      },
      {
        comment: 'one flipped bit in the payload: CRC error, next frame fine',
        context: {},
        bytes: concatBytes([corrupt, ack]),
        expect: 'FRAME_BAD_CRC',
        flags: ['flipped-bit', 'resync'],
      },
      {
        comment: 'bad escape DB 00',
        context: {},
        bytes: new Uint8Array([0xc0, 0x01, 0xdb, 0x00, 0xc0]),
        expect: 'SLIP_BAD_ESCAPE',
        flags: ['bad-escape'],
      },
      {
        comment: 'frame of 1036 bytes (MAX_FRAME_BYTES + 1)',
        context: {},
        bytes: concatBytes([new Uint8Array([0xc0]), new Uint8Array(1036).fill(1), new Uint8Array([0xc0])]),
        expect: 'SLIP_OVERSIZE',
        flags: ['oversized', 'max+1'],
      },
      {
        comment: 'unknown message type 0x3e in a well-formed frame',
        context: {},
        bytes: encodeFrameSlip({
          kind: FRAME_KIND_DATA,
          seq: 3,
          requestId: 3,
          type: 0x3e,
          payload: new Uint8Array([0x80]),
        }),
        expect: 'MSG_UNKNOWN_TYPE',
        flags: ['unknown-type'],
      },
      {
        comment: 'HELLO with a float instead of an integer',
        context: {},
        bytes: encodeFrameSlip({
          kind: FRAME_KIND_DATA,
          seq: 4,
          requestId: 4,
          type: MSG_HELLO,
          payload: fromHex('81f93e00'),
        }),
        expect: 'MSG_BAD_CBOR',
        flags: ['shape'],
      },
      {
        comment: 'frame version 2',
        context: {},
        bytes: reframed(hello, 0, 2),
        expect: 'FRAME_BAD_VERSION',
        flags: ['wrong-version'],
      },
      {
        comment: 'truncated: stream ends without the closing END (nothing decoded yet)',
        context: {},
        bytes: hello.subarray(0, hello.length - 1),
        expect: null,
        flags: ['valid', 'truncated'],
      },
    ],
  };

  return out;
}

/** A SLIP frame with one header byte replaced and its CRC recomputed, so only that field is wrong. */
function reframed(slip: Uint8Array, index: number, value: number): Uint8Array {
  const frame = slip.subarray(1, slip.length - 1); // no escapes in the HELLO example
  const body = new Uint8Array(frame.subarray(0, frame.length - 4));
  body[index] = value;
  const crc = crc32(body);
  const withCrc = concatBytes([
    body,
    new Uint8Array([(crc >>> 24) & 255, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255]),
  ]);
  return slipEncode(withCrc);
}

function require_kind(r: Uint8Array): number {
  return (require_cbor_decode(r) as CborValue[])[4] as number;
}

function headerWith(version: number, chip: number): Uint8Array {
  const h = encodeCardHeader(CHIP_NTAG215, 0);
  h[2] = version;
  h[3] = chip;
  // Recompute the CRC so that only the named field is wrong.
  const crc = crc16(h, 0, 6);
  h[6] = crc >> 8;
  h[7] = crc & 0xff;
  return h;
}

function addLittleEndian(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const s = a[i] + b[i] + carry;
    out[i] = s & 255;
    carry = s >> 8;
  }
  return out;
}

function cardImage(l: CardLayout, voucher: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  const img = new Uint8Array(userMemoryBytes(l));
  regionOf(img, l.header).set(encodeCardHeader(l.chip, 0));
  regionOf(img, l.voucher).set(voucher);
  regionOf(img, l.slotA).set(a);
  regionOf(img, l.slotB).set(b);
  return img;
}

/** Builds every vector file in memory: outcome of the current code, checked against the expected verdicts. */
export function generateVectorFiles(): VectorFile[] {
  const all = drafts();
  const files: VectorFile[] = [];
  for (const structure of Object.keys(all)) {
    const tests: VectorCase[] = [];
    all[structure].cases.forEach((d, i) => {
      const t: VectorCase = {
        id: i + 1,
        comment: d.comment,
        context: d.context,
        bytes: toHex(d.bytes),
        result: '',
        code: null,
        decoded: null,
        flags: d.flags,
      };
      const o = runVectorCase(structure, t, hostCrypto);
      const expectedResult = d.expect === null ? 'valid' : 'invalid';
      const codeOk = structure === 'ed25519' ? true : o.code === d.expect;
      if (o.result !== expectedResult || !codeOk) {
        throw new Error(
          `vector ${structure} #${i + 1} (${d.comment}): expected ${d.expect ?? 'valid'}, got ${o.result} ${o.code ?? ''}`,
        );
      }
      t.result = o.result;
      t.code = structure === 'ed25519' ? null : o.code;
      t.decoded = o.decoded;
      tests.push(t);
    });
    files.push({
      schema: 'carnet_vectors_v1',
      structure: structure,
      version: 1,
      generator: 'protocol/scripts/gen-vectors.ts',
      notes: all[structure].notes,
      tests: tests,
    });
  }
  return files;
}

export function caseDigest(t: VectorCase): string {
  return createHash('sha256').update(JSON.stringify(t)).digest('hex');
}

function main(): void {
  const check = process.argv.includes('--check');
  let changed = 0;
  for (const f of generateVectorFiles()) {
    const path = join(VECTORS_DIR, f.structure + '.json');
    let tests = f.tests;
    if (existsSync(path)) {
      const old = JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
      for (const t of old.tests) {
        const now = f.tests.find((x) => x.id === t.id);
        if (!now || caseDigest(now) !== caseDigest(t)) {
          throw new Error(
            `${f.structure}.json case ${t.id} would change: vectors are append-only (a format change is a new version)`,
          );
        }
      }
      tests = old.tests.concat(f.tests.filter((x) => x.id > old.tests.length));
      if (tests.length === old.tests.length) continue;
    }
    changed++;
    if (!check) writeFileSync(path, JSON.stringify({ ...f, tests: tests }, null, 1) + '\n');
    console.log(`${check ? 'would write' : 'wrote'} ${path} (${tests.length} cases)`);
  }
  if (check && changed > 0) process.exit(1);
  console.log(changed === 0 ? 'vectors: nothing to append' : `vectors: ${changed} file(s)`);
}

if (process.argv[1] && process.argv[1].endsWith('gen-vectors.ts')) main();
