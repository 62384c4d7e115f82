// The reader's assembly (issue 4, "core"): state machines of firmware/src/app, the serial service of
// firmware/src/service, over the HAL of firmware/src/hal. The shell (main.ts on Espruino, test/sim on
// Node) owns the event sources and calls the methods below; nothing here touches an Espruino global.
//
// PUBLIC API (stable; the build helper imports it from main.ts and the vm runner):
//
//   export interface ReaderCrypto { sha256: Sha256; ed25519: Ed25519 }
//     sha256: protocol/src/crypto/sha256.ts in Node, Espruino's native crypto.SHA256 wrapped to return
//     a Uint8Array on the board; ed25519: firmware/src/hal/crypto.ts.
//   export interface ReaderOptions {
//     firmwareVersion: string;  // ASCII, ≤ 24 bytes (log BOOT record), e.g. '2v29 carnet 0.1.0'
//     board: string;            // ASCII, ≤ 16 bytes, e.g. 'PICO_R1_3'
//     resetCause: number;       // 0..255, logged in the BOOT record
//     nfcPresent: boolean;      // self-test result of the shell (PN532 answered)
//     logSegments: number;      // number of log segment files (0 = default LOG_SEGMENTS)
//     logSegmentBytes: number;  // size of each (0 = default LOG_SEGMENT_BYTES)
//     encodeReceipt?: ((lines: string[]) => Uint8Array) | null; // absent: escposReceipt (CP858)
//   }
//   export interface Reader {
//     boot(): void;                 // open flash, recover the log, show the idle screen
//     onKey(k: string): void;       // '0'..'9', 'A'..'D', '*', '#'
//     onTick(): void;               // call every ~100 ms: watchdog kick, link retransmission, screen
//                                   // timeouts, and card polling while "Présentez / Reposez la carte"
//     onHostBytes(b: Uint8Array): void; // raw bytes from the USB link (SLIP-framed protocol)
//     pollCard(): void;             // detect a card and run a tap if one is present; the shell may also
//                                   // call it when idle: a tap with no amount typed is a balance inquiry
//     wantsMaintenance(): boolean;  // true after a signed MAINTENANCE command: the shell gives the REPL back
//   }
//   export function createReader(devices: Devices, crypto: ReaderCrypto, options: ReaderOptions): Reader
//     (returns ReaderInternals, a Reader plus `core`, `service`, `ui()`, `lastReceipt()` for tests)
//
// Keys: 0-9 digits, '*' correction (deletes the last digit; on other screens: back / cancel), '#' validate,
// 'A' balance inquiry (tap without amount), 'B' reprint last receipt, 'C' cancel last sale (refund),
// 'D' day close (Z report).

import { Devices, isCardFailure } from './hal/devices';
import { Ed25519 } from './hal/crypto';
import { Sha256 } from '../../protocol/src/crypto/types';
import { ReaderCore, TapOutcome } from './app/core';
import { OP_BALANCE, OP_SALE, UiContext, UiEffect, UiEvent, UiState, initialUi, uiStep } from './app/ui';
import { T } from './app/texts';
import { SerialService } from './service/service';
import { VOID_POWER_LOSS } from '../../protocol/src/structures/log';
import { EscPos } from './drivers/escpos/escpos';

export interface ReaderCrypto {
  sha256: Sha256;
  ed25519: Ed25519;
}

export interface ReaderOptions {
  firmwareVersion: string;
  board: string;
  resetCause: number;
  nfcPresent: boolean;
  logSegments: number;
  logSegmentBytes: number;
  /** Receipt encoder; absent or null: escposReceipt (ESC/POS, CP858). */
  encodeReceipt?: ((lines: string[]) => Uint8Array) | null;
}

export interface Reader {
  boot(): void;
  onKey(k: string): void;
  onTick(): void;
  onHostBytes(b: Uint8Array): void;
  pollCard(): void;
  wantsMaintenance(): boolean;
}

/**
 * Default receipt encoding: ESC/POS with code page 858 (drivers/escpos), so é è à ç and € print right;
 * the first line (vendor) in bold, then a feed past the tear bar and a partial cut.
 */
export function escposReceipt(lines: string[]): Uint8Array {
  const p = new EscPos().init();
  for (let i = 0; i < lines.length; i++) {
    if (i === 0) p.bold(true);
    p.line(lines[i]);
    if (i === 0) p.bold(false);
  }
  return p.feed(4).cut().build();
}

/** The reader's internals, exposed to the simulator and the tests (not part of the shell's API). */
export interface ReaderInternals extends Reader {
  core: ReaderCore;
  service: SerialService;
  ui(): UiState;
  lastReceipt(): string[] | null;
}

