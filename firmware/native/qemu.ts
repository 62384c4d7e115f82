// Runs the Thumb blob on an emulated Cortex-M4 (QEMU mps2-an386) through the bare-metal harness
// (harness/harness.c): writes the blob and a job file into a temporary directory, starts
// qemu-system-arm with semihosting there, and parses one result line per operation.
// Used by the emulator test (ed25519-qemu.test.ts) and by the benchmark (bench.ts).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENTRIES, type NativeBuild } from './build';

export type HarnessOp =
  | { op: 'verify'; sig: Uint8Array; pub: Uint8Array; msg: Uint8Array; measure?: boolean }
  | { op: 'sign'; seed: Uint8Array; msg: Uint8Array; measure?: boolean }
  | { op: 'pubkey'; seed: Uint8Array; measure?: boolean }
  | { op: 'sha512'; msg: Uint8Array; measure?: boolean }
  | { op: 'checkPubkey'; pub: Uint8Array; measure?: boolean };

export interface HarnessResult {
  /** The entry's return value (verify: 1 valid, 0 invalid; others: 0 done). */
  ret: number;
  /** sign: 64-byte signature; pubkey: 32-byte key; sha512: 64-byte digest. */
  out?: Uint8Array;
  /** Instructions executed by the entry, exactly (measured operations only). */
  icount?: number;
  /** Stack high-water mark of the entry in bytes (measured operations only). */
  stack?: number;
}

export interface HarnessRun {
  version: number;
  blobSize: number;
  blobAddress: number;
  results: HarnessResult[];
  stdout: string;
}

/**
 * Wall-clock limit of one QEMU run: generous for a loaded 2-core CI machine (the emulator executes roughly
 * 50-200 million guest instructions per second; a verification is about one million).
 */
export const QEMU_BASE_TIMEOUT_MS = 30_000;
export const QEMU_TIMEOUT_PER_OP_MS = 500;

function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The job file format of harness/harness.c. */
export function encodeJob(build: NativeBuild, ops: HarnessOp[]): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode('CJOB'), u32le(ops.length)];
  for (const name of ENTRIES) parts.push(u32le(build.info.offsets[name]));
  parts.push(u32le(build.info.size));
  for (const o of ops) {
    let code: string;
    let data: Uint8Array;
    let len: number;
    switch (o.op) {
      case 'verify':
        if (o.sig.length !== 64 || o.pub.length !== 32) throw new Error('harness verify needs 64 + 32 bytes');
        code = 'V';
        data = concat([o.sig, o.pub, o.msg]);
        len = o.msg.length;
        break;
      case 'sign':
        code = 'S';
        data = concat([o.seed, o.msg]);
        len = o.msg.length;
        break;
      case 'pubkey':
        code = 'P';
        data = o.seed;
        len = 0;
        break;
      case 'sha512':
        code = 'H';
        data = o.msg;
        len = o.msg.length;
        break;
      case 'checkPubkey':
        if (o.pub.length !== 32) throw new Error('harness checkPubkey needs 32 bytes');
        code = 'K';
        data = o.pub;
        len = 0;
        break;
    }
    parts.push(new Uint8Array([code.charCodeAt(0), o.measure ? 1 : 0, 0, 0]), u32le(len), data);
    const pad = (4 - (data.length % 4)) % 4;
    if (pad) parts.push(new Uint8Array(pad));
  }
  return concat(parts);
}

function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function parseHarnessOutput(stdout: string, count: number): HarnessRun {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  const err = lines.find((l) => l.startsWith('ERROR'));
  if (err) throw new Error(`harness: ${err}`);
  const head = /^VERSION (-?\d+) blob=(\d+) at=(\d+)$/.exec(lines[0] ?? '');
  if (!head) throw new Error(`harness: unexpected output\n${stdout.slice(0, 2000)}`);
  const results: HarnessResult[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[1 + i];
    const m = /^([VSPHK]) (\d+) (-?\d+)(?: ([0-9a-f]+))?(?: icount=(\d+) stack=(\d+))?$/.exec(line ?? '');
    if (!m || Number(m[2]) !== i) throw new Error(`harness: bad line ${i}: ${line}`);
    results.push({
      ret: Number(m[3]),
      out: m[4] ? fromHex(m[4]) : undefined,
      icount: m[5] ? Number(m[5]) : undefined,
      stack: m[6] ? Number(m[6]) : undefined,
    });
  }
  if (lines[1 + count] !== `DONE ${count}`)
    throw new Error(`harness: missing DONE line\n${stdout.slice(-500)}`);
  return {
    version: Number(head[1]),
    blobSize: Number(head[2]),
    blobAddress: Number(head[3]),
    results,
    stdout,
  };
}

/** Runs the operations in one QEMU process and returns their results in order. */
export function runHarness(build: NativeBuild, ops: HarnessOp[]): HarnessRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'carnet-qemu-'));
  try {
    writeFileSync(path.join(dir, 'blob.bin'), readFileSync(build.blob));
    writeFileSync(path.join(dir, 'job.bin'), encodeJob(build, ops));
    const measured = ops.filter((o) => o.measure).length;
    const timeout = QEMU_BASE_TIMEOUT_MS + QEMU_TIMEOUT_PER_OP_MS * (ops.length + 10 * measured);
    const r = spawnSync(
      'qemu-system-arm',
      [
        '-M',
        'mps2-an386',
        '-cpu',
        'cortex-m4',
        '-display',
        'none',
        '-monitor',
        'none',
        '-serial',
        'none',
        '-chardev',
        'stdio,id=semihosting',
        '-semihosting-config',
        'enable=on,target=native,chardev=semihosting',
        '-icount',
        'shift=0',
        '-kernel',
        build.harness,
      ],
      { cwd: dir, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.error) {
      const e = r.error as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') {
        throw new Error(
          'qemu-system-arm introuvable : installez le paquet Debian qemu-system-arm (scripts/setup.sh)',
        );
      }
      throw new Error(`qemu-system-arm: ${e.message} (délai ${timeout} ms)`);
    }
    if (r.status !== 0) {
      throw new Error(`qemu-system-arm a échoué (code ${r.status})\n${r.stdout}\n${r.stderr}`);
    }
    return parseHarnessOutput(r.stdout, ops.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
