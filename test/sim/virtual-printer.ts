// A virtual 58 mm ESC/POS printer: decodes the bytes the firmware sends into printed lines (text in
// Unicode through the selected code page, bold, size, alignment), counts cuts, and renders an SVG preview
// of the paper. It implements the HAL's Printer so the simulator can plug it in directly.

import type { Printer } from '../../firmware/src/hal/devices';

/** CP858 bytes 0x80..0xFF in Unicode (CP850 with € at 0xD5), from the code page definition. */
const CP858_HIGH =
  '\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5' +
  '\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00f8\u00a3\u00d8\u00d7\u0192' +
  '\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u00ae\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb' +
  '\u2591\u2592\u2593\u2502\u2524\u00c1\u00c2\u00c0\u00a9\u2563\u2551\u2557\u255d\u00a2\u00a5\u2510' +
  '\u2514\u2534\u252c\u251c\u2500\u253c\u00e3\u00c3\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u00a4' +
  '\u00f0\u00d0\u00ca\u00cb\u00c8\u20ac\u00cd\u00ce\u00cf\u2518\u250c\u2588\u2584\u00a6\u00cc\u2580' +
  '\u00d3\u00df\u00d4\u00d2\u00f5\u00d5\u00b5\u00fe\u00de\u00da\u00db\u00d9\u00fd\u00dd\u00af\u00b4' +
  '\u00ad\u00b1\u2017\u00be\u00b6\u00a7\u00f7\u00b8\u00b0\u00a8\u00b7\u00b9\u00b3\u00b2\u25a0\u00a0';

export type Align = 'left' | 'center' | 'right';

export interface PrintedLine {
  text: string;
  bold: boolean;
  /** Character size multipliers (GS !). */
  width: number;
  height: number;
  align: Align;
  /** True for the line where the paper was cut after. */
  cutAfter: boolean;
}

export interface DecodeResult {
  lines: PrintedLine[];
  cuts: number;
  /** ESC t values seen. */
  codePages: number[];
  /** Commands the decoder did not know (hex of the first bytes): a test can require none. */
  unknown: string[];
}

/** Decodes an ESC/POS byte stream (the subset firmware/src/drivers/escpos emits, and a few more). */
export function decodeEscPos(bytes: Uint8Array): DecodeResult {
  const lines: PrintedLine[] = [];
  const codePages: number[] = [];
  const unknown: string[] = [];
  let cuts = 0;
  let codePage = 0; // PC437 after ESC @ (Epson default)
  let bold = false;
  let w = 1;
  let h = 1;
  let align: Align = 'left';
  let cur = '';
  let lineBold = false;
  let lineW = 1;
  let lineH = 1;
  let started = false;
  const flush = (): void => {
    lines.push({
      text: cur,
      bold: started ? lineBold : bold,
      width: started ? lineW : w,
      height: started ? lineH : h,
      align: align,
      cutAfter: false,
    });
    cur = '';
    started = false;
  };
  const ch = (s: string): void => {
    if (!started) {
      started = true;
      lineBold = bold;
      lineW = w;
      lineH = h;
    }
    cur += s;
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === 0x1b) {
      const c = bytes[i + 1];
      if (c === 0x40) {
        bold = false;
        w = 1;
        h = 1;
        align = 'left';
        codePage = 0;
        i += 2;
      } else if (c === 0x74) {
        codePage = bytes[i + 2];
        codePages.push(codePage);
        i += 3;
      } else if (c === 0x45) {
        bold = (bytes[i + 2] & 1) === 1;
        i += 3;
      } else if (c === 0x61) {
        align = bytes[i + 2] === 1 ? 'center' : bytes[i + 2] === 2 ? 'right' : 'left';
        i += 3;
      } else if (c === 0x64) {
        if (cur !== '' || started) flush();
        for (let k = 0; k < bytes[i + 2]; k++) flush();
        i += 3;
      } else {
        unknown.push('1b ' + (c ?? 0).toString(16));
        i += 2;
      }
    } else if (b === 0x1d) {
      const c = bytes[i + 1];
      if (c === 0x21) {
        w = ((bytes[i + 2] >> 4) & 7) + 1;
        h = (bytes[i + 2] & 7) + 1;
        i += 3;
      } else if (c === 0x56) {
        if (cur !== '' || started) flush();
        if (lines.length > 0) lines[lines.length - 1].cutAfter = true;
        cuts++;
        i += bytes[i + 2] === 65 || bytes[i + 2] === 66 ? 4 : 3;
      } else {
        unknown.push('1d ' + (c ?? 0).toString(16));
        i += 2;
      }
    } else if (b === 0x0a) {
      flush();
      i++;
    } else if (b === 0x0d) {
      i++;
    } else if (b < 0x20) {
      unknown.push(b.toString(16));
      i++;
    } else {
      if (b < 0x80) ch(String.fromCharCode(b));
      else if (codePage === 19) ch(CP858_HIGH.charAt(b - 0x80));
      else ch('\ufffd'); // a code page this model does not know: visible as a replacement char
      i++;
    }
  }
  if (cur !== '') flush();
  return { lines: lines, cuts: cuts, codePages: codePages, unknown: unknown };
}

