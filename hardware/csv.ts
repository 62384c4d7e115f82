// RFC 4180 CSV reader for the files in hardware/ (pinout.csv, bom.csv): fields may be quoted, "" inside
// quotes is a quote, lines end with LF or CRLF. Node-side only (tests and generators).

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
    } else f += c;
  }
  if (q) throw new Error('CSV: unterminated quoted field');
  if (f !== '' || row.length > 0) {
    row.push(f);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Rows as objects keyed by the header line; throws when a row has a different number of fields. */
export function csvRecords(text: string, expectedHeader: string[]): Record<string, string>[] {
  const all = parseCsv(text);
  if (all.length === 0 || all[0].join(',') !== expectedHeader.join(','))
    throw new Error('CSV header is not ' + expectedHeader.join(','));
  return all.slice(1).map((r, i) => {
    if (r.length !== expectedHeader.length)
      throw new Error('CSV line ' + (i + 2) + ': ' + r.length + ' fields, want ' + expectedHeader.length);
    const o: Record<string, string> = {};
    expectedHeader.forEach((h, j) => (o[h] = r[j]));
    return o;
  });
}
