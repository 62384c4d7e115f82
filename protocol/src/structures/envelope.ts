// Signed envelopes (SPEC.md §2): [body: bstr, signature: bstr .size 64], signature over "carnet" || body.

import { cborDecode, cborDecodePrefix, cborEncode, CborValue } from '../cbor';
import { compareBytes, concatBytes } from '../bytes';
import { Ed25519Signer, Ed25519Verify } from '../crypto/types';
import { PROTOCOL_VERSION, SIGNATURE_CONTEXT } from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';

export const SIGNATURE_BYTES = 64;

/** Structure type codes (SPEC.md §3). */
export const TYPE_KEY_CERT = 1;
export const TYPE_READER_CERT = 2;
export const TYPE_DIRECTORY = 3;
export const TYPE_VOUCHER = 4;
export const TYPE_STATE = 5;
export const TYPE_CONFIG = 6;
export const TYPE_BLOCKLIST = 7;
export const TYPE_LOG_RECORD = 8;
export const TYPE_CHECKPOINT = 9;
export const TYPE_COMMAND = 10;

const CONTEXT = new Uint8Array(SIGNATURE_CONTEXT);

/** The exact bytes an Ed25519 key signs for a structure body. */
export function signedMessage(body: Uint8Array): Uint8Array {
  return concatBytes([CONTEXT, body]);
}

/** Encodes `[type, version, ...fields]` deterministically. */
export function encodeBody(type: number, fields: CborValue[]): Uint8Array {
  return encodeBodyVersion(type, PROTOCOL_VERSION, fields);
}

/** Encodes `[type, version, ...fields]` for a structure that has more than one version (vouchers). */
export function encodeBodyVersion(type: number, version: number, fields: CborValue[]): Uint8Array {
  const arr: CborValue[] = [type, version];
  for (let i = 0; i < fields.length; i++) arr.push(fields[i]);
  return cborEncode(arr);
}

/** Signs a body and returns the envelope bytes. */
export function sealEnvelope(body: Uint8Array, signer: Ed25519Signer): Uint8Array {
  return cborEncode([body, signer.sign(signedMessage(body))]);
}

export interface Opened {
  /** The envelope's exact bytes. */
  bytes: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
  /** The body's fields after type and version. */
  fields: CborValue[];
}

/**
 * Checks `[type, version, ...]` of a decoded body and returns the fields after them.
 * `count` is the number of fields after type and version in version 1; `countV2`, when given, admits
 * version 2 with that many fields (a structure with a v2, SPEC.md §5). Any other version is refused.
 */
export function checkBody(
  value: CborValue,
  type: number,
  count: number,
  countV2?: number,
): Verdict<CborValue[]> {
  if (!Array.isArray(value) || value.length < 2) {
    return failVerdict('STRUCT_SHAPE', 'structure : un tableau [type, version, …] est attendu');
  }
  if (value[0] !== type) {
    return failVerdict('STRUCT_WRONG_TYPE', 'structure de type ' + String(value[0]) + ' au lieu de ' + type);
  }
  const v2 = countV2 !== undefined && value[1] === 2;
  if (value[1] !== PROTOCOL_VERSION && !v2) {
    return failVerdict('STRUCT_VERSION', 'version de format ' + String(value[1]) + ' inconnue');
  }
  const expected = v2 ? (countV2 as number) : count;
  if (v2 && value.length !== expected + 2) {
    // A body that says version 2 but has another shape is not a v2 structure: a version mismatch, as
    // it was before v2 existed (the golden vectors of v1 keep their verdict).
    return failVerdict(
      'STRUCT_VERSION',
      'version 2 : ' + expected + ' champs attendus, ' + (value.length - 2) + ' reçus',
    );
  }
  if (value.length !== expected + 2) {
    return failVerdict(
      'STRUCT_SHAPE',
      'structure de type ' + type + ' : ' + (value.length - 2) + ' champs au lieu de ' + expected,
    );
  }
  const out: CborValue[] = [];
  for (let i = 2; i < value.length; i++) out.push(value[i]);
  return okVerdict(out);
}

