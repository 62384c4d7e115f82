// SSD1306 128x64 OLED over I2C (Solomon Systech SSD1306 datasheet rev 1.1): init sequence, a 1 KB frame
// buffer in the controller's page layout (8 pages of 128 column bytes, bit 0 = top row of the page),
// text rendering with carnet's 5x7 font, and the I2C writes that send a frame. Pure: the bus is injected.

import { Display } from '../../hal/devices';
import { CELL_WIDTH, FONT_ASCII, FONT_EXTRA, FONT_EXTRA_CHARS, GLYPH_WIDTH } from './font';

export const SSD1306_ADDRESS = 0x3c;
export const WIDTH = 128;
export const HEIGHT = 64;
export const PAGES = HEIGHT / 8;
/** Frame buffer: one bit per pixel (128 × 64 / 8). */
export const FRAME_BYTES = WIDTH * PAGES;
/** Text lines the display shows (the HAL's Display: "up to 4 lines"), one every other page. */
export const MAX_LINES = 4;
/** Characters per line: 128 px / 6 px cells. */
export const COLUMNS = 21;

/** I2C control bytes (datasheet §8.1.5.2): Co = 0, D/C# = 0 for commands, 1 for display data. */
export const CONTROL_COMMANDS = 0x00;
export const CONTROL_DATA = 0x40;

/**
 * Power-on sequence for a 128x64 module with the internal charge pump (datasheet §10 command table and
 * the "Software initialization" flow of its application note).
 */
export const INIT_COMMANDS = [
  0xae, // display off
  0xd5,
  0x80, // clock divide ratio / oscillator frequency: reset value
  0xa8,
  0x3f, // multiplex ratio 64
  0xd3,
  0x00, // display offset 0
  0x40, // start line 0
  0x8d,
  0x14, // charge pump on (modules have no external VCC)
  0x20,
  0x00, // horizontal addressing mode: one data stream fills the whole frame
  0xa1, // segment remap: column 127 → SEG0 (module mounted this way round)
  0xc8, // COM scan from COM63 to COM0
  0xda,
  0x12, // COM pins: alternative configuration, no left/right remap (128x64 panels)
  0x81,
  0xcf, // contrast
  0xd9,
  0xf1, // pre-charge periods for the internal charge pump
  0xdb,
  0x40, // VCOMH deselect level
  0xa4, // display follows RAM
  0xa6, // normal (not inverted)
  0xaf, // display on
];

/** Largest data write per I2C transaction: one page (128 bytes) plus the control byte. */
export const MAX_I2C_WRITE = WIDTH + 1;

export interface I2cWriter {
  write(bytes: Uint8Array): void;
}

/** Byte offset of the glyph of character code `c` in FONT_ASCII or FONT_EXTRA; '?' when missing. */
function glyphOf(c: number): { table: string; offset: number } {
  if (c >= 0x20 && c < 0x7f) return { table: FONT_ASCII, offset: (c - 0x20) * GLYPH_WIDTH };
  const ch = c === 0x20ac ? 0x80 : c;
  const k = FONT_EXTRA_CHARS.indexOf(String.fromCharCode(ch));
  if (k >= 0 && ch <= 0xff) return { table: FONT_EXTRA, offset: k * GLYPH_WIDTH };
  return { table: FONT_ASCII, offset: (0x3f - 0x20) * GLYPH_WIDTH };
}

/** Draws one character at column `x` (pixels) of page `page`. Returns the next x. */
export function drawChar(fb: Uint8Array, c: number, x: number, page: number): number {
  const g = glyphOf(c);
  for (let i = 0; i < GLYPH_WIDTH; i++) {
    const col = x + i;
    if (col >= 0 && col < WIDTH) fb[page * WIDTH + col] = g.table.charCodeAt(g.offset + i);
  }
  return x + CELL_WIDTH;
}

/** Renders up to MAX_LINES lines of up to COLUMNS characters into `fb` (cleared first). */
export function renderLines(fb: Uint8Array, lines: string[]): void {
  for (let i = 0; i < fb.length; i++) fb[i] = 0;
  const n = lines.length < MAX_LINES ? lines.length : MAX_LINES;
  for (let l = 0; l < n; l++) {
    const s = lines[l];
    let x = 1;
    let drawn = 0;
    for (let i = 0; i < s.length && drawn < COLUMNS; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x153 || c === 0x152) {
        // œ/Œ have no Latin-1 code: two letters, as on the receipt
        x = drawChar(fb, c === 0x153 ? 0x6f : 0x4f, x, l * 2);
        drawn++;
        if (drawn >= COLUMNS) break;
        x = drawChar(fb, c === 0x153 ? 0x65 : 0x45, x, l * 2);
      } else {
        x = drawChar(fb, c, x, l * 2);
      }
      drawn++;
    }
  }
}

/** One pixel of the frame buffer (tests, previews). */
export function pixel(fb: Uint8Array, x: number, y: number): boolean {
  return ((fb[(y >> 3) * WIDTH + x] >> (y & 7)) & 1) === 1;
}

/** The I2C writes of the init sequence (one transaction). */
export function initWrites(): Uint8Array[] {
  const out = new Uint8Array(INIT_COMMANDS.length + 1);
  out[0] = CONTROL_COMMANDS;
  for (let i = 0; i < INIT_COMMANDS.length; i++) out[i + 1] = INIT_COMMANDS[i];
  return [out];
}

/**
 * The I2C writes that send a whole frame: column range 0..127 and page range 0..7 (horizontal
 * addressing, datasheet §10.1.4-5), then the 1,024 data bytes, one page per transaction.
 */
export function frameWrites(fb: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [
    new Uint8Array([CONTROL_COMMANDS, 0x21, 0x00, WIDTH - 1, 0x22, 0x00, PAGES - 1]),
  ];
  for (let p = 0; p < PAGES; p++) {
    const w = new Uint8Array(MAX_I2C_WRITE);
    w[0] = CONTROL_DATA;
    w.set(fb.subarray(p * WIDTH, (p + 1) * WIDTH), 1);
    out.push(w);
  }
  return out;
}

/** The HAL Display on an SSD1306: keeps one frame buffer (1 KB, a flat typed array on Espruino). */
export class Ssd1306Display implements Display {
  bus: I2cWriter;
  fb: Uint8Array;

  constructor(bus: I2cWriter) {
    this.bus = bus;
    this.fb = new Uint8Array(FRAME_BYTES);
  }

  init(): void {
    const w = initWrites();
    for (let i = 0; i < w.length; i++) this.bus.write(w[i]);
  }

  show(lines: string[]): void {
    renderLines(this.fb, lines);
    const w = frameWrites(this.fb);
    for (let i = 0; i < w.length; i++) this.bus.write(w[i]);
  }
}
