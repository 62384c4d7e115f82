// `carnet lecteur installer` end to end: the real CLI (in process) opens one end of a socat pty pair
// with serialport, the simulated Espruino board (test/sim/espruino-board.ts) owns the other. A full
// install by packets (SHA-256 checked on the board, reboot, HELLO answered by the carnet simulator);
// the cable pulled at seeded points during the upload (socat killed, the board power-cycled), then the
// same command again resumes, sending fewer bytes than a full install; bytes dropped and corrupted at
// seeded places; a byte corrupted inside a DATA packet caught by the hash check; a damaged file on the
// board re-sent alone; and maintenance → REPL → `maintenance --retour` → the carnet service answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/main';
import { CommandIo } from '../cli/command';
import { EXIT_OK, EXIT_UNAVAILABLE } from '../cli/exit-codes';
import { crc32 } from '../../../protocol/src/crc32';
import { loaderSource } from '../../../firmware/build';
import { BoardPtyRig, EspruinoBoard } from '../../../test/sim/espruino-board';
import { ReaderSim } from '../../../test/sim/reader-sim';
import { VirtualFlash } from '../../../test/sim/virtual-flash';
import { seededRandom } from './sim-reader-end';
import { createFund } from './fund-folder';
import { nowSeconds } from './reader-client';

const SEED = 112326;
console.log('espruino install pty seed', SEED);
const PASS = 'phrase de passe de test 2026';
/** The board's packet timeout in these runs (1000 ms on a real board); the CLI's are scaled from it. */
const BOARD_MS = 60;

// Files the size of the real build (firmware/build/manifest.json): bundle, native blob, loader.
const BUNDLE = new Uint8Array(137867).map((_x, i) => (i * 31 + (i >> 9)) & 0xff);
const BLOB = new Uint8Array(18300).map((_x, i) => (i * 13 + 5) & 0xff);
const LOADER = new Uint8Array(Buffer.from(loaderSource(BUNDLE.length, crc32(BUNDLE) >>> 0), 'latin1'));
const FILES = [
  { name: 'carnet.js', bytes: BUNDLE },
  { name: 'ed25519.bin', bytes: BLOB },
  { name: '.bootcde', bytes: LOADER },
];

let dir: string;
let manifest: string;
let board: EspruinoBoard;
let rig: BoardPtyRig;
const oldEnv = process.env.CARNET_ESPRUINO_TIMEOUT_MS;

const io: CommandIo = { progress: () => {}, ask: async () => PASS };

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  let out = '';
  (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => {
    out += s;
    return true;
  };
  (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => {
    out += s;
    return true;
  };
  try {
    const code = await runCli(args, io);
    return { code, out };
  } finally {
    (process.stdout as unknown as { write: typeof orig }).write = orig;
    (process.stderr as unknown as { write: typeof origErr }).write = origErr;
  }
}

const install = () =>
  cli(['lecteur', 'installer', '--port', rig.hostPath, '--manifeste', manifest, '--json']);

/** The board back to blank Storage, in the REPL. */
function wipe(): void {
  board.tapIn = null;
  board.tapOut = null;
  board.storage.clear();
  board.powerCycle();
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  process.env.CARNET_ESPRUINO_TIMEOUT_MS = String(BOARD_MS);
  dir = mkdtempSync(join(tmpdir(), 'carnet-install-'));
  mkdirSync(join(dir, 'fw', 'build'), { recursive: true });
  mkdirSync(join(dir, 'fw', 'native', 'build'), { recursive: true });
  const put = (rel: string, b: Uint8Array) => {
    writeFileSync(join(dir, 'fw', rel), b);
    return createHash('sha256').update(b).digest('hex');
  };
  const m = {
    files: [
      { file: 'build/carnet.js', storageName: 'carnet.js', sha256: put('build/carnet.js', BUNDLE) },
      { file: 'build/bootcde.js', storageName: '.bootcde', sha256: put('build/bootcde.js', LOADER) },
      { file: 'build/conformance.js', storageName: null, sha256: '' },
    ],
    nativeBlob: { storageName: 'ed25519.bin', file: 'native/build/ed25519.bin' },
  };
  put('native/build/ed25519.bin', BLOB);
  manifest = join(dir, 'fw', 'build', 'manifest.json');
  writeFileSync(manifest, JSON.stringify(m));
  const flash = new VirtualFlash(1024 * 1024);
  board = new EspruinoBoard({
    version: '2v29',
    board: 'PICO_R1_3',
    crypto: true,
    packetTimeoutMs: BOARD_MS,
    built: FILES,
    makeReader: () => {
      const s = new ReaderSim(flash, nowSeconds(), 'espruino-pty', 64, 4096);
      s.reader.boot();
      return s;
    },
  });
  rig = new BoardPtyRig(board);
  await rig.start();
});

