// Alternative board: Espruino WiFi (STM32F411CEU6, 100 MHz). Same wiring as the Pico except the printer:
// Serial2 (A2/A3) is wired to the on-board ESP8266 (boards/ESPRUINOWIFI.py), so the printer uses Serial1
// on B6 (TX) / B7 (RX). Those are the console pins when USB is unplugged: the firmware moves the console
// away (E.setConsole) before opening the printer, as it already does for the host link.

import { Board } from './board';

export const WIFI: Board = {
  id: 'wifi',
  name: 'Espruino WiFi',
  cpuHz: 100000000,
  headerPins: [
    'B15',
    'B14',
    'B13',
    'B10',
    'B1',
    'A7',
    'A6',
    'A5',
    'A4',
    'A1',
    'A0', // left row
    'B3',
    'B4',
    'B5',
    'B6',
    'B7',
    'B8',
    'B9',
    'B0', // right row
    'A10',
    'A8', // bottom pads
  ],
  nfc: { bus: 'I2C1', scl: 'B8', sda: 'B9', address: 0x24, bitrate: 400000, irq: 'B4', reset: 'B5' },
  printer: { uart: 'Serial1', tx: 'B6', rx: 'B7', baud: 9600 },
  display: { bus: 'I2C2', scl: 'B10', sda: 'B3', address: 0x3c, bitrate: 400000, width: 128, height: 64 },
  keypad: { rows: ['B15', 'B14', 'B13', 'B1'], cols: ['A5', 'A6', 'A7', 'A8'] },
  buzzer: { pin: 'A0' },
};
