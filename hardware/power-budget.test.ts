// The power budget (power-budget.ts): the receipt length is counted from the firmware's real receipt
// bytes, the battery holds the day with a margin, the fuse and cells take the peak, and the README quotes
// the figures this computes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EscPos } from '../firmware/src/drivers/escpos/escpos';
import { linePitches, powerBudget, PICO_REGULATOR_MA } from './power-budget';

const repoRoot = join(import.meta.dirname, '..');
const readme = readFileSync(join(repoRoot, 'hardware', 'README.md'), 'utf8');
/** Fuse in bom.csv (5 A) and the cells' continuous discharge rating asked for there (10 A). */
const FUSE_A = 5;
/** Sizing rule: the usable pack energy is at least 1.5 times the day's need. */
const MIN_MARGIN = 1.5;

describe('power budget (6 h, 200 sales, 200 receipts)', () => {
  const b = powerBudget();
  for (const l of b.lines) console.log(l);

  it('counts line pitches from ESC/POS bytes: LF, double height, ESC d n', () => {
    expect(linePitches(new EscPos().line('a').line('b').build())).toBe(2);
    expect(linePitches(new EscPos().size(1, 2).line('a').size(1, 1).line('b').feed(3).build())).toBe(6);
    expect(b.receiptPitches).toBeGreaterThan(10);
  });

  it('the pack covers the day with margin; the peak stays under the fuse; the 3.3 V rail fits', () => {
    expect(b.margin).toBeGreaterThanOrEqual(MIN_MARGIN);
    expect(b.peakA).toBeLessThan(FUSE_A);
    expect(b.regulatorMa).toBeLessThanOrEqual(PICO_REGULATOR_MA);
    expect(b.totalWh).toBeGreaterThan(b.electronicsWh + b.printingWh);
  });

  it('the README quotes these figures', () => {
    for (const s of [
      b.totalWh.toFixed(2) + ' Wh',
      Math.round(b.totalMahAtPack) + ' mAh',
      b.margin.toFixed(2),
      b.peakA.toFixed(2) + ' A',
      b.receiptSeconds.toFixed(2) + ' s',
      b.electronicsWh.toFixed(2) + ' Wh',
      b.printingWh.toFixed(2) + ' Wh',
      b.printerIdleWh.toFixed(2) + ' Wh',
    ])
      expect(readme, s).toContain(s.replace('.', ','));
  });
});
