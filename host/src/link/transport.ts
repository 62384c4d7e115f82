// The host side of the serial link (SPEC.md §11): SLIP framing out through
// @serialport/parser-slip-encoder's SlipEncoder({ bluetoothQuirk: true }) (a leading END closes any line
// noise, §11.1), the protocol's FrameStreamDecoder in, and the link semantics of §11.3: stop-and-wait,
// ACK at once, retransmission of the same bytes after LINK_ACK_TIMEOUT_MS up to LINK_MAX_RETRIES times,
// NAK on a bad frame, duplicate responses re-ACKed and dropped, request ids pairing responses. Works over
// any duplex byte stream (a serialport SerialPort, a pty, a test stream).

import { randomInt } from 'node:crypto';
import { Duplex } from 'node:stream';
import { SlipEncoder } from '@serialport/parser-slip-encoder';
import {
  FRAME_KIND_ACK,
  FRAME_KIND_DATA,
  FRAME_KIND_NAK,
  Frame,
  FrameStreamDecoder,
  LINK_ACK_TIMEOUT_MS,
  LINK_MAX_RETRIES,
  SEQ_MODULO,
  ackFrame,
  encodeFrame,
  nakFrame,
  nakReasonFor,
} from '../../../protocol/src/frame';
import {
  MSG_ERROR,
  Message,
  decodeMessage,
  encodeMessage,
  isResponseTo,
} from '../../../protocol/src/messages';
import { CborValue } from '../../../protocol/src/cbor';

/**
 * How long the host waits for the response once its request is ACKed, before sending the request again
 * (same seq: the reader answers a duplicate with its cached response, §11.3). 2 s: longer than the
 * reader's own retransmission span (1 + 5 attempts × 300 ms = 1.8 s) and than its slowest command on a
 * Pico (KEYGEN, ~0.5 s of interpreted Ed25519 with the native blob).
 */
export const RESPONSE_TIMEOUT_MS = 2000;

export type LinkErrorCode = 'LINK_DOWN' | 'LINK_CLOSED' | 'LINK_BAD_RESPONSE';

const LINK_MESSAGES: { [k in LinkErrorCode]: string } = {
  LINK_DOWN: 'le lecteur ne répond plus (câble débranché ?)',
  LINK_CLOSED: 'la liaison série a été fermée',
  LINK_BAD_RESPONSE: 'réponse du lecteur illisible',
};

/** A link failure: a code for programs, a French sentence for people. */
export class LinkError extends Error {
  constructor(
    public readonly code: LinkErrorCode,
    detail: string,
  ) {
    super(LINK_MESSAGES[code] + (detail === '' ? '' : ' (' + detail + ')'));
  }
}

export interface TransportOptions {
  ackTimeoutMs: number;
  maxRetries: number;
  responseTimeoutMs: number;
  /** First DATA seq; random by default (§11.3 session start). */
  startSeq: number;
}

export interface LinkStats {
  /** Bytes written to the stream (SLIP-encoded). */
  bytesOut: number;
  /** Bytes read from the stream. */
  bytesIn: number;
  /** Payload bytes of DATA frames received (CBOR message bodies). */
  payloadIn: number;
  retransmits: number;
  naksIn: number;
  naksOut: number;
  badFramesIn: number;
  duplicatesIn: number;
}

interface Pending {
  seq: number;
  requestId: number;
  type: number;
  frame: Uint8Array;
  acked: boolean;
  attempts: number;
  timer: NodeJS.Timeout | null;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

export class LinkTransport {
  readonly stream: Duplex;
  readonly opts: TransportOptions;
  readonly stats: LinkStats = {
    bytesOut: 0,
    bytesIn: 0,
    payloadIn: 0,
    retransmits: 0,
    naksIn: 0,
    naksOut: 0,
    badFramesIn: 0,
    duplicatesIn: 0,
  };
  private encoder = new SlipEncoder({ bluetoothQuirk: true });
  private decoder = new FrameStreamDecoder();
  private seq: number;
  private requestId: number;
  /** Last DATA seq received from the reader (-1: none yet): a repeat is a duplicate (our ACK was lost). */
  private lastRxSeq = -1;
  private pending: Pending | null = null;
  private closed = false;
  private onData = (chunk: Buffer) => this.receive(chunk);
  private onClose = () => this.fail(new LinkError('LINK_CLOSED', ''));
  private onError = (e: Error) => this.fail(new LinkError('LINK_CLOSED', e.message));

  constructor(stream: Duplex, opts?: Partial<TransportOptions>) {
    this.stream = stream;
    this.opts = {
      ackTimeoutMs: LINK_ACK_TIMEOUT_MS,
      maxRetries: LINK_MAX_RETRIES,
      responseTimeoutMs: RESPONSE_TIMEOUT_MS,
      startSeq: randomInt(SEQ_MODULO),
      ...opts,
    };
    this.seq = this.opts.startSeq % SEQ_MODULO;
    this.requestId = randomInt(1, SEQ_MODULO);
    this.encoder.on('data', (b: Buffer) => {
      this.stats.bytesOut += b.length;
      if (!this.closed) this.stream.write(b);
    });
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('error', this.onError);
  }

