// The reader's core: its persistent state, its log, and the card transactions (issue 4 §1-§3).
// A tap is one short synchronous transaction (devices.ts): read, verify, decide, PENDING in the log,
// write the inactive slot, read back, COMMIT. Nothing here touches an Espruino global.

import { Devices, CardFailure, isCardFailure } from '../hal/devices';
import { Ed25519 } from '../hal/crypto';
import { CborValue, cborDecode, cborDecodePrefix, cborEncode } from '../../../protocol/src/cbor';
import { ProtocolCrypto, Sha256, Ed25519Signer } from '../../../protocol/src/crypto/types';
import { toHex } from '../../../protocol/src/bytes';
import { sealEnvelope } from '../../../protocol/src/structures/envelope';
import {
  CardLayout,
  CardRegion,
  FIRST_USER_PAGE,
  PAGE_BYTES,
  RECEIPT_ENTRY_BYTES,
  RECEIPT_RING_ENTRIES,
  decodeCardHeader,
  layoutForChip,
  pagesToWrite,
  regionOf,
} from '../../../protocol/src/card';
import {
  KeyCertificate,
  ReaderCertificate,
  ReaderDirectory,
  ROLE_ISSUER,
  findDirectoryEntry,
  keyId,
  openKeyCertificate,
  openReaderCertificate,
} from '../../../protocol/src/structures/keys';
import {
  Blocklist,
  ReaderConfig,
  coveredShare,
  sortedBytesContains,
} from '../../../protocol/src/structures/config';
import {
  ALERT_BAD_SIGNATURE,
  ALERT_BLOCKLISTED,
  ALERT_FUTURE_STATE,
  ALERT_ROLLBACK,
  ALERT_UID_MISMATCH,
  CHANGE_KEYGEN,
  LOG_ALERT,
  LOG_BALANCE,
  LOG_BOOT,
  LOG_CONFIG,
  LOG_DAY_CLOSE,
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_VOID,
  decodeLogRecord,
  encodeLogRecord,
  chainGenesis,
  signCheckpoint,
} from '../../../protocol/src/structures/log';
import {
  SpendState,
  balanceFor,
  carriedForNewState,
  decodeStateBody,
  encodeState,
  stateId,
  voucherId,
} from '../../../protocol/src/structures/state';
import { Voucher } from '../../../protocol/src/structures/voucher';
import {
  verifyBlocklist,
  verifyConfig,
  verifyDirectory,
  verifyKeyCertificate,
  verifyReaderCertificate,
  verifyState,
  verifyVoucher,
} from '../../../protocol/src/verify';
import { MAX_LOG_RECORD_BYTES } from '../../../protocol/src/limits';
import { localDay, monthOfTime } from '../../../protocol/src/time';
import { loadBlob, putU32, saveBlob } from './blob';
import { FlashLog } from './flashlog';
import {
  RunState,
  applyRecord,
  cardDayCovered,
  decodeRun,
  emptyRun,
  encodeRun,
  findSeen,
  sameBytes,
} from './state';
import { T, money, RECEIPT_COLUMNS } from './texts';

/** Verified-signature cache: the same card tapped again (re-tap, refund, balance) skips Ed25519, ~20 ms
 * on the board each. Entries are a 16-byte digest of (key, signature, message): 16 x ~3 JsVars. */
export const VERIFY_CACHE_MAX = 16;
/** Key certificates held (issuer and operator keys): a fund has a handful of desks and laptops. */
export const MAX_KEY_CERTIFICATES = 8;
/** Flash room kept for records that are not sales (alerts, configuration changes, the BOOT record), so
 * that a reader refusing sales for a full log can still record why and take the ACK that frees it. */
export const LOG_RESERVE_RECORDS = 2;
/** Size used for a COMMIT or VOID record in room checks (largest: [8,1,seq,time,3,[seq,reason]] < 24 B). */
export const SMALL_RECORD_BYTES = 24;
/** Largest SALE_PENDING / REFUND_PENDING record: array head 1, type 1, version 1, seq 5, time 5, kind 1,
 * data head 1, category 2, amount 5, covered 5, state (≤ MAX_STATE_BODY_BYTES = 100, + 2 head) = 129. */
export const PENDING_MAX_BYTES = 129;

/** The run state is saved every 64 log records (and at each ACK and day close): it bounds the records
 * replayed at boot (~64 CBOR decodes, well under a second on a Pico) while a sale writes only its two
 * records most of the time (~200 B more every ~30 sales). */
export const RUN_SAVE_RECORDS = 64;

/** Blob names (Storage names ≤ 28 characters; short to save directory space). */
export const BLOB_IDENTITY = 'id';
export const BLOB_CERT = 'ct';
export const BLOB_CONFIG = 'cf';
export const BLOB_DIRECTORY = 'dr';
export const BLOB_BLOCKLIST = 'bl';
export const BLOB_KEYCERTS = 'kc';
export const BLOB_RUN = 'rn';
export const BLOB_CHECKPOINT = 'ck';

export interface Identity {
  fundId: Uint8Array;
  rootKey: Uint8Array;
  readerId: number;
  seed: Uint8Array;
  publicKey: Uint8Array;
}

export interface TapOutcome {
  /** 'none' no card; 'done' an answer to show; 'torn' the card left mid-write (pending stays open). */
  kind: string;
  code: string;
  lines: string[];
  receipt: string[] | null;
}

interface CardRead {
  uid: Uint8Array;
  layout: CardLayout;
  mem: Uint8Array;
  voucher: Voucher;
  voucherEnvelope: Uint8Array;
  current: SpendState | null;
  currentBody: Uint8Array | null;
  /** Slot holding `current` (null: none) — the new state goes to the other one. */
  currentSlot: CardRegion | null;
  month: number;
}

