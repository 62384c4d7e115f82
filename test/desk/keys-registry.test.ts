// Encrypted files of the desk: key files (host/src/keys/keyfile.ts) and the member registry.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_SCRYPT_N,
  PURPOSE_CARD_SECRET,
  PURPOSE_ISSUER_KEY,
  SealedFileError,
  loadKeyFile,
  saveKeyFile,
} from '../../host/src/keys/keyfile';
import { MemberRegistry } from '../../host/src/desk/registry';

const dir = mkdtempSync(join(tmpdir(), 'carnet-keys-'));
const seed = new Uint8Array(32).map((_, i) => i * 7 + 1);

function sealedError(f: () => unknown): SealedFileError {
  try {
    f();
  } catch (e) {
    if (e instanceof SealedFileError) return e;
    throw e;
  }
  throw new Error('expected a SealedFileError');
}

describe('key files (scrypt + AES-256-GCM)', () => {
  it('round-trips; a wrong passphrase, another purpose or a modified byte are refused in French', () => {
    const p = join(dir, 'emission.cle');
    saveKeyFile(p, seed, 'bonne phrase');
    expect(Array.from(loadKeyFile(p, 'bonne phrase'))).toEqual(Array.from(seed));
    expect(readFileSync(p, 'utf8')).not.toContain(Buffer.from(seed).toString('base64'));
    const e = sealedError(() => loadKeyFile(p, 'mauvaise phrase'));
    expect(e.code).toBe('SEALED_WRONG_PASSPHRASE');
    expect(e.message).toMatch(/phrase de passe incorrecte/);
    expect(sealedError(() => loadKeyFile(p, 'bonne phrase', PURPOSE_CARD_SECRET)).code).toBe(
      'SEALED_WRONG_PURPOSE',
    );
    const j = JSON.parse(readFileSync(p, 'utf8')) as { data: string };
    const d = Buffer.from(j.data, 'base64');
    d[0] ^= 1;
    writeFileSync(p, JSON.stringify({ ...j, data: d.toString('base64') }));
    expect(sealedError(() => loadKeyFile(p, 'bonne phrase')).code).toBe('SEALED_WRONG_PASSPHRASE');
    expect(sealedError(() => loadKeyFile(join(dir, 'absent'), 'x')).message).toMatch(/introuvable/);
    writeFileSync(p, 'pas du json');
    expect(sealedError(() => loadKeyFile(p, 'x')).code).toBe('SEALED_BAD_FILE');
  });

  it('scrypt cost: MAX_SCRYPT_N is accepted, MAX_SCRYPT_N + 1 (next power of two) is refused unread', () => {
    const p = join(dir, 'cout.cle');
    saveKeyFile(p, seed, 'x', PURPOSE_ISSUER_KEY);
    const j = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    writeFileSync(p, JSON.stringify({ ...j, N: MAX_SCRYPT_N }));
    // Accepted cost: the key derivation runs, and (other N) the tag does not match.
    expect(sealedError(() => loadKeyFile(p, 'x')).code).toBe('SEALED_WRONG_PASSPHRASE');
    writeFileSync(p, JSON.stringify({ ...j, N: MAX_SCRYPT_N * 2 }));
    expect(sealedError(() => loadKeyFile(p, 'x')).code).toBe('SEALED_BAD_FILE');
  });
});

describe('member registry', () => {
  it('is encrypted at rest: names never appear in the file', () => {
    const p = join(dir, 'sous', 'registre.chiffre');
    const r = MemberRegistry.open(p, 'phrase');
    r.upsert({
      name: 'Élodie Fournier',
      pseudonym: '0011223344556677',
      householdSize: 2,
      parts: null,
      uid: '04a1b2c3d4e580',
      serial: 1,
      startMonth: 682,
      validityMonths: 12,
      issuedAt: 1,
      status: 'active',
      blockedAt: null,
      replacedBy: null,
      replaces: null,
    });
    r.save();
    const raw = readFileSync(p);
    expect(raw.includes(Buffer.from('Fournier'))).toBe(false);
    expect(raw.includes(Buffer.from('0011223344556677'))).toBe(false);
    const again = MemberRegistry.open(p, 'phrase');
    expect(again.byName('Élodie Fournier')?.pseudonym).toBe('0011223344556677');
    expect(sealedError(() => MemberRegistry.open(p, 'autre')).code).toBe('SEALED_WRONG_PASSPHRASE');
  });
});

describe('desk error words in English', () => {
  it('every error code the desk raises has an English sentence', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { DESK_MESSAGES_EN } = await import('../../host/src/desk/messages-en');
    const dirs = ['host/src/desk', 'host/src/adapters/pcsc', 'host/src/commands'];
    const codes = new Set<string>();
    for (const d of dirs) {
      for (const f of readdirSync(d).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
        const text = readFileSync(join(d, f), 'utf8');
        for (const m of text.matchAll(/DeskError\(\s*'([A-Z_0-9]+)'/g)) codes.add(m[1]);
      }
    }
    expect(codes.size).toBeGreaterThan(30);
    for (const c of codes) expect(DESK_MESSAGES_EN[c], c).toBeTruthy();
  });
});
