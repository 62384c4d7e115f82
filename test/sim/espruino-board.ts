// A simulated Espruino board for the firmware installer's tests: a byte-stream endpoint that speaks the
// packet protocol of Espruino 2v25+ (README_Protocol.md "Packet Transfer": DLE SOH, a 16-bit
// type|length word, ACK/NAK, EVAL → RESPONSE, FILE_SEND + DATA into Storage, an incomplete packet
// dropped with NAK after the packet timeout) and the REPL subset the installer uses (DLE: no echo for
// the line, Ctrl-C clears the line, `print(...)`, `load()`). Storage files live in memory with the
// flash semantics the installer relies on: `write(name, data, 0, size)` makes a new file of `size`
// bytes, erased (0xFF), and writes at an offset can only clear bits. Only the expressions the
// installer sends are evaluated, recognised by pattern and answered as Espruino would; anything else
// gets an Espruino-like error. `load()` (or a power cycle) runs `.bootcde` as the carnet loader does:
// when it is a carnet loader whose bundle checks, and every installed file is the built firmware, the
// port is handed to the carnet reader simulator (SimReaderEnd); when that reader enters maintenance,
// the console comes back. Also: a pty rig (socat) that plugs the board into a real serial device.

import { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { crc32 } from '../../protocol/src/crc32';
import { NO_FAULTS, SimReaderEnd } from '../../host/src/link/sim-reader-end';
import { startSocatPair } from '../../host/src/link/pty-rig';
import { ReaderSim } from './reader-sim';

export interface BoardFile {
  name: string;
  bytes: Uint8Array;
}

export interface EspruinoBoardOptions {
  /** process.env.VERSION: from 2v25 the board speaks packets; before, only the REPL. */
  version: string;
  board: string;
  /** Native `require("crypto").SHA256` (Pico, WiFi) or not (Jolt.js). */
  crypto: boolean;
  /** Incomplete packet dropped (NAK) after this long; 1000 ms on a real board. */
  packetTimeoutMs: number;
  /** The firmware the carnet simulator stands for: booted only when Storage holds exactly these. */
  built: BoardFile[];
  makeReader: () => ReaderSim;
}

/** Largest REPL line kept (a real board runs out of memory long before). */
export const MAX_REPL_LINE = 65536;

const DLE = 0x10;
const SOH = 0x01;
const ACK = 0x06;
const NAK = 0x15;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const str = (b: Uint8Array) => Buffer.from(b).toString('latin1');

class EspruinoError {
  constructor(readonly message: string) {}
}

// The expressions the installer sends, as the board sees them.
const RE_INFO =
  /^\[process\.env\.VERSION,process\.env\.BOARD,\(function\(\)\{try\{return typeof require\("crypto"\)\.SHA256\}catch\(e\)\{return "none"\}\}\)\(\)\]$/;
const PROBE_HEAD =
  '(function(s,n,b){var f=s.read(n);if(f===undefined)return null;var r=[f.length];' +
  'for(var i=0;i<f.length;i+=b)r.push(E.CRC32(s.read(n,i,Math.min(b,f.length-i))));return r;})(require("Storage"),"';
const RE_PROBE_TAIL = /^([A-Za-z0-9._-]{1,28})",(\d+)\)$/;
const RE_LENGTH = /^\(require\("Storage"\)\.read\("([A-Za-z0-9._-]{1,28})"\)\|\|""\)\.length$/;
const RE_CRC_RANGE = /^E\.CRC32\(require\("Storage"\)\.read\("([A-Za-z0-9._-]{1,28})",(\d+),(\d+)\)\)$/;
const RE_CRC = /^E\.CRC32\(require\("Storage"\)\.read\("([A-Za-z0-9._-]{1,28})"\)\)$/;
const RE_SHA =
  /^btoa\(E\.toString\(require\("crypto"\)\.SHA256\(require\("Storage"\)\.read\("([A-Za-z0-9._-]{1,28})"\)\)\)\)$/;
const RE_WRITE =
  /^require\("Storage"\)\.write\("([A-Za-z0-9._-]{1,28})",atob\("([A-Za-z0-9+/=]*)"\),(\d+)(?:,(\d+))?\)$/;
const RE_PRINT = /^print\("<"\+"(k\d+)>"\+\((.*)\)\+"<\/"\+"k\d+>"\)$/s;
const RE_EVAL_WRAP = /^\[(\d+),\((.*)\)\]$/s;
/** The carnet loader's check (firmware/build.ts loaderSource): bundle length and CRC-32. */
// E.CRC32 answers a 32-bit integer, modelled here as signed (the loader and the host bring it back to
// unsigned with >>> 0, so either form passes).
const RE_LOADER = /code\.length !== (\d+) \|\| \(E\.CRC32\(code\) >>> 0\) !== (\d+)/;

export class EspruinoBoard {
  readonly storage = new Map<string, Uint8Array>();
  mode: 'repl' | 'carnet' = 'repl';
  /** Host bytes that reached the board, and the data bytes written by FILE_SEND/DATA and EVAL writes. */
  bytesIn = 0;
  fileBytesWritten = 0;
  boots = 0;
  packets = { eval: 0, fileSend: 0, data: 0, nak: 0 };
  console = '';
  /** Host → board fault hook, per byte (its index since power-up of the test): drop or corrupt it. */
  tapIn: ((index: number, byte: number) => 'pass' | 'drop' | 'corrupt') | null = null;
  /** Board → host fault hook, per byte. */
  tapOut: ((index: number, byte: number) => 'pass' | 'drop') | null = null;
  reader: SimReaderEnd | null = null;
  private outIndex = 0;
  private toHostFn: (b: Uint8Array) => void = () => {};
  // packet reception
  private pState = 0; // 0 idle, 1 had DLE, 2 hi, 3 lo, 4 data
  private pWord = 0;
  private pData: number[] = [];
  private pStarted = 0;
  private pFile: { fn: string; s: number; offs: number } | null = null;
  // REPL
  private line = '';
  private echoOff = false;
  private timer: NodeJS.Timeout;

  constructor(readonly opts: EspruinoBoardOptions) {
    this.timer = setInterval(() => this.tick(), 5);
  }

  set toHost(f: (b: Uint8Array) => void) {
    this.toHostFn = f;
  }

  get speaksPackets(): boolean {
    const m = /^(\d+)v(\d+)/.exec(this.opts.version);
    return m !== null && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 25));
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopReader();
  }

  private send(b: Uint8Array | string): void {
    const bytes = typeof b === 'string' ? new Uint8Array(Buffer.from(b, 'latin1')) : b;
    const out: number[] = [];
    for (const x of bytes)
      if (this.tapOut === null || this.tapOut(this.outIndex++, x) === 'pass') out.push(x);
    if (out.length > 0) this.toHostFn(new Uint8Array(out));
  }

  private print(s: string): void {
    this.console = (this.console + s).slice(-4096);
    this.send(s);
  }

  /** Bytes from the host (USB). */
  fromHost(chunk: Uint8Array): void {
    const bytes: number[] = [];
    for (const x of chunk) {
      const t = this.tapIn === null ? 'pass' : this.tapIn(this.bytesIn, x);
      this.bytesIn++;
      if (t === 'drop') continue;
      bytes.push(t === 'corrupt' ? x ^ 0x5a : x);
    }
    if (this.mode === 'carnet') {
      this.reader?.fromHost(new Uint8Array(bytes));
      return;
    }
    for (const b of bytes) this.byte(b);
  }

  private byte(b: number): void {
    if (this.mode === 'carnet') {
      this.reader?.fromHost(new Uint8Array([b]));
      return;
    }
    if (!this.speaksPackets) {
      this.replChar(b);
      return;
    }
    switch (this.pState) {
      case 0:
        if (b === DLE) this.pState = 1;
        else this.replChar(b);
        return;
      case 1:
        if (b === SOH) {
          this.pState = 2;
          this.pStarted = Date.now();
        } else {
          this.replChar(DLE);
          this.pState = b === DLE ? 1 : 0;
          if (b !== DLE) this.replChar(b);
        }
        return;
      case 2:
        this.pWord = b << 8;
        this.pState = 3;
        return;
      case 3:
        this.pWord |= b;
        this.pData = [];
        this.pState = 4;
        if ((this.pWord & 0x1fff) === 0) this.packet();
        return;
      default:
        this.pData.push(b);
        if (this.pData.length === (this.pWord & 0x1fff)) this.packet();
    }
  }

  private tick(): void {
    if (this.pState >= 2 && Date.now() - this.pStarted > this.opts.packetTimeoutMs) {
      // README_Protocol.md: an incomplete packet times out after 1 s and is answered NAK.
      this.pState = 0;
      this.packets.nak++;
      this.send(new Uint8Array([NAK]));
    }
    if (this.mode === 'carnet' && this.reader !== null && this.reader.sim.reader.wantsMaintenance()) {
      // firmware/src/main.ts: the reader stops and gives the console back to USB.
      this.stopReader();
      this.mode = 'repl';
      this.line = '';
    }
  }

  private packet(): void {
    this.pState = 0;
    const type = this.pWord & 0xe000;
    const data = new Uint8Array(this.pData);
    if (type === 0x2000) {
      this.packets.eval++;
      this.send(new Uint8Array([ACK]));
      const text = str(data);
      if (text.trim() === 'load()') {
        setImmediate(() => this.reboot());
        return;
      }
      const w = RE_EVAL_WRAP.exec(text);
      let r: { ok: true; value: unknown } | { ok: false; message: string };
      if (w === null) r = this.evaluate(text.trim());
      else {
        const inner = this.evaluate(w[2].trim());
        r = inner.ok ? { ok: true, value: [Number(w[1]), inner.value] } : inner;
      }
      if (r.ok) this.send(packetOf(0, JSON.stringify(r.value === undefined ? null : r.value)));
      else {
        this.print('Uncaught ' + r.message + '\r\n');
        this.send(packetOf(0, 'undefined'));
      }
      return;
    }
    if (type === 0x6000) {
      this.packets.fileSend++;
      let j: unknown;
      try {
        j = JSON.parse(str(data));
      } catch {
        j = null;
      }
      const o = j as { fn?: unknown; s?: unknown } | null;
      if (
        o === null ||
        typeof o !== 'object' ||
        typeof o.fn !== 'string' ||
        !/^[A-Za-z0-9._-]{1,28}$/.test(o.fn) ||
        !Number.isInteger(o.s) ||
        (o.s as number) < 0
      ) {
        this.pFile = null;
        this.send(new Uint8Array([NAK]));
        return;
      }
      this.pFile = { fn: o.fn, s: o.s as number, offs: 0 };
      this.send(new Uint8Array([ACK]));
      return;
    }
    if (type === 0x8000) {
      this.packets.data++;
      const f = this.pFile;
      if (f === null || f.offs + data.length > f.s) {
        this.send(new Uint8Array([NAK]));
        return;
      }
      if (data.length > 0) {
        // The file is made at the first block (offset 0, pre-sized), then filled.
        this.storageWrite(f.fn, data, f.offs, f.offs === 0 ? f.s : undefined);
        f.offs += data.length;
        this.fileBytesWritten += data.length;
      }
      this.send(new Uint8Array([ACK]));
      return;
    }
    // EVENT, FILE_RECV, RESPONSE: not used by the installer; acknowledged and ignored.
    this.send(new Uint8Array([ACK]));
  }

  private replChar(b: number): void {
    if (b === 0x03) {
      this.line = '';
      this.echoOff = false;
      return;
    }
    if (b === DLE && this.line.length === 0) {
      this.echoOff = true;
      return;
    }
    if (b === 0x0a || b === 0x0d) {
      const l = this.line;
      const quiet = this.echoOff;
      this.line = '';
      this.echoOff = false;
      if (!quiet) this.print('\r\n');
      if (l.trim() !== '') this.runLine(l.trim(), quiet);
      this.print('>');
      return;
    }
    if (b === 0x08 || b === 0x7f) {
      this.line = this.line.slice(0, -1);
      return;
    }
    if (b === 0x01) return; // Ctrl-A: cursor home
    if (this.line.length >= MAX_REPL_LINE) {
      this.print('\r\nNew interpreter error: MEMORY\r\n');
      this.line = '';
      return;
    }
    this.line += String.fromCharCode(b);
    if (!this.echoOff) this.send(new Uint8Array([b]));
  }

  private runLine(l: string, quiet: boolean): void {
    if (l === 'load()') {
      setImmediate(() => this.reboot());
      return;
    }
    const p = RE_PRINT.exec(l);
    if (p !== null) {
      const r = this.evaluate(p[2]);
      if (r.ok) this.print('<' + p[1] + '>' + printed(r.value) + '</' + p[1] + '>\r\n');
      else this.print('Uncaught ' + r.message + '\r\n');
      return;
    }
    const r = this.evaluate(l);
    if (!r.ok) this.print('Uncaught ' + r.message + '\r\n');
    else if (!quiet) this.print('=' + printed(r.value) + '\r\n');
  }

  /** The installer's expressions, recognised by pattern. */
  evaluate(e: string): { ok: true; value: unknown } | { ok: false; message: string } {
    try {
      return { ok: true, value: this.evaluateOrThrow(e) };
    } catch (x) {
      if (x instanceof EspruinoError) return { ok: false, message: x.message };
      throw x;
    }
  }

  private evaluateOrThrow(e: string): unknown {
    if (RE_INFO.test(e)) return [this.opts.version, this.opts.board, this.opts.crypto ? 'function' : 'none'];
    if (e === 'process.env.VERSION') return this.opts.version;
    if (e.startsWith(PROBE_HEAD)) {
      const m = RE_PROBE_TAIL.exec(e.substring(PROBE_HEAD.length));
      if (m !== null) {
        const f = this.storage.get(m[1]);
        const b = Number(m[2]);
        if (f === undefined) return null;
        if (b < 1) throw new EspruinoError('Error: Infinite loop');
        const r: number[] = [f.length];
        for (let i = 0; i < f.length; i += b) r.push(crc32(f.subarray(i, i + b)) | 0);
        return r;
      }
    }
    let m = RE_LENGTH.exec(e);
    if (m !== null) return this.storage.get(m[1])?.length ?? 0;
    m = RE_CRC_RANGE.exec(e);
    if (m !== null) {
      const f = this.storage.get(m[1]);
      if (f === undefined) throw new EspruinoError('Error: Expecting a String or Array, got undefined');
      return crc32(f.subarray(Number(m[2]), Number(m[2]) + Number(m[3]))) | 0;
    }
    m = RE_CRC.exec(e);
    if (m !== null) {
      const f = this.storage.get(m[1]);
      if (f === undefined) throw new EspruinoError('Error: Expecting a String or Array, got undefined');
      return crc32(f) | 0;
    }
    m = RE_SHA.exec(e);
    if (m !== null) {
      if (!this.opts.crypto) throw new EspruinoError('Error: Module crypto not found');
      const f = this.storage.get(m[1]);
      if (f === undefined) throw new EspruinoError('Error: Expecting a String or Array, got undefined');
      return createHash('sha256').update(f).digest('base64');
    }
    m = RE_WRITE.exec(e);
    if (m !== null) {
      const data = new Uint8Array(Buffer.from(m[2], 'base64'));
      const off = Number(m[3]);
      this.storageWrite(m[1], data, off, m[4] === undefined ? undefined : Number(m[4]));
      this.fileBytesWritten += data.length;
      return true;
    }
    throw new EspruinoError('SyntaxError: Got ' + JSON.stringify(e.substring(0, 12)) + ' expected EOF');
  }

  /** Storage.write(name, data, offset, size): offset 0 makes a new (erased, pre-sized) file; later
   * writes go into it and can only clear bits, as flash does. */
  storageWrite(name: string, data: Uint8Array, offset: number, size: number | undefined): void {
    if (offset === 0) {
      const n = size === undefined ? data.length : size;
      if (n < data.length) throw new EspruinoError('Error: Too much data for file size');
      this.storage.set(name, new Uint8Array(n).fill(0xff));
    }
    const f = this.storage.get(name);
    if (f === undefined) throw new EspruinoError('Error: File not found');
    if (offset + data.length > f.length) throw new EspruinoError('Error: Too much data for file size');
    for (let i = 0; i < data.length; i++) f[offset + i] &= data[i];
  }

  /** Whether the installed files are exactly the built firmware (what the simulator can run). */
  installedIsBuilt(): boolean {
    return this.opts.built.every((b) => {
      const f = this.storage.get(b.name);
      return f !== undefined && sha(f) === sha(b.bytes);
    });
  }

  private stopReader(): void {
    if (this.reader !== null) {
      this.reader.stop();
      this.reader = null;
    }
  }

  /** `load()` or power-up: the interpreter restarts and runs `.bootcde`. */
  reboot(): void {
    this.boots++;
    this.stopReader();
    this.mode = 'repl';
    this.pState = 0;
    this.pFile = null;
    this.line = '';
    this.echoOff = false;
    const boot = this.storage.get('.bootcde');
    if (boot === undefined) return;
    const m = RE_LOADER.exec(str(boot));
    if (m === null) {
      this.print('Uncaught SyntaxError: .bootcde is not a carnet loader\r\n>');
      return;
    }
    const code = this.storage.get('carnet.js');
    if (code === undefined || code.length !== Number(m[1]) || crc32(code) >>> 0 !== Number(m[2])) {
      this.print('carnet : carnet.js absent ou incomplet, réinstallez le micrologiciel\r\n>');
      return;
    }
    if (!this.installedIsBuilt()) {
      this.print('Uncaught Error: not the simulated carnet firmware\r\n>');
      return;
    }
    this.mode = 'carnet';
    this.reader = new SimReaderEnd(this.opts.makeReader(), (b) => this.send(b), NO_FAULTS);
  }

  /** The cable is pulled and plugged back: the USB-powered board restarts. */
  powerCycle(): void {
    this.reboot();
  }
}

