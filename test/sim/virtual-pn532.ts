// A virtual PN532 at frame level on an I2C-like bus, with a virtual clock. It implements the driver's
// Pn532Bus and MsClock, so the REAL drivers (firmware/src/drivers/pn532, ntag) run against it byte for
// byte: host frame in → ACK frame → response frame, each read prefixed by the I2C status byte, IRQ
// "low" when a frame is ready (NXP PN532 User Manual UM0701-02 §6.2).
//
// Time: every bus transfer, IRQ poll and RF exchange advances `nowUs` by a model of its duration, so the
// tap-budget benchmark (firmware/bench/tap-budget.ts) reads link and air time off a real run.
// The RF model follows ISO/IEC 14443-2/3 at 106 kbit/s and the NTAG21x datasheet timings collected in
// ../shared/nfc/FACTS.md; figures marked "estimate" are not from a datasheet.

import {
  ACK_FRAME,
  FRAME_ACK,
  FRAME_DATA,
  Pn532FrameParser,
  TFI_HOST,
  TFI_PN532,
  buildFrame,
} from '../../firmware/src/drivers/pn532/frame';
import type { MsClock, Pn532Bus } from '../../firmware/src/drivers/pn532/pn532';
import { VirtualNtag } from './virtual-ntag';

export interface Pn532Timing {
  /** I2C clock (Hz). */
  i2cHz: number;
  /** Host cost of one IRQ poll (a digitalRead from JS on Espruino): estimate. */
  pollUs: number;
  /** PN532 firmware time to parse a command and start answering: estimate (UM0701 gives none). */
  processingUs: number;
  /** REQA/ATQA + 2 × (anticollision + select) for a 7-byte UID (FACTS: ≈ 4-5 ms). */
  activationUs: number;
  /** InListPassiveTarget when no card answers (MxRtyPassiveActivation = 1): estimate. */
  noCardUs: number;
  /** One byte on air at 106 kbit/s: 9 bits (8 + parity) × 9.44 µs. */
  nfcByteUs: number;
  /** Start and end of frame on air (2 bit times). */
  sofEofUs: number;
  /** Frame delay time PCD → PICC (ISO/IEC 14443-3 §6.2.1.1: 1172/fc ≈ 86 µs). */
  fdtUs: number;
  /** The 4-bit ACK/NAK on air (FACTS: 57 µs). */
  nibbleUs: number;
  /** NTAG EEPROM programming per WRITE (datasheet: 3-5 ms typical, 10 ms max). */
  writeProgramUs: number;
}

export const DEFAULT_TIMING: Pn532Timing = {
  i2cHz: 400000,
  pollUs: 20,
  processingUs: 300,
  activationUs: 4500,
  noCardUs: 3000,
  nfcByteUs: 85,
  sofEofUs: 19,
  fdtUs: 86,
  nibbleUs: 57,
  writeProgramUs: 4000,
};

/** Behaviour on the bus: answering, absent (address not acknowledged: Espruino's I2C throws), or mute. */
export type Pn532Mode = 'ok' | 'absent' | 'mute';

/** One command as the virtual chip handled it, for the benchmark's breakdown. */
export interface Pn532CommandLog {
  cmd: number;
  /** First data byte (for InCommunicateThru: the NTAG command code). */
  sub: number;
  bytesIn: number;
  bytesOut: number;
  airUs: number;
}

interface Pending {
  bytes: Uint8Array;
  readyAt: number;
}

/** Normal-frame limit on data after TFI, response code and status (UM0701 §6.2.1.1). */
const MAX_DATA = 252;

export class VirtualPn532 implements Pn532Bus, MsClock {
  t: Pn532Timing;
  card: VirtualNtag | null;
  mode: Pn532Mode;
  nowUs = 0;
  /** Microseconds spent on the I2C wire, on air (RF), in PN532 processing, and in host polls. */
  linkUs = 0;
  airUs = 0;
  procUs = 0;
  pollsUs = 0;
  log: Pn532CommandLog[] = [];
  fieldOn = true;
  /** InCommunicateThru timeout set by RFConfiguration item 0x02 (power-on default 0x0A ≈ 51.2 ms). */
  retryTimeoutUs = 51200;
  /** Flips a bit in the next response frame's data (a glitch on the wire): tests the DCS check. */
  corruptNext = false;
  private queue: Pending[] = [];
  private parser = new Pn532FrameParser();

  constructor(card: VirtualNtag | null, mode: Pn532Mode = 'ok', timing: Pn532Timing = DEFAULT_TIMING) {
    this.card = card;
    this.mode = mode;
    this.t = timing;
  }

  ms(): number {
    return this.nowUs / 1000;
  }

  /** Advances the clock (host work between bus calls). */
  advance(us: number): void {
    this.nowUs += us;
  }

  /** One I2C transaction of `n` data bytes: START + address + n bytes (9 clocks each with ACK) + STOP. */
  i2cUs(n: number): number {
    return ((n + 1) * 9 + 2) * (1e6 / this.t.i2cHz);
  }

  /** Air time of a frame of `n` bytes + CRC_A (ISO/IEC 14443-3 §6.2.4). */
  frameUs(n: number): number {
    return (n + 2) * this.t.nfcByteUs + this.t.sofEofUs;
  }

  resetCounters(): void {
    this.linkUs = 0;
    this.airUs = 0;
    this.procUs = 0;
    this.pollsUs = 0;
    this.log = [];
  }

