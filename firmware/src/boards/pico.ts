// Reference board: Espruino Pico (STM32F401CDU6, 84 MHz). Pin names and functions from Espruino's board
// file (boards/PICO_R1_3.py: header pins, B6/B7 = serial console when USB is unplugged) and the STM32F401
// alternate-function table. Each choice is explained beside it; hardware/pinout.csv must say the same.

import { Board } from './board';

export const PICO: Board = {
  id: 'pico',
  name: 'Espruino Pico',
  cpuHz: 84000000,
  headerPins: [
    'B15',
    'B14',
    'B13',
    'B10',
    'B1',
    'A7',
    'A6',
    'A5', // top row
    'B3',
    'B4',
    'B5',
    'B6',
    'B7',
    'A8', // bottom row
    'A4',
    'A3',
    'A2',
    'A1',
    'A0',
    'A10',
    'B9',
    'B8', // 0.05" end row
  ],
  // PN532 on I2C1 remapped to B8 (SCL) / B9 (SDA): I2C1's other pins B6/B7 are the serial console when
  // the reader runs on battery without USB. 0x24 is the PN532's fixed address; 400 kHz is its I2C maximum
  // (UM0701 §6.2.4) and the tap budget needs it. IRQ on B4 and reset on B5: plain GPIO, next to the bus;
  // B4 is EXTI4, which no keypad column uses, so main.ts can also setWatch it.
  nfc: { bus: 'I2C1', scl: 'B8', sda: 'B9', address: 0x24, bitrate: 400000, irq: 'B4', reset: 'B5' },
  // Printer on Serial2 (USART2: A2 TX, A3 RX), leaving Serial1 to the console. 9600 baud: the factory
  // setting of most cheap 58 mm TTL printers (some ship at 19200; their self-test page says which).
  // 9600 baud moves 960 bytes/s: a 700-byte receipt takes ~0.75 s, about the paper's own speed.
  printer: { uart: 'Serial2', tx: 'A2', rx: 'A3', baud: 9600 },
  // OLED on its own bus, I2C2 (B10 SCL, B3 SDA): a frame is 1 KB (~26 ms at 400 kHz) and a cheap module
  // that hangs SDA low must not take the NFC reader with it; the Pico has pins to spare, and two sets of
  // module pull-ups in parallel on one bus would be stronger than the PN532 expects.
  display: { bus: 'I2C2', scl: 'B10', sda: 'B3', address: 0x3c, bitrate: 400000, width: 128, height: 64 },
  // Rows are outputs (any pin); columns are watched inputs on distinct EXTI lines 5, 6, 7, 8 (STM32 has
  // one EXTI per pin number), so a key press can wake the reader from sleep.
  keypad: { rows: ['B15', 'B14', 'B13', 'B1'], cols: ['A5', 'A6', 'A7', 'A8'] },
  // A0 has TIM2_CH1/TIM5_CH1: hardware PWM for the tone.
  buzzer: { pin: 'A0' },
};
