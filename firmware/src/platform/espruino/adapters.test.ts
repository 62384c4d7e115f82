// The Espruino adapters (platform/espruino/adapters.ts) against fakes of the Espruino objects: Storage as
// a FlashStore (pre-sized files, writes at offsets, range limits at MAX and MAX+1), the chunked serial
// writer, the clock across SET_TIME, the RNG over E.hwRand, the PN532 bus and the keypad matrix reader.

import { describe, it, expect } from 'vitest';
import {
  bytesOfString,
  createChunkedWriter,
  createClock,
  createKeypadMatrixReader,
  createPn532Bus,
  createRng,
  createStorageFlash,
  SERIAL_CHUNK_BYTES,
} from './adapters';
import { EspruinoEShell, EspruinoSerial, EspruinoStorageModule } from './types';
import { VirtualFlash } from '../../../../test/sim/virtual-flash';
import { decodeScan, KEYMAP } from '../../drivers/keypad/keypad';

/** A fake require("Storage") with Espruino's write(name, data, offset, size) over a VirtualFlash. */
function fakeStorage(capacity: number): { storage: EspruinoStorageModule; flash: VirtualFlash } {
  const flash = new VirtualFlash(capacity);
  const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  const storage: EspruinoStorageModule = {
    write: (name, data, offset, size) => {
      const b = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : data;
      if (size !== undefined && !flash.create(name, size)) return false;
      return flash.write(name, offset, b);
    },
    read: (name, offset, length) => {
      const n = flash.size(name);
      if (n < 0) return undefined;
      const o = offset === undefined ? 0 : offset;
      const b = flash.read(name, o, length === undefined ? n - o : length);
      return b === null ? undefined : latin1(b);
    },
    erase: (name) => flash.erase(name),
    list: () => flash.list(),
    getFree: () => flash.free(),
  };
  return { storage, flash };
}

describe('createStorageFlash', () => {
  it('creates pre-sized erased files and writes at offsets (flash can only clear bits)', () => {
    const f = createStorageFlash(fakeStorage(4096).storage);
    expect(f.create('log0', 256)).toBe(true);
    expect(f.size('log0')).toBe(256);
    expect(Array.from(f.read('log0', 0, 4) as Uint8Array)).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(f.write('log0', 10, new Uint8Array([0x12, 0xff, 0x00]))).toBe(true);
    expect(Array.from(f.read('log0', 9, 5) as Uint8Array)).toEqual([0xff, 0x12, 0xff, 0x00, 0xff]);
    expect(f.write('log0', 10, new Uint8Array([0xf0]))).toBe(true);
    expect((f.read('log0', 10, 1) as Uint8Array)[0]).toBe(0x10); // 0x12 AND 0xF0
  });

  it('accepts the last byte of a file and refuses one past it (MAX and MAX+1)', () => {
    const f = createStorageFlash(fakeStorage(4096).storage);
    f.create('a', 64);
    expect(f.write('a', 63, new Uint8Array([1]))).toBe(true);
    expect(f.write('a', 64, new Uint8Array([1]))).toBe(false);
    expect(f.write('a', 60, new Uint8Array(5))).toBe(false);
    expect(f.read('a', 0, 64)).not.toBeNull();
    expect(f.read('a', 0, 65)).toBeNull();
    expect(f.read('a', -1, 1)).toBeNull();
    expect(f.write('missing', 0, new Uint8Array([1]))).toBe(false);
    expect(f.read('missing', 0, 1)).toBeNull();
    expect(f.size('missing')).toBe(-1);
  });

  it('re-creates a file erased, and refuses a file larger than the free space', () => {
    const s = fakeStorage(1024);
    const f = createStorageFlash(s.storage);
    f.create('a', 100);
    f.write('a', 0, new Uint8Array([0]));
    expect(f.create('a', 100)).toBe(true);
    expect((f.read('a', 0, 1) as Uint8Array)[0]).toBe(0xff);
    expect(f.create('b', 2000)).toBe(false);
    expect(f.list()).toEqual(['a']);
    f.erase('a');
    expect(f.size('a')).toBe(-1);
    expect(f.free()).toBe(1024);
  });
});

