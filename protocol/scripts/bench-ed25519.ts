// Ed25519 throughput on this machine: host (node:crypto) verify, sync and on the thread pool, the tweetnacl
// reference verify, and host signing. Prints nothing: `npm run bench` (protocol/scripts/bench.ts) collects the
// figures. Each case runs for at least BENCH_MIN_MS after a short warm-up.
//
// Inputs mimic the ledger: a few hundred signers (so the host key cache is hot, as it is in practice) and
// 120-byte messages, about the size of a signed log record.
import crypto from 'node:crypto';
import { hostSigner, verifyEd25519Host, verifyEd25519HostAsync } from '../src/node/ed25519';
import { verifyEd25519Reference } from '../src/node/ed25519-reference';

/** Minimum measuring time per case: long enough to smooth timer and GC noise, short enough for CI. */
export const BENCH_MIN_MS = 1000;
/** Verifications kept in flight for the async case: enough to keep libuv's 4 pool threads busy. */
export const BENCH_ASYNC_IN_FLIGHT = 64;

const SIGNERS = 256;
const MESSAGE_BYTES = 120;

interface Sample {
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
}

function makeSamples(): Sample[] {
  const samples: Sample[] = [];
  for (let i = 0; i < SIGNERS; i++) {
    const signer = hostSigner(new Uint8Array(crypto.randomBytes(32)));
    const msg = new Uint8Array(crypto.randomBytes(MESSAGE_BYTES));
    samples.push({ pub: signer.publicKey, msg: msg, sig: signer.sign(msg) });
  }
  return samples;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// Runs `op` in batches until BENCH_MIN_MS has passed; returns operations per second.
function measureSync(op: (i: number) => void, batch: number): number {
  for (let i = 0; i < batch; i++) op(i); // warm-up (JIT, key cache)
  let count = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < BENCH_MIN_MS) {
    for (let i = 0; i < batch; i++) op(count + i);
    count += batch;
    elapsed = now() - start;
  }
  return (count * 1000) / elapsed;
}

// Keeps `inFlight` async operations running until BENCH_MIN_MS has passed; returns operations per second.
async function measureAsync(op: (i: number) => Promise<void>, inFlight: number): Promise<number> {
  const warm: Array<Promise<void>> = [];
  for (let i = 0; i < inFlight; i++) warm.push(op(i));
  await Promise.all(warm);
  let started = 0;
  let done = 0;
  const start = now();
  const lane = async (): Promise<void> => {
    while (now() - start < BENCH_MIN_MS) {
      const i = started++;
      await op(i);
      done++;
    }
  };
  const lanes: Array<Promise<void>> = [];
  for (let i = 0; i < inFlight; i++) lanes.push(lane());
  await Promise.all(lanes);
  return (done * 1000) / (now() - start);
}

/** Measures and returns the figures; prints nothing. Throws if a verification gives a wrong answer. */
export async function benchEd25519(): Promise<Array<{ name: string; opsPerSec: number }>> {
  const samples = makeSamples();
  const check = (ok: boolean): void => {
    if (!ok) throw new Error('bench-ed25519: a valid signature did not verify');
  };
  const results: Array<{ name: string; opsPerSec: number }> = [];

  results.push({
    name: 'ed25519 verify, host sync (node:crypto)',
    opsPerSec: measureSync((i) => {
      const s = samples[i % SIGNERS];
      check(verifyEd25519Host(s.pub, s.msg, s.sig));
    }, 200),
  });

  results.push({
    name: `ed25519 verify, host async (thread pool, ${BENCH_ASYNC_IN_FLIGHT} in flight)`,
    opsPerSec: await measureAsync(async (i) => {
      const s = samples[i % SIGNERS];
      check(await verifyEd25519HostAsync(s.pub, s.msg, s.sig));
    }, BENCH_ASYNC_IN_FLIGHT),
  });

  results.push({
    name: 'ed25519 verify, reference (tweetnacl)',
    opsPerSec: measureSync((i) => {
      const s = samples[i % SIGNERS];
      check(verifyEd25519Reference(s.pub, s.msg, s.sig));
    }, 5),
  });

  const signer = hostSigner(new Uint8Array(32).fill(7));
  const msg = new Uint8Array(MESSAGE_BYTES);
  results.push({
    name: 'ed25519 sign, host (hostSigner, node:crypto)',
    opsPerSec: measureSync((i) => {
      msg[0] = i & 0xff;
      signer.sign(msg);
    }, 200),
  });

  return results;
}
