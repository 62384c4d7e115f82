// Desk use cases on the virtual tag, in process (no pcscd): issue, read, renew, refusals, damage.

import { describe, expect, it } from 'vitest';
import { toHex } from '../../protocol/src/bytes';
import { FIRST_USER_PAGE, NTAG215_LAYOUT } from '../../protocol/src/card';
import { directory, reader1, sampleState } from '../../protocol/scripts/vector-fixtures';
import { signState, voucherId } from '../../protocol/src/structures/state';
import { sha256Host } from '../../protocol/src/node/ed25519';
import { monthOfTime } from '../../protocol/src/time';
import { formatCard, inspectCard, issueCard, renewCard, cardPassword } from '../../host/src/desk/desk';
import { reportLines } from '../../host/src/commands/carte';
import { VirtualTag } from '../sim/vpcd-card';
import { NOW, context, deskError, otherProfile, profile, tap } from './helpers';

const W = { now: NOW, protect: false, force: false };
const ALICE = { name: 'Alice Martin', householdSize: 3, parts: null };

describe('card identification', () => {
  it.each([
    ['NTAG213', 'CARD_NTAG213', /NTAG213 : trop petite/],
    ['ULTRALIGHT', 'CARD_NOT_NTAG', /ne répond pas à GET_VERSION/],
    ['MIFARE_CLASSIC', 'CARD_MIFARE_CLASSIC', /MIFARE Classic/],
  ] as const)('%s is refused with a French message', async (kind, code, msg) => {
    const tag = new VirtualTag(kind);
    const e = await deskError(formatCard(await tap(tag), context(), W));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(msg);
    const e2 = await deskError(inspectCard(await tap(tag), context(), NOW));
    expect(e2.code).toBe(code);
  });

  it('a blank NTAG215 reads as blank, then formats to the carnet layout', async () => {
    const tag = new VirtualTag('NTAG215');
    const ctx = context();
    const r0 = await inspectCard(await tap(tag), ctx, NOW);
    expect(r0.status).toBe('vierge');
    expect(r0.message).toMatch(/carte vierge/);
    const f = await formatCard(await tap(tag), ctx, W);
    expect(f.chip).toBe('NTAG215');
    const r1 = await inspectCard(await tap(tag), ctx, NOW);
    expect(r1.status).toBe('formatee');
    expect(toHex(tag.mem.subarray(16, 18))).toBe('434e');
  });
});

describe('issue, read, renew', () => {
  it.each(['NTAG215', 'NTAG216'] as const)('issues an %s and reads the balance back', async (kind) => {
    const tag = new VirtualTag(kind);
    const ctx = context(profile('foyer'));
    const r = await issueCard(await tap(tag), ctx, ALICE, W);
    expect(r.monthlyAllocation).toBe(5000 + 2 * 2000);
    expect(r.serial).toBe(1);
    expect(r.startMonth).toBe('2026-11');
    expect(r.endMonth).toBe('2027-10');
    const rep = await inspectCard(await tap(tag), ctx, NOW);
    expect(rep.status).toBe('valide');
    expect(rep.voucher?.pseudonym).toBe(r.pseudonym);
    expect(rep.balance?.available).toBe(9000);
    expect(rep.spends).toEqual([]);
    // Issuing again over a valid card is refused (its balance would be lost).
    const e = await deskError(issueCard(await tap(tag), ctx, ALICE, W));
    expect(e.code).toBe('CARD_ALREADY_ISSUED');
  });

  it('rule by parts needs --parts; flat rule ignores household size', async () => {
    const e = await deskError(
      issueCard(await tap(new VirtualTag('NTAG215')), context(profile('parts')), ALICE, W),
    );
    expect(e.code).toBe('MEMBER_PARTS');
    const r = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      context(profile('parts')),
      { name: 'B', householdSize: null, parts: 4 },
      W,
    );
    expect(r.monthlyAllocation).toBe(4000);
  });

  it('read shows the spends from the slots (highest card_seq), verified with the directory', async () => {
    const tag = new VirtualTag('NTAG215');
    const ctx = context();
    const r = await issueCard(await tap(tag), ctx, ALICE, W);
    // A reader writes state 1 in slot A and state 2 in slot B (SPEC.md §6.1).
    const rep0 = await inspectCard(await tap(tag), ctx, NOW);
    expect(rep0.status).toBe('valide');
    const pseudo = Buffer.from(r.pseudonym, 'hex');
    const s1 = {
      ...sampleState(voucherId(new Uint8Array(8), sha256Host)),
      pseudonym: pseudo,
      month: monthOfTime(NOW, 60),
      cardSeq: 1,
      spent: 1250,
      lastAmount: 1250,
    };
    const s2 = { ...s1, cardSeq: 2, spent: 2000, lastAmount: 750, time: s1.time + 3600 };
    tag.mem.set(signState(s1, reader1), NTAG215_LAYOUT.slotA.firstPage * 4);
    tag.mem.set(signState(s2, reader1), NTAG215_LAYOUT.slotB.firstPage * 4);
    const rep = await inspectCard(await tap(tag), ctx, NOW);
    expect(rep.balance?.available).toBe(6500 - 2000);
    expect(rep.spends.map((s) => s.amount)).toEqual([750, 1250]);
    expect(rep.spends[0].verified).toBe(false);
    expect(rep.notes.join(' ')).toMatch(/non vérifiées/);
    const rep2 = await inspectCard(await tap(tag), { ...ctx, directory }, NOW);
    expect(rep2.spends[0].verified).toBe(true);
    expect(rep2.notes.join(' ')).not.toMatch(/non vérifiées/);
    // A forged slot B (signed by a key the directory does not list for reader 101) is ignored.
    const { attacker } = await import('../../protocol/scripts/vector-fixtures');
    tag.mem.set(signState({ ...s2, cardSeq: 3, spent: 0 }, attacker), NTAG215_LAYOUT.slotB.firstPage * 4);
    const rep3 = await inspectCard(await tap(tag), { ...ctx, directory }, NOW);
    expect(rep3.balance?.available).toBe(6500 - 1250);
    expect(rep3.notes.join(' ')).toMatch(/signature du lecteur 101 fausse/);

    // Renew keeps the slots (the chain) and bumps the serial.
    const n = await renewCard(await tap(tag), ctx, { ...W, now: NOW + 40 * 86400 });
    expect(n.serial).toBe(2);
    expect(n.pseudonym).toBe(r.pseudonym);
    expect(n.startMonth).toBe('2026-12');
    const rep4 = await inspectCard(await tap(tag), { ...ctx, directory }, NOW + 40 * 86400);
    expect(rep4.voucher?.serial).toBe(2);
    expect(rep4.spends.length).toBe(1);
    expect(rep4.notes.join(' ')).toMatch(/bon n° 1/);
  });
});

