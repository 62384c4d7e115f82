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
  const arr: CborValue[] = [type, PROTOCOL_VERSION];
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
 * `count` is the number of fields after type and version.
 */
export function checkBody(value: CborValue, type: number, count: number): Verdict<CborValue[]> {
  if (!Array.isArray(value) || value.length < 2) {
    return failVerdict('STRUCT_SHAPE', 'structure : un tableau [type, version, …] est attendu');
  }
  if (value[0] !== type) {
    return failVerdict('STRUCT_WRONG_TYPE', 'structure de type ' + String(value[0]) + ' au lieu de ' + type);
  }
  if (value[1] !== PROTOCOL_VERSION) {
    return failVerdict('STRUCT_VERSION', 'version de format ' + String(value[1]) + ' inconnue');
  }
  if (value.length !== count + 2) {
    return failVerdict(
      'STRUCT_SHAPE',
      'structure de type ' + type + ' : ' + (value.length - 2) + ' champs au lieu de ' + count,
    );
  }
  const out: CborValue[] = [];
  for (let i = 2; i < value.length; i++) out.push(value[i]);
  return okVerdict(out);
}

/** Decodes a body (bytes) strictly and checks its type, version and field count. */
export function decodeBody(body: Uint8Array, type: number, count: number): Verdict<CborValue[]> {
  const d = cborDecode(body);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  return checkBody(d.value, type, count);
}

function openDecoded(value: CborValue, bytes: Uint8Array, type: number, count: number): Verdict<Opened> {
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
  const fields = decodeBody(body, type, count);
  if (!fields.ok) return failVerdict(fields.code, fields.message);
  return okVerdict({ bytes: bytes, body: body, signature: signature, fields: fields.value });
}

/** Opens an envelope that must fill `bytes` exactly. Does not check the signature. */
export function openEnvelope(bytes: Uint8Array, type: number, count: number): Verdict<Opened> {
  const d = cborDecode(bytes);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  return openDecoded(d.value, bytes, type, count);
}

/**
 * Opens an envelope at the start of a card region; bytes after it are stale and ignored (SPEC.md §12.2).
 * Does not check the signature.
 */
export function openEnvelopeInRegion(region: Uint8Array, type: number, count: number): Verdict<Opened> {
  const d = cborDecodePrefix(region, 0);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  return openDecoded(d.value, new Uint8Array(region.subarray(0, d.end)), type, count);
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
): Verdict<{ opened: Opened; value: T }> {
  const o = openEnvelope(bytes, type, count);
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
): Verdict<{ opened: Opened; value: T }> {
  const o = openEnvelopeInRegion(region, type, count);
  if (!o.ok) return failVerdict(o.code, o.message);
  const r = read(o.value.fields);
  if (!r.ok) return failVerdict(r.code, r.message);
  return okVerdict({ opened: o.value, value: r.value });
}
