// Test and benchmark rig: a real pty pair made by socat (../shared/ci/FACTS.md), the firmware simulator
// on one end through serialport, the other end's path for the CLI. "Unplugging" kills socat (by PID) and
// starts it again on the same link names, as a pulled USB cable makes the device vanish and come back.

import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { ReaderSim } from '../../../test/sim/reader-sim';
import { FaultPlan, SimReaderEnd } from './sim-reader-end';

/** socat needs a few ms to create the links; 5 s is generous on a loaded 2-core CI machine. */
export const SOCAT_START_TIMEOUT_MS = 5000;

/**
 * Starts `socat` with a raw pty pair linked at `a` and `b` and waits until it says it is ready ("starting
 * data transfer loop", printed with -d -d) and both links exist. Stop it by PID (SIGTERM).
 */
export async function startSocatPair(a: string, b: string): Promise<ChildProcess> {
  const p = spawn('socat', ['-d', '-d', 'pty,raw,echo=0,link=' + a, 'pty,raw,echo=0,link=' + b], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  p.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const t0 = Date.now();
  while (!log.includes('starting data transfer loop')) {
    if (Date.now() - t0 > SOCAT_START_TIMEOUT_MS) throw new Error('socat did not start: ' + log);
    if (p.exitCode !== null) throw new Error('socat exited: ' + log);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!existsSync(a) || !existsSync(b)) throw new Error('socat links missing');
  return p;
}

export class PtyRig {
  readonly dir: string;
  readonly hostPath: string;
  readonly readerPath: string;
  socat: ChildProcess | null = null;
  port: SerialPort | null = null;
  end: SimReaderEnd | null = null;
  restarts = 0;

  constructor(
    public sim: ReaderSim,
    public plan: FaultPlan,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'carnet-pty-'));
    this.hostPath = join(this.dir, 'hote');
    this.readerPath = join(this.dir, 'lecteur');
  }

  async start(): Promise<void> {
    await this.startSocat();
    await this.attachReader();
  }

  private async startSocat(): Promise<void> {
    this.socat = await startSocatPair(this.hostPath, this.readerPath);
  }

  private async attachReader(): Promise<void> {
    const port = new SerialPort({ path: this.readerPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    port.on('error', () => {});
    this.port = port;
    if (this.end === null) {
      this.end = new SimReaderEnd(this.sim, (b) => this.toHost(b), this.plan);
    }
    port.on('data', (b: Buffer) => {
      if (this.port === port && this.end !== null) this.end.fromHost(new Uint8Array(b));
    });
  }

  private toHost(b: Uint8Array): void {
    const port = this.port;
    if (port !== null && port.isOpen) port.write(Buffer.from(b));
  }

  /** The cable is pulled: socat killed (by PID), both ptys vanish; plugged back after `downMs`. */
  async unplug(downMs: number): Promise<void> {
    this.restarts++;
    const port = this.port;
    this.port = null;
    await this.killSocat();
    if (port !== null && port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await new Promise((r) => setTimeout(r, downMs));
    await this.startSocat();
    await this.attachReader();
  }

  private async killSocat(): Promise<void> {
    const p = this.socat;
    this.socat = null;
    if (p === null || p.exitCode !== null || p.pid === undefined) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    process.kill(p.pid, 'SIGTERM');
    await gone;
  }

  async stop(): Promise<void> {
    if (this.end !== null) this.end.stop();
    const port = this.port;
    this.port = null;
    if (port !== null && port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await this.killSocat();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
