// Message catalog of the host link, v1 (SPEC.md, "Host link", message catalog).
//
// Each DATA frame's `type` byte (frame.ts) names a message; its payload is the deterministic CBOR
// (cbor.ts, RFC 8949 §4.2.1) of an ARRAY of fields, by position. Host requests have types 0x01..0x3F;
// the reader answers request T with T | 0x80, or with ERROR (0x7F) whatever the request.
//
// The catalog is data (MESSAGE_SPECS): one generic checker validates arity, each field's CBOR type,
// integer ranges and string lengths, and builds the typed object; the same table drives encoding, so a
// shape is written once. Every text field is printable ASCII (0x20..0x7E): Espruino strings are 8-bit on
// the boards (../../shared/espruino/FACTS.md), so ASCII has the same length in characters and bytes on
// both ends; people read the French texts of status.ts, chosen by code on the host.
//
// Every message's largest legal instance fits MAX_FRAME_PAYLOAD (tested). Decoding never throws;
// encoding throws `{ code, message }` on a programmer error (bad shape, or too long for a frame).
//
// Espruino subset: no Map (specs are found by a linear search over 13 entries), no computed keys
// (typed objects are filled by assignment), helpers declared before the table that calls them.

import { CborValue, cborDecode, cborEncode } from './cbor';
import { MAX_FRAME_PAYLOAD } from './frame';
import {
  FUND_ID_BYTES,
  HASH_BYTES,
  MAX_COMMAND_BYTES,
  MAX_LOG_RECORD_BYTES,
  MAX_STAGED_BYTES,
  MAX_U32,
  NONCE_BYTES,
} from './limits';
import { MAX_STATUS_CODE } from './status';

export { MAX_LOG_RECORD_BYTES } from './limits';

// ---------------------------------------------------------------------------------------------------
// Types

export const MSG_HELLO = 0x01;
export const MSG_INFO = 0x81;
export const MSG_CHALLENGE = 0x02;
export const MSG_NONCE = 0x82;
export const MSG_COMMAND = 0x03;
export const MSG_RESULT = 0x83;
export const MSG_PULL_LOG = 0x04;
export const MSG_LOG_BATCH = 0x84;
export const MSG_GET_CHECKPOINT = 0x05;
export const MSG_CHECKPOINT = 0x85;
export const MSG_SELF_TEST = 0x06;
export const MSG_SELF_TEST_REPORT = 0x86;
export const MSG_STAGE = 0x07;
export const MSG_STAGED = 0x87;
export const MSG_ERROR = 0x7f;

/** Host requests use 0x01..0x3F; 0x40..0x7E are kept for reader-initiated messages of later versions. */
export const MIN_REQUEST_TYPE = 0x01;
export const MAX_REQUEST_TYPE = 0x3f;
/** Response type = request type | RESPONSE_FLAG. */
export const RESPONSE_FLAG = 0x80;

/** True for a host request type (0x01..0x3F), known or not. */
export function isRequestType(type: number): boolean {
  return type >= MIN_REQUEST_TYPE && type <= MAX_REQUEST_TYPE && Math.floor(type) === type;
}

/** The reader's normal answer to `requestType`. */
export function responseTypeOf(requestType: number): number {
  return requestType | RESPONSE_FLAG;
}

/** True when `responseType` may answer `requestType`: its own response, or ERROR. */
export function isResponseTo(requestType: number, responseType: number): boolean {
  return (
    isRequestType(requestType) &&
    (responseType === (requestType | RESPONSE_FLAG) || responseType === MSG_ERROR)
  );
}

// ---------------------------------------------------------------------------------------------------
// Limits (each with its reason; tests check MAX and MAX+1)