describe('createStorageFlash and garbage', () => {
  it('compacts Storage once when a new file does not fit, then creates it', () => {
    const s = fakeStorage(1024);
    let garbage = 600; // bytes held by replaced files until compact()
    let compactions = 0;
    const storage: EspruinoStorageModule = {
      write: s.storage.write,
      read: s.storage.read,
      erase: s.storage.erase,
      list: s.storage.list,
      getFree: () => s.flash.free() - garbage,
      compact: () => {
        compactions++;
        garbage = 0;
      },
    };
    const f = createStorageFlash(storage);
    expect(f.create('small', 100)).toBe(true);
    expect(compactions).toBe(0);
    expect(f.create('big', 800)).toBe(true);
    expect(compactions).toBe(1);
    expect(f.create('huge', 2000)).toBe(false);
  });
});

describe('createChunkedWriter', () => {
  it('sends large outputs in chunks from timers, in order, with nothing lost', () => {
    const sent: number[][] = [];
    const port = {
      write: (d: Uint8Array | string) => {
        sent.push(Array.from(d as Uint8Array));
      },
    } as unknown as EspruinoSerial;
    const timers: (() => void)[] = [];
    const write = createChunkedWriter(port, (f) => timers.push(f), 20);
    const big = new Uint8Array(3 * SERIAL_CHUNK_BYTES + 5).map((_, i) => i & 0xff);
    write(big);
    write(new Uint8Array([7, 8]));
    expect(sent.length).toBe(1); // the first chunk at once, the rest from timers
    while (timers.length > 0) (timers.shift() as () => void)();
    expect(sent.map((c) => c.length)).toEqual([
      SERIAL_CHUNK_BYTES,
      SERIAL_CHUNK_BYTES,
      SERIAL_CHUNK_BYTES,
      5,
      2,
    ]);
    expect(sent.flat()).toEqual(Array.from(big).concat([7, 8]));
  });
});

describe('system adapters', () => {
  it('clock: wall time follows setTime, milliseconds do not jump', () => {
    let t = 1000.5;
    const clock = createClock(
      () => t,
      (s) => {
        t = s;
      },
    );
    expect(clock.now()).toBe(1000);
    const before = clock.ms();
    clock.set(2_000_000_000);
    expect(clock.now()).toBe(2_000_000_000);
    expect(clock.ms()).toBe(before);
    t += 0.25;
    expect(clock.ms()).toBe(before + 250);
  });

  it('rng: four bytes per E.hwRand() word, little-endian', () => {
    const words = [0x04030201, -1];
    let i = 0;
    const e = { hwRand: () => words[i++] } as unknown as EspruinoEShell;
    expect(Array.from(createRng(e).bytes(6))).toEqual([1, 2, 3, 4, 0xff, 0xff]);
    expect(i).toBe(2);
  });

  it('PN532 bus: frames to the address, reads copied, IRQ active low', () => {
    const writes: [number, number[]][] = [];
    let level = 1;
    const bus = createPn532Bus(
      {
        setup: () => {},
        writeTo: (a, d) => writes.push([a, Array.from(d)]),
        readFrom: (_a, n) => new Uint8Array(n).fill(9),
      },
      0x24,
      () => level,
    );
    bus.write(new Uint8Array([1, 2]));
    expect(writes).toEqual([[0x24, [1, 2]]]);
    expect(Array.from(bus.read(3))).toEqual([9, 9, 9]);
    expect(bus.irq()).toBe(false);
    level = 0;
    expect(bus.irq()).toBe(true);
  });

  it('keypad: one row driven low at a time, columns read low give the key', () => {
    const rows = ['r0', 'r1', 'r2', 'r3'];
    const cols = ['c0', 'c1', 'c2', 'c3'];
    const level: { [p: string]: number } = {};
    const held = KEYMAP.indexOf('#'); // row 3, column 2
    const read = createKeypadMatrixReader(
      rows,
      cols,
      (p, v) => {
        level[p as string] = v;
      },
      (p) => (p === cols[held % 4] && level[rows[Math.floor(held / 4)]] === 0 ? 0 : 1),
    );
    const masks = read();
    expect(masks).toEqual([0, 0, 0, 1 << 2]);
    expect(decodeScan(masks)).toBe(held);
    for (const r of rows) expect(level[r]).toBe(1); // rows left high after the scan
  });

  it('bytesOfString: 8-bit strings to bytes', () => {
    expect(Array.from(bytesOfString('\x00A\xe9\xff'))).toEqual([0, 0x41, 0xe9, 0xff]);
  });
});
