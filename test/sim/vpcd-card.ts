// A virtual NFC tag (NTAG215/216, NTAG213, MIFARE Ultralight, MIFARE Classic) answering the APDUs an
// ACR122U-style PC/SC reader accepts, and a client for vsmartcard's vpcd TCP protocol so that pcscd and
// nfc-pcsc drive it exactly as they would drive a real reader with a card on it.
//
// APDUs (ACR122U application programming interface, PC/SC part 3 pseudo-APDUs):
//   FF CA 00 00 00            get UID
//   FF B0 00 pp Le            read binary (Le ≤ 16: one NTAG READ, 4 pages)
//   FF D6 00 pp 04 d0..d3     update binary (one NTAG WRITE, 1 page)
//   FF 00 00 00 Lc D4 42 ...  direct transmit, PN532 InCommunicateThru: answers D5 43 <status> <data>;
//                             status 0x00 ok, 0x01 timeout (the tag did not answer or NAKed).
// NTAG commands through InCommunicateThru: GET_VERSION 60, READ 30, FAST_READ 3A, WRITE A2,
// READ_SIG 3C, PWD_AUTH 1B (NXP NTAG213/215/216 datasheet §10).
//
// vpcd protocol (vsmartcard, FACTS.md): both ways a 2-byte big-endian length then the payload; a 1-byte
// payload from vpcd is a control code (0 off, 1 on, 2 reset, 4 get ATR), anything longer is a C-APDU.

import { createHmac, randomBytes } from 'node:crypto';
import { Socket, connect } from 'node:net';

export type TagKind = 'NTAG215' | 'NTAG216' | 'NTAG213' | 'ULTRALIGHT' | 'MIFARE_CLASSIC';

/** How a torn page reads afterwards (datasheet: old, new, or differently on each read). */
export type TearMode = 'old' | 'new' | 'garbage';

interface TagModel {
  pages: number;
  /** GET_VERSION storage-size byte, or -1: the tag does not answer GET_VERSION. */
  sizeByte: number;
  /** First configuration page (CFG0), or -1. */
  cfg0: number;
  /** Byte 14 of the PC/SC part 3 ATR: card name (0x01 Classic 1K, 0x03 Ultralight/NTAG). */
  atrName: number;
  uidBytes: number;
}

const MODELS: { [k: string]: TagModel } = {
  NTAG213: { pages: 45, sizeByte: 0x0f, cfg0: 0x29, atrName: 0x03, uidBytes: 7 },
  NTAG215: { pages: 135, sizeByte: 0x11, cfg0: 0x83, atrName: 0x03, uidBytes: 7 },
  NTAG216: { pages: 231, sizeByte: 0x13, cfg0: 0xe3, atrName: 0x03, uidBytes: 7 },
  ULTRALIGHT: { pages: 16, sizeByte: -1, cfg0: -1, atrName: 0x03, uidBytes: 7 },
  MIFARE_CLASSIC: { pages: 256, sizeByte: -1, cfg0: -1, atrName: 0x01, uidBytes: 4 },
};

const SW_OK = [0x90, 0x00];
/** ACR122U "operation failed" status word. */
const SW_FAIL = [0x63, 0x00];
/** Function not supported (FACTS.md: unsupported commands answer 6A 81). */
const SW_UNSUPPORTED = [0x6a, 0x81];
const PN532_OK = 0x00;
const PN532_TIMEOUT = 0x01;

/** PC/SC part 3 ATR for a contactless storage card (PC/SC 2.01 part 3 §3.1.3.2.3): byte 14 names the card. */
export function storageCardAtr(cardName: number): Uint8Array {
  const atr = [0x3b, 0x8f, 0x80, 0x01, 0x80, 0x4f, 0x0c, 0xa0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, cardName];
  atr.push(0, 0, 0, 0);
  let tck = 0;
  for (let i = 1; i < atr.length; i++) tck ^= atr[i];
  atr.push(tck);
  return new Uint8Array(atr);
}