function packetOf(type: number, text: string): Uint8Array {
  const d = Buffer.from(text, 'latin1');
  const w = type | d.length;
  return new Uint8Array([DLE, SOH, w >> 8, w & 0xff, ...d]);
}

/** How `"…"+(value)+"…"` prints a value on Espruino. */
function printed(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (x === null || x === undefined ? '' : String(x))).join(',');
  return String(v);
}

/**
 * The board on a real pty pair (socat): `hostPath` is what the CLI opens. `unplug()` kills socat (by
 * PID), power-cycles the board, and starts socat again on the same names.
 */
export class BoardPtyRig {
  readonly dir: string;
  readonly hostPath: string;
  readonly boardPath: string;
  private socat: ChildProcess | null = null;
  private port: SerialPort | null = null;
  unplugs = 0;

  constructor(readonly board: EspruinoBoard) {
    this.dir = mkdtempSync(join(tmpdir(), 'carnet-espruino-'));
    this.hostPath = join(this.dir, 'hote');
    this.boardPath = join(this.dir, 'carte');
    board.toHost = (b) => {
      const p = this.port;
      if (p !== null && p.isOpen) p.write(Buffer.from(b));
    };
  }

  async start(): Promise<void> {
    this.socat = await startSocatPair(this.hostPath, this.boardPath);
    const port = new SerialPort({ path: this.boardPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    port.on('error', () => {});
    port.on('data', (b: Buffer) => {
      if (this.port === port) this.board.fromHost(new Uint8Array(b));
    });
    this.port = port;
  }

  private async kill(): Promise<void> {
    const port = this.port;
    this.port = null;
    const p = this.socat;
    this.socat = null;
    if (p !== null && p.exitCode === null && p.pid !== undefined) {
      const gone = new Promise<void>((r) => p.once('exit', () => r()));
      process.kill(p.pid, 'SIGTERM');
      await gone;
    }
    if (port !== null && port.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }

  /** The cable is pulled (socat killed), the board loses power, and it is plugged back after `downMs`. */
  async unplug(downMs: number): Promise<void> {
    this.unplugs++;
    await this.kill();
    this.board.powerCycle();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async stop(): Promise<void> {
    this.board.stop();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
