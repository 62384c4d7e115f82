import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Transform } from 'node:stream';
import { SlipDecoder, SlipEncoder } from '@serialport/parser-slip-encoder';
import {
  SLIP_END,
  SLIP_ESC,
  SLIP_ESC_END,
  SLIP_ESC_ESC,
  SlipEvent,
  SlipStreamDecoder,
  slipEncode,
} from './slip';

const SEED = 1055; // RFC 1055

function hex(u: Uint8Array): string {
  return Buffer.from(u).toString('hex');
}

function concat(list: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(list.map((u) => Buffer.from(u))));
}

// Writes each input to a serialport transform stream and collects what it emits, one Buffer per push.
async function runTransform(t: Transform, inputs: Uint8Array[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    t.on('data', (d: Buffer) => out.push(d));
    t.on('end', () => resolve());
    t.on('error', reject);
  });
  for (const input of inputs) t.write(Buffer.from(input));
  t.end();
  await done;
  return out;
}

// Feeds `chunks` to a fresh decoder; checks the memory bound after every push.
function decodeChunks(max: number, chunks: Uint8Array[]): SlipEvent[] {
  const d = new SlipStreamDecoder(max);
  const events: SlipEvent[] = [];
  for (const c of chunks) {
    for (const e of d.push(c)) events.push(e);
    expect(d.bufferedBytes()).toBeLessThanOrEqual(max);
  }
  return events;
}

function framesOf(events: SlipEvent[]): string[] {
  return events.map((e) => (e.ok ? hex(e.frame) : 'error:' + e.code));
}

// A deterministic PRNG for chunk boundaries (xorshift32).
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function randomChunks(stream: Uint8Array, seed: number, maxChunk: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < stream.length) {
    const n = 1 + Math.floor(r() * maxChunk);
    out.push(stream.subarray(i, i + n));
    i += n;
  }
  return out;
}

// Frames rich in the special bytes, so that escapes land on every chunk boundary.
const specialBytes = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const frameArb = fc.array(specialBytes, { minLength: 1, maxLength: 300 }).map((a) => new Uint8Array(a));

const SAMPLE_FRAMES = [
  new Uint8Array([0x01, 0x02, 0x03]),
  new Uint8Array([SLIP_END]),
  new Uint8Array([SLIP_ESC]),
  new Uint8Array([SLIP_ESC, SLIP_END, SLIP_ESC_END, SLIP_ESC_ESC, SLIP_END, SLIP_END, SLIP_ESC]),
  new Uint8Array([0x00, SLIP_ESC_END, 0xff, SLIP_ESC_ESC]),
  new Uint8Array(Array.from({ length: 256 }, (_, i) => i)),
];

describe('slipEncode (RFC 1055)', () => {
  it('writes END, escaped bytes, END', () => {
    expect(hex(slipEncode(new Uint8Array([0x01, 0xc0, 0xdb, 0x02])))).toBe('c001dbdcdbdd02c0');
    expect(hex(slipEncode(new Uint8Array([0xdc, 0xdd])))).toBe('c0dcddc0');
    expect(hex(slipEncode(new Uint8Array(0)))).toBe('c0c0');
  });

  it('never emits END or ESC inside the frame, and escapes exactly END and ESC', () => {
    const all = SAMPLE_FRAMES[5];
    const enc = slipEncode(all);
    expect(enc.length).toBe(256 + 2 + 2);
    for (let i = 1; i < enc.length - 1; i++) {
      expect(enc[i]).not.toBe(SLIP_END);
      if (enc[i] === SLIP_ESC) expect([SLIP_ESC_END, SLIP_ESC_ESC]).toContain(enc[i + 1]);
    }
  });
});