export interface TagOptions {
  uid?: Uint8Array;
  /** Fill user memory like a factory NTAG (empty NDEF TLV) instead of zeros. */
  factory?: boolean;
}

export class VirtualTag {
  readonly kind: TagKind;
  readonly uid: Uint8Array;
  readonly mem: Uint8Array;
  private readonly model: TagModel;
  private authenticated = false;
  /** PWD and PACK are write-only on the chip: kept apart so that reads return zeros. */
  private pwd = new Uint8Array(4);
  private pack = new Uint8Array(2);
  /** Page writes so far (successful or torn): tests arm tears by this count. */
  writes = 0;
  /** When `writes` reaches this number, that write is torn and the tag leaves the field. */
  tearAtWrite = -1;
  tearMode: TearMode = 'garbage';
  /** False once the tag has left the field: it answers nothing. */
  present = true;
  /** Called when a torn write removes the tag (the vpcd client closes its socket). */
  onRemoved: (() => void) | null = null;
  /** Counts APDUs, to measure how many exchanges a desk operation costs. */
  apdus = 0;

  constructor(kind: TagKind, opts: TagOptions = {}) {
    this.kind = kind;
    this.model = MODELS[kind];
    this.uid = opts.uid ?? this.randomUid();
    this.mem = new Uint8Array(this.model.pages * 4);
    this.mem.set(this.uid.subarray(0, 3), 0);
    if (this.model.uidBytes === 7) {
      this.mem[3] = 0x88 ^ this.uid[0] ^ this.uid[1] ^ this.uid[2];
      this.mem.set(this.uid.subarray(3, 7), 4);
      this.mem[8] = this.uid[3] ^ this.uid[4] ^ this.uid[5] ^ this.uid[6];
    }
    if (this.model.cfg0 >= 0) {
      // Capability container and configuration as shipped (datasheet §8.5.6, §8.5.7): AUTH0 = 0xFF.
      this.mem.set([0xe1, 0x10, ((this.model.pages - 9) * 4) / 8, 0x00], 12);
      this.mem[this.model.cfg0 * 4 + 3] = 0xff;
      if (opts.factory !== false) this.mem.set([0x03, 0x00, 0xfe, 0x00], 16);
    }
  }

  private randomUid(): Uint8Array {
    const u = new Uint8Array(randomBytes(this.model.uidBytes));
    if (this.model.uidBytes === 7) u[0] = 0x04; // NXP manufacturer code
    return u;
  }

  atr(): Uint8Array {
    return storageCardAtr(this.model.atrName);
  }

  /** Page count of the chip. */
  get pages(): number {
    return this.model.pages;
  }

  /** Password a desk would set: exposed so tests can check PWD_AUTH without reading it back. */
  get passwordForTests(): Uint8Array {
    return this.pwd;
  }

  /** Handles one C-APDU; returns the R-APDU, or null when the tag has left the field (no answer). */
  handle(apdu: Uint8Array): Uint8Array | null {
    if (!this.present) return null;
    this.apdus++;
    if (apdu.length >= 5 && apdu[0] === 0xff) {
      const ins = apdu[1];
      if (ins === 0xca && apdu[2] === 0x00) return new Uint8Array([...this.uid, ...SW_OK]);
      if (ins === 0xb0) return this.readBinary(apdu[3], apdu[4]);
      if (ins === 0xd6 && apdu[4] === 4 && apdu.length === 9) {
        const r = this.writePage(apdu[3], apdu.subarray(5, 9));
        if (r === null) return null;
        return new Uint8Array(r ? SW_OK : SW_FAIL);
      }
      if (ins === 0x00 && apdu[2] === 0 && apdu[3] === 0 && apdu[4] === apdu.length - 5) {
        return this.direct(apdu.subarray(5));
      }
    }
    return new Uint8Array(SW_UNSUPPORTED);
  }

