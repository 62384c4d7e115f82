// PN532 host-controller frames (NXP PN532 User Manual UM0701-02, §6.2.1). Pure byte builders and a
// stream parser, shared by the driver (firmware) and the virtual PN532 (test/sim): both ends of the link
// speak the same frames, so a bug in one shows up against the other only if the parser is strict.
//
// Normal information frame (§6.2.1.1):
//   PREAMBLE 00 | START 00 FF | LEN | LCS | TFI | PD0..PDn | DCS | POSTAMBLE 00
// LEN counts TFI + PD bytes; LEN + LCS = 0 (mod 256); TFI + ΣPD + DCS = 0 (mod 256).
// ACK (§6.2.1.3): 00 00 FF 00 FF 00. NACK: 00 00 FF FF 00 00. Error frame (§6.2.1.5): 00 00 FF 01 FF 7F 81 00.
// Extended frames (LEN > 255, §6.2.1.2) are not used: every carnet exchange fits a normal frame.

/** TFI of a frame from the host to the PN532 (§6.2.1.1). */
export const TFI_HOST = 0xd4;
/** TFI of a frame from the PN532 to the host. */
export const TFI_PN532 = 0xd5;
/**
 * Largest LEN of a normal frame (§6.2.1.1: LEN is one byte). A response carries TFI, the response code and
 * (for In* commands) a status byte, so at most 252 bytes of card data fit in one normal frame.
 */
export const MAX_FRAME_LEN = 255;
/** Bytes of a normal frame around its TFI+PD: preamble, start code (2), LEN, LCS, DCS, postamble. */
export const FRAME_OVERHEAD = 7;
/** ACK frame (§6.2.1.3). */
export const ACK_FRAME = [0x00, 0x00, 0xff, 0x00, 0xff, 0x00];
/** NACK frame (§6.2.1.4): asks the PN532 to send its last response again. */
export const NACK_FRAME = [0x00, 0x00, 0xff, 0xff, 0x00, 0x00];

/** Kinds of frames the parser yields. */
export const FRAME_ACK = 'ACK';
export const FRAME_NACK = 'NACK';
/** A normal information frame whose checksums are good. */
export const FRAME_DATA = 'DATA';
/** The PN532's "syntax error" frame (§6.2.1.5: LEN 01, TFI 7F). */
export const FRAME_ERROR = 'ERROR';
/** A frame whose LCS or DCS is wrong, or whose postamble is missing: the link garbled it. */
export const FRAME_BAD = 'BAD';

export interface Pn532Frame {
  kind: string;
  /** TFI + PD for DATA frames (empty otherwise). */
  body: Uint8Array;
}

/** Builds a normal information frame from the host: TFI D4, then `cmd`, then `params`. */
export function buildCommandFrame(cmd: number, params: Uint8Array): Uint8Array {
  const len = params.length + 2;
  if (len > MAX_FRAME_LEN) throw new Error('PN532: frame too long');
  return buildFrame(TFI_HOST, cmd, params);
}

/** Builds a normal frame with any TFI (the virtual PN532 uses TFI D5). */
export function buildFrame(tfi: number, code: number, data: Uint8Array): Uint8Array {
  const len = data.length + 2;
  const out = new Uint8Array(len + FRAME_OVERHEAD);
  out[0] = 0x00;
  out[1] = 0x00;
  out[2] = 0xff;
  out[3] = len;
  out[4] = (0x100 - len) & 0xff;
  out[5] = tfi;
  out[6] = code;
  let sum = tfi + code;
  for (let i = 0; i < data.length; i++) {
    out[7 + i] = data[i];
    sum += data[i];
  }
  out[7 + data.length] = (0x100 - (sum & 0xff)) & 0xff;
  out[8 + data.length] = 0x00;
  return out;
}

/** Parser states. */
const S_SYNC0 = 0; // looking for the 00 of the start code
const S_SYNC1 = 1; // saw 00, expecting FF (further 00s are preamble)
const S_LEN = 2;
const S_LCS = 3;
const S_BODY = 4;
const S_DCS = 5;
const S_POST = 6;
const S_ACKPOST = 7; // after 00 FF 00 FF or 00 FF FF 00: expecting the postamble 00

/**
 * Stream parser for PN532 frames: feed bytes as they come (any split), get whole frames back. Leading
 * zeros (preamble) and garbage before a start code are skipped; a frame with a bad checksum yields a
 * BAD frame and the parser resynchronises on the next start code.
 */
export class Pn532FrameParser {
  state: number;
  len: number;
  body: Uint8Array;
  pos: number;
  sum: number;
  pendingKind: string;

  constructor() {
    this.state = S_SYNC0;
    this.len = 0;
    this.body = new Uint8Array(0);
    this.pos = 0;
    this.sum = 0;
    this.pendingKind = '';
  }

  reset(): void {
    this.state = S_SYNC0;
  }

