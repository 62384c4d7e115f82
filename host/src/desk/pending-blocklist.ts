// Pseudonyms waiting for the next signed blocklist (SPEC.md §8). The desk adds to a JSON file; the
// treasurer (or whoever holds an operator key) signs a new blocklist version that lists every pseudonym
// ever blocked plus the pending ones, and the readers get it at their next provisioning.
//   { "fundId": "<hex>", "version": <last signed version>, "signed": ["<hex>"...],
//     "readerIds": [], "issuerKeyIds": [], "pending": [{ "pseudonym": "<hex>", "at": <time>, "reason": "perdue" }] }
// The file holds pseudonyms only: no name (the registry keeps those).

import { existsSync, readFileSync } from 'node:fs';
import { compareBytes, fromHex, toHex } from '../../../protocol/src/bytes';
import { MAX_BLOCKLIST_ENTRIES, MAX_U32 } from '../../../protocol/src/limits';
import { Ed25519Signer } from '../../../protocol/src/crypto/types';
import { signBlocklist } from '../../../protocol/src/structures/config';
import { keyId } from '../../../protocol/src/structures/keys';
import { sha256Host } from '../../../protocol/src/node/ed25519';
import { writeFileAtomic } from '../keys/keyfile';
import { DeskError } from './card-io';

export interface PendingEntry {
  pseudonym: string;
  at: number;
  reason: string;
}

export interface PendingFile {
  fundId: string;
  version: number;
  signed: string[];
  readerIds: number[];
  issuerKeyIds: string[];
  pending: PendingEntry[];
}

export function loadPending(path: string, fundId: Uint8Array): PendingFile {
  if (!existsSync(path)) {
    return { fundId: toHex(fundId), version: 0, signed: [], readerIds: [], issuerKeyIds: [], pending: [] };
  }
  const f = JSON.parse(readFileSync(path, 'utf8')) as PendingFile;
  if (f.fundId !== toHex(fundId)) {
    throw new DeskError('BLOCKLIST_OTHER_FUND', 'la liste de blocage en attente est celle d’un autre fonds');
  }
  return f;
}

export function savePending(path: string, f: PendingFile): void {
  writeFileAtomic(path, JSON.stringify(f, null, 2) + '\n');
}

/** Adds a pseudonym (no duplicate); returns false if it was already pending or signed. */
export function addPending(f: PendingFile, pseudonymHex: string, at: number, reason: string): boolean {
  if (f.signed.includes(pseudonymHex) || f.pending.some((p) => p.pseudonym === pseudonymHex)) return false;
  f.pending.push({ pseudonym: pseudonymHex, at: at, reason: reason });
  return true;
}

/** Signs the next blocklist version with an operator key; moves pending entries to `signed`. */
export function signPending(
  f: PendingFile,
  operator: Ed25519Signer,
  now: number,
): { version: number; envelope: Uint8Array } {
  const all = Array.from(new Set(f.signed.concat(f.pending.map((p) => p.pseudonym)))).map((h) => fromHex(h));
  all.sort(compareBytes);
  const total = all.length + f.readerIds.length + f.issuerKeyIds.length;
  if (total > MAX_BLOCKLIST_ENTRIES) {
    throw new DeskError(
      'BLOCKLIST_FULL',
      'liste de blocage pleine (' + MAX_BLOCKLIST_ENTRIES + ' entrées au plus)',
    );
  }
  if (f.version >= MAX_U32) throw new DeskError('BLOCKLIST_VERSION', 'version de liste de blocage épuisée');
  const version = f.version + 1;
  const envelope = signBlocklist(
    {
      fundId: fromHex(f.fundId),
      version: version,
      issuedAt: now,
      pseudonyms: all,
      readerIds: f.readerIds.slice().sort((a, b) => a - b),
      issuerKeyIds: f.issuerKeyIds.map((h) => fromHex(h)).sort(compareBytes),
      signerKeyId: keyId(operator.publicKey, sha256Host),
    },
    operator,
  );
  f.version = version;
  f.signed = all.map((b) => toHex(b));
  f.pending = [];
  return { version, envelope };
}
