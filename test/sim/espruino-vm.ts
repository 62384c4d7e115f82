// Runs a BUILT firmware bundle (firmware/build.ts output) in node:vm with only the globals Espruino has
// (../shared/espruino/FACTS.md), plus fake Espruino objects backed by the simulator's virtual devices.
//
// What is taken away: every built-in FACTS.md lists as missing is deleted from the context's global object
// or prototype (Map, Set, WeakMap, Symbol, Proxy, Reflect, BigInt, DataView, RangeError, Array.from,
// Math.imul, Promise.race, typed-array .at, ...), so a use throws ReferenceError/TypeError as on a board.
// Deleting the global `Symbol` does not disturb V8: its internals use the intrinsic symbols, never the
// global binding. Constants that V8 defines non-configurable (Number.EPSILON, MAX_SAFE_INTEGER) cannot be
// removed: the subset gate refuses them instead.
// What is imitated: FACTS.md "Semantic traps" that can be reproduced cheaply — typed-array slice() and
// filter() return plain Arrays, Function.prototype.apply takes at most 256 arguments.
// What is faked: E (hwRand, CRC32, watchdog, setConsole, toFlatString/toArrayBuffer/getAddressOf and
// nativeCall), require("Storage") over a VirtualFlash, require("crypto").SHA256, I2C1/I2C2 with devices
// by address (the virtual PN532 at 0x24, an SSD1306 sink at 0x3C), Serial1/Serial2 (printer), USB,
// Pin/digitalRead/digitalWrite/pinMode/analogWrite, getTime/setTime, timers on a virtual clock, process.
//
// NATIVE CODE: there is none in the vm. E.nativeCall is emulated by the HOST: calls into the offsets of
// ed25519.bin are served by the host's Ed25519 (the WebAssembly build of the same C, or tweetnacl when it is
// absent: firmware/src/platform/node/ed25519.ts), reading and writing the argument buffers at the fake
// addresses E.getAddressOf gave out. The bundle's own adapter (ed25519-native.ts) runs unchanged: blob
// size and CRC-32 check, ABI version, RFC 8032 self-test, buffer layout.

import vm from 'node:vm';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from '../../protocol/src/crc32';
import type { Ed25519 } from '../../firmware/src/hal/crypto';
import {
  ED25519_BLOB_ABI,
  ED25519_BLOB_NAME,
  ED25519_OFFSET_PUBKEY,
  ED25519_OFFSET_SHA512,
  ED25519_OFFSET_SIGN,
  ED25519_OFFSET_VERIFY,
  ED25519_OFFSET_VERSION,
} from '../../firmware/src/platform/espruino/ed25519-native.generated';
import { VirtualFlash } from './virtual-flash';
import { ESPRUINO_MISSING_GLOBALS } from '../../firmware/espruino-missing';

/** Built-in globals FACTS.md lists as missing (plus the ES2017+ ones no board has), deleted in the vm;
 * WebAssembly and AggregateError too (no board has them; the host's WebAssembly serves E.nativeCall). */
export const VM_DELETED_GLOBALS = ESPRUINO_MISSING_GLOBALS.concat(['AggregateError', 'WebAssembly']);

// Static and prototype members deleted in the vm (FACTS.md "Built-ins that are missing").
const PRELUDE = `
(function (g) {
  var names = ${JSON.stringify(VM_DELETED_GLOBALS)};
  for (var i = 0; i < names.length; i++) delete g[names[i]];
  var TA = Object.getPrototypeOf(Uint8Array);
  var TAP = TA.prototype;
  delete Math.imul; delete Math.clz32; delete Math.trunc; delete Math.log2;
  delete Array.from; delete Array.of; delete TA.from; delete TA.of;
  delete Number.isInteger; delete Number.isSafeInteger;
  delete Object.freeze; delete Object.seal;
  delete Promise.race; delete Promise.allSettled; delete Promise.any; delete Promise.prototype.finally;
  delete ArrayBuffer.prototype.slice;
  delete TAP.at; delete TAP.lastIndexOf; delete TAP.copyWithin;
  delete String.prototype.codePointAt;
  // FACTS.md "Semantic traps": typed-array slice() and filter() give plain Arrays on Espruino.
  var slice = TAP.slice, filter = TAP.filter, aslice = Array.prototype.slice;
  Object.defineProperty(TAP, 'slice', { configurable: true, writable: true, value: function (a, b) {
    return aslice.call(slice.call(this, a, b));
  } });
  Object.defineProperty(TAP, 'filter', { configurable: true, writable: true, value: function (f, t) {
    return aslice.call(filter.call(this, f, t));
  } });
  // Function.prototype.apply takes at most 256 arguments.
  var apply = Function.prototype.apply;
  Object.defineProperty(Function.prototype, 'apply', { configurable: true, writable: true, value: function (t, a) {
    if (a && a.length > 256) throw new Error('Espruino: apply() takes at most 256 arguments');
    return apply.call(this, t, a);
  } });
  g.global = g;
  delete g.globalThis;
})(this);
`;

