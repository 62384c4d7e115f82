// Composition root of the reader on Espruino (issue 4, "Build" §2 and §5): the ONLY file besides
// platform/espruino/ that touches Espruino globals. It reads the board (pins as data, boards/), sets up the
// buses, builds the HAL adapters, opens the native Ed25519, creates the reader core and turns Espruino
// events (keypad scan, USB data, timer ticks) into calls on it. Bundled by firmware/build.ts into
// carnet.js, which the .bootcde loader runs from Storage. Espruino subset (../../../shared/espruino/FACTS.md).
// This file exports nothing: an entry with exports would make esbuild add module helpers to the bundle.
//
// Ways back to the REPL (FACTS.md "Host link": a firmware that takes the console must offer one):
//   1. hold the Pico's button (BTN1) at power-up: the .bootcde loader does not start the reader at all;
//   2. hold '*' on the keypad at power-up: the reader starts but leaves the console on USB;
//   3. a signed MAINTENANCE command from the host (protocol command kind 9): the reader answers it, then
//      reader.wantsMaintenance() turns true and the shell stops and gives the console back to USB.
// The watchdog cannot be disabled once enabled on the STM32: maintenance mode keeps kicking it.
//
// Boot sequence (timers, so the watchdog and USB keep running): pins and buses, PN532 held in reset;
// +10 ms release the reset; +PN532_BOOT_MS self-test of the PN532 and printer probe; +PRINTER_PROBE_MS
// create the reader, report what is missing on the display AND the console, take the console, start ticks.
// With no NFC reader or no printer the reader still boots and stays alive (issue 4 §5).

import { createReader, Reader } from './reader';
import { sha256 as portableSha256 } from '../../protocol/src/crypto/sha256';
import { Devices, Display, isCardFailure } from './hal/devices';
import { Ed25519 } from './hal/crypto';
import { Board } from './boards/board';
import { boardById } from './boards/index';
import { Pn532 } from './drivers/pn532/pn532';
import { NtagTransport } from './drivers/ntag/ntag';
import { Ssd1306Display } from './drivers/ssd1306/ssd1306';
import { EscPos } from './drivers/escpos/escpos';
import {
  decodeScan,
  debounce,
  initialDebounce,
  DebounceState,
  KEYMAP,
  SCAN_PERIOD_MS,
} from './drivers/keypad/keypad';
import { openNativeEd25519, EspruinoE, EspruinoStorage } from './platform/espruino/ed25519-native';
import {
  bytesOfString,
  createBuzzer,
  createChunkedWriter,
  createClock,
  createKeypadMatrixReader,
  createNativeSha256,
  createPn532Bus,
  createRng,
  createSerialPrinter,
  createStorageFlash,
  createUsbLink,
  createWatchdog,
  PRINTER_STATUS_QUERY,
  SERIAL_CHUNK_DELAY_MS,
  WATCHDOG_SECONDS,
} from './platform/espruino/adapters';
import {
  EspruinoCryptoModule,
  EspruinoEShell,
  EspruinoI2C,
  EspruinoSerial,
  EspruinoStorageModule,
} from './platform/espruino/types';

// Espruino globals (https://www.espruino.com/Reference). Declared here, used nowhere else.
declare const E: EspruinoEShell & EspruinoE;
declare const USB: EspruinoSerial;
declare const I2C1: EspruinoI2C;
declare const I2C2: EspruinoI2C;
declare const Serial1: EspruinoSerial;
declare const Serial2: EspruinoSerial;
declare const process: { env: { BOARD: string; VERSION: string } };
declare function require(name: string): unknown;
declare function Pin(name: string): unknown;
declare function digitalRead(pin: unknown): number;
declare function digitalWrite(pin: unknown, level: number): void;
declare function pinMode(pin: unknown, mode: string): void;
declare function analogWrite(pin: unknown, duty: number, options: { freq: number }): void;
declare function getTime(): number;
declare function setTime(seconds: number): void;
declare function setTimeout(f: () => void, ms: number): number;
declare function setInterval(f: () => void, ms: number): number;
declare function clearInterval(id: number): void;
declare const console: { log(s: string): void };

/** carnet firmware version, logged in the BOOT record after Espruino's version (≤ 24 ASCII bytes). */
const CARNET_VERSION = '0.1.0';
/** Main tick (ms): reader timeouts and card polling while waiting for a card, watchdog kick. */
const TICK_MS = 100;
/** PN532 start-up after RSTPDN goes high (UM0701 §6.2.4 gives ~2 ms; margin for cheap modules). */
const PN532_BOOT_MS = 50;
/** Wait for the printer's DLE EOT answer (ms): a 9600-baud printer answers within a few ms. */
const PRINTER_PROBE_MS = 300;
/** Maintenance mode keeps kicking the watchdog (it cannot be turned off once enabled). */
const MAINTENANCE_KICK_MS = 1000;
/** Key held at power-up to leave the console to the REPL (way back n° 2). */
const MAINTENANCE_KEY = '*';

