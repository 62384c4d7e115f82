import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COLUMNS,
  CODE_PAGE_PC858,
  EURO_CHAR,
  EscPos,
  MAX_DOCUMENT_BYTES,
  twoColumns,
  textWidth,
  escposFromLines,
  LINE_BOLD,
  LINE_CENTER,
  LINE_TALL,
} from './escpos';
import {
  formatMoney,
  formatReceipt,
  formatSelfTest,
  formatZReport,
  formatDateTime,
  ReceiptData,
} from './receipt';
import { decodeEscPos, linesWithMarkers, receiptSvg } from '../../../../test/sim/virtual-printer';

const T = Date.UTC(2026, 10, 23, 16, 5, 0) / 1000; // 23/11/2026 17:05 in Paris (UTC+1)

function sale(over: Partial<ReceiptData> = {}): ReceiptData {
  return {
    vendor: 'Épicerie Zoé & Cie',
    time: T,
    utcOffsetMin: 60,
    amount: 1250,
    category: 'Fruits & légumes',
    covered: 1000,
    toPay: 250,
    balance: 123456,
    readerId: 'L-0042',
    logSeq: 1234,
    refund: false,
    duplicate: false,
    ...over,
  };
}

describe('ESC/POS builder and CP858', () => {
  it('"é è à ç €" prints and decodes back exactly (€ as U+20AC and as EURO_CHAR)', () => {
    const bytes = new EscPos()
      .init()
      .line('é è à ç €')
      .line('é è à ç ' + EURO_CHAR)
      .build();
    const d = decodeEscPos(bytes);
    expect(d.codePages).toEqual([CODE_PAGE_PC858]);
    expect(d.lines.map((l) => l.text)).toEqual(['é è à ç €', 'é è à ç €']);
    expect(d.unknown).toEqual([]);
  });

  it('every printable Latin-1 character round-trips through the table and the decoder', () => {
    let s = '';
    for (let c = 0x20; c < 0x7f; c++) s += String.fromCharCode(c);
    for (let c = 0xa1; c <= 0xff; c++) s += String.fromCharCode(c);
    const d = decodeEscPos(new EscPos().init().line(s).build());
    expect(d.lines[0].text).toBe(s);
  });

  it('spells œ as oe, and unknown characters as ?', () => {
    const d = decodeEscPos(new EscPos().init().line('cœur Œuf ☃').build());
    expect(d.lines[0].text).toBe('coeur OEuf ?');
    expect(textWidth('cœur')).toBe(5);
  });

  it('bold, size, alignment, feed and cut are decoded', () => {
    const b = new EscPos().init().align(1).bold(true).size(2, 2).line('Grand').bold(false).size(1, 1);
    const d = decodeEscPos(b.align(0).line('petit').feed(2).cut().build());
    expect(linesWithMarkers(d.lines)).toEqual(['> [2x2] **Grand**', 'petit', '', '', '--- coupe ---']);
    expect(d.cuts).toBe(1);
  });

  it('holds MAX_DOCUMENT_BYTES and throws on one more', () => {
    const p = new EscPos();
    for (let i = 0; i < MAX_DOCUMENT_BYTES; i++) p.byte(0x41);
    expect(p.build().length).toBe(MAX_DOCUMENT_BYTES);
    expect(() => p.byte(0x41)).toThrow();
  });

  it('twoColumns fills exactly the width and cuts the label, not the amount', () => {
    expect(twoColumns('Montant', '12,50 €', COLUMNS)).toBe('Montant' + ' '.repeat(18) + '12,50 €');
    const l = twoColumns('Une catégorie au nom beaucoup trop long', '1,00 €', COLUMNS);
    expect(textWidth(l)).toBe(COLUMNS);
    expect(l.endsWith(' 1,00 €')).toBe(true);
  });

  it('formats French money and local time', () => {
    expect(formatMoney(0)).toBe('0,00 ' + EURO_CHAR);
    expect(formatMoney(5)).toBe('0,05 ' + EURO_CHAR);
    expect(formatMoney(123456789)).toBe('1 234 567,89 ' + EURO_CHAR);
    expect(formatMoney(-250)).toBe('-2,50 ' + EURO_CHAR);
    expect(formatDateTime(T, 60)).toBe('23/11/2026 17:05');
    expect(formatDateTime(T, 0)).toBe('23/11/2026 16:05');
  });
});

