// Espruino packet protocol: the codec (header layout, limits, a stream split at every byte, hostile
// bytes), the resume planner, and the installer against the simulated board (test/sim/espruino-board.ts)
// in process: full install, nothing re-sent when present, resume after a cut, bytes lost or corrupted
// on the way (the hash check catches what the ACKs cannot), a damaged file on the board, lost ACKs, a
// board without native SHA-256 (CRC-32, said so), and firmware older than 2v25 (REPL fallback).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Duplex } from 'node:stream';
import {
  ACK,
  DLE,
  MAX_PACKET_DATA,
  NAK,
  PT_DATA,
  PT_EVAL,
  PT_FILE_RECV,
  PT_FILE_SEND,
  PT_RESPONSE,
  PacketDecoder,
  PacketEvent,
  SOH,
  encodePacket,
  installFirmware,
  planResume,
  timeoutsFor,
} from './espruino-packet';
import { crc32 } from '../../../protocol/src/crc32';
import { EspruinoBoard, EspruinoBoardOptions } from '../../../test/sim/espruino-board';
import { ReaderSim } from '../../../test/sim/reader-sim';
import { VirtualFlash } from '../../../test/sim/virtual-flash';
import { loaderSource } from '../../../firmware/build';
import { seededRandom } from './sim-reader-end';
import { nowSeconds } from './reader-client';

const SEED = 20261123;
console.log('espruino packet seed', SEED);

const te = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** Events with adjacent text runs merged (a split stream may cut text anywhere). */
function merged(evs: PacketEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of evs) {
    const last = out[out.length - 1] as { kind: string; text?: string } | undefined;
    if (e.kind === 'text') {
      const t = Buffer.from(e.bytes).toString('latin1');
      if (last !== undefined && last.kind === 'text') last.text += t;
      else out.push({ kind: 'text', text: t });
    } else if (e.kind === 'packet')
      out.push({ kind: 'packet', type: e.type, data: Buffer.from(e.data).toString('hex') });
    else out.push({ kind: e.kind });
  }
  return out;
}