  private readBinary(page: number, le: number): Uint8Array {
    // ACR122U: read binary reads at most 16 bytes (one NTAG READ). Classic needs authentication first.
    if (this.model.sizeByte < 0 && this.kind === 'MIFARE_CLASSIC') return new Uint8Array(SW_FAIL);
    if (le === 0 || le > 16 || page >= this.model.pages) return new Uint8Array(SW_FAIL);
    const out = this.readPagesWrapped(page, 4).subarray(0, le);
    return new Uint8Array([...out, ...SW_OK]);
  }

  /** NTAG READ semantics: 4 pages from `page`, wrapping to page 0 (datasheet §10.2); PWD/PACK read 0. */
  private readPagesWrapped(page: number, count: number): Uint8Array {
    const out = new Uint8Array(count * 4);
    for (let i = 0; i < count; i++) {
      const p = (page + i) % this.model.pages;
      if (this.model.cfg0 >= 0 && (p === this.model.cfg0 + 2 || p === this.model.cfg0 + 3)) continue;
      out.set(this.mem.subarray(p * 4, p * 4 + 4), i * 4);
    }
    return out;
  }

  private auth0(): number {
    return this.model.cfg0 >= 0 ? this.mem[this.model.cfg0 * 4 + 3] : 0xff;
  }

  /** true written, false refused (NAK), null torn: the tag left the field. */
  private writePage(page: number, data: Uint8Array): boolean | null {
    if (this.kind === 'MIFARE_CLASSIC') return false;
    if (page < 2 || page >= this.model.pages) return false;
    if (page >= this.auth0() && !this.authenticated) return false; // PROT=0: writes need PWD_AUTH
    this.writes++;
    if (this.writes === this.tearAtWrite) {
      const at = page * 4;
      if (this.tearMode === 'new') this.storePage(page, data);
      else if (this.tearMode === 'garbage') {
        // Weak bits: half the new bytes landed, the rest reads as noise.
        this.mem[at] = data[0];
        this.mem[at + 1] = data[1];
        this.mem[at + 2] = (data[2] ^ 0xa5) & 0xff;
        this.mem[at + 3] = (this.mem[at + 3] ^ 0x3c) & 0xff;
      }
      this.remove();
      return null;
    }
    this.storePage(page, data);
    return true;
  }

  private storePage(page: number, data: Uint8Array): void {
    if (this.model.cfg0 >= 0 && page === this.model.cfg0 + 2) this.pwd = new Uint8Array(data);
    else if (this.model.cfg0 >= 0 && page === this.model.cfg0 + 3)
      this.pack = new Uint8Array(data.subarray(0, 2));
    else if (page === 3) {
      for (let i = 0; i < 4; i++) this.mem[12 + i] |= data[i]; // CC is one-time programmable (OR)
    } else this.mem.set(data, page * 4);
  }

  /** The tag leaves the field: session state is lost, later commands get no answer. */
  remove(): void {
    this.present = false;
    this.authenticated = false;
    if (this.onRemoved) this.onRemoved();
  }

  /** Puts the tag back in the field (a new session: PWD_AUTH must be redone). */
  reinsert(): void {
    this.present = true;
    this.authenticated = false;
    this.tearAtWrite = -1;
  }

  private direct(payload: Uint8Array): Uint8Array | null {
    if (payload.length < 3 || payload[0] !== 0xd4 || payload[1] !== 0x42)
      return new Uint8Array(SW_UNSUPPORTED);
    const cmd = payload.subarray(2);
    const answer = this.ntagCommand(cmd);
    if (answer === undefined) return null;
    if (answer === null) return new Uint8Array([0xd5, 0x43, PN532_TIMEOUT, ...SW_OK]);
    return new Uint8Array([0xd5, 0x43, PN532_OK, ...answer, ...SW_OK]);
  }