/** Latin-1 string of bytes: Espruino strings are 8-bit on the Pico (FACTS.md). */
export function latin1(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] & 0xff);
  return s;
}

/** Bytes of whatever the bundle passes to a write (string, typed array of the vm's realm, array). */
export function bytesOf(data: unknown): Uint8Array {
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  }
  if (typeof data === 'number') return new Uint8Array([data & 0xff]);
  const a = data as ArrayLike<number>;
  if (a !== null && typeof a === 'object' && typeof a.length === 'number') {
    const out = new Uint8Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] & 0xff;
    return out;
  }
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return new Uint8Array(data as ArrayBuffer).slice();
  }
  throw new Error('espruino-vm: cannot take bytes of ' + String(data));
}

/** Text of something thrown in the vm: Error message, or the `code`/`message` of a plain error object. */
export function describeThrown(e: unknown): string {
  if (e !== null && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown };
    if (o.code !== undefined)
      return String(o.code) + (o.message !== undefined ? ': ' + String(o.message) : '');
    if (o.message !== undefined) return String(o.message);
  }
  return String(e);
}

/** An I2C device at one address: what I2C1.writeTo/readFrom reach. */
export interface VmI2cDevice {
  write(bytes: Uint8Array): void;
  read(n: number): Uint8Array;
}

/** A fake Espruino serial port (Serial1, Serial2, USB). */
export class VmSerial {
  name: string;
  out: number[] = [];
  handlers: ((d: string) => void)[] = [];
  setupArgs: unknown[] | null = null;
  onWrite: ((bytes: Uint8Array) => void) | null = null;

  constructor(name: string) {
    this.name = name;
  }

  /** The object the bundle sees. */
  facade(): object {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the fakes are plain functions handed to the vm
    const self = this;
    return {
      setup: function (baud: number, opts: unknown) {
        self.setupArgs = [baud, opts];
      },
      write: function (data: unknown) {
        const b = bytesOf(data);
        for (let i = 0; i < b.length; i++) self.out.push(b[i]);
        if (self.onWrite !== null) self.onWrite(b);
      },
      print: function (s: string) {
        const b = bytesOf(String(s));
        for (let i = 0; i < b.length; i++) self.out.push(b[i]);
      },
      on: function (event: string, f: (d: string) => void) {
        if (event === 'data') self.handlers.push(f);
      },
      removeAllListeners: function (event: string) {
        if (event === undefined || event === 'data') self.handlers = [];
      },
    };
  }

  /** Bytes arriving from the other end ('data' event, an 8-bit string as on Espruino). */
  receive(bytes: ArrayLike<number>): void {
    const s = latin1(bytes);
    const hs = this.handlers.slice();
    for (const h of hs) h(s);
  }

  take(): Uint8Array {
    const b = new Uint8Array(this.out);
    this.out = [];
    return b;
  }
}

interface Timer {
  id: number;
  at: number;
  every: number; // 0 = once
  f: () => void;
}

export interface EspruinoVmOptions {
  /** process.env.BOARD (default PICO_R1_3, a board the native Ed25519 accepts). */
  board?: string;
  /** process.env.VERSION (default 2v29, the version FACTS.md was measured on). */
  version?: string;
  /** Storage contents (default: an empty 48 KB VirtualFlash). */
  flash?: VirtualFlash;
  /** I2C devices by 7-bit address, per bus name (I2C1, I2C2). */
  i2c?: { [bus: string]: { [address: number]: VmI2cDevice } };
  /** Pin levels read by digitalRead, when no other device drives the pin. */
  readPin?: (name: string) => number;
  /** Extra milliseconds for getTime(), e.g. the virtual PN532's own clock. */
  extraMs?: () => number;
  /** Seconds since 1970 at vm start (getTime). */
  epoch?: number;
  /** The host's Ed25519 serving E.nativeCall (see the header). Without it, nativeCall throws. */
  nativeEd25519?: Ed25519;
  /** Collects console.log lines. */
  log?: (line: string) => void;
}