/** Ed25519 public keys are 32 bytes (RFC 8032 §5.1.5). */
export const PUBLIC_KEY_BYTES = 32;
/** Largest u16 field (protocol version). */
export const MAX_U16 = 65535;
/** Firmware version text: "2v29 carnet 1.12.3-rc.1" and a build id fit; shown on one desk line. */
export const MAX_FIRMWARE_VERSION_BYTES = 32;
/** Board name: Espruino board ids are at most 12 characters (PICO_R1_3, ESPRUINOWIFI, MDBT42Q). */
export const MAX_BOARD_NAME_BYTES = 16;
/** RESULT detail and ERROR message: one diagnostic line; the text people read comes from status.ts. */
export const MAX_RESULT_DETAIL_BYTES = 64;
export const MAX_ERROR_MESSAGE_BYTES = 64;
/** Signed command envelope: limits.ts MAX_COMMAND_BYTES (900, so COMMAND fits one frame). */
export const MAX_COMMAND_ENVELOPE_BYTES = MAX_COMMAND_BYTES;
/** RESULT data (a key-generation attestation, a staged object's digest...): the same 900 bytes as a
 * command, so that status + detail + data (1 + 3 + 66 + 903 bytes of CBOR) stay within one frame. */
export const MAX_RESULT_DATA_BYTES = 900;
/** Signed checkpoint envelope: a log head (seq, hash, time, nonce) with its signature and key id is
 * about 150 bytes; 256 leaves room for later fields. */
export const MAX_CHECKPOINT_ENVELOPE_BYTES = 256;
/**
 * Records per LOG_BATCH. The reader fills a batch up to MAX_FRAME_PAYLOAD; this cap only binds for
 * records under 15 bytes (976 / 64), below any real record, so it never shortens a full batch. It bounds
 * the reader's list of record views (~3 JsVars each, 192 of a Pico's 5,100) and the host's work per
 * frame.
 */
export const MAX_LOG_BATCH_RECORDS = 64;
/** Self-test lines: one per device and check (NFC, flash, clock, keys, printer, keypad, display...). */
export const MAX_SELF_TEST_ENTRIES = 16;
/** Self-test name: a short identifier ("pn532", "storage"). */
export const MAX_SELF_TEST_NAME_BYTES = 16;
/** Self-test detail: 40, not 48, so that 16 full entries (16 x 61 bytes of CBOR) fit MAX_FRAME_PAYLOAD. */
export const MAX_SELF_TEST_DETAIL_BYTES = 40;
/** STAGE chunk: 960 bytes plus the message's own CBOR (≤ 10 bytes) fits one 1 KB frame payload. */
export const MAX_STAGE_CHUNK_BYTES = 960;
/** Deepest CBOR nesting of a message: SELF_TEST_REPORT = message array > entries array > entry array. */
export const MESSAGE_MAX_DEPTH = 3;

/** Reader states reported by INFO. */
export const READER_STATE_BLANK = 0;
/** Has a key pair, no certificate yet. */
export const READER_STATE_KEYED = 1;
export const READER_STATE_PROVISIONED = 2;
export const READER_STATE_MAINTENANCE = 3;

/**
 * Bytes of CBOR that a LOG_BATCH spends outside its records, at most: array head (1) + from_seq (5) +
 * prev_hash (2 + 32) + records array head (2, for 24..64 records) + head_seq (5). The reader fills a
 * batch while LOG_BATCH_FIXED_BYTES + the sum of logRecordCost(record length) <= MAX_FRAME_PAYLOAD.
 */
export const LOG_BATCH_FIXED_BYTES = 1 + 5 + 2 + HASH_BYTES + 2 + 5;

/** CBOR bytes of one record of `n` bytes in a LOG_BATCH: the byte-string head (RFC 8949 §3) + n. */
export function logRecordCost(n: number): number {
  if (n < 24) return 1 + n;
  if (n < 256) return 2 + n;
  return 3 + n;
}

// ---------------------------------------------------------------------------------------------------
// Typed messages

