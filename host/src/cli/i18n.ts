// Messages people read: French first, English available (`--lang en` or CARNET_LANG=en).

export type Lang = 'fr' | 'en';

export interface Text {
  fr: string;
  en: string;
}

let current: Lang = 'fr';

export function setLang(l: Lang): void {
  current = l;
}

export function lang(): Lang {
  return current;
}

/** Picks the sentence in the current language and fills `{name}` placeholders. */
export function t(text: Text, params: Record<string, string | number> = {}): string {
  return text[current].replace(/\{(\w+)\}/g, (_m, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}

/** Cents as people write them: "1 234,56 €" in French, "€1,234.56" in English. */
export function money(cents: number): string {
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const euros = Math.floor(abs / 100);
  const c = String(abs % 100).padStart(2, '0');
  if (current === 'fr') {
    const grouped = String(euros).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
    return `${neg ? '−' : ''}${grouped},${c} €`;
  }
  const grouped = String(euros).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}€${grouped}.${c}`;
}
