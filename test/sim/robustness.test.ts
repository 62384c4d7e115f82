// Hostile or damaged cards and a long day: the reader never throws, never debits more than asked, and
// fills log pulls as the protocol says.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NTAG216_LAYOUT } from '../../protocol/src/card';
import { LOG_CONFIG, LOG_SALE_COMMIT } from '../../protocol/src/structures/log';
import { LOG_BATCH_FIXED_BYTES, MSG_PULL_LOG, logRecordCost } from '../../protocol/src/messages';
import { MAX_FRAME_PAYLOAD } from '../../protocol/src/frame';
import { SIM_T, memberCard, provisionedReader, signedVoucher, voucherFlat } from './fund';
import { cardState, kinds, rebootOn } from './helpers';
import { VirtualFlash } from './virtual-flash';
import { issueCard } from './card-memory';

const SEED = 20261123;
let base: VirtualFlash;
let pub: Uint8Array;

beforeAll(() => {
  const p = provisionedReader('robust');
  base = p.sim.flash.clone();
  pub = p.publicKey;
});

describe('damaged cards', () => {
  it('random bytes written over header, voucher and slots: no exception, no debit beyond the sale', () => {
    console.log('fast-check seed', SEED);
    const known = [
      'Paiement accepté',
      'Carte inconnue',
      'Signature invalide',
      "Bon d'une autre carte",
      'Bon expiré',
      'Bon pas encore valide',
      'Carte illisible',
      'Carte plus ancienne',
    ];
    const sim = rebootOn(base.clone(), 'fuzz', SIM_T + 60);
    const good = memberCard();
    // A first sale so that both a voucher and a slot hold real bytes to damage.
    sim.keys('300#1');
    sim.tap(good);
    sim.removeCard();
    sim.advance(5000);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ at: fc.integer({ min: 16, max: 130 * 4 - 1 }), v: fc.integer({ min: 0, max: 255 }) }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (hits) => {
          const card = good.clone();
          for (const h of hits) card.pages[h.at] = h.v;
          const before = cardState(card, pub);
          sim.keys('100#1');
          sim.tap(card);
          const s = sim.screen()[0];
          sim.removeCard();
          sim.advance(5000);
          if (!known.includes(s)) return false;
          const after = cardState(card, pub);
          if (s === 'Paiement accepté') {
            // Exactly 1,00 € more than the best valid state before (or than nothing).
            const was = before === null ? 0 : before.spent;
            return after !== null && after.spent === was + 100;
          }
          return true;
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('an NTAG216 card works the same (slots at the same pages)', () => {
    const sim = rebootOn(base.clone(), 'n216', SIM_T + 60);
    const card = issueCard(voucherFlat.cardUid, NTAG216_LAYOUT, signedVoucher(voucherFlat));
    sim.keys('450#1');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Paiement accepté');
    const st = cardState(card, pub)!;
    expect(st.spent).toBe(450);
    // Receipts ring entry card_seq mod 24 (SPEC §12.3): reader, log seq, time, covered, category.
    const at = (NTAG216_LAYOUT.receipts!.firstPage + (st.cardSeq % 24) * 4) * 4;
    const e = Buffer.from(card.pages.subarray(at, at + 16));
    expect(e.readUInt32BE(0)).toBe(101);
    expect(e.readUInt32BE(4)).toBe(st.logSeq);
    expect(e.readUInt32BE(8)).toBe(st.time);
    expect(e.readUIntBE(12, 3)).toBe(450);
    expect(e[15]).toBe(1);
  });
});

describe('service bookkeeping', () => {
  it('every provisioning change is a CONFIG record', () => {
    const sim = rebootOn(base.clone(), 'cfg', SIM_T + 60);
    // KEYGEN, certificate, 2 key certificates, configuration, directory, blocklist, time.
    expect(kinds(sim, LOG_CONFIG).map((r) => r.data[0])).toEqual([1, 2, 6, 6, 3, 4, 5, 7]);
  });

  it('a LOG_BATCH is filled up to MAX_FRAME_PAYLOAD (the next record would not fit)', () => {
    const p = provisionedReader('fill');
    const card = memberCard({ ...voucherFlat });
    for (let i = 0; i < 20; i++) {
      p.sim.keys('10#1');
      p.sim.tap(card);
      p.sim.removeCard();
      p.sim.advance(5000);
    }
    expect(kinds(p.sim, LOG_SALE_COMMIT).length).toBe(20);
    const b = p.host.request(MSG_PULL_LOG, [1, 64]);
    if (b.type !== 0x84) throw new Error('no batch');
    let used = LOG_BATCH_FIXED_BYTES;
    for (const r of b.records) used += logRecordCost(r.length);
    expect(used).toBeLessThanOrEqual(MAX_FRAME_PAYLOAD);
    const next = p.sim.reader.core.log.record(1 + b.records.length)!;
    expect(used + logRecordCost(next.length)).toBeGreaterThan(MAX_FRAME_PAYLOAD);
    // max_count is honoured too.
    const small = p.host.request(MSG_PULL_LOG, [3, 2]);
    expect(small.type === 0x84 && small.records.length).toBe(2);
  });
});

describe('run state', () => {
  it('rebuilt at boot from the saved copy and the log, it equals the live one (a long day)', () => {
    const sim = rebootOn(base.clone(), 'long', SIM_T + 60);
    const cards = [
      memberCard(),
      memberCard({
        ...voucherFlat,
        pseudonym: new Uint8Array(8).fill(9),
        cardUid: new Uint8Array([4, 2, 2, 2, 2, 2, 2]),
      }),
    ];
    for (let i = 0; i < 40; i++) {
      sim.keys(String(10 + i) + '#' + String(1 + (i % 2)));
      sim.tap(cards[i % 2]);
      expect(sim.screen()[0]).toBe('Paiement accepté');
      sim.removeCard();
      sim.advance(5000);
    }
    const core = sim.reader.core;
    expect(core.runSavedSeq).toBeGreaterThan(0); // saved at least once on the way (RUN_SAVE_RECORDS)
    const again = rebootOn(sim.flash.clone(), 'long-2', SIM_T + 600);
    const a = { ...core.run, lastBalance: 0, lastSale: { ...core.run.lastSale!, balanceAfter: 0 } };
    const b = {
      ...again.reader.core.run,
      lastBalance: 0,
      lastSale: { ...again.reader.core.run.lastSale!, balanceAfter: 0 },
    };
    // The BOOT record of the second boot is the only difference in applied records.
    expect(b.appliedSeq).toBe(a.appliedSeq + 1);
    expect({ ...b, appliedSeq: 0 }).toEqual({ ...a, appliedSeq: 0 });
  });
});
