// Block and replace (in process): pending blocklist, signed blocklist, quarantine from the ledger view,
// torn replacement finished by the re-run, and the limits that bound them.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../protocol/src/bytes';
import { MAX_BLOCKLIST_ENTRIES } from '../../protocol/src/limits';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { fundId, operator } from '../../protocol/scripts/vector-fixtures';
import { verifyBlocklist } from '../../protocol/src/verify';
import { monthOfTime } from '../../protocol/src/time';
import {
  MAX_QUARANTINE_WEEKS,
  blockPseudonym,
  inspectCard,
  issueCard,
  replaceCard,
  restoreBalance,
} from '../../host/src/desk/desk';
import { EMPTY_LEDGER, JsonLedgerView, LedgerDbView } from '../../host/src/desk/ledger-view';
import { loadPending, signPending } from '../../host/src/desk/pending-blocklist';
import { MemberRegistry } from '../../host/src/desk/registry';
import { VirtualTag } from '../sim/vpcd-card';
import { NOW, context, deskError, profile, tap, tapTorn } from './helpers';

const W = { now: NOW, protect: false, force: false };

function withRegistry() {
  const dir = mkdtempSync(join(tmpdir(), 'carnet-replace-'));
  const ctx = context(profile('foyer'));
  ctx.registry = MemberRegistry.open(join(dir, 'registre.chiffre'), 'phrase');
  return { ctx, dir, pending: loadPending(join(dir, 'p.json'), fundId) };
}

describe('block', () => {
  it('adds once, marks the registry, signs a verifiable blocklist with every pseudonym', async () => {
    const { ctx, pending } = withRegistry();
    const a = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      ctx,
      { name: 'Ana', householdSize: 2, parts: null },
      W,
    );
    expect(blockPseudonym(ctx, pending, a.pseudonym, NOW, 'perdue')).toBe(true);
    expect(blockPseudonym(ctx, pending, a.pseudonym, NOW, 'perdue')).toBe(false);
    expect(ctx.registry?.byPseudonym(a.pseudonym)?.status).toBe('bloquee');
    const s1 = signPending(pending, operator, NOW);
    expect(s1.version).toBe(1);
    expect(blockPseudonym(ctx, pending, '00000000000000ff', NOW, 'x')).toBe(true);
    const s2 = signPending(pending, operator, NOW + 1);
    const v = verifyBlocklist(s2.envelope, operator.publicKey, fundId, hostCrypto);
    expect(v.ok && v.value.version).toBe(2);
    expect(v.ok && v.value.pseudonyms.map(toHex)).toEqual(['00000000000000ff', a.pseudonym].sort());
    expect(() => blockPseudonym(ctx, pending, 'zz', NOW, 'x')).toThrow(/pseudonyme de 16 chiffres/);
  });

  it('MAX_BLOCKLIST_ENTRIES pseudonyms sign; one more is refused', () => {
    const { ctx, pending } = withRegistry();
    for (let i = 0; i < MAX_BLOCKLIST_ENTRIES; i++)
      blockPseudonym(ctx, pending, i.toString(16).padStart(16, '0'), NOW, 'x');
    expect(signPending(pending, operator, NOW).version).toBe(1);
    blockPseudonym(ctx, pending, 'ffffffffffffffff', NOW, 'x');
    expect(() => signPending(pending, operator, NOW)).toThrow(/liste de blocage pleine/);
  });
});