function outcome(kind: string, code: string, lines: string[], receipt: string[] | null): TapOutcome {
  return { kind: kind, code: code, lines: lines, receipt: receipt };
}

function refuse(code: string, lines: string[]): TapOutcome {
  return outcome('done', code, lines, null);
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

/** "23/11/2026 16:05" in the fund's local time (utc offset of the configuration). */
export function localDateTime(t: number, utcOffsetMin: number): string {
  const s = t + utcOffsetMin * 60;
  let days = Math.floor(s / 86400);
  const rem = s - days * 86400;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, as protocol/src/time.ts).
  days += 719468;
  const era = Math.floor(days / 146097);
  const doe = days - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return (
    pad2(d) +
    '/' +
    pad2(m) +
    '/' +
    y +
    ' ' +
    pad2(Math.floor(rem / 3600)) +
    ':' +
    pad2(Math.floor((rem % 3600) / 60))
  );
}

/** "label ....... value" on one receipt line. */
export function receiptLine(label: string, value: string): string {
  if (label.length + value.length + 1 > RECEIPT_COLUMNS)
    label = label.substring(0, RECEIPT_COLUMNS - value.length - 1);
  let spaces = RECEIPT_COLUMNS - label.length - value.length;
  if (spaces < 1) spaces = 1;
  let s = label;
  for (let i = 0; i < spaces; i++) s += ' ';
  return s + value;
}

export class ReaderCore {
  dev: Devices;
  ed: Ed25519;
  sha256: Sha256;
  pc: ProtocolCrypto;
  log: FlashLog;
  id: Identity | null = null;
  certEnv: Uint8Array | null = null;
  cert: ReaderCertificate | null = null;
  configEnv: Uint8Array | null = null;
  config: ReaderConfig | null = null;
  dirEnv: Uint8Array | null = null;
  directory: ReaderDirectory | null = null;
  blockEnv: Uint8Array | null = null;
  blocklist: Blocklist | null = null;
  keyCertEnvs: Uint8Array[] = [];
  keyCerts: KeyCertificate[] = [];
  run: RunState = emptyRun();
  verifyCache: string[] = [];
  /** Log seq the saved run state covers (to save it again every RUN_SAVE_RECORDS). */
  runSavedSeq = 0;
  firmwareVersion: string;
  maintenance = false;

  constructor(
    dev: Devices,
    ed: Ed25519,
    sha256: Sha256,
    firmwareVersion: string,
    segs: number,
    segBytes: number,
  ) {
    this.dev = dev;
    this.ed = ed;
    this.sha256 = sha256;
    this.firmwareVersion = firmwareVersion;
    this.pc = {
      sha256: sha256,
      verify: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean =>
        this.cachedVerify(pub, msg, sig),
    };
    this.log = new FlashLog(dev.flash, sha256, segs, segBytes);
  }

