// hardware/pinout.csv is the source of truth for wiring (issue 8): every board file must equal its rows,
// and every board in the CSV must have a board file. A pin moved on one side only fails here; the last
// block proves it by moving pins in memory, on each side, and checking that the comparison reports it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Board, PinRow, pinRows } from './board';
import { BOARDS } from './index';
import { parseCsv } from '../../../hardware/csv';
import { comparePinout, parsePinout, PinoutRow, readPinout } from '../../../hardware/pinout';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

/**
 * How each board's MCU watches pins (setWatch). STM32 (Pico, WiFi): one EXTI line per pin NUMBER, so the
 * watched pins (keypad columns, NFC IRQ) need distinct numbers (Espruino's Pico page, "Hardware
 * Limitations"). nRF52840 (Jolt.js): GPIOTE, 8 channels on any pin; H0-H7 are motor-driver outputs there.
 */
const FAMILY: { [id: string]: 'stm32' | 'nrf52' } = { pico: 'stm32', wifi: 'stm32', joltjs: 'nrf52' };
const NRF52_GPIOTE_CHANNELS = 8;

const csv: PinoutRow[] = readPinout(repoRoot);

/** Signals the MCU reads (must be real inputs): keypad columns, NFC IRQ, printer RX, I2C lines. */
function inputPins(b: Board): string[] {
  return b.keypad.cols.concat([b.nfc.irq, b.printer.rx, b.nfc.scl, b.nfc.sda, b.display.scl, b.display.sda]);
}

function withPin(b: Board, signal: string, pin: string): Board {
  // A deep copy with one wire moved (JSON round trip: boards are plain data).
  const c = JSON.parse(JSON.stringify(b)) as Board;
  if (signal === 'nfc_irq') c.nfc.irq = pin;
  else if (signal === 'printer_tx') c.printer.tx = pin;
  else if (signal === 'key_col1') c.keypad.cols[0] = pin;
  else if (signal === 'nfc_bus') c.nfc.address = 0x25;
  else throw new Error('test helper: unknown signal ' + signal);
  return c;
}

