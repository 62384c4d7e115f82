// The built reader bundle (carnet.js, started by the .bootcde loader) in the Espruino vm, wired to the
// simulator's virtual devices: the virtual PN532 on I2C1 with a virtual NTAG in its field, an SSD1306 sink
// on I2C2 whose frames are read back as text, a printer on Serial2 that answers DLE EOT and decodes
// ESC/POS, and the 4x4 keypad as pin levels. Pins and buses come from the board file (boards/pico.ts).

import { readFileSync } from 'node:fs';
import { PICO } from '../../firmware/src/boards/pico';
import { KEYMAP } from '../../firmware/src/drivers/keypad/keypad';
import {
  drawChar,
  WIDTH,
  MAX_LINES,
  COLUMNS,
  FRAME_BYTES,
  CONTROL_DATA,
} from '../../firmware/src/drivers/ssd1306/ssd1306';
import { CELL_WIDTH, FONT_EXTRA_CHARS } from '../../firmware/src/drivers/ssd1306/font';
import { ensureNativeBuild } from '../../firmware/native/build';
import { ED25519_BLOB_NAME } from '../../firmware/src/platform/espruino/ed25519-native.generated';
import { openNodeEd25519 } from '../../firmware/src/platform/node/ed25519';
import { EspruinoVm, VmI2cDevice, storageUpload } from './espruino-vm';
import { VirtualFlash } from './virtual-flash';
import { VirtualPn532 } from './virtual-pn532';
import { VirtualNtag } from './virtual-ntag';
import { decodeEscPos, DecodeResult } from './virtual-printer';

/**
 * firmware/native/build/ed25519.bin, built by the native helper's build (issue 3) when missing or stale:
 * the bytes whose size and CRC-32 the bundle's adapter checks before it "calls" them.
 */
export function nativeBlob(): Uint8Array {
  return new Uint8Array(readFileSync(ensureNativeBuild().blob));
}

/** Reads back the text of SSD1306 frames (the drivers' 5x7 font, 4 lines on pages 0, 2, 4, 6). */
export class OledSink implements VmI2cDevice {
  fb = new Uint8Array(FRAME_BYTES);
  page = 0;
  screens: string[][] = [];
  private glyphs: { code: number; bytes: number[] }[] = [];

  constructor() {
    const scratch = new Uint8Array(FRAME_BYTES);
    const codes: number[] = [];
    for (let c = 0x20; c < 0x7f; c++) codes.push(c);
    for (let i = 0; i < FONT_EXTRA_CHARS.length; i++) codes.push(FONT_EXTRA_CHARS.charCodeAt(i));
    for (const c of codes) {
      scratch.fill(0);
      drawChar(scratch, c, 0, 0);
      this.glyphs.push({ code: c === 0x80 ? 0x20ac : c, bytes: Array.from(scratch.subarray(0, CELL_WIDTH)) });
    }
  }

  write(bytes: Uint8Array): void {
    if (bytes[0] === CONTROL_DATA) {
      this.fb.set(bytes.subarray(1, 1 + WIDTH), this.page * WIDTH);
      this.page++;
      if (this.page === FRAME_BYTES / WIDTH) this.screens.push(this.text());
    } else if (bytes.length > 1 && bytes[1] === 0x21) {
      this.page = 0; // column/page address command: a new frame starts
    }
  }

  read(n: number): Uint8Array {
    return new Uint8Array(n);
  }

  /** The 4 lines shown, trailing spaces removed; '?' for a cell no glyph matches. */
  text(): string[] {
    const lines: string[] = [];
    for (let l = 0; l < MAX_LINES; l++) {
      let s = '';
      for (let k = 0; k < COLUMNS; k++) {
        const at = l * 2 * WIDTH + 1 + k * CELL_WIDTH;
        const cell = Array.from(this.fb.subarray(at, at + CELL_WIDTH));
        const g = this.glyphs.find((x) => x.bytes.every((b, i) => b === cell[i]));
        s += g === undefined ? '?' : String.fromCharCode(g.code);
      }
      lines.push(s.replace(/ +$/, ''));
    }
    return lines;
  }

  last(): string[] {
    return this.screens.length === 0 ? [] : this.screens[this.screens.length - 1];
  }
}

