// Words of the market-day demo: French first (volunteers read it), English with `--lang en` or
// CARNET_LANG=en. The readers' own screens and receipts stay French: they are what the device shows.

export type Lang = 'fr' | 'en';

/** Picks the French or English wording of one line. */
export function tr(lang: Lang, fr: string, en: string): string {
  return lang === 'en' ? en : fr;
}

/** Cents as people read them: "12,50 €" in French, "€12.50" in English (integer arithmetic only). */
export function money(cents: number, lang: Lang = 'fr'): string {
  const neg = cents < 0;
  const a = Math.abs(cents);
  const units = Math.floor(a / 100);
  const c = String(a % 100).padStart(2, '0');
  if (lang === 'en') return (neg ? '−' : '') + '€' + units + '.' + c;
  return (neg ? '−' : '') + units + ',' + c + ' €';
}

/** A percentage from basis points, without floating point noise: 5000 → "50 %", 8250 → "82,5 %". */
export function percent(bp: number, lang: Lang = 'fr'): string {
  const whole = Math.floor(bp / 100);
  const rest = bp % 100;
  const frac =
    rest === 0 ? '' : (lang === 'en' ? '.' : ',') + String(rest).padStart(2, '0').replace(/0$/, '');
  return whole + frac + (lang === 'en' ? '%' : ' %');
}

/** A text box around lines (receipts, screens), `width` columns inside. */
export function box(lines: string[], width: number, indent = '   '): string[] {
  const out = [indent + '┌' + '─'.repeat(width + 2) + '┐'];
  for (const l of lines) out.push(indent + '│ ' + l.padEnd(width) + ' │');
  out.push(indent + '└' + '─'.repeat(width + 2) + '┘');
  return out;
}
