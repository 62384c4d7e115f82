// Firmware install over Espruino's packet protocol (Espruino 2v25 and later), with the REPL upload of
// ./espruino-upload.ts as the fallback for older firmware.
//
// The protocol, as documented in espruino/Espruino README_Protocol.md ("Packet Transfer") and spoken by
// the official tools (espruino/EspruinoWebTools uart.js: espruinoSendPacket, espruinoSendFile,
// espruinoEval):
// - a packet is DLE (0x10), SOH (0x01), then one big-endian 16-bit word: the type in its top 3 bits,
//   the length of the data in its low 13 bits (so at most 8191 bytes), then the data;
// - the board answers every packet with ACK (0x06) once received, or NAK (0x15) when it timed out
//   (an incomplete packet is dropped after 1 s);
// - EVAL (0x2000) runs the data as JavaScript and answers a RESPONSE packet (type 0) holding the result
//   as JSON; FILE_SEND (0x6000) carries {"fn":name,"s":size} and is followed by DATA (0x8000) packets
//   that fill the Storage file from offset 0, each acknowledged (the tools send 1024-byte chunks).
// The packets carry no checksum, and an ACK says "received", not "received intact": a corrupted byte
// inside DATA is written to flash as is. Hence the hash check after upload (SHA-256 computed on the
// board where it has native SHA-256, CRC-32 otherwise) and a file rewritten when it fails.
//
// Resumable: before each file the board tells what it holds (its length and the CRC-32 of every
// 1024-byte block). Blocks equal to ours are kept; when the rest is still erased flash (0xFF: a
// pre-sized Storage file not yet written), only the rest is sent, each block by an EVAL of
// `Storage.write(name, data, offset)` — idempotent, so a retried packet never shifts the file, which a
// resent DATA packet would (the board's DATA offset only moves forward). Anything else (another size,
// a block that differs and is not erased: flash bits cannot be set back to 1) rewrites the file from 0.

import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { crc32 } from '../../../protocol/src/crc32';
import { EspruinoRepl, UPLOAD_CHUNK_BYTES, UploadError, UploadFile, uploadFirmware } from './espruino-upload';

export const DLE = 0x10;
export const SOH = 0x01;
export const ACK = 0x06;
export const NAK = 0x15;
/** Packet types (README_Protocol.md): the top 3 bits of the header word. */
export const PT_RESPONSE = 0x0000;
export const PT_EVAL = 0x2000;
export const PT_EVENT = 0x4000;
export const PT_FILE_SEND = 0x6000;
export const PT_DATA = 0x8000;
export const PT_FILE_RECV = 0xa000;
export const PT_TYPE_MASK = 0xe000;
/** The length field is 13 bits: a packet carries at most 8191 bytes of data. */
export const MAX_PACKET_DATA = 0x1fff;
/** DATA chunk: 1024 bytes, the official tools' default, which a board's input buffer takes whole
 * without flow control; also the block size of the resume probe, so blocks and packets line up. */
export const PACKET_CHUNK_BYTES = 1024;
/** The board drops an incomplete packet and answers NAK after 1 s (README_Protocol.md). */
export const BOARD_PACKET_TIMEOUT_MS = 1000;
/** Waiting for an ACK: longer than the board's own 1 s, so a resend never lands inside a packet the
 * board is still collecting (it would be taken as the missing bytes). */
export const PACKET_ACK_TIMEOUT_MS = 2500;
/** Waiting for an EVAL's RESPONSE: SHA-256 of a 140 KB file, or a flash page erase, within 5 s. */
export const EVAL_TIMEOUT_MS = 5000;
/** Attempts per packet (idempotent ones only) before the board is reported silent. */
export const PACKET_ATTEMPTS = 4;
/** A file whose hash differs after upload is rewritten this many times at most. */
export const VERIFY_ATTEMPTS = 3;
/** Console text kept for error messages (the board may print errors between packets). */
export const MAX_CONSOLE_TEXT = 4096;

/** Encodes one packet. Programmer errors (a type that is not one, data over 8191 bytes) throw. */
export function encodePacket(type: number, data: Uint8Array): Uint8Array {
  if ((type & ~PT_TYPE_MASK) !== 0 || type < 0 || type > 0xffff)
    throw new Error('packet type ' + type + ' is not a type');
  if (data.length > MAX_PACKET_DATA) throw new Error('packet data ' + data.length + ' > ' + MAX_PACKET_DATA);
  const out = new Uint8Array(4 + data.length);
  const word = type | data.length;
  out[0] = DLE;
  out[1] = SOH;
  out[2] = word >> 8;
  out[3] = word & 0xff;
  out.set(data, 4);
  return out;
}