afterAll(async () => {
  await rig.stop();
  rmSync(dir, { recursive: true, force: true });
  if (oldEnv === undefined) delete process.env.CARNET_ESPRUINO_TIMEOUT_MS;
  else process.env.CARNET_ESPRUINO_TIMEOUT_MS = oldEnv;
});

describe('carnet lecteur installer over a real pty pair', () => {
  let fullBytes = 0;

  it('installs by packets, checks SHA-256 on the board, reboots, and the carnet firmware answers HELLO', async () => {
    const before = board.bytesIn;
    const t0 = Date.now();
    const r = await install();
    const ms = Date.now() - t0;
    expect(r.code, r.out).toBe(EXIT_OK);
    fullBytes = board.bytesIn - before;
    const j = JSON.parse(r.out) as {
      protocol: string;
      hash: string;
      files: { action: string }[];
      firmware: string;
    };
    expect(j.protocol).toBe('packet');
    expect(j.hash).toBe('sha256');
    expect(j.files.map((f) => f.action)).toEqual(['written', 'written', 'written']);
    expect(j.firmware).toMatch(/carnet/);
    expect(board.mode).toBe('carnet');
    expect(board.installedIsBuilt()).toBe(true);
    console.log(
      'full install over the pty: ' +
        ms +
        ' ms, ' +
        fullBytes +
        ' bytes to the board for ' +
        (BUNDLE.length + BLOB.length + LOADER.length) +
        ' file bytes',
    );
  }, 30000);

  it('a reader running carnet (not in maintenance) is recognised and the volunteer told what to do', async () => {
    expect(board.mode).toBe('carnet');
    const r = await install();
    expect(r.code).toBe(EXIT_UNAVAILABLE);
    expect(r.out).toMatch(/passez-le d’abord en maintenance/);
    expect(board.mode).toBe('carnet');
  }, 30000);

  it('the cable pulled at seeded points during the upload: the same command again resumes, fewer bytes, verified', async () => {
    const rnd = seededRandom(SEED);
    for (let k = 0; k < 3; k++) {
      wipe();
      const cut = Math.floor(fullBytes * (0.1 + 0.8 * rnd()));
      const start = board.bytesIn;
      const run = install();
      await waitFor(() => board.bytesIn - start >= cut, 20000);
      await rig.unplug(50);
      const first = await run;
      expect(first.code, first.out).toBe(EXIT_UNAVAILABLE);
      expect(first.out).toMatch(/relancez la même commande/);
      expect(board.mode).toBe('repl'); // a half install does not boot
      const mid = board.bytesIn;
      const second = await install();
      expect(second.code, second.out).toBe(EXIT_OK);
      const resumed = board.bytesIn - mid;
      expect(resumed).toBeLessThan(fullBytes);
      expect(board.installedIsBuilt()).toBe(true);
      expect(board.mode).toBe('carnet');
      const j = JSON.parse(second.out) as { files: { name: string; action: string; bytesSent: number }[] };
      console.log(
        'cut after ' +
          cut +
          ' bytes; resumed run sent ' +
          resumed +
          ' bytes (full: ' +
          fullBytes +
          '): ' +
          j.files.map((f) => f.name + ' ' + f.action + ' ' + f.bytesSent).join(', '),
      );
    }
  }, 60000);

  it('bytes dropped and corrupted at seeded places: the install still ends verified', async () => {
    wipe();
    const rnd = seededRandom(SEED + 1);
    const base = board.bytesIn;
    const faults = new Map<number, 'drop' | 'corrupt'>();
    for (let k = 0; k < 6; k++)
      faults.set(base + 400 + Math.floor(rnd() * (fullBytes - 800)), k % 2 === 0 ? 'drop' : 'corrupt');
    board.tapIn = (i) => faults.get(i) ?? 'pass';
    const naks = board.packets.nak;
    const r = await install();
    expect(r.code, r.out).toBe(EXIT_OK);
    expect(board.packets.nak).toBeGreaterThan(naks);
    expect(board.installedIsBuilt()).toBe(true);
    expect(board.mode).toBe('carnet');
  }, 30000);

  it('a byte corrupted inside DATA (ACKed: no checksum) is caught by the hash check and the file re-sent', async () => {
    wipe();
    let window = 0;
    let dataAt = -1;
    board.tapIn = (i, b) => {
      window = ((window << 8) | b) >>> 0;
      if (dataAt < 0 && window === 0x10018400) dataAt = i;
      return dataAt >= 0 && i === dataAt + 500 ? 'corrupt' : 'pass';
    };
    const r = await install();
    expect(r.code, r.out).toBe(EXIT_OK);
    const j = JSON.parse(r.out) as { files: { rewrites: number }[] };
    expect(j.files[0].rewrites).toBe(1);
    expect(board.installedIsBuilt()).toBe(true);
  }, 30000);

  it('a damaged file on the board is found and only that file is sent again', async () => {
    board.tapIn = null;
    board.storage.get('ed25519.bin')![1000] ^= 0x01;
    board.powerCycle(); // the simulator runs only the built firmware: the board stays in the REPL
    expect(board.mode).toBe('repl');
    const r = await install();
    expect(r.code, r.out).toBe(EXIT_OK);
    const j = JSON.parse(r.out) as { files: { action: string; bytesSent: number }[] };
    expect(j.files.map((f) => f.action)).toEqual(['present', 'written', 'present']);
    expect(j.files[1].bytesSent).toBe(BLOB.length);
    expect(board.mode).toBe('carnet');
  }, 30000);

  it('maintenance gives the REPL back; --retour restarts the carnet firmware, which answers again', async () => {
    const caisse = join(dir, 'caisse');
    createFund(caisse, PASS, nowSeconds());
    const p = await cli([
      'lecteur',
      'preparer',
      '--port',
      rig.hostPath,
      '--caisse',
      caisse,
      '--lecteur',
      '7',
    ]);
    expect(p.code, p.out).toBe(EXIT_OK);
    const m = await cli(['lecteur', 'maintenance', '--port', rig.hostPath, '--caisse', caisse]);
    expect(m.code, m.out).toBe(EXIT_OK);
    await waitFor(() => board.mode === 'repl');
    // The console really is Espruino's: it evaluates what the installer asks.
    expect(board.evaluate('process.env.VERSION')).toEqual({ ok: true, value: '2v29' });
    const back = await cli(['lecteur', 'maintenance', '--retour', '--port', rig.hostPath]);
    expect(back.code, back.out).toBe(EXIT_OK);
    expect(back.out).toMatch(/relancé.*lecteur n° 7/);
    expect(board.mode).toBe('carnet');
    const e = await cli(['lecteur', 'etat', '--port', rig.hostPath, '--caisse', caisse, '--json']);
    const st = JSON.parse(e.out) as { readerId: number; state: number };
    expect(st.readerId).toBe(7);
    expect(board.reader?.sim.reader.wantsMaintenance()).toBe(false);
  }, 60000);

  it('maintenance --retour when nothing answers after load(): a clear error, not a silent success', async () => {
    board.storage.delete('.bootcde');
    board.powerCycle();
    const back = await cli(['lecteur', 'maintenance', '--retour', '--port', rig.hostPath]);
    expect(back.code).toBe(EXIT_UNAVAILABLE);
    expect(back.out).toMatch(/ne répond pas/);
  }, 30000);
});