export interface HelloMessage {
  type: typeof MSG_HELLO;
  hostTime: number;
}
export interface InfoMessage {
  type: typeof MSG_INFO;
  protocolVersion: number;
  firmwareVersion: string;
  board: string;
  state: number;
  readerId: number | null;
  fundId: Uint8Array | null;
  readerPublicKey: Uint8Array | null;
  readerTime: number;
  /** Oldest record still held. */
  logFirstSeq: number;
  /** Next record to be written. */
  logNextSeq: number;
  logAckedSeq: number;
  /** Records. */
  logCapacity: number;
  certificateNotAfter: number | null;
  configVersion: number;
  directoryVersion: number;
  blocklistVersion: number;
  lastSyncTime: number | null;
}
export interface ChallengeMessage {
  type: typeof MSG_CHALLENGE;
}
export interface NonceMessage {
  type: typeof MSG_NONCE;
  /** Fresh, single use: the next signed command must carry it. */
  nonce: Uint8Array;
}
export interface CommandMessage {
  type: typeof MSG_COMMAND;
  /** Signed envelope, opaque at this layer. */
  envelope: Uint8Array;
}
export interface ResultMessage {
  type: typeof MSG_RESULT;
  /** status.ts code. */
  status: number;
  detail: string | null;
  data: Uint8Array | null;
}
export interface PullLogMessage {
  type: typeof MSG_PULL_LOG;
  fromSeq: number;
  /** 1..MAX_LOG_BATCH_RECORDS. */
  maxCount: number;
}
export interface LogBatchMessage {
  type: typeof MSG_LOG_BATCH;
  fromSeq: number;
  /** Chain value before fromSeq. */
  prevHash: Uint8Array;
  /** Records fromSeq, fromSeq + 1, ... in order. */
  records: Uint8Array[];
  /** Last record written. */
  headSeq: number;
}
export interface GetCheckpointMessage {
  type: typeof MSG_GET_CHECKPOINT;
  nonce: Uint8Array | null;
}
export interface CheckpointMessage {
  type: typeof MSG_CHECKPOINT;
  envelope: Uint8Array;
}
export interface SelfTestMessage {
  type: typeof MSG_SELF_TEST;
}
export interface SelfTestEntry {
  name: string;
  ok: boolean;
  detail: string;
}
export interface SelfTestReportMessage {
  type: typeof MSG_SELF_TEST_REPORT;
  entries: SelfTestEntry[];
}
/**
 * STAGE: one chunk of an object too large for one signed command (a directory or blocklist; SPEC.md §10).
 * Chunks are unsigned: the signed command that follows names the staged bytes by SHA-256.
 */
export interface StageMessage {
  type: typeof MSG_STAGE;
  offset: number;
  total: number;
  chunk: Uint8Array;
}
export interface StagedMessage {
  type: typeof MSG_STAGED;
  /** Contiguous bytes received from offset 0. */
  received: number;
  /** SHA-256 of the staged object once received === total, else null. */
  digest: Uint8Array | null;
}
export interface ErrorMessage {
  type: typeof MSG_ERROR;
  /** status.ts code. */
  code: number;
  message: string;
}

export type Message =
  | HelloMessage
  | InfoMessage
  | ChallengeMessage
  | NonceMessage
  | CommandMessage
  | ResultMessage
  | PullLogMessage
  | LogBatchMessage
  | GetCheckpointMessage
  | CheckpointMessage
  | SelfTestMessage
  | SelfTestReportMessage
  | StageMessage
  | StagedMessage
  | ErrorMessage;

export type MessageErrorCode = 'MSG_UNKNOWN_TYPE' | 'MSG_BAD_CBOR' | 'MSG_BAD_SHAPE';

export type MessageDecodeResult =
  { ok: true; message: Message } | { ok: false; code: MessageErrorCode; message: string };

// ---------------------------------------------------------------------------------------------------
// The catalog as data