describe('packet codec', () => {
  it('lays out DLE SOH, the type in the top 3 bits and the length in the low 13, big-endian', () => {
    expect(Array.from(encodePacket(PT_EVAL, te('1+2')))).toEqual([0x10, 0x01, 0x20, 0x03, 0x31, 0x2b, 0x32]);
    const f = encodePacket(PT_FILE_SEND, te('{"fn":"a","s":300}'));
    expect([f[0], f[1], f[2], f[3]]).toEqual([DLE, SOH, 0x60, 18]);
    const d = encodePacket(PT_DATA, new Uint8Array(1024));
    expect([d[2], d[3]]).toEqual([0x84, 0x00]);
    expect(encodePacket(PT_FILE_RECV, new Uint8Array(0))[2]).toBe(0xa0);
  });

  it('takes MAX_PACKET_DATA (8191) bytes, refuses 8192 and a value that is not a type', () => {
    const p = encodePacket(PT_DATA, new Uint8Array(MAX_PACKET_DATA).fill(7));
    expect([p[2], p[3]]).toEqual([0x9f, 0xff]);
    const ev = new PacketDecoder(true).push(p);
    expect(ev).toHaveLength(1);
    expect(ev[0].kind === 'packet' && ev[0].data.length).toBe(MAX_PACKET_DATA);
    expect(() => encodePacket(PT_DATA, new Uint8Array(MAX_PACKET_DATA + 1))).toThrow();
    expect(() => encodePacket(0x2001, new Uint8Array(0))).toThrow();
  });

  const stream = new Uint8Array([
    ...te('Espruino\r\n>'),
    ACK,
    ...encodePacket(PT_RESPONSE, te('[1,"2v29"]')),
    NAK,
    DLE,
    0x41, // DLE then not SOH: text
    DLE,
    DLE,
    ...encodePacket(PT_RESPONSE, new Uint8Array(0)),
    ...encodePacket(PT_DATA, new Uint8Array([DLE, SOH, ACK, NAK, 0, 0xff])),
    ...te('fin'),
  ]);
  const expected = [
    { kind: 'text', text: 'Espruino\r\n>' },
    { kind: 'ack' },
    { kind: 'packet', type: PT_RESPONSE, data: Buffer.from('[1,"2v29"]').toString('hex') },
    { kind: 'nak' },
    { kind: 'text', text: '\x10A\x10\x10' },
    { kind: 'packet', type: PT_RESPONSE, data: '' },
    { kind: 'packet', type: PT_DATA, data: '100106150' + '0ff' },
    { kind: 'text', text: 'fin' },
  ];

  it('decodes text, ACK, NAK and packets (control bytes inside data are data)', () => {
    expect(merged(new PacketDecoder(true).push(stream))).toEqual(expected);
  });

  it('gives the same events with the input split at every byte position', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new PacketDecoder(true);
      const ev = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(merged(ev)).toEqual(expected);
    }
    const d = new PacketDecoder(true);
    const one: PacketEvent[] = [];
    for (const b of stream) one.push(...d.push(new Uint8Array([b])));
    expect(merged(one)).toEqual(expected);
  });

  it('on the board side ACK and NAK bytes are plain text', () => {
    const ev = merged(new PacketDecoder(false).push(new Uint8Array([ACK, 0x41, NAK])));
    expect(ev).toEqual([{ kind: 'text', text: '\x06A\x15' }]);
  });

  it('reset() drops a packet cut short; the next one decodes', () => {
    const d = new PacketDecoder(true);
    d.push(encodePacket(PT_RESPONSE, te('[1,2]')).subarray(0, 6));
    expect(d.partial).toBe(true);
    expect(d.reset()).toBe(true);
    expect(d.partial).toBe(false);
    expect(merged(d.push(encodePacket(PT_RESPONSE, te('[2,3]'))))).toEqual([
      { kind: 'packet', type: PT_RESPONSE, data: Buffer.from('[2,3]').toString('hex') },
    ]);
  });

  it('hostile bytes never throw and never yield a packet over 8191 bytes (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (chunks) => {
        const d = new PacketDecoder(true);
        for (const c of chunks) {
          // bias towards framing bytes
          const b = c.map((x) => (x < 40 ? DLE : x < 70 ? SOH : x < 80 ? 0xff : x));
          for (const e of d.push(b)) if (e.kind === 'packet') expect(e.data.length).toBeLessThanOrEqual(8191);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('resume planner', () => {
  const B = 16;
  const file = new Uint8Array(50).map((_x, i) => i * 7);
  const crcs = (f: Uint8Array) => {
    const r: number[] = [f.length];
    for (let i = 0; i < f.length; i += B) r.push(crc32(f.subarray(i, i + B)) >>> 0);
    return r;
  };
  const erasedAfter = (n: number) => {
    const f = new Uint8Array(file);
    f.fill(0xff, n * B);
    return f;
  };

  it('absent, another size or nothing written: from 0; all equal: present', () => {
    expect(planResume(null, file, B)).toEqual({ action: 'rewrite', from: 0 });
    expect(planResume(crcs(file.subarray(0, 40)), file, B).action).toBe('rewrite');
    expect(planResume(crcs(erasedAfter(0)), file, B)).toEqual({ action: 'rewrite', from: 0 });
    expect(planResume(crcs(file), file, B)).toEqual({ action: 'present', from: 4 });
  });

  it('resumes at the first erased block when every later block is erased too', () => {
    expect(planResume(crcs(erasedAfter(2)), file, B)).toEqual({ action: 'resume', from: 2 });
    expect(planResume(crcs(erasedAfter(3)), file, B)).toEqual({ action: 'resume', from: 3 });
  });

  it('a block that differs and is not erased (flash cannot be set back to 1): from 0', () => {
    const f = erasedAfter(3);
    f[20] ^= 1;
    expect(planResume(crcs(f), file, B)).toEqual({ action: 'rewrite', from: 0 });
    const g = erasedAfter(1);
    g[40] = 0;
    expect(planResume(crcs(g), file, B)).toEqual({ action: 'rewrite', from: 0 });
  });

  it('never throws on a hostile answer (seeded)', () => {
    fc.assert(
      fc.property(fc.anything(), (a) => {
        expect(['present', 'resume', 'rewrite']).toContain(planResume(a, file, B).action);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// ---- The installer against the simulated board, in process ----

const BUNDLE = new Uint8Array(20000).map((_x, i) => (i * 31 + (i >> 8)) & 0xff);
const BLOB = new Uint8Array(5000).map((_x, i) => (i * 13 + 5) & 0xff);
const LOADER = te(loaderSource(BUNDLE.length, crc32(BUNDLE) >>> 0));
const FILES = [
  { name: 'carnet.js', bytes: BUNDLE },
  { name: 'ed25519.bin', bytes: BLOB },
  { name: '.bootcde', bytes: LOADER },
];
const TOTAL = BUNDLE.length + BLOB.length + LOADER.length;
const BOARD_MS = 30;
const T = timeoutsFor(BOARD_MS);

function makeBoard(o: Partial<EspruinoBoardOptions> = {}): EspruinoBoard {
  const flash = new VirtualFlash(256 * 1024);
  return new EspruinoBoard({
    version: '2v29',
    board: 'PICO_R1_3',
    crypto: true,
    packetTimeoutMs: BOARD_MS,
    built: FILES,
    makeReader: () => {
      const s = new ReaderSim(flash, nowSeconds(), 'espruino-board', 16, 4096);
      s.reader.boot();
      return s;
    },
    ...o,
  });
}

/** The host's end of a cable to the board, in process. */
function cable(board: EspruinoBoard): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      const b = new Uint8Array(chunk);
      setImmediate(() => board.fromHost(b));
      cb();
    },
  });
  board.toHost = (b) => setImmediate(() => d.push(Buffer.from(b)));
  return d;
}

const opts = { timeouts: T, replTimeoutMs: 200, reboot: true };

function same(board: EspruinoBoard): boolean {
  return FILES.every((f) => Buffer.from(board.storage.get(f.name) ?? []).equals(Buffer.from(f.bytes)));
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('installer on the simulated board (in process)', () => {
  it('installs by FILE_SEND + DATA, SHA-256 checked on the board, reboots into carnet; again: nothing sent', async () => {
    const board = makeBoard();
    let last = 0;
    const r = await installFirmware(cable(board), FILES, (d) => (last = d), opts);
    expect(r.protocol).toBe('packet');
    expect(r.hash).toBe('sha256');
    expect(r.files.map((f) => f.action)).toEqual(['written', 'written', 'written']);
    expect(r.files.reduce((n, f) => n + f.bytesSent, 0)).toBe(TOTAL);
    expect(board.packets.data).toBe(Math.ceil(BUNDLE.length / 1024) + Math.ceil(BLOB.length / 1024) + 1);
    expect(last).toBe(TOTAL);
    expect(same(board)).toBe(true);
    await waitFor(() => board.mode === 'carnet');
    board.stop();

    const again = makeBoard();
    for (const f of FILES) again.storage.set(f.name, new Uint8Array(f.bytes));
    const r2 = await installFirmware(cable(again), FILES, () => {}, { ...opts, reboot: false });
    expect(r2.files.map((f) => f.action)).toEqual(['present', 'present', 'present']);
    expect(again.fileBytesWritten).toBe(0);
    again.stop();
  });

  it('after a cut mid-file, the next run sends only the rest (probe, then writes at offsets)', async () => {
    const board = makeBoard();
    const cutAt = 9000;
    board.tapIn = (i) => (i < cutAt ? 'pass' : 'drop');
    await expect(installFirmware(cable(board), FILES, () => {}, opts)).rejects.toThrow(/ne répond plus/);
    board.powerCycle();
    expect(board.mode).toBe('repl'); // no loader yet: a half install never boots
    const had = board.storage.get('carnet.js')!.findIndex((x, i) => x !== BUNDLE[i]);
    expect(had).toBeGreaterThan(0);
    board.tapIn = null;
    const before = board.fileBytesWritten;
    const r = await installFirmware(cable(board), FILES, () => {}, opts);
    expect(r.files[0].action).toBe('resumed');
    expect(r.files[0].bytesSent).toBe(BUNDLE.length - had);
    expect(board.fileBytesWritten - before).toBeLessThan(TOTAL);
    expect(same(board)).toBe(true);
    await waitFor(() => board.mode === 'carnet');
    board.stop();
  });

  it('dropped and corrupted bytes at seeded places: a NAK or silence resumes, what differs is rewritten', async () => {
    const rnd = seededRandom(SEED);
    const board = makeBoard();
    const faults = new Map<number, 'drop' | 'corrupt'>();
    for (let k = 0; k < 6; k++) faults.set(300 + Math.floor(rnd() * 24000), k % 2 === 0 ? 'drop' : 'corrupt');
    console.log('seeded faults', JSON.stringify([...faults]));
    board.tapIn = (i) => faults.get(i) ?? 'pass';
    const r = await installFirmware(cable(board), FILES, () => {}, opts);
    expect(same(board)).toBe(true);
    expect(board.packets.nak).toBeGreaterThan(0);
    console.log(
      'naks',
      board.packets.nak,
      'sent',
      r.files.map((f) => f.name + ' ' + f.action + ' ' + f.bytesSent),
    );
    await waitFor(() => board.mode === 'carnet');
    board.stop();
  });

  it('a byte corrupted inside DATA is ACKed (no checksum) and written: the hash check catches it, the file is rewritten', async () => {
    const board = makeBoard();
    let window = 0;
    let dataAt = -1;
    board.tapIn = (i, b) => {
      window = ((window << 8) | b) >>> 0;
      if (dataAt < 0 && window === 0x10018400) dataAt = i;
      return dataAt >= 0 && i === dataAt + 100 ? 'corrupt' : 'pass';
    };
    const r = await installFirmware(cable(board), FILES, () => {}, opts);
    expect(dataAt).toBeGreaterThan(0);
    expect(board.packets.nak).toBe(0);
    expect(r.files[0].rewrites).toBe(1);
    expect(r.files[0].bytesSent).toBe(2 * BUNDLE.length);
    expect(same(board)).toBe(true);
    board.stop();
  });

  it('a damaged file on the board (a flipped bit) is found and rewritten from 0', async () => {
    const board = makeBoard();
    for (const f of FILES) board.storage.set(f.name, new Uint8Array(f.bytes));
    board.storage.get('ed25519.bin')![3000] ^= 0x10;
    const r = await installFirmware(cable(board), FILES, () => {}, { ...opts, reboot: false });
    expect(r.files.map((f) => f.action)).toEqual(['present', 'written', 'present']);
    expect(r.files[1].bytesSent).toBe(BLOB.length);
    expect(same(board)).toBe(true);
    board.stop();
  });

  it('ACKs lost on the way back: the stream stops, the board is asked where it stands, nothing is doubled', async () => {
    const board = makeBoard();
    let acks = 0;
    board.tapOut = (_i, b) => (b === ACK && ++acks >= 8 && acks <= 9 ? 'drop' : 'pass');
    const r = await installFirmware(cable(board), FILES, () => {}, opts);
    expect(acks).toBeGreaterThan(9);
    expect(same(board)).toBe(true);
    expect(r.files[0].action).toBe('written');
    expect(r.files.every((f) => f.rewrites === 0)).toBe(true);
    // The rest of carnet.js went by EVAL writes at fixed offsets: fewer DATA packets than blocks.
    expect(board.packets.data).toBeLessThan(
      Math.ceil(BUNDLE.length / 1024) + Math.ceil(BLOB.length / 1024) + 1,
    );
    board.stop();
  });

  it('Jolt.js (no native SHA-256): verified by CRC-32 and says so', async () => {
    const board = makeBoard({ board: 'JOLTJS', crypto: false });
    const r = await installFirmware(cable(board), FILES, () => {}, { ...opts, reboot: false });
    expect(r.hash).toBe('crc32');
    expect(r.board).toBe('JOLTJS');
    expect(r.files.every((f) => f.verifiedBy === 'crc32')).toBe(true);
    expect(same(board)).toBe(true);
    board.stop();
  });

  it('firmware older than 2v25 (no packets): the REPL path, then the same hash check and load()', async () => {
    const board = makeBoard({ version: '2v24' });
    const r = await installFirmware(cable(board), FILES, () => {}, opts);
    expect(r.protocol).toBe('repl');
    expect(r.version).toBe('2v24');
    expect(board.packets.eval).toBe(0);
    expect(same(board)).toBe(true);
    await waitFor(() => board.mode === 'carnet');
    board.stop();
  }, 20000);

  it('an expression the board does not know gets an Espruino-like error', () => {
    const board = makeBoard();
    const r = board.evaluate('require("Storage").eraseAll()');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/SyntaxError/);
    board.stop();
  });
});
