import { describe, expect, it } from 'vitest';
import {
  FRAME_BYTES,
  INIT_COMMANDS,
  MAX_LINES,
  Ssd1306Display,
  frameWrites,
  pixel,
  renderLines,
  WIDTH,
} from './ssd1306';
import { FONT_ART } from './font-art';
import { FONT_ASCII, FONT_EXTRA, FONT_EXTRA_CHARS } from './font';
import { compileGlyph } from '../../../bench/gen-font';

function art(ch: string): string[] {
  return FONT_ART.find((g) => g[0] === ch)![1];
}

/** Reads back the 5x7 cell at text column `col` of line `line` as '#'/'.' rows. */
function cell(fb: Uint8Array, line: number, col: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < 7; y++) {
    let r = '';
    for (let x = 0; x < 5; x++) r += pixel(fb, 1 + col * 6 + x, line * 16 + y) ? '#' : '.';
    rows.push(r);
  }
  return rows;
}

describe('SSD1306', () => {
  it('font.ts is the compiled font-art.ts (ASCII and the French letters)', () => {
    let ascii = '';
    let extraChars = '';
    let extra = '';
    for (const [ch, rows] of FONT_ART) {
      const s = String.fromCharCode(...compileGlyph(rows));
      if (ch.charCodeAt(0) < 0x7f) ascii += s;
      else {
        extraChars += ch;
        extra += s;
      }
    }
    expect(FONT_ASCII).toBe(ascii);
    expect(FONT_EXTRA).toBe(extra);
    expect(FONT_EXTRA_CHARS).toBe(extraChars);
    expect(FONT_ASCII.length).toBe(95 * 5);
    for (const c of 'éèàçêùôîû') expect(FONT_EXTRA_CHARS).toContain(c);
  });

  it('renders 4 lines, pixel for pixel, with accents and €; extra lines are ignored', () => {
    const fb = new Uint8Array(FRAME_BYTES);
    renderLines(fb, ['Présentez', 'la carte', '12,50 \u20ac', 'à ç ù', 'ligne 5']);
    expect(cell(fb, 0, 2)).toEqual(art('é'));
    expect(cell(fb, 0, 0)).toEqual(art('P'));
    expect(cell(fb, 2, 6)).toEqual(art('\x80'));
    expect(cell(fb, 3, 0)).toEqual(art('à'));
    expect(cell(fb, 3, 2)).toEqual(art('ç'));
    // nothing drawn on the odd pages (spacing) and nothing of line 5
    for (let p = 1; p < 8; p += 2) for (let x = 0; x < WIDTH; x++) expect(fb[p * WIDTH + x]).toBe(0);
    expect(MAX_LINES).toBe(4);
  });

  it('cuts lines at 21 characters and draws unknown characters as ?', () => {
    const fb = new Uint8Array(FRAME_BYTES);
    renderLines(fb, ['x'.repeat(30), '\u2603']);
    expect(cell(fb, 0, 20)).toEqual(art('x'));
    for (let x = 1 + 21 * 6; x < WIDTH; x++) for (let y = 0; y < 8; y++) expect(pixel(fb, x, y)).toBe(false);
    expect(cell(fb, 1, 0)).toEqual(art('?'));
  });

  it('produces the init sequence and a frame as I2C writes', () => {
    const writes: Uint8Array[] = [];
    const d = new Ssd1306Display({ write: (b) => writes.push(b) });
    d.init();
    expect(Array.from(writes[0])).toEqual([0x00, ...INIT_COMMANDS]);
    expect(INIT_COMMANDS[INIT_COMMANDS.length - 1]).toBe(0xaf);
    expect(INIT_COMMANDS).toContain(0x8d); // charge pump
    d.show(['Bonjour']);
    const fw = writes.slice(1);
    expect(Array.from(fw[0])).toEqual([0x00, 0x21, 0x00, 0x7f, 0x22, 0x00, 0x07]);
    expect(fw.length).toBe(9);
    const data = fw.slice(1);
    for (const w of data) {
      expect(w[0]).toBe(0x40);
      expect(w.length).toBe(129);
    }
    const joined = new Uint8Array(data.flatMap((w) => Array.from(w.subarray(1))));
    expect(Array.from(joined)).toEqual(Array.from(d.fb));
    expect(frameWrites(d.fb).length).toBe(9);
  });
});