describe('interoperability with @serialport/parser-slip-encoder 13.0.0', () => {
  it('slipEncode equals SlipEncoder({ bluetoothQuirk: true }) for every frame', async () => {
    console.log('slip interop seed', SEED);
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 8 }), async (frames) => {
        const theirs = await runTransform(new SlipEncoder({ bluetoothQuirk: true }), frames);
        expect(theirs.map((b) => hex(b))).toEqual(frames.map((f) => hex(slipEncode(f))));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('SlipDecoder decodes our stream (their decoder, our encoder)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.integer(),
        async (frames, s) => {
          const wire = concat(frames.map(slipEncode));
          const out = await runTransform(new SlipDecoder(), randomChunks(wire, s, 64));
          expect(out.filter((b) => b.length > 0).map((b) => hex(b))).toEqual(frames.map(hex));
        },
      ),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it('SlipStreamDecoder decodes SlipEncoder output, with and without the leading END (our decoder, their encoder)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.integer(),
        async (frames, quirk, s) => {
          const theirs = await runTransform(new SlipEncoder({ bluetoothQuirk: quirk }), frames);
          const wire = concat(theirs);
          expect(framesOf(decodeChunks(1024, randomChunks(wire, s, 64)))).toEqual(frames.map(hex));
        },
      ),
      { seed: SEED + 2, numRuns: 200 },
    );
  });
});