export type PacketEvent =
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'packet'; type: number; data: Uint8Array }
  | { kind: 'text'; bytes: Uint8Array };

const S_IDLE = 0;
const S_DLE = 1;
const S_HI = 2;
const S_LO = 3;
const S_DATA = 4;

/**
 * Stream decoder of the packet framing. `controls`: ACK and NAK bytes outside a packet are events (the
 * host side); otherwise they are text (the board side, where they are just characters). Bytes outside
 * packets come out as text (console output, REPL input). Any byte sequence is accepted: it never
 * throws, and holds at most one packet (8191 bytes) at a time; `reset()` drops a packet cut short.
 */
export class PacketDecoder {
  private state = S_IDLE;
  private word = 0;
  private data = new Uint8Array(MAX_PACKET_DATA);
  private got = 0;
  private len = 0;
  private text: number[] = [];

  constructor(private readonly controls: boolean) {}

  /** True while a packet has started and is not complete. */
  get partial(): boolean {
    return this.state !== S_IDLE && this.state !== S_DLE;
  }

  /** Forgets a partial packet (the sender's timeout): returns whether there was one. */
  reset(): boolean {
    const had = this.partial;
    if (this.state !== S_DLE) this.state = S_IDLE;
    return had;
  }

  push(bytes: Uint8Array): PacketEvent[] {
    const out: PacketEvent[] = [];
    const flush = () => {
      if (this.text.length > 0) {
        out.push({ kind: 'text', bytes: new Uint8Array(this.text) });
        this.text = [];
      }
    };
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      switch (this.state) {
        case S_IDLE:
          if (b === DLE) this.state = S_DLE;
          else if (this.controls && b === ACK) {
            flush();
            out.push({ kind: 'ack' });
          } else if (this.controls && b === NAK) {
            flush();
            out.push({ kind: 'nak' });
          } else this.text.push(b);
          break;
        case S_DLE:
          if (b === SOH) {
            flush();
            this.state = S_HI;
          } else {
            // A DLE not followed by SOH is text (on the board: "no echo for this line").
            this.text.push(DLE);
            if (b !== DLE) {
              this.state = S_IDLE;
              i--; // the byte is looked at again in the idle state
            }
          }
          break;
        case S_HI:
          this.word = b << 8;
          this.state = S_LO;
          break;
        case S_LO:
          this.word |= b;
          this.len = this.word & MAX_PACKET_DATA;
          this.got = 0;
          this.state = S_DATA;
          if (this.len === 0) this.emit(out);
          break;
        default: {
          const n = Math.min(this.len - this.got, bytes.length - i);
          this.data.set(bytes.subarray(i, i + n), this.got);
          this.got += n;
          i += n - 1;
          if (this.got === this.len) this.emit(out);
        }
      }
    }
    flush();
    return out;
  }

  private emit(out: PacketEvent[]): void {
    out.push({ kind: 'packet', type: this.word & PT_TYPE_MASK, data: this.data.slice(0, this.len) });
    this.state = S_IDLE;
  }
}

export interface PacketTimeouts {
  /** The board's own incomplete-packet timeout (waited out before a resend). */
  boardPacketMs: number;
  ackMs: number;
  evalMs: number;
  attempts: number;
}

export const DEFAULT_TIMEOUTS: PacketTimeouts = {
  boardPacketMs: BOARD_PACKET_TIMEOUT_MS,
  ackMs: PACKET_ACK_TIMEOUT_MS,
  evalMs: EVAL_TIMEOUT_MS,
  attempts: PACKET_ATTEMPTS,
};

/** Timeouts scaled from the board's packet timeout (1000 ms on a real board; tests use less). */
export function timeoutsFor(boardPacketMs: number): PacketTimeouts {
  return {
    boardPacketMs,
    ackMs: Math.round(boardPacketMs * 2.5),
    evalMs: boardPacketMs * 5,
    attempts: PACKET_ATTEMPTS,
  };
}

