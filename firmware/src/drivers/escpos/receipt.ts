// Receipts, Z report and self-test page for the 58 mm printer, in French (issue 4 §3). Pure: data in,
// ESC/POS bytes out. No name of the card holder is ever printed (issue 4: "no name").
//
// Strings here are Latin-1 plus EURO_CHAR (see escpos.ts): esbuild escapes é as \u00e9, which Espruino
// reads as the single byte 0xE9; the euro sign must not be written as a literal '€' in firmware code.

import { civilFromDays, localDay } from '../../../../protocol/src/time';
import { ALIGN_CENTER, ALIGN_LEFT, COLUMNS, EURO_CHAR, EscPos, fit, twoColumns } from './escpos';

/** What a sale (or refund) receipt shows. Amounts are integer cents. */
export interface ReceiptData {
  /** Stall / vendor name from the signed config. */
  vendor: string;
  /** Seconds since 1970 (UTC) and the fund's fixed offset for local time. */
  time: number;
  utcOffsetMin: number;
  /** Total of the purchase. */
  amount: number;
  category: string;
  /** Part paid by the card (the fund's covered share). */
  covered: number;
  /** What the customer still pays at the stall (amount − covered). */
  toPay: number;
  /** Card balance left this month after the sale. */
  balance: number;
  readerId: string;
  logSeq: number;
  /** True for the receipt of a cancelled sale (refund state written to the card). */
  refund: boolean;
  /** True when printed again from the log ("DUPLICATA"). */
  duplicate: boolean;
}

export interface ZCategoryLine {
  category: string;
  count: number;
  amount: number;
  covered: number;
}

/** Day close (Z report). */
export interface ZReportData {
  vendor: string;
  readerId: string;
  time: number;
  utcOffsetMin: number;
  /** Local day being closed (days since 1970). */
  day: number;
  sales: number;
  refunds: number;
  categories: ZCategoryLine[];
  totalAmount: number;
  totalCovered: number;
  /** Log sequence numbers covered by the day ( -1 when no record). */
  firstSeq: number;
  lastSeq: number;
}

export interface SelfTestData {
  readerId: string;
  firmware: string;
  board: string;
  nfc: string;
  printerBaud: number;
  time: number;
  utcOffsetMin: number;
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** "23/11/2026" of a local day number. */
export function formatDate(day: number): string {
  const c = civilFromDays(day);
  return two(c.day) + '/' + two(c.month) + '/' + c.year;
}

/** "23/11/2026 17:05" local time. */
export function formatDateTime(t: number, utcOffsetMin: number): string {
  const day = localDay(t, utcOffsetMin);
  const secs = t + utcOffsetMin * 60 - day * 86400;
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs - h * 3600) / 60);
  return formatDate(day) + ' ' + two(h) + ':' + two(m);
}

/** French money: 1234567 → "12 345,67 €" (EURO_CHAR), -250 → "-2,50 €". */
export function formatMoney(cents: number): string {
  const neg = cents < 0;
  const c = neg ? -cents : cents;
  const euros = Math.floor(c / 100);
  const rest = c - euros * 100;
  let e = String(euros);
  let grouped = '';
  while (e.length > 3) {
    grouped = ' ' + e.substring(e.length - 3) + grouped;
    e = e.substring(0, e.length - 3);
  }
  return (neg ? '-' : '') + e + grouped + ',' + two(rest) + ' ' + EURO_CHAR;
}

function rule(p: EscPos): void {
  let s = '';
  for (let i = 0; i < COLUMNS; i++) s += '-';
  p.line(s);
}

function header(p: EscPos, vendor: string, title: string): void {
  p.init();
  p.align(ALIGN_CENTER).bold(true).size(1, 2).line(fit(vendor, COLUMNS)).size(1, 1).bold(false);
  p.line(fit(title, COLUMNS));
  p.align(ALIGN_LEFT);
}

function footer(p: EscPos): void {
  p.feed(3).cut();
}

