// A full tap through the BUILT bundle in node:vm (issue 4 §7): a reader provisioned through its serial
// service by the core's simulator (test/sim/fund.ts), its Storage files copied into the vm next to
// carnet.js, .bootcde and ed25519.bin; then, in the vm: power-up, amount on the keypad, category, the
// member's NTAG215 in the virtual PN532's field, the screen read back from the SSD1306 frames, the receipt
// decoded from the ESC/POS bytes on the printer UART, and the card's new signed state read back.

import { describe, it, expect, beforeAll } from 'vitest';
import { buildBundlesOnce, builtText } from './firmware-bundle';
import { BundleRig } from './espruino-rig';
import { memberCard, provisionedReader, SIM_T } from './fund';
import { cardState } from './helpers';
import { CardMemory } from './card-memory';
import { VirtualNtag } from './virtual-ntag';
import { VirtualFlash } from './virtual-flash';

let carnetJs = '';
let bootcde = '';

beforeAll(async () => {
  const built = await buildBundlesOnce();
  carnetJs = builtText(built, 'carnet.js');
  bootcde = builtText(built, 'bootcde.js');
}, 120_000);

/** The transport-level card of the core's tests, as a frame-level NTAG215 for the virtual PN532. */
function toNtag(c: CardMemory): VirtualNtag {
  const t = new VirtualNtag({ type: 'NTAG215', uid: c.uid });
  for (let p = 4; p <= t.lastUserPage; p++) t.mem.set(c.pages.subarray(p * 4, p * 4 + 4), p * 4);
  return t;
}

function backToCardMemory(t: VirtualNtag, like: CardMemory): CardMemory {
  const c = like.clone();
  c.pages.set(t.mem.subarray(0, c.pages.length));
  return c;
}

describe('full tap through the bundle', () => {
  it('sells 12,50 € on category 1: screen, receipt and card state', () => {
    const p = provisionedReader('vm-tap', new VirtualFlash(48 * 1024));
    const files: { [name: string]: Uint8Array } = {};
    for (const name of Object.keys(p.sim.flash.files)) files[name] = p.sim.flash.files[name];
    const rig = new BundleRig(carnetJs, bootcde, { files: files, epoch: SIM_T + 60 });
    rig.powerUp(1000);
    expect(rig.vm.errors).toEqual([]);
    console.log('idle: ' + rig.oled.last().join(' | '));
    expect(rig.oled.last()[0]).toBe('Montant :');

    rig.keys('1250#');
    console.log('after amount: ' + rig.oled.last().join(' | '));
    expect(rig.oled.last()[0]).toBe('Catégorie ?');
    rig.keys('1');
    expect(rig.oled.last()[0]).toBe('Présentez la carte');

    const before = memberCard();
    const ntag = toNtag(before);
    rig.cardIn(ntag);
    rig.vm.advance(1500);
    expect(rig.vm.errors).toEqual([]);
    const screens = rig.oled.screens.map((s) => s.join(' | '));
    console.log('screens:\n' + screens.slice(-4).join('\n'));
    expect(screens.join('\n')).toContain('Paiement accepté');

    const receipt = rig.receipt();
    const text = receipt.lines.map((l) => l.text).join('\n');
    console.log('receipt:\n' + text);
    expect(text).toContain('12,50');
    expect(receipt.unknown).toEqual([]);

    const state = cardState(backToCardMemory(ntag, before), p.publicKey);
    expect(state).not.toBeNull();
    expect(state!.spent).toBe(1250);
    expect(ntag.writes).toBeGreaterThan(0);
  });
});
