// Frames of the host link: the bytes between two SLIP ENDs (slip.ts), after unescaping (SPEC.md,
// "Host link").
//
//   offset  size  field
//   0       1     frame format version, FRAME_VERSION (1)
//   1       1     kind: 0x00 DATA, 0x01 ACK, 0x02 NAK
//   2       2     link sequence number, u16 big-endian (DATA: this frame's; ACK/NAK: the DATA seq answered)
//   4       2     request id, u16 big-endian (pairs a response with its request; 0 = unsolicited)
//   6       1     message type (messages.ts; 0 for ACK and NAK)
//   7       n     payload: DATA the CBOR message body; NAK one reason byte; ACK nothing
//   7+n     4     CRC-32 (IEEE 802.3, crc32.ts) of bytes 0 .. 6+n, u32 big-endian
//
// decodeFrame checks the CRC before any header field: a frame whose CRC fails is corrupted, and its
// header says nothing reliable. It never throws on hostile bytes; encodeFrame throws (plain objects,
// see ../../shared/espruino/FACTS.md: no Error subclasses) only on programmer errors.
//
// Espruino subset: no DataView; the u32 CRC is assembled with multiplication because `b << 24` is
// negative for b >= 0x80 and the value may exceed 2^31.

import { crc32 } from './crc32';
import { SlipStreamDecoder, slipEncode, slipMaxEncodedBytes } from './slip';

/** Frame format version. A layout change is a new version, never an edit (limits.ts, PROTOCOL_VERSION). */
export const FRAME_VERSION = 1;

/** DATA: carries one message; acknowledged by an ACK with the same seq. */
export const FRAME_KIND_DATA = 0x00;
/** ACK: the DATA frame `seq` arrived with a good CRC. */
export const FRAME_KIND_ACK = 0x01;
/** NAK: please retransmit now, without waiting for the timeout; payload = one NAK_* reason byte. */
export const FRAME_KIND_NAK = 0x02;

/** NAK reasons. They are advisory (the sender's action is always "retransmit"), so decodeFrame accepts
 * any reason byte: a later version may add reasons without changing the frame format. */
export const NAK_BAD_CRC = 1;
export const NAK_BAD_HEADER = 2;
export const NAK_TOO_LONG = 3;
export const NAK_BUSY = 4;

/** version (1) + kind (1) + seq (2) + request id (2) + type (1). */
export const FRAME_HEADER_BYTES = 7;
/** CRC-32: detects every burst error up to 32 bits and all 1-3 bit errors in frames of this size,
 * where USB CDC's own CRC-16 leaves errors between the USB stack and the interpreter unchecked. */
export const FRAME_CRC_BYTES = 4;
/**
 * Largest payload. One buffer of about 1 KB is affordable in a Pico's 5,100 JsVars (13 bytes each, a
 * flat 1 KB buffer is ~80 of them), and a 1 KB payload keeps the framing overhead near 1.5 %
 * ((7 + 4 + 2 ENDs) / 1024 without escapes), well above the 85 % payload-efficiency target for log
 * pulls. Larger objects go in several messages (limits.ts, MAX_COMMAND_BYTES and staging).
 */
export const MAX_FRAME_PAYLOAD = 1024;
/** Largest frame between two ENDs, after unescaping: the receive buffer size of both ends. */
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_FRAME_PAYLOAD + FRAME_CRC_BYTES;
/** Smallest frame: an ACK (header + CRC, empty payload). */
export const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + FRAME_CRC_BYTES;
/** Largest frame on the wire, every byte escaped plus two ENDs (slip.ts): 2,072 bytes. */
export const MAX_FRAME_WIRE_BYTES = slipMaxEncodedBytes(MAX_FRAME_BYTES);

/** Sequence numbers and request ids are u16 and wrap modulo 65536. */
export const SEQ_MODULO = 65536;
/** Largest sequence number or request id. */
export const MAX_SEQ = 65535;
/** Request id of a message that answers nothing (no catalog v1 message uses it yet). */
export const UNSOLICITED_REQUEST_ID = 0;

/**
 * Retransmission timeout of a DATA frame without ACK. The worst 1 KB frame is 2,072 bytes on the wire:
 * ~40 ms at a conservative 50 KB/s through Espruino's USB CDC input queue, plus ~60 ms of interpreted
 * byte-by-byte unescaping at worst (every byte escaped); the ACK is sent as soon as the CRC checks,
 * before the message is processed. 300 ms is three times that worst case, and a lost frame still costs
 * only 0.3 s.
 */
