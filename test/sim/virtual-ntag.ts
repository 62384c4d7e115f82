// A virtual NTAG215/216 (NXP NTAG213/215/216 datasheet) answering raw NTAG commands, as the PN532's
// InCommunicateThru delivers them. Memory map (§8.5): pages 0-1 UID + BCC0, page 2 BCC1/internal/static
// lock, page 3 capability container, user pages 4..lastUser, then dynamic lock, CFG0, CFG1, PWD, PACK.
// ISO/IEC 14443-3 states are reduced to IDLE (must be selected) and ACTIVE.
//
// Fault injection for the tap tests: a torn page write (the page keeps its old value, takes the new one,
// or gets weak bits that read differently on each read), card removal after N commands, a NAK on the
// next command, and an originality signature present or absent.

export const ACK = 0x0a;
/** NAK codes (datasheet §9.3). */
export const NAK_INVALID_ARGUMENT = 0x00;
export const NAK_CRC = 0x01;
export const NAK_EEPROM = 0x05;

export type NtagType = 'NTAG213' | 'NTAG215' | 'NTAG216';

interface Geometry {
  pages: number;
  lastUser: number;
  storageSize: number;
  ccSize: number;
}

/** Per datasheet §8.5 and §10.1 (GET_VERSION storage size) and §8.5.6 (CC byte 2 = user bytes / 8). */
const GEOMETRY: Record<NtagType, Geometry> = {
  NTAG213: { pages: 45, lastUser: 0x27, storageSize: 0x0f, ccSize: 0x12 },
  NTAG215: { pages: 135, lastUser: 0x81, storageSize: 0x11, ccSize: 0x3e },
  NTAG216: { pages: 231, lastUser: 0xe1, storageSize: 0x13, ccSize: 0x6d },
};

export type TearMode = 'old' | 'new' | 'weak';

export interface VirtualNtagOptions {
  type?: NtagType;
  /** 7-byte UID; byte 0 is NXP's manufacturer code 0x04. */
  uid?: Uint8Array;
  /** 32-byte originality signature; null = absent (the tag answers 32 zero bytes, like many clones). */
  signature?: Uint8Array | null;
  /** Seed of the generator behind weak bits (deterministic tests). */
  seed?: number;
}

export const DEFAULT_UID = new Uint8Array([0x04, 0x5a, 0x3c, 0x12, 0x9e, 0x41, 0x80]);

export class VirtualNtag {
  type: NtagType;
  geo: Geometry;
  mem: Uint8Array;
  uid: Uint8Array;
  signature: Uint8Array | null;
  present = true;
  active = false;
  /** Bits of a page that read randomly (torn write); keyed by page. */
  weak = new Map<number, Uint32Array>();
  weakNew = new Map<number, Uint8Array>();
  /** Counts WRITE commands that reached the EEPROM. */
  writes = 0;
  commands = 0;
  private tearAt = -1;
  private tearMode: TearMode = 'old';
  private removeAfter = -1;
  private nakNext = -1;
  private rng: number;

