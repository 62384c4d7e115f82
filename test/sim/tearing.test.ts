// Card pulled away mid-write (issue 4 §2): tearing after EVERY page write of a debit, in each way a torn
// page can read (old, new, garbled), gives the old or the new state and exactly one debit; the log shows
// one COMMIT (card came back) or one VOID (it did not), never money twice.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_VOID,
  VOID_CANCELLED,
  VOID_CARD_GONE,
  VOID_POWER_LOSS,
} from '../../protocol/src/structures/log';
import { pagesToWrite } from '../../protocol/src/card';
import { SIM_T, memberCard, provisionedReader, voucherFlat } from './fund';
import { cardState, kinds, rebootOn } from './helpers';
import { VirtualFlash } from './virtual-flash';
import { TEAR_GARBLED, TEAR_NEW, TEAR_OLD, TEAR_WEAK_ONCE } from './card-memory';
import { ReaderSim } from './reader-sim';
import { RETAP_TIMEOUT_MS } from '../../firmware/src/app/ui';

const MONTHLY = 6500;
let base: VirtualFlash;
let pub: Uint8Array;
let pagesPerState = 0;

beforeAll(() => {
  const p = provisionedReader('tearing');
  base = p.sim.flash.clone();
  pub = p.publicKey;
  // Measure how many pages a debit writes (the state envelope's size, SPEC §12.2).
  const sim = rebootOn(base.clone(), 'measure');
  const card = memberCard();
  sim.keys('1000#1');
  sim.tap(card);
  pagesPerState = card.pageWrites;
  expect(pagesPerState).toBe(pagesToWrite(119));
});

function startSale(label: string): { sim: ReaderSim; card: ReturnType<typeof memberCard> } {
  const sim = rebootOn(base.clone(), label, SIM_T + 60);
  return { sim, card: memberCard() };
}

