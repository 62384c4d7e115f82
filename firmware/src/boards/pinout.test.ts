// hardware/pinout.csv is the source of truth for wiring (issue 8): every board file must equal its rows,
// and every board in the CSV must have a board file. A pin moved on one side only fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinRow, pinRows } from './board';
import { BOARDS } from './index';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const COLUMNS = ['signal', 'board', 'board_pin', 'peripheral', 'peripheral_pin', 'bus', 'notes'];

/** RFC 4180 CSV: fields may be quoted, "" inside quotes is a quote. */
function parseCsv(text: string): string[][] {
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
  if (f !== '' || row.length > 0) {
    row.push(f);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function csvRows(): { rows: PinRow[]; notes: string[] } {
  const all = parseCsv(readFileSync(join(repoRoot, 'hardware', 'pinout.csv'), 'utf8'));
  expect(all[0]).toEqual(COLUMNS);
  const rows: PinRow[] = [];
  const notes: string[] = [];
  for (const r of all.slice(1)) {
    expect(r.length).toBe(COLUMNS.length);
    rows.push({
      signal: r[0],
      board: r[1],
      boardPin: r[2],
      peripheral: r[3],
      peripheralPin: r[4],
      bus: r[5],
    });
    notes.push(r[6]);
  }
  return { rows, notes };
}

const key = (r: PinRow) => [r.board, r.signal, r.boardPin, r.peripheral, r.peripheralPin, r.bus].join('|');

describe('hardware/pinout.csv ↔ firmware/src/boards', () => {
  const csv = csvRows().rows;

  it('parses quoted CSV fields', () => {
    expect(parseCsv('a,"b,c","d""e"\n1,2,3\n')).toEqual([
      ['a', 'b,c', 'd"e'],
      ['1', '2', '3'],
    ]);
  });

  for (const b of BOARDS) {
    it(`board "${b.id}": the board file equals the CSV rows, both ways`, () => {
      const fromBoard = pinRows(b).map(key).sort();
      const fromCsv = csv
        .filter((r) => r.board === b.id)
        .map(key)
        .sort();
      expect(fromCsv.length).toBeGreaterThan(0);
      expect(fromBoard).toEqual(fromCsv);
    });

    it(`board "${b.id}": no pin used twice, every pin on the headers`, () => {
      const pins = pinRows(b).map((r) => r.boardPin);
      expect(new Set(pins).size).toBe(pins.length);
      for (const p of pins) expect(b.headerPins).toContain(p);
      // keypad columns on distinct EXTI lines (STM32: one line per pin number) and apart from the NFC IRQ
      const lines = [...b.keypad.cols, b.nfc.irq].map((p) => p.substring(1));
      expect(new Set(lines).size).toBe(lines.length);
    });
  }

  it('every board in the CSV has a board file', () => {
    const ids = new Set(csv.map((r) => r.board));
    expect([...ids].sort()).toEqual(BOARDS.map((b) => b.id).sort());
  });

  it('a pin moved on one side only is caught', () => {
    const b = { ...BOARDS[0], nfc: { ...BOARDS[0].nfc, irq: 'A1' } };
    const fromBoard = pinRows(b).map(key).sort();
    const fromCsv = csv
      .filter((r) => r.board === b.id)
      .map(key)
      .sort();
    expect(fromBoard).not.toEqual(fromCsv);
  });
});
