// A simulated reader: the firmware core (firmware/src/reader.ts) over virtual devices in Node — virtual
// clock, deterministic RNG, flash with power-cut injection, captured display/buzzer/printer/host link —
// plus a host driver that speaks the serial protocol to it and a provisioning helper.

import { createHash } from 'node:crypto';
import { CardFailure, CardTransport, Devices } from '../../firmware/src/hal/devices';
import { Ed25519 } from '../../firmware/src/hal/crypto';
import { openNodeEd25519 } from '../../firmware/src/platform/node/ed25519';
import { ReaderInternals, createReader } from '../../firmware/src/reader';
import { sha256 } from '../../protocol/src/crypto/sha256';
import { CborValue } from '../../protocol/src/cbor';
import {
  FRAME_KIND_ACK,
  FRAME_KIND_DATA,
  Frame,
  FrameStreamDecoder,
  encodeFrameSlip,
} from '../../protocol/src/frame';
import {
  MSG_CHALLENGE,
  MSG_COMMAND,
  MSG_HELLO,
  Message,
  decodeMessage,
  encodeMessage,
} from '../../protocol/src/messages';
import { Command, signCommand } from '../../protocol/src/structures/command';
import { Ed25519Signer } from '../../protocol/src/crypto/types';
import { VirtualFlash } from './virtual-flash';
import { CardMemory } from './card-memory';
import { decodeEscPos } from './virtual-printer';
import { DISPLAY_COLUMNS, RECEIPT_COLUMNS } from '../../firmware/src/app/texts';

/** A Pico's Storage: 48 KB (../shared/espruino/FACTS.md, boards table). */
export const PICO_STORAGE_BYTES = 48 * 1024;

let sharedEd: Ed25519 | null = null;
export function simEd25519(): Ed25519 {
  if (sharedEd === null) sharedEd = openNodeEd25519(() => {});
  return sharedEd;
}

/** Deterministic RNG (SHA-256 in counter mode over a label): reproducible runs. */
export class SeededRng {
  label: string;
  counter = 0;
  constructor(label: string) {
    this.label = label;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let pos = 0;
    while (pos < n) {
      const h = createHash('sha256')
        .update(this.label + '/' + this.counter++)
        .digest();
      const k = Math.min(32, n - pos);
      out.set(h.subarray(0, k), pos);
      pos += k;
    }
    return out;
  }
}

const GONE: CardFailure = { error: 'CARD_GONE', detail: 'pas de carte' };

export class NoCard implements CardTransport {
  detect(): null {
    return null;
  }
  getVersion(): CardFailure {
    return GONE;
  }
  read(): CardFailure {
    return GONE;
  }
  fastRead(): CardFailure {
    return GONE;
  }
  write(): CardFailure {
    return GONE;
  }
  readSignature(): CardFailure {
    return GONE;
  }
}

export interface SimState {
  now: number;
  ms: number;
}

export class ReaderSim {
  flash: VirtualFlash;
  clock: SimState;
  rng: SeededRng;
  card: CardMemory | null = null;
  /** When set, the card transport used instead of `card` (e.g. the drivers' NtagTransport over a
   * virtual PN532 and VirtualNtag). */
  transport: CardTransport | null = null;
  screens: string[][] = [];
  beeps = 0;
  printed: Uint8Array[] = [];
  hostOut: Uint8Array[] = [];
  printerPresent = true;
  reader: ReaderInternals;
  devices: Devices;

  constructor(
    flash: VirtualFlash,
    now: number,
    label: string,
    logSegments: number,
    logSegmentBytes: number,
    nfcPresent = true,
  ) {
    this.flash = flash;
    this.clock = { now: now, ms: 1000 };
    this.rng = new SeededRng(label);
    const noCard = new NoCard();
    const t = (): CardTransport =>
      this.transport !== null ? this.transport : this.card !== null ? this.card : noCard;
    const cardProxy: CardTransport = {
      detect: () => t().detect(),
      getVersion: () => t().getVersion(),
      read: (p: number) => t().read(p),
      fastRead: (a: number, b: number) => t().fastRead(a, b),
      write: (p: number, d: Uint8Array) => t().write(p, d),
      readSignature: () => t().readSignature(),
    };
    this.devices = {
      card: cardProxy,
      printer: {
        write: (b: Uint8Array) => this.printed.push(b),
        present: () => this.printerPresent,
      },
      display: { show: (lines: string[]) => this.show(lines) },
      buzzer: { beep: () => this.beeps++ },
      clock: {
        now: () => this.clock.now,
        ms: () => this.clock.ms,
        set: (s: number) => {
          this.clock.now = s;
        },
      },
      rng: this.rng,
      flash: flash,
      host: { write: (b: Uint8Array) => this.hostOut.push(b) },
      watchdog: { kick: () => {} },
    };
    this.reader = createReader(
      this.devices,
      { sha256: sha256, ed25519: simEd25519() },
      {
        firmwareVersion: 'sim carnet 0.1.0',
        board: 'SIM',
        resetCause: 0,
        nfcPresent: nfcPresent,
        logSegments: logSegments,
        logSegmentBytes: logSegmentBytes,
        encodeReceipt: null,
      },
    );
  }