describe('SlipStreamDecoder', () => {
  const wire = concat(SAMPLE_FRAMES.map(slipEncode));
  const expected = SAMPLE_FRAMES.map(hex);

  it('decodes a stream of frames pushed whole', () => {
    expect(framesOf(decodeChunks(1024, [wire]))).toEqual(expected);
  });

  it('decodes the same frames for a split at every byte position (two chunks)', () => {
    for (let k = 0; k <= wire.length; k++) {
      const got = framesOf(decodeChunks(1024, [wire.subarray(0, k), wire.subarray(k)]));
      expect(got, 'split at ' + k).toEqual(expected);
    }
  });

  it('decodes the same frames byte by byte', () => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i++) chunks.push(wire.subarray(i, i + 1));
    expect(framesOf(decodeChunks(1024, chunks))).toEqual(expected);
  });

  it('decodes the same frames in random chunks (fixed seeds)', () => {
    for (let s = 1; s <= 200; s++) {
      expect(framesOf(decodeChunks(1024, randomChunks(wire, s, 40))), 'seed ' + s).toEqual(expected);
    }
  });

  it('ignores empty frames (END END) and bytes-free streams', () => {
    const ends = new Uint8Array([SLIP_END, SLIP_END, SLIP_END]);
    expect(decodeChunks(16, [ends, new Uint8Array(0), ends])).toEqual([]);
    const one = concat([ends, slipEncode(new Uint8Array([7])), ends]);
    expect(framesOf(decodeChunks(16, [one]))).toEqual(['07']);
  });

  it('decodes a frame that has no leading END (RFC 1055 without the flush)', () => {
    const w = new Uint8Array([0x01, SLIP_ESC, SLIP_ESC_END, SLIP_END]);
    expect(framesOf(decodeChunks(16, [w]))).toEqual(['01c0']);
  });

  it('accepts exactly maxFrameBytes and rejects one more with one error, then resynchronises', () => {
    const max = 32;
    const full = new Uint8Array(max).fill(0x41);
    const over = new Uint8Array(max + 1).fill(0x42);
    const good = new Uint8Array([1, 2, 3]);
    const w = concat([slipEncode(full), slipEncode(over), slipEncode(good)]);
    const expectedEvents = [hex(full), 'error:SLIP_OVERSIZE', hex(good)];
    for (let k = 0; k <= w.length; k++) {
      expect(framesOf(decodeChunks(max, [w.subarray(0, k), w.subarray(k)])), 'split at ' + k).toEqual(
        expectedEvents,
      );
    }
  });

  it('counts decoded bytes, not wire bytes: a full frame of escaped bytes fits', () => {
    const max = 8;
    const full = new Uint8Array(max).fill(SLIP_END); // 16 bytes on the wire
    const over = new Uint8Array(max + 1).fill(SLIP_ESC);
    const w = concat([slipEncode(full), slipEncode(over), slipEncode(full)]);
    expect(framesOf(decodeChunks(max, [w]))).toEqual([hex(full), 'error:SLIP_OVERSIZE', hex(full)]);
  });

  it('reports one error for an endless frame and never holds more than maxFrameBytes', () => {
    const max = 100;
    const d = new SlipStreamDecoder(max);
    let errors = 0;
    const chunk = new Uint8Array(777).fill(0x55);
    for (let i = 0; i < 200; i++) {
      for (const e of d.push(chunk)) {
        expect(e.ok).toBe(false);
        errors++;
      }
      expect(d.bufferedBytes()).toBeLessThanOrEqual(max);
    }
    expect(errors).toBe(1);
    const after = d.push(slipEncode(new Uint8Array([9, 9])));
    expect(framesOf(after)).toEqual(['0909']);
  });

  it('rejects ESC followed by anything but ESC_END/ESC_ESC, then resynchronises at the next END', () => {
    const good = new Uint8Array([0x10, SLIP_END, 0x20]);
    for (let b = 0; b < 256; b++) {
      // ESC ESC_END / ESC ESC_ESC are the legal escapes; ESC END is the next test's case.
      if (b === SLIP_ESC_END || b === SLIP_ESC_ESC || b === SLIP_END) continue;
      const bad = new Uint8Array([SLIP_END, 0x01, SLIP_ESC, b, 0x02, SLIP_END]);
      const w = concat([bad, slipEncode(good)]);
      const events = decodeChunks(64, [w]);
      expect(framesOf(events), 'ESC 0x' + b.toString(16)).toEqual(['error:SLIP_BAD_ESCAPE', hex(good)]);
      const e = events[0];
      expect(e.ok === false && e.message.length > 0).toBe(true);
    }
  });

  it('treats ESC END as a bad escape whose END still closes the frame', () => {
    const w = concat([new Uint8Array([0x01, SLIP_ESC, SLIP_END, 0x05, SLIP_END])]);
    expect(framesOf(decodeChunks(64, [w]))).toEqual(['error:SLIP_BAD_ESCAPE', '05']);
  });

  it('reports garbage between frames as its own frame and keeps the good ones', () => {
    const garbage = new Uint8Array([0x99, 0x98, SLIP_ESC, 0x00, 0x97]);
    const a = new Uint8Array([1, SLIP_END]);
    const b = new Uint8Array([2, SLIP_ESC]);
    const w = concat([garbage, slipEncode(a), garbage, slipEncode(b)]);
    expect(framesOf(decodeChunks(64, [w]))).toEqual([
      'error:SLIP_BAD_ESCAPE',
      hex(a),
      'error:SLIP_BAD_ESCAPE',
      hex(b),
    ]);
  });

  it('returns copies: later pushes do not change an emitted frame', () => {
    const d = new SlipStreamDecoder(16);
    const first = d.push(slipEncode(new Uint8Array([1, 2, 3])));
    d.push(slipEncode(new Uint8Array([4, 5, 6])));
    expect(first[0].ok && hex(first[0].frame)).toBe('010203');
  });

  it('forgets a partial frame on reset()', () => {
    const d = new SlipStreamDecoder(16);
    d.push(new Uint8Array([SLIP_END, 1, 2, SLIP_ESC]));
    expect(d.bufferedBytes()).toBe(2);
    d.reset();
    expect(d.bufferedBytes()).toBe(0);
    expect(framesOf(d.push(new Uint8Array([SLIP_ESC_END, SLIP_END])))).toEqual(['dc']);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new SlipStreamDecoder(0)).toThrow();
    expect(() => new SlipStreamDecoder(1.5)).toThrow();
    expect(() => new SlipStreamDecoder(Number.NaN)).toThrow();
  });
});
