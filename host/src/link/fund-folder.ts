// The fund folder on the volunteer's laptop (`--caisse`, default ./caisse or $CARNET_CAISSE): public
// facts in caisse.json (fund id, public keys, key certificates, known readers, directory and blocklist
// versions), the three secret keys sealed under one passphrase (host/src/keys/keyfile.ts: scrypt +
// AES-256-GCM), a paper backup, an export of public keys, and the pulled logs (releves.sqlite).

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../protocol/src/bytes';
import { Ed25519Signer } from '../../../protocol/src/crypto/types';
import { hostSigner, sha256Host } from '../../../protocol/src/node/ed25519';
import { FUND_ID_BYTES } from '../../../protocol/src/limits';
import {
  ROLE_ISSUER,
  ROLE_OPERATOR,
  ReaderDirectory,
  keyId,
  signDirectory,
  signKeyCertificate,
} from '../../../protocol/src/structures/keys';
import { Blocklist, signBlocklist } from '../../../protocol/src/structures/config';
import {
  PURPOSE_ISSUER_KEY,
  PURPOSE_OPERATOR_KEY,
  loadKeyFile,
  saveKeyFile,
  writeFileAtomic,
} from '../keys/keyfile';

export const PURPOSE_ROOT_KEY = 'cle-racine';
export const FUND_FILE = 'caisse.json';
export const ROOT_FILE = 'racine.cle';
export const OPERATOR_FILE = 'operateur.cle';
export const ISSUER_FILE = 'emetteur.cle';
export const PAPER_FILE = 'sauvegarde-papier.txt';
export const PUBLIC_FILE = 'cles-publiques.json';
export const PULL_DB_FILE = 'releves.sqlite';
/** Operator and issuer key certificates last a year: renewed at the fund's yearly general meeting. */
export const KEY_CERT_DAYS = 365;
/** Reader certificates last 180 days: a reader not seen for half a year must come back to the desk. */
export const READER_CERT_DAYS = 180;

export interface ReaderEntry {
  readerId: number;
  publicKey: string;
  vendorId: number;
  notAfter: number;
  revoked: boolean;
  /** The reader certificate envelope (hex) installed at provisioning: log exports carry it (SPEC §14.1). */
  certificate?: string;
}

export interface FundFile {
  format: 'carnet-caisse-v1';
  fundId: string;
  rootPublicKey: string;
  operatorPublicKey: string;
  issuerPublicKey: string;
  operatorCertificate: string;
  issuerCertificate: string;
  directoryVersion: number;
  blocklistVersion: number;
  readers: ReaderEntry[];
}

export interface FundKeys {
  root: Ed25519Signer;
  operator: Ed25519Signer;
  issuer: Ed25519Signer;
}

export function fundDir(opt: string | undefined): string {
  return opt ?? process.env.CARNET_CAISSE ?? 'caisse';
}

export function loadFund(dir: string): FundFile | null {
  const p = join(dir, FUND_FILE);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as FundFile;
}

export function saveFund(dir: string, f: FundFile): void {
  writeFileAtomic(join(dir, FUND_FILE), JSON.stringify(f, null, 2) + '\n');
}

export function loadKeys(dir: string, passphrase: string): FundKeys {
  return {
    root: hostSigner(loadKeyFile(join(dir, ROOT_FILE), passphrase, PURPOSE_ROOT_KEY)),
    operator: hostSigner(loadKeyFile(join(dir, OPERATOR_FILE), passphrase, PURPOSE_OPERATOR_KEY)),
    issuer: hostSigner(loadKeyFile(join(dir, ISSUER_FILE), passphrase, PURPOSE_ISSUER_KEY)),
  };
}

export function kidOf(s: Ed25519Signer): Uint8Array {
  return keyId(s.publicKey, sha256Host);
}

/** Checksum of a paper line: the first 2 bytes of its SHA-256, so a mistyped line is found by itself. */
export function paperChecksum(s: string): string {
  return createHash('sha256').update(s).digest('hex').substring(0, 4);
}