/** process.env.BOARD (Espruino board file name) → carnet board id (boards/index.ts). */
function boardIdOf(espruinoBoard: string): string {
  if (espruinoBoard === 'ESPRUINOWIFI') return 'wifi';
  if (espruinoBoard === 'JOLTJS') return 'joltjs';
  return 'pico';
}

/**
 * SHA-256: Espruino's native `crypto` where the board has it (Pico, WiFi, MDBT42Q), else the portable
 * one from the protocol (Jolt.js has no `crypto` module: ../shared/espruino/FACTS.md, boards table).
 */
function pickSha256(): (data: Uint8Array) => Uint8Array {
  try {
    const c = require('crypto') as EspruinoCryptoModule;
    if (c && typeof c.SHA256 === 'function') return createNativeSha256(c);
  } catch {
    // "Module crypto not found": fall through to the portable implementation.
  }
  return portableSha256;
}

function busByName(name: string): unknown {
  // Buses by name (board data is plain strings); an unknown name is a board file error.
  if (name === 'I2C1') return I2C1;
  if (name === 'I2C2') return I2C2;
  if (name === 'Serial1') return Serial1;
  if (name === 'Serial2') return Serial2;
  throw { code: 'BOARD_BUS', message: 'bus inconnu dans le fichier de carte : ' + name };
}

function pinsOf(names: string[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < names.length; i++) out.push(Pin(names[i]));
  return out;
}

/** Receipt lines as ESC/POS (drivers/escpos: code page PC858 for é è à ç €), fed past the tear bar. */
function escposReceipt(lines: string[]): Uint8Array {
  const p = new EscPos().init();
  for (let i = 0; i < lines.length; i++) p.line(lines[i]);
  return p.feed(3).cut().build();
}

/** Ed25519 that refuses everything: used when the native blob cannot be opened (no payments then). */
function refusingEd25519(reason: string): Ed25519 {
  return {
    name: 'indisponible : ' + reason,
    verify: function (): boolean {
      return false;
    },
    sign: function (): Uint8Array {
      throw { code: 'ED25519_UNAVAILABLE', message: reason };
    },
    publicKey: function (): Uint8Array {
      throw { code: 'ED25519_UNAVAILABLE', message: reason };
    },
  };
}