describe('replace a lost card', () => {
  it('blocks the old one, the new voucher allocates from next month, balance from the ledger', async () => {
    const { ctx, pending } = withRegistry();
    const old = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      ctx,
      { name: 'Ana', householdSize: 2, parts: null },
      W,
    );
    const ledger = new JsonLedgerView({
      states: [
        {
          pseudonym: old.pseudonym,
          month: monthOfTime(NOW, 60),
          cardSeq: 2,
          carried: 0,
          spent: 2500,
          time: NOW - 3600,
          voucherSerial: 1,
        },
        {
          pseudonym: old.pseudonym,
          month: monthOfTime(NOW, 60),
          cardSeq: 1,
          carried: 0,
          spent: 1000,
          time: NOW - 7200,
          voucherSerial: 1,
        },
      ],
    });
    const tag = new VirtualTag('NTAG216');
    const r = await replaceCard(await tap(tag), ctx, pending, ledger, old.pseudonym, {
      ...W,
      quarantineWeeks: 8,
    });
    expect(r.newlyBlocked).toBe(true);
    expect(pending.pending.map((p) => p.pseudonym)).toEqual([old.pseudonym]);
    expect(r.oldBalanceNow).toBe(7000 - 2500);
    expect(r.ledgerState).toBe(true);
    // Replaced on 2026-11-10: the new card allocates from 2026-12 to the old voucher's end, 2027-10.
    expect(r.startMonth).toBe('2026-12');
    expect(r.endMonth).toBe('2027-10');
    expect(ctx.registry?.byPseudonym(old.pseudonym)?.status).toBe('remplacee');
    expect(ctx.registry?.byName('Ana')?.pseudonym).toBe(r.pseudonym);
    const rep = await inspectCard(await tap(tag), ctx, NOW);
    expect(rep.status).toBe('pas_encore_valide');
    expect(rep.balance?.available).toBe(0);
    const inFeb = await inspectCard(await tap(tag), ctx, NOW + 90 * 86400);
    expect(inFeb.status).toBe('valide');
    // December and January went unspent: carried over, capped at 30 € (the 'foyer' profile).
    expect(inFeb.balance?.available).toBe(7000 + 3000);
    // Quarantine 0 starts next month; no ledger: balance computed from the voucher alone.
    const { ctx: c2, pending: p2 } = withRegistry();
    const o2 = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      c2,
      { name: 'Bea', householdSize: 1, parts: null },
      W,
    );
    const r2 = await replaceCard(await tap(new VirtualTag('NTAG215')), c2, p2, EMPTY_LEDGER, o2.pseudonym, {
      ...W,
      quarantineWeeks: 0,
    });
    expect(r2.startMonth).toBe('2026-12');
    expect(r2.ledgerState).toBe(false);
    expect(r2.oldBalanceNow).toBe(5000);
  });

  it('quarantine limits: MAX_QUARANTINE_WEEKS accepted, one more refused', async () => {
    const { ctx, pending } = withRegistry();
    const old = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      ctx,
      { name: 'Cy', householdSize: 1, parts: null },
      W,
    );
    const e = await deskError(
      replaceCard(await tap(new VirtualTag('NTAG215')), ctx, pending, EMPTY_LEDGER, old.pseudonym, {
        ...W,
        quarantineWeeks: MAX_QUARANTINE_WEEKS + 1,
      }),
    );
    expect(e.code).toBe('BAD_QUARANTINE');
    const r = await replaceCard(
      await tap(new VirtualTag('NTAG215')),
      ctx,
      pending,
      EMPTY_LEDGER,
      old.pseudonym,
      {
        ...W,
        quarantineWeeks: MAX_QUARANTINE_WEEKS,
      },
    );
    // The quarantine only delays the restitution: the new card allocates from next month on.
    expect(r.startMonth).toBe('2026-12');
    expect(r.endMonth).toBe('2027-10');
  });

  it('a replacement torn mid-write is finished by the re-run on the same new card', async () => {
    const { ctx, pending } = withRegistry();
    const old = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      ctx,
      { name: 'Dan', householdSize: 1, parts: null },
      W,
    );
    const tag = new VirtualTag('NTAG215', { uid: fromHex('04010203040506') });
    const e = await deskError(
      replaceCard(await tapTorn(tag, 20, 'garbage'), ctx, pending, EMPTY_LEDGER, old.pseudonym, {
        ...W,
        quarantineWeeks: 8,
      }),
    );
    expect(e.code).toBe('CARD_GONE');
    expect((await inspectCard(await tap(tag), ctx, NOW)).status).toBe('incomplete');
    // The old card is blocked already (at once), even though the new card is not finished.
    expect(pending.pending.map((p) => p.pseudonym)).toEqual([old.pseudonym]);
    const r = await replaceCard(await tap(tag), ctx, pending, EMPTY_LEDGER, old.pseudonym, {
      ...W,
      quarantineWeeks: 8,
    });
    expect(r.resumed?.op).toBe('remplacer');
    expect(ctx.registry?.byPseudonym(r.pseudonym)?.status).toBe('active');
    expect(ctx.registry?.byPseudonym(old.pseudonym)?.status).toBe('remplacee');
  });
});

