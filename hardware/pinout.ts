// hardware/pinout.csv as data (issue 8): read it, and compare it with a board file's wires. Node-side only:
// used by firmware/src/boards/pinout.test.ts and hardware/gen-wiring.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Board, PinRow, pinRows } from '../firmware/src/boards/board';
import { csvRecords } from './csv';

export const PINOUT_COLUMNS = [
  'signal',
  'board',
  'board_pin',
  'peripheral',
  'peripheral_pin',
  'bus',
  'notes',
];

export interface PinoutRow extends PinRow {
  notes: string;
}

export function parsePinout(text: string): PinoutRow[] {
  return csvRecords(text, PINOUT_COLUMNS).map((r) => ({
    signal: r.signal,
    board: r.board,
    boardPin: r.board_pin,
    peripheral: r.peripheral,
    peripheralPin: r.peripheral_pin,
    bus: r.bus,
    notes: r.notes,
  }));
}

export function readPinout(repoRoot: string): PinoutRow[] {
  return parsePinout(readFileSync(join(repoRoot, 'hardware', 'pinout.csv'), 'utf8'));
}

/** Every column that matters to the firmware (notes are for people), as one comparable string. */
export function pinKey(r: PinRow): string {
  return [r.board, r.signal, r.boardPin, r.peripheral, r.peripheralPin, r.bus].join('|');
}

export interface PinoutDiff {
  /** Wires the board file has and the CSV does not (or has differently). */
  onlyInBoard: string[];
  /** Wires the CSV has and the board file does not (or has differently). */
  onlyInCsv: string[];
}

/** Compares one board file with the CSV rows of its id, both ways; a moved pin shows on both sides. */
export function comparePinout(board: Board, csv: PinRow[]): PinoutDiff {
  const fromBoard = pinRows(board).map(pinKey);
  const fromCsv = csv.filter((r) => r.board === board.id).map(pinKey);
  const count = (list: string[], k: string): number => list.filter((x) => x === k).length;
  // Multiset difference: a wire listed twice on one side and once on the other is a difference too.
  const onlyInBoard = fromBoard.filter(
    (k, i) => fromBoard.indexOf(k) === i && count(fromBoard, k) > count(fromCsv, k),
  );
  const onlyInCsv = fromCsv.filter(
    (k, i) => fromCsv.indexOf(k) === i && count(fromCsv, k) > count(fromBoard, k),
  );
  return { onlyInBoard: onlyInBoard.sort(), onlyInCsv: onlyInCsv.sort() };
}
