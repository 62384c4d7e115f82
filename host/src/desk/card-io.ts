// The card as the desk sees it: a few NTAG21x operations, whatever carries them (nfc-pcsc and a USB
// reader, or an in-process virtual tag in tests). Commands and page numbers: NXP NTAG213/215/216
// datasheet §10 (GET_VERSION 60h, READ 30h, FAST_READ 3Ah, WRITE A2h, READ_SIG 3Ch, PWD_AUTH 1Bh).

export interface CardIo {
  /** UID as the reader reported it at selection (7 bytes for NTAG, 4 for MIFARE Classic). */
  uid(): Uint8Array;
  /** ATR given by PC/SC (byte 14 names the card family on PC/SC part 3 readers), or null. */
  atr(): Uint8Array | null;
  /** GET_VERSION answer (8 bytes), or null when the tag does not answer it. */
  getVersion(): Promise<Uint8Array | null>;
  /** READ_SIG answer (32 bytes), or null. */
  readSig(): Promise<Uint8Array | null>;
  /** Reads `count` pages from `first` (as few exchanges as the transport allows). */
  readPages(first: number, count: number): Promise<Uint8Array>;
  /** Writes one 4-byte page; throws DeskError CARD_GONE / CARD_WRITE_REFUSED. */
  writePage(page: number, data: Uint8Array): Promise<void>;
  /** PWD_AUTH; the PACK (2 bytes) on success, null on a wrong password. */
  pwdAuth(password: Uint8Array): Promise<Uint8Array | null>;
}

/** A desk failure for a person: a code for programs and a French sentence. */
export class DeskError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const MSG_CARD_GONE =
  'la carte a quitté le lecteur pendant l’opération : reposez-la et relancez la commande';