/** Raised inside a DATA stream when an ACK does not come: the caller probes and resumes. */
class StreamBroken extends Error {}

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytesOf = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** The host end of the packet protocol on a byte stream. */
export class PacketLink {
  /** Bytes written to the stream, and data bytes of the files among them. */
  bytesOut = 0;
  fileBytesOut = 0;
  console = '';
  private dec = new PacketDecoder(true);
  private events: PacketEvent[] = [];
  private wake: (() => void) | null = null;
  private closed: UploadError | null = null;
  private evalId = 0;
  private onData = (b: Buffer) => {
    for (const e of this.dec.push(new Uint8Array(b))) {
      if (e.kind === 'text') {
        this.console = (this.console + latin1(e.bytes)).slice(-MAX_CONSOLE_TEXT);
      } else this.events.push(e);
    }
    this.poke();
  };
  private onClose = () => {
    this.closed = new UploadError('LINK_CLOSED', 'liaison coupée pendant le transfert (câble débranché ?)');
    this.poke();
  };

  constructor(
    private stream: Duplex,
    readonly t: PacketTimeouts,
  ) {
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('error', this.onClose);
  }

  close(): void {
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.stream.off('error', this.onClose);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    if (w !== null) w();
  }

  private write(b: Uint8Array): void {
    if (this.closed !== null) throw this.closed;
    this.bytesOut += b.length;
    this.stream.write(Buffer.from(b));
  }

  /** Waits until `pick` accepts an event (removed from the queue) or the time runs out (null). */
  private async next<T>(pick: (e: PacketEvent) => T | undefined, ms: number): Promise<T | null> {
    const end = Date.now() + ms;
    for (;;) {
      while (this.events.length > 0) {
        const r = pick(this.events.shift()!);
        if (r !== undefined) return r;
      }
      if (this.closed !== null) throw this.closed;
      const left = end - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((res) => {
        const timer = setTimeout(() => {
          this.wake = null;
          res();
        }, left);
        this.wake = () => {
          clearTimeout(timer);
          res();
        };
      });
    }
  }

  /** Sends one packet and waits for its ACK or NAK. */
  async send(type: number, data: Uint8Array): Promise<'ack' | 'nak' | 'timeout'> {
    this.events = this.events.filter((e) => e.kind === 'packet');
    this.write(encodePacket(type, data));
    const r = await this.next(
      (e) => (e.kind === 'ack' || e.kind === 'nak' ? e.kind : undefined),
      this.t.ackMs,
    );
    return r === null ? 'timeout' : r;
  }

  /** After a lost packet: waits out the board's timeout (it drops what it holds), clears its REPL line
   * of any bytes that were taken as typing (Ctrl-C), and forgets what came in meanwhile. */
  async resync(): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.round(this.t.boardPacketMs * 1.5)));
    this.write(new Uint8Array([0x03]));
    await new Promise((r) => setTimeout(r, Math.round(this.t.boardPacketMs / 4)));
    this.dec.reset();
    this.events = [];
  }

  /**
   * Evaluates an expression on the board and returns its result (parsed JSON). The expression is sent
   * as `[id,(expr)]` so that a late answer to an earlier attempt is recognised and skipped. Only
   * idempotent expressions may go through here: a packet whose ACK was lost is sent again.
   */
  async eval(expr: string, attempts = this.t.attempts, ms = this.t.evalMs): Promise<unknown> {
    let refused: string | null = null;
    for (let a = 0; a < attempts; a++) {
      const id = ++this.evalId;
      const r = await this.send(PT_EVAL, bytesOf('[' + id + ',(' + expr + ')]'));
      if (r !== 'ack') {
        await this.resync();
        continue;
      }
      const bad = { text: null as string | null };
      const v = await this.next((e) => {
        if (e.kind !== 'packet' || e.type !== PT_RESPONSE) return undefined;
        let j: unknown;
        try {
          j = JSON.parse(latin1(e.data));
        } catch {
          j = undefined;
        }
        if (Array.isArray(j) && j.length === 2 && j[0] === id) return { value: j[1] as unknown };
        if (Array.isArray(j)) return undefined; // a late answer to an earlier attempt
        bad.text = latin1(e.data);
        return { value: undefined };
      }, ms);
      if (bad.text !== null) {
        // An error: the expression itself, or bytes changed on the way (packets carry no checksum).
        // Tried again; a real refusal (Storage full...) comes back every time and is reported.
        refused = (bad.text + ' ' + this.console.slice(-200)).trim();
        continue;
      }
      if (v !== null) return v.value;
      await this.resync();
    }
    if (refused !== null) throw new UploadError('EVAL_ERROR', 'le lecteur refuse une commande : ' + refused);
    throw new UploadError('PACKET_SILENT', 'le lecteur ne répond plus aux paquets Espruino');
  }

  /** FILE_SEND then the DATA packets from offset 0; throws StreamBroken when an ACK does not come. */
  async sendFile(name: string, bytes: Uint8Array, progress: (n: number) => void): Promise<void> {
    const head = bytesOf(JSON.stringify({ fn: name, s: bytes.length }));
    let ok = false;
    for (let a = 0; a < this.t.attempts && !ok; a++) {
      // FILE_SEND only sets where DATA goes: sending it again is harmless.
      ok = (await this.send(PT_FILE_SEND, head)) === 'ack';
      if (!ok) await this.resync();
    }
    if (!ok) throw new UploadError('PACKET_SILENT', 'le lecteur ne répond plus aux paquets Espruino');
    for (let off = 0; off < bytes.length; off += PACKET_CHUNK_BYTES) {
      const chunk = bytes.subarray(off, Math.min(bytes.length, off + PACKET_CHUNK_BYTES));
      this.fileBytesOut += chunk.length;
      if ((await this.send(PT_DATA, chunk)) !== 'ack') throw new StreamBroken();
      progress(off + chunk.length);
    }
  }

  /** Sends one packet without waiting for anything (the reboot: no answer comes back). */
  async fire(type: number, data: Uint8Array): Promise<void> {
    this.write(encodePacket(type, data));
    await new Promise<void>((r) => this.stream.write(Buffer.alloc(0), () => r()));
  }
}