describe('restitution of a lost card’s balance (voucher version 2 credit)', () => {
  async function replaced() {
    const { ctx, pending } = withRegistry();
    const old = await issueCard(
      await tap(new VirtualTag('NTAG215')),
      ctx,
      { name: 'Eve', householdSize: 2, parts: null },
      W,
    );
    const month = monthOfTime(NOW, 60);
    const ledger = new JsonLedgerView({
      states: [
        {
          pseudonym: old.pseudonym,
          month,
          cardSeq: 1,
          carried: 0,
          spent: 2500,
          time: NOW - 3600,
          voucherSerial: 1,
        },
        // Spent by whoever found the card after it was blocked: the fund's loss, not the member's.
        {
          pseudonym: old.pseudonym,
          month,
          cardSeq: 2,
          carried: 0,
          spent: 6000,
          time: NOW + 3600,
          voucherSerial: 1,
        },
      ],
    });
    const tag = new VirtualTag('NTAG215');
    const r = await replaceCard(await tap(tag), ctx, pending, ledger, old.pseudonym, {
      ...W,
      quarantineWeeks: 8,
    });
    return { ctx, ledger, tag, r, old };
  }

  it('refuses during the quarantine, then adds the balance at the block as a credit this month, once', async () => {
    const { ctx, ledger, tag, r, old } = await replaced();
    const early = await deskError(
      restoreBalance(await tap(tag), ctx, ledger, { ...W, now: NOW + 7 * 86400 }),
    );
    expect(early.code).toBe('QUARANTINE_RUNNING');
    expect(early.message).toMatch(/quarantaine en cours jusqu’au 2027-01-05/);
    const later = NOW + 60 * 86400; // 2027-01-09
    const done = await restoreBalance(await tap(tag), ctx, ledger, { ...W, now: later });
    expect(done.restored).toBe(7000 - 2500);
    expect(done.from).toBe(old.pseudonym);
    expect(done.pseudonym).toBe(r.pseudonym);
    expect(done.serial).toBe(2);
    const rep = await inspectCard(await tap(tag), ctx, later);
    expect(rep.status).toBe('valide');
    expect(rep.balance?.available).toBe(7000 + 4500);
    const again = await deskError(restoreBalance(await tap(tag), ctx, ledger, { ...W, now: later }));
    expect(again.code).toBe('ALREADY_RESTORED');
  });

  it('a card that replaced nothing has nothing to restore', async () => {
    const { ctx } = withRegistry();
    const tag = new VirtualTag('NTAG215');
    await issueCard(await tap(tag), ctx, { name: 'Fa', householdSize: 1, parts: null }, W);
    const e = await deskError(restoreBalance(await tap(tag), ctx, EMPTY_LEDGER, W));
    expect(e.code).toBe('NO_RESTITUTION');
  });
});

describe('ledger views', () => {
  it('LedgerDbView asks the ledger’s ops table for the highest card_seq, voided operations excluded', async () => {
    const seen: unknown[][] = [];
    const view = new LedgerDbView({
      async query(sql, params) {
        seen.push([sql, params]);
        return toHex(params[0] as Uint8Array) === '0102030405060708'
          ? [{ month: 682, card_seq: 5, carried: 100, spent: 2500, time: NOW, voucher_serial: 2 }]
          : [];
      },
    });
    expect(await view.lastStateOf('0102030405060708')).toEqual({
      month: 682,
      cardSeq: 5,
      carried: 100,
      spent: 2500,
      time: NOW,
      voucherSerial: 2,
    });
    expect(await view.lastStateOf('ffffffffffffffff')).toBeNull();
    expect(String(seen[0][0])).toMatch(
      /FROM ops WHERE pseudonym = \? AND status <> \? AND time <= \? ORDER BY card_seq DESC/,
    );
    expect((seen[0][1] as unknown[])[1]).toBe(2);
    expect((seen[0][1] as unknown[])[2]).toBe(4294967295);
    await view.lastStateOf('0102030405060708', NOW);
    expect((seen[2][1] as unknown[])[2]).toBe(NOW);
  });

  it('JsonLedgerView keeps the highest card_seq of a pseudonym', async () => {
    const v = new JsonLedgerView({
      states: [
        { pseudonym: 'aa', cardSeq: 1, month: 1, carried: 0, spent: 1, time: 1, voucherSerial: 1 },
        { pseudonym: 'aa', cardSeq: 3, month: 1, carried: 0, spent: 3, time: 3, voucherSerial: 1 },
        { pseudonym: 'bb', cardSeq: 9, month: 1, carried: 0, spent: 9, time: 9, voucherSerial: 1 },
      ],
    });
    expect((await v.lastStateOf('aa'))?.spent).toBe(3);
    expect(await v.lastStateOf('cc')).toBeNull();
  });
});
