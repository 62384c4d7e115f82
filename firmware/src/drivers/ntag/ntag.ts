// NTAG21x command set (NXP NTAG213/215/216 datasheet, §10) over the PN532 driver: the HAL's
// CardTransport. Raw commands go through InCommunicateThru (the PN532 adds and checks the CRC_A), so
// FAST_READ, READ_SIG and GET_VERSION pass unchanged and the 4-bit ACK/NAK comes back as one byte.

import {
  CARD_GONE,
  CARD_NAK,
  CardFailure,
  CardTarget,
  CardTransport,
  isCardFailure,
} from '../../hal/devices';
import { MAX_EXCHANGE_DATA, Pn532 } from '../pn532/pn532';

export const NTAG_GET_VERSION = 0x60;
export const NTAG_READ = 0x30;
export const NTAG_FAST_READ = 0x3a;
export const NTAG_WRITE = 0xa2;
export const NTAG_READ_SIG = 0x3c;

/** 4-bit ACK (datasheet §9.3, table "ACK and NAK values"). Anything else in the low nibble is a NAK. */
export const NTAG_ACK = 0x0a;
export const PAGE_SIZE = 4;
/** READ returns 4 pages (§10.2). */
export const READ_BYTES = 16;
/** GET_VERSION answers 8 bytes (§10.1). */
export const VERSION_BYTES = 8;
/** READ_SIG answers the 32-byte ECC signature (§10.9). */
export const SIGNATURE_BYTES = 32;
/**
 * Pages per FAST_READ exchange: the PN532 returns at most MAX_EXCHANGE_DATA (252) bytes in one normal
 * frame, i.e. 63 pages; FAST_READ of more pages is split into several commands.
 */
export const MAX_FAST_READ_PAGES = MAX_EXCHANGE_DATA / PAGE_SIZE;

function fail(error: string, detail: string): CardFailure {
  return { error: error, detail: detail };
}

function hex2(n: number): string {
  return (n < 16 ? '0' : '') + n.toString(16);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class NtagTransport implements CardTransport {
  pn: Pn532;
  /** UID of the selected card, or null. */
  uid: Uint8Array | null;
  /** How many times the transport re-selected the card after a NAK (tests and diagnostics). */
  reselects: number;

  constructor(pn: Pn532) {
    this.pn = pn;
    this.uid = null;
    this.reselects = 0;
  }

  detect(): CardTarget | null | CardFailure {
    const t = this.pn.listPassiveTarget();
    if (isCardFailure(t)) return t;
    if (t === null) {
      this.uid = null;
      return null;
    }
    this.uid = t.uid;
    return { uid: t.uid };
  }

  /**
   * A NAK puts the tag back to IDLE (§9.3): it answers nothing but REQA/WUPA until selected again. We
   * re-select at once so the caller's next command works, and check it is the same card.
   */
  reselect(code: number): CardFailure {
    this.reselects++;
    const before = this.uid;
    const t = this.pn.listPassiveTarget();
    if (isCardFailure(t)) return fail(CARD_NAK, 'NAK 0x' + hex2(code) + ', re-sélection: ' + t.error);
    if (t === null || before === null || !sameBytes(t.uid, before)) {
      this.uid = t === null ? null : t.uid;
      return fail(CARD_NAK, 'NAK 0x' + hex2(code) + ', carte changée ou absente');
    }
    return fail(CARD_NAK, 'NAK 0x' + hex2(code));
  }

  /** Sends `cmd` and expects exactly `n` bytes; a 1-byte answer is a NAK (§9.3). */
  exchange(cmd: Uint8Array, n: number): Uint8Array | CardFailure {
    const r = this.pn.communicateThru(cmd, n);
    if (isCardFailure(r)) return r;
    if (r.length === 1 && n !== 1) return this.reselect(r[0] & 0x0f);
    if (r.length !== n) return fail(CARD_GONE, 'réponse de ' + r.length + ' octets au lieu de ' + n);
    return r;
  }

  getVersion(): Uint8Array | CardFailure {
    return this.exchange(new Uint8Array([NTAG_GET_VERSION]), VERSION_BYTES);
  }

  read(page: number): Uint8Array | CardFailure {
    return this.exchange(new Uint8Array([NTAG_READ, page & 0xff]), READ_BYTES);
  }

  /** FAST_READ start..end inclusive (§10.3), split into exchanges of at most MAX_FAST_READ_PAGES pages. */
  fastRead(start: number, end: number): Uint8Array | CardFailure {
    if (end < start) throw new Error('NTAG: fastRead end < start');
    const out = new Uint8Array((end - start + 1) * PAGE_SIZE);
    let p = start;
    while (p <= end) {
      let last = p + MAX_FAST_READ_PAGES - 1;
      if (last > end) last = end;
      const r = this.exchange(new Uint8Array([NTAG_FAST_READ, p, last]), (last - p + 1) * PAGE_SIZE);
      if (isCardFailure(r)) return r;
      out.set(r, (p - start) * PAGE_SIZE);
      p = last + 1;
    }
    return out;
  }

  /** WRITE one page (§10.4); the tag answers the 4-bit ACK after programming its EEPROM. */
  write(page: number, data: Uint8Array): null | CardFailure {
    if (data.length !== PAGE_SIZE) throw new Error('NTAG: write needs 4 bytes');
    const cmd = new Uint8Array([NTAG_WRITE, page & 0xff, data[0], data[1], data[2], data[3]]);
    const r = this.pn.communicateThru(cmd, 1);
    if (isCardFailure(r)) return r;
    if (r.length !== 1) return fail(CARD_GONE, 'WRITE: réponse de ' + r.length + ' octets');
    if ((r[0] & 0x0f) !== NTAG_ACK) return this.reselect(r[0] & 0x0f);
    return null;
  }

  readSignature(): Uint8Array | CardFailure {
    return this.exchange(new Uint8Array([NTAG_READ_SIG, 0x00]), SIGNATURE_BYTES);
  }
}

/**
 * The NXP originality signature "as a flag" (issue 4). NXP signs the 7-byte UID with ECDSA over
 * secp128r1 (NTAG21x datasheet §8.2 / AN11350); checking it needs that curve and NXP's public key, which
 * carnet leaves out (no ECC on the reader beyond Ed25519). What we can say without it: a signature is
 * present and not all zeros (many clone chips answer zeros). A "magic" card copies UID and signature,
 * so even a verified signature would not prove the card is the one the fund issued: carnet's own
 * Ed25519 voucher does that.
 */
export interface OriginalitySignature {
  signature: Uint8Array;
  present: boolean;
}

export function originalitySignature(sig: Uint8Array | CardFailure): OriginalitySignature {
  if (isCardFailure(sig) || sig.length !== SIGNATURE_BYTES) {
    return { signature: new Uint8Array(0), present: false };
  }
  let any = 0;
  for (let i = 0; i < sig.length; i++) any |= sig[i];
  return { signature: sig, present: any !== 0 };
}