export const LINK_ACK_TIMEOUT_MS = 300;
/**
 * Retransmissions before the sender declares the link down: 1 + 5 attempts span 1.8 s, longer than the
 * reader's longest synchronous step (a card tap, during which it may not read USB), short enough for a
 * person at the desk to see a clear error quickly.
 */
export const LINK_MAX_RETRIES = 5;

export interface Frame {
  /** FRAME_KIND_DATA, FRAME_KIND_ACK or FRAME_KIND_NAK. */
  kind: number;
  /** 0..65535. */
  seq: number;
  /** 0..65535; 0 = unsolicited. */
  requestId: number;
  /** 1..255 for DATA (messages.ts), 0 for ACK and NAK. */
  type: number;
  /** DATA: CBOR body (<= MAX_FRAME_PAYLOAD); NAK: [reason]; ACK: empty. Decoded frames view their input. */
  payload: Uint8Array;
}

export type FrameErrorCode =
  | 'FRAME_TOO_SHORT'
  | 'FRAME_TOO_LONG'
  | 'FRAME_BAD_CRC'
  | 'FRAME_BAD_VERSION'
  | 'FRAME_BAD_KIND'
  | 'FRAME_BAD_TYPE';

export type FrameDecodeResult =
  { ok: true; frame: Frame } | { ok: false; code: FrameErrorCode; message: string };

function isUint(v: unknown, max: number): boolean {
  return typeof v === 'number' && v >= 0 && v <= max && Math.floor(v) === v;
}

function programmerError(code: string, message: string): { code: string; message: string } {
  return { code: code, message: message };
}

/**
 * The frame's bytes (without SLIP). Throws `{ code, message }` on a programmer error: a field out of
 * range, a payload above MAX_FRAME_PAYLOAD, a DATA frame of type 0, an ACK with a payload, a NAK whose
 * payload is not one reason byte.
 */
export function encodeFrame(f: Frame): Uint8Array {
  const kind = f.kind;
  if (kind !== FRAME_KIND_DATA && kind !== FRAME_KIND_ACK && kind !== FRAME_KIND_NAK) {
    throw programmerError('FRAME_BAD_KIND', 'genre de trame inconnu : ' + kind);
  }
  if (!isUint(f.seq, MAX_SEQ))
    throw programmerError('FRAME_BAD_FIELD', 'numéro de séquence hors de 0..65535');
  if (!isUint(f.requestId, MAX_SEQ))
    throw programmerError('FRAME_BAD_FIELD', 'id de requête hors de 0..65535');
  if (!(f.payload instanceof Uint8Array)) throw programmerError('FRAME_BAD_FIELD', 'charge utile absente');
  const n = f.payload.length;
  if (n > MAX_FRAME_PAYLOAD) {
    throw programmerError(
      'FRAME_TOO_LONG',
      'charge utile de ' + n + ' octets (maximum ' + MAX_FRAME_PAYLOAD + ')',
    );
  }
  if (kind === FRAME_KIND_DATA) {
    if (!isUint(f.type, 255) || f.type === 0) {
      throw programmerError('FRAME_BAD_TYPE', 'type de message hors de 1..255 pour une trame DATA');
    }
  } else {
    if (f.type !== 0)
      throw programmerError('FRAME_BAD_TYPE', 'type de message non nul pour un ACK ou un NAK');
    if (kind === FRAME_KIND_ACK && n !== 0) throw programmerError('FRAME_BAD_KIND', 'un ACK ne porte rien');
    if (kind === FRAME_KIND_NAK && n !== 1)
      throw programmerError('FRAME_BAD_KIND', 'un NAK porte un octet de raison');
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + n + FRAME_CRC_BYTES);
  out[0] = FRAME_VERSION;
  out[1] = kind;
  out[2] = f.seq >> 8;
  out[3] = f.seq & 0xff;
  out[4] = f.requestId >> 8;
  out[5] = f.requestId & 0xff;
  out[6] = f.type;
  out.set(f.payload, FRAME_HEADER_BYTES);
  const end = FRAME_HEADER_BYTES + n;
  const c = crc32(out, 0, end);
  // c may exceed 2^31: take the top byte by division, the others by masking the unsigned value.
  out[end] = Math.floor(c / 16777216);
  out[end + 1] = (c >>> 16) & 0xff;
  out[end + 2] = (c >>> 8) & 0xff;
  out[end + 3] = c & 0xff;
  return out;
}

/** encodeFrame then SLIP: the bytes to write to the port. */
export function encodeFrameSlip(f: Frame): Uint8Array {
  return slipEncode(encodeFrame(f));
}

/** The ACK of DATA frame `seq`. */
export function ackFrame(seq: number): Frame {
  return { kind: FRAME_KIND_ACK, seq: seq, requestId: 0, type: 0, payload: new Uint8Array(0) };
}