const KIND_UINT = 0;
const KIND_TEXT = 1;
const KIND_BSTR = 2;
const KIND_BOOL = 3;
const KIND_ARRAY = 4; // homogeneous list of `items`
const KIND_TUPLE = 5; // positional fields -> object

interface FieldSpec {
  name: string;
  kind: number;
  nullable: boolean;
  /** UINT: value range; TEXT/BSTR: length range in bytes; ARRAY: item count range. */
  min: number;
  max: number;
  items: FieldSpec | null;
  fields: FieldSpec[] | null;
}

interface MessageSpec {
  type: number;
  name: string;
  fields: FieldSpec[];
}

function field(name: string, kind: number, min: number, max: number): FieldSpec {
  return { name: name, kind: kind, nullable: false, min: min, max: max, items: null, fields: null };
}
function uintF(name: string, min: number, max: number): FieldSpec {
  return field(name, KIND_UINT, min, max);
}
function textF(name: string, maxBytes: number): FieldSpec {
  return field(name, KIND_TEXT, 0, maxBytes);
}
function bstrF(name: string, minBytes: number, maxBytes: number): FieldSpec {
  return field(name, KIND_BSTR, minBytes, maxBytes);
}
function boolF(name: string): FieldSpec {
  return field(name, KIND_BOOL, 0, 0);
}
function arrayF(name: string, maxItems: number, items: FieldSpec): FieldSpec {
  const f = field(name, KIND_ARRAY, 0, maxItems);
  f.items = items;
  return f;
}
function tupleF(name: string, fields: FieldSpec[]): FieldSpec {
  const f = field(name, KIND_TUPLE, fields.length, fields.length);
  f.fields = fields;
  return f;
}
function orNull(f: FieldSpec): FieldSpec {
  f.nullable = true;
  return f;
}
function msg(type: number, name: string, fields: FieldSpec[]): MessageSpec {
  return { type: type, name: name, fields: fields };
}