// ---- Expressions sent to the board (plain ES5; Storage names checked by checkName) ----

const ST = 'require("Storage")';

/** Storage names: up to 28 characters (FACTS.md), quoted safely in a JS string literal. */
export function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,28}$/.test(name))
    throw new UploadError('BAD_NAME', 'nom de fichier invalide : ' + name);
}

/** Version, board name, and whether `require("crypto").SHA256` exists (Pico, WiFi: yes; Jolt.js: no). */
export const BOARD_INFO_EXPR =
  '[process.env.VERSION,process.env.BOARD,(function(){try{return typeof require("crypto").SHA256}' +
  'catch(e){return "none"}})()]';

/** null when the file is absent, else [length, CRC-32 of each block of `block` bytes]. */
export function probeExpr(name: string, block: number): string {
  return (
    '(function(s,n,b){var f=s.read(n);if(f===undefined)return null;var r=[f.length];' +
    'for(var i=0;i<f.length;i+=b)r.push(E.CRC32(s.read(n,i,Math.min(b,f.length-i))));return r;})(' +
    ST +
    ',"' +
    name +
    '",' +
    block +
    ')'
  );
}

export function writeAtExpr(name: string, offset: number, data: Uint8Array): string {
  return ST + '.write("' + name + '",atob("' + Buffer.from(data).toString('base64') + '"),' + offset + ')';
}

export type HashKind = 'sha256' | 'crc32';

export function hashExpr(name: string, kind: HashKind): string {
  return kind === 'sha256'
    ? 'btoa(E.toString(require("crypto").SHA256(' + ST + '.read("' + name + '"))))'
    : 'E.CRC32(' + ST + '.read("' + name + '"))';
}

export function hostHash(bytes: Uint8Array, kind: HashKind): string {
  return kind === 'sha256' ? createHash('sha256').update(bytes).digest('base64') : String(crc32(bytes) >>> 0);
}

/** The board's answer to hashExpr, normalised like hostHash (E.CRC32 may answer a signed number). */
export function boardHash(v: unknown, kind: HashKind): string | null {
  if (kind === 'sha256') return typeof v === 'string' ? v : null;
  const n = Number(v);
  return Number.isFinite(n) ? String(n >>> 0) : null;
}

export interface ResumePlan {
  /** 'present': every block equal; 'resume': blocks from `from` are erased; 'rewrite': from offset 0. */
  action: 'present' | 'resume' | 'rewrite';
  /** First block to write (resume). */
  from: number;
}

/** Decides from the board's probe answer what to send. Never throws on a hostile answer. */
export function planResume(probe: unknown, bytes: Uint8Array, block: number): ResumePlan {
  const blocks = Math.ceil(bytes.length / block);
  if (!Array.isArray(probe) || probe.length !== blocks + 1 || probe[0] !== bytes.length)
    return { action: 'rewrite', from: 0 };
  let k = 0;
  while (k < blocks && Number(probe[k + 1]) >>> 0 === crc32(bytes.subarray(k * block, (k + 1) * block)) >>> 0)
    k++;
  if (k === blocks) return { action: 'present', from: blocks };
  for (let j = k; j < blocks; j++) {
    const n = Math.min(block, bytes.length - j * block);
    if (Number(probe[j + 1]) >>> 0 !== crc32(new Uint8Array(n).fill(0xff)) >>> 0)
      return { action: 'rewrite', from: 0 };
  }
  return k === 0 ? { action: 'rewrite', from: 0 } : { action: 'resume', from: k };
}

