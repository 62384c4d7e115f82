// PN532 driver over an injected I2C-like bus (NXP PN532 User Manual UM0701-02). No Espruino globals:
// platform/espruino wraps I2C1.writeTo/readFrom and digitalRead(IRQ) into a Pn532Bus, the simulator
// wraps the virtual PN532 (test/sim/virtual-pn532.ts). Synchronous, like Espruino's I2C.
//
// I2C link (§6.2.4): the host writes a whole frame; the PN532 pulls IRQ low when it has something to
// say; every host read starts with a status byte whose bit 0 is RDY. A command is answered first by an
// ACK frame, then by the response frame (§6.2.2). We wait on the IRQ line with short polls against a
// millisecond clock instead of fixed 10 ms sleeps: the tap budget has no room for them.

import { CARD_GONE, CARD_NAK, CARD_READER_FAULT, CardFailure, isCardFailure } from '../../hal/devices';
import {
  ACK_FRAME,
  FRAME_ACK,
  FRAME_DATA,
  FRAME_ERROR,
  FRAME_OVERHEAD,
  parseFrameAt,
  TFI_PN532,
  buildCommandFrame,
} from './frame';

/** The PN532's 7-bit I2C address (UM0701 §6.2.4: 0x48 write / 0x49 read). */
export const PN532_I2C_ADDRESS = 0x24;

/** Command codes (UM0701 §7). The response code is the command code + 1. */
export const CMD_GET_FIRMWARE_VERSION = 0x02;
export const CMD_SAM_CONFIGURATION = 0x14;
export const CMD_RF_CONFIGURATION = 0x32;
export const CMD_IN_DATA_EXCHANGE = 0x40;
export const CMD_IN_COMMUNICATE_THRU = 0x42;
export const CMD_IN_LIST_PASSIVE_TARGET = 0x4a;
export const CMD_IN_RELEASE = 0x52;

/** GetFirmwareVersion's IC byte for a PN532 (§7.2.2). */
export const PN532_IC = 0x32;

/** InListPassiveTarget BrTy 0x00: 106 kbit/s type A, ISO/IEC 14443-3 (§7.3.5). */
export const BRTY_106_TYPE_A = 0x00;

/**
 * Error codes of the status byte of In* responses (UM0701 §7.1, table "Error code list"); bits 0..5.
 * The first group means the card stopped answering properly: it left the field or is leaving it.
 */
export const ERR_TIMEOUT = 0x01;
export const ERR_CRC = 0x02;
export const ERR_PARITY = 0x03;
export const ERR_BIT_COUNT = 0x04;
export const ERR_FRAMING = 0x05;
export const ERR_COLLISION = 0x06;
export const ERR_RF_PROTOCOL = 0x0b;
export const ERR_TARGET_RELEASED = 0x29;
export const ERR_CARD_DISAPPEARED = 0x2b;
/** MIFARE authentication error: what InDataExchange reports when a MIFARE-class tag answers NAK. */
export const ERR_MIFARE_AUTH = 0x14;

/** Time for the ACK after a command: the PN532 acknowledges within about 1 ms (§6.2.2); 5 ms of margin. */
export const ACK_TIMEOUT_MS = 5;
/**
 * Host-side wait for a response to an exchange with the card. The PN532's own RF timeout (set to 12.8 ms
 * by begin(), see RF_RETRY_TIMEOUT) answers first with status 0x01; this host timeout only fires when
 * the PN532 itself went silent, which is a reader fault.
 */
export const EXCHANGE_TIMEOUT_MS = 30;
/** InListPassiveTarget with MxRtyPassiveActivation = 1 (see begin()) gives up after one or two polls. */
export const LIST_TIMEOUT_MS = 40;
/** Slow commands at start-up (SAMConfiguration, GetFirmwareVersion after a reset). */
export const SETUP_TIMEOUT_MS = 50;
/**
 * RFConfiguration item 0x02 fRetryTimeout code 0x08 = 12.8 ms (UM0701 §7.3.1, codes double from 0x01 =
 * 100 µs): the PN532's wait for a card answer in InCommunicateThru. It must cover an NTAG WRITE, whose
 * EEPROM programming takes up to 10 ms (NTAG21x datasheet §10.4), and be short enough that a card pulled
 * away costs little.
 */
