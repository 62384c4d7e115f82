// ESC/POS byte builder for a 58 mm thermal printer (Epson ESC/POS Application Programming Guide; the
// cheap TTL printers implement the same subset). Font A on 58 mm paper gives 32 columns of 12x24 dots.
//
// Text: Espruino strings are 8-bit on the Pico (../shared/espruino/FACTS.md), so firmware text is kept in
// Latin-1 and converted here, explicitly, to code page 858 (CP850 with € at 0xD5), which the printer is
// told to use with ESC t 19. CP858 has every printable Latin-1 character (é è à ç ù â ê î ô û ë ï ü …)
// plus €; it has no œ/Œ, which we spell "oe"/"OE". The euro sign may come as U+20AC (Node, UTF-16
// strings) or as EURO_CHAR, the Windows-1252 position 0x80 (a C1 control, never text in Latin-1),
// which the firmware uses on 8-bit boards.

/** Printable columns of font A on 58 mm paper (48 mm printable / 0.125 mm dots / 12 dots). */
export const COLUMNS = 32;
/**
 * Largest ESC/POS document the builder holds: a receipt is about 20 lines × 32 columns plus commands,
 * a Z report with 8 categories about 30 lines; 2 KB leaves room and stays a flat buffer on Espruino
 * (a typed array, ~160 JsVars, not 2,048 array elements).
 */
export const MAX_DOCUMENT_BYTES = 2048;

/** ESC t n: n = 19 selects PC858 (Epson ESC/POS "Select character code table"). */
export const CODE_PAGE_PC858 = 19;
/** The euro sign inside 8-bit firmware strings (Windows-1252 position). */
export const EURO_CHAR = '\x80';
/** € in CP858. */
export const CP858_EURO = 0xd5;

export const ESC = 0x1b;
export const GS = 0x1d;
export const LF = 0x0a;

export const ALIGN_LEFT = 0;
export const ALIGN_CENTER = 1;
export const ALIGN_RIGHT = 2;

/**
 * CP858 byte of each Latin-1 character U+00A0..U+00FF (generated from the CP858 definition and checked
 * by the round-trip test against the virtual printer's decoder). A string, not an array: on Espruino an
 * array of 96 numbers costs 96 JsVars, a string a handful.
 */
const LATIN1_TO_CP858 =
  '\xff\xad\xbd\x9c\xcf\xbe\xdd\xf5\xf9\xb8\xa6\xae\xaa\xf0\xa9\xee\xf8\xf1\xfd\xfc\xef\xe6\xf4\xfa' +
  '\xf7\xfb\xa7\xaf\xac\xab\xf3\xa8\xb7\xb5\xb6\xc7\x8e\x8f\x92\x80\xd4\x90\xd2\xd3\xde\xd6\xd7\xd8' +
  '\xd1\xa5\xe3\xe0\xe2\xe5\x99\x9e\x9d\xeb\xe9\xea\x9a\xed\xe8\xe1\x85\xa0\x83\xc6\x84\x86\x91\x87' +
  '\x8a\x82\x88\x89\x8d\xa1\x8c\x8b\xd0\xa4\x95\xa2\x93\xe4\x94\xf6\x9b\x97\xa3\x96\x81\xec\xe7\x98';

/**
 * CP858 byte of one character code (not œ/Œ, see text()). Unknown characters print as '?', so a wrong
 * string shows on paper instead of garbling the commands.
 */
export function cp858Byte(c: number): number {
  if (c >= 0x20 && c < 0x7f) return c;
  if (c >= 0xa0 && c <= 0xff) return LATIN1_TO_CP858.charCodeAt(c - 0xa0);
  if (c === 0x20ac || c === 0x80) return CP858_EURO;
  return 0x3f;
}

/** Printed width of a string in columns (œ counts 2: it prints as "oe"). */
export function textWidth(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c === 0x153 || c === 0x152 ? 2 : 1;
  }
  return n;
}

export class EscPos {
  buf: Uint8Array;
  len: number;