  /** Feeds bytes; returns the frames completed by them (usually 0 or 1). */
  push(bytes: Uint8Array): Pn532Frame[] {
    const out: Pn532Frame[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const f = this.step(bytes[i]);
      if (f !== null) out.push(f);
    }
    return out;
  }

  step(b: number): Pn532Frame | null {
    const st = this.state;
    if (st === S_SYNC0) {
      if (b === 0x00) this.state = S_SYNC1;
      return null;
    }
    if (st === S_SYNC1) {
      if (b === 0xff) this.state = S_LEN;
      else if (b !== 0x00) this.state = S_SYNC0;
      return null;
    }
    if (st === S_LEN) {
      this.len = b;
      this.state = S_LCS;
      return null;
    }
    if (st === S_LCS) {
      const len = this.len;
      if (len === 0x00 && b === 0xff) {
        this.pendingKind = FRAME_ACK;
        this.state = S_ACKPOST;
        return null;
      }
      if (len === 0xff && b === 0x00) {
        this.pendingKind = FRAME_NACK;
        this.state = S_ACKPOST;
        return null;
      }
      // LEN 0xFF with LCS 0xFF would announce an extended frame (§6.2.1.2): not used by carnet.
      if (((len + b) & 0xff) !== 0 || len === 0) {
        this.state = S_SYNC0;
        return { kind: FRAME_BAD, body: new Uint8Array(0) };
      }
      this.body = new Uint8Array(len);
      this.pos = 0;
      this.sum = 0;
      this.state = S_BODY;
      return null;
    }
    if (st === S_BODY) {
      this.body[this.pos++] = b;
      this.sum += b;
      if (this.pos === this.len) this.state = S_DCS;
      return null;
    }
    if (st === S_DCS) {
      if (((this.sum + b) & 0xff) !== 0) {
        this.state = S_SYNC0;
        return { kind: FRAME_BAD, body: new Uint8Array(0) };
      }
      this.state = S_POST;
      return null;
    }
    if (st === S_POST) {
      this.state = S_SYNC0;
      if (b !== 0x00) return { kind: FRAME_BAD, body: new Uint8Array(0) };
      if (this.len === 1 && this.body[0] === 0x7f) return { kind: FRAME_ERROR, body: this.body };
      return { kind: FRAME_DATA, body: this.body };
    }
    // S_ACKPOST
    this.state = S_SYNC0;
    if (b !== 0x00) return { kind: FRAME_BAD, body: new Uint8Array(0) };
    return { kind: this.pendingKind, body: new Uint8Array(0) };
  }
}

/** Result of parseFrameAt: a frame kind and, for DATA frames, the TFI + PD bytes. */
export interface ParsedAt {
  kind: string;
  body: Uint8Array;
  /** Index just after the frame (after its postamble). */
  end: number;
}

/**
 * Parses one frame from a buffer that holds it whole (an I2C read), starting at `from` and skipping
 * preamble zeros. Same rules as Pn532FrameParser, but index arithmetic instead of a per-byte state
 * machine: on Espruino each interpreted call costs tens of µs, and a 252-byte FAST_READ answer would pay
 * it 260 times. Only the DCS sum still loops over the data. A frame cut short returns kind BAD.
 */
export function parseFrameAt(buf: Uint8Array, from: number): ParsedAt {
  let i = from;
  while (i < buf.length && buf[i] === 0x00) i++;
  // i is on the FF of the start code 00 FF (at least one 00 before it)
  const bad: ParsedAt = { kind: FRAME_BAD, body: new Uint8Array(0), end: buf.length };
  if (i === from || i + 2 >= buf.length || buf[i] !== 0xff) return bad;
  const len = buf[i + 1];
  const lcs = buf[i + 2];
  if (len === 0x00 && lcs === 0xff) {
    if (i + 3 >= buf.length || buf[i + 3] !== 0x00) return bad;
    return { kind: FRAME_ACK, body: new Uint8Array(0), end: i + 4 };
  }
  if (len === 0xff && lcs === 0x00) {
    if (i + 3 >= buf.length || buf[i + 3] !== 0x00) return bad;
    return { kind: FRAME_NACK, body: new Uint8Array(0), end: i + 4 };
  }
  if (len === 0 || ((len + lcs) & 0xff) !== 0) return bad;
  const start = i + 3;
  const dcsAt = start + len;
  if (dcsAt + 1 >= buf.length) return bad;
  let sum = 0;
  for (let k = start; k <= dcsAt; k++) sum += buf[k];
  if ((sum & 0xff) !== 0 || buf[dcsAt + 1] !== 0x00) return bad;
  const body = buf.subarray(start, dcsAt);
  if (len === 1 && body[0] === 0x7f) return { kind: FRAME_ERROR, body: body, end: dcsAt + 2 };
  return { kind: FRAME_DATA, body: body, end: dcsAt + 2 };
}