describe('read, in plain French', () => {
  it('says the balance, the period and what is not verified', async () => {
    const tag = new VirtualTag('NTAG215');
    const ctx = context();
    await issueCard(await tap(tag), ctx, ALICE, W);
    const lines = reportLines(await inspectCard(await tap(tag), ctx, NOW));
    expect(lines).toContain(
      'Solde de novembre 2026 : 65,00 € (allocation 65,00 €, reporté 0,00 €, dépensé 0,00 €).',
    );
    expect(lines).toContain(
      'Bon n° 1, de novembre 2026 à octobre 2027, 65,00 € par mois, report plafonné à 30,00 €.',
    );
    expect(lines).toContain('Aucune dépense enregistrée sur la carte.');
    tag.mem[16] = 0; // header magic gone: a torn write
    expect(reportLines(await inspectCard(await tap(tag), ctx, NOW))[0]).toMatch(/carte incomplète/);
  });
});

describe('refusals: other fund, damaged voucher, copied voucher', () => {
  it('a card of another fund', async () => {
    const tag = new VirtualTag('NTAG215');
    await issueCard(await tap(tag), context(), ALICE, W);
    const rep = await inspectCard(await tap(tag), context(otherProfile()), NOW);
    expect(rep.status).toBe('autre_fonds');
    expect(rep.message).toMatch(/carte d’un autre fonds/);
    const e = await deskError(renewCard(await tap(tag), context(otherProfile()), W));
    expect(e.code).toBe('CARD_NOT_RENEWABLE');
    expect(e.message).toMatch(/autre fonds/);
  });

  it('a damaged voucher (one flipped byte in the body, then in the signature)', async () => {
    for (const offset of [20, 100]) {
      const tag = new VirtualTag('NTAG215');
      await issueCard(await tap(tag), context(), ALICE, W);
      tag.mem[6 * 4 + offset] ^= 0x01;
      const rep = await inspectCard(await tap(tag), context(), NOW);
      expect(rep.status).toBe('bon_abime');
      expect(rep.message).toMatch(/bon abîmé/);
    }
  });

  it('a voucher copied onto another blank card', async () => {
    const a = new VirtualTag('NTAG215');
    const b = new VirtualTag('NTAG215');
    await issueCard(await tap(a), context(), ALICE, W);
    b.mem.set(a.mem.subarray(FIRST_USER_PAGE * 4, 130 * 4), FIRST_USER_PAGE * 4);
    const rep = await inspectCard(await tap(b), context(), NOW);
    expect(rep.status).toBe('autre_carte');
    expect(rep.message).toMatch(/copié depuis une autre carte/);
  });

  it('without the issuer key, issuing is refused clearly', async () => {
    const e = await deskError(
      issueCard(await tap(new VirtualTag('NTAG215')), { ...context(), issuer: null }, ALICE, W),
    );
    expect(e.code).toBe('ISSUER_KEY_MISSING');
  });
});

describe('write protection (SPEC.md §12.4)', () => {
  it('PWD = HMAC(secret, UID)[0..4], PROT 0, AUTHLIM 0; writes then need the secret', async () => {
    const tag = new VirtualTag('NTAG215');
    const ctx = context();
    const r = await issueCard(await tap(tag), ctx, ALICE, { ...W, protect: true });
    expect(r.writeProtected).toBe(true);
    expect(toHex(tag.passwordForTests)).toBe(toHex(cardPassword(ctx.cardSecret as Uint8Array, tag.uid).pwd));
    expect(tag.mem[0x84 * 4]).toBe(0); // ACCESS: PROT=0, AUTHLIM=0
    expect(tag.mem[0x83 * 4 + 3]).toBe(4); // AUTH0 = first user page
    const rep = await inspectCard(await tap(tag), ctx, NOW);
    expect(rep.status).toBe('valide');
    expect(rep.writeProtected).toBe(true);
    const e = await deskError(renewCard(await tap(tag), { ...ctx, cardSecret: null }, W));
    expect(e.code).toBe('CARD_PROTECTED');
    const e2 = await deskError(renewCard(await tap(tag), { ...ctx, cardSecret: new Uint8Array(32) }, W));
    expect(e2.code).toBe('CARD_PASSWORD');
    const n = await renewCard(await tap(tag), ctx, W);
    expect(n.serial).toBe(2);
  });
});