/** The v1 catalog: field order is the wire order. */
const MESSAGE_SPECS: MessageSpec[] = [
  msg(MSG_HELLO, 'HELLO', [uintF('hostTime', 0, MAX_U32)]),
  msg(MSG_INFO, 'INFO', [
    uintF('protocolVersion', 0, MAX_U16),
    textF('firmwareVersion', MAX_FIRMWARE_VERSION_BYTES),
    textF('board', MAX_BOARD_NAME_BYTES),
    uintF('state', READER_STATE_BLANK, READER_STATE_MAINTENANCE),
    orNull(uintF('readerId', 0, MAX_U32)),
    orNull(bstrF('fundId', FUND_ID_BYTES, FUND_ID_BYTES)),
    orNull(bstrF('readerPublicKey', PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES)),
    uintF('readerTime', 0, MAX_U32),
    uintF('logFirstSeq', 0, MAX_U32),
    uintF('logNextSeq', 0, MAX_U32),
    uintF('logAckedSeq', 0, MAX_U32),
    uintF('logCapacity', 0, MAX_U32),
    orNull(uintF('certificateNotAfter', 0, MAX_U32)),
    uintF('configVersion', 0, MAX_U32),
    uintF('directoryVersion', 0, MAX_U32),
    uintF('blocklistVersion', 0, MAX_U32),
    orNull(uintF('lastSyncTime', 0, MAX_U32)),
  ]),
  msg(MSG_CHALLENGE, 'CHALLENGE', []),
  msg(MSG_NONCE, 'NONCE', [bstrF('nonce', NONCE_BYTES, NONCE_BYTES)]),
  msg(MSG_COMMAND, 'COMMAND', [bstrF('envelope', 1, MAX_COMMAND_ENVELOPE_BYTES)]),
  msg(MSG_RESULT, 'RESULT', [
    uintF('status', 0, MAX_STATUS_CODE),
    orNull(textF('detail', MAX_RESULT_DETAIL_BYTES)),
    orNull(bstrF('data', 0, MAX_RESULT_DATA_BYTES)),
  ]),
  msg(MSG_PULL_LOG, 'PULL_LOG', [uintF('fromSeq', 0, MAX_U32), uintF('maxCount', 1, MAX_LOG_BATCH_RECORDS)]),
  msg(MSG_LOG_BATCH, 'LOG_BATCH', [
    uintF('fromSeq', 0, MAX_U32),
    bstrF('prevHash', HASH_BYTES, HASH_BYTES),
    arrayF('records', MAX_LOG_BATCH_RECORDS, bstrF('record', 1, MAX_LOG_RECORD_BYTES)),
    uintF('headSeq', 0, MAX_U32),
  ]),
  msg(MSG_GET_CHECKPOINT, 'GET_CHECKPOINT', [orNull(bstrF('nonce', NONCE_BYTES, NONCE_BYTES))]),
  msg(MSG_CHECKPOINT, 'CHECKPOINT', [bstrF('envelope', 1, MAX_CHECKPOINT_ENVELOPE_BYTES)]),
  msg(MSG_SELF_TEST, 'SELF_TEST', []),
  msg(MSG_SELF_TEST_REPORT, 'SELF_TEST_REPORT', [
    arrayF(
      'entries',
      MAX_SELF_TEST_ENTRIES,
      tupleF('entry', [
        textF('name', MAX_SELF_TEST_NAME_BYTES),
        boolF('ok'),
        textF('detail', MAX_SELF_TEST_DETAIL_BYTES),
      ]),
    ),
  ]),
  msg(MSG_STAGE, 'STAGE', [
    uintF('offset', 0, MAX_STAGED_BYTES - 1),
    uintF('total', 1, MAX_STAGED_BYTES),
    bstrF('chunk', 1, MAX_STAGE_CHUNK_BYTES),
  ]),
  msg(MSG_STAGED, 'STAGED', [
    uintF('received', 0, MAX_STAGED_BYTES),
    orNull(bstrF('digest', HASH_BYTES, HASH_BYTES)),
  ]),
  msg(MSG_ERROR, 'ERROR', [uintF('code', 0, MAX_STATUS_CODE), textF('message', MAX_ERROR_MESSAGE_BYTES)]),
];

function findSpec(type: number): MessageSpec | null {
  for (let i = 0; i < MESSAGE_SPECS.length; i++) {
    if (MESSAGE_SPECS[i].type === type) return MESSAGE_SPECS[i];
  }
  return null;
}

/** Every type of the catalog, in catalog order. */
export function messageTypes(): number[] {
  const out: number[] = [];
  for (let i = 0; i < MESSAGE_SPECS.length; i++) out.push(MESSAGE_SPECS[i].type);
  return out;
}

/** Catalog name of `type` ('HELLO', ...), or null if unknown. */
export function messageName(type: number): string | null {
  const s = findSpec(type);
  return s === null ? null : s.name;
}

// ---------------------------------------------------------------------------------------------------
// Checking a decoded value against a spec

// Error slot of one check: the first problem found, with the field path.
type Check = { error: string };

function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'champ absent';
  if (v instanceof Uint8Array) return "chaîne d'octets";
  if (Array.isArray(v)) return 'tableau';
  if (typeof v === 'number') return 'entier';
  if (typeof v === 'string') return 'texte';
  if (typeof v === 'boolean') return 'booléen';
  if (typeof v === 'object') return 'table';
  return typeof v;
}

const KIND_NAMES = ['entier positif', 'texte', "chaîne d'octets", 'booléen', 'tableau', 'tableau'];

function wrongType(c: Check, path: string, spec: FieldSpec, v: unknown): null {
  c.error =
    path + ' : ' + describe(v) + ' au lieu de ' + KIND_NAMES[spec.kind] + (spec.nullable ? ' ou null' : '');
  return null;
}

function lengthRange(spec: FieldSpec, unit: string): string {
  if (spec.min === spec.max) return spec.min + ' ' + unit;
  return spec.min + ' à ' + spec.max + ' ' + unit;
}

