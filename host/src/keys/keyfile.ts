// Secrets at rest on the desk laptop: a passphrase-encrypted file (scrypt, RFC 7914, then AES-256-GCM,
// NIST SP 800-38D). Used for the issuer seed (`--cle-emetteur`), the fund's card secret and the member
// registry, until the `cles` area of issue 6 takes over key storage.
//
// File format (JSON, UTF-8):
//   { "format": "carnet-scelle-v1", "purpose": "<what it holds>", "kdf": "scrypt",
//     "N": 32768, "r": 8, "p": 1, "salt": b64(16), "iv": b64(12), "data": b64(ciphertext || tag16) }
// The purpose string is authenticated (GCM additional data), so a registry file can never be opened as
// a key file or the other way round.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ED25519_SEED_BYTES } from '../../../protocol/src/crypto/ed25519-rule';

export const SEALED_FORMAT = 'carnet-scelle-v1';
/** scrypt cost 2^15, r 8, p 1: the interactive-login parameters of RFC 7914 §2 (≈ 32 MiB, ~0.1 s). */
export const SCRYPT_N = 32768;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
/** scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) is exactly that: leave headroom. */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
/** Highest scrypt cost accepted when opening a file (2× ours, 64 MiB): a forged file must not make us allocate gigabytes. */
export const MAX_SCRYPT_N = 1 << 16;
const SALT_BYTES = 16;
/** 96-bit nonce: GCM's recommended IV length (SP 800-38D §5.2.1.1). */
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const PURPOSE_ISSUER_KEY = 'cle-emetteur';
export const PURPOSE_CARD_SECRET = 'secret-cartes';
export const PURPOSE_OPERATOR_KEY = 'cle-operateur';

/** A sealed file that cannot be opened: code and French message (wrong passphrase, damaged, foreign). */
export class SealedFileError extends Error {
  constructor(
    public readonly code: 'SEALED_WRONG_PASSPHRASE' | 'SEALED_BAD_FILE' | 'SEALED_WRONG_PURPOSE',
    message: string,
  ) {
    super(message);
  }
}

interface SealedJson {
  format: string;
  purpose: string;
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  data: string;
}

function deriveKey(passphrase: string, salt: Buffer, n: number, r: number, p: number): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, {
    N: n,
    r: r,
    p: p,
    maxmem: SCRYPT_MAXMEM + 128 * n * r,
  });
}

export function seal(plain: Uint8Array, passphrase: string, purpose: string): string {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = deriveKey(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(SEALED_FORMAT + '/' + purpose));
  const data = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const out: SealedJson = {
    format: SEALED_FORMAT,
    purpose: purpose,
    kdf: 'scrypt',
    N: SCRYPT_N,
    r: SCRYPT_R,
    p: SCRYPT_P,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

export function unseal(text: string, passphrase: string, purpose: string): Uint8Array {
  let j: SealedJson;
  try {
    j = JSON.parse(text) as SealedJson;
  } catch {
    throw new SealedFileError('SEALED_BAD_FILE', 'fichier chiffré illisible (pas du JSON)');
  }
  if (!j || j.format !== SEALED_FORMAT || j.kdf !== 'scrypt') {
    throw new SealedFileError('SEALED_BAD_FILE', 'ce fichier n’est pas un fichier chiffré carnet');
  }
  if (j.purpose !== purpose) {
    throw new SealedFileError(
      'SEALED_WRONG_PURPOSE',
      'ce fichier contient « ' + String(j.purpose) + ' », pas « ' + purpose + ' »',
    );
  }
  const okInt = (x: unknown, lo: number, hi: number): boolean =>
    typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  if (!okInt(j.N, 2, MAX_SCRYPT_N) || (j.N & (j.N - 1)) !== 0 || !okInt(j.r, 1, 32) || !okInt(j.p, 1, 16)) {
    throw new SealedFileError('SEALED_BAD_FILE', 'paramètres scrypt refusés dans le fichier chiffré');
  }
  const salt = Buffer.from(String(j.salt), 'base64');
  const iv = Buffer.from(String(j.iv), 'base64');
  const data = Buffer.from(String(j.data), 'base64');
  if (salt.length !== SALT_BYTES || iv.length !== IV_BYTES || data.length < TAG_BYTES) {
    throw new SealedFileError('SEALED_BAD_FILE', 'fichier chiffré tronqué ou abîmé');
  }
  const key = deriveKey(passphrase, salt, j.N, j.r, j.p);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.from(SEALED_FORMAT + '/' + purpose));
  d.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([d.update(data.subarray(0, data.length - TAG_BYTES)), d.final()]));
  } catch {
    // GCM cannot tell a wrong passphrase from a modified file; the wrong passphrase is far more likely.
    throw new SealedFileError(
      'SEALED_WRONG_PASSPHRASE',
      'phrase de passe incorrecte (ou fichier chiffré modifié)',
    );
  }
}

/** Writes a file atomically (temporary file then rename) so a crash never leaves half a secret. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = path + '.tmp-' + process.pid;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Saves a 32-byte Ed25519 seed (or another 32-byte secret) encrypted under a passphrase. */
export function saveKeyFile(
  path: string,
  seed: Uint8Array,
  passphrase: string,
  purpose = PURPOSE_ISSUER_KEY,
): void {
  if (seed.length !== ED25519_SEED_BYTES) throw new Error('a key file holds exactly 32 bytes');
  writeFileAtomic(path, seal(seed, passphrase, purpose));
}

/** Loads a key file; throws SealedFileError with a French message on a wrong passphrase or bad file. */
export function loadKeyFile(path: string, passphrase: string, purpose = PURPOSE_ISSUER_KEY): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SealedFileError('SEALED_BAD_FILE', 'fichier de clé introuvable : ' + path);
  }
  const seed = unseal(text, passphrase, purpose);
  if (seed.length !== ED25519_SEED_BYTES) {
    throw new SealedFileError('SEALED_BAD_FILE', 'le fichier de clé ne contient pas 32 octets');
  }
  return seed;
}