/** The printable paper backup: each seed as 4 lines of 16 hex digits with a checksum per line. */
export function paperBackup(fundId: Uint8Array, seeds: { name: string; seed: Uint8Array }[]): string {
  const lines = [
    'carnet — sauvegarde papier des clés de la caisse ' + toHex(fundId),
    'À garder sous clé. Quiconque lit cette feuille peut signer au nom de la caisse.',
    'Chaque ligne finit par sa somme de contrôle (4 chiffres) ; la dernière contrôle la feuille entière.',
    '',
  ];
  for (const s of seeds) {
    lines.push(s.name);
    const h = toHex(s.seed);
    for (let i = 0; i < 4; i++) {
      const part = h
        .substring(i * 16, i * 16 + 16)
        .replace(/(.{4})/g, '$1 ')
        .trim();
      lines.push('  ' + (i + 1) + '  ' + part + '   [' + paperChecksum(s.name + i + part) + ']');
    }
    lines.push('');
  }
  const all = seeds.map((s) => toHex(s.seed)).join('');
  lines.push('Somme de contrôle de la feuille : ' + paperChecksum(toHex(fundId) + all));
  return lines.join('\n') + '\n';
}

/** Creates the fund's keys and files. `now` in seconds. */
export function createFund(dir: string, passphrase: string, now: number): FundFile {
  const fundId = new Uint8Array(randomBytes(FUND_ID_BYTES));
  const seeds = {
    root: new Uint8Array(randomBytes(32)),
    operator: new Uint8Array(randomBytes(32)),
    issuer: new Uint8Array(randomBytes(32)),
  };
  const root = hostSigner(seeds.root);
  const operator = hostSigner(seeds.operator);
  const issuer = hostSigner(seeds.issuer);
  const cert = (role: number, pub: Uint8Array) =>
    signKeyCertificate(
      {
        fundId: fundId,
        role: role,
        publicKey: pub,
        notBefore: now - 86400,
        notAfter: now + KEY_CERT_DAYS * 86400,
        signerKeyId: kidOf(root),
      },
      root,
    );
  saveKeyFile(join(dir, ROOT_FILE), seeds.root, passphrase, PURPOSE_ROOT_KEY);
  saveKeyFile(join(dir, OPERATOR_FILE), seeds.operator, passphrase, PURPOSE_OPERATOR_KEY);
  saveKeyFile(join(dir, ISSUER_FILE), seeds.issuer, passphrase, PURPOSE_ISSUER_KEY);
  const f: FundFile = {
    format: 'carnet-caisse-v1',
    fundId: toHex(fundId),
    rootPublicKey: toHex(root.publicKey),
    operatorPublicKey: toHex(operator.publicKey),
    issuerPublicKey: toHex(issuer.publicKey),
    operatorCertificate: toHex(cert(ROLE_OPERATOR, operator.publicKey)),
    issuerCertificate: toHex(cert(ROLE_ISSUER, issuer.publicKey)),
    directoryVersion: 0,
    blocklistVersion: 1,
    readers: [],
  };
  saveFund(dir, f);
  writeFileAtomic(
    join(dir, PAPER_FILE),
    paperBackup(fundId, [
      { name: 'Clé racine', seed: seeds.root },
      { name: 'Clé opérateur', seed: seeds.operator },
      { name: 'Clé émettrice', seed: seeds.issuer },
    ]),
  );
  writeFileAtomic(join(dir, PUBLIC_FILE), JSON.stringify(publicExport(f), null, 2) + '\n');
  return f;
}

export function publicExport(f: FundFile): unknown {
  return {
    caisse: f.fundId,
    racine: f.rootPublicKey,
    operateur: f.operatorPublicKey,
    emetteur: f.issuerPublicKey,
    certificatOperateur: f.operatorCertificate,
    certificatEmetteur: f.issuerCertificate,
  };
}

export function directoryOf(f: FundFile, root: Ed25519Signer, now: number): Uint8Array {
  const d: ReaderDirectory = {
    fundId: fromHex(f.fundId),
    version: f.directoryVersion,
    issuedAt: now,
    entries: f.readers
      .filter((r) => !r.revoked)
      .sort((a, b) => a.readerId - b.readerId)
      .map((r) => ({
        readerId: r.readerId,
        publicKey: fromHex(r.publicKey),
        vendorId: r.vendorId,
        notAfter: r.notAfter,
      })),
    signerKeyId: kidOf(root),
  };
  return signDirectory(d, root);
}

export function blocklistOf(f: FundFile, operator: Ed25519Signer, now: number): Uint8Array {
  const b: Blocklist = {
    fundId: fromHex(f.fundId),
    version: f.blocklistVersion,
    issuedAt: now,
    pseudonyms: [],
    readerIds: f.readers
      .filter((r) => r.revoked)
      .map((r) => r.readerId)
      .sort((a, b) => a - b),
    issuerKeyIds: [],
    signerKeyId: kidOf(operator),
  };
  return signBlocklist(b, operator);
}