// Validates `v` against `spec` and returns its typed form (TUPLE -> object). On a problem, sets c.error
// and returns null (callers test c.error, since null is also a legal value).
function checkValue(spec: FieldSpec, v: CborValue, path: string, c: Check): unknown {
  if (v === null) {
    if (spec.nullable) return null;
    c.error = path + ' : null interdit';
    return null;
  }
  const kind = spec.kind;
  if (kind === KIND_UINT) {
    // cbor.ts only yields integers (floats are rejected), so `number` means a CBOR integer.
    if (typeof v !== 'number') return wrongType(c, path, spec, v);
    if (v < spec.min || v > spec.max) {
      c.error = path + ' : ' + v + ' hors de ' + spec.min + '..' + spec.max;
      return null;
    }
    return v;
  }
  if (kind === KIND_TEXT) {
    if (typeof v !== 'string') return wrongType(c, path, spec, v);
    if (!isPrintableAscii(v)) {
      c.error = path + ' : texte non ASCII imprimable';
      return null;
    }
    if (v.length < spec.min || v.length > spec.max) {
      c.error = path + ' : texte de ' + v.length + ' octets (' + lengthRange(spec, 'attendus') + ')';
      return null;
    }
    return v;
  }
  if (kind === KIND_BSTR) {
    if (!(v instanceof Uint8Array)) return wrongType(c, path, spec, v);
    if (v.length < spec.min || v.length > spec.max) {
      c.error =
        path + " : chaîne d'octets de " + v.length + ' octets (' + lengthRange(spec, 'attendus') + ')';
      return null;
    }
    return v;
  }
  if (kind === KIND_BOOL) {
    if (typeof v !== 'boolean') return wrongType(c, path, spec, v);
    return v;
  }
  if (!Array.isArray(v)) return wrongType(c, path, spec, v);
  if (v.length < spec.min || v.length > spec.max) {
    c.error = path + ' : ' + v.length + ' éléments (' + lengthRange(spec, 'attendus') + ')';
    return null;
  }
  if (kind === KIND_ARRAY) {
    const items = spec.items as FieldSpec;
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const item = checkValue(items, v[i], path + '[' + i + ']', c);
      if (c.error !== '') return null;
      out.push(item);
    }
    return out;
  }
  return checkTuple(spec.fields as FieldSpec[], v, path, c, {});
}

// Positional fields -> properties of `obj` named by the spec. The caller has checked the arity.
function checkTuple(
  fields: FieldSpec[],
  v: CborValue[],
  path: string,
  c: Check,
  obj: Record<string, unknown>,
): Record<string, unknown> | null {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const value = checkValue(f, v[i], path === '' ? f.name : path + '.' + f.name, c);
    if (c.error !== '') return null;
    obj[f.name] = value;
  }
  return obj;
}

function shapeError(spec: MessageSpec, detail: string): MessageDecodeResult {
  return { ok: false, code: 'MSG_BAD_SHAPE', message: 'message ' + spec.name + ' mal formé : ' + detail };
}

/**
 * Checks the payload of a DATA frame of type `type` and returns the typed message. Never throws.
 * MSG_UNKNOWN_TYPE: not in the catalog (the reader answers ERROR UNSUPPORTED); MSG_BAD_CBOR: not one
 * deterministic CBOR item (cbor.ts) or nested deeper than MESSAGE_MAX_DEPTH; MSG_BAD_SHAPE: wrong arity,
 * field type, integer range or length.
 */