export const RF_RETRY_TIMEOUT = 0x08;
/** fATR_RES_Timeout code 0x0B = 102.4 ms (the power-on default; we never use ATR). */
export const RF_ATR_TIMEOUT = 0x0b;
/** MxRtyPassiveActivation = 1: InListPassiveTarget tries once more then answers "no target" (§7.3.1). */
export const RF_PASSIVE_RETRIES = 0x01;

/**
 * Most response data bytes one exchange may return: a normal frame's LEN ≤ 255 covers TFI, response
 * code and status byte (§6.2.1.1), leaving 252. Callers split larger reads (NTAG FAST_READ).
 */
export const MAX_EXCHANGE_DATA = 252;

/** The host link the driver needs: whole-frame writes, reads with the I2C status byte first, IRQ. */
export interface Pn532Bus {
  write(bytes: Uint8Array): void;
  /** Reads `n` bytes; byte 0 is the PN532's I2C status byte (bit 0 = ready). */
  read(n: number): Uint8Array;
  /** True when the PN532 has data for the host (its IRQ line is low). */
  irq(): boolean;
}

export interface MsClock {
  ms(): number;
}

/** A type A target found by InListPassiveTarget (§7.3.5, response for BrTy 0x00). */
export interface Pn532Target {
  tg: number;
  /** SENS_RES (ATQA), 2 bytes as sent by the PN532 (NTAG21x: 00 44). */
  sensRes: number;
  /** SEL_RES (SAK): 0x00 for NTAG21x. */
  selRes: number;
  uid: Uint8Array;
}

/** Link counters, read by the tap-budget benchmark (firmware/bench/tap-budget.ts). */
export interface Pn532Stats {
  commands: number;
  bytesWritten: number;
  bytesRead: number;
  writes: number;
  reads: number;
  polls: number;
}

function fail(error: string, detail: string): CardFailure {
  return { error: error, detail: detail };
}

/**
 * Maps an In* status byte to the HAL's words (house style 5: the driver translates at its boundary).
 * 0 → null (success).
 */
export function mapStatus(status: number): CardFailure | null {
  const code = status & 0x3f;
  if (code === 0) return null;
  const hex = '0x' + (code < 16 ? '0' : '') + code.toString(16);
  if (
    code === ERR_TIMEOUT ||
    code === ERR_CRC ||
    code === ERR_PARITY ||
    code === ERR_BIT_COUNT ||
    code === ERR_FRAMING ||
    code === ERR_COLLISION ||
    code === ERR_RF_PROTOCOL ||
    code === ERR_TARGET_RELEASED ||
    code === ERR_CARD_DISAPPEARED
  ) {
    return fail(CARD_GONE, 'PN532 status ' + hex);
  }
  if (code === ERR_MIFARE_AUTH) return fail(CARD_NAK, 'PN532 status ' + hex);
  return fail(CARD_READER_FAULT, 'PN532 status ' + hex);
}

export class Pn532 {
  bus: Pn532Bus;
  clock: MsClock;
  stats: Pn532Stats;

  constructor(bus: Pn532Bus, clock: MsClock) {
    this.bus = bus;
    this.clock = clock;
    this.stats = { commands: 0, bytesWritten: 0, bytesRead: 0, writes: 0, reads: 0, polls: 0 };
  }

  /** Polls IRQ until ready or `timeoutMs` elapsed. */
  waitReady(timeoutMs: number): boolean {
    const start = this.clock.ms();
    for (;;) {
      this.stats.polls++;
      if (this.bus.irq()) return true;
      if (this.clock.ms() - start > timeoutMs) return false;
    }
  }

