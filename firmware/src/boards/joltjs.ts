// Alternative board: Espruino Jolt.js (nRF52840, Cortex-M4F 64 MHz, 256 KB RAM, 400 KB of Storage). Pin
// names from Espruino's board file (boards/JOLTJS.py) and the Jolt.js page (espruino.com/Jolt.js):
//   Q0 (SCL D29, SDA D3) and Q1 (SCL D31, SDA D2): 2 GPIO each; their 3.3 V pin is always on, their GND pin
//     is switched by a FET that carnet never turns on, so modules take GND from the terminal block.
//   Q2 (SCL D45, SDA D44, VCC D43, GND D36) and Q3 (SCL D38, SDA D39, VCC D42, GND D37): 4 GPIO each.
//   H0..H7: motor-driver outputs (two DRV banks, H0-H3 and H4-H7) that swing between GND and the supply
//     (+V, 4.65 V on USB): outputs only, never an input, never straight onto a 3.3 V pin.
// That is 12 GPIO for 17 signals, so this board shares and borrows (each choice explained below). Every
// GPIO is 3.3 V only (not 5 V tolerant). Unlike the STM32 boards, the nRF52 routes I2C, UART and PWM to
// any pin, and setWatch uses GPIOTE channels (8 of them), not one EXTI line per pin number.
// hardware/pinout.csv must say the same (pinout.test.ts).

import { Board } from './board';

export const JOLTJS: Board = {
  id: 'joltjs',
  name: 'Espruino Jolt.js',
  cpuHz: 64000000,
  headerPins: [
    'D29',
    'D3', // Q0
    'D31',
    'D2', // Q1
    'D45',
    'D44',
    'D43',
    'D36', // Q2
    'D38',
    'D39',
    'D42',
    'D37', // Q3
    'H0',
    'H1',
    'H2',
    'H3',
    'H4',
    'H5',
    'H6',
    'H7', // terminal block
  ],
  // PN532 on the one hardware I2C (I2C1) on Q0, 400 kHz as on the Pico. IRQ and RSTPDN on Q1's two GPIO.
  nfc: { bus: 'I2C1', scl: 'D29', sda: 'D3', address: 0x24, bitrate: 400000, irq: 'D31', reset: 'D2' },
  // Printer on Serial1 (the nRF52840's UART, any pin) on Q2's SCL/SDA pins. D44 is 3.3 V only: a printer
  // whose TXD idles at 5 V needs a divider (10 kΩ over 20 kΩ) before it.
  printer: { uart: 'Serial1', tx: 'D45', rx: 'D44', baud: 9600 },
  // OLED on the SAME bus as the PN532 (I2C1, D29/D3): there is one hardware I2C and no pin to spare for a
  // second bus. Addresses differ (0x24, 0x3C); main.ts sets the bus up once when the names match.
  display: { bus: 'I2C1', scl: 'D29', sda: 'D3', address: 0x3c, bitrate: 400000, width: 128, height: 64 },
  // Columns are inputs with pull-ups: the four GPIO of Q3. Rows are only ever driven (the scan pulls one
  // row low at a time), so they borrow motor-driver bank 1 (H4-H7), each through a 1N4148 diode, cathode
  // on the H side: a row at 0 V pulls its column down to ~0.6 V (a 0), a row at +V blocks, so the 3.3 V
  // columns never see the supply. Driving a bank's pin as an output turns that driver on ("auto" mode).
  keypad: { rows: ['H4', 'H5', 'H6', 'H7'], cols: ['D38', 'D39', 'D42', 'D37'] },
  // Buzzer on H0 (driver bank 0, analogWrite gives PWM there): the driver feeds it from +V, louder than
  // a GPIO and with no load on the 3.3 V rail.
  buzzer: { pin: 'H0' },
};
