// SLIP framing of the host link (RFC 1055, "A Nonstandard for Transmission of IP Datagrams over Serial
// Lines"), as spoken by @serialport/parser-slip-encoder on the host (SlipEncoder with
// `{ bluetoothQuirk: true }`, SlipDecoder with its defaults).
//
// On the wire a frame is END, the frame with END and ESC escaped, END. RFC 1055 recommends the leading
// END: it closes whatever line noise (or half frame, after a reconnect) the receiver has buffered, so
// that noise becomes its own bad frame instead of corrupting the good one that follows.
//
// The stream decoder works in a buffer allocated once at `maxFrameBytes` and never grows it: an
// endless stream without END cannot exhaust the reader's memory (a Pico has 5,100 JsVars). Errors are
// reported once per frame, then the decoder discards until the next END, where it is synchronised
// again.
//
// Espruino subset (../../shared/espruino/FACTS.md): copies with `new Uint8Array(u.subarray(a, b))`,
// never `.slice()`; typed-array `indexOf` and `set` are native there and do the bulk of the work.

/** RFC 1055 "END": frame delimiter. */
export const SLIP_END = 0xc0;
/** RFC 1055 "ESC": the next byte is an escape code. */
export const SLIP_ESC = 0xdb;
/** RFC 1055 "ESC_END": ESC ESC_END stands for a data byte 0xC0. */
export const SLIP_ESC_END = 0xdc;
/** RFC 1055 "ESC_ESC": ESC ESC_ESC stands for a data byte 0xDB. */
export const SLIP_ESC_ESC = 0xdd;

/** Bytes a frame of `n` bytes can take on the wire at worst: every byte escaped, plus two ENDs. */
export function slipMaxEncodedBytes(n: number): number {
  return 2 * n + 2;
}

/** END, `frame` with END/ESC escaped, END (RFC 1055 SEND_PACKET, plus the leading END it recommends). */
export function slipEncode(frame: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < frame.length; i++) {
    const b = frame[i];
    if (b === SLIP_END || b === SLIP_ESC) extra++;
  }
  const out = new Uint8Array(frame.length + extra + 2);
  let p = 0;
  out[p++] = SLIP_END;
  if (extra === 0) {
    out.set(frame, 1);
    p += frame.length;
  } else {
    for (let i = 0; i < frame.length; i++) {
      const b = frame[i];
      if (b === SLIP_END) {
        out[p++] = SLIP_ESC;
        out[p++] = SLIP_ESC_END;
      } else if (b === SLIP_ESC) {
        out[p++] = SLIP_ESC;
        out[p++] = SLIP_ESC_ESC;
      } else {
        out[p++] = b;
      }
    }
  }
  out[p] = SLIP_END;
  return out;
}

export type SlipErrorCode = 'SLIP_OVERSIZE' | 'SLIP_BAD_ESCAPE';

/** One decoded frame (a fresh copy, owned by the caller) or one framing error. */
export type SlipEvent = { ok: true; frame: Uint8Array } | { ok: false; code: SlipErrorCode; message: string };

function hexByte(b: number): string {
  const digits = '0123456789abcdef';
  return digits.charAt(b >> 4) + digits.charAt(b & 15);
}

// Runs of plain bytes up to this length are copied by a loop: cheaper than creating a subarray view
// for `set` (on Node and on Espruino, where each view is a new object).
const SHORT_RUN = 8;

// Decoder states.
const STATE_DATA = 0; // inside a frame (or between frames), copying data bytes
const STATE_ESCAPE = 1; // the previous byte was ESC
const STATE_DISCARD = 2; // an error was reported: skip everything up to the next END

/**
 * Incremental RFC 1055 receiver. `push` takes any chunk of the byte stream and returns the frames and
 * errors completed in it, in order. Empty frames (END END, such as the leading END of every frame) are
 * not reported. More than `maxFrameBytes` decoded bytes before END gives one SLIP_OVERSIZE; ESC followed
 * by anything but ESC_END or ESC_ESC gives one SLIP_BAD_ESCAPE (RFC 1055 leaves that case to the
 * implementation: we drop the frame, its bytes cannot be trusted). Either way the rest of the frame is
 * discarded and decoding resumes after the next END.
 */
