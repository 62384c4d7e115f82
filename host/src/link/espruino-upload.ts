// Firmware install through the Espruino REPL (the reader in maintenance: console back on USB, see
// `carnet lecteur maintenance`). Files go into Storage with `require("Storage").write(name, data, offset,
// size)` (../shared/espruino/FACTS.md, Storage), one base64 chunk per line, each line prefixed with DLE
// (0x10: Espruino runs the line without echoing it) and answered by a token we print. Resumable: before
// writing a chunk, its CRC-32 in flash (E.CRC32, the same CRC as node:zlib) is compared with ours and the
// chunk skipped when equal; at the end the whole file's CRC-32 is checked. Then `load()` reboots into
// .bootcde. This is the REPL upload path of the Espruino tools, kept for firmware older than 2v25;
// ./espruino-packet.ts speaks the packet protocol (DLE SOH, FILE_SEND) and falls back to this.

import { Duplex } from 'node:stream';
import { crc32 } from '../../../protocol/src/crc32';

/** Bytes of file per line: 512 B is 684 base64 characters, a line Espruino's input queue takes whole. */
export const UPLOAD_CHUNK_BYTES = 512;
/** Wait for each answer: a flash write of 512 B on a Pico takes ~10 ms; 3 s covers a page erase. */
export const REPL_TIMEOUT_MS = 3000;
/** Attempts per line before reporting the reader gone. */
export const REPL_ATTEMPTS = 3;

export interface UploadFile {
  name: string;
  bytes: Uint8Array;
}

export class UploadError extends Error {
  constructor(
    public readonly code:
      'REPL_SILENT' | 'UPLOAD_VERIFY' | 'BAD_NAME' | 'PACKET_SILENT' | 'LINK_CLOSED' | 'EVAL_ERROR',
    message: string,
  ) {
    super(message);
  }
}

/** Storage names: up to 28 characters (FACTS.md), quoted safely in a JS string literal. */
function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,28}$/.test(name))
    throw new UploadError('BAD_NAME', 'nom de fichier invalide : ' + name);
}

export class EspruinoRepl {
  private buf = '';
  private waiters: (() => void)[] = [];
  private counter = 0;
  private onData = (b: Buffer) => {
    this.buf += b.toString('latin1');
    if (this.buf.length > 65536) this.buf = this.buf.slice(-32768);
    for (const w of this.waiters.splice(0)) w();
  };

  constructor(
    private stream: Duplex,
    private timeoutMs: number,
  ) {
    stream.on('data', this.onData);
  }

  close(): void {
    this.stream.off('data', this.onData);
  }

  /** Runs one expression line; resolves with what it printed between our markers. */
  async eval(expr: string): Promise<string> {
    for (let attempt = 0; attempt < REPL_ATTEMPTS; attempt++) {
      const id = 'k' + ++this.counter;
      // The markers are built by concatenation, so an echo of the line never matches them.
      const line = '\x10print("<"+"' + id + '>"+(' + expr + ')+"</"+"' + id + '>")\n';
      this.buf = '';
      this.stream.write(Buffer.from(attempt === 0 ? line : '\x03' + line, 'latin1'));
      const got = await this.waitFor('<' + id + '>', '</' + id + '>');
      if (got !== null) return got;
    }
    throw new UploadError('REPL_SILENT', 'la console Espruino ne répond pas (lecteur en maintenance ?)');
  }

  private waitFor(open: string, close: string): Promise<string | null> {
    return new Promise((resolve) => {
      const check = () => {
        const a = this.buf.indexOf(open);
        const b = a < 0 ? -1 : this.buf.indexOf(close, a);
        if (b >= 0) {
          clearTimeout(timer);
          resolve(this.buf.substring(a + open.length, b));
          return;
        }
        this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(null);
      }, this.timeoutMs);
      check();
    });
  }
}

export interface UploadReport {
  name: string;
  bytes: number;
  chunksWritten: number;
  chunksSkipped: number;
}

/** Uploads files into Storage, resumably, each verified by CRC-32 after upload; then reboots. */
export async function uploadFirmware(
  stream: Duplex,
  files: UploadFile[],
  progress: (done: number, total: number) => void,
  reboot: boolean,
  timeoutMs = REPL_TIMEOUT_MS,
): Promise<UploadReport[]> {
  const repl = new EspruinoRepl(stream, timeoutMs);
  const reports: UploadReport[] = [];
  try {
    const total = files.reduce((n, f) => n + f.bytes.length, 0);
    let done = 0;
    for (const f of files) {
      checkName(f.name);
      const size = f.bytes.length;
      const st = 'require("Storage")';
      const have = Number(await repl.eval('(' + st + '.read("' + f.name + '")||"").length'));
      const rep: UploadReport = { name: f.name, bytes: size, chunksWritten: 0, chunksSkipped: 0 };
      // Resume only into a file of the same size; a chunk in flash is kept if equal, written if erased
      // (0xFF: flash can only clear bits), and anything else restarts the file from offset 0.
      let resume = have === size;
      for (let off = 0; off < size; off += UPLOAD_CHUNK_BYTES) {
        const chunk = f.bytes.subarray(off, Math.min(size, off + UPLOAD_CHUNK_BYTES));
        const want = crc32(chunk) >>> 0; // E.CRC32's answer is brought to unsigned too
        if (resume) {
          const got =
            Number(
              await repl.eval('E.CRC32(' + st + '.read("' + f.name + '",' + off + ',' + chunk.length + '))'),
            ) >>> 0;
          if (got === want) {
            rep.chunksSkipped++;
            done += chunk.length;
            progress(done, total);
            continue;
          }
          if (got !== crc32(new Uint8Array(chunk.length).fill(0xff)) >>> 0 && off > 0) {
            resume = false;
            done -= off;
            off = -UPLOAD_CHUNK_BYTES;
            continue;
          }
        }
        // Offset 0 with the total size creates the file; later chunks fill it (Storage.write semantics).
        const b64 = Buffer.from(chunk).toString('base64');
        await repl.eval(st + '.write("' + f.name + '",atob("' + b64 + '"),' + off + ',' + size + ')');
        rep.chunksWritten++;
        done += chunk.length;
        progress(done, total);
      }
      const all = Number(await repl.eval('E.CRC32(' + st + '.read("' + f.name + '"))')) >>> 0;
      if (all !== crc32(f.bytes) >>> 0)
        throw new UploadError('UPLOAD_VERIFY', f.name + ' : empreinte CRC-32 différente après transfert');
      reports.push(rep);
    }
    if (reboot) stream.write(Buffer.from('\x10load()\n', 'latin1'));
    return reports;
  } finally {
    repl.close();
  }
}