describe('tearing after every page write of a debit', () => {
  for (const mode of [TEAR_OLD, TEAR_NEW, TEAR_GARBLED]) {
    it('torn page reads ' + mode + ': the re-tap finishes the same state, one debit, one COMMIT', () => {
      for (const prior of [0, 1]) {
        // prior = 0: the debit goes to slot A over an empty card; prior = 1: to slot B, with a state in A.
        for (let k = 0; k < pagesPerState; k++) {
          const { sim, card } = startSale('tear-' + mode + '-' + prior + '-' + k);
          if (prior === 1) {
            sim.keys('500#1');
            sim.tap(card);
            sim.removeCard();
            sim.advance(5000);
          }
          const before = prior * 500;
          card.arm(k, mode);
          sim.keys('1000#1');
          sim.tap(card);
          expect(sim.screen()[0]).toBe('Reposez la carte');
          // The card now holds the old state or (torn on the last page, read "new") the new one.
          const mid = cardState(card, pub);
          const midSpent = mid === null ? 0 : mid.spent;
          expect([before, before + 1000]).toContain(midSpent);
          // Torn on the last page with the new bytes in: the card already holds the whole new state, and
          // the re-tap commits it without writing again (issue 4 §2).
          if (mode === TEAR_NEW && k === pagesPerState - 1) expect(midSpent).toBe(before + 1000);
          // Another card is refused while the sale is pending.
          const other = memberCard({
            ...voucherFlat,
            pseudonym: new Uint8Array(8).fill(7),
            cardUid: new Uint8Array([4, 1, 1, 1, 1, 1, 1]),
          });
          sim.tap(other);
          expect(sim.screen()[0]).toBe('Reposez la carte');
          sim.removeCard();
          // Same card back.
          sim.tap(card);
          expect(sim.screen()[0]).toBe('Paiement accepté');
          const after = cardState(card, pub)!;
          expect(after.spent).toBe(before + 1000);
          expect(after.cardSeq).toBe(prior + 1);
          const pend = kinds(sim, LOG_SALE_PENDING);
          expect(pend.length).toBe(prior + 1);
          expect(kinds(sim, LOG_SALE_COMMIT).length).toBe(prior + 1);
          expect(kinds(sim, LOG_VOID).length).toBe(0);
          // The state on the card is the PENDING's state, byte for byte in its fields.
          expect(after.logSeq).toBe(pend[prior].seq);
          expect(sim.screen()[2]).toBe(
            'solde ' + ((MONTHLY - before - 1000) / 100).toFixed(2).replace('.', ',') + ' €',
          );
        }
      }
    });
  }

  it('a card that never comes back: the sale is voided (timeout), a later tap debits from the card state', () => {
    for (let k = 0; k < pagesPerState; k++) {
      const { sim, card } = startSale('gone-' + k);
      card.arm(k, TEAR_OLD);
      sim.keys('1000#1');
      sim.tap(card);
      sim.removeCard();
      sim.advance(RETAP_TIMEOUT_MS + 1000);
      const v = kinds(sim, LOG_VOID);
      expect(v.length).toBe(1);
      expect(v[0].data[1]).toBe(VOID_CARD_GONE);
      expect(kinds(sim, LOG_SALE_COMMIT).length).toBe(0);
      expect(cardState(card, pub)).toBeNull();
      // A new sale works and is the only debit.
      sim.advance(5000);
      sim.keys('700#1');
      sim.tap(card);
      expect(sim.screen()[0]).toBe('Paiement accepté');
      expect(cardState(card, pub)!.spent).toBe(700);
    }
  });

  it('a weak last page that reads right once: the re-tap rewrites it before COMMIT, no false rollback later', () => {
    const { sim, card } = startSale('weak-once');
    card.arm(pagesPerState - 1, TEAR_WEAK_ONCE);
    sim.keys('1000#1');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Reposez la carte');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Paiement accepté');
    // Read twice: the same bytes (the weak page was written again).
    expect(card.fastRead(4, 129)).toEqual(card.fastRead(4, 129));
    expect(cardState(card, pub)!.spent).toBe(1000);
    sim.removeCard();
    sim.advance(5000);
    sim.keys('200#1');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Paiement accepté');
    expect(cardState(card, pub)!.spent).toBe(1200);
  });

  it('the cancel key voids the pending sale (VOID cancelled)', () => {
    const { sim, card } = startSale('cancel');
    card.arm(3, TEAR_GARBLED);
    sim.keys('1000#1');
    sim.tap(card);
    sim.keys('*');
    expect(sim.screen()[0]).toBe('Vente abandonnée');
    const v = kinds(sim, LOG_VOID);
    expect(v.length).toBe(1);
    expect(v[0].data[1]).toBe(VOID_CANCELLED);
  });

  it('a pending sale found at boot and given up with the cancel key is voided as power loss', () => {
    const { sim, card } = startSale('reboot-void');
    card.arm(2, TEAR_OLD);
    sim.keys('1000#1');
    sim.tap(card);
    const again = rebootOn(sim.flash.clone(), 'reboot-void-2');
    expect(again.screen()[0]).toBe('Reposez la carte');
    again.keys('*');
    const v = kinds(again, LOG_VOID);
    expect(v.length).toBe(1);
    expect(v[0].data[1]).toBe(VOID_POWER_LOSS);
    expect(again.reader.core.run.pending).toBeNull();
  });

  it('a pending sale survives a reboot and is finished by the re-tap', () => {
    const { sim, card } = startSale('reboot');
    card.arm(5, TEAR_OLD);
    sim.keys('1000#1');
    sim.tap(card);
    const again = rebootOn(sim.flash.clone(), 'reboot-2');
    expect(again.screen()[0]).toBe('Reposez la carte');
    again.tap(card);
    expect(again.screen()[0]).toBe('Paiement accepté');
    expect(kinds(again, LOG_SALE_COMMIT).length).toBe(1);
    expect(cardState(card, pub)!.spent).toBe(1000);
  });
});