  constructor(opts: VirtualNtagOptions = {}) {
    this.type = opts.type ?? 'NTAG215';
    this.geo = GEOMETRY[this.type];
    this.uid = opts.uid ?? DEFAULT_UID;
    this.signature = opts.signature === undefined ? fakeSignature(this.uid) : opts.signature;
    this.rng = (opts.seed ?? 12345) >>> 0;
    this.mem = new Uint8Array(this.geo.pages * 4);
    const u = this.uid;
    // §8.5.1: BCC0 = CT (0x88) ⊕ UID0 ⊕ UID1 ⊕ UID2, BCC1 = UID3 ⊕ UID4 ⊕ UID5 ⊕ UID6.
    this.mem.set([u[0], u[1], u[2], 0x88 ^ u[0] ^ u[1] ^ u[2]], 0);
    this.mem.set([u[3], u[4], u[5], u[6]], 4);
    this.mem.set([u[3] ^ u[4] ^ u[5] ^ u[6], 0x48, 0x00, 0x00], 8);
    this.mem.set([0xe1, 0x10, this.geo.ccSize, 0x00], 12); // CC, NDEF mapping v1.0, read/write
    const dyn = this.geo.lastUser + 1;
    this.mem.set([0x00, 0x00, 0x00, 0xbd], dyn * 4); // dynamic lock bytes, RFUI (§8.5.3)
    this.mem.set([0x04, 0x00, 0x00, 0xff], (dyn + 1) * 4); // CFG0: MIRROR, RFUI, MIRROR_PAGE, AUTH0=FF
    this.mem.set([0x00, 0x05, 0x00, 0x00], (dyn + 2) * 4); // CFG1: ACCESS, RFUI
    this.mem.set([0xff, 0xff, 0xff, 0xff], (dyn + 3) * 4); // PWD (reads as 00)
    this.mem.set([0x00, 0x00, 0x00, 0x00], (dyn + 4) * 4); // PACK, RFUI
  }

  get pages(): number {
    return this.geo.pages;
  }
  get lastUserPage(): number {
    return this.geo.lastUser;
  }

  /** GET_VERSION response (§10.1): header, vendor NXP, type NTAG, subtype 50 pF, v1.0, size, protocol. */
  version(): Uint8Array {
    return new Uint8Array([0x00, 0x04, 0x04, 0x02, 0x01, 0x00, this.geo.storageSize, 0x03]);
  }

  // ---- fault injection -------------------------------------------------------------------------

  /** The `n`th WRITE from now (1 = the next) is torn as `mode`, and the card leaves the field. */
  tearWrite(n: number, mode: TearMode): void {
    this.tearAt = this.writes + n;
    this.tearMode = mode;
  }
  /** The card leaves the field before answering the `n`th command from now (1 = the next). */
  removeAfterCommands(n: number): void {
    this.removeAfter = this.commands + n;
  }
  /** The next command gets a NAK with `code` (and the tag goes IDLE). */
  injectNak(code: number): void {
    this.nakNext = code;
  }
  remove(): void {
    this.present = false;
    this.active = false;
  }
  place(): void {
    this.present = true;
    this.active = false;
  }

  // ---- ISO/IEC 14443-3 activation ----------------------------------------------------------------

  /** REQA + anticollision + select (both cascade levels): the UID, or null when not in the field. */
  select(): Uint8Array | null {
    if (!this.present) return null;
    this.active = true;
    return this.uid;
  }

  // ---- memory ------------------------------------------------------------------------------------

  private nextRandom(): number {
    // xorshift32: weak bits only need to differ between reads, reproducibly.
    let x = this.rng;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.rng = x;
    return x;
  }

  /** One page as the RF interface reads it: weak bits random, PWD/PACK as 00 (§8.8.1). */
  readPage(p: number): Uint8Array {
    const dyn = this.geo.lastUser + 1;
    if (p === dyn + 3 || p === dyn + 4) return new Uint8Array(4);
    const out = new Uint8Array(this.mem.subarray(p * 4, p * 4 + 4));
    const w = this.weak.get(p);
    if (w !== undefined) {
      const r = this.nextRandom();
      for (let i = 0; i < 4; i++) {
        const m = w[i];
        out[i] = (out[i] & ~m) | ((r >>> (8 * i)) & m);
      }
    }
    return out;
  }

  /** Direct memory access for tests (no RF): user data as stored, weak bits excluded. */
  peek(page: number, n: number): Uint8Array {
    return new Uint8Array(this.mem.subarray(page * 4, page * 4 + n * 4));
  }
  poke(page: number, data: Uint8Array): void {
    this.mem.set(data, page * 4);
  }

  private nak(code: number): Uint8Array {
    this.active = false; // §9.3: after a NAK the tag returns to IDLE (HALT for some errors)
    return new Uint8Array([code]);
  }

