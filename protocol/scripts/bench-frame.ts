// Benchmark of the host link framing on 1 KB frames (the largest, MAX_FRAME_PAYLOAD): encode + SLIP,
// and stream decoding (SLIP + CRC-32 + header). Figures are printed, never asserted (BRIEF: speed is
// measured by scripts). These are Node figures; on the reader the same code runs interpreted, which is
// why the SLIP decoder leans on native typed-array indexOf/set.
//
// Used by `npm run bench` (protocol/scripts/bench.ts). Run alone: npx tsx protocol/scripts/bench-frame.ts

import { pathToFileURL } from 'node:url';
import { crc32 } from '../src/crc32';
import { FRAME_KIND_DATA, Frame, FrameStreamDecoder, MAX_FRAME_PAYLOAD, encodeFrameSlip } from '../src/frame';

// Time budget per case: long enough to get past JIT warm-up, short enough for `npm run bench`.
const CASE_MS = 400;

function payload(kind: 'random' | 'escapes'): Uint8Array {
  const p = new Uint8Array(MAX_FRAME_PAYLOAD);
  let s = 0x12345678;
  for (let i = 0; i < p.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    // 'escapes': every byte is END or ESC, the worst case (the frame doubles on the wire).
    p[i] = kind === 'escapes' ? (s & 1 ? 0xc0 : 0xdb) : s & 0xff;
  }
  return p;
}

function frameOf(p: Uint8Array, seq: number): Frame {
  return { kind: FRAME_KIND_DATA, seq: seq, requestId: 1, type: 0x84, payload: p };
}

// Runs `op` in batches until CASE_MS have passed; returns operations per second.
function measure(op: () => void): number {
  for (let i = 0; i < 200; i++) op(); // warm-up
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < CASE_MS) {
    for (let i = 0; i < 100; i++) op();
    ops += 100;
    t = performance.now();
  }
  return (ops * 1000) / (t - t0);
}

function row(
  name: string,
  opsPerSec: number,
  bytesPerOp: number,
): { name: string; opsPerSec: number; mbPerSec: number } {
  return {
    name: name,
    opsPerSec: Math.round(opsPerSec),
    mbPerSec: Math.round(((opsPerSec * bytesPerOp) / 1e6) * 10) / 10,
  };
}

/** Encode+SLIP and stream-decode of 1 KB frames; MB/s counts payload bytes. */
export function benchFrames(): Array<{ name: string; opsPerSec: number; mbPerSec: number }> {
  const out: Array<{ name: string; opsPerSec: number; mbPerSec: number }> = [];
  let sink = 0;
  for (const kind of ['random', 'escapes'] as const) {
    const p = payload(kind);
    const f = frameOf(p, 7);
    out.push(
      row(
        'encode+SLIP 1 KB (' + kind + ')',
        measure(() => {
          sink += encodeFrameSlip(f).length;
        }),
        MAX_FRAME_PAYLOAD,
      ),
    );
    // A stream of 16 frames, pushed in 64-byte chunks (a USB full-speed bulk packet).
    const frames = 16;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < frames; i++) parts.push(encodeFrameSlip(frameOf(p, i)));
    let total = 0;
    for (const u of parts) total += u.length;
    const wire = new Uint8Array(total);
    let at = 0;
    for (const u of parts) {
      wire.set(u, at);
      at += u.length;
    }
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += 64) chunks.push(wire.subarray(i, i + 64));
    const dec = new FrameStreamDecoder();
    const perStream = measure(() => {
      for (let i = 0; i < chunks.length; i++) sink += dec.push(chunks[i]).length;
    });
    out.push(row('stream-decode 1 KB, 64 B chunks (' + kind + ')', perStream * frames, MAX_FRAME_PAYLOAD));
  }
  const crcIn = payload('random');
  out.push(
    row(
      'crc32 1 KB',
      measure(() => {
        sink += crc32(crcIn);
      }),
      MAX_FRAME_PAYLOAD,
    ),
  );
  if (sink === -1) console.log(sink); // keeps the results alive
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of benchFrames()) {
    console.log(
      r.name.padEnd(44) +
        String(r.opsPerSec).padStart(10) +
        ' ops/s ' +
        String(r.mbPerSec).padStart(8) +
        ' MB/s',
    );
  }
}
