// Thin adapters from Espruino objects to the reader's HAL (firmware/src/hal/devices.ts). Each takes the
// Espruino object it wraps as an argument (main.ts passes the globals; the vm runner passes fakes), so
// nothing here reads a global. Espruino subset (../../../../../shared/espruino/FACTS.md).

import { Clock, FlashStore, HostLink, Printer, Rng, Watchdog, Buzzer } from '../../hal/devices';
import { Pn532Bus } from '../../drivers/pn532/pn532';
import {
  EspruinoCryptoModule,
  EspruinoEShell,
  EspruinoI2C,
  EspruinoSerial,
  EspruinoStorageModule,
} from './types';

/** Bytes of an 8-bit Espruino string (Storage.read, Serial 'data' events): one byte per char code. */
export function bytesOfString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------------- flash

/**
 * FlashStore over require("Storage") (FACTS.md "Storage"): `write(name, data, 0, size)` creates a file
 * of `size` bytes, the rest left erased (0xFF); later `write(name, data, offset)` programs bytes in place
 * (flash can only clear bits, which is the HAL's model). StorageFile is not used: it cannot hold 0xFF.
 */
export function createStorageFlash(storage: EspruinoStorageModule): FlashStore {
  function size(name: string): number {
    const s = storage.read(name);
    return s === undefined ? -1 : s.length;
  }
  return {
    create: function (name: string, bytes: number): boolean {
      if (bytes <= 0) return false;
      if (size(name) >= 0) storage.erase(name);
      if (storage.getFree() < bytes && storage.compact !== undefined) {
        // Erased and replaced files stay as garbage until compact() (FACTS.md "Storage"). Compacting moves
        // files, ed25519.bin included: the native adapter re-reads its address before every call.
        storage.compact();
      }
      if (storage.getFree() < bytes) return false;
      // Writing 0xFF programs nothing: the file exists, erased, with its final size.
      return storage.write(name, new Uint8Array([0xff]), 0, bytes) !== false;
    },
    write: function (name: string, offset: number, data: Uint8Array): boolean {
      const n = size(name);
      if (n < 0 || offset < 0 || offset + data.length > n) return false;
      if (data.length === 0) return true;
      return storage.write(name, data, offset) !== false;
    },
    read: function (name: string, offset: number, length: number): Uint8Array | null {
      const n = size(name);
      if (n < 0 || offset < 0 || length < 0 || offset + length > n) return null;
      const s = storage.read(name, offset, length);
      return s === undefined ? null : bytesOfString(s);
    },
    size: size,
    erase: function (name: string): void {
      storage.erase(name);
    },
    list: function (): string[] {
      return storage.list();
    },
    free: function (): number {
      return storage.getFree();
    },
  };
}

// ------------------------------------------------------------------------------------------------ I2C

/**
 * The PN532 driver's bus over Espruino I2C (PN532 UM0701 §6.2.4): whole-frame writes, reads that start
 * with the status byte, and the IRQ line (active low) read with `irqLevel`.
 */
export function createPn532Bus(i2c: EspruinoI2C, address: number, irqLevel: () => number): Pn532Bus {
  return {
    write: function (bytes: Uint8Array): void {
      i2c.writeTo(address, bytes);
    },
    read: function (n: number): Uint8Array {
      return new Uint8Array(i2c.readFrom(address, n));
    },
    irq: function (): boolean {
      return irqLevel() === 0;
    },
  };
}

// ------------------------------------------------------------------------------------ serial and USB

/**
 * Most bytes handed to a serial port at once. FACTS.md "Host link": writes busy-wait when the transmit
 * buffer is full, so larger outputs go out in chunks from timers and the watchdog and keypad keep running.
 */
export const SERIAL_CHUNK_BYTES = 128;
/** Delay between chunks (ms): at 9600 baud a 128-byte chunk takes ~133 ms on the wire. */
export const SERIAL_CHUNK_DELAY_MS = 20;

/** A writer that queues bytes and sends them in chunks from timers, in order. */
export function createChunkedWriter(
  port: EspruinoSerial,
  later: (f: () => void, ms: number) => void,
  chunkDelayMs: number,
): (bytes: Uint8Array) => void {
  const queue: Uint8Array[] = [];
  let busy = false;
  function pump(): void {
    if (queue.length === 0) {
      busy = false;
      return;
    }
    const head = queue[0];
    if (head.length <= SERIAL_CHUNK_BYTES) {
      queue.shift();
      port.write(head);
    } else {
      port.write(new Uint8Array(head.subarray(0, SERIAL_CHUNK_BYTES)));
      queue[0] = new Uint8Array(head.subarray(SERIAL_CHUNK_BYTES));
    }
    later(pump, chunkDelayMs);
  }
  return function (bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    queue.push(new Uint8Array(bytes));
    if (!busy) {
      busy = true;
      pump();
    }
  };
}