  /** Sends one request and resolves with the reader's decoded response (its own type, or ERROR). */
  request(type: number, fields: CborValue[]): Promise<Message> {
    if (this.closed) return Promise.reject(new LinkError('LINK_CLOSED', ''));
    if (this.pending !== null) throw new Error('one request at a time (stop-and-wait)');
    const seq = this.seq;
    this.seq = (this.seq + 1) % SEQ_MODULO;
    const requestId = this.requestId;
    this.requestId = (this.requestId % (SEQ_MODULO - 1)) + 1; // 1..65535, never 0 (§11.3)
    const frame = encodeFrame({
      kind: FRAME_KIND_DATA,
      seq: seq,
      requestId: requestId,
      type: type,
      payload: encodeMessage(type, fields),
    });
    return new Promise<Message>((resolve, reject) => {
      this.pending = {
        seq,
        requestId,
        type,
        frame,
        acked: false,
        attempts: 0,
        timer: null,
        resolve,
        reject,
      };
      this.transmit();
    });
  }

  /** Stops listening; a pending request fails with LINK_CLOSED. Does not close the stream itself. */
  close(): void {
    this.fail(new LinkError('LINK_CLOSED', ''));
    this.closed = true;
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.stream.off('error', this.onError);
  }

  private writeFrame(f: Frame): void {
    this.encoder.write(Buffer.from(encodeFrame(f)));
  }

  /** (Re)sends the pending request and arms its timer: ACK timeout, or response timeout once ACKed. */
  private transmit(): void {
    const p = this.pending;
    if (p === null) return;
    if (p.attempts > this.opts.maxRetries) {
      this.fail(new LinkError('LINK_DOWN', p.attempts + ' envois sans réponse'));
      return;
    }
    if (p.attempts > 0) this.stats.retransmits++;
    p.attempts++;
    this.encoder.write(Buffer.from(p.frame));
    this.arm();
  }

  private arm(): void {
    const p = this.pending;
    if (p === null) return;
    if (p.timer !== null) clearTimeout(p.timer);
    p.timer = setTimeout(
      () => this.transmit(),
      p.acked ? this.opts.responseTimeoutMs : this.opts.ackTimeoutMs,
    );
  }

  private fail(e: Error): void {
    const p = this.pending;
    if (p === null) return;
    if (p.timer !== null) clearTimeout(p.timer);
    this.pending = null;
    p.reject(e);
  }

  private receive(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length;
    for (const e of this.decoder.push(new Uint8Array(chunk))) {
      if (!e.ok) {
        // Garbage or a damaged frame: the decoder has already resynchronised on the next END. The NAK
        // asks the reader to resend its outstanding frame at once (§11.3); it ignores it if it has none.
        this.stats.badFramesIn++;
        this.stats.naksOut++;
        const next = this.lastRxSeq < 0 ? 0 : (this.lastRxSeq + 1) % SEQ_MODULO;
        this.writeFrame(nakFrame(next, nakReasonFor(e.code)));
        continue;
      }
      this.onFrame(e.frame);
    }
  }

  private onFrame(f: Frame): void {
    const p = this.pending;
    if (f.kind === FRAME_KIND_ACK) {
      if (p !== null && !p.acked && f.seq === p.seq) {
        p.acked = true;
        p.attempts = 0; // a fresh budget for the response wait
        this.arm();
      }
      return;
    }
    if (f.kind === FRAME_KIND_NAK) {
      this.stats.naksIn++;
      if (p !== null && !p.acked) this.transmit();
      return;
    }
    // DATA: ACK it at once, even a duplicate (its first ACK was lost).
    this.writeFrame(ackFrame(f.seq));
    if (f.seq === this.lastRxSeq) {
      this.stats.duplicatesIn++;
      return;
    }
    this.lastRxSeq = f.seq;
    if (p === null || f.requestId !== p.requestId) return; // a late answer to a request we gave up on
    this.stats.payloadIn += f.payload.length;
    if (p.timer !== null) clearTimeout(p.timer);
    this.pending = null;
    const m = decodeMessage(f.type, new Uint8Array(f.payload));
    if (!m.ok) {
      p.reject(new LinkError('LINK_BAD_RESPONSE', m.code));
      return;
    }
    if (f.type !== MSG_ERROR && !isResponseTo(p.type, f.type)) {
      p.reject(new LinkError('LINK_BAD_RESPONSE', 'type ' + f.type));
      return;
    }
    p.resolve(m.message);
  }
}