  write(bytes: Uint8Array): void {
    if (this.mode === 'absent') throw new Error('I2C: adresse 0x24 sans ACK');
    const d = this.i2cUs(bytes.length);
    this.nowUs += d;
    this.linkUs += d;
    if (this.mode === 'mute') return;
    const frames = this.parser.push(bytes);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (f.kind === FRAME_ACK) {
        this.queue = []; // §6.2.1.3: an ACK from the host aborts the current command
      } else if (f.kind === FRAME_DATA && f.body.length >= 2 && f.body[0] === TFI_HOST) {
        this.handle(f.body[1], f.body.subarray(2));
      }
      // A frame with a bad checksum is ignored: no ACK, the host times out (§6.2.2).
    }
  }

  irq(): boolean {
    this.nowUs += this.t.pollUs;
    this.pollsUs += this.t.pollUs;
    return this.queue.length > 0 && this.queue[0].readyAt <= this.nowUs;
  }

  read(n: number): Uint8Array {
    if (this.mode === 'absent') throw new Error('I2C: adresse 0x24 sans ACK');
    const d = this.i2cUs(n);
    this.nowUs += d;
    this.linkUs += d;
    const out = new Uint8Array(n);
    if (this.queue.length === 0 || this.queue[0].readyAt > this.nowUs - d) return out; // status 0: busy
    const p = this.queue.shift() as Pending;
    out[0] = 0x01;
    out.set(p.bytes.subarray(0, n - 1), 1);
    if (this.corruptNext && p.bytes.length > 8) {
      this.corruptNext = false;
      out[1 + 7] ^= 0x04; // first data byte after TFI and response code
    }
    return out;
  }

  private respond(cmd: number, data: Uint8Array, airUs: number, sub: number, bytesIn: number): void {
    const ackAt = this.nowUs + this.t.processingUs;
    this.queue.push({ bytes: new Uint8Array(ACK_FRAME), readyAt: ackAt });
    this.queue.push({ bytes: buildFrame(TFI_PN532, cmd + 1, data), readyAt: ackAt + airUs });
    this.airUs += airUs;
    this.procUs += this.t.processingUs;
    this.log.push({ cmd: cmd, sub: sub, bytesIn: bytesIn, bytesOut: data.length, airUs: airUs });
  }

  /** Sends raw bytes to the card; returns [status, data...] and the air time. */
  private thru(data: Uint8Array): { resp: Uint8Array; air: number } {
    let air = this.frameUs(data.length);
    const card = this.fieldOn ? this.card : null;
    const r = card === null ? null : card.transceive(data);
    if (r === null) {
      // No answer: the PN532 waits for its RF timeout, then reports status 0x01 (UM0701 §7.1).
      return { resp: new Uint8Array([0x01]), air: air + this.retryTimeoutUs };
    }
    air += this.t.fdtUs;
    if (data[0] === 0xa2 && r.length === 1 && r[0] === 0x0a) air += this.t.writeProgramUs;
    air += r.length === 1 ? this.t.nibbleUs : this.frameUs(r.length);
    if (r.length > MAX_DATA) return { resp: new Uint8Array([0x09]), air: air }; // RF buffer overflow
    const resp = new Uint8Array(r.length + 1);
    resp.set(r, 1);
    return { resp: resp, air: air };
  }

  private handle(cmd: number, p: Uint8Array): void {
    const sub = p.length > 0 ? p[0] : -1;
    switch (cmd) {
      case 0x02: // GetFirmwareVersion: PN532 v1.6, supports ISO/IEC 14443 A and B and ISO 18092
        this.respond(cmd, new Uint8Array([0x32, 0x01, 0x06, 0x07]), 0, sub, p.length);
        return;
      case 0x14: // SAMConfiguration
        this.respond(cmd, new Uint8Array(0), 0, sub, p.length);
        return;
      case 0x32: // RFConfiguration
        if (p[0] === 0x01) {
          this.fieldOn = (p[1] & 1) === 1;
          if (!this.fieldOn && this.card !== null) this.card.active = false; // the card loses power
        } else if (p[0] === 0x02 && p.length >= 4) {
          this.retryTimeoutUs = p[3] === 0 ? 1e9 : 100 * (1 << (p[3] - 1));
        }
        this.respond(cmd, new Uint8Array(0), 0, sub, p.length);
        return;
      case 0x4a: {
        // InListPassiveTarget, MaxTg 1, 106 kbit/s type A
        this.fieldOn = true; // the PN532 switches the field on by itself (RF auto)
        const u = this.card === null ? null : this.card.select();
        if (u === null) {
          this.respond(cmd, new Uint8Array([0x00]), this.t.noCardUs, sub, p.length);
          return;
        }
        const out = new Uint8Array(6 + u.length);
        out.set([0x01, 0x01, 0x00, 0x44, 0x00, u.length], 0); // NbTg, Tg, SENS_RES 0044, SEL_RES 00
        out.set(u, 6);
        this.respond(cmd, out, this.t.activationUs, sub, p.length);
        return;
      }
      case 0x42: {
        const r = this.thru(p);
        this.respond(cmd, r.resp, r.air, p.length > 0 ? p[0] : -1, p.length);
        return;
      }
      case 0x40: {
        const r = this.thru(p.subarray(1));
        this.respond(cmd, r.resp, r.air, p.length > 1 ? p[1] : -1, p.length);
        return;
      }
      case 0x52: // InRelease
        if (this.card !== null) this.card.active = false;
        this.respond(cmd, new Uint8Array([0x00]), 0, sub, p.length);
        return;
      default: {
        // Unknown command: ACK then the syntax-error frame (§6.2.1.5).
        const ackAt = this.nowUs + this.t.processingUs;
        this.queue.push({ bytes: new Uint8Array(ACK_FRAME), readyAt: ackAt });
        this.queue.push({
          bytes: new Uint8Array([0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00]),
          readyAt: ackAt,
        });
      }
    }
  }
}