/** A region of fake memory handed out by E.getAddressOf. */
interface Region {
  base: number;
  bytes: Uint8Array;
}

/** Base of the fake flash address of Storage files (STM32F401 flash starts at 0x08000000). */
const FLASH_BASE = 0x08040000;
/** Base of fake RAM addresses of flat buffers (STM32 SRAM starts at 0x20000000). */
const RAM_BASE = 0x20000000;

export class EspruinoVm {
  context: vm.Context;
  flash: VirtualFlash;
  nowMs = 0;
  epoch: number;
  timers: Timer[] = [];
  nextTimer = 1;
  console: string[] = [];
  usb = new VmSerial('USB');
  serial1 = new VmSerial('Serial1');
  serial2 = new VmSerial('Serial2');
  /** Pin levels written by the bundle (digitalWrite / analogWrite duty). */
  pinOut: { [name: string]: number } = {};
  pinModes: { [name: string]: string } = {};
  watchdog = { enabled: 0, kicks: 0 };
  consoleDevice: unknown = 'USB';
  errors: string[] = [];
  private regions: Region[] = [];
  private nextRam = RAM_BASE;
  private opts: EspruinoVmOptions;

  constructor(options?: EspruinoVmOptions) {
    const o = options === undefined ? {} : options;
    this.opts = o;
    this.flash = o.flash === undefined ? new VirtualFlash(48 * 1024) : o.flash;
    this.epoch = o.epoch === undefined ? 1_767_225_600 : o.epoch; // 2026-01-01T00:00:00Z
    this.context = vm.createContext(this.sandbox(), {
      name: 'espruino',
      codeGeneration: { strings: true, wasm: false },
    });
    vm.runInContext(PRELUDE, this.context, { filename: 'espruino-prelude.js' });
  }

  /** Current getTime() in ms since vm start (virtual). */
  ms(): number {
    return this.nowMs + (this.opts.extraMs === undefined ? 0 : this.opts.extraMs());
  }

  /** Runs a script as Espruino would evaluate it (the bundle or the .bootcde loader). */
  run(code: string, filename: string): unknown {
    return vm.runInContext(code, this.context, { filename: filename });
  }

  /** Value of a global of the context (e.g. the conformance bundle's `carnetConformance`). */
  global(name: string): unknown {
    return vm.runInContext('typeof ' + name + ' === "undefined" ? undefined : ' + name, this.context);
  }

