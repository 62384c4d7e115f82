// The desk's card over a USB PC/SC reader through nfc-pcsc (ACR122U and compatible). nfc-pcsc selects
// the card and reads its UID (FF CA); pages are read and written with its read()/write() (FF B0 /
// FF D6), and the NTAG commands with no PC/SC equivalent go through reader.transmit() as ACR122U direct
// transmit (FF 00 00 00 … D4 42 …), see apdu.ts.
//
// Gotcha (FACTS.md): nfc-pcsc emits `card` inside pcsclite's status callback, holding a mutex; closing a
// reader or exiting from a continuation of that event deadlocks. Every hand-over below goes through
// setImmediate, and close() closes each reader before the context.

import { createRequire } from 'node:module';
import { CardIo, DeskError, MSG_CARD_GONE } from '../../desk/card-io';
import { ApduCardIo, ApduLink } from './apdu';

/** The parts of nfc-pcsc's Reader we use (the package ships no types). */
interface NfcReader {
  name: string;
  autoProcessing: boolean;
  on(event: 'card', cb: (card: { uid?: string; atr?: Buffer }) => void): void;
  on(event: 'card.off' | 'end', cb: () => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  transmit(data: Buffer, max: number): Promise<Buffer>;
  read(page: number, length: number, blockSize?: number, packetSize?: number): Promise<Buffer>;
  write(page: number, data: Buffer, blockSize?: number): Promise<boolean>;
  close(): void;
  connection: unknown;
  disconnect(): Promise<boolean>;
}
interface NfcContext {
  on(event: 'reader', cb: (r: NfcReader) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  close(): void;
}

/** How long a desk command waits for a card by default (a person has to fetch it). */
export const DEFAULT_CARD_WAIT_MS = 30_000;

interface Present {
  reader: NfcReader;
  uid: Uint8Array;
  atr: Uint8Array | null;
  used: boolean;
}

export class PcscDesk {
  private readonly readers: NfcReader[] = [];
  /** Every reader pcsclite reported, watched or not: each has a native thread that close() must stop. */
  private readonly allReaders: NfcReader[] = [];
  private present: Present | null = null;
  private waiters: ((p: Present) => void)[] = [];
  private closed = false;
  private lastError: Error | null = null;

  private constructor(
    private readonly nfc: NfcContext,
    private readonly filter: string | null,
  ) {}

  /** Starts listening to PC/SC readers whose name contains `filter` (all when null). */
  static start(filter: string | null): PcscDesk {
    const require = createRequire(import.meta.url);
    let mod: { NFC: new () => NfcContext };
    try {
      mod = require('nfc-pcsc') as { NFC: new () => NfcContext };
    } catch (e) {
      throw new DeskError(
        'PCSC_UNAVAILABLE',
        'nfc-pcsc ne se charge pas (' + (e as Error).message + ') : installez pcscd et libpcsclite',
      );
    }
    const desk = new PcscDesk(new mod.NFC(), filter);
    desk.nfc.on('reader', (r) => desk.onReader(r));
    desk.nfc.on('error', (e) => {
      desk.lastError = e;
    });
    return desk;
  }

  readerNames(): string[] {
    return this.readers.map((r) => r.name);
  }

  private onReader(r: NfcReader): void {
    this.allReaders.push(r);
    r.on('error', () => {});
    if (this.filter !== null && !r.name.includes(this.filter)) return;
    r.autoProcessing = true;
    this.readers.push(r);
    r.on('card', (card) => {
      const p: Present = {
        reader: r,
        uid: new Uint8Array(Buffer.from(card.uid ?? '', 'hex')),
        atr: card.atr ? new Uint8Array(card.atr) : null,
        used: false,
      };
      setImmediate(() => this.arrived(p));
    });
    r.on('card.off', () => {
      setImmediate(() => {
        if (this.present !== null && this.present.reader === r) this.present = null;
      });
    });
    r.on('error', (e) => {
      this.lastError = e;
    });
    r.on('end', () => {
      const i = this.readers.indexOf(r);
      if (i >= 0) this.readers.splice(i, 1);
    });
  }

