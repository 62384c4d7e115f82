// The REPL firmware upload against a fake Espruino console: Storage in memory with flash semantics
// (a new file is erased to 0xFF, writes can only clear bits), lines lost at a seeded rate, an upload cut
// half-way and resumed (chunks already in flash skipped), and a verification failure.
import { describe, expect, it } from 'vitest';
import { Duplex } from 'node:stream';
import { UPLOAD_CHUNK_BYTES, uploadFirmware } from './espruino-upload';
import { crc32 } from '../../../protocol/src/crc32';
import { seededRandom } from './sim-reader-end';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { runCli } from '../cli/main';

const SEED = 4242;
console.log('espruino upload seed', SEED);

class FakeEspruino extends Duplex {
  files = new Map<string, Uint8Array>();
  line = '';
  writes = 0;
  /** Lines after which the console goes silent (cable pulled); Infinity: never. */
  dieAfterWrites = Infinity;
  lossRate = 0;
  rnd = seededRandom(SEED);
  rebooted = false;
  lost = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const ch of chunk.toString('latin1')) {
      if (ch === '\n') {
        this.exec(this.line);
        this.line = '';
      } else if (ch !== '\x03' && ch !== '\x10') this.line += ch;
    }
    cb();
  }
  exec(line: string): void {
    if (line === 'load()') {
      this.rebooted = true;
      return;
    }
    if (this.writes >= this.dieAfterWrites) return;
    const r = this.rnd();
    if (r < this.lossRate / 2) {
      this.lost++; // the line never arrived
      return;
    }
    const m = /^print\("<"\+"(k\d+)>"\+\((.*)\)\+"<\/"\+"k\d+>"\)$/.exec(line);
    if (m === null) return;
    const v = this.evaluate(m[2]);
    if (r < this.lossRate) {
      this.lost++; // executed, but the answer was lost
      return;
    }
    setImmediate(() => this.push(Buffer.from('<' + m[1] + '>' + v + '</' + m[1] + '>\r\n>', 'latin1')));
  }
  evaluate(e: string): string {
    let m = /^\(require\("Storage"\)\.read\("([^"]+)"\)\|\|""\)\.length$/.exec(e);
    if (m) return String(this.files.get(m[1])?.length ?? 0);
    m = /^E\.CRC32\(require\("Storage"\)\.read\("([^"]+)",(\d+),(\d+)\)\)$/.exec(e);
    if (m) {
      const f = this.files.get(m[1])!;
      return String(crc32(f.subarray(Number(m[2]), Number(m[2]) + Number(m[3]))) | 0);
    }
    m = /^E\.CRC32\(require\("Storage"\)\.read\("([^"]+)"\)\)$/.exec(e);
    if (m) return String(crc32(this.files.get(m[1])!) | 0);
    m = /^require\("Storage"\)\.write\("([^"]+)",atob\("([^"]*)"\),(\d+),(\d+)\)$/.exec(e);
    if (m) {
      this.writes++;
      const data = Buffer.from(m[2], 'base64');
      const off = Number(m[3]);
      if (off === 0) this.files.set(m[1], new Uint8Array(Number(m[4])).fill(0xff));
      const f = this.files.get(m[1])!;
      for (let i = 0; i < data.length; i++) f[off + i] &= data[i]; // flash: bits only clear
      return 'true';
    }
    return 'undefined';
  }
}

const bundle = new Uint8Array(5000).map((_x, i) => (i * 31 + 7) & 0xff);
const blob = new Uint8Array(1300).map((_x, i) => (i * 13) & 0xff);

