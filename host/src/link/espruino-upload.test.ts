// The REPL firmware upload against a fake Espruino console: Storage in memory with flash semantics
// (a new file is erased to 0xFF, writes can only clear bits), lines lost at a seeded rate, an upload cut
// half-way and resumed (chunks already in flash skipped), and a verification failure. Then the real
// `carnet lecteur installer` over a socat pty against the simulated board (test/sim/espruino-board.ts)
// running Espruino 2v24, which has no packet protocol: the installer falls back to this REPL path.
import { describe, expect, it } from 'vitest';
import { Duplex } from 'node:stream';
import { UPLOAD_CHUNK_BYTES, uploadFirmware } from './espruino-upload';
import { crc32 } from '../../../protocol/src/crc32';
import { seededRandom } from './sim-reader-end';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/main';
import { loaderSource } from '../../../firmware/build';
import { BoardPtyRig, EspruinoBoard } from '../../../test/sim/espruino-board';
import { ReaderSim } from '../../../test/sim/reader-sim';
import { VirtualFlash } from '../../../test/sim/virtual-flash';
import { nowSeconds } from './reader-client';

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

  it('carnet lecteur installer on Espruino older than 2v25 (no packets), over a real pty pair: REPL path, loader last, hash checked, reboot into carnet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-fw-'));
    mkdirSync(join(dir, 'fw', 'build'), { recursive: true });
    mkdirSync(join(dir, 'fw', 'native', 'build'), { recursive: true });
    const put = (rel: string, b: Uint8Array) => {
      writeFileSync(join(dir, 'fw', rel), b);
      return createHash('sha256').update(b).digest('hex');
    };
    const loader = new Uint8Array(Buffer.from(loaderSource(bundle.length, crc32(bundle) >>> 0), 'latin1'));
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
    const flash = new VirtualFlash(256 * 1024);
    const board = new EspruinoBoard({
      version: '2v24',
      board: 'PICO_R1_3',
      crypto: true,
      packetTimeoutMs: 50,
      built: [
        { name: 'carnet.js', bytes: bundle },
        { name: 'ed25519.bin', bytes: blob },
        { name: '.bootcde', bytes: loader },
      ],
      makeReader: () => {
        const s = new ReaderSim(flash, nowSeconds(), 'repl-board', 16, 4096);
        s.reader.boot();
        return s;
      },
    });
    const rig = new BoardPtyRig(board);
    const old = process.env.CARNET_ESPRUINO_TIMEOUT_MS;
    process.env.CARNET_ESPRUINO_TIMEOUT_MS = '50';
    try {
      await rig.start();
      const orig = process.stdout.write.bind(process.stdout);
      let out = '';
      (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => {
        out += s;
        return true;
      };
      let code: number;
      try {
        code = await runCli([
          'lecteur',
          'installer',
          '--port',
          rig.hostPath,
          '--manifeste',
          join(dir, 'fw', 'build', 'manifest.json'),
          '--json',
        ]);
      } finally {
        (process.stdout as unknown as { write: typeof orig }).write = orig;
      }
      expect(code, out).toBe(0);
      const j = JSON.parse(out) as { protocol: string; version: string; hash: string };
      expect(j.protocol).toBe('repl');
      expect(j.version).toBe('2v24');
      expect(j.hash).toBe('sha256');
      expect([...board.storage.keys()]).toEqual(['carnet.js', 'ed25519.bin', '.bootcde']);
      expect(board.installedIsBuilt()).toBe(true);
      expect(board.packets.eval).toBe(0);
      expect(board.mode).toBe('carnet');
    } finally {
      if (old === undefined) delete process.env.CARNET_ESPRUINO_TIMEOUT_MS;
      else process.env.CARNET_ESPRUINO_TIMEOUT_MS = old;
      await rig.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});
