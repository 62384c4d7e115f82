// Reader log (SPEC.md §9): records, their SHA-256 chain, and reader-signed checkpoints.

import { CborValue, cborDecode } from '../cbor';
import { concatBytes, utf8Encode } from '../bytes';
import { Ed25519Signer, Sha256 } from '../crypto/types';
import {
  FUND_ID_BYTES,
  HASH_BYTES,
  MAX_AMOUNT_CENTS,
  MAX_CATEGORIES,
  MAX_CATEGORY_ID,
  MAX_LOG_RECORD_BYTES,
  MAX_U32,
  NONCE_BYTES,
  PSEUDONYM_BYTES,
  STATE_ID_BYTES,
} from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';
import { Fields } from './fields';
import {
  Opened,
  TYPE_CHECKPOINT,
  TYPE_LOG_RECORD,
  checkBody,
  encodeBody,
  openTyped,
  sealEnvelope,
} from './envelope';

export const LOG_SALE_PENDING = 1;
export const LOG_SALE_COMMIT = 2;
export const LOG_VOID = 3;
export const LOG_REFUND_PENDING = 4;
export const LOG_REFUND_COMMIT = 5;
export const LOG_BALANCE = 6;
export const LOG_ALERT = 7;
export const LOG_CONFIG = 8;
export const LOG_BOOT = 9;
export const LOG_DAY_CLOSE = 10;

/** VOID reasons. */
export const VOID_CARD_GONE = 1;
export const VOID_CANCELLED = 2;
export const VOID_POWER_LOSS = 3;

/** ALERT codes: refusals that are evidence. */
export const ALERT_ROLLBACK = 1;
export const ALERT_BAD_SIGNATURE = 2;
export const ALERT_BLOCKLISTED = 3;
export const ALERT_UID_MISMATCH = 4;
export const ALERT_FUTURE_STATE = 5;

/** CONFIG "what" codes. */
export const CHANGE_KEYGEN = 1;
export const CHANGE_CERTIFICATE = 2;
export const CHANGE_CONFIG = 3;
export const CHANGE_DIRECTORY = 4;
export const CHANGE_BLOCKLIST = 5;
export const CHANGE_KEY_CERTIFICATE = 6;
export const CHANGE_TIME = 7;
export const CHANGE_LOG_ACK = 8;
export const CHANGE_MAINTENANCE = 9;

/** Evidence items carried by one alert: two states (presented and newer) and room for one more. */
export const MAX_ALERT_EVIDENCE = 3;
/** A state body inside a log record is at most what a card slot holds minus the signature. */
export const MAX_STATE_BODY_BYTES = 100;
/** Firmware version strings: "carnet 1.2.3" fits. */
export const MAX_FIRMWARE_VERSION_BYTES = 24;

export interface LogRecord {
  seq: number;
  time: number;
  kind: number;
  /** Kind-specific fields (SPEC.md §9.1), validated by readLogRecord. */
  data: CborValue[];
}

const RECORD_FIELDS = 4;

export function encodeLogRecord(r: LogRecord): Uint8Array {
  return encodeBody(TYPE_LOG_RECORD, [r.seq, r.time, r.kind, r.data]);
}

function dataFields(kind: number): number {
  if (kind === LOG_SALE_PENDING) return 4;
  if (kind === LOG_SALE_COMMIT || kind === LOG_REFUND_COMMIT) return 1;
  if (kind === LOG_VOID) return 2;
  if (kind === LOG_REFUND_PENDING) return 3;
  if (kind === LOG_BALANCE) return 2;
  if (kind === LOG_ALERT) return 3;
  if (kind === LOG_CONFIG) return 3;
  if (kind === LOG_BOOT) return 2;
  if (kind === LOG_DAY_CLOSE) return 5;
  return -1;
}