export interface FileReport {
  name: string;
  bytes: number;
  /** What was found on the board: complete, resumed from a block, or written from 0. */
  action: 'present' | 'resumed' | 'written';
  /** File bytes that crossed the link (a resume sends fewer than `bytes`). */
  bytesSent: number;
  /** Hash compared after upload, and how many times the file was rewritten because it differed. */
  verifiedBy: HashKind;
  rewrites: number;
}

export interface InstallReport {
  protocol: 'packet' | 'repl';
  version: string;
  board: string;
  hash: HashKind;
  files: FileReport[];
  /** Bytes written to the link by the installer (packet path; the REPL path counts file bytes). */
  wireBytes: number;
  seconds: number;
}

export interface InstallOptions {
  timeouts: PacketTimeouts;
  /** REPL answer timeout for the fallback path. */
  replTimeoutMs: number;
  reboot: boolean;
  /** Announced once the protocol is known ('packet' or 'repl', version). */
  onProtocol?: (protocol: 'packet' | 'repl', version: string, hash: HashKind) => void;
}

/** Pads an expression so the low byte of its packet length is printable: on firmware older than 2v25 the
 * header is typed into the REPL line, and a length byte of 0x0A or 0x0D would run that line. */
function printableLength(expr: string, wrapper: number): string {
  let e = expr;
  for (;;) {
    const lo = (e.length + wrapper) & 0xff;
    if (lo >= 0x20 && lo <= 0x7e) return e;
    e += ' ';
  }
}

/**
 * Installs `files` (in order; put the loader last) into the board's Storage: detects the protocol
 * (packet EVAL first; no answer → the REPL), uploads what is missing, verifies every file by hash and
 * rewrites a file that differs, then reboots with `load()` if asked.
 */
