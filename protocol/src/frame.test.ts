import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import zlib from 'node:zlib';
import {
  FRAME_CRC_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_KIND_ACK,
  FRAME_KIND_DATA,
  FRAME_KIND_NAK,
  Frame,
  FrameEvent,
  FrameStreamDecoder,
  MAX_FRAME_BYTES,
  MAX_FRAME_PAYLOAD,
  MAX_FRAME_WIRE_BYTES,
  MIN_FRAME_BYTES,
  NAK_BAD_CRC,
  NAK_BAD_HEADER,
  NAK_BUSY,
  NAK_TOO_LONG,
  ackFrame,
  decodeFrame,
  encodeFrame,
  encodeFrameSlip,
  nakFrame,
  nakReasonFor,
} from './frame';
import { SLIP_END, SLIP_ESC, slipEncode } from './slip';

const SEED = 0xf4a3e;

function hex(u: Uint8Array): string {
  return Buffer.from(u).toString('hex');
}

function concat(list: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(list.map((u) => Buffer.from(u))));
}

// A frame built by hand from the SPEC table, with zlib's CRC-32 (an implementation independent of ours).
function handFrame(
  version: number,
  kind: number,
  seq: number,
  req: number,
  type: number,
  payload: number[],
): Uint8Array {
  const body = Buffer.from([version, kind, seq >> 8, seq & 0xff, req >> 8, req & 0xff, type, ...payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return new Uint8Array(Buffer.concat([body, crc]));
}

function dataFrame(seq: number, requestId: number, type: number, payload: Uint8Array): Frame {
  return { kind: FRAME_KIND_DATA, seq, requestId, type, payload };
}

function codeOf(bytes: Uint8Array): string {
  const r = decodeFrame(bytes);
  return r.ok ? 'ok' : r.code;
}

function thrownCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no throw';
}

function describeEvents(events: FrameEvent[]): string[] {
  return events.map((e) =>
    e.ok
      ? [e.frame.kind, e.frame.seq, e.frame.requestId, e.frame.type, hex(e.frame.payload)].join(':')
      : 'error:' + e.code,
  );
}

function decodeChunks(chunks: Uint8Array[]): FrameEvent[] {
  const d = new FrameStreamDecoder();
  const out: FrameEvent[] = [];
  for (const c of chunks) {
    for (const e of d.push(c)) out.push(e);
    expect(d.bufferedBytes()).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  }
  return out;
}

function xorshift(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe('frame limits', () => {
  it('derive from the SPEC table', () => {
    expect(FRAME_HEADER_BYTES).toBe(7);
    expect(FRAME_CRC_BYTES).toBe(4);
    expect(MAX_FRAME_PAYLOAD).toBe(1024);
    expect(MAX_FRAME_BYTES).toBe(1035);
    expect(MIN_FRAME_BYTES).toBe(11);
    expect(MAX_FRAME_WIRE_BYTES).toBe(2072);
  });
});

describe('encodeFrame', () => {
  it('lays out version, kind, seq BE, request id BE, type, payload, CRC-32 BE', () => {
    const f = dataFrame(0x1234, 0xbeef, 0x84, new Uint8Array([0x81, 0x00, 0xc0]));
    expect(hex(encodeFrame(f))).toBe(hex(handFrame(1, 0, 0x1234, 0xbeef, 0x84, [0x81, 0x00, 0xc0])));
    expect(hex(encodeFrame(ackFrame(0xffff)))).toBe(hex(handFrame(1, 1, 0xffff, 0, 0, [])));
    expect(hex(encodeFrame(nakFrame(7, NAK_BUSY)))).toBe(hex(handFrame(1, 2, 7, 0, 0, [4])));
  });

  it('pins one frame byte for byte (golden)', () => {
    // DATA seq 1, request 1, HELLO [0]: CRC from zlib, written here once so a change of layout shows.
    const golden = handFrame(1, 0, 1, 1, 0x01, [0x81, 0x00]);
    expect(hex(encodeFrame(dataFrame(1, 1, 0x01, new Uint8Array([0x81, 0x00]))))).toBe(hex(golden));
    expect(hex(golden).slice(0, 18)).toBe('010000010001018100');
  });

  it('accepts MAX_FRAME_PAYLOAD bytes and refuses MAX_FRAME_PAYLOAD + 1', () => {
    const max = encodeFrame(dataFrame(1, 2, 3, new Uint8Array(MAX_FRAME_PAYLOAD).fill(0xc0)));
    expect(max.length).toBe(MAX_FRAME_BYTES);
    expect(slipEncode(max).length).toBeLessThanOrEqual(MAX_FRAME_WIRE_BYTES);
    expect(slipEncode(new Uint8Array(MAX_FRAME_BYTES).fill(SLIP_ESC)).length).toBe(MAX_FRAME_WIRE_BYTES);
    expect(thrownCode(() => encodeFrame(dataFrame(1, 2, 3, new Uint8Array(MAX_FRAME_PAYLOAD + 1))))).toBe(
      'FRAME_TOO_LONG',
    );
  });

  it('throws on fields out of range (programmer errors)', () => {
    const p = new Uint8Array([1]);
    for (const seq of [-1, 65536, 1.5, Number.NaN]) {
      expect(thrownCode(() => encodeFrame(dataFrame(seq, 0, 1, p)))).toBe('FRAME_BAD_FIELD');
      expect(thrownCode(() => encodeFrame(dataFrame(0, seq, 1, p)))).toBe('FRAME_BAD_FIELD');
    }
    expect(thrownCode(() => encodeFrame(dataFrame(65535, 65535, 255, p)))).toBe('no throw');
    expect(thrownCode(() => encodeFrame(dataFrame(0, 0, 256, p)))).toBe('FRAME_BAD_TYPE');
    expect(thrownCode(() => encodeFrame(dataFrame(0, 0, 0, p)))).toBe('FRAME_BAD_TYPE');
    expect(thrownCode(() => encodeFrame({ ...ackFrame(0), type: 1 }))).toBe('FRAME_BAD_TYPE');
    expect(thrownCode(() => encodeFrame({ ...ackFrame(0), payload: p }))).toBe('FRAME_BAD_KIND');
    expect(thrownCode(() => encodeFrame({ ...nakFrame(0, 1), payload: new Uint8Array(0) }))).toBe(
      'FRAME_BAD_KIND',
    );
    expect(thrownCode(() => encodeFrame({ ...ackFrame(0), kind: 3 }))).toBe('FRAME_BAD_KIND');
    expect(thrownCode(() => encodeFrame({ ...ackFrame(0), payload: [1] as unknown as Uint8Array }))).toBe(
      'FRAME_BAD_FIELD',
    );
  });
});

describe('decodeFrame', () => {
  it('round-trips random frames (fixed seed)', () => {
    console.log('frame round-trip seed', SEED);
    const frameArb = fc.oneof(
      fc.record({
        kind: fc.constant(FRAME_KIND_DATA),
        seq: fc.integer({ min: 0, max: 65535 }),
        requestId: fc.integer({ min: 0, max: 65535 }),
        type: fc.integer({ min: 1, max: 255 }),
        payload: fc.uint8Array({ maxLength: MAX_FRAME_PAYLOAD }),
      }),
      fc.integer({ min: 0, max: 65535 }).map(ackFrame),
      fc
        .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 255 }))
        .map((t) => nakFrame(t[0], t[1])),
    );
    fc.assert(
      fc.property(frameArb, (f) => {
        const bytes = encodeFrame(f);
        expect(bytes.length).toBe(FRAME_HEADER_BYTES + f.payload.length + FRAME_CRC_BYTES);
        const r = decodeFrame(bytes);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect({ ...r.frame, payload: hex(r.frame.payload) }).toEqual({ ...f, payload: hex(f.payload) });
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('FRAME_TOO_SHORT below MIN_FRAME_BYTES, and an ACK of exactly MIN_FRAME_BYTES decodes', () => {
    const ack = encodeFrame(ackFrame(3));
    expect(ack.length).toBe(MIN_FRAME_BYTES);
    expect(codeOf(ack)).toBe('ok');
    for (let n = 0; n < MIN_FRAME_BYTES; n++) expect(codeOf(ack.subarray(0, n))).toBe('FRAME_TOO_SHORT');
  });

  it('accepts a MAX_FRAME_PAYLOAD frame and rejects a crafted one with one byte more (valid CRC)', () => {
    const payload = Array.from({ length: MAX_FRAME_PAYLOAD }, (_, i) => i & 0xff);
    expect(codeOf(handFrame(1, 0, 1, 1, 1, payload))).toBe('ok');
    const crafted = handFrame(1, 0, 1, 1, 1, [...payload, 0]);
    expect(crafted.length).toBe(MAX_FRAME_BYTES + 1);
    expect(codeOf(crafted)).toBe('FRAME_TOO_LONG');
  });

  it('FRAME_BAD_CRC for every single-bit error, header and CRC included', () => {
    const good = encodeFrame(dataFrame(0x0102, 0x0304, 0x05, new Uint8Array([0xc0, 0xdb, 0x00, 0xff])));
    for (let i = 0; i < good.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = new Uint8Array(good);
        bad[i] ^= 1 << bit;
        expect(codeOf(bad), 'byte ' + i + ' bit ' + bit).toBe('FRAME_BAD_CRC');
      }
    }
  });

  it('checks the CRC before the header: a corrupted version byte is a CRC error', () => {
    const bad = encodeFrame(ackFrame(1));
    bad[0] = 2;
    expect(codeOf(bad)).toBe('FRAME_BAD_CRC');
  });

  it('FRAME_BAD_VERSION for any version but 1 (with a valid CRC)', () => {
    for (const v of [0, 2, 0x7f, 0xff])
      expect(codeOf(handFrame(v, 0, 1, 1, 1, [0x80]))).toBe('FRAME_BAD_VERSION');
  });

  it('FRAME_BAD_KIND for unknown kinds and control frames with a wrong payload', () => {
    for (const k of [3, 0x80, 0xff]) expect(codeOf(handFrame(1, k, 1, 0, 0, []))).toBe('FRAME_BAD_KIND');
    expect(codeOf(handFrame(1, FRAME_KIND_ACK, 1, 0, 0, [0]))).toBe('FRAME_BAD_KIND');
    expect(codeOf(handFrame(1, FRAME_KIND_NAK, 1, 0, 0, []))).toBe('FRAME_BAD_KIND');
    expect(codeOf(handFrame(1, FRAME_KIND_NAK, 1, 0, 0, [1, 2]))).toBe('FRAME_BAD_KIND');
    expect(codeOf(handFrame(1, FRAME_KIND_NAK, 1, 0, 0, [99]))).toBe('ok'); // reasons are advisory
  });

  it('FRAME_BAD_TYPE for DATA of type 0 and ACK/NAK of a non-zero type', () => {
    expect(codeOf(handFrame(1, FRAME_KIND_DATA, 1, 1, 0, [0x80]))).toBe('FRAME_BAD_TYPE');
    expect(codeOf(handFrame(1, FRAME_KIND_ACK, 1, 0, 1, []))).toBe('FRAME_BAD_TYPE');
    expect(codeOf(handFrame(1, FRAME_KIND_NAK, 1, 0, 0x81, [1]))).toBe('FRAME_BAD_TYPE');
    expect(codeOf(handFrame(1, FRAME_KIND_DATA, 1, 1, 0xff, []))).toBe('ok');
  });

  it('never throws on non-arrays and gives French messages', () => {
    const r = decodeFrame(null as unknown as Uint8Array);
    expect(r.ok).toBe(false);
    const s = decodeFrame(new Uint8Array(3));
    expect(s.ok === false && /octets/.test(s.message)).toBe(true);
  });
});

describe('nakReasonFor', () => {
  it('maps receive errors to NAK reasons', () => {
    expect(nakReasonFor('FRAME_BAD_CRC')).toBe(NAK_BAD_CRC);
    expect(nakReasonFor('SLIP_OVERSIZE')).toBe(NAK_TOO_LONG);
    expect(nakReasonFor('FRAME_TOO_LONG')).toBe(NAK_TOO_LONG);
    for (const c of [
      'FRAME_TOO_SHORT',
      'FRAME_BAD_VERSION',
      'FRAME_BAD_KIND',
      'FRAME_BAD_TYPE',
      'SLIP_BAD_ESCAPE',
    ] as const) {
      expect(nakReasonFor(c)).toBe(NAK_BAD_HEADER);
    }
  });
});

describe('FrameStreamDecoder', () => {
  const frames: Frame[] = [
    dataFrame(1, 1, 0x01, new Uint8Array([0x81, 0x1a, 0x65, 0x00, 0xc0, 0xdb])),
    ackFrame(1),
    dataFrame(2, 1, 0x81, new Uint8Array([SLIP_END, SLIP_ESC, SLIP_END, 0xdc, 0xdd, SLIP_ESC])),
    nakFrame(0xffff, NAK_BAD_CRC),
    // seq 0xc0db and request id 0xdbc0: escapes inside the header, and a CRC that may hold them too.
    dataFrame(0xc0db, 0xdbc0, 0xc0, new Uint8Array(300).fill(SLIP_END)),
    dataFrame(65535, 0, 0x7f, new Uint8Array(MAX_FRAME_PAYLOAD).fill(SLIP_ESC)),
  ];
  const wire = concat(frames.map(encodeFrameSlip));
  const expected = frames.map((f) => [f.kind, f.seq, f.requestId, f.type, hex(f.payload)].join(':'));

  it('decodes a stream pushed whole', () => {
    expect(describeEvents(decodeChunks([wire]))).toEqual(expected);
  });

  it('decodes the same frames for a split at every byte position (two chunks)', () => {
    for (let k = 0; k <= wire.length; k++) {
      expect(describeEvents(decodeChunks([wire.subarray(0, k), wire.subarray(k)])), 'split at ' + k).toEqual(
        expected,
      );
    }
  });

  it('decodes the same frames byte by byte', () => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i++) chunks.push(wire.subarray(i, i + 1));
    expect(describeEvents(decodeChunks(chunks))).toEqual(expected);
  });

  it('decodes the same frames in random chunks (fixed seeds)', () => {
    for (let s = 1; s <= 300; s++) {
      const r = xorshift(s);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < wire.length;) {
        const n = 1 + (r() % 97);
        chunks.push(wire.subarray(i, i + n));
        i += n;
      }
      expect(describeEvents(decodeChunks(chunks)), 'seed ' + s).toEqual(expected);
    }
  });

  it('reports garbage before and between frames and still decodes every frame', () => {
    const g1 = new Uint8Array([0x00, 0x11, 0x22]); // too short to be a frame
    const g2 = new Uint8Array(40).fill(0x5a); // long enough, but its CRC fails
    const w = concat([
      g1,
      encodeFrameSlip(frames[0]),
      g2,
      encodeFrameSlip(frames[1]),
      g1,
      encodeFrameSlip(frames[2]),
    ]);
    expect(describeEvents(decodeChunks([w]))).toEqual([
      'error:FRAME_TOO_SHORT',
      expected[0],
      'error:FRAME_BAD_CRC',
      expected[1],
      'error:FRAME_TOO_SHORT',
      expected[2],
    ]);
  });

  it('reports a corrupted byte as FRAME_BAD_CRC and decodes the next frame (every position)', () => {
    const first = encodeFrameSlip(frames[0]);
    const second = encodeFrameSlip(frames[2]);
    let tried = 0;
    for (let i = 1; i < first.length - 1; i++) {
      const b = first[i] ^ 0x01;
      // Keep the SLIP structure: neither the old nor the new byte may be END or ESC or an escape code.
      if (first[i] >= 0xc0 || b >= 0xc0 || first[i - 1] === SLIP_ESC) continue;
      const bad = new Uint8Array(first);
      bad[i] = b;
      expect(describeEvents(decodeChunks([concat([bad, second])])), 'byte ' + i).toEqual([
        'error:FRAME_BAD_CRC',
        expected[2],
      ]);
      tried++;
    }
    expect(tried).toBeGreaterThan(8);
  });

  it('reports an oversize frame once and decodes the next frame', () => {
    const tooLong = slipEncode(new Uint8Array(MAX_FRAME_BYTES + 1).fill(0x33));
    const w = concat([tooLong, encodeFrameSlip(frames[5]), tooLong, encodeFrameSlip(frames[1])]);
    for (let k = 0; k <= w.length; k++) {
      expect(describeEvents(decodeChunks([w.subarray(0, k), w.subarray(k)])), 'split at ' + k).toEqual([
        'error:SLIP_OVERSIZE',
        expected[5],
        'error:SLIP_OVERSIZE',
        expected[1],
      ]);
    }
  });

  it('reports a bad escape and decodes the next frame', () => {
    const enc = encodeFrameSlip(frames[0]);
    const bad = new Uint8Array(enc);
    bad[5] = SLIP_ESC;
    bad[6] = 0x01;
    const w = concat([bad, encodeFrameSlip(frames[1])]);
    expect(describeEvents(decodeChunks([w]))).toEqual(['error:SLIP_BAD_ESCAPE', expected[1]]);
  });

  it('reset() drops a frame in progress', () => {
    const d = new FrameStreamDecoder();
    const enc = encodeFrameSlip(frames[0]);
    d.push(enc.subarray(0, 6));
    expect(d.bufferedBytes()).toBe(5);
    d.reset();
    // The rest of the frame is now a frame of its own, without its head: its CRC fails.
    expect(describeEvents(d.push(enc.subarray(6)))).toEqual(['error:FRAME_BAD_CRC']);
    expect(describeEvents(d.push(enc))).toEqual([expected[0]]);
  });
});
