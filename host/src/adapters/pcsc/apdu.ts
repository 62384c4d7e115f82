// CardIo over ACR122U-style pseudo-APDUs (ACR122U API v2.04 §5 and §6; PC/SC 2.01 part 3 §3.2.2.1):
// FF CA (UID), FF B0 (read binary, one NTAG READ = 16 bytes), FF D6 (update binary, one page), and
// FF 00 00 00 Lc D4 42 … (direct transmit to the PN532, InCommunicateThru) for the NTAG commands that
// have no PC/SC equivalent: GET_VERSION, READ_SIG, FAST_READ, PWD_AUTH.

import { CardIo, DeskError, MSG_CARD_GONE } from '../../desk/card-io';

/** Sends one APDU; resolves with the R-APDU, rejects when the card is gone or the reader failed. */
export interface ApduLink {
  transmit(apdu: Uint8Array, maxResponse: number): Promise<Uint8Array>;
  /** Optional PC/SC read binary / update binary (nfc-pcsc read()/write()); defaults to transmit. */
  readBinary?(page: number, length: number): Promise<Uint8Array>;
  updateBinary?(page: number, data: Uint8Array): Promise<void>;
}

/**
 * Most pages one FAST_READ asks for: 60 pages = 240 bytes, so that the answer (D5 43 status + data +
 * SW) stays under the PN532's 262-byte frame (PN532 user manual §6.2.1.1) and the ACR122U's buffer.
 */
export const FAST_READ_MAX_PAGES = 60;
/** Pages per READ (NTAG READ returns 16 bytes, datasheet §10.2): read binary's maximum on an ACR122U. */
export const READ_PAGES = 4;

function sw(r: Uint8Array): number {
  return r.length >= 2 ? r[r.length - 2] * 256 + r[r.length - 1] : -1;
}

export class ApduCardIo implements CardIo {
  private fastReadWorks = true;
  constructor(
    private readonly link: ApduLink,
    private readonly uidBytes: Uint8Array,
    private readonly atrBytes: Uint8Array | null,
  ) {}

  /** Reads the UID with FF CA 00 00 00 (what nfc-pcsc does at selection). */
  static async open(link: ApduLink, atr: Uint8Array | null): Promise<ApduCardIo> {
    const r = await send(link, new Uint8Array([0xff, 0xca, 0x00, 0x00, 0x00]), 12);
    if (sw(r) !== 0x9000)
      throw new DeskError('CARD_NO_UID', 'le lecteur ne donne pas l’identifiant de la carte');
    return new ApduCardIo(link, r.subarray(0, r.length - 2), atr);
  }

  uid(): Uint8Array {
    return this.uidBytes;
  }

  atr(): Uint8Array | null {
    return this.atrBytes;
  }

  /** InCommunicateThru: the tag's answer, or null when the PN532 reports an error (no answer, NAK). */
  async thru(cmd: number[], maxAnswer: number): Promise<Uint8Array | null> {
    const apdu = new Uint8Array([0xff, 0x00, 0x00, 0x00, cmd.length + 2, 0xd4, 0x42, ...cmd]);
    const r = await send(this.link, apdu, maxAnswer + 5);
    if (sw(r) !== 0x9000 || r.length < 5 || r[0] !== 0xd5 || r[1] !== 0x43 || r[2] !== 0x00) return null;
    return r.subarray(3, r.length - 2);
  }

  async getVersion(): Promise<Uint8Array | null> {
    const a = await this.thru([0x60], 8);
    return a !== null && a.length === 8 ? a : null;
  }

  async readSig(): Promise<Uint8Array | null> {
    const a = await this.thru([0x3c, 0x00], 32);
    return a !== null && a.length === 32 ? a : null;
  }

  async readPages(first: number, count: number): Promise<Uint8Array> {
    const out = new Uint8Array(count * 4);
    let done = 0;
    while (done < count) {
      const n = Math.min(FAST_READ_MAX_PAGES, count - done);
      const start = first + done;
      let chunk: Uint8Array | null = null;
      if (this.fastReadWorks) {
        chunk = await this.thru([0x3a, start, start + n - 1], n * 4);
        if (chunk === null || chunk.length !== n * 4) {
          // Some readers refuse direct transmit: fall back to read binary for the rest of the session.
          this.fastReadWorks = false;
          chunk = null;
        }
      }
      if (chunk === null) {
        const m = Math.min(READ_PAGES, count - done);
        chunk = await this.readBinary(start, m * 4);
        out.set(chunk, done * 4);
        done += m;
        continue;
      }
      out.set(chunk, done * 4);
      done += n;
    }
    return out;
  }

  private async readBinary(page: number, length: number): Promise<Uint8Array> {
    if (this.link.readBinary) return this.link.readBinary(page, length);
    const r = await send(this.link, new Uint8Array([0xff, 0xb0, 0x00, page, length]), length + 2);
    if (sw(r) !== 0x9000 || r.length !== length + 2) {
      throw new DeskError('CARD_READ', 'lecture de la carte impossible (page ' + page + ')');
    }
    return r.subarray(0, length);
  }

  async writePage(page: number, data: Uint8Array): Promise<void> {
    if (this.link.updateBinary) return this.link.updateBinary(page, data);
    const r = await send(this.link, new Uint8Array([0xff, 0xd6, 0x00, page, 0x04, ...data]), 2);
    if (sw(r) !== 0x9000) {
      throw new DeskError(
        'CARD_WRITE_REFUSED',
        'la carte refuse l’écriture (page ' + page + ') : protégée ?',
      );
    }
  }

  async pwdAuth(password: Uint8Array): Promise<Uint8Array | null> {
    const a = await this.thru([0x1b, ...password], 2);
    return a !== null && a.length === 2 ? a : null;
  }
}

async function send(link: ApduLink, apdu: Uint8Array, max: number): Promise<Uint8Array> {
  try {
    return await link.transmit(apdu, max);
  } catch (e) {
    if (e instanceof DeskError) throw e;
    throw new DeskError('CARD_GONE', MSG_CARD_GONE);
  }
}