  /** Ed25519 verification through the bounded cache of verified (key, signature, message) digests. */
  cachedVerify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    if (pub.length !== 32 || sig.length !== 64) return false;
    const all = new Uint8Array(96 + msg.length);
    all.set(pub, 0);
    all.set(sig, 32);
    all.set(msg, 96);
    const key = toHex(new Uint8Array(this.sha256(all).subarray(0, 16)));
    if (this.verifyCache.indexOf(key) >= 0) return true;
    if (!this.ed.verify(sig, pub, msg)) return false;
    this.verifyCache.push(key);
    if (this.verifyCache.length > VERIFY_CACHE_MAX) this.verifyCache.shift();
    return true;
  }

  signer(): Ed25519Signer {
    const id = this.id as Identity;
    const ed = this.ed;
    return {
      publicKey: id.publicKey,
      sign: function (msg: Uint8Array): Uint8Array {
        return ed.sign(id.seed, msg);
      },
    };
  }

  now(): number {
    return this.dev.clock.now();
  }

  utcOffset(): number {
    return this.config === null ? 0 : this.config.utcOffsetMin;
  }

  // ------------------------------------------------------------------------------------------------
  // Persistent state

  /** Loads everything from flash; replays the log records the saved run state has not seen yet. */
  load(): void {
    const idb = loadBlob(this.dev.flash, BLOB_IDENTITY);
    this.id = null;
    if (idb !== null) {
      const d = cborDecode(idb);
      if (d.ok && Array.isArray(d.value) && d.value.length === 4) {
        const v = d.value as CborValue[];
        const seed = v[3] as Uint8Array;
        this.id = {
          fundId: v[0] as Uint8Array,
          rootKey: v[1] as Uint8Array,
          readerId: v[2] as number,
          seed: seed,
          publicKey: this.ed.publicKey(seed),
        };
      }
    }
    this.certEnv = loadBlob(this.dev.flash, BLOB_CERT);
    this.configEnv = loadBlob(this.dev.flash, BLOB_CONFIG);
    this.dirEnv = loadBlob(this.dev.flash, BLOB_DIRECTORY);
    this.blockEnv = loadBlob(this.dev.flash, BLOB_BLOCKLIST);
    this.keyCertEnvs = [];
    const kc = loadBlob(this.dev.flash, BLOB_KEYCERTS);
    if (kc !== null) {
      const d = cborDecode(kc);
      if (d.ok && Array.isArray(d.value)) {
        for (let i = 0; i < d.value.length; i++) this.keyCertEnvs.push(d.value[i] as Uint8Array);
      }
    }
    this.reopenObjects();
    this.log.open();
    const rb = loadBlob(this.dev.flash, BLOB_RUN);
    let run = rb === null ? null : decodeRun(rb);
    if (run === null || run.appliedSeq >= this.log.nextSeq || run.appliedSeq < this.log.firstSeq() - 1) {
      run = emptyRun();
      run.appliedSeq = this.log.firstSeq() - 1;
    }
    this.run = run;
    this.runSavedSeq = run.appliedSeq;
    const off = this.utcOffset();
    this.log.scan(run.appliedSeq + 1, (seq: number, rec: Uint8Array): boolean => {
      const r = decodeLogRecord(rec);
      if (r.ok) applyRecord(this.run, r.value, off);
      return true;
    });
  }

  /** Re-opens the stored envelopes (signatures were checked at install; they are re-checked, cheaply). */
  reopenObjects(): void {
    this.cert = null;
    this.config = null;
    this.directory = null;
    this.blocklist = null;
    this.keyCerts = [];
    if (this.id === null) return;
    const id = this.id;
    const far = 4294967294;
    if (this.certEnv !== null) {
      // The window is checked at sale time ("Synchronisation requise"), not here: an expired certificate
      // must still be known to say so.
      const c = verifyReaderCertificate(
        this.certEnv,
        id.rootKey,
        id.fundId,
        this.certTime(this.certEnv),
        this.pc,
      );
      if (c.ok) this.cert = c.value;
    }
    for (let i = 0; i < this.keyCertEnvs.length; i++) {
      const o = this.openKeyCert(this.keyCertEnvs[i], far);
      if (o !== null) this.keyCerts.push(o);
    }
    if (this.configEnv !== null) {
      const signer = this.commandSignerKey(this.configSignerId(this.configEnv));
      if (signer !== null) {
        const c = verifyConfig(this.configEnv, signer, id.fundId, id.readerId, this.pc);
        if (c.ok) this.config = c.value;
      }
    }
    if (this.dirEnv !== null) {
      const d = verifyDirectory(this.dirEnv, id.rootKey, id.fundId, this.pc);
      if (d.ok) this.directory = d.value;
    }
    if (this.blockEnv !== null) {
      const b = this.openBlocklistEnv(this.blockEnv);
      if (b !== null) this.blocklist = b;
    }
  }

  private certTime(env: Uint8Array): number {
    // A time inside the certificate's own window, so that an expired one still opens (see above).
    const o = openReaderCertificate(env);
    return o.ok ? o.value.value.notBefore : 0;
  }

  private configSignerId(env: Uint8Array): Uint8Array {
    const d = cborDecode(env);
    if (!d.ok || !Array.isArray(d.value)) return new Uint8Array(8);
    const body = cborDecode(d.value[0] as Uint8Array);
    if (!body.ok || !Array.isArray(body.value)) return new Uint8Array(8);
    const last = body.value[body.value.length - 1];
    return last instanceof Uint8Array ? last : new Uint8Array(8);
  }

  openKeyCert(env: Uint8Array, now: number): KeyCertificate | null {
    if (this.id === null) return null;
    const id = this.id;
    // Window checked by the callers that need it (issuer at tap time, operator at command time).
    const c = verifyKeyCertificate(
      env,
      id.rootKey,
      id.fundId,
      now < 0 ? 0 : this.keyCertNotBefore(env),
      this.pc,
    );
    return c.ok ? c.value : null;
  }

  private keyCertNotBefore(env: Uint8Array): number {
    const o = openKeyCertificate(env);
    return o.ok ? o.value.value.notBefore : 0;
  }

  openBlocklistEnv(env: Uint8Array): Blocklist | null {
    if (this.id === null) return null;
    const signer = this.commandSignerKey(this.configSignerId(env));
    if (signer === null) return null;
    const b = verifyBlocklist(env, signer, this.id.fundId, this.pc);
    return b.ok ? b.value : null;
  }

  /**
   * Public key of a signer of configurations, blocklists and commands (SPEC.md §4): the root, or an
   * operator key certified by the root and valid now. null when unknown.
   */
  commandSignerKey(kid: Uint8Array): Uint8Array | null {
    if (this.id === null) return null;
    if (sameBytes(kid, keyId(this.id.rootKey, this.sha256))) return this.id.rootKey;
    for (let i = 0; i < this.keyCerts.length; i++) {
      const c = this.keyCerts[i];
      if (c.role === 2 && sameBytes(keyId(c.publicKey, this.sha256), kid)) return c.publicKey;
    }
    return null;
  }

  issuerKey(kid: Uint8Array, now: number): Uint8Array | null {
    for (let i = 0; i < this.keyCerts.length; i++) {
      const c = this.keyCerts[i];
      if (c.role !== ROLE_ISSUER || now < c.notBefore || now >= c.notAfter) continue;
      if (sameBytes(keyId(c.publicKey, this.sha256), kid)) return c.publicKey;
    }
    return null;
  }

  /** Key of the reader that wrote a card state: ours, or the directory's; none for a revoked reader (its
   * states are ignored: a stolen reader could otherwise write balance back onto cards, SPEC §4, §8). */
  readerKey(readerId: number): Uint8Array | null {
    if (this.id !== null && readerId === this.id.readerId) return this.id.publicKey;
    if (this.directory === null) return null;
    if (this.blocklist !== null && this.blocklist.readerIds.indexOf(readerId) >= 0) return null;
    const e = findDirectoryEntry(this.directory, readerId);
    return e === null ? null : e.publicKey;
  }

  saveIdentity(id: Identity): boolean {
    this.id = id;
    return saveBlob(this.dev.flash, BLOB_IDENTITY, cborEncode([id.fundId, id.rootKey, id.readerId, id.seed]));
  }

  saveKeyCerts(): boolean {
    const list: CborValue[] = [];
    for (let i = 0; i < this.keyCertEnvs.length; i++) list.push(this.keyCertEnvs[i]);
    return saveBlob(this.dev.flash, BLOB_KEYCERTS, cborEncode(list));
  }

  saveRun(): boolean {
    this.runSavedSeq = this.run.appliedSeq;
    return saveBlob(this.dev.flash, BLOB_RUN, encodeRun(this.run));
  }

  // ------------------------------------------------------------------------------------------------
  // Log

  /** Builds, appends and folds one record; its seq, or -1 when the log is full or not started. */
  logRecord(kind: number, data: CborValue[]): number {
    if (!this.log.started) return -1;
    const seq = this.log.nextSeq;
    const r = { seq: seq, time: this.now(), kind: kind, data: data };
    const bytes = encodeLogRecord(r);
    if (bytes.length > MAX_LOG_RECORD_BYTES) return -1;
    if (!this.log.append(bytes)) return -1;
    applyRecord(this.run, r, this.utcOffset());
    return seq;
  }

  startLog(): boolean {
    const id = this.id as Identity;
    return this.log.start(chainGenesis(id.fundId, id.readerId, this.sha256));
  }

  /** Room for a sale: its PENDING and its COMMIT or VOID, plus the reserve for non-sale records. */
  logHasRoomFor(pendingBytes: number): boolean {
    const sizes = [pendingBytes, SMALL_RECORD_BYTES];
    for (let i = 0; i < LOG_RESERVE_RECORDS; i++) sizes.push(MAX_LOG_RECORD_BYTES);
    return this.log.canFit(sizes);
  }

  checkpoint(nonce: Uint8Array | null): Uint8Array {
    const id = this.id as Identity;
    return signCheckpoint(
      {
        fundId: id.fundId,
        readerId: id.readerId,
        seq: this.log.nextSeq - 1,
        head: this.log.head,
        time: this.now(),
        nonce: nonce,
      },
      this.signer(),
    );
  }

  /** Called at boot: BOOT record (when provisioned). A pending sale stays pending: the UI asks for the card. */
  boot(resetCause: number): void {
    if (this.id !== null && (!this.log.started || this.log.nextSeq === 1)) {
      // Power lost during KEYGEN, after the key pair was saved and before its CONFIG record: start the
      // log if needed and write the KEYGEN record the command would have written.
      if (this.log.started || this.startLog())
        this.logChange(CHANGE_KEYGEN, 0, this.sha256(this.id.publicKey));
    }
    if (this.log.started) {
      this.logRecord(LOG_BOOT, [this.firmwareVersion.substring(0, 24), resetCause & 255]);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Readiness (SPEC.md §7)

  /** [] when sales are allowed now, else the French reason (display lines). */
  notReady(): string[] {
    if (this.id === null || this.cert === null || this.config === null) return [T.notConfigured];
    const sync = [T.syncRequired, T.syncRequired2];
    const now = this.now();
    // Certificate window, offline window, blocklist freshness, revoked reader (SPEC §7, §8).
    if (now < this.cert.notBefore || now >= this.cert.notAfter) return sync;
    if (this.run.lastSync === 0 || now - this.run.lastSync > this.config.offlineDays * 86400) return sync;
    const bv = this.blocklist === null ? 0 : this.blocklist.version;
    if (bv < this.config.minBlocklistVersion) return sync;
    if (this.blocklist !== null && this.blocklist.readerIds.indexOf(this.id.readerId) >= 0) return sync;
    if (!this.logHasRoomFor(PENDING_MAX_BYTES)) return [T.logFull, T.logFull2];
    return [];
  }

  // ------------------------------------------------------------------------------------------------
  // Card

  private alert(code: number, pseudonym: Uint8Array | null, evidence: Uint8Array[]): void {
    const ev: CborValue[] = [];
    for (let i = 0; i < evidence.length && i < 2; i++) ev.push(evidence[i]);
    const seq = this.logRecord(LOG_ALERT, [code, pseudonym, ev]);
    if (seq < 0 && evidence.length > 0) this.logRecord(LOG_ALERT, [code, pseudonym, []]);
  }

  /** Reads and verifies the card: header, voucher, both slots. A verdict for the UI on failure. */
  readCard(): CardRead | TapOutcome {
    const id = this.id as Identity;
    const card = this.dev.card;
    const t = card.detect();
    if (t === null || isCardFailure(t)) return outcome('none', '', [], null);
    const uid = t.uid;
    const ver = card.getVersion();
    if (isCardFailure(ver)) return outcome('none', '', [], null);
    const layout = layoutForChip((ver as Uint8Array)[6]);
    if (layout === null) return refuse('CARD_CHIP', [T.unknownCard, 'type de puce inconnu']);
    const last = layout.slotB.firstPage + layout.slotB.pages - 1;
    const mem = card.fastRead(FIRST_USER_PAGE, last);
    if (isCardFailure(mem)) return outcome('none', '', [], null);
    const h = decodeCardHeader(regionOf(mem as Uint8Array, layout.header));
    if (!h.ok) return refuse(h.code, [T.unknownCard, 'vierge ou incomplète']);
    if (h.value.chip !== layout.chip) return refuse('CARD_CHIP', [T.unknownCard, 'en-tête incohérent']);
    const now = this.now();
    const month = monthOfTime(now, this.utcOffset());
    const vreg = regionOf(mem as Uint8Array, layout.voucher);
    // The issuer key named by the voucher; an unknown or revoked issuer is "invalid signature".
    const peek = verifyVoucherPeek(vreg);
    if (peek === null) return refuse('CARD_NO_VOUCHER', [T.unknownCard, 'pas de bon lisible']);
    let issuer = this.issuerKey(peek.issuerKeyId, now);
    if (this.blocklist !== null && sortedBytesContains(this.blocklist.issuerKeyIds, peek.issuerKeyId))
      issuer = null;
    if (issuer === null) return refuse('UNKNOWN_ISSUER', [T.badSignature, 'émetteur inconnu']);
    const vv = verifyVoucher(vreg, true, issuer, id.fundId, uid, month, this.pc);
    if (!vv.ok) {
      if (vv.code === 'EXPIRED') return refuse(vv.code, [T.expired]);
      if (vv.code === 'NOT_YET_VALID') return refuse(vv.code, [T.notYetValid]);
      if (vv.code === 'CARD_UID_MISMATCH') {
        this.alert(ALERT_UID_MISMATCH, peek.pseudonym, [uid]);
        return refuse(vv.code, [T.cardUidMismatch, 'carte refusée']);
      }
      this.alert(ALERT_BAD_SIGNATURE, peek.pseudonym, []);
      return refuse(vv.code, [T.badSignature]);
    }
    const voucher = vv.value.voucher;
    if (this.blocklist !== null && sortedBytesContains(this.blocklist.pseudonyms, voucher.pseudonym)) {
      this.alert(ALERT_BLOCKLISTED, voucher.pseudonym, []);
      return refuse('BLOCKLISTED', [T.blocked]);
    }
    let current: SpendState | null = null;
    let currentBody: Uint8Array | null = null;
    let currentSlot: CardRegion | null = null;
    // The current state is the valid one with the highest card_seq (SPEC §6.1). The slot whose unverified
    // body claims the higher card_seq is verified first; when it is valid the other slot cannot be
    // current, and its Ed25519 verification (~12 ms on a Pico) is skipped. A forged high card_seq only
    // costs that verification back.
    const slots = [layout.slotA, layout.slotB];
    const regs = [regionOf(mem as Uint8Array, slots[0]), regionOf(mem as Uint8Array, slots[1])];
    const peeks = [peekStateReader(regs[0]), peekStateReader(regs[1])];
    const bFirst = peeks[1] !== null && (peeks[0] === null || peeks[1].cardSeq > peeks[0].cardSeq);
    const order = bFirst ? [1, 0] : [0, 1];
    for (let k = 0; k < 2 && current === null; k++) {
      const i = order[k];
      const peekState = peeks[i];
      if (peekState === null) continue;
      const key = this.readerKey(peekState.readerId);
      if (key === null) continue;
      const sv = verifyState(regs[i], true, key, voucher.pseudonym, this.pc);
      if (!sv.ok || sv.value.state.voucherSerial !== voucher.serial) continue;
      current = sv.value.state;
      currentBody = sv.value.body;
      currentSlot = slots[i];
    }
    return {
      uid: uid,
      layout: layout,
      mem: mem as Uint8Array,
      voucher: voucher,
      voucherEnvelope: vv.value.envelope,
      current: current,
      currentBody: currentBody,
      currentSlot: currentSlot,
      month: month,
    };
  }

  /** Writes `env` at the start of `slot`, page by page (only the pages it covers), then reads it back. */
  writeSlot(slot: CardRegion, env: Uint8Array): CardFailure | null {
    const pages = pagesToWrite(env.length);
    for (let p = 0; p < pages; p++) {
      const data = new Uint8Array(PAGE_BYTES);
      for (let j = 0; j < PAGE_BYTES; j++) {
        const k = p * PAGE_BYTES + j;
        data[j] = k < env.length ? env[k] : 0;
      }
      const w = this.dev.card.write(slot.firstPage + p, data);
      if (w !== null) return w;
    }
    const back = this.dev.card.fastRead(slot.firstPage, slot.firstPage + pages - 1);
    if (isCardFailure(back)) return back as CardFailure;
    const b = back as Uint8Array;
    for (let i = 0; i < env.length; i++) {
      if (b[i] !== env[i]) return { error: 'CARD_VERIFY', detail: 'relecture différente' };
    }
    return null;
  }

  private otherSlot(c: CardRead): CardRegion {
    return c.currentSlot === c.layout.slotA ? c.layout.slotB : c.layout.slotA;
  }

  /** Rollback check (SPEC.md §13): a state older than one seen here for that pseudonym. */
  private rolledBack(c: CardRead): boolean {
    const seen = findSeen(this.run, c.voucher.pseudonym);
    if (seen === null) return false;
    const seenState = decodeStateBody(seen.body);
    if (!seenState.ok) return false;
    // Order by (voucher serial, card_seq): a renewed voucher (higher serial, SPEC §5) starts its states
    // again at card_seq 1; an older voucher than one seen here is a rollback too.
    const seenSerial = seenState.value.voucherSerial;
    if (c.voucher.serial > seenSerial) return false;
    const cur = c.current === null ? 0 : c.current.cardSeq;
    if (c.voucher.serial === seenSerial && cur >= seen.cardSeq) return false;
    const ev: Uint8Array[] = [];
    ev.push(c.currentBody === null ? new Uint8Array(0) : c.currentBody);
    ev.push(seen.body);
    this.alert(ALERT_ROLLBACK, c.voucher.pseudonym, ev);
    return true;
  }

  private futureState(c: CardRead): boolean {
    if (c.current === null || c.current.month <= c.month) return false;
    this.alert(ALERT_FUTURE_STATE, c.voucher.pseudonym, [c.currentBody as Uint8Array]);
    return true;
  }

  /** One tap for `op` ('sale' | 'balance' | 'refund'), or the re-tap of a pending operation. */
  tap(op: string, amount: number, category: number): TapOutcome {
    if (this.id === null || this.config === null) return refuse('NOT_CONFIGURED', [T.notConfigured]);
    const r = this.readCard();
    if ((r as TapOutcome).kind !== undefined) return r as TapOutcome;
    const c = r as CardRead;
    if (this.run.pending !== null) return this.finishPending(c);
    if (this.futureState(c)) return refuse('FUTURE_STATE', [T.cardError, 'date de carte invalide']);
    if (this.rolledBack(c)) return refuse('ROLLBACK', [T.rollback, T.rollback2]);
    const balance = balanceFor(c.voucher, c.current, c.month);
    if (op === 'balance') {
      this.logRecord(LOG_BALANCE, [
        c.voucher.pseudonym,
        c.currentBody === null ? null : stateId(c.currentBody, this.sha256),
      ]);
      return outcome('done', 'BALANCE', [T.balance, money(balance)], null);
    }
    const nr = this.notReady();
    if (nr.length > 0) return refuse('NOT_READY', nr);
    if (op === 'refund') return this.refund(c);
    return this.sale(c, amount, category, balance);
  }

  private sale(c: CardRead, amount: number, category: number, balance: number): TapOutcome {
    const cfg = this.config as ReaderConfig;
    const cert = this.cert as ReaderCertificate;
    let rate = -1;
    for (let i = 0; i < cfg.categories.length; i++)
      if (cfg.categories[i].id === category) rate = cfg.categories[i].rateBp;
    if (rate < 0) return refuse('BAD_CATEGORY', [T.notConfigured]);
    const covered = coveredShare(amount, rate);
    if (covered > cfg.perTapMax || covered > cert.limits.perTapMax)
      return refuse('OVER_TAP', [T.overTap, 'max ' + money(cfg.perTapMax)]);
    const today = localDay(this.now(), cfg.utcOffsetMin);
    const cardMax = Math.min(cfg.perCardDayMax, cert.limits.perCardDayMax);
    const cardDay = this.run.day === today ? cardDayCovered(this.run, c.voucher.pseudonym) : 0;
    if (cardDay + covered > cardMax) return refuse('OVER_CARD_DAY', [T.overDay, T.overCardDay]);
    const readerMax = Math.min(cfg.readerDayMax, cert.limits.readerDayMax);
    const readerDay = this.run.day === today ? this.run.readerDayCovered : 0;
    if (readerDay + covered > readerMax) return refuse('OVER_READER_DAY', [T.overDay, T.overReaderDay]);
    if (covered > balance) return refuse('OVER_BALANCE', [T.overBalance, 'solde ' + money(balance)]);
    const cur = c.current;
    const s: SpendState = {
      pseudonym: c.voucher.pseudonym,
      voucherSerial: c.voucher.serial,
      month: c.month,
      cardSeq: (cur === null ? 0 : cur.cardSeq) + 1,
      carried: carriedForNewState(c.voucher, cur, c.month),
      spent: (cur !== null && cur.month === c.month ? cur.spent : 0) + covered,
      lastAmount: covered,
      readerId: (this.id as Identity).readerId,
      logSeq: this.log.nextSeq,
      time: this.now(),
      prev:
        c.currentBody === null
          ? voucherId(c.voucherEnvelope, this.sha256)
          : stateId(c.currentBody, this.sha256),
    };
    const body = encodeState(s);
    const rec = encodeLogRecord({
      seq: s.logSeq,
      time: s.time,
      kind: LOG_SALE_PENDING,
      data: [category, amount, covered, body],
    });
    if (!this.logHasRoomFor(rec.length)) return refuse('LOG_FULL', [T.logFull, T.logFull2]);
    // PENDING is in flash before the card is touched (issue 4 §1): a power cut from here on is found at boot.
    const seq = this.logRecord(LOG_SALE_PENDING, [category, amount, covered, body]);
    if (seq !== s.logSeq) return refuse('LOG_FULL', [T.logFull, T.logFull2]);
    return this.writeAndCommit(c, body);
  }

  private refund(c: CardRead): TapOutcome {
    const ls = this.run.lastSale;
    if (ls === null) return refuse('NO_LAST_SALE', [T.noLastSale, T.noLastSale2]);
    if (!sameBytes(ls.pseudonym, c.voucher.pseudonym))
      return refuse('OTHER_CARD', [T.otherCard, 'que la dernière vente']);
    if (
      c.currentBody === null ||
      !sameBytes(stateId(c.currentBody, this.sha256), stateId(ls.body, this.sha256))
    )
      return refuse('CARD_MOVED_ON', [T.noLastSale, 'carte utilisée depuis']);
    const cur = c.current as SpendState;
    if (cur.month !== c.month) return refuse('MONTH_CHANGED', [T.noLastSale, 'mois terminé']);
    const s: SpendState = {
      pseudonym: cur.pseudonym,
      voucherSerial: cur.voucherSerial,
      month: cur.month,
      cardSeq: cur.cardSeq + 1,
      carried: cur.carried,
      spent: cur.spent - ls.covered,
      lastAmount: -ls.covered,
      readerId: (this.id as Identity).readerId,
      logSeq: this.log.nextSeq,
      time: this.now(),
      prev: stateId(c.currentBody, this.sha256),
    };
    const body = encodeState(s);
    const rec = encodeLogRecord({
      seq: s.logSeq,
      time: s.time,
      kind: LOG_REFUND_PENDING,
      data: [ls.pendingSeq, ls.covered, body],
    });
    if (!this.logHasRoomFor(rec.length)) return refuse('LOG_FULL', [T.logFull, T.logFull2]);
    const seq = this.logRecord(LOG_REFUND_PENDING, [ls.pendingSeq, ls.covered, body]);
    if (seq !== s.logSeq) return refuse('LOG_FULL', [T.logFull, T.logFull2]);
    return this.writeAndCommit(c, body);
  }

  /** Writes the pending state's envelope (re-signed: Ed25519 is deterministic, RFC 8032 §5.1.6). */
  private writeAndCommit(c: CardRead, body: Uint8Array): TapOutcome {
    const env = sealEnvelope(body, this.signer());
    const w = this.writeSlot(this.otherSlot(c), env);
    if (w !== null) return outcome('torn', w.error, [T.retap], null);
    return this.commit(c, body);
  }

  private commit(c: CardRead, body: Uint8Array): TapOutcome {
    const p = this.run.pending;
    if (p === null) return refuse('INTERNAL', [T.storageError]);
    const refund = p.kind === LOG_REFUND_PENDING;
    const seq = this.logRecord(refund ? LOG_REFUND_COMMIT : LOG_SALE_COMMIT, [p.seq]);
    if (seq < 0) return refuse('LOG_FULL', [T.logFull, T.logFull2]);
    const st = decodeStateBody(body);
    const bal = st.ok ? balanceFor(c.voucher, st.value, c.month) : 0;
    // The run state is NOT saved here: it is a fold of the log, replayed at boot (state.ts). A sale
    // therefore costs flash only for its PENDING and COMMIT records.
    this.run.lastBalance = bal;
    if (!refund && this.run.lastSale !== null) this.run.lastSale.balanceAfter = bal;
    if (this.run.appliedSeq - this.runSavedSeq >= RUN_SAVE_RECORDS) this.saveRun();
    this.dev.buzzer.beep(120, 2000);
    if (st.ok) this.writeReceiptEntry(c.layout, st.value, p.category, refund ? 0 : p.covered);
    const receipt = this.receipt(refund, p.category, p.amount, p.covered, bal, p.seq, this.now(), false);
    if (refund)
      return outcome('done', 'REFUNDED', [T.refunded, money(p.covered), 'solde ' + money(bal)], receipt);
    return outcome('done', 'ACCEPTED', [T.accepted, money(p.covered), 'solde ' + money(bal)], receipt);
  }

  /**
   * NTAG216 receipts ring (SPEC §12.3): entry card_seq mod 24, written after the COMMIT. It is unsigned
   * evidence for the member, never trusted; a failure here (card already gone) changes nothing.
   */
  private writeReceiptEntry(layout: CardLayout, s: SpendState, category: number, covered: number): void {
    const ring = layout.receipts;
    if (ring === null) return;
    const e = new Uint8Array(RECEIPT_ENTRY_BYTES);
    putU32(e, 0, s.readerId);
    putU32(e, 4, s.logSeq);
    putU32(e, 8, s.time);
    const c = covered > 16777215 ? 16777215 : covered;
    e[12] = (c >> 16) & 255;
    e[13] = (c >> 8) & 255;
    e[14] = c & 255;
    e[15] = category & 255;
    const first = ring.firstPage + ((s.cardSeq % RECEIPT_RING_ENTRIES) * RECEIPT_ENTRY_BYTES) / PAGE_BYTES;
    for (let i = 0; i < RECEIPT_ENTRY_BYTES / PAGE_BYTES; i++) {
      if (this.dev.card.write(first + i, new Uint8Array(e.subarray(i * 4, i * 4 + 4))) !== null) return;
    }
  }

  /** The re-tap of a pending operation: finish THE SAME signed state, or commit if it is already there. */
  private finishPending(c: CardRead): TapOutcome {
    const p = this.run.pending as { seq: number; body: Uint8Array };
    const st = decodeStateBody(p.body);
    if (!st.ok) return refuse('INTERNAL', [T.storageError]);
    const want = st.value;
    if (!sameBytes(want.pseudonym, c.voucher.pseudonym)) return refuse('OTHER_CARD', [T.otherCard, T.retap]);
    const wantId = stateId(p.body, this.sha256);
    if (c.currentBody !== null && sameBytes(stateId(c.currentBody, this.sha256), wantId)) {
      // The card already shows the new state (the write completed before the failure was noticed). Its
      // pages are written again, identically, before the COMMIT: a torn page can read right once and
      // wrong later ("weak" bits, NXP datasheet §8.5); writing it again makes it stable, and a tear now
      // still leaves the previous state in the other slot.
      const env = sealEnvelope(p.body, this.signer());
      const w = this.writeSlot(c.currentSlot as CardRegion, env);
      if (w !== null) return outcome('torn', w.error, [T.retap], null);
      return this.commit(c, p.body);
    }
    const prevOk =
      c.currentBody === null
        ? sameBytes(want.prev, voucherId(c.voucherEnvelope, this.sha256))
        : sameBytes(want.prev, stateId(c.currentBody, this.sha256));
    if (!prevOk) {
      // The card moved on elsewhere (or was rolled back): this state can no longer be written.
      this.voidPending(1);
      return refuse('PENDING_STALE', [T.voided, 'modifiée ailleurs']);
    }
    return this.writeAndCommit(c, p.body);
  }

  /** VOID of the pending operation (1 card gone, 2 cancelled, 3 power loss). */
  voidPending(reason: number): boolean {
    const p = this.run.pending;
    if (p === null) return false;
    return this.logRecord(LOG_VOID, [p.seq, reason]) >= 0;
  }

  // ------------------------------------------------------------------------------------------------
  // Receipts and day close

  categoryLabel(id: number): string {
    const cfg = this.config;
    if (cfg === null) return '';
    for (let i = 0; i < cfg.categories.length; i++)
      if (cfg.categories[i].id === id) return cfg.categories[i].label;
    return '';
  }

  /** Receipt lines (French; never a name or pseudonym: SPEC.md §5). */
  receipt(
    refund: boolean,
    category: number,
    amount: number,
    covered: number,
    balance: number,
    seq: number,
    time: number,
    duplicate: boolean,
  ): string[] {
    const cfg = this.config as ReaderConfig;
    const lines: string[] = [];
    lines.push(cfg.vendorName);
    lines.push(localDateTime(time, cfg.utcOffsetMin));
    if (duplicate) lines.push('*** DUPLICATA ***');
    if (refund) {
      lines.push('ANNULATION de la vente n° ' + seq);
      lines.push(receiptLine('Rendu sur la carte', money(covered)));
    } else {
      lines.push(this.categoryLabel(category));
      lines.push(receiptLine('Montant', money(amount)));
      lines.push(receiptLine('Pris en charge', money(covered)));
      lines.push(receiptLine('Reste à payer', money(amount - covered)));
    }
    // After a reboot the balance of the last sale is not known any more (not in the log): no line then.
    if (balance >= 0) lines.push(receiptLine('Solde restant ce mois', money(balance)));
    lines.push('Lecteur ' + (this.id as Identity).readerId + ' - opération n° ' + seq);
    return lines;
  }

  reprint(): string[] | null {
    const ls = this.run.lastSale;
    if (ls === null || this.config === null) return null;
    return this.receipt(
      false,
      ls.category,
      ls.amount,
      ls.covered,
      ls.balanceAfter,
      ls.pendingSeq,
      ls.time,
      true,
    );
  }

  /** Z report: DAY_CLOSE record, a signed checkpoint, the printed lines. */
  dayClose(): { lines: string[]; checkpoint: Uint8Array | null } {
    if (this.id === null || this.config === null || !this.log.started)
      return { lines: [T.notConfigured], checkpoint: null };
    const run = this.run;
    const per: CborValue[] = [];
    for (let i = 0; i < run.zPerCategory.length; i++) {
      const c = run.zPerCategory[i];
      if (c.count !== 0 || c.covered !== 0)
        per.push([c.id, c.count < 0 ? 0 : c.count, c.covered < 0 ? 0 : c.covered]);
    }
    const first = run.zFirstSeq > 0 ? run.zFirstSeq : this.log.nextSeq;
    // Never negative (refunds only follow a sale of the same period, state.ts), and a DAY_CLOSE with a
    // negative count would be refused by every decoder (SPEC §9.1): the log could no longer be pulled.
    const count = run.zCount < 0 ? 0 : run.zCount;
    const total = run.zCovered < 0 ? 0 : run.zCovered;
    const perCopy: { id: number; count: number; covered: number }[] = [];
    for (let i = 0; i < run.zPerCategory.length; i++) perCopy.push(run.zPerCategory[i]);
    const day = localDay(this.now(), this.config.utcOffsetMin);
    const seq = this.logRecord(LOG_DAY_CLOSE, [day, count, total, first, per]);
    if (seq < 0) return { lines: [T.logFull, T.logFull2], checkpoint: null };
    this.saveRun();
    const ck = this.checkpoint(null);
    // The day-close checkpoint is kept (SPEC §9.3) until the next one; the host also asks for fresh ones.
    saveBlob(this.dev.flash, BLOB_CHECKPOINT, ck);
    const lines: string[] = [];
    lines.push(this.config.vendorName);
    lines.push('RAPPORT Z - ' + localDateTime(this.now(), this.config.utcOffsetMin));
    lines.push(receiptLine('Ventes', '' + count));
    lines.push(receiptLine('Total pris en charge', money(total)));
    for (let i = 0; i < perCopy.length; i++) {
      lines.push(
        receiptLine(
          this.categoryLabel(perCopy[i].id) + ' (' + perCopy[i].count + ')',
          money(perCopy[i].covered),
        ),
      );
    }
    lines.push('Journal n° ' + first + ' à ' + seq);
    lines.push('Lecteur ' + this.id.readerId);
    return { lines: lines, checkpoint: ck };
  }

  /** Logs a configuration change (SPEC.md §9.1 CONFIG). */
  logChange(what: number, version: number, digest: Uint8Array | null): number {
    return this.logRecord(LOG_CONFIG, [
      what,
      version,
      digest === null ? null : new Uint8Array(digest.subarray(0, 16)),
    ]);
  }
}

/** Issuer key id and pseudonym of a voucher region without verifying it (to find the key). */
function verifyVoucherPeek(region: Uint8Array): { issuerKeyId: Uint8Array; pseudonym: Uint8Array } | null {
  const env = cborDecodePrefixSafe(region);
  if (env === null) return null;
  const body = cborDecode(env);
  if (!body.ok || !Array.isArray(body.value) || body.value.length !== 12) return null;
  const kid = body.value[9];
  const ps = body.value[3];
  if (!(kid instanceof Uint8Array) || !(ps instanceof Uint8Array)) return null;
  return { issuerKeyId: kid, pseudonym: ps };
}

/** reader_id of the state at the start of a slot region, or -1. */
function peekStateReader(region: Uint8Array): { readerId: number; cardSeq: number } | null {
  const env = cborDecodePrefixSafe(region);
  if (env === null) return null;
  const body = cborDecode(env);
  if (!body.ok || !Array.isArray(body.value) || body.value.length !== 13) return null;
  const r = body.value[9];
  const q = body.value[5];
  if (typeof r !== 'number' || typeof q !== 'number') return null;
  return { readerId: r, cardSeq: q };
}

/** The body bytes of the envelope at the start of `region` (stale bytes after it ignored), or null. */
function cborDecodePrefixSafe(region: Uint8Array): Uint8Array | null {
  const d = cborDecodePrefix(region, 0);
  if (!d.ok) return null;
  const v = d.value;
  if (!Array.isArray(v) || v.length !== 2 || !(v[0] instanceof Uint8Array)) return null;
  return v[0] as Uint8Array;
}