/** Lines as plain text with markers: "**bold**", "[2x2] big", "> centred", "--- cut ---". */
export function linesWithMarkers(lines: PrintedLine[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    let s = l.text;
    if (l.bold && s !== '') s = '**' + s + '**';
    if (l.width !== 1 || l.height !== 1) s = '[' + l.width + 'x' + l.height + '] ' + s;
    if (l.align === 'center') s = '> ' + s;
    if (l.align === 'right') s = '>> ' + s;
    out.push(s);
    if (l.cutAfter) out.push('--- coupe ---');
  }
  return out;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * SVG preview of the paper: 384 dots wide (58 mm printers print 48 mm at 8 dots/mm), font A cells of
 * 12x24 dots, so 32 columns fill the width.
 */
export function receiptSvg(lines: PrintedLine[]): string {
  const width = 384;
  const margin = 16;
  let y = margin;
  const parts: string[] = [];
  for (const l of lines) {
    const lh = 24 * l.height;
    y += lh;
    const x = l.align === 'center' ? margin + width / 2 : l.align === 'right' ? margin + width : margin;
    const anchor = l.align === 'center' ? 'middle' : l.align === 'right' ? 'end' : 'start';
    if (l.text !== '') {
      parts.push(
        '<text x="' +
          x +
          '" y="' +
          (y - 5 * l.height) +
          '" text-anchor="' +
          anchor +
          '" font-size="' +
          20 * l.height +
          '" textLength="' +
          12 * l.width * l.text.length +
          '" lengthAdjust="spacingAndGlyphs"' +
          (l.bold ? ' font-weight="bold"' : '') +
          ' xml:space="preserve">' +
          xml(l.text) +
          '</text>',
      );
    }
    if (l.cutAfter) {
      y += 8;
      parts.push(
        '<line x1="0" y1="' +
          y +
          '" x2="' +
          (width + 2 * margin) +
          '" y2="' +
          y +
          '" stroke="#888" stroke-dasharray="6 4"/>',
      );
    }
  }
  const hgt = y + margin;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="' +
    (width + 2 * margin) +
    '" height="' +
    hgt +
    '" viewBox="0 0 ' +
    (width + 2 * margin) +
    ' ' +
    hgt +
    '" font-family="DejaVu Sans Mono, monospace">\n<rect width="100%" height="100%" fill="#fdfdf8"/>\n' +
    parts.join('\n') +
    '\n</svg>\n'
  );
}

/** The HAL Printer, keeping everything it was sent. */
export class VirtualPrinter implements Printer {
  sent: number[] = [];
  connected: boolean;

  constructor(connected = true) {
    this.connected = connected;
  }
  write(bytes: Uint8Array): void {
    if (!this.connected) return; // bytes into a UART with nothing on it
    for (let i = 0; i < bytes.length; i++) this.sent.push(bytes[i]);
  }
  present(): boolean {
    return this.connected;
  }
  decode(): DecodeResult {
    return decodeEscPos(new Uint8Array(this.sent));
  }
  clear(): void {
    this.sent = [];
  }
}