/** Decodes a body (bytes) strictly and checks its type, version and field count. */
export function decodeBody(
  body: Uint8Array,
  type: number,
  count: number,
  countV2?: number,
): Verdict<CborValue[]> {
  const d = cborDecode(body);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  return checkBody(d.value, type, count, countV2);
}

function openDecoded(
  value: CborValue,
  bytes: Uint8Array,
  type: number,
  count: number,
  countV2?: number,
): Verdict<Opened> {
  if (!Array.isArray(value) || value.length !== 2) {
    return failVerdict('STRUCT_ENVELOPE', 'enveloppe : [corps, signature] attendu');
  }
  const body = value[0];
  const signature = value[1];
  if (
    !(body instanceof Uint8Array) ||
    !(signature instanceof Uint8Array) ||
    signature.length !== SIGNATURE_BYTES
  ) {
    return failVerdict('STRUCT_ENVELOPE', 'enveloppe : corps ou signature de 64 octets manquant');
  }
  const fields = decodeBody(body, type, count, countV2);
  if (!fields.ok) return failVerdict(fields.code, fields.message);
  return okVerdict({ bytes: bytes, body: body, signature: signature, fields: fields.value });
}

/** Opens an envelope that must fill `bytes` exactly. Does not check the signature. */
export function openEnvelope(
  bytes: Uint8Array,
  type: number,
  count: number,
  countV2?: number,
): Verdict<Opened> {
  const d = cborDecode(bytes);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  return openDecoded(d.value, bytes, type, count, countV2);
}

/**
 * Opens an envelope at the start of a card region; bytes after it are stale and ignored (SPEC.md §12.2).
 * Does not check the signature.
 */
export function openEnvelopeInRegion(
  region: Uint8Array,
  type: number,
  count: number,
  countV2?: number,
): Verdict<Opened> {
  const d = cborDecodePrefix(region, 0);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  return openDecoded(d.value, new Uint8Array(region.subarray(0, d.end)), type, count, countV2);
}

/** Checks an opened envelope's signature under `publicKey` with the protocol's one Ed25519 rule. */
export function signatureValid(opened: Opened, publicKey: Uint8Array, verify: Ed25519Verify): boolean {
  return verify(publicKey, signedMessage(opened.body), opened.signature);
}

/** Opens an envelope of a given type and reads its fields with `read`. Shared by every structure. */
export function openTyped<T>(
  bytes: Uint8Array,
  type: number,
  count: number,
  read: (fields: CborValue[]) => Verdict<T>,
  countV2?: number,
): Verdict<{ opened: Opened; value: T }> {
  const o = openEnvelope(bytes, type, count, countV2);
  if (!o.ok) return failVerdict(o.code, o.message);
  const r = read(o.value.fields);
  if (!r.ok) return failVerdict(r.code, r.message);
  return okVerdict({ opened: o.value, value: r.value });
}

/** Decodes an unsigned body of a given type (used for log records and states taken out of logs). */
export function readTypedBody<T>(
  value: CborValue,
  type: number,
  count: number,
  read: (fields: CborValue[]) => Verdict<T>,
): Verdict<T> {
  const b = checkBody(value, type, count);
  if (!b.ok) return failVerdict(b.code, b.message);
  return read(b.value);
}

/** Sorted, duplicate-free list of byte strings (blocklists): true when strictly increasing. */
export function strictlyIncreasingBytes(list: Uint8Array[]): boolean {
  for (let i = 1; i < list.length; i++) {
    if (compareBytes(list[i - 1], list[i]) >= 0) return false;
  }
  return true;
}

/** Like openTyped, for an envelope at the start of a card region (stale bytes after it are ignored). */
export function openTypedInRegion<T>(
  region: Uint8Array,
  type: number,
  count: number,
  read: (fields: CborValue[]) => Verdict<T>,
  countV2?: number,
): Verdict<{ opened: Opened; value: T }> {
  const o = openEnvelopeInRegion(region, type, count, countV2);
  if (!o.ok) return failVerdict(o.code, o.message);
  const r = read(o.value.fields);
  if (!r.ok) return failVerdict(r.code, r.message);
  return okVerdict({ opened: o.value, value: r.value });
}