/** A NAK of DATA frame `seq` (the receiver's next expected seq when the header was unreadable). */
export function nakFrame(seq: number, reason: number): Frame {
  const p = new Uint8Array(1);
  p[0] = reason;
  return { kind: FRAME_KIND_NAK, seq: seq, requestId: 0, type: 0, payload: p };
}

function frameError(code: FrameErrorCode, message: string): FrameDecodeResult {
  return { ok: false, code: code, message: message };
}

/** Checks and parses one frame (SLIP already removed). Never throws. The payload views `bytes`. */
export function decodeFrame(bytes: Uint8Array): FrameDecodeResult {
  if (!(bytes instanceof Uint8Array))
    return frameError('FRAME_TOO_SHORT', "trame qui n'est pas un tableau d'octets");
  const len = bytes.length;
  if (len < MIN_FRAME_BYTES) {
    return frameError('FRAME_TOO_SHORT', 'trame de ' + len + ' octets (minimum ' + MIN_FRAME_BYTES + ')');
  }
  if (len > MAX_FRAME_BYTES) {
    return frameError('FRAME_TOO_LONG', 'trame de ' + len + ' octets (maximum ' + MAX_FRAME_BYTES + ')');
  }
  const end = len - FRAME_CRC_BYTES;
  const want = ((bytes[end] * 256 + bytes[end + 1]) * 256 + bytes[end + 2]) * 256 + bytes[end + 3];
  if (crc32(bytes, 0, end) !== want) return frameError('FRAME_BAD_CRC', 'CRC-32 de trame incorrect');
  if (bytes[0] !== FRAME_VERSION) {
    return frameError(
      'FRAME_BAD_VERSION',
      'version de trame ' + bytes[0] + ' (attendue ' + FRAME_VERSION + ')',
    );
  }
  const kind = bytes[1];
  const type = bytes[6];
  const n = end - FRAME_HEADER_BYTES;
  if (kind === FRAME_KIND_DATA) {
    if (type === 0) return frameError('FRAME_BAD_TYPE', 'trame DATA de type 0');
  } else if (kind === FRAME_KIND_ACK || kind === FRAME_KIND_NAK) {
    if (type !== 0) return frameError('FRAME_BAD_TYPE', 'ACK ou NAK de type ' + type + ' (0 attendu)');
    if (kind === FRAME_KIND_ACK && n !== 0)
      return frameError('FRAME_BAD_KIND', 'ACK portant ' + n + ' octets');
    if (kind === FRAME_KIND_NAK && n !== 1)
      return frameError('FRAME_BAD_KIND', 'NAK portant ' + n + ' octets (1 attendu)');
  } else {
    return frameError('FRAME_BAD_KIND', 'genre de trame inconnu : ' + kind);
  }
  return {
    ok: true,
    frame: {
      kind: kind,
      seq: bytes[2] * 256 + bytes[3],
      requestId: bytes[4] * 256 + bytes[5],
      type: type,
      payload: bytes.subarray(FRAME_HEADER_BYTES, end),
    },
  };
}

export type FrameStreamErrorCode = FrameErrorCode | 'SLIP_OVERSIZE' | 'SLIP_BAD_ESCAPE';

export type FrameEvent =
  { ok: true; frame: Frame } | { ok: false; code: FrameStreamErrorCode; message: string };

/** The NAK reason that answers a receive error (SPEC.md, link semantics). */
export function nakReasonFor(code: FrameStreamErrorCode): number {
  if (code === 'FRAME_BAD_CRC') return NAK_BAD_CRC;
  if (code === 'SLIP_OVERSIZE' || code === 'FRAME_TOO_LONG') return NAK_TOO_LONG;
  return NAK_BAD_HEADER;
}

/**
 * SLIP + decodeFrame over a byte stream: push any chunk, get the frames and errors completed in it, in
 * order, one event per frame on the wire. Holds at most MAX_FRAME_BYTES of a frame in progress.
 */
export class FrameStreamDecoder {
  private slip: SlipStreamDecoder;

  constructor() {
    this.slip = new SlipStreamDecoder(MAX_FRAME_BYTES);
  }

  /** Bytes of the frame in progress (always <= MAX_FRAME_BYTES). */
  bufferedBytes(): number {
    return this.slip.bufferedBytes();
  }

  reset(): void {
    this.slip.reset();
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const raw = this.slip.push(chunk);
    const events: FrameEvent[] = [];
    for (let i = 0; i < raw.length; i++) {
      const e = raw[i];
      if (e.ok) events.push(decodeFrame(e.frame));
      else events.push({ ok: false, code: e.code, message: e.message });
    }
    return events;
  }
}