  /**
   * One NTAG command (without CRC). Returns the answer (a 1-byte array for a 4-bit ACK/NAK), or null when
   * the tag says nothing (absent, not selected, or removed mid-command).
   */
  transceive(cmd: Uint8Array): Uint8Array | null {
    this.commands++;
    if (this.removeAfter >= 0 && this.commands >= this.removeAfter) {
      this.removeAfter = -1;
      this.remove();
    }
    if (!this.present || !this.active || cmd.length === 0) return null;
    if (this.nakNext >= 0) {
      const c = this.nakNext;
      this.nakNext = -1;
      return this.nak(c);
    }
    const pages = this.geo.pages;
    switch (cmd[0]) {
      case 0x60: // GET_VERSION
        return cmd.length === 1 ? this.version() : this.nak(NAK_INVALID_ARGUMENT);
      case 0x30: {
        // READ: 4 pages from addr, rolling over to page 0 past the end (§10.2)
        if (cmd.length !== 2 || cmd[1] >= pages) return this.nak(NAK_INVALID_ARGUMENT);
        const out = new Uint8Array(16);
        for (let i = 0; i < 4; i++) out.set(this.readPage((cmd[1] + i) % pages), i * 4);
        return out;
      }
      case 0x3a: {
        // FAST_READ start..end (§10.3)
        if (cmd.length !== 3 || cmd[1] > cmd[2] || cmd[2] >= pages) return this.nak(NAK_INVALID_ARGUMENT);
        const n = cmd[2] - cmd[1] + 1;
        const out = new Uint8Array(n * 4);
        for (let i = 0; i < n; i++) out.set(this.readPage(cmd[1] + i), i * 4);
        return out;
      }
      case 0xa2: {
        // WRITE one page (§10.4). carnet writes user pages only: config/lock pages are refused here so a
        // driver bug cannot silently lock or password-protect a card in the simulator.
        if (cmd.length !== 6) return this.nak(NAK_INVALID_ARGUMENT);
        const p = cmd[1];
        if (p < 4 || p > this.geo.lastUser) return this.nak(NAK_INVALID_ARGUMENT);
        this.writes++;
        const data = cmd.subarray(2, 6);
        if (this.writes === this.tearAt) {
          this.tearAt = -1;
          this.tear(p, data);
          this.remove();
          return null;
        }
        this.mem.set(data, p * 4);
        this.weak.delete(p);
        return new Uint8Array([ACK]);
      }
      case 0x3c: // READ_SIG (§10.9)
        if (cmd.length !== 2 || cmd[1] !== 0x00) return this.nak(NAK_INVALID_ARGUMENT);
        return this.signature === null ? new Uint8Array(32) : new Uint8Array(this.signature);
      default:
        return this.nak(NAK_INVALID_ARGUMENT);
    }
  }

  private tear(p: number, data: Uint8Array): void {
    if (this.tearMode === 'new') {
      this.mem.set(data, p * 4);
      this.weak.delete(p);
    } else if (this.tearMode === 'weak') {
      // Bits that differ between old and new are left half-programmed: they read either way.
      const m = new Uint32Array(4);
      let any = 0;
      for (let i = 0; i < 4; i++) {
        m[i] = this.mem[p * 4 + i] ^ data[i];
        any |= m[i];
      }
      // If old and new are equal there is nothing to be weak: make every bit weak, a worst case.
      if (any === 0) for (let i = 0; i < 4; i++) m[i] = 0xff;
      this.weak.set(p, m);
    }
    // 'old': the EEPROM kept the previous value.
  }
}

/** A stand-in signature (not a real ECDSA one): 32 non-zero bytes derived from the UID. */
export function fakeSignature(uid: Uint8Array): Uint8Array {
  const s = new Uint8Array(32);
  for (let i = 0; i < 32; i++) s[i] = (uid[i % uid.length] ^ (i * 37 + 11)) & 0xff || 1;
  return s;
}