  /** Captures a screen, checking what the OLED can show: ≤ 4 lines of ≤ 21 Latin-1 characters. The euro
   * sign (0x80 in firmware strings) is shown as € in the capture. */
  show(lines: string[]): void {
    if (lines.length > 4) throw new Error('more than 4 lines: ' + JSON.stringify(lines));
    for (const l of lines) {
      if (l.length > DISPLAY_COLUMNS) throw new Error('line longer than 21 columns: ' + JSON.stringify(l));
      for (let i = 0; i < l.length; i++)
        if (l.charCodeAt(i) > 0xff) throw new Error('not Latin-1: ' + JSON.stringify(l));
    }
    this.screens.push(lines.map((l) => l.replace(/\x80/g, '€')));
  }

  screen(): string[] {
    return this.screens.length === 0 ? [] : this.screens[this.screens.length - 1];
  }

  keys(s: string): void {
    for (const k of s) this.reader.onKey(k);
  }

  advance(ms: number): void {
    this.clock.ms += ms;
    this.clock.now += Math.floor(ms / 1000);
    this.reader.onTick();
  }

  /** Puts `card` in the field and polls once. */
  tap(card: CardMemory): void {
    this.card = card;
    card.present = true;
    this.reader.pollCard();
  }

  removeCard(): void {
    this.card = null;
    this.reader.pollCard();
  }

  /** The last printed document, decoded from ESC/POS by the virtual printer (lines joined by \n). */
  lastPrintedText(): string {
    if (this.printed.length === 0) return '';
    const d = decodeEscPos(this.printed[this.printed.length - 1]);
    if (d.unknown.length > 0) throw new Error('unknown ESC/POS commands ' + d.unknown.join(' '));
    for (const l of d.lines)
      if (l.text.length > RECEIPT_COLUMNS) throw new Error('receipt line > 32: ' + l.text);
    return d.lines.map((l) => l.text).join('\n');
  }
}

/** The host side of the serial link, for tests: frames out, the reader's responses decoded. */
export class HostDriver {
  sim: ReaderSim;
  seq: number;
  requestId = 1;
  decoder = new FrameStreamDecoder();
  acks: number[] = [];
  naks: number[] = [];

  constructor(sim: ReaderSim, startSeq: number) {
    this.sim = sim;
    this.seq = startSeq;
  }

  /** Feeds raw bytes to the reader and returns the frames it wrote back. */
  raw(bytes: Uint8Array): Frame[] {
    this.sim.hostOut = [];
    this.sim.reader.onHostBytes(bytes);
    const frames: Frame[] = [];
    for (const b of this.sim.hostOut) {
      for (const e of this.decoder.push(b)) {
        if (!e.ok) throw new Error('reader sent a bad frame: ' + e.code);
        frames.push({ ...e.frame, payload: new Uint8Array(e.frame.payload) });
      }
    }
    for (const f of frames) {
      if (f.kind === FRAME_KIND_ACK) this.acks.push(f.seq);
      if (f.kind === 2) this.naks.push(f.seq);
    }
    return frames;
  }

  frameBytes(type: number, payload: Uint8Array, seq: number, requestId: number): Uint8Array {
    return encodeFrameSlip({
      kind: FRAME_KIND_DATA,
      seq: seq,
      requestId: requestId,
      type: type,
      payload: payload,
    });
  }

  /** Sends one request; returns the decoded response and acknowledges it. */
  request(type: number, fields: CborValue[]): Message {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 65536;
    const rid = this.requestId;
    this.requestId = (this.requestId % 65535) + 1;
    const frames = this.raw(this.frameBytes(type, encodeMessage(type, fields), seq, rid));
    const data = frames.filter((f) => f.kind === FRAME_KIND_DATA);
    if (data.length !== 1) throw new Error('expected one response, got ' + data.length);
    const f = data[0];
    if (f.requestId !== rid) throw new Error('response to another request');
    this.raw(
      encodeFrameSlip({
        kind: FRAME_KIND_ACK,
        seq: f.seq,
        requestId: 0,
        type: 0,
        payload: new Uint8Array(0),
      }),
    );
    const m = decodeMessage(f.type, f.payload);
    if (!m.ok) throw new Error('bad response ' + m.code);
    return m.message;
  }

  nonce(): Uint8Array {
    const m = this.request(MSG_CHALLENGE, []);
    if (m.type !== 0x82) throw new Error('no nonce');
    return m.nonce;
  }

  /** CHALLENGE, then a COMMAND signed by `signer` with the fresh nonce; the RESULT. */
  command(
    c: Omit<Command, 'nonce'>,
    signer: Ed25519Signer,
    cert: Uint8Array | null,
  ): { status: number; detail: string | null; data: Uint8Array | null } {
    const nonce = this.nonce();
    const env = signCommand({ ...c, nonce: nonce }, signer, cert);
    const m = this.request(MSG_COMMAND, [env]);
    if (m.type !== 0x83) throw new Error('no result');
    return { status: m.status, detail: m.detail, data: m.data };
  }

  hello(t: number): Message {
    return this.request(MSG_HELLO, [t]);
  }
}