  busWrite(bytes: Uint8Array): void {
    this.stats.writes++;
    this.stats.bytesWritten += bytes.length;
    this.bus.write(bytes);
  }

  busRead(n: number): Uint8Array {
    this.stats.reads++;
    this.stats.bytesRead += n;
    return this.bus.read(n);
  }

  /**
   * Sends one command and returns the response's data (after the response code), or a failure.
   * `maxData` bounds the response data, so one I2C read of exactly the right size fetches it.
   */
  command(cmd: number, params: Uint8Array, maxData: number, timeoutMs: number): Uint8Array | CardFailure {
    this.stats.commands++;
    try {
      this.busWrite(buildCommandFrame(cmd, params));
      if (!this.waitReady(ACK_TIMEOUT_MS)) return fail(CARD_READER_FAULT, 'PN532: pas d’ACK');
      const ack = this.busRead(1 + ACK_FRAME.length);
      if ((ack[0] & 1) !== 1 || parseFrameAt(ack, 1).kind !== FRAME_ACK) {
        return fail(CARD_READER_FAULT, 'PN532: ACK invalide');
      }
      if (!this.waitReady(timeoutMs)) {
        // UM0701 §6.2.1.3: an ACK from the host aborts the command in progress.
        this.busWrite(new Uint8Array(ACK_FRAME));
        return fail(CARD_READER_FAULT, 'PN532: pas de réponse');
      }
      // Response frame: TFI, response code, data → FRAME_OVERHEAD + 2 + data; plus the status byte.
      const raw = this.busRead(1 + FRAME_OVERHEAD + 2 + maxData);
      if ((raw[0] & 1) !== 1) return fail(CARD_READER_FAULT, 'PN532: pas prêt');
      const f = parseFrameAt(raw, 1);
      if (f.kind === FRAME_ERROR) return fail(CARD_READER_FAULT, 'PN532: erreur de syntaxe');
      if (f.kind !== FRAME_DATA) return fail(CARD_READER_FAULT, 'PN532: trame invalide');
      if (f.body.length < 2 || f.body[0] !== TFI_PN532 || f.body[1] !== cmd + 1) {
        return fail(CARD_READER_FAULT, 'PN532: réponse inattendue');
      }
      return new Uint8Array(f.body.subarray(2));
    } catch (e) {
      // Espruino's I2C throws when the address is not acknowledged (no PN532, or wiring).
      return fail(CARD_READER_FAULT, 'PN532: bus ' + String(e));
    }
  }

  /** GetFirmwareVersion (§7.2.2): [IC, Ver, Rev, Support]; IC must be 0x32. */
  getFirmwareVersion(): Uint8Array | CardFailure {
    const r = this.command(CMD_GET_FIRMWARE_VERSION, new Uint8Array(0), 4, SETUP_TIMEOUT_MS);
    if (isCardFailure(r)) return r;
    if (r.length !== 4 || r[0] !== PN532_IC) return fail(CARD_READER_FAULT, 'PN532: version inattendue');
    return r;
  }

  /**
   * Start-up: SAMConfiguration normal mode with IRQ (§7.2.10), the RF timings and the passive
   * activation retries (RFConfiguration items 0x02 and 0x05, §7.3.1). Returns the firmware version.
   */
  begin(): Uint8Array | CardFailure {
    const v = this.getFirmwareVersion();
    if (isCardFailure(v)) return v;
    // Mode 0x01 normal (no SAM), timeout 0x14 (×50 ms, only used in virtual card mode), IRQ used.
    const sam = this.command(CMD_SAM_CONFIGURATION, new Uint8Array([0x01, 0x14, 0x01]), 0, SETUP_TIMEOUT_MS);
    if (isCardFailure(sam)) return sam;
    const t = this.command(
      CMD_RF_CONFIGURATION,
      new Uint8Array([0x02, 0x00, RF_ATR_TIMEOUT, RF_RETRY_TIMEOUT]),
      0,
      SETUP_TIMEOUT_MS,
    );
    if (isCardFailure(t)) return t;
    // MxRtyATR 0xFF (default), MxRtyPSL 0x01 (default), MxRtyPassiveActivation: see RF_PASSIVE_RETRIES.
    const r = this.command(
      CMD_RF_CONFIGURATION,
      new Uint8Array([0x05, 0xff, 0x01, RF_PASSIVE_RETRIES]),
      0,
      SETUP_TIMEOUT_MS,
    );
    if (isCardFailure(r)) return r;
    return v;
  }