  /** One NTAG command; null: no answer or NAK (the PN532 reports a timeout); undefined: torn. */
  private ntagCommand(c: Uint8Array): Uint8Array | null | undefined {
    const m = this.model;
    if (this.kind === 'MIFARE_CLASSIC') return null; // Crypto1 tags ignore NTAG commands
    const code = c[0];
    if (code === 0x60 && c.length === 1) {
      if (m.sizeByte < 0) return null; // Ultralight EV0: no GET_VERSION
      return new Uint8Array([0x00, 0x04, 0x04, 0x02, 0x01, 0x00, m.sizeByte, 0x03]);
    }
    if (code === 0x30 && c.length === 2 && c[1] < m.pages) return this.readPagesWrapped(c[1], 4);
    if (code === 0x3a && c.length === 3 && m.sizeByte >= 0) {
      if (c[1] > c[2] || c[2] >= m.pages) return null;
      return this.readPagesWrapped(c[1], c[2] - c[1] + 1);
    }
    if (code === 0xa2 && c.length === 6) {
      const r = this.writePage(c[1], c.subarray(2, 6));
      if (r === null) return undefined;
      return r ? new Uint8Array([0x0a]) : null;
    }
    if (code === 0x3c && c.length === 2 && m.sizeByte >= 0) {
      // Originality signature: a stand-in (32 bytes bound to the UID), not NXP's ECC signature.
      return new Uint8Array(createHmac('sha256', 'virtual-ntag').update(this.uid).digest());
    }
    if (code === 0x1b && c.length === 5 && m.sizeByte >= 0) {
      for (let i = 0; i < 4; i++) {
        if (c[1 + i] !== this.pwd[i]) {
          this.authenticated = false;
          return null;
        }
      }
      this.authenticated = true;
      return this.pack;
    }
    return null;
  }
}

/** Default vpcd port for reader `Virtual PCD 00 00` (vsmartcard's vpcd configuration). */
export const VPCD_PORT = 35963;

/**
 * Inserts a virtual tag into vpcd's reader: connects to vpcd and answers its requests until
 * `remove()` (or a torn write) closes the socket, which pcscd reports as the card leaving.
 */
export class VpcdCard {
  private socket: Socket | null = null;
  private buf = Buffer.alloc(0);
  readonly tag: VirtualTag;
  constructor(tag: VirtualTag) {
    this.tag = tag;
  }

  insert(port = VPCD_PORT, host = '127.0.0.1'): Promise<void> {
    this.tag.reinsert();
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve());
      s.setNoDelay(true);
      s.on('error', (e) =>
        reject(
          new Error(
            'vpcd injoignable sur ' +
              host +
              ':' +
              port +
              ' (pcscd avec vsmartcard-vpcd lancé ? autre carte virtuelle déjà connectée ?) : ' +
              e.message,
          ),
        ),
      );
      s.on('data', (d) => this.onData(d));
      this.socket = s;
      this.tag.onRemoved = () => this.closeSocket();
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 2) {
      const n = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + n) return;
      const msg = new Uint8Array(this.buf.subarray(2, 2 + n));
      this.buf = this.buf.subarray(2 + n);
      const reply = this.answer(msg);
      if (reply !== null && this.socket !== null) {
        const out = Buffer.alloc(2 + reply.length);
        out.writeUInt16BE(reply.length, 0);
        out.set(reply, 2);
        this.socket.write(out); // one write: header and payload in the same segment
      }
    }
  }

  private answer(msg: Uint8Array): Uint8Array | null {
    if (msg.length === 1) {
      if (msg[0] === 4) return this.tag.atr();
      return null; // power off/on, reset: no reply
    }
    return this.tag.handle(msg);
  }

  private closeSocket(): void {
    const s = this.socket;
    this.socket = null;
    if (s !== null) setImmediate(() => s.destroy());
  }

  /** Takes the card off the reader. */
  remove(): void {
    this.tag.present = false;
    this.closeSocket();
  }
}
