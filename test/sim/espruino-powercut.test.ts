// Power cuts during a sale run by the BUILT bundle in node:vm: the Storage adapter of
// platform/espruino (Storage.write at offsets over a VirtualFlash with power-cut injection) under the
// core's log. A cut at EVERY byte the sale writes: the bundle reboots on the cut Storage without an
// uncaught error, the card holds no debit or exactly one (the card stays on the reader: a re-tap never
// debits twice), and the Node core reopens the same Storage with its log chain intact (the reader bundle
// and the Node simulator share one on-flash format).

import { describe, it, expect, beforeAll } from 'vitest';
import { buildBundlesOnce, builtText } from './firmware-bundle';
import { BundleRig } from './espruino-rig';
import { READER_ID, SIM_T, fundId, memberCard, provisionedReader } from './fund';
import { cardState, rebootOn } from './helpers';
import { CardMemory } from './card-memory';
import { VirtualNtag } from './virtual-ntag';
import { VirtualFlash } from './virtual-flash';
import { chainGenesis, verifyLogRun } from '../../protocol/src/structures/log';
import { sha256Host } from '../../protocol/src/node/ed25519';

let carnetJs = '';
let bootcde = '';
let files: { [name: string]: Uint8Array } = {};
let pub: Uint8Array;
let saleBytes = 0;

function toNtag(c: CardMemory): VirtualNtag {
  const t = new VirtualNtag({ type: 'NTAG215', uid: c.uid });
  for (let p = 4; p <= t.lastUserPage; p++) t.mem.set(c.pages.subarray(p * 4, p * 4 + 4), p * 4);
  return t;
}

function spentOn(t: VirtualNtag): number {
  const c = memberCard().clone();
  c.pages.set(t.mem.subarray(0, c.pages.length));
  const s = cardState(c, pub);
  return s === null ? 0 : s.spent;
}

function freshRig(): BundleRig {
  return new BundleRig(carnetJs, bootcde, { files: files, epoch: SIM_T + 60 });
}

beforeAll(async () => {
  const built = await buildBundlesOnce();
  carnetJs = builtText(built, 'carnet.js');
  bootcde = builtText(built, 'bootcde.js');
  const p = provisionedReader('vm-powercut', new VirtualFlash(48 * 1024));
  pub = p.publicKey;
  files = {};
  for (const n of Object.keys(p.sim.flash.files)) files[n] = p.sim.flash.files[n];
  // Measure the sale: bytes written to Storage from the card entering the field to the receipt.
  const rig = freshRig();
  rig.powerUp(1000);
  rig.keys('1250#1');
  const b0 = rig.flash.bytesWritten;
  const card = toNtag(memberCard());
  rig.cardIn(card);
  rig.vm.advance(1500);
  expect(rig.oled.last()[0]).toBe('Paiement accepté');
  saleBytes = rig.flash.bytesWritten - b0;
  expect(spentOn(card)).toBe(1250);
}, 120_000);

describe('power cut during a sale in the bundle', () => {
  it('reboots on the cut Storage, never debits twice, and the log still chains', () => {
    console.log('sale through the bundle: ' + saleBytes + ' bytes written to Storage, a cut after each');
    expect(saleBytes).toBeGreaterThan(0);
    const outcomes: string[] = [];
    for (let cut = 0; cut < saleBytes; cut++) {
      const rig = freshRig();
      rig.powerUp(1000);
      rig.keys('1250#1');
      const card = toNtag(memberCard());
      rig.flash.cutAfter = cut;
      rig.cardIn(card);
      rig.vm.advance(1500);
      expect(rig.vm.errors.join(' ')).toContain('POWER_CUT'); // the CPU stopped at the cut

      // Power back: the same Storage, the card still on the reader.
      rig.flash.cutAfter = -1;
      const again = new BundleRig(carnetJs, bootcde, { flash: rig.flash, epoch: SIM_T + 120 });
      again.cardIn(card);
      again.powerUp(1500);
      expect(again.vm.errors, 'reboot after a cut at byte ' + cut).toEqual([]);
      again.vm.advance(3000);
      const spent = spentOn(card);
      expect([0, 1250], 'card after a cut at byte ' + cut).toContain(spent);
      outcomes.push(cut + ':' + spent);

      // The Node core reopens the Storage the bundle wrote: its log chains from genesis.
      const sim = rebootOn(rig.flash.clone(), 'vm-cut-' + cut, SIM_T + 200);
      const recs: Uint8Array[] = [];
      sim.reader.core.log.scan(1, (_s: number, r: Uint8Array) => (recs.push(r), true));
      const run = verifyLogRun(chainGenesis(fundId, READER_ID, sha256Host), 1, recs, sha256Host);
      expect(run.ok, 'log chain after a cut at byte ' + cut).toBe(true);
    }
    console.log('cut byte:card spent → ' + outcomes.join(' '));
    expect(outcomes.some((o) => o.endsWith(':0'))).toBe(true); // early cuts: the sale is voided
    expect(outcomes.some((o) => o.endsWith(':1250'))).toBe(true); // late cuts: finished once
  });
});