function checkData(f: Fields, seq: number, kind: number, data: CborValue[]): void {
  const g = new Fields(data, 'données du relevé', dataFields(kind));
  if (kind === LOG_SALE_PENDING) {
    g.uint(0, 'category_id', 0, MAX_CATEGORY_ID);
    const amount = g.uint(1, 'amount', 1, MAX_AMOUNT_CENTS);
    const covered = g.uint(2, 'covered', 0, MAX_AMOUNT_CENTS);
    g.bytesMax(3, 'state', MAX_STATE_BODY_BYTES);
    if (g.error === '' && covered > amount) g.fail('STRUCT_RANGE', 'part couverte supérieure au montant');
  } else if (kind === LOG_SALE_COMMIT || kind === LOG_REFUND_COMMIT) {
    g.uint(0, 'pending_seq', 1, seq - 1);
  } else if (kind === LOG_VOID) {
    g.uint(0, 'pending_seq', 1, seq - 1);
    g.uint(1, 'reason', VOID_CARD_GONE, VOID_POWER_LOSS);
  } else if (kind === LOG_REFUND_PENDING) {
    g.uint(0, 'sale_seq', 1, seq - 1);
    g.uint(1, 'amount', 1, MAX_AMOUNT_CENTS);
    g.bytesMax(2, 'state', MAX_STATE_BODY_BYTES);
  } else if (kind === LOG_BALANCE) {
    g.bytes(0, 'pseudonym', PSEUDONYM_BYTES);
    if (!g.isNull(1)) g.bytes(1, 'state_id', STATE_ID_BYTES);
  } else if (kind === LOG_ALERT) {
    g.uint(0, 'code', 1, 255);
    if (!g.isNull(1)) g.bytes(1, 'pseudonym', PSEUDONYM_BYTES);
    const ev = g.array(2, 'evidence', MAX_ALERT_EVIDENCE);
    for (let i = 0; i < ev.length && g.error === ''; i++) {
      if (!(ev[i] instanceof Uint8Array)) g.fail('STRUCT_SHAPE', 'preuve ' + i + ' : octets attendus');
    }
  } else if (kind === LOG_CONFIG) {
    g.uint(0, 'what', CHANGE_KEYGEN, CHANGE_MAINTENANCE);
    g.uint(1, 'version', 0, MAX_U32);
    if (!g.isNull(2)) g.bytes(2, 'digest', STATE_ID_BYTES);
  } else if (kind === LOG_BOOT) {
    g.text(0, 'firmware_version', MAX_FIRMWARE_VERSION_BYTES);
    g.uint(1, 'reset_cause', 0, 255);
  } else if (kind === LOG_DAY_CLOSE) {
    g.uint(0, 'local_day', 0, MAX_U32);
    g.uint(1, 'count', 0, MAX_U32);
    g.uint(2, 'covered_total', 0, MAX_AMOUNT_CENTS);
    g.uint(3, 'first_seq', 1, seq);
    const per = g.array(4, 'per_category', MAX_CATEGORIES);
    for (let i = 0; i < per.length && g.error === ''; i++) {
      const h = new Fields(per[i], 'total de catégorie ' + i, 3);
      h.uint(0, 'category_id', 0, MAX_CATEGORY_ID);
      h.uint(1, 'count', 0, MAX_U32);
      h.uint(2, 'covered', 0, MAX_AMOUNT_CENTS);
      if (h.error !== '') g.fail(h.errorCode, h.error);
    }
  } else {
    f.fail('STRUCT_RANGE', 'type de relevé ' + kind + ' inconnu');
    return;
  }
  if (g.error !== '') f.fail(g.errorCode, g.error);
}

export function readLogRecord(fields: CborValue[]): Verdict<LogRecord> {
  const f = new Fields(fields, 'relevé du journal', RECORD_FIELDS);
  const r: LogRecord = {
    seq: f.uint(0, 'seq', 1, MAX_U32),
    time: f.uint(1, 'time', 0, MAX_U32),
    kind: f.uint(2, 'kind', LOG_SALE_PENDING, LOG_DAY_CLOSE),
    data: f.array(3, 'data', 8),
  };
  if (f.error === '') checkData(f, r.seq, r.kind, r.data);
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(r);
}