  /** Advances the virtual clock by `ms`, running due timers in time order. Errors are collected. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      let next: Timer | null = null;
      for (const t of this.timers) if (t.at <= end && (next === null || t.at < next.at)) next = t;
      if (next === null) break;
      if (next.at > this.nowMs) this.nowMs = next.at;
      if (next.every > 0) next.at += next.every;
      else this.timers = this.timers.filter((t) => t !== next);
      try {
        next.f();
      } catch (e) {
        const msg = describeThrown(e);
        this.errors.push(msg);
        this.console.push('Uncaught ' + msg);
      }
    }
    this.nowMs = end;
  }

  private region(address: number, length: number): Uint8Array {
    for (const r of this.regions) {
      if (address >= r.base && address + length <= r.base + r.bytes.length) {
        return r.bytes.subarray(address - r.base, address - r.base + length);
      }
    }
    throw new Error('espruino-vm: native code touched unmapped memory at 0x' + address.toString(16));
  }

  private nativeCall(address: number): (...args: number[]) => number {
    const ed = this.opts.nativeEd25519;
    if (ed === undefined) throw new Error('espruino-vm: E.nativeCall without a host Ed25519');
    // The only native code the firmware calls is ed25519.bin: find which entry `address` is.
    const blob = this.regions.filter((r) => r.base >= FLASH_BASE && r.base < RAM_BASE)[0];
    if (blob === undefined) throw new Error('espruino-vm: E.nativeCall before the blob was mapped');
    const off = address - blob.base - 1;
    if ((address & 1) !== 1) throw new Error('espruino-vm: E.nativeCall without the Thumb bit');
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the fakes are plain functions handed to the vm
    const self = this;
    if (off === ED25519_OFFSET_VERSION) return () => ED25519_BLOB_ABI;
    if (off === ED25519_OFFSET_VERIFY) {
      return (sig, pub, msg, len) =>
        ed.verify(self.region(sig, 64).slice(), self.region(pub, 32).slice(), self.region(msg, len).slice())
          ? 1
          : 0;
    }
    if (off === ED25519_OFFSET_SIGN) {
      return (out, seed, msg, len) => {
        self.region(out, 64).set(ed.sign(self.region(seed, 32).slice(), self.region(msg, len).slice()));
        return 0;
      };
    }
    if (off === ED25519_OFFSET_PUBKEY) {
      return (out, seed) => {
        self.region(out, 32).set(ed.publicKey(self.region(seed, 32).slice()));
        return 0;
      };
    }
    if (off === ED25519_OFFSET_SHA512) {
      return (out, msg, len) => {
        self.region(out, 64).set(createHash('sha512').update(self.region(msg, len)).digest());
        return 0;
      };
    }
    throw new Error('espruino-vm: E.nativeCall at an unknown blob offset 0x' + off.toString(16));
  }

  private readPin(name: string): number {
    return this.opts.readPin === undefined ? 0 : this.opts.readPin(name);
  }

  private sandbox(): object {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the fakes are plain functions handed to the vm
    const self = this;
    const pins: { [name: string]: { pin: string } } = {};
    function pinOf(p: unknown): string {
      if (p !== null && typeof p === 'object' && typeof (p as { pin: unknown }).pin === 'string') {
        return (p as { pin: string }).pin;
      }
      if (typeof p === 'string') return p;
      throw new Error('espruino-vm: not a pin: ' + String(p));
    }
    function addTimer(f: () => void, ms: number, every: boolean): number {
      if (typeof f !== 'function') throw new Error('espruino-vm: timer without a function');
      const d = Math.max(0, Number(ms) || 0);
      const t: Timer = { id: self.nextTimer++, at: self.nowMs + d, every: every ? Math.max(d, 1) : 0, f: f };
      self.timers.push(t);
      return t.id;
    }
    function clearTimer(id: number): void {
      self.timers = self.timers.filter((t) => t.id !== id);
    }
    function i2cBus(bus: string): object {
      const devices =
        self.opts.i2c !== undefined && self.opts.i2c[bus] !== undefined ? self.opts.i2c[bus] : {};
      return {
        setup: function () {},
        writeTo: function (address: number, data: unknown) {
          const d = devices[address];
          if (d === undefined) throw new Error('I2C got NACK from address 0x' + address.toString(16));
          d.write(bytesOf(data));
        },
        readFrom: function (address: number, n: number) {
          const d = devices[address];
          if (d === undefined) throw new Error('I2C got NACK from address 0x' + address.toString(16));
          // Copied into the vm's realm by the adapter (new Uint8Array(...)).
          return d.read(n);
        },
      };
    }
    const storage = {
      write: function (name: string, data: unknown, offset?: number, size?: number) {
        const b = bytesOf(data);
        const off = offset === undefined ? 0 : offset;
        if (size !== undefined) {
          if (!self.flash.create(name, size)) return false;
        } else if (self.flash.size(name) < 0) {
          if (!self.flash.create(name, b.length)) return false;
        }
        return self.flash.write(name, off, b);
      },
      read: function (name: string, offset?: number, length?: number) {
        const n = self.flash.size(name);
        if (n < 0) return undefined;
        const off = offset === undefined ? 0 : offset;
        const len = length === undefined ? n - off : Math.min(length, n - off);
        const b = self.flash.read(name, off, len);
        return b === null ? undefined : latin1(b);
      },
      readJSON: function (name: string) {
        const s = storage.read(name);
        return s === undefined ? undefined : JSON.parse(s);
      },
      erase: function (name: string) {
        self.flash.erase(name);
      },
      list: function () {
        return self.flash.list();
      },
      getFree: function () {
        return self.flash.free();
      },
      compact: function () {},
    };
    const cryptoModule = {
      SHA256: function (data: unknown) {
        const d = createHash('sha256').update(bytesOf(data)).digest();
        return new Uint8Array(d).buffer;
      },
    };
    const E = {
      hwRand: function () {
        return randomBytes(4).readInt32LE(0);
      },
      CRC32: function (data: unknown) {
        return crc32(bytesOf(data)) | 0; // Espruino returns a signed 32-bit int
      },
      enableWatchdog: function (seconds: number, isAuto: boolean) {
        if (isAuto !== false) throw new Error('espruino-vm: the firmware must kick the watchdog itself');
        self.watchdog.enabled = seconds;
      },
      kickWatchdog: function () {
        self.watchdog.kicks++;
      },
      setConsole: function (device: unknown) {
        self.consoleDevice = device === null ? null : 'USB';
      },
      getErrorFlags: function () {
        return [];
      },
      toFlatString: function (data: unknown) {
        return latin1(bytesOf(data));
      },
      toArrayBuffer: function (s: string) {
        return new Uint8Array(bytesOf(s)).buffer;
      },
      getAddressOf: function (v: unknown, flat: boolean) {
        if (flat !== true) return 0;
        if (typeof v === 'string') {
          // A Storage file: only the native blob is ever asked for (flash address, 4-byte aligned).
          const existing = self.regions.filter((r) => r.base === FLASH_BASE)[0];
          const bytes = bytesOf(v);
          if (existing === undefined) self.regions.push({ base: FLASH_BASE, bytes: bytes });
          else existing.bytes = bytes;
          return FLASH_BASE;
        }
        if (v instanceof ArrayBuffer || Object.prototype.toString.call(v) === '[object ArrayBuffer]') {
          const ab = v as ArrayBuffer;
          for (const r of self.regions) if (r.bytes.buffer === ab) return r.base;
          const base = self.nextRam;
          self.nextRam += (ab.byteLength + 7) & ~7;
          self.regions.push({ base: base, bytes: new Uint8Array(ab) });
          return base;
        }
        return 0;
      },
      nativeCall: function (address: number) {
        return self.nativeCall(address);
      },
      reboot: function () {
        throw new Error('espruino-vm: E.reboot()');
      },
    };
    return {
      E: E,
      USB: this.usb.facade(),
      Serial1: this.serial1.facade(),
      Serial2: this.serial2.facade(),
      I2C1: i2cBus('I2C1'),
      I2C2: i2cBus('I2C2'),
      BTN1: { pin: 'B12' },
      BTN: { pin: 'B12' },
      LED1: { pin: 'A13' },
      LED2: { pin: 'A14' },
      process: {
        env: {
          BOARD: this.opts.board === undefined ? 'PICO_R1_3' : this.opts.board,
          VERSION: this.opts.version === undefined ? '2v29' : this.opts.version,
        },
        version: this.opts.version === undefined ? '2v29' : this.opts.version,
        memory: function () {
          return { free: 4000, usage: 1100, total: 5100 };
        },
        on: function () {},
      },
      console: {
        log: function (...args: unknown[]) {
          const line = args.map((a) => String(a)).join(' ');
          self.console.push(line);
          if (self.opts.log !== undefined) self.opts.log(line);
        },
      },
      require: function (name: string) {
        if (name === 'Storage') return storage;
        if (name === 'crypto') return cryptoModule;
        throw new Error('Module ' + name + ' not found');
      },
      Pin: function (name: string) {
        if (pins[name] === undefined) pins[name] = { pin: name };
        return pins[name];
      },
      pinMode: function (p: unknown, mode: string) {
        self.pinModes[pinOf(p)] = mode;
      },
      digitalRead: function (p: unknown) {
        return self.readPin(pinOf(p));
      },
      digitalWrite: function (p: unknown, v: number) {
        self.pinOut[pinOf(p)] = v ? 1 : 0;
      },
      analogWrite: function (p: unknown, duty: number) {
        self.pinOut[pinOf(p)] = duty;
      },
      getTime: function () {
        return self.epoch + self.ms() / 1000;
      },
      setTime: function (seconds: number) {
        self.epoch = seconds - self.ms() / 1000;
      },
      setTimeout: function (f: () => void, ms: number) {
        return addTimer(f, ms, false);
      },
      setInterval: function (f: () => void, ms: number) {
        return addTimer(f, ms, true);
      },
      clearTimeout: clearTimer,
      clearInterval: clearTimer,
      setWatch: function () {
        return 0;
      },
      clearWatch: function () {},
    };
  }
}

/** Puts a file into the vm's Storage as the Espruino tools would upload it. */
export function storageUpload(flash: VirtualFlash, name: string, bytes: Uint8Array): void {
  if (!flash.create(name, bytes.length)) throw new Error('espruino-vm: no room in Storage for ' + name);
  if (!flash.write(name, 0, bytes)) throw new Error('espruino-vm: cannot write ' + name);
}

export { ED25519_BLOB_NAME };
