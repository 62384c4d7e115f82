// A card pulled off the reader during a desk write, at EVERY page write and in each way a torn NTAG page
// can read afterwards (old bytes, new bytes, noise: NTAG21x datasheet, tearing): the next tap must either
// finish the same operation (journal) or say "carte incomplète"; never a valid card with half the data.

import { describe, expect, it } from 'vitest';
import { fromHex } from '../../protocol/src/bytes';
import { formatCard, inspectCard, issueCard, renewCard } from '../../host/src/desk/desk';
import { MemoryJournal } from '../../host/src/desk/journal';
import { TearMode, VirtualTag } from '../sim/vpcd-card';
import { NOW, context, deskError, tap, tapTorn } from './helpers';

const W = { now: NOW, protect: false, force: false };
const BOB = { name: 'Bob', householdSize: 1, parts: null };
const UID = fromHex('04aabbccddee01');
const MODES: TearMode[] = ['old', 'new', 'garbage'];

async function writesOf(
  run: (tag: VirtualTag) => Promise<unknown>,
  setup: (tag: VirtualTag) => Promise<void>,
): Promise<number> {
  const tag = new VirtualTag('NTAG215', { uid: UID });
  await setup(tag);
  const before = tag.writes;
  await run(tag);
  return tag.writes - before;
}

describe('tear at every page', () => {
  it('issue: incomplete or finished, then the re-run finishes it (journal) or a new issue redoes it', async () => {
    const n = await writesOf(
      async (t) => issueCard(await tap(t), context(), BOB, W),
      async () => {},
    );
    expect(n).toBeGreaterThan(30);
    let cases = 0;
    for (let k = 1; k <= n; k++) {
      for (const mode of MODES) {
        const tag = new VirtualTag('NTAG215', { uid: UID });
        const ctx = context();
        const e = await deskError(issueCard(await tapTorn(tag, k, mode), ctx, BOB, W));
        expect(e.code).toBe('CARD_GONE');
        const pending = ctx.journal.get('04aabbccddee01');
        expect(pending?.op).toBe('emettre');
        const rep = await inspectCard(await tap(tag), ctx, NOW);
        if (rep.status === 'valide') {
          // Only possible when the very last write (page 4, the magic) landed before the card left.
          expect(k).toBe(n);
          expect(rep.voucher?.pseudonym).toBe(pending?.pseudonym);
        } else {
          expect(rep.status).toBe('incomplete');
          expect(rep.message).toMatch(/carte incomplète/);
        }
        // Without the journal (another laptop), the card is still never valid-looking half way.
        const fresh = await inspectCard(await tap(tag), { ...ctx, journal: new MemoryJournal() }, NOW);
        expect(['incomplete', 'vierge', 'valide']).toContain(fresh.status);
        if (fresh.status === 'valide') expect(k).toBe(n);
        // Re-run: finishes the same issue (same pseudonym), card valid with its full allocation.
        const again = await issueCard(await tap(tag), ctx, BOB, W);
        expect(again.resumed?.op).toBe('emettre');
        expect(again.pseudonym).toBe(pending?.pseudonym);
        const after = await inspectCard(await tap(tag), ctx, NOW);
        expect(after.status).toBe('valide');
        expect(after.balance?.available).toBe(6500);
        expect(ctx.journal.get('04aabbccddee01')).toBeNull();
        cases++;
      }
    }
    console.log(
      'issue: ' + n + ' page writes × ' + MODES.length + ' tear modes = ' + cases + ' torn issues recovered',
    );
  });

  it('issue torn, journal lost: "formater" or "emettre" redoes the card', async () => {
    for (const k of [1, 2, 20, 34]) {
      const tag = new VirtualTag('NTAG215', { uid: UID });
      await deskError(issueCard(await tapTorn(tag, k, 'garbage'), context(), BOB, W));
      const ctx = context(); // empty journal
      const f = await formatCard(await tap(tag), ctx, W);
      expect(f.chip).toBe('NTAG215');
      const r = await issueCard(await tap(tag), ctx, BOB, W);
      expect(r.serial).toBe(1);
      expect((await inspectCard(await tap(tag), ctx, NOW)).status).toBe('valide');
    }
  });

  it('renew: the old voucher or the new one, never a mix; the re-run finishes', async () => {
    const setup = async (t: VirtualTag): Promise<void> => {
      await issueCard(await tap(t), context(), BOB, W);
    };
    const n = await writesOf(async (t) => renewCard(await tap(t), context(), W), setup);
    let cases = 0;
    for (let k = 1; k <= n; k++) {
      for (const mode of MODES) {
        const tag = new VirtualTag('NTAG215', { uid: UID });
        await setup(tag);
        const first = await inspectCard(await tap(tag), context(), NOW);
        const ctx = context();
        const e = await deskError(renewCard(await tapTorn(tag, k, mode), ctx, W));
        expect(e.code).toBe('CARD_GONE');
        const rep = await inspectCard(await tap(tag), { ...ctx, journal: new MemoryJournal() }, NOW);
        if (rep.status === 'valide') {
          // The first write (invalidate the header) kept the old bytes, or the last one landed.
          expect(k === 1 || k === n).toBe(true);
          expect(rep.voucher?.serial).toBe(k === 1 ? 1 : 2);
          expect(rep.voucher?.pseudonym).toBe(first.voucher?.pseudonym);
        } else expect(rep.status).toBe('incomplete');
        const again = await renewCard(await tap(tag), ctx, W);
        expect(again.serial).toBe(2);
        expect((await inspectCard(await tap(tag), ctx, NOW)).voucher?.serial).toBe(2);
        cases++;
      }
    }
    console.log(
      'renew: ' +
        n +
        ' page writes × ' +
        MODES.length +
        ' tear modes = ' +
        cases +
        ' torn renewals recovered',
    );
  });

  it('format: torn at every page, the re-run finishes', async () => {
    const n = await writesOf(
      async (t) => formatCard(await tap(t), context(), W),
      async () => {},
    );
    for (let k = 1; k <= n; k++) {
      for (const mode of MODES) {
        const tag = new VirtualTag('NTAG215', { uid: UID });
        const ctx = context();
        await deskError(formatCard(await tapTorn(tag, k, mode), ctx, W));
        const rep = await inspectCard(await tap(tag), ctx, NOW);
        expect(rep.status === 'incomplete' || (k === n && rep.status === 'formatee')).toBe(true);
        await formatCard(await tap(tag), ctx, W);
        expect((await inspectCard(await tap(tag), ctx, NOW)).status).toBe('formatee');
      }
    }
  });
});
