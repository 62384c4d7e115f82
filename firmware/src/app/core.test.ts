import { describe, expect, it } from 'vitest';
import { ReaderCore, VERIFY_CACHE_MAX, MAX_KEY_CERTIFICATES, localDateTime, receiptLine } from './core';
import { simEd25519 } from '../../../test/sim/reader-sim';
import { provisionedReader, cmd, T0 } from '../../../test/sim/fund';
import { sha256 } from '../../../protocol/src/crypto/sha256';
import { Ed25519 } from '../hal/crypto';
import { hostSigner } from '../../../protocol/src/node/ed25519';
import { labelBytes, root, fundId, kid } from '../../../protocol/scripts/vector-fixtures';
import { ROLE_ISSUER, signKeyCertificate } from '../../../protocol/src/structures/keys';
import { CMD_PUT_KEY_CERTIFICATE } from '../../../protocol/src/structures/command';
import { RECEIPT_COLUMNS } from './texts';

describe('verification cache', () => {
  it('holds VERIFY_CACHE_MAX verified signatures; MAX + 1 evicts the oldest; failures are never cached', () => {
    const real = simEd25519();
    let calls = 0;
    const counting: Ed25519 = {
      name: 'counting',
      verify: (s, p, m) => {
        calls++;
        return real.verify(s, p, m);
      },
      sign: (s, m) => real.sign(s, m),
      publicKey: (s) => real.publicKey(s),
    };
    const p = provisionedReader('cache');
    const core = new ReaderCore(p.sim.devices, counting, sha256, 'test', 0, 0);
    const seed = labelBytes('cache-key', 32);
    const pub = real.publicKey(seed);
    const msgs = [];
    for (let i = 0; i <= VERIFY_CACHE_MAX; i++) msgs.push(new Uint8Array([i, 1, 2]));
    const sigs = msgs.map((m) => real.sign(seed, m));
    for (let i = 0; i < VERIFY_CACHE_MAX; i++) expect(core.cachedVerify(pub, msgs[i], sigs[i])).toBe(true);
    expect(calls).toBe(VERIFY_CACHE_MAX);
    expect(core.cachedVerify(pub, msgs[0], sigs[0])).toBe(true);
    expect(calls).toBe(VERIFY_CACHE_MAX); // hit
    // A cached (key, signature) does not vouch for another message.
    expect(core.cachedVerify(pub, msgs[1], sigs[0])).toBe(false);
    expect(core.cachedVerify(pub, msgs[1], sigs[0])).toBe(false);
    expect(calls).toBe(VERIFY_CACHE_MAX + 2);
    expect(core.cachedVerify(pub, msgs[VERIFY_CACHE_MAX], sigs[VERIFY_CACHE_MAX])).toBe(true);
    expect(core.verifyCache.length).toBe(VERIFY_CACHE_MAX);
    const before = calls;
    expect(core.cachedVerify(pub, msgs[0], sigs[0])).toBe(true);
    expect(calls).toBe(before + 1); // evicted, verified again
  });
});

describe('key certificates', () => {
  it('MAX_KEY_CERTIFICATES are held; one more is refused with STORAGE_FULL', () => {
    const p = provisionedReader('kc-max');
    const held = p.sim.reader.core.keyCerts.length;
    for (let i = held; i <= MAX_KEY_CERTIFICATES; i++) {
      const k = hostSigner(labelBytes('kc-' + i, 32));
      const env = signKeyCertificate(
        {
          fundId: fundId,
          role: ROLE_ISSUER,
          publicKey: k.publicKey,
          notBefore: T0 - 86400,
          notAfter: T0 + 86400 * 300,
          signerKeyId: kid(root),
        },
        root,
      );
      const r = p.host.command(cmd(CMD_PUT_KEY_CERTIFICATE, [env, null], root), root, null);
      expect(r.status).toBe(i < MAX_KEY_CERTIFICATES ? 0 : 13);
    }
    expect(p.sim.reader.core.keyCerts.length).toBe(MAX_KEY_CERTIFICATES);
  });
});

describe('receipt helpers', () => {
  it('local date and time with the configured offset; lines never wider than the paper', () => {
    expect(localDateTime(T0, 60)).toBe('01/11/2026 01:00');
    expect(localDateTime(T0 - 1, 0)).toBe('31/10/2026 23:59');
    expect(receiptLine('Montant', '12,50 €').length).toBe(RECEIPT_COLUMNS);
    expect(receiptLine('Une étiquette de catégorie très longue (12)', '1500,00 €').length).toBe(
      RECEIPT_COLUMNS,
    );
  });
});