export class SlipStreamDecoder {
  readonly maxFrameBytes: number;
  private buf: Uint8Array;
  private len: number;
  private state: number;

  constructor(maxFrameBytes: number) {
    if (
      typeof maxFrameBytes !== 'number' ||
      !(maxFrameBytes >= 1) ||
      Math.floor(maxFrameBytes) !== maxFrameBytes
    ) {
      throw { code: 'SLIP_BAD_LIMIT', message: 'taille maximale de trame invalide : ' + maxFrameBytes };
    }
    this.maxFrameBytes = maxFrameBytes;
    // Allocated once: the decoder never holds more than this, whatever the input.
    this.buf = new Uint8Array(maxFrameBytes);
    this.len = 0;
    this.state = STATE_DATA;
  }

  /** Decoded bytes of the frame in progress (always <= maxFrameBytes). */
  bufferedBytes(): number {
    return this.len;
  }

  /** Forgets any frame in progress (e.g. after the port was reopened). */
  reset(): void {
    this.len = 0;
    this.state = STATE_DATA;
  }

  push(chunk: Uint8Array): SlipEvent[] {
    const events: SlipEvent[] = [];
    const n = chunk.length;
    const max = this.maxFrameBytes;
    // Positions of the next END and ESC at or after i, cached so that each is searched at most once per
    // occurrence (a linear scan overall, even for adversarial input); n means "none left in chunk".
    let nextEnd = -1;
    let nextEsc = -1;
    let i = 0;
    while (i < n) {
      if (this.state === STATE_ESCAPE) {
        const b = chunk[i++];
        if (b === SLIP_ESC_END || b === SLIP_ESC_ESC) {
          if (this.len >= max) {
            events.push(this.oversize());
          } else {
            this.buf[this.len++] = b === SLIP_ESC_END ? SLIP_END : SLIP_ESC;
            this.state = STATE_DATA;
          }
        } else {
          events.push({
            ok: false,
            code: 'SLIP_BAD_ESCAPE',
            message:
              'séquence d’échappement SLIP invalide (ESC suivi de 0x' + hexByte(b) + ') : trame ignorée',
          });
          this.len = 0;
          // ESC END: the END still ends the (dropped) frame, we are synchronised at once.
          this.state = b === SLIP_END ? STATE_DATA : STATE_DISCARD;
        }
        continue;
      }
      if (nextEnd < i) {
        nextEnd = chunk.indexOf(SLIP_END, i);
        if (nextEnd < 0) nextEnd = n;
      }
      if (this.state === STATE_DISCARD) {
        if (nextEnd >= n) {
          i = n;
        } else {
          i = nextEnd + 1;
          this.len = 0;
          this.state = STATE_DATA;
        }
        continue;
      }
      // STATE_DATA: copy the run of plain bytes up to the next END or ESC in one go.
      if (nextEsc < i) {
        nextEsc = chunk.indexOf(SLIP_ESC, i);
        if (nextEsc < 0) nextEsc = n;
      }
      const stop = nextEnd < nextEsc ? nextEnd : nextEsc;
      if (stop > i) {
        if (this.len + (stop - i) > max) {
          events.push(this.oversize());
          continue; // STATE_DISCARD from i: skips to the next END
        }
        if (stop - i <= SHORT_RUN) {
          const buf = this.buf;
          let len = this.len;
          while (i < stop) buf[len++] = chunk[i++];
          this.len = len;
        } else {
          this.buf.set(chunk.subarray(i, stop), this.len);
          this.len += stop - i;
          i = stop;
        }
      }
      if (i >= n) break;
      if (chunk[i] === SLIP_END) {
        if (this.len > 0) {
          events.push({ ok: true, frame: new Uint8Array(this.buf.subarray(0, this.len)) });
          this.len = 0;
        }
      } else {
        this.state = STATE_ESCAPE;
      }
      i++;
    }
    return events;
  }

  private oversize(): SlipEvent {
    this.len = 0;
    this.state = STATE_DISCARD;
    return {
      ok: false,
      code: 'SLIP_OVERSIZE',
      message: 'trame SLIP de plus de ' + this.maxFrameBytes + ' octets : ignorée jusqu’au prochain END',
    };
  }
}