export function formatReceipt(r: ReceiptData): Uint8Array {
  const p = new EscPos();
  header(p, r.vendor, r.refund ? 'ANNULATION' : 'Caisse commune alimentaire');
  if (r.duplicate) p.align(ALIGN_CENTER).bold(true).line('DUPLICATA').bold(false).align(ALIGN_LEFT);
  p.line(formatDateTime(r.time, r.utcOffsetMin));
  rule(p);
  p.line(twoColumns('Catégorie', r.category, COLUMNS));
  p.line(twoColumns(r.refund ? 'Montant annulé' : 'Montant', formatMoney(r.amount), COLUMNS));
  p.bold(true);
  p.line(twoColumns(r.refund ? 'Rendu sur la carte' : 'Payé par la carte', formatMoney(r.covered), COLUMNS));
  p.bold(false);
  if (!r.refund) {
    p.bold(true).size(1, 2);
    p.line(twoColumns('Reste à payer', formatMoney(r.toPay), COLUMNS));
    p.size(1, 1).bold(false);
  }
  rule(p);
  p.line(twoColumns('Solde du mois', formatMoney(r.balance), COLUMNS));
  p.line(twoColumns('Lecteur ' + r.readerId, 'n° ' + r.logSeq, COLUMNS));
  p.align(ALIGN_CENTER).line('Merci et à bientôt !').align(ALIGN_LEFT);
  footer(p);
  return p.build();
}

export function formatZReport(z: ZReportData): Uint8Array {
  const p = new EscPos();
  header(p, z.vendor, 'CLÔTURE DU JOUR (Z)');
  p.line('Journée du ' + formatDate(z.day));
  p.line('Éditée le ' + formatDateTime(z.time, z.utcOffsetMin));
  p.line(twoColumns('Lecteur', z.readerId, COLUMNS));
  rule(p);
  p.line(twoColumns('Ventes', String(z.sales), COLUMNS));
  p.line(twoColumns('Annulations', String(z.refunds), COLUMNS));
  rule(p);
  for (let i = 0; i < z.categories.length; i++) {
    const c = z.categories[i];
    p.bold(true)
      .line(fit(c.category + ' (' + c.count + ')', COLUMNS))
      .bold(false);
    p.line(twoColumns('  Montant', formatMoney(c.amount), COLUMNS));
    p.line(twoColumns('  Pris en charge', formatMoney(c.covered), COLUMNS));
  }
  rule(p);
  p.bold(true);
  p.line(twoColumns('Total', formatMoney(z.totalAmount), COLUMNS));
  p.line(twoColumns('Pris en charge', formatMoney(z.totalCovered), COLUMNS));
  p.bold(false);
  rule(p);
  p.line(z.firstSeq < 0 ? 'Journal : aucun enregistrement' : 'Journal n° ' + z.firstSeq + ' à ' + z.lastSeq);
  footer(p);
  return p.build();
}

/** Accented characters the self-test prints, so a volunteer sees at once if the code page is wrong. */
export const SELF_TEST_CHARS = 'é è à ç ù â ê î ô û ë ï ü œ ' + EURO_CHAR;

export function formatSelfTest(s: SelfTestData): Uint8Array {
  const p = new EscPos();
  header(p, 'carnet', 'AUTOTEST DU LECTEUR');
  p.line(formatDateTime(s.time, s.utcOffsetMin));
  rule(p);
  p.line(twoColumns('Lecteur', s.readerId, COLUMNS));
  p.line(twoColumns('Logiciel', s.firmware, COLUMNS));
  p.line(twoColumns('Carte', s.board, COLUMNS));
  p.line(twoColumns('NFC', s.nfc, COLUMNS));
  p.line(twoColumns('Imprimante', s.printerBaud + ' bauds', COLUMNS));
  rule(p);
  // Two lines: the characters alone take 30 of the 32 columns.
  p.line('Accents :');
  p.line(SELF_TEST_CHARS);
  p.bold(true)
    .line('Gras : ÉÈÀÇ 12,50 ' + EURO_CHAR)
    .bold(false);
  p.size(2, 2).line('Grand').size(1, 1);
  p.line('01234567890123456789012345678901');
  footer(p);
  return p.build();
}