export function decodeMessage(type: number, payload: Uint8Array): MessageDecodeResult {
  const spec = findSpec(type);
  if (spec === null) {
    return { ok: false, code: 'MSG_UNKNOWN_TYPE', message: 'type de message inconnu : ' + type };
  }
  if (!(payload instanceof Uint8Array))
    return shapeError(spec, "charge utile qui n'est pas un tableau d'octets");
  if (payload.length > MAX_FRAME_PAYLOAD) {
    return shapeError(spec, payload.length + ' octets (maximum ' + MAX_FRAME_PAYLOAD + ')');
  }
  const d = cborDecode(payload, MESSAGE_MAX_DEPTH);
  if (!d.ok) {
    return { ok: false, code: 'MSG_BAD_CBOR', message: 'message ' + spec.name + ' : ' + d.message };
  }
  const v = d.value;
  if (!Array.isArray(v)) return shapeError(spec, describe(v) + ' au lieu du tableau des champs');
  if (v.length !== spec.fields.length) {
    return shapeError(spec, v.length + ' champs au lieu de ' + spec.fields.length);
  }
  const c: Check = { error: '' };
  // `type` first, so that the typed object reads like the interfaces.
  const obj = checkTuple(spec.fields, v, '', c, { type: spec.type });
  if (obj === null) return shapeError(spec, c.error);
  return { ok: true, message: obj as unknown as Message };
}

function encodeError(code: string, message: string): { code: string; message: string } {
  return { code: code, message: message };
}

/**
 * CBOR payload of message `type` with positional `fields`. Throws `{ code: 'MSG_UNKNOWN_TYPE' |
 * 'MSG_BAD_SHAPE' | 'MSG_TOO_LONG', message }` when the fields do not match the catalog or the
 * encoding exceeds MAX_FRAME_PAYLOAD: the receiver would reject either.
 */
export function encodeMessage(type: number, fields: CborValue[]): Uint8Array {
  const spec = findSpec(type);
  if (spec === null) throw encodeError('MSG_UNKNOWN_TYPE', 'type de message inconnu : ' + type);
  if (!Array.isArray(fields) || fields.length !== spec.fields.length) {
    throw encodeError(
      'MSG_BAD_SHAPE',
      'message ' + spec.name + ' : ' + spec.fields.length + ' champs attendus',
    );
  }
  const c: Check = { error: '' };
  checkTuple(spec.fields, fields, '', c, {});
  if (c.error !== '') throw encodeError('MSG_BAD_SHAPE', 'message ' + spec.name + ' mal formé : ' + c.error);
  const bytes = cborEncode(fields);
  if (bytes.length > MAX_FRAME_PAYLOAD) {
    throw encodeError(
      'MSG_TOO_LONG',
      'message ' + spec.name + ' de ' + bytes.length + ' octets (maximum ' + MAX_FRAME_PAYLOAD + ')',
    );
  }
  return bytes;
}

// Typed form -> positional CBOR value, driven by the spec (the inverse of checkValue). Values are
// passed through unchecked: encodeMessage checks them.
function toWire(spec: FieldSpec, v: unknown): CborValue {
  if (spec.kind === KIND_ARRAY && Array.isArray(v)) {
    const out: CborValue[] = [];
    for (let i = 0; i < v.length; i++) out.push(toWire(spec.items as FieldSpec, v[i]));
    return out;
  }
  if (spec.kind === KIND_TUPLE && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return tupleToWire(spec.fields as FieldSpec[], v as Record<string, unknown>);
  }
  return v as CborValue;
}

function tupleToWire(fields: FieldSpec[], obj: Record<string, unknown>): CborValue[] {
  const out: CborValue[] = [];
  for (let i = 0; i < fields.length; i++) out.push(toWire(fields[i], obj[fields[i].name]));
  return out;
}

/** CBOR payload of a typed message (same checks and throws as encodeMessage). */
export function encodeTypedMessage(m: Message): Uint8Array {
  const spec = findSpec(m.type);
  if (spec === null) throw encodeError('MSG_UNKNOWN_TYPE', 'type de message inconnu : ' + m.type);
  return encodeMessage(m.type, tupleToWire(spec.fields, m as unknown as Record<string, unknown>));
}