describe('escposFromLines', () => {
  it('turns line prefixes into bold, tall and centred lines, then feeds and cuts', () => {
    const d = decodeEscPos(
      escposFromLines([
        LINE_CENTER + LINE_BOLD + LINE_TALL + 'Épicerie',
        'Montant 12,50 €',
        LINE_BOLD + 'Total',
      ]),
    );
    expect(linesWithMarkers(d.lines)).toEqual([
      '> [1x2] **Épicerie**',
      'Montant 12,50 €',
      '**Total**',
      '',
      '',
      '',
      '--- coupe ---',
    ]);
    expect(d.unknown).toEqual([]);
  });
});

describe('receipts', () => {
  it('sale receipt: every field, 32 columns, decoded back', () => {
    const d = decodeEscPos(formatReceipt(sale()));
    const text = d.lines.map((l) => l.text);
    expect(d.unknown).toEqual([]);
    expect(d.cuts).toBe(1);
    for (const l of text) expect(l.length).toBeLessThanOrEqual(COLUMNS);
    expect(text).toContain('Épicerie Zoé & Cie');
    expect(text).toContain('23/11/2026 17:05');
    expect(text).toContain('Catégorie       Fruits & légumes');
    expect(text).toContain('Montant                  12,50 €');
    expect(text).toContain('Payé par la carte        10,00 €');
    expect(text).toContain('Reste à payer             2,50 €');
    expect(text).toContain('Solde du mois         1 234,56 €');
    expect(text).toContain('Lecteur L-0042           n° 1234');
    const toPay = d.lines.find((l) => l.text.startsWith('Reste'))!;
    expect(toPay.bold && toPay.height === 2).toBe(true);
    const svg = receiptSvg(d.lines);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Épicerie Zoé &amp; Cie');
    expect(svg.match(/<text /g)!.length).toBe(d.lines.filter((l) => l.text !== '').length);
    // preview for people (test-artifacts/ is ignored by git)
    const dir = join(import.meta.dirname, '..', '..', '..', '..', 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'receipt-sample.svg'), svg);
  });

  it('refund and duplicate receipts say so', () => {
    const r = decodeEscPos(formatReceipt(sale({ refund: true, duplicate: true })));
    const text = r.lines.map((l) => l.text);
    expect(text).toContain('ANNULATION');
    expect(text).toContain('DUPLICATA');
    expect(text.some((l) => l.startsWith('Reste à payer'))).toBe(false);
  });

  it('Z report lists categories, totals and the log range', () => {
    const bytes = formatZReport({
      vendor: 'Épicerie Zoé',
      readerId: 'L-0042',
      time: T,
      utcOffsetMin: 60,
      day: Math.floor((T + 3600) / 86400),
      sales: 3,
      refunds: 1,
      categories: [
        { category: 'Fruits & légumes', count: 2, amount: 2000, covered: 1600 },
        { category: 'Épicerie', count: 1, amount: 999, covered: 500 },
      ],
      totalAmount: 2999,
      totalCovered: 2100,
      firstSeq: 17,
      lastSeq: 21,
    });
    const text = decodeEscPos(bytes).lines.map((l) => l.text);
    expect(text).toContain('CLÔTURE DU JOUR (Z)');
    expect(text).toContain('Journée du 23/11/2026');
    expect(text).toContain('Fruits & légumes (2)');
    expect(text).toContain('Total                    29,99 €');
    expect(text).toContain('Journal n° 17 à 21');
  });

  it('self-test prints every accent the fund needs', () => {
    const text = decodeEscPos(
      formatSelfTest({
        readerId: 'L-0042',
        firmware: '0.1.0',
        board: 'pico',
        nfc: 'PN532 v1.6',
        printerBaud: 9600,
        time: T,
        utcOffsetMin: 60,
      }),
    ).lines.map((l) => l.text);
    expect(text).toContain('Accents :');
    expect(text).toContain('é è à ç ù â ê î ô û ë ï ü oe €');
    expect(text).toContain('Imprimante            9600 bauds');
    // A 58 mm printer has 32 columns of font A: no line may be longer (it would wrap mid-word).
    for (const l of text) expect(l.length, l).toBeLessThanOrEqual(32);
  });
});
