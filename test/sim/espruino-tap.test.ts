// A full tap through the BUILT bundle in node:vm (issue 4 §7): a reader provisioned through its serial
// service by the core's simulator (test/sim/fund.ts), its Storage files copied into the vm next to
// carnet.js, .bootcde and ed25519.bin; then, in the vm: power-up, amount on the keypad, category, the
// member's NTAG215 in the virtual PN532's field, the screen read back from the SSD1306 frames, the receipt
// decoded from the ESC/POS bytes on the printer UART, and the card's new signed state read back.

import { describe, it, expect, beforeAll } from 'vitest';
import { buildBundlesOnce, builtText } from './firmware-bundle';
import { BundleRig } from './espruino-rig';
import {
  cmd,
  issuerCertEnv,
  makeBlocklist,
  makeConfig,
  makeDirectory,
  memberCard,
  operatorCertEnv,
  provisionedReader,
  readerCert,
  SIM_T,
} from './fund';
import { HostDriver, ReaderSim } from './reader-sim';
import { T0, operator, root } from '../../protocol/scripts/vector-fixtures';
import { signDirectory, signReaderCertificate } from '../../protocol/src/structures/keys';
import { signBlocklist, signConfig } from '../../protocol/src/structures/config';
import {
  CMD_INSTALL_CERTIFICATE,
  CMD_KEYGEN,
  CMD_MAINTENANCE,
  CMD_PUT_BLOCKLIST,
  CMD_PUT_CONFIG,
  CMD_PUT_DIRECTORY,
  CMD_PUT_KEY_CERTIFICATE,
  CMD_SET_TIME,
} from '../../protocol/src/structures/command';
import { CborValue } from '../../protocol/src/cbor';
import { Ed25519Signer } from '../../protocol/src/crypto/types';
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

/**
 * The core's HostDriver (test/sim/reader-sim.ts) speaking to the bundle over the vm's USB: bytes go in as
 * USB 'data' events, time passes so the chunked writer empties, and what the bundle wrote on USB comes back.
 */
function usbHost(rig: BundleRig): HostDriver {
  const link = {
    hostOut: [] as Uint8Array[],
    reader: {
      onHostBytes: (b: Uint8Array) => {
        rig.vm.usb.receive(b);
        rig.vm.advance(300);
        link.hostOut.push(rig.vm.usb.take());
      },
    },
  };
  return new HostDriver(link as unknown as ReaderSim, 100);
}

/** The provisioning of test/sim/fund.ts provisionedReader, sent over the bundle's USB link. */
function provisionOverUsb(host: HostDriver): Uint8Array {
  host.hello(SIM_T);
  const kg = host.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null);
  if (kg.status !== 0 || kg.data === null) throw new Error('KEYGEN ' + kg.status);
  const pub = kg.data;
  const steps: [number, CborValue[], Ed25519Signer, Uint8Array | null][] = [
    [
      CMD_INSTALL_CERTIFICATE,
      [signReaderCertificate(readerCert(pub, T0 + 180 * 86400), root), null],
      root,
      null,
    ],
    [CMD_PUT_KEY_CERTIFICATE, [issuerCertEnv, null], root, null],
    [CMD_PUT_KEY_CERTIFICATE, [operatorCertEnv, null], root, null],
    [CMD_PUT_CONFIG, [signConfig(makeConfig(5, {}), operator), null], operator, operatorCertEnv],
    [CMD_PUT_DIRECTORY, [signDirectory(makeDirectory(pub, 3), root), null], root, null],
    [CMD_PUT_BLOCKLIST, [signBlocklist(makeBlocklist(4, []), operator), null], operator, null],
    [CMD_SET_TIME, [SIM_T], operator, null],
  ];
  for (const st of steps) {
    const r = host.command(cmd(st[0], st[1], st[2]), st[2], st[3]);
    if (r.status !== 0) throw new Error('command ' + st[0] + ' status ' + r.status + ' ' + r.detail);
  }
  return pub;
}

describe('full tap through the bundle', () => {
  it('is provisioned over USB (serial protocol), sells, and gives the REPL back on MAINTENANCE', () => {
    const rig = new BundleRig(carnetJs, bootcde, { epoch: SIM_T });
    rig.powerUp(1000);
    expect(rig.vm.consoleDevice).toBe(null);
    const host = usbHost(rig);
    const pub = provisionOverUsb(host);
    expect(rig.vm.errors).toEqual([]);
    rig.vm.advance(500);
    expect(rig.oled.last()[0]).toBe('Montant :');

    rig.keys('800#');
    rig.keys('2');
    expect(rig.oled.last()[0]).toBe('Présentez la carte');
    const before = memberCard();
    const ntag = toNtag(before);
    rig.cardIn(ntag);
    rig.vm.advance(1500);
    expect(rig.oled.screens.map((x) => x.join(' | ')).join('\n')).toContain('Paiement accepté');
    const text = rig
      .receipt()
      .lines.map((l) => l.text)
      .join('\n');
    expect(text).toContain('8,00');
    // Category 2 (Épicerie) is covered at 50 % (rateBp 5000 in the fixture config): the card pays 4,00 €.
    expect(text).toMatch(/Reste à payer +4,00/);
    const state = cardState(backToCardMemory(ntag, before), pub);
    expect(state === null ? -1 : state.spent).toBe(400);

    // Way back to the REPL n° 3: a MAINTENANCE command signed by the operator.
    const r = host.command(cmd(CMD_MAINTENANCE, [], operator), operator, null);
    expect(r.status).toBe(0);
    rig.vm.advance(500);
    expect(rig.vm.consoleDevice).toBe('USB');
    expect(rig.oled.last()[0]).toBe('Maintenance');
    const kicks = rig.vm.watchdog.kicks;
    rig.vm.advance(5000);
    expect(rig.vm.watchdog.kicks).toBeGreaterThanOrEqual(kicks + 4); // still kicked in maintenance
    expect(rig.vm.errors).toEqual([]);
  });

  it('reopens Storage written by the Node simulator and sells 12,50 € on category 1', () => {
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