export interface RigOptions {
  /** Storage files before boot (e.g. a provisioned reader's log and keys). */
  files?: { [name: string]: Uint8Array };
  /** Storage capacity. The Pico has 48 KB; the bundle alone is larger today (see the build report). */
  storageBytes?: number;
  /** Reuse this Storage (a reboot after a power cut); the bundle files are uploaded again. */
  flash?: VirtualFlash;
  nfc?: boolean;
  printer?: boolean;
  /** false: nothing answers at the SSD1306's address. */
  display?: boolean;
  blob?: boolean;
  /** Key held at power-up ('*' keeps the console). */
  heldAtBoot?: string | null;
  buttonHeld?: boolean;
  epoch?: number;
}

/** A reader: the bundle, its loader and its virtual devices. */
export class BundleRig {
  vm: EspruinoVm;
  pn532: VirtualPn532;
  oled = new OledSink();
  printed: number[] = [];
  held: string | null = null;
  flash: VirtualFlash;

  constructor(carnetJs: string, bootcde: string, o: RigOptions) {
    const files = o.files === undefined ? {} : o.files;
    this.flash =
      o.flash !== undefined
        ? o.flash
        : new VirtualFlash(o.storageBytes === undefined ? 512 * 1024 : o.storageBytes);
    if (o.flash === undefined) {
      for (const n of Object.keys(files)) storageUpload(this.flash, n, files[n]);
      storageUpload(this.flash, 'carnet.js', new Uint8Array(Buffer.from(carnetJs, 'latin1')));
      storageUpload(this.flash, '.bootcde', new Uint8Array(Buffer.from(bootcde, 'latin1')));
      if (o.blob !== false) storageUpload(this.flash, ED25519_BLOB_NAME, nativeBlob());
    }
    this.pn532 = new VirtualPn532(null, o.nfc === false ? 'absent' : 'ok');
    const pn = this.pn532;
    this.held = o.heldAtBoot === undefined ? null : o.heldAtBoot;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- closures handed to the vm fakes
    const self = this;
    const rows = PICO.keypad.rows;
    const cols = PICO.keypad.cols;
    this.vm = new EspruinoVm({
      flash: this.flash,
      epoch: o.epoch,
      extraMs: () => pn.ms(),
      nativeEd25519: openNodeEd25519(() => {}),
      i2c: {
        [PICO.nfc.bus]: { [PICO.nfc.address]: { write: (b) => pn.write(b), read: (n) => pn.read(n) } },
        [PICO.display.bus]: o.display === false ? {} : { [PICO.display.address]: this.oled },
      },
      readPin: (name) => {
        if (name === PICO.nfc.irq) return pn.irq() ? 0 : 1; // PN532 IRQ is active low
        if (name === 'B12') return o.buttonHeld === true ? 1 : 0; // BTN1
        const c = cols.indexOf(name);
        if (c >= 0 && self.held !== null) {
          const k = KEYMAP.indexOf(self.held);
          const r = Math.floor(k / 4);
          // Column reads low when the held key's row is driven low (pull-ups, drivers/keypad).
          if (k % 4 === c && self.vm.pinOut[rows[r]] === 0) return 0;
        }
        return 1;
      },
    });
    this.vm.serial2.onWrite = (b) => {
      for (let i = 0; i < b.length; i++) self.printed.push(b[i]);
      // DLE EOT 1: a connected printer answers its status byte (0x12: online, no error).
      if (o.printer !== false && b.length >= 3 && b[0] === 0x10 && b[1] === 0x04 && b[2] === 0x01) {
        self.vm.timers.push({
          id: -1,
          at: self.vm.nowMs + 2,
          every: 0,
          f: () => self.vm.serial2.receive([0x12]),
        });
      }
    };
  }

  /** Powers up: Espruino runs .bootcde from Storage, which runs carnet.js; then `ms` of time pass. */
  powerUp(ms: number): void {
    const loader = this.vm.run('require("Storage").read(".bootcde")', 'storage-read.js') as string;
    this.vm.run(loader, '.bootcde');
    this.vm.advance(ms);
  }

  /** Presses and releases one key (held long enough for the 30 ms debounce, twice over). */
  key(k: string): void {
    this.held = k;
    this.vm.advance(80);
    this.held = null;
    this.vm.advance(80);
  }

  keys(s: string): void {
    for (const k of s) this.key(k);
  }

  /** Puts a card in the PN532's field. */
  cardIn(card: VirtualNtag): void {
    this.pn532.card = card;
  }

  receipt(): DecodeResult {
    // Skip the DLE EOT status query sent at boot.
    let bytes = this.printed;
    if (bytes.length >= 3 && bytes[0] === 0x10 && bytes[1] === 0x04) bytes = bytes.slice(3);
    return decodeEscPos(new Uint8Array(bytes));
  }
}
