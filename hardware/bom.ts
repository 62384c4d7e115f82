// hardware/bom.csv as data (issue 8): parts, prices and the totals the README quotes. Prices are handled
// in thousandths of a euro (integers), never as floats: "0.025" is 25, "23.50" is 23500.
// Run `npx tsx hardware/bom.ts` to print the totals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvRecords } from './csv';

export const BOM_COLUMNS = ['variant', 'part', 'quantity', 'reference', 'unit_price_eur', 'replaces', 'why'];
/** Issue 8: a reader anyone can build costs at most 60 € (base variant, indicative retail prices). */
export const BASE_BUDGET_MILLI_EUR = 60000;
export const BASE = 'base';

export interface BomRow {
  variant: string;
  part: string;
  quantity: number;
  reference: string;
  /** Unit price in thousandths of a euro. */
  unitMilli: number;
  replaces: string;
  why: string;
}

/** "23.50" → 23500; at most 3 decimals; anything else is an error (the CSV is data, not prose). */
export function parseEuroMilli(s: string): number {
  const m = /^(\d+)(?:\.(\d{1,3}))?$/.exec(s);
  if (m === null) throw new Error('price is not a euro amount with at most 3 decimals: ' + JSON.stringify(s));
  const frac = (m[2] === undefined ? '' : m[2]).padEnd(3, '0');
  return Number(m[1]) * 1000 + Number(frac);
}

export function parseBom(text: string): BomRow[] {
  return csvRecords(text, BOM_COLUMNS).map((r) => {
    if (!/^[1-9]\d*$/.test(r.quantity)) throw new Error('quantity is not a positive integer: ' + r.quantity);
    return {
      variant: r.variant,
      part: r.part,
      quantity: Number(r.quantity),
      reference: r.reference,
      unitMilli: parseEuroMilli(r.unit_price_eur),
      replaces: r.replaces,
      why: r.why,
    };
  });
}

export function readBom(repoRoot: string): BomRow[] {
  return parseBom(readFileSync(join(repoRoot, 'hardware', 'bom.csv'), 'utf8'));
}

export function lineMilli(r: BomRow): number {
  return r.quantity * r.unitMilli;
}

export function baseTotalMilli(rows: BomRow[]): number {
  return rows.filter((r) => r.variant === BASE).reduce((s, r) => s + lineMilli(r), 0);
}

/** Price change of a variant against the base reader: its rows added, the base parts they replace removed. */
export function variantDeltaMilli(rows: BomRow[], variant: string): number {
  let d = 0;
  for (const r of rows.filter((x) => x.variant === variant)) {
    d += lineMilli(r);
    if (r.replaces !== '') {
      const base = rows.filter((x) => x.variant === BASE && x.part === r.replaces);
      if (base.length !== 1) throw new Error(variant + ' replaces an unknown base part: ' + r.replaces);
      d -= lineMilli(base[0]);
    }
  }
  return d;
}

/** 59550 → "59,55 €" (French, as the README writes it); a sign when asked. */
export function euros(milli: number, signed: boolean): string {
  const neg = milli < 0;
  const cents = Math.round(Math.abs(milli) / 10);
  const s = Math.floor(cents / 100) + ',' + String(cents % 100).padStart(2, '0') + ' €';
  return (neg ? '-' : signed ? '+' : '') + s;
}

if (process.argv[1] !== undefined && process.argv[1].endsWith('bom.ts')) {
  const rows = readBom(join(import.meta.dirname, '..'));
  console.log(
    'base reader: ' +
      euros(baseTotalMilli(rows), false) +
      ' (budget ' +
      euros(BASE_BUDGET_MILLI_EUR, false) +
      ')',
  );
  for (const v of [...new Set(rows.map((r) => r.variant))].filter((v) => v !== BASE))
    console.log(
      v +
        ': ' +
        euros(variantDeltaMilli(rows, v), true) +
        ' → ' +
        euros(baseTotalMilli(rows) + variantDeltaMilli(rows, v), false),
    );
}
