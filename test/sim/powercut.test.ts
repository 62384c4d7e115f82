// A power cut at EVERY byte of every flash write of a sale (issue 4 §3-§4): reopening loses no committed
// sale, the log still chains from genesis (verifyLogRun), and the interrupted sale ends with exactly one
// COMMIT (the re-tap finishes it) or none (it never reached the card), never two debits.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LOG_REFUND_COMMIT,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  chainGenesis,
  verifyLogRun,
} from '../../protocol/src/structures/log';
import { sha256Host } from '../../protocol/src/node/ed25519';
import { READER_ID, SIM_T, fundId, memberCard, provisionedReader } from './fund';
import { cardState, kinds, rebootOn } from './helpers';
import { VirtualFlash, isPowerCut } from './virtual-flash';
import { CardMemory } from './card-memory';

let base: VirtualFlash;
let baseCard: CardMemory;
let pub: Uint8Array;
let saleBytes = 0;
let saleWrites = 0;

beforeAll(() => {
  const p = provisionedReader('powercut');
  pub = p.publicKey;
  const card = memberCard();
  p.sim.keys('500#1');
  p.sim.tap(card);
  expect(p.sim.screen()[0]).toBe('Paiement accepté');
  base = p.sim.flash.clone();
  baseCard = card.clone();
  // Measure the sale under test: everything it writes after boot.
  const sim = rebootOn(base.clone(), 'probe');
  const b0 = sim.flash.bytesWritten;
  const w0 = sim.flash.writes;
  sim.keys('1000#1');
  sim.tap(baseCard.clone());
  expect(sim.screen()[0]).toBe('Paiement accepté');
  saleBytes = sim.flash.bytesWritten - b0;
  saleWrites = sim.flash.writes - w0;
});

function chainOk(sim: ReturnType<typeof rebootOn>): boolean {
  const recs: Uint8Array[] = [];
  sim.reader.core.log.scan(1, (s, r) => (recs.push(r), true));
  const run = verifyLogRun(chainGenesis(fundId, READER_ID, sha256Host), 1, recs, sha256Host);
  return run.ok && run.value.lastSeq === sim.reader.core.log.nextSeq - 1 && sameHead(run.value.head, sim);
}

function sameHead(h: Uint8Array, sim: ReturnType<typeof rebootOn>): boolean {
  return Buffer.compare(Buffer.from(h), Buffer.from(sim.reader.core.log.head)) === 0;
}

describe('power cut at every flash byte of a sale', () => {
  it('loses no committed sale and never debits twice', () => {
    console.log(
      'sale under test: ' +
        saleWrites +
        ' flash writes, ' +
        saleBytes +
        ' bytes: ' +
        saleBytes +
        ' cut points',
    );
    expect(saleBytes).toBeGreaterThan(50);
    const outcomes: { [k: string]: number } = {};
    // n = saleBytes: the cut comes right after the sale's last byte (the COMMIT mark).
    for (let n = 0; n <= saleBytes; n++) {
      const flash = base.clone();
      const card = baseCard.clone();
      const sim = rebootOn(flash, 'cut-' + n);
      flash.cutAfter = n;
      let cut = false;
      try {
        sim.keys('1000#1');
        sim.tap(card);
      } catch (e) {
        if (!isPowerCut(e)) throw e;
        cut = true;
      }
      expect(cut).toBe(n < saleBytes);
      flash.cutAfter = -1;
      const after = rebootOn(flash, 'after-' + n, SIM_T + 120);
      expect(chainOk(after)).toBe(true);
      // The first sale is still committed.
      const commits = kinds(after, LOG_SALE_COMMIT);
      const pend = kinds(after, LOG_SALE_PENDING);
      expect(commits.length).toBeGreaterThanOrEqual(1);
      expect(commits[0].data[0]).toBe(pend[0].seq);
      let how: string;
      if (after.reader.core.run.pending !== null) {
        expect(after.screen()[0]).toBe('Reposez la carte');
        after.tap(card);
        expect(after.screen()[0]).toBe('Paiement accepté');
        how = 'finished by re-tap';
      } else if (commits.length === 2) {
        how = 'already committed';
      } else {
        how = 'never started';
        expect(pend.length).toBe(1);
      }
      outcomes[how] = (outcomes[how] ?? 0) + 1;
      const c2 = kinds(after, LOG_SALE_COMMIT);
      expect(c2.length).toBeLessThanOrEqual(2);
      const st = cardState(card, pub)!;
      // Card and log agree: one debit per COMMIT, never two for the interrupted sale.
      expect(st.spent).toBe(500 + 1000 * (c2.length - 1));
      expect(st.cardSeq).toBe(c2.length);
      if (n % 16 === 0) {
        // And the reader keeps selling.
        after.removeCard();
        after.advance(5000);
        after.keys('100#1');
        after.tap(card);
        expect(after.screen()[0]).toBe('Paiement accepté');
        expect(chainOk(after)).toBe(true);
      }
    }
    console.log('outcomes: ' + JSON.stringify(outcomes));
    expect(outcomes['already committed']).toBe(1);
    expect(outcomes['finished by re-tap']).toBeGreaterThan(0);
    expect(outcomes['never started']).toBeGreaterThan(0);
  });
});

describe('power cut at every flash byte of a refund (cancel last sale)', () => {
  it('the refund ends committed once or not at all; the sale stays committed', () => {
    const probe = rebootOn(base.clone(), 'refund-probe');
    const b0 = probe.flash.bytesWritten;
    probe.keys('C');
    probe.tap(baseCard.clone());
    expect(probe.screen()[0]).toBe('Vente annulée');
    const total = probe.flash.bytesWritten - b0;
    console.log('refund under test: ' + total + ' bytes: ' + total + ' cut points');
    for (let n = 0; n <= total; n++) {
      const flash = base.clone();
      const card = baseCard.clone();
      const sim = rebootOn(flash, 'rcut-' + n);
      flash.cutAfter = n;
      try {
        sim.keys('C');
        sim.tap(card);
      } catch (e) {
        if (!isPowerCut(e)) throw e;
      }
      flash.cutAfter = -1;
      const after = rebootOn(flash, 'rafter-' + n, SIM_T + 120);
      expect(chainOk(after)).toBe(true);
      expect(kinds(after, LOG_SALE_COMMIT).length).toBe(1);
      if (after.reader.core.run.pending !== null) {
        after.tap(card);
        expect(after.screen()[0]).toBe('Vente annulée');
      }
      const refunds = kinds(after, LOG_REFUND_COMMIT).length;
      expect(refunds).toBeLessThanOrEqual(1);
      const st = cardState(card, pub)!;
      expect(st.spent).toBe(500 - 500 * refunds);
      expect(st.cardSeq).toBe(1 + refunds);
    }
  });
});
