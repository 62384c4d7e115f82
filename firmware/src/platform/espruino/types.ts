// The parts of Espruino's global objects that the reader uses, as TypeScript interfaces. main.ts passes
// the real globals (E, I2C1, Serial1, USB, require("Storage"), require("crypto")) to the adapters of
// adapters.ts; test/sim/espruino-vm.ts provides fakes of the same shape. Only main.ts and this folder
// touch Espruino globals (issue 4, "Build" §2). Reference: https://www.espruino.com/Reference and
// ../../../../../shared/espruino/FACTS.md.

/** Espruino's I2C object (I2C1, I2C2, ...), as used by the PN532 and SSD1306 adapters. */
export interface EspruinoI2C {
  setup(options: { scl: unknown; sda: unknown; bitrate: number }): void;
  /** Writes bytes to a 7-bit address; throws when the address is not acknowledged. */
  writeTo(address: number, data: Uint8Array | number[]): void;
  /** Reads `n` bytes from a 7-bit address (a Uint8Array on Espruino). */
  readFrom(address: number, n: number): Uint8Array;
}

/** A UART (Serial1) or the USB CDC port (USB). */
export interface EspruinoSerial {
  setup?(baud: number, options: { tx: unknown; rx: unknown }): void;
  write(data: Uint8Array | string): void;
  on(event: string, handler: (data: string) => void): void;
  removeAllListeners(event: string): void;
}

/** require("Storage") (FACTS.md "Storage"). */
export interface EspruinoStorageModule {
  /** write(name, data, offset, size): `size` pre-sizes a new file; later writes go at `offset`. */
  write(name: string, data: Uint8Array | string, offset: number, size?: number): boolean;
  /** Memory-mapped read: a string over flash, no copy. undefined when the file does not exist. */
  read(name: string, offset?: number, length?: number): string | undefined;
  erase(name: string): void;
  list(): string[];
  getFree(): number;
  /** Reclaims the space of erased/replaced files (moves files: addresses change). */
  compact?(): void;
}

/** require("crypto") on the Pico: SHA1 and SHA256 only (FACTS.md board table). */
export interface EspruinoCryptoModule {
  SHA256(data: Uint8Array | string): ArrayBuffer;
}

/** The members of E used by the shell (and, through ed25519-native.ts, by the native Ed25519). */
export interface EspruinoEShell {
  hwRand(): number;
  enableWatchdog(seconds: number, isAuto: boolean): void;
  kickWatchdog(): void;
  setConsole(device: unknown, options?: { force: boolean }): void;
  getErrorFlags(): string[];
  CRC32(data: string | Uint8Array): number;
}