  constructor() {
    this.buf = new Uint8Array(MAX_DOCUMENT_BYTES);
    this.len = 0;
  }

  byte(b: number): void {
    if (this.len >= this.buf.length) throw new Error('ESC/POS: document trop long');
    this.buf[this.len++] = b;
  }

  bytes(a: number[]): EscPos {
    for (let i = 0; i < a.length; i++) this.byte(a[i]);
    return this;
  }

  /** ESC @ (initialise) then ESC t 19 (PC858). Every document starts with this. */
  init(): EscPos {
    return this.bytes([ESC, 0x40, ESC, 0x74, CODE_PAGE_PC858]);
  }

  /** Text in CP858, without a line feed. Control characters are dropped. */
  text(s: string): EscPos {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x153) {
        this.byte(0x6f);
        this.byte(0x65);
      } else if (c === 0x152) {
        this.byte(0x4f);
        this.byte(0x45);
      } else if (c >= 0x20) {
        this.byte(cp858Byte(c));
      }
    }
    return this;
  }

  /** ESC E n: emphasised (bold) on or off. */
  bold(on: boolean): EscPos {
    return this.bytes([ESC, 0x45, on ? 1 : 0]);
  }

  /** GS ! n: character size, width and height multipliers 1..2 (bits 4-6 width, 0-2 height). */
  size(w: number, h: number): EscPos {
    return this.bytes([GS, 0x21, ((w - 1) << 4) | (h - 1)]);
  }

  /** ESC a n: alignment of the following lines. */
  align(a: number): EscPos {
    return this.bytes([ESC, 0x61, a]);
  }

  lf(): EscPos {
    this.byte(LF);
    return this;
  }

  line(s: string): EscPos {
    return this.text(s).lf();
  }

  /** ESC d n: print and feed n lines (to get the text past the tear bar). */
  feed(n: number): EscPos {
    return this.bytes([ESC, 0x64, n]);
  }

  /** GS V 1: partial cut. Printers without a cutter ignore it. */
  cut(): EscPos {
    return this.bytes([GS, 0x56, 0x01]);
  }

  build(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.len));
  }
}

/** Spaces. */
export function spaces(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ' ';
  return s;
}

/** "left ........ right" on `width` columns; the left part is cut when both do not fit. */
export function twoColumns(left: string, right: string, width: number): string {
  const rw = textWidth(right);
  let l = left;
  while (textWidth(l) + rw + 1 > width && l.length > 0) l = l.substring(0, l.length - 1);
  return l + spaces(width - textWidth(l) - rw) + right;
}

/** A string cut to `width` columns. */
export function fit(s: string, width: number): string {
  let r = s;
  while (textWidth(r) > width) r = r.substring(0, r.length - 1);
  return r;
}

/** Line prefixes understood by escposFromLines (control characters: never part of printed text). */
export const LINE_BOLD = '\x01';
/** Double height (one column per character still: 32 per line). */
export const LINE_TALL = '\x02';
export const LINE_CENTER = '\x03';

/**
 * A whole document from text lines, for code that builds receipts as strings (the app's screens and
 * receipts): each line may start with any of LINE_BOLD, LINE_TALL, LINE_CENTER; then init, the lines,
 * a feed past the tear bar and a cut.
 */
export function escposFromLines(lines: string[]): Uint8Array {
  const p = new EscPos().init();
  for (let i = 0; i < lines.length; i++) {
    let s = lines[i];
    let bold = false;
    let tall = false;
    let center = false;
    for (;;) {
      const c = s.charAt(0);
      if (c === LINE_BOLD) bold = true;
      else if (c === LINE_TALL) tall = true;
      else if (c === LINE_CENTER) center = true;
      else break;
      s = s.substring(1);
    }
    if (center) p.align(ALIGN_CENTER);
    if (bold) p.bold(true);
    if (tall) p.size(1, 2);
    p.line(s);
    if (tall) p.size(1, 1);
    if (bold) p.bold(false);
    if (center) p.align(ALIGN_LEFT);
  }
  return p.feed(3).cut().build();
}