  /** InListPassiveTarget, one target, 106 kbit/s type A (§7.3.5). null when no card answered. */
  listPassiveTarget(): Pn532Target | null | CardFailure {
    // Response: NbTg, Tg, SENS_RES(2), SEL_RES, NFCIDLength, NFCID1 (≤ 10, ISO/IEC 14443-3 triple size),
    // and ATS for ISO-DEP cards (not NTAG; we read at most 16 bytes of it).
    const r = this.command(
      CMD_IN_LIST_PASSIVE_TARGET,
      new Uint8Array([0x01, BRTY_106_TYPE_A]),
      6 + 10 + 16,
      LIST_TIMEOUT_MS,
    );
    if (isCardFailure(r)) return r;
    if (r.length < 1) return fail(CARD_READER_FAULT, 'PN532: InListPassiveTarget vide');
    if (r[0] === 0) return null;
    if (r.length < 6) return fail(CARD_GONE, 'PN532: cible tronquée');
    const uidLen = r[5];
    if (uidLen === 0 || 6 + uidLen > r.length) return fail(CARD_GONE, 'PN532: UID tronqué');
    return {
      tg: r[1],
      sensRes: (r[2] << 8) | r[3],
      selRes: r[4],
      uid: new Uint8Array(r.subarray(6, 6 + uidLen)),
    };
  }

  /**
   * InCommunicateThru (§7.3.9): sends raw bytes to the selected card (the PN532 adds the CRC) and returns
   * its answer. A 4-bit ACK/NAK (NTAG21x §9.3) arrives as one data byte.
   */
  communicateThru(data: Uint8Array, maxData: number): Uint8Array | CardFailure {
    const r = this.command(CMD_IN_COMMUNICATE_THRU, data, 1 + maxData, EXCHANGE_TIMEOUT_MS);
    if (isCardFailure(r)) return r;
    if (r.length < 1) return fail(CARD_READER_FAULT, 'PN532: statut absent');
    const st = mapStatus(r[0]);
    if (st !== null) return st;
    return new Uint8Array(r.subarray(1));
  }

  /** InDataExchange (§7.3.8) with target `tg`: same shape as communicateThru. */
  dataExchange(tg: number, data: Uint8Array, maxData: number): Uint8Array | CardFailure {
    const p = new Uint8Array(data.length + 1);
    p[0] = tg;
    p.set(data, 1);
    const r = this.command(CMD_IN_DATA_EXCHANGE, p, 1 + maxData, EXCHANGE_TIMEOUT_MS);
    if (isCardFailure(r)) return r;
    if (r.length < 1) return fail(CARD_READER_FAULT, 'PN532: statut absent');
    const st = mapStatus(r[0]);
    if (st !== null) return st;
    return new Uint8Array(r.subarray(1));
  }

  /** InRelease of every target (§7.3.11), then nothing is selected. */
  release(): null | CardFailure {
    const r = this.command(CMD_IN_RELEASE, new Uint8Array([0x00]), 1, EXCHANGE_TIMEOUT_MS);
    if (isCardFailure(r)) return r;
    return null;
  }

  /** RF field off (RFConfiguration item 0x01, §7.3.1): saves power between taps and resets the card. */
  rfOff(): null | CardFailure {
    const r = this.command(CMD_RF_CONFIGURATION, new Uint8Array([0x01, 0x00]), 0, SETUP_TIMEOUT_MS);
    if (isCardFailure(r)) return r;
    return null;
  }
}