/** Decodes one record's bytes (no envelope: records are covered by the chain and checkpoints). */
export function decodeLogRecord(bytes: Uint8Array): Verdict<LogRecord> {
  if (bytes.length > MAX_LOG_RECORD_BYTES) {
    return failVerdict(
      'STRUCT_TOO_LARGE',
      'relevé du journal de plus de ' + MAX_LOG_RECORD_BYTES + ' octets',
    );
  }
  const d = cborDecode(bytes);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  const b = checkBody(d.value, TYPE_LOG_RECORD, RECORD_FIELDS);
  if (!b.ok) return failVerdict(b.code, b.message);
  return readLogRecord(b.value);
}

const GENESIS_LABEL = utf8Encode('carnet-log');

/** h_0 = SHA-256("carnet-log" || fund_id || reader_id as 4 bytes big-endian) (SPEC.md §9.2). */
export function chainGenesis(fundId: Uint8Array, readerId: number, sha256: Sha256): Uint8Array {
  const id = new Uint8Array(4);
  id[0] = Math.floor(readerId / 16777216) & 255;
  id[1] = (readerId >> 16) & 255;
  id[2] = (readerId >> 8) & 255;
  id[3] = readerId & 255;
  return sha256(concatBytes([GENESIS_LABEL, fundId, id]));
}

/** h_n = SHA-256(h_{n−1} || record_n) (SPEC.md §9.2). */
export function chainNext(prev: Uint8Array, record: Uint8Array, sha256: Sha256): Uint8Array {
  return sha256(concatBytes([prev, record]));
}

export interface ChainCheck {
  /** Chain value after the last record that verified. */
  head: Uint8Array;
  /** Sequence number of the last record that verified (from − 1 if none). */
  lastSeq: number;
  records: LogRecord[];
}

/**
 * Verifies a run of consecutive records starting at `fromSeq` after chain value `prev`: each decodes,
 * sequences follow without gap. Stops at the first bad record and says why, keeping what verified.
 */
export function verifyLogRun(
  prev: Uint8Array,
  fromSeq: number,
  records: Uint8Array[],
  sha256: Sha256,
): { ok: boolean; code: string; message: string; value: ChainCheck } {
  let head = prev;
  const out: LogRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = decodeLogRecord(records[i]);
    const expected = fromSeq + i;
    if (!r.ok) {
      return {
        ok: false,
        code: r.code,
        message: r.message,
        value: { head: head, lastSeq: expected - 1, records: out },
      };
    }
    if (r.value.seq !== expected) {
      return {
        ok: false,
        code: 'LOG_GAP',
        message: 'relevé ' + r.value.seq + ' reçu à la place du relevé ' + expected,
        value: { head: head, lastSeq: expected - 1, records: out },
      };
    }
    head = chainNext(head, records[i], sha256);
    out.push(r.value);
  }
  return {
    ok: true,
    code: '',
    message: '',
    value: { head: head, lastSeq: fromSeq + records.length - 1, records: out },
  };
}

export interface Checkpoint {
  fundId: Uint8Array;
  readerId: number;
  seq: number;
  head: Uint8Array;
  time: number;
  nonce: Uint8Array | null;
}

const CHECKPOINT_FIELDS = 6;

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  return encodeBody(TYPE_CHECKPOINT, [c.fundId, c.readerId, c.seq, c.head, c.time, c.nonce]);
}

export function signCheckpoint(c: Checkpoint, reader: Ed25519Signer): Uint8Array {
  return sealEnvelope(encodeCheckpoint(c), reader);
}

export function readCheckpoint(fields: CborValue[]): Verdict<Checkpoint> {
  const f = new Fields(fields, 'point de contrôle', CHECKPOINT_FIELDS);
  const c: Checkpoint = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    readerId: f.uint(1, 'reader_id', 1, MAX_U32),
    seq: f.uint(2, 'seq', 0, MAX_U32),
    head: f.bytes(3, 'head', HASH_BYTES),
    time: f.uint(4, 'time', 0, MAX_U32),
    nonce: f.isNull(5) ? null : f.bytes(5, 'nonce', NONCE_BYTES),
  };
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(c);
}

export function openCheckpoint(bytes: Uint8Array): Verdict<{ opened: Opened; value: Checkpoint }> {
  return openTyped(bytes, TYPE_CHECKPOINT, CHECKPOINT_FIELDS, readCheckpoint);
}
