// The wiring diagrams in hardware/ are generated from pinout.csv (gen-wiring.ts): the checked-in SVGs must
// equal what the generator makes now, so the picture a volunteer follows cannot drift from the CSV (which
// pinout.test.ts ties to the firmware's board files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardIds, POWER, svgPath, wiringSvg } from './gen-wiring';
import { readPinout } from './pinout';

const repoRoot = join(import.meta.dirname, '..');
const rows = readPinout(repoRoot);

describe('hardware/cablage-*.svg', () => {
  it('there is a diagram for every board of the CSV, the Pico first', () => {
    expect(boardIds(rows)[0]).toBe('pico');
    for (const id of boardIds(rows)) expect(POWER[id], id).toBeDefined();
  });

  for (const id of boardIds(rows)) {
    it(`cablage-${id}.svg equals the generated one (run npx tsx hardware/gen-wiring.ts)`, () => {
      const onDisk = readFileSync(svgPath(repoRoot, id), 'utf8');
      expect(onDisk).toBe(wiringSvg(id, rows, POWER[id]));
    });

    it(`cablage-${id}.svg labels every wire with its CSV pins and bus`, () => {
      const svg = wiringSvg(id, rows, POWER[id]);
      for (const r of rows.filter((x) => x.board === id)) {
        const label = (r.boardPin + ' → ' + r.peripheralPin + ' · ' + r.bus).replace(/&/g, '&amp;');
        expect(svg, r.signal).toContain('>' + label + '<');
      }
      for (const box of ['PN532', 'SSD1306', 'printer', 'keypad', 'buzzer', 'Alimentation'])
        expect(svg).toContain('>' + box + '</text>');
    });
  }

  it('a pin moved in the CSV changes the picture (the equality test would fail)', () => {
    const moved = rows.map((r) =>
      r.board === 'pico' && r.signal === 'buzzer' ? { ...r, boardPin: 'A1' } : r,
    );
    const before = wiringSvg('pico', rows, POWER.pico);
    const after = wiringSvg('pico', moved, POWER.pico);
    expect(after).not.toBe(before);
    expect(after).toContain('>A1 → + · PWM<');
  });

  it('the SVG is well-formed enough: escaped text, balanced root, no raw ampersand', () => {
    const svg = wiringSvg('pico', rows, POWER.pico);
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
  });
});