  private arrived(p: Present): void {
    this.present = p;
    const w = this.waiters.shift();
    if (w) {
      p.used = true;
      w(p);
    }
  }

  /**
   * The next card put on a reader (or the card already there if no command used it yet), as a CardIo.
   * Rejects with NO_CARD after `timeoutMs`.
   */
  waitCard(timeoutMs: number): Promise<CardIo> {
    return new Promise((resolve, reject) => {
      const take = (p: Present): void => {
        clearTimeout(timer);
        resolve(this.cardIo(p));
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(take);
        if (i >= 0) this.waiters.splice(i, 1);
        const readers = this.readers.length === 0 ? ' (aucun lecteur PC/SC trouvé)' : '';
        const detail = this.lastError ? ' [' + this.lastError.message + ']' : '';
        reject(new DeskError('NO_CARD', 'aucune carte posée sur le lecteur' + readers + detail));
      }, timeoutMs);
      if (this.present !== null && !this.present.used) {
        this.present.used = true;
        const p = this.present;
        setImmediate(() => take(p));
      } else this.waiters.push(take);
    });
  }

  private cardIo(p: Present): CardIo {
    const r = p.reader;
    const link: ApduLink = {
      async transmit(apdu, max) {
        return new Uint8Array(await r.transmit(Buffer.from(apdu), max));
      },
      async readBinary(page, length) {
        try {
          return new Uint8Array(await r.read(page, length, 4, 16));
        } catch (e) {
          if (!(await stillThere(r, p.uid))) throw new DeskError('CARD_GONE', MSG_CARD_GONE);
          throw pcscError(e, 'CARD_READ', 'lecture de la carte impossible (page ' + page + ')');
        }
      },
      async updateBinary(page, data) {
        try {
          await r.write(page, Buffer.from(data), 4);
        } catch (e) {
          if (!(await stillThere(r, p.uid))) throw new DeskError('CARD_GONE', MSG_CARD_GONE);
          throw pcscError(
            e,
            'CARD_WRITE_REFUSED',
            'la carte refuse l’écriture (page ' + page + ') : protégée ?',
          );
        }
      },
    };
    return new ApduCardIo(link, p.uid, p.atr);
  }

  /** Resolves once no card is on the watched readers (tests: before putting the next card). */
  waitRemoved(timeoutMs: number): Promise<void> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const poll = (): void => {
        if (this.present === null) resolve();
        else if (Date.now() - started > timeoutMs)
          reject(new DeskError('CARD_STILL_THERE', 'la carte est toujours sur le lecteur'));
        else setTimeout(poll, 20);
      };
      poll();
    });
  }

  /** Closes readers then the PC/SC context, outside any nfc-pcsc callback. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      setImmediate(async () => {
        // Disconnect first: pcsclite keeps its native thread (and the process) alive while a card
        // connection is open, even after close().
        for (const r of this.allReaders) {
          if (r.connection) await r.disconnect().catch(() => false);
        }
        for (const r of this.allReaders) r.close();
        this.nfc.close();
        resolve();
      });
    });
  }
}

/**
 * After a failed read or write: is the same card still selected? When vpcd (or a real reader) loses the
 * card mid-command, the failure can come back as a status word rather than a transmit error, so the
 * status word alone cannot tell "refused" from "gone": ask for the UID again.
 */
async function stillThere(r: NfcReader, uid: Uint8Array): Promise<boolean> {
  try {
    const a = await r.transmit(Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]), 12);
    return (
      a.length === uid.length + 2 &&
      Buffer.from(uid).equals(a.subarray(0, uid.length)) &&
      a[a.length - 2] === 0x90
    );
  } catch {
    return false;
  }
}

/** nfc-pcsc wraps PC/SC errors: a transmit failure means the card left; a bad status word, a refusal. */
function pcscError(e: unknown, code: string, refused: string): DeskError {
  const err = e as { name?: string; code?: string; previous?: unknown };
  if (err && err.code === 'operation_failed') return new DeskError(code, refused);
  return new DeskError('CARD_GONE', MSG_CARD_GONE);
}