/** ESC/POS printer on a UART; `present` is the shell's self-test answer (DLE EOT status seen). */
export function createSerialPrinter(write: (bytes: Uint8Array) => void, present: () => boolean): Printer {
  return {
    write: write,
    present: present,
  };
}

/** ESC/POS DLE EOT 1 (real-time printer status): a printer answers one byte; used as the presence probe. */
export const PRINTER_STATUS_QUERY = [0x10, 0x04, 0x01];

/** The host link over the USB CDC port (protocol frames, SPEC.md §11). */
export function createUsbLink(write: (bytes: Uint8Array) => void): HostLink {
  return { write: write };
}

// -------------------------------------------------------------------------------------------- system

/** Clock over getTime()/setTime(): wall seconds, and milliseconds that do not jump when the time is set. */
export function createClock(getTime: () => number, setTime: (seconds: number) => void): Clock {
  let offset = 0; // seconds added by set(): keeps ms() monotonic across a SET_TIME
  return {
    now: function (): number {
      return Math.floor(getTime());
    },
    ms: function (): number {
      return Math.floor((getTime() - offset) * 1000);
    },
    set: function (seconds: number): void {
      offset += seconds - getTime();
      setTime(seconds);
    },
  };
}

/** Hardware randomness: E.hwRand() gives 32 random bits (FACTS.md "Crypto reality"). */
export function createRng(e: EspruinoEShell): Rng {
  return {
    bytes: function (n: number): Uint8Array {
      const out = new Uint8Array(n);
      let r = 0;
      for (let i = 0; i < n; i++) {
        if ((i & 3) === 0) r = e.hwRand();
        out[i] = (r >>> ((i & 3) * 8)) & 0xff;
      }
      return out;
    },
  };
}

/**
 * Seconds before the watchdog resets a hung reader. The main tick kicks it every 100 ms; the longest
 * synchronous work is a tap (≤ 250 ms) or a log compaction; 5 s leaves room for Storage.compact().
 */
export const WATCHDOG_SECONDS = 5;

/** Manual watchdog (FACTS.md "System"): E.enableWatchdog(s, false), then E.kickWatchdog() from the loop. */
export function createWatchdog(e: EspruinoEShell, seconds: number): Watchdog {
  e.enableWatchdog(seconds, false);
  return {
    kick: function (): void {
      e.kickWatchdog();
    },
  };
}

/** Buzzer on a PWM pin: analogWrite at the tone's frequency, silenced after `ms` by a timer. */
export function createBuzzer(
  pwm: (duty: number, hz: number) => void,
  silence: () => void,
  later: (f: () => void, ms: number) => void,
): Buzzer {
  return {
    beep: function (ms: number, hz: number): void {
      pwm(0.5, hz);
      later(silence, ms);
    },
  };
}

/** SHA-256 by Espruino's native crypto module (FACTS.md: under 0.1 ms for 128 bytes on the Pico). */
export function createNativeSha256(crypto: EspruinoCryptoModule): (data: Uint8Array) => Uint8Array {
  return function (data: Uint8Array): Uint8Array {
    return new Uint8Array(crypto.SHA256(data));
  };
}

// ---------------------------------------------------------------------------------------------- keypad

/**
 * Reads a matrix keypad once (drivers/keypad: "drive one row low at a time, read the columns with
 * pull-ups"): for each row, the mask of columns read low while that row was driven low. Rows not being
 * scanned are driven high. drivers/keypad decodeScan/debounce turn the masks into key presses.
 */
export function createKeypadMatrixReader(
  rows: unknown[],
  cols: unknown[],
  write: (pin: unknown, level: number) => void,
  read: (pin: unknown) => number,
): () => number[] {
  return function (): number[] {
    const masks: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      write(rows[r], 0);
      let m = 0;
      for (let c = 0; c < cols.length; c++) if (read(cols[c]) === 0) m |= 1 << c;
      write(rows[r], 1);
      masks.push(m);
    }
    return masks;
  };
}
