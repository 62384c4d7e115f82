// Signed commands host → reader (SPEC.md §10), bound to the reader's single-use nonce.

import { CborValue, cborDecode, cborEncode } from '../cbor';
import { Ed25519Signer } from '../crypto/types';
import { FUND_ID_BYTES, HASH_BYTES, KEY_ID_BYTES, MAX_COMMAND_BYTES, MAX_U32, NONCE_BYTES } from '../limits';
import { Verdict, failVerdict, okVerdict } from '../verdict';
import { Fields } from './fields';
import { Opened, SIGNATURE_BYTES, TYPE_COMMAND, decodeBody, encodeBody, signedMessage } from './envelope';

export const CMD_KEYGEN = 1;
export const CMD_INSTALL_CERTIFICATE = 2;
export const CMD_SET_TIME = 3;
export const CMD_PUT_CONFIG = 4;
export const CMD_PUT_DIRECTORY = 5;
export const CMD_PUT_BLOCKLIST = 6;
export const CMD_PUT_KEY_CERTIFICATE = 7;
export const CMD_ACK_LOG = 8;
export const CMD_MAINTENANCE = 9;

/** Largest object carried inline in a command's args; larger ones are staged (limits.ts MAX_STAGED_BYTES). */
export const MAX_INLINE_OBJECT_BYTES = 700;

export interface Command {
  fundId: Uint8Array;
  readerId: number;
  nonce: Uint8Array;
  issuedAt: number;
  kind: number;
  args: CborValue[];
  signerKeyId: Uint8Array;
}

const COMMAND_FIELDS = 7;

export function encodeCommand(c: Command): Uint8Array {
  return encodeBody(TYPE_COMMAND, [c.fundId, c.readerId, c.nonce, c.issuedAt, c.kind, c.args, c.signerKeyId]);
}

/** [body, signature, signer_certificate / null] (SPEC.md §10). Throws if it would not fit one frame. */
export function signCommand(
  c: Command,
  signer: Ed25519Signer,
  signerCertificate: Uint8Array | null,
): Uint8Array {
  const body = encodeCommand(c);
  const out = cborEncode([body, signer.sign(signedMessage(body)), signerCertificate]);
  if (out.length > MAX_COMMAND_BYTES) {
    throw {
      code: 'COMMAND_TOO_LARGE',
      message: 'commande signée de ' + out.length + ' octets, au-delà de ' + MAX_COMMAND_BYTES,
    };
  }
  return out;
}

function argsShape(kind: number, args: CborValue[], f: Fields): void {
  let g: Fields;
  if (kind === CMD_KEYGEN) {
    g = new Fields(args, 'arguments KEYGEN', 1);
    g.bytes(0, 'root_public_key', 32);
  } else if (kind === CMD_SET_TIME) {
    g = new Fields(args, 'arguments SET_TIME', 1);
    g.uint(0, 'time', 0, MAX_U32);
  } else if (kind === CMD_ACK_LOG) {
    g = new Fields(args, 'arguments ACK_LOG', 2);
    g.uint(0, 'up_to_seq', 1, MAX_U32);
    g.bytes(1, 'head', HASH_BYTES);
  } else if (kind === CMD_MAINTENANCE) {
    g = new Fields(args, 'arguments MAINTENANCE', 0);
  } else if (kind >= CMD_INSTALL_CERTIFICATE && kind <= CMD_PUT_KEY_CERTIFICATE) {
    // [inline object / null, staged SHA-256 / null]: exactly one is given.
    g = new Fields(args, 'arguments', 2);
    const inline = g.isNull(0);
    const staged = g.isNull(1);
    if (g.error === '' && inline === staged)
      g.fail('STRUCT_SHAPE', 'objet en ligne ou objet déposé, exactement un');
    if (!inline) g.bytesMax(0, 'object', MAX_INLINE_OBJECT_BYTES);
    if (!staged) g.bytes(1, 'staged_sha256', HASH_BYTES);
  } else {
    f.fail('STRUCT_RANGE', 'commande ' + kind + ' inconnue');
    return;
  }
  if (g.error !== '') f.fail(g.errorCode, g.error);
}

export function readCommand(fields: CborValue[]): Verdict<Command> {
  const f = new Fields(fields, 'commande', COMMAND_FIELDS);
  const c: Command = {
    fundId: f.bytes(0, 'fund_id', FUND_ID_BYTES),
    readerId: f.uint(1, 'reader_id', 1, MAX_U32),
    nonce: f.bytes(2, 'nonce', NONCE_BYTES),
    issuedAt: f.uint(3, 'issued_at', 0, MAX_U32),
    kind: f.uint(4, 'kind', CMD_KEYGEN, CMD_MAINTENANCE),
    args: f.array(5, 'args', 2),
    signerKeyId: f.bytes(6, 'signer_key_id', KEY_ID_BYTES),
  };
  if (f.error === '') argsShape(c.kind, c.args, f);
  if (f.error !== '') return failVerdict(f.errorCode, f.error);
  return okVerdict(c);
}

export interface OpenedCommand {
  opened: Opened;
  value: Command;
  signerCertificate: Uint8Array | null;
}

/** Opens a command envelope [body, signature, certificate / null]; does not check the signature. */
export function openCommand(bytes: Uint8Array): Verdict<OpenedCommand> {
  if (bytes.length > MAX_COMMAND_BYTES) return failVerdict('STRUCT_TOO_LARGE', 'commande trop grande');
  const d = cborDecode(bytes);
  if (!d.ok) return failVerdict('STRUCT_CBOR', d.message);
  const v = d.value;
  if (!Array.isArray(v) || v.length !== 3)
    return failVerdict('STRUCT_ENVELOPE', 'commande : [corps, signature, certificat] attendu');
  const body = v[0];
  const sig = v[1];
  const cert = v[2];
  if (!(body instanceof Uint8Array) || !(sig instanceof Uint8Array) || sig.length !== SIGNATURE_BYTES) {
    return failVerdict('STRUCT_ENVELOPE', 'commande : corps ou signature de 64 octets manquant');
  }
  if (cert !== null && !(cert instanceof Uint8Array))
    return failVerdict('STRUCT_ENVELOPE', 'commande : certificat invalide');
  const fields = decodeBody(body, TYPE_COMMAND, COMMAND_FIELDS);
  if (!fields.ok) return failVerdict(fields.code, fields.message);
  const c = readCommand(fields.value);
  if (!c.ok) return failVerdict(c.code, c.message);
  return okVerdict({
    opened: { bytes: bytes, body: body, signature: sig, fields: fields.value },
    value: c.value,
    signerCertificate: cert,
  });
}
