// Benchmark of the CBOR codec (protocol/src/cbor.ts) on the host. Host-only; prints nothing itself:
// `npm run bench` (protocol/scripts/bench.ts) formats the figures.
//
// Two workloads:
//   - a message like the reader's (~130 bytes): an array of 12 items holding small unsigned integers,
//     a time, an amount, 8- and 16-byte byte strings, a 64-byte signature-sized byte string and a short
//     text;
//   - a 100 KB log: an array of records, each a map with integer keys (sequence, time, amount, card
//     UID, nonce, label), as a day's transactions pulled from a reader.

import { performance } from 'node:perf_hooks';
import { CborMap, cborDecode, cborEncode } from '../src/cbor';
import type { CborValue } from '../src/cbor';

// Minimum measuring time per case; a short warm-up runs first so the JIT has compiled the codec.
const MEASURE_MS = 600;
const WARMUP_MS = 150;

// Deterministic filler bytes (no RNG needed for a benchmark).
function filler(n: number, seed: number): Uint8Array {
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = (seed + i * 37) & 0xff;
  return u;
}

function makeMessage(): CborValue {
  return [
    1, // protocol version
    3, // message type
    17, // reader id
    1735689600, // time, seconds since 1970 (4-byte argument)
    1250, // amount in cents (2-byte argument)
    filler(8, 1), // card UID
    filler(16, 2), // nonce
    42, // sequence number
    0, // flags
    filler(64, 3), // Ed25519 signature
    'caisse commune 01', // short label
    500, // balance in cents
  ];
}

function makeLog(minBytes: number): CborValue {
  const records: CborValue[] = [];
  let size = 3; // array head with a 2-byte count
  for (let i = 0; size < minBytes; i++) {
    const rec = new CborMap(
      [1, 2, 3, 4, 5, 6],
      [
        i,
        1735689600 + i * 61,
        i % 7 === 0 ? -(i % 3000) : i % 3000,
        filler(8, i),
        filler(16, i * 3),
        'vente ' + (i % 100),
      ],
    );
    records.push(rec);
    size += cborEncode(rec).length;
  }
  return records;
}

function measure(
  name: string,
  bytesPerOp: number,
  op: () => void,
): { name: string; opsPerSec: number; mbPerSec: number } {
  let t0 = performance.now();
  while (performance.now() - t0 < WARMUP_MS) op();
  let ops = 0;
  let batch = 1;
  t0 = performance.now();
  let elapsed = 0;
  while (elapsed < MEASURE_MS) {
    for (let i = 0; i < batch; i++) op();
    ops += batch;
    elapsed = performance.now() - t0;
    if (elapsed < MEASURE_MS / 10) batch *= 2;
  }
  const opsPerSec = (ops * 1000) / elapsed;
  return { name: name, opsPerSec: opsPerSec, mbPerSec: (opsPerSec * bytesPerOp) / 1e6 };
}

export function benchCbor(): Array<{ name: string; opsPerSec: number; mbPerSec: number }> {
  const message = makeMessage();
  const messageBytes = cborEncode(message);
  const log = makeLog(100 * 1024);
  const logBytes = cborEncode(log);
  let sink = 0;
  const results = [
    measure(`cbor encode message (${messageBytes.length} B)`, messageBytes.length, () => {
      sink += cborEncode(message).length;
    }),
    measure(`cbor decode message (${messageBytes.length} B)`, messageBytes.length, () => {
      sink += cborDecode(messageBytes).ok ? 1 : 0;
    }),
    measure(`cbor encode log (${logBytes.length} B)`, logBytes.length, () => {
      sink += cborEncode(log).length;
    }),
    measure(`cbor decode log (${logBytes.length} B)`, logBytes.length, () => {
      sink += cborDecode(logBytes).ok ? 1 : 0;
    }),
  ];
  // Keeps the results observable so that no work is optimised away.
  if (sink < 0) throw new Error('unreachable');
  return results;
}
