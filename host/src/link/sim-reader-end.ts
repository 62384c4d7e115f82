// Test and benchmark helper (not shipped in the CLI's command paths): the reader end of a link — the
// firmware simulator (test/sim/reader-sim.ts, the same firmware code over a Node HAL) driven by real
// time, with seeded byte faults (dropped, duplicated, corrupted) and "unplugged" windows in both
// directions between the wire and the reader.

import { ReaderSim } from '../../../test/sim/reader-sim';
import { VirtualFlash } from '../../../test/sim/virtual-flash';

/** mulberry32: a tiny seeded PRNG, so a fault run is reproduced from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultPlan {
  seed: number;
  /** Per-byte probabilities, each direction. */
  drop: number;
  duplicate: number;
  corrupt: number;
}

export const NO_FAULTS: FaultPlan = { seed: 1, drop: 0, duplicate: 0, corrupt: 0 };

/** Applies a fault plan to a stream of chunks; `unplugged` drops everything while set. */
export class FaultyWire {
  private rnd: () => number;
  unplugged = false;
  counts = { dropped: 0, duplicated: 0, corrupted: 0, cut: 0 };
  constructor(public plan: FaultPlan) {
    this.rnd = seededRandom(plan.seed);
  }
  pass(b: Uint8Array): Uint8Array {
    if (this.unplugged) {
      this.counts.cut += b.length;
      return new Uint8Array(0);
    }
    const p = this.plan;
    if (p.drop === 0 && p.duplicate === 0 && p.corrupt === 0) return b;
    const out: number[] = [];
    for (const x of b) {
      const r = this.rnd();
      if (r < p.drop) {
        this.counts.dropped++;
        continue;
      }
      if (r < p.drop + p.corrupt) {
        this.counts.corrupted++;
        out.push(x ^ (1 + Math.floor(this.rnd() * 255)));
        continue;
      }
      out.push(x);
      if (r < p.drop + p.corrupt + p.duplicate) {
        this.counts.duplicated++;
        out.push(x);
      }
    }
    return new Uint8Array(out);
  }
}

/** Reader-sim flash large enough for the end-to-end runs: 4 MB of Storage, 512 log segments of 4 KB. */
export const SIM_FLASH_BYTES = 4 * 1024 * 1024;
export const SIM_LOG_SEGMENTS = 512;
export const SIM_LOG_SEGMENT_BYTES = 4096;

export function bigReaderSim(label: string, now: number): ReaderSim {
  const sim = new ReaderSim(
    new VirtualFlash(SIM_FLASH_BYTES),
    now,
    label,
    SIM_LOG_SEGMENTS,
    SIM_LOG_SEGMENT_BYTES,
  );
  sim.reader.boot();
  return sim;
}

/**
 * Connects a ReaderSim to a wire: `toHost` gets the reader's bytes (after faults), `fromHost(bytes)`
 * feeds the host's bytes to the reader (after faults). A timer advances the simulator's millisecond
 * clock with real time so its own retransmissions (§11.3) happen.
 */
export class SimReaderEnd {
  readonly up: FaultyWire;
  readonly down: FaultyWire;
  /** Bytes that crossed the wire, each direction (before faults). */
  bytesToHost = 0;
  bytesFromHost = 0;
  private timer: NodeJS.Timeout;
  private t0 = Date.now();
  private ms0: number;
  private secondsAdded = 0;

  constructor(
    public sim: ReaderSim,
    private toHost: (b: Uint8Array) => void,
    plan: FaultPlan,
  ) {
    this.up = new FaultyWire({ ...plan, seed: plan.seed * 2 + 1 });
    this.down = new FaultyWire({ ...plan, seed: plan.seed * 2 + 2 });
    this.ms0 = sim.clock.ms;
    sim.devices.host.write = (b: Uint8Array) => {
      this.bytesToHost += b.length;
      const out = this.up.pass(b);
      if (out.length > 0) this.toHost(out);
    };
    this.timer = setInterval(() => this.tick(), 10);
  }

  private tick(): void {
    const el = Date.now() - this.t0;
    this.sim.clock.ms = this.ms0 + el;
    const s = Math.floor(el / 1000);
    if (s > this.secondsAdded) {
      this.sim.clock.now += s - this.secondsAdded;
      this.secondsAdded = s;
    }
    this.sim.reader.onTick();
  }

  /** Moves the simulator's clock forward by `ms` (a sale's cooldown) without waiting for it. */
  advance(ms: number): void {
    this.ms0 += ms;
    this.tick();
  }

  fromHost(b: Uint8Array): void {
    this.bytesFromHost += b.length;
    const inb = this.down.pass(b);
    if (inb.length > 0) this.sim.reader.onHostBytes(inb);
  }

  set unplugged(v: boolean) {
    this.up.unplugged = v;
    this.down.unplugged = v;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