export async function installFirmware(
  stream: Duplex,
  files: UploadFile[],
  progress: (done: number, total: number) => void,
  opts: InstallOptions,
): Promise<InstallReport> {
  const t0 = Date.now();
  for (const f of files) checkName(f.name);
  // Ctrl-C first: a half-typed REPL line would swallow what follows.
  stream.write(Buffer.from([0x03]));
  const link = new PacketLink(stream, opts.timeouts);
  let info: unknown;
  try {
    // id 1 → "[1,(" + ")]" is 6 characters around the expression.
    info = await link.eval(printableLength(BOARD_INFO_EXPR, 6), 1, opts.timeouts.ackMs);
  } catch (e) {
    if (!(e instanceof UploadError) || e.code !== 'PACKET_SILENT') {
      link.close();
      throw e;
    }
    info = null;
  }
  if (info === null) {
    link.close();
    return replInstall(stream, files, progress, opts, t0);
  }
  try {
    const a = Array.isArray(info) ? (info as unknown[]) : [];
    const version = String(a[0]);
    const board = String(a[1]);
    const hash: HashKind = a[2] === 'function' ? 'sha256' : 'crc32';
    opts.onProtocol?.('packet', version, hash);
    const total = files.reduce((n, f) => n + f.bytes.length, 0);
    let before = 0;
    const reports: FileReport[] = [];
    for (const f of files) {
      const rep: FileReport = {
        name: f.name,
        bytes: f.bytes.length,
        action: 'present',
        bytesSent: 0,
        verifiedBy: hash,
        rewrites: 0,
      };
      const show = (n: number) => progress(before + n, total);
      let first = true;
      for (;;) {
        await uploadOne(link, f, rep, show, first);
        const got = boardHash(await link.eval(hashExpr(f.name, hash)), hash);
        if (got === hostHash(f.bytes, hash)) break;
        // A byte changed on the way or in flash: flash cannot be rewritten in place, so from 0.
        if (++rep.rewrites >= VERIFY_ATTEMPTS)
          throw new UploadError(
            'UPLOAD_VERIFY',
            f.name +
              ' : empreinte ' +
              (hash === 'sha256' ? 'SHA-256' : 'CRC-32') +
              ' différente après transfert',
          );
        first = false;
      }
      before += f.bytes.length;
      show(0);
      reports.push(rep);
    }
    if (opts.reboot) await link.fire(PT_EVAL, bytesOf('load()'));
    return {
      protocol: 'packet',
      version,
      board,
      hash,
      files: reports,
      wireBytes: link.bytesOut,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    link.close();
  }
}

/** One file through packets: probe, then send what is missing (resuming after a broken stream). */
async function uploadOne(
  link: PacketLink,
  f: UploadFile,
  rep: FileReport,
  show: (n: number) => void,
  firstPass: boolean,
): Promise<void> {
  let plan = firstPass
    ? planResume(await link.eval(probeExpr(f.name, PACKET_CHUNK_BYTES)), f.bytes, PACKET_CHUNK_BYTES)
    : { action: 'rewrite' as const, from: 0 };
  for (let round = 0; ; round++) {
    if (plan.action === 'present') {
      show(f.bytes.length);
      return;
    }
    if (round > link.t.attempts)
      throw new UploadError('PACKET_SILENT', 'le lecteur ne répond plus aux paquets Espruino');
    try {
      if (plan.action === 'rewrite') {
        if (rep.action === 'present') rep.action = 'written';
        const start = link.fileBytesOut;
        try {
          await link.sendFile(f.name, f.bytes, show);
        } finally {
          rep.bytesSent += link.fileBytesOut - start;
        }
      } else {
        if (rep.action === 'present') rep.action = 'resumed';
        for (let k = plan.from; k * PACKET_CHUNK_BYTES < f.bytes.length; k++) {
          const off = k * PACKET_CHUNK_BYTES;
          const chunk = f.bytes.subarray(off, Math.min(f.bytes.length, off + PACKET_CHUNK_BYTES));
          const ok = await link.eval(writeAtExpr(f.name, off, chunk));
          rep.bytesSent += chunk.length;
          if (ok !== true) throw new UploadError('EVAL_ERROR', f.name + ' : écriture refusée à ' + off);
          show(off + chunk.length);
        }
      }
      return;
    } catch (e) {
      if (!(e instanceof StreamBroken)) throw e;
      // The board missed a packet or its ACK was lost: where it stands is asked, not guessed.
      await link.resync();
      plan = planResume(await link.eval(probeExpr(f.name, PACKET_CHUNK_BYTES)), f.bytes, PACKET_CHUNK_BYTES);
    }
  }
}

/** Firmware older than 2v25: the REPL upload (CRC-32 per chunk), then the same hash check. */
async function replInstall(
  stream: Duplex,
  files: UploadFile[],
  progress: (done: number, total: number) => void,
  opts: InstallOptions,
  t0: number,
): Promise<InstallReport> {
  stream.write(Buffer.from([0x03]));
  const repl = new EspruinoRepl(stream, opts.replTimeoutMs);
  let version: string;
  let board: string;
  let hash: HashKind;
  try {
    const parts = (await repl.eval(BOARD_INFO_EXPR)).split(',');
    version = parts[0];
    board = parts[1] ?? '';
    hash = parts[2] === 'function' ? 'sha256' : 'crc32';
  } finally {
    repl.close();
  }
  opts.onProtocol?.('repl', version, hash);
  const r = await uploadFirmware(stream, files, progress, false, opts.replTimeoutMs);
  const check = new EspruinoRepl(stream, opts.replTimeoutMs);
  try {
    for (const f of files) {
      const got = boardHash(await check.eval(hashExpr(f.name, hash)), hash);
      if (got !== hostHash(f.bytes, hash))
        throw new UploadError('UPLOAD_VERIFY', f.name + ' : empreinte différente après transfert');
    }
  } finally {
    check.close();
  }
  if (opts.reboot) stream.write(Buffer.from('\x10load()\n', 'latin1'));
  return {
    protocol: 'repl',
    version,
    board,
    hash,
    files: r.map((x) => ({
      name: x.name,
      bytes: x.bytes,
      action: x.chunksWritten === 0 ? 'present' : x.chunksSkipped > 0 ? 'resumed' : 'written',
      bytesSent: Math.min(x.bytes, x.chunksWritten * UPLOAD_CHUNK_BYTES),
      verifiedBy: hash,
      rewrites: 0,
    })),
    wireBytes: r.reduce((n, x) => n + Math.min(x.bytes, x.chunksWritten * UPLOAD_CHUNK_BYTES), 0),
    seconds: (Date.now() - t0) / 1000,
  };
}
