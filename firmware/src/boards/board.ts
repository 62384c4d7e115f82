// Wiring as data (house style 3): one object per supported board, checked against hardware/pinout.csv by
// pinout.test.ts. platform/espruino turns these names into Espruino pins (e.g. `global[name]`); the
// simulator builds an object of the same shape. No Espruino global is touched here.

export interface I2cDevice {
  /** Espruino's bus object name (I2C1, I2C2, I2C3). */
  bus: string;
  scl: string;
  sda: string;
  /** 7-bit address. */
  address: number;
  /** Bus clock in Hz. */
  bitrate: number;
}

export interface NfcWiring extends I2cDevice {
  /** PN532 IRQ output (active low: a frame is ready). */
  irq: string;
  /** PN532 RSTPDN input (low = reset / power down). */
  reset: string;
}

export interface PrinterWiring {
  /** Espruino's serial object name (Serial1, Serial2). */
  uart: string;
  /** MCU TX → printer RXD. */
  tx: string;
  /** Printer TXD → MCU RX (status bytes; optional on most printers). */
  rx: string;
  baud: number;
}

export interface DisplayWiring extends I2cDevice {
  width: number;
  height: number;
}

export interface KeypadWiring {
  /** Driven one at a time (outputs). */
  rows: string[];
  /** Read with pull-ups (inputs); each on a different EXTI line so setWatch can wake on any. */
  cols: string[];
}

export interface BuzzerWiring {
  /** A pin with a timer channel, for analogWrite(pin, 0.5, { freq }). */
  pin: string;
}

export interface Board {
  /** The `board` column of hardware/pinout.csv. */
  id: string;
  name: string;
  cpuHz: number;
  /** Pins on the board's headers that carnet may use (the rest are USB, SWD, crystals, LEDs). */
  headerPins: string[];
  nfc: NfcWiring;
  printer: PrinterWiring;
  display: DisplayWiring;
  keypad: KeypadWiring;
  buzzer: BuzzerWiring;
}

/** One row of hardware/pinout.csv without the notes column (notes are for people). */
export interface PinRow {
  signal: string;
  board: string;
  boardPin: string;
  peripheral: string;
  peripheralPin: string;
  bus: string;
}

function hexByte(n: number): string {
  return '0x' + (n < 16 ? '0' : '') + n.toString(16);
}

/** "I2C1 0x24 400000": bus, address and clock, so a change on one side only fails the pinout test. */
export function i2cBusLabel(d: I2cDevice): string {
  return d.bus + ' ' + hexByte(d.address) + ' ' + d.bitrate;
}

function row(
  b: Board,
  signal: string,
  pin: string,
  peripheral: string,
  peripheralPin: string,
  bus: string,
): PinRow {
  return {
    signal: signal,
    board: b.id,
    boardPin: pin,
    peripheral: peripheral,
    peripheralPin: peripheralPin,
    bus: bus,
  };
}

/** Every wire of a board, in the order of hardware/pinout.csv. */
export function pinRows(b: Board): PinRow[] {
  const out: PinRow[] = [];
  const nfcBus = i2cBusLabel(b.nfc);
  out.push(row(b, 'nfc_scl', b.nfc.scl, 'PN532', 'SCL', nfcBus));
  out.push(row(b, 'nfc_sda', b.nfc.sda, 'PN532', 'SDA', nfcBus));
  out.push(row(b, 'nfc_irq', b.nfc.irq, 'PN532', 'IRQ', 'GPIO'));
  out.push(row(b, 'nfc_reset', b.nfc.reset, 'PN532', 'RSTPDN', 'GPIO'));
  const uart = b.printer.uart + ' ' + b.printer.baud;
  out.push(row(b, 'printer_tx', b.printer.tx, 'printer', 'RXD', uart));
  out.push(row(b, 'printer_rx', b.printer.rx, 'printer', 'TXD', uart));
  const dispBus = i2cBusLabel(b.display);
  out.push(row(b, 'oled_scl', b.display.scl, 'SSD1306', 'SCL', dispBus));
  out.push(row(b, 'oled_sda', b.display.sda, 'SSD1306', 'SDA', dispBus));
  for (let i = 0; i < b.keypad.rows.length; i++) {
    out.push(row(b, 'key_row' + (i + 1), b.keypad.rows[i], 'keypad', 'R' + (i + 1), 'GPIO'));
  }
  for (let i = 0; i < b.keypad.cols.length; i++) {
    out.push(row(b, 'key_col' + (i + 1), b.keypad.cols[i], 'keypad', 'C' + (i + 1), 'GPIO'));
  }
  out.push(row(b, 'buzzer', b.buzzer.pin, 'buzzer', '+', 'PWM'));
  return out;
}
