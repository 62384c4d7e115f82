// The core over the drivers helper's real card stack: NtagTransport (firmware/src/drivers/ntag) over the
// PN532 driver over a virtual PN532 and a frame-level VirtualNtag, whose torn pages can be "weak" (read
// differently each time, NXP NTAG21x datasheet). Tearing after every page write, in each tear mode: the
// re-tap ends with exactly one debit and one COMMIT, and the card reads the same state ever after.
import { beforeAll, describe, expect, it } from 'vitest';
import { Pn532 } from '../../firmware/src/drivers/pn532/pn532';
import { NtagTransport } from '../../firmware/src/drivers/ntag/ntag';
import { LOG_SALE_COMMIT, LOG_VOID } from '../../protocol/src/structures/log';
import { VirtualNtag, TearMode } from './virtual-ntag';
import { VirtualPn532 } from './virtual-pn532';
import { SIM_T, memberCard, provisionedReader } from './fund';
import { cardState, kinds, rebootOn } from './helpers';
import { VirtualFlash } from './virtual-flash';
import { CardMemory } from './card-memory';
import { ReaderSim } from './reader-sim';

let base: VirtualFlash;
let pub: Uint8Array;
let image: CardMemory;

beforeAll(() => {
  const p = provisionedReader('drivers');
  base = p.sim.flash.clone();
  pub = p.publicKey;
  image = memberCard();
});

function ntagOf(c: CardMemory): VirtualNtag {
  const t = new VirtualNtag({ type: 'NTAG215', uid: c.uid, seed: 1234 });
  for (let p = 4; p <= 0x81; p++) t.poke(p, c.pages.subarray(p * 4, p * 4 + 4));
  return t;
}

function memoryOf(t: VirtualNtag): CardMemory {
  const c = image.clone();
  for (let p = 4; p <= 0x81; p++) c.pages.set(t.readPage(p), p * 4);
  return c;
}

function withDrivers(sim: ReaderSim, tag: VirtualNtag): void {
  const chip = new VirtualPn532(tag);
  const pn = new Pn532(chip, chip);
  const b = pn.begin();
  expect(b instanceof Uint8Array).toBe(true);
  sim.transport = new NtagTransport(pn);
}

describe('sale through the NTAG and PN532 drivers', () => {
  it('a plain sale', () => {
    const sim = rebootOn(base.clone(), 'drv-sale', SIM_T + 60);
    const tag = ntagOf(image);
    withDrivers(sim, tag);
    sim.keys('1250#1');
    sim.reader.pollCard();
    expect(sim.screen()[0]).toBe('Paiement accepté');
    expect(cardState(memoryOf(tag), pub)!.spent).toBe(1250);
  });

  for (const mode of ['old', 'new', 'weak'] as TearMode[]) {
    it('torn ' + mode + ' after every page write: one debit, stable afterwards', () => {
      const probe = ntagOf(image);
      const sim0 = rebootOn(base.clone(), 'drv-probe', SIM_T + 60);
      withDrivers(sim0, probe);
      sim0.keys('1000#1');
      sim0.reader.pollCard();
      const pages = probe.writes;
      expect(pages).toBeGreaterThan(20);
      for (let k = 1; k <= pages; k++) {
        const sim = rebootOn(base.clone(), 'drv-' + mode + k, SIM_T + 60);
        const tag = ntagOf(image);
        withDrivers(sim, tag);
        tag.tearWrite(k, mode);
        sim.keys('1000#1');
        sim.reader.pollCard();
        expect(sim.screen()[0]).toBe('Reposez la carte');
        tag.place();
        sim.reader.pollCard();
        expect(sim.screen()[0]).toBe('Paiement accepté');
        expect(kinds(sim, LOG_SALE_COMMIT).length).toBe(1);
        expect(kinds(sim, LOG_VOID).length).toBe(0);
        // Read the card many times: the weak bits, if any, are gone.
        for (let r = 0; r < 5; r++) expect(cardState(memoryOf(tag), pub)!.spent).toBe(1000);
        // And the next sale sees the committed state (no false rollback).
        sim.advance(5000);
        tag.remove();
        sim.reader.pollCard();
        tag.place();
        sim.keys('100#1');
        sim.reader.pollCard();
        expect(sim.screen()[0]).toBe('Paiement accepté');
        expect(cardState(memoryOf(tag), pub)!.spent).toBe(1100);
      }
    });
  }
});