function start(): void {
  const found = boardById(boardIdOf(process.env.BOARD));
  if (found === null) throw { code: 'BOARD_UNKNOWN', message: 'carte inconnue : ' + process.env.BOARD };
  const board: Board = found;
  const storage = require('Storage') as EspruinoStorageModule;
  const later = function (f: () => void, ms: number): void {
    setTimeout(f, ms);
  };

  // Watchdog first: a hang anywhere below restarts the reader, whose log reopens intact.
  const watchdog = createWatchdog(E, WATCHDOG_SECONDS);
  const clock = createClock(getTime, setTime);

  // Buses (the NFC reader and the display may share one or use two).
  const nfcBus = busByName(board.nfc.bus) as EspruinoI2C;
  nfcBus.setup({ scl: Pin(board.nfc.scl), sda: Pin(board.nfc.sda), bitrate: board.nfc.bitrate });
  const displayBus = busByName(board.display.bus) as EspruinoI2C;
  if (board.display.bus !== board.nfc.bus) {
    displayBus.setup({
      scl: Pin(board.display.scl),
      sda: Pin(board.display.sda),
      bitrate: board.display.bitrate,
    });
  }
  const uart = busByName(board.printer.uart) as EspruinoSerial;
  if (uart.setup !== undefined) {
    uart.setup(board.printer.baud, { tx: Pin(board.printer.tx), rx: Pin(board.printer.rx) });
  }
  const irqPin = Pin(board.nfc.irq);
  pinMode(irqPin, 'input_pullup');
  const resetPin = Pin(board.nfc.reset);
  pinMode(resetPin, 'output');
  digitalWrite(resetPin, 0); // PN532 RSTPDN low: held in reset until the buses are ready

  // Keypad: rows driven, columns with pull-ups (drivers/keypad).
  const rows = pinsOf(board.keypad.rows);
  const cols = pinsOf(board.keypad.cols);
  for (let i = 0; i < rows.length; i++) {
    pinMode(rows[i], 'output');
    digitalWrite(rows[i], 1);
  }
  for (let i = 0; i < cols.length; i++) pinMode(cols[i], 'input_pullup');
  const scanKeys = createKeypadMatrixReader(rows, cols, digitalWrite, digitalRead);
  const keepConsole = decodeScan(scanKeys()) === KEYMAP.indexOf(MAINTENANCE_KEY);
  const buzzerPin = Pin(board.buzzer.pin);

  // Display: the OLED when it answers on I2C; the console too until the reader takes it.
  let oled: Ssd1306Display | null = new Ssd1306Display({
    write: function (bytes: Uint8Array): void {
      displayBus.writeTo(board.display.address, bytes);
    },
  });
  try {
    oled.init();
  } catch {
    oled = null; // no display acknowledged its address: the reader still works, the console shows
  }
  let consoleTaken = false;
  const display: Display = {
    show: function (lines: string[]): void {
      if (oled !== null) {
        try {
          oled.show(lines);
        } catch {
          oled = null; // the display went away mid-session: keep selling
        }
      }
      if (!consoleTaken) console.log('[carnet] ' + lines.join(' | '));
    },
  };

  const pn = new Pn532(
    createPn532Bus(nfcBus, board.nfc.address, function (): number {
      return digitalRead(irqPin);
    }),
    { ms: clock.ms },
  );

  // Native Ed25519 (issue 3): the Thumb blob in Storage, or nothing (the reader then refuses payments).
  const ed = openNativeEd25519(E, storage as unknown as EspruinoStorage, process.env.BOARD);
  const ed25519 = ed.ok ? ed.value : refusingEd25519(ed.message);

  let printerAnswered = false;

  function run(nfcPresent: boolean): void {
    uart.removeAllListeners('data');
    const devices: Devices = {
      card: new NtagTransport(pn),
      printer: createSerialPrinter(
        createChunkedWriter(uart, later, SERIAL_CHUNK_DELAY_MS),
        function (): boolean {
          return printerAnswered;
        },
      ),
      display: display,
      buzzer: createBuzzer(
        function (duty: number, hz: number): void {
          analogWrite(buzzerPin, duty, { freq: hz });
        },
        function (): void {
          digitalWrite(buzzerPin, 0);
        },
        later,
      ),
      clock: clock,
      rng: createRng(E),
      flash: createStorageFlash(storage),
      host: createUsbLink(createChunkedWriter(USB, later, SERIAL_CHUNK_DELAY_MS)),
      watchdog: watchdog,
    };

    // Self-test report on the display and the console, before the console is taken.
    const problems: string[] = [];
    if (!nfcPresent) problems.push('Lecteur NFC absent');
    if (!printerAnswered) problems.push('Imprimante absente');
    if (!ed.ok) problems.push('Ed25519 indisponible');
    if (problems.length > 0) display.show(['carnet : autotest'].concat(problems));
    if (!ed.ok) console.log('[carnet] ' + ed.code + ' : ' + ed.message);

    const reader: Reader = createReader(
      devices,
      { sha256: pickSha256(), ed25519: ed25519 },
      {
        firmwareVersion: process.env.VERSION + ' carnet ' + CARNET_VERSION,
        board: process.env.BOARD,
        resetCause: 0,
        nfcPresent: nfcPresent,
        logSegments: 0,
        logSegmentBytes: 0,
        encodeReceipt: escposReceipt,
      },
    );

    if (keepConsole) {
      console.log('[carnet] touche ' + MAINTENANCE_KEY + ' tenue au démarrage : console laissée au REPL');
    } else {
      // FACTS.md "Host link": take the USB port for the binary protocol.
      E.setConsole(null, { force: true });
      consoleTaken = true;
      USB.on('data', function (d: string): void {
        reader.onHostBytes(bytesOfString(d));
      });
    }
    reader.boot();

    let keys: DebounceState = initialDebounce();
    const keyTimer = setInterval(function (): void {
      const step = debounce(keys, decodeScan(scanKeys()), clock.ms());
      keys = step.state;
      if (step.pressed !== null) reader.onKey(step.pressed);
    }, SCAN_PERIOD_MS);
    const tickTimer = setInterval(function (): void {
      watchdog.kick();
      reader.onTick();
      if (reader.wantsMaintenance()) {
        // Way back n° 3: signed MAINTENANCE command. Stop the reader, give the console back.
        clearInterval(tickTimer);
        clearInterval(keyTimer);
        USB.removeAllListeners('data');
        E.setConsole(USB, { force: true });
        consoleTaken = false;
        display.show(['Maintenance', 'console USB rendue']);
        setInterval(function (): void {
          watchdog.kick();
        }, MAINTENANCE_KICK_MS);
      }
    }, TICK_MS);
  }

  setTimeout(function (): void {
    digitalWrite(resetPin, 1); // PN532 out of reset
    setTimeout(function (): void {
      watchdog.kick();
      const nfcPresent = !isCardFailure(pn.begin());
      // Printer presence: DLE EOT 1 (real-time status); any byte back means a printer is on the UART.
      uart.on('data', function (): void {
        printerAnswered = true;
      });
      uart.write(new Uint8Array(PRINTER_STATUS_QUERY));
      setTimeout(function (): void {
        run(nfcPresent);
      }, PRINTER_PROBE_MS);
    }, PN532_BOOT_MS);
  }, 10);
}

start();