describe('firmware upload through the Espruino REPL', () => {
  it('uploads, verifies by CRC-32 and reboots; a second run skips every chunk', async () => {
    const dev = new FakeEspruino();
    const files = [
      { name: '.bootcde', bytes: bundle },
      { name: 'carnet-ed25519', bytes: blob },
    ];
    const r = await uploadFirmware(dev, files, () => {}, true);
    expect(Buffer.from(dev.files.get('.bootcde')!).equals(Buffer.from(bundle))).toBe(true);
    expect(r[0].chunksWritten).toBe(Math.ceil(5000 / UPLOAD_CHUNK_BYTES));
    expect(dev.rebooted).toBe(true);
    const again = await uploadFirmware(dev, files, () => {}, false);
    expect(again[0].chunksWritten + again[1].chunksWritten).toBe(0);
  });

  it('resumes after a cut: chunks already in flash are skipped, the rest written, result verified', async () => {
    const dev = new FakeEspruino();
    dev.dieAfterWrites = 4;
    await expect(
      uploadFirmware(dev, [{ name: '.bootcde', bytes: bundle }], () => {}, false, 100),
    ).rejects.toThrow(/ne répond pas/);
    dev.dieAfterWrites = Infinity;
    const r = await uploadFirmware(dev, [{ name: '.bootcde', bytes: bundle }], () => {}, false);
    expect(r[0].chunksSkipped).toBe(4);
    expect(r[0].chunksWritten).toBe(Math.ceil(5000 / UPLOAD_CHUNK_BYTES) - 4);
    expect(Buffer.from(dev.files.get('.bootcde')!).equals(Buffer.from(bundle))).toBe(true);
  }, 30000);

  it('a different file of the same size is rewritten from offset 0 (flash cannot be overwritten in place)', async () => {
    const dev = new FakeEspruino();
    const old = new Uint8Array(bundle);
    old[3000] ^= 0xff;
    await uploadFirmware(dev, [{ name: '.bootcde', bytes: old }], () => {}, false);
    await uploadFirmware(dev, [{ name: '.bootcde', bytes: bundle }], () => {}, false);
    expect(Buffer.from(dev.files.get('.bootcde')!).equals(Buffer.from(bundle))).toBe(true);
  });

  it('survives lost lines (seeded) by re-sending them', async () => {
    const dev = new FakeEspruino();
    dev.lossRate = 0.3;
    await uploadFirmware(dev, [{ name: '.bootcde', bytes: bundle }], () => {}, false, 100);
    expect(dev.lost).toBeGreaterThan(0);
    expect(Buffer.from(dev.files.get('.bootcde')!).equals(Buffer.from(bundle))).toBe(true);
  }, 60000);

  it('carnet lecteur installer over a real pty pair: loader written last, files verified, reboot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-fw-'));
    mkdirSync(join(dir, 'fw', 'build'), { recursive: true });
    mkdirSync(join(dir, 'fw', 'native', 'build'), { recursive: true });
    const put = (rel: string, b: Uint8Array) => {
      writeFileSync(join(dir, 'fw', rel), b);
      return createHash('sha256').update(b).digest('hex');
    };
    const loader = new Uint8Array(Buffer.from('require("Storage").read("carnet.js");'));
    const manifest = {
      files: [
        { file: 'build/carnet.js', storageName: 'carnet.js', sha256: put('build/carnet.js', bundle) },
        { file: 'build/bootcde.js', storageName: '.bootcde', sha256: put('build/bootcde.js', loader) },
        { file: 'build/conformance.js', storageName: null, sha256: '' },
      ],
      nativeBlob: { storageName: 'ed25519.bin', file: 'native/build/ed25519.bin' },
    };
    put('native/build/ed25519.bin', blob);
    writeFileSync(join(dir, 'fw', 'build', 'manifest.json'), JSON.stringify(manifest));
    const a = join(dir, 'hote');
    const b = join(dir, 'lecteur');
    const socat = spawn('socat', ['pty,raw,echo=0,link=' + a, 'pty,raw,echo=0,link=' + b], {
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 500 && !(existsSync(a) && existsSync(b)); i++)
        await new Promise((r) => setTimeout(r, 10));
      const port = new SerialPort({ path: b, baudRate: 115200 });
      await new Promise<void>((res, rej) => port.once('open', res).once('error', rej));
      const dev = new FakeEspruino();
      const order: string[] = [];
      const exec = dev.exec.bind(dev);
      dev.exec = (line: string) => {
        const m = /Storage"\)\.write\("([^"]+)",atob\("[^"]*"\),0,/.exec(line);
        if (m) order.push(m[1]);
        exec(line);
      };
      port.on('data', (d: Buffer) => dev.write(d));
      dev.on('data', (d: Buffer) => port.write(d));
      const orig = process.stdout.write.bind(process.stdout);
      (process.stdout as unknown as { write: () => boolean }).write = () => true;
      let code: number;
      try {
        code = await runCli([
          'lecteur',
          'installer',
          '--port',
          a,
          '--manifeste',
          join(dir, 'fw', 'build', 'manifest.json'),
        ]);
      } finally {
        (process.stdout as unknown as { write: typeof orig }).write = orig;
      }
      expect(code).toBe(0);
      expect(order).toEqual(['carnet.js', 'ed25519.bin', '.bootcde']);
      expect(Buffer.from(dev.files.get('carnet.js')!).equals(Buffer.from(bundle))).toBe(true);
      expect(Buffer.from(dev.files.get('ed25519.bin')!).equals(Buffer.from(blob))).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      expect(dev.rebooted).toBe(true);
      await new Promise<void>((r) => port.close(() => r()));
    } finally {
      if (socat.pid !== undefined && socat.exitCode === null) process.kill(socat.pid, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});