describe('hardware/pinout.csv ↔ firmware/src/boards', () => {
  it('parses quoted CSV fields', () => {
    expect(parseCsv('a,"b,c","d""e"\n1,2,3\r\n')).toEqual([
      ['a', 'b,c', 'd"e'],
      ['1', '2', '3'],
    ]);
    expect(() => parseCsv('a,"b\n')).toThrow();
  });

  it('the CSV is well formed: known boards, no signal twice per board, a reason on each first row', () => {
    expect(csv.length).toBeGreaterThan(0);
    const seen: string[] = [];
    for (const r of csv) {
      const k = r.board + '|' + r.signal;
      expect(seen).not.toContain(k);
      seen.push(k);
    }
    for (const b of BOARDS) expect(csv.filter((r) => r.board === b.id)[0].notes.length).toBeGreaterThan(0);
  });

  for (const b of BOARDS) {
    it(`board "${b.id}": the board file equals the CSV rows, both ways`, () => {
      expect(csv.filter((r) => r.board === b.id).length).toBe(pinRows(b).length);
      expect(comparePinout(b, csv)).toEqual({ onlyInBoard: [], onlyInCsv: [] });
    });

    it(`board "${b.id}": no pin used twice (except one I2C bus shared line for line), all on the headers`, () => {
      const rows = pinRows(b);
      for (let i = 0; i < rows.length; i++) {
        expect(b.headerPins).toContain(rows[i].boardPin);
        for (let j = i + 1; j < rows.length; j++) {
          if (rows[i].boardPin !== rows[j].boardPin) continue;
          // Only the same I2C line of the same bus may share a pin (SCL with SCL, SDA with SDA).
          expect(rows[i].bus.split(' ')[0]).toBe(rows[j].bus.split(' ')[0]);
          expect(rows[i].bus.startsWith('I2C')).toBe(true);
          expect(rows[i].peripheralPin).toBe(rows[j].peripheralPin);
        }
      }
      if (b.display.bus === b.nfc.bus) {
        expect([b.display.scl, b.display.sda]).toEqual([b.nfc.scl, b.nfc.sda]);
        expect(b.display.address).not.toBe(b.nfc.address);
      }
    });

    it(`board "${b.id}": watched pins fit the MCU (EXTI lines or GPIOTE channels)`, () => {
      const family = FAMILY[b.id];
      expect(family).toBeDefined(); // a new board must say how its pins are watched
      const watched = b.keypad.cols.concat([b.nfc.irq]);
      if (family === 'stm32') {
        const lines = watched.map((p) => p.substring(1));
        expect(new Set(lines).size).toBe(lines.length);
      } else {
        expect(watched.length).toBeLessThanOrEqual(NRF52_GPIOTE_CHANNELS);
        for (const p of inputPins(b)) expect(p).toMatch(/^D\d+$/); // never a motor-driver output
      }
    });
  }

  it('every board in the CSV has a board file, and every board file has rows', () => {
    const ids = new Set(csv.map((r) => r.board));
    expect([...ids].sort()).toEqual(BOARDS.map((b) => b.id).sort());
  });

  describe('a wire changed on one side only is reported', () => {
    for (const b of BOARDS) {
      it(`board "${b.id}": pin moved in the board file`, () => {
        const spare = b.headerPins.filter((p) => pinRows(b).every((r) => r.boardPin !== p));
        const to = spare.length > 0 ? spare[0] : 'Z9';
        const d = comparePinout(withPin(b, 'nfc_irq', to), csv);
        expect(d.onlyInBoard).toEqual([[b.id, 'nfc_irq', to, 'PN532', 'IRQ', 'GPIO'].join('|')]);
        expect(d.onlyInCsv).toEqual([[b.id, 'nfc_irq', b.nfc.irq, 'PN532', 'IRQ', 'GPIO'].join('|')]);
      });

      it(`board "${b.id}": pin moved in the CSV`, () => {
        const moved: PinRow[] = csv.map((r) =>
          r.board === b.id && r.signal === 'printer_tx' ? { ...r, boardPin: 'Z9' } : r,
        );
        const d = comparePinout(b, moved);
        expect(d.onlyInCsv).toHaveLength(1);
        expect(d.onlyInCsv[0]).toContain('|printer_tx|Z9|');
        expect(d.onlyInBoard).toHaveLength(1);
        expect(d.onlyInBoard[0]).toContain('|printer_tx|' + b.printer.tx + '|');
      });

      it(`board "${b.id}": two columns swapped in the board file, a bus address changed`, () => {
        const swapped = withPin(b, 'key_col1', b.keypad.cols[1]);
        swapped.keypad.cols[1] = b.keypad.cols[0];
        expect(comparePinout(swapped, csv).onlyInBoard).toHaveLength(2);
        const addr = comparePinout(withPin(b, 'nfc_bus', ''), csv);
        expect(addr.onlyInBoard.length).toBe(2); // SCL and SDA rows carry "I2C1 0x25 400000"
        expect(addr.onlyInCsv.length).toBe(2);
      });

      it(`board "${b.id}": a row only in the CSV, or a row missing from it`, () => {
        const extra = csv.concat([{ ...csv.filter((r) => r.board === b.id)[0], signal: 'extra_wire' }]);
        expect(comparePinout(b, extra).onlyInCsv).toEqual([
          [b.id, 'extra_wire', pinRows(b)[0].boardPin, 'PN532', 'SCL', pinRows(b)[0].bus].join('|'),
        ]);
        const missing = csv.filter((r) => !(r.board === b.id && r.signal === 'buzzer'));
        expect(comparePinout(b, missing)).toEqual({
          onlyInBoard: [[b.id, 'buzzer', b.buzzer.pin, 'buzzer', '+', 'PWM'].join('|')],
          onlyInCsv: [],
        });
      });
    }

    it('a changed CSV text (not just rows in memory) is caught too', () => {
      const text = 'signal,board,board_pin,peripheral,peripheral_pin,bus,notes\n';
      const pico = BOARDS[0];
      const lines = pinRows(pico).map((r) =>
        [
          r.signal,
          r.board,
          r.signal === 'buzzer' ? 'A1' : r.boardPin,
          r.peripheral,
          r.peripheralPin,
          r.bus,
          'x',
        ].join(','),
      );
      const d = comparePinout(pico, parsePinout(text + lines.join('\n') + '\n'));
      expect(d.onlyInCsv).toEqual(['pico|buzzer|A1|buzzer|+|PWM']);
      expect(d.onlyInBoard).toEqual(['pico|buzzer|A0|buzzer|+|PWM']);
    });
  });
});