export function createReader(
  devices: Devices,
  crypto: ReaderCrypto,
  options: ReaderOptions,
): ReaderInternals {
  const core = new ReaderCore(
    devices,
    crypto.ed25519,
    crypto.sha256,
    options.firmwareVersion,
    options.logSegments,
    options.logSegmentBytes,
  );
  const service = new SerialService(core, devices.host, devices.rng, devices.clock, {
    firmwareVersion: options.firmwareVersion,
    board: options.board,
    nfcPresent: options.nfcPresent,
  });
  let ui = initialUi();
  let latched = false;
  let pendingFromBoot = false;
  let receipt: string[] | null = null;

  function context(): UiContext {
    return { categories: core.config === null ? [] : core.config.categories, notReady: core.notReady() };
  }

  function print(lines: string[]): void {
    receipt = lines;
    if (!devices.printer.present()) return;
    const enc = options.encodeReceipt;
    devices.printer.write(enc === undefined || enc === null ? escposReceipt(lines) : enc(lines));
  }

  function runEffects(fx: UiEffect[]): void {
    for (let i = 0; i < fx.length; i++) {
      const e = fx[i];
      if (e.kind === 'show') {
        devices.display.show(e.lines);
      } else if (e.kind === 'void') {
        core.voidPending(pendingFromBoot ? VOID_POWER_LOSS : e.reason);
        pendingFromBoot = false;
      } else if (e.kind === 'reprint') {
        const r = core.reprint();
        if (r === null) step({ kind: 'result', lines: [T.noReceipt], ms: devices.clock.ms() });
        else print(r);
      } else if (e.kind === 'dayClose') {
        const z = core.dayClose();
        if (z.checkpoint !== null) print(z.lines);
        step({
          kind: 'result',
          lines: z.checkpoint !== null ? [T.dayClosed] : z.lines,
          ms: devices.clock.ms(),
        });
      }
    }
  }

  function step(e: UiEvent): void {
    const r = uiStep(ui, e, context());
    ui = r.state;
    runEffects(r.effects);
  }

  function handle(o: TapOutcome): void {
    if (o.kind === 'none') return;
    if (o.kind === 'torn') {
      step({ kind: 'torn', ms: devices.clock.ms() });
      return;
    }
    latched = true;
    pendingFromBoot = false;
    step({ kind: 'result', lines: o.lines, ms: devices.clock.ms() });
    if (o.receipt !== null) print(o.receipt);
    if (core.run.pending !== null) step({ kind: 'pending', ms: devices.clock.ms() });
  }

  function pollCard(): void {
    if (latched) {
      // One tap per presentation: wait until the card has left the field.
      const t = devices.card.detect();
      if (t === null || isCardFailure(t)) latched = false;
      return;
    }
    if (ui.mode === 'present') {
      handle(core.tap(ui.op, ui.amount, ui.category));
    } else if (ui.mode === 'retap') {
      handle(core.tap(OP_SALE, 0, 0));
    } else if (ui.mode === 'amount' && ui.amount === 0 && core.config !== null) {
      // A tap with no amount typed is a balance inquiry.
      handle(core.tap(OP_BALANCE, 0, 0));
    }
  }

  return {
    core: core,
    service: service,
    ui: function () {
      return ui;
    },
    lastReceipt: function () {
      return receipt;
    },
    boot: function () {
      core.load();
      core.boot(options.resetCause);
      ui = initialUi();
      const lines: string[] = [];
      if (!options.nfcPresent) lines.push(T.noNfc);
      if (!devices.printer.present()) lines.push(T.noPrinter);
      if (lines.length > 0) step({ kind: 'result', lines: lines, ms: devices.clock.ms() });
      else step({ kind: 'tick', ms: devices.clock.ms() });
      if (core.run.pending !== null) {
        pendingFromBoot = true;
        step({ kind: 'pending', ms: devices.clock.ms() });
      }
      devices.watchdog.kick();
    },
    onKey: function (k: string) {
      step({ kind: 'key', key: k, ms: devices.clock.ms() });
    },
    onTick: function () {
      devices.watchdog.kick();
      service.onTick();
      step({ kind: 'tick', ms: devices.clock.ms() });
      if (ui.mode === 'present' || ui.mode === 'retap') pollCard();
    },
    onHostBytes: function (b: Uint8Array) {
      service.onBytes(b);
    },
    pollCard: pollCard,
    wantsMaintenance: function () {
      return core.maintenance;
    },
  };
}
