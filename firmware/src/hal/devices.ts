// Hardware abstraction of the reader (house style 1: hardware is passed in). Interfaces only: the
// Espruino adapters (firmware/src/platform/espruino/) and the simulator's virtual twins (test/sim/)
// implement them; everything in firmware/src/app/ and firmware/src/drivers/ sees only these.
//
// All calls are synchronous: Espruino's I2C, UART and Storage calls are, and a tap is one short
// synchronous transaction (≤ 250 ms) during which nothing else may touch the card. Asynchrony lives in
// the shell (main.ts): it turns key presses, card detections, host bytes and timer ticks into events
// for the state machines.

/**
 * Errors of the card layer (house style 5: each layer has its own words). The PN532 driver maps its own
 * failures onto these: a PN532 timeout or a target that no longer answers is CARD_GONE, which the app
 * shows as "Carte retirée, reposez-la".
 */
export const CARD_GONE = 'CARD_GONE';
/** The tag answered NAK (NXP NTAG21x datasheet §9.3): it resets to IDLE and must be selected again. */
export const CARD_NAK = 'CARD_NAK';
/** The NFC front end did not answer at all (wiring, power): a reader fault, not the card's. */
export const CARD_READER_FAULT = 'CARD_READER_FAULT';

export interface CardFailure {
  error: string;
  detail: string;
}

/** A card in the field, selected (ISO/IEC 14443-3 anticollision done, 7-byte UID). */
export interface CardTarget {
  uid: Uint8Array;
}

/**
 * NTAG21x command set over whatever NFC front end (NXP NTAG213/215/216 datasheet §10). Page = 4 bytes.
 * Every method returns its data or a CardFailure; none throws.
 */
export interface CardTransport {
  /** Looks for one type A target (PN532 InListPassiveTarget, 106 kbit/s); null when none. */
  detect(): CardTarget | null | CardFailure;
  /** GET_VERSION (0x60): 8 bytes; byte 6 is the storage size (0x11 NTAG215, 0x13 NTAG216). */
  getVersion(): Uint8Array | CardFailure;
  /** READ (0x30): 16 bytes from `page` (4 pages, wrapping at the end of memory). */
  read(page: number): Uint8Array | CardFailure;
  /** FAST_READ (0x3A): pages start..end inclusive; the driver splits to fit the front end's buffer. */
  fastRead(start: number, end: number): Uint8Array | CardFailure;
  /** WRITE (0xA2): one 4-byte page. null on success (the tag's ACK). */
  write(page: number, data: Uint8Array): null | CardFailure;
  /** READ_SIG (0x3C): the 32-byte NXP originality signature. */
  readSignature(): Uint8Array | CardFailure;
}

/** ESC/POS thermal printer on a UART: raw bytes (built by drivers/escpos). */
export interface Printer {
  write(bytes: Uint8Array): void;
  /** False when the self-test found no printer (the reader still sells and shows the receipt). */
  present(): boolean;
}

/** 128x64 monochrome display: up to 4 lines of text (drivers/ssd1306 renders them). */
export interface Display {
  show(lines: string[]): void;
}

/** Key names of the 4x4 matrix keypad: '0'..'9', 'A'..'D', '*', '#'. */
export type KeyName = string;

export interface Buzzer {
  beep(ms: number, hz: number): void;
}

export interface Clock {
  /** Seconds since 1970-01-01T00:00:00Z (set by the host at provisioning; a DS3231 or the MCU RTC). */
  now(): number;
  /** Monotonic milliseconds, for timeouts. */
  ms(): number;
  /** Sets the wall clock (signed SET_TIME command). */
  set(seconds: number): void;
}

export interface Rng {
  /** Cryptographic random bytes (E.hwRand on Espruino, node:crypto in the simulator). */
  bytes(n: number): Uint8Array;
}

/**
 * Flash storage, modelled on Espruino's Storage (see ../shared/espruino/FACTS.md, "Storage"):
 * named files of fixed size, created erased (every byte 0xFF); a write at an offset can only clear
 * bits (flash programming), so a file is written once per byte between erases. A power cut can stop
 * a write part-way through its bytes.
 */
export interface FlashStore {
  /** Creates (or re-creates, erased) a file of `size` bytes. False when there is no room. */
  create(name: string, size: number): boolean;
  /** Writes `data` at `offset` of an existing file. False on error (no file, out of range). */
  write(name: string, offset: number, data: Uint8Array): boolean;
  /** Reads `length` bytes at `offset`; null when the file or range does not exist. */
  read(name: string, offset: number, length: number): Uint8Array | null;
  /** Size of a file, or -1 when absent. */
  size(name: string): number;
  erase(name: string): void;
  list(): string[];
  /** Bytes still free. */
  free(): number;
}

/** The USB serial link to the volunteer's laptop (protocol frames, SPEC.md §11). */
export interface HostLink {
  write(bytes: Uint8Array): void;
}

/** Watchdog: kicked from the main loop; a hung reader restarts and finds its log intact. */
export interface Watchdog {
  kick(): void;
}

/** Everything a reader is made of. The composition root (main.ts or the simulator) fills it. */
export interface Devices {
  card: CardTransport;
  printer: Printer;
  display: Display;
  buzzer: Buzzer;
  clock: Clock;
  rng: Rng;
  flash: FlashStore;
  host: HostLink;
  watchdog: Watchdog;
}

export function isCardFailure(v: unknown): v is CardFailure {
  return v !== null && typeof v === 'object' && typeof (v as CardFailure).error === 'string';
}
