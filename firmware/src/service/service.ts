// The serial protocol service of the reader (SPEC.md §10-§11): SLIP frames in, frames out, link
// semantics of §11.3 (ACK at once, duplicate seq → re-ACK + cached response, NAK, retransmission), and
// the handlers of the message catalog §11.4. Every change to the reader is logged (CONFIG record).

import { Clock, HostLink, Rng } from '../hal/devices';
import { CborValue, cborDecode } from '../../../protocol/src/cbor';
import {
  FRAME_KIND_ACK,
  FRAME_KIND_DATA,
  FRAME_KIND_NAK,
  Frame,
  FrameStreamDecoder,
  LINK_ACK_TIMEOUT_MS,
  LINK_MAX_RETRIES,
  MAX_FRAME_PAYLOAD,
  SEQ_MODULO,
  ackFrame,
  encodeFrameSlip,
  nakFrame,
  nakReasonFor,
} from '../../../protocol/src/frame';
import {
  LOG_BATCH_FIXED_BYTES,
  MAX_LOG_BATCH_RECORDS,
  MAX_SELF_TEST_DETAIL_BYTES,
  MSG_CHALLENGE,
  MSG_CHECKPOINT,
  MSG_COMMAND,
  MSG_ERROR,
  MSG_GET_CHECKPOINT,
  MSG_HELLO,
  MSG_INFO,
  MSG_LOG_BATCH,
  MSG_NONCE,
  MSG_PULL_LOG,
  MSG_RESULT,
  MSG_SELF_TEST,
  MSG_SELF_TEST_REPORT,
  MSG_STAGE,
  MSG_STAGED,
  READER_STATE_BLANK,
  READER_STATE_KEYED,
  READER_STATE_MAINTENANCE,
  READER_STATE_PROVISIONED,
  decodeMessage,
  encodeMessage,
  isRequestType,
  logRecordCost,
} from '../../../protocol/src/messages';
import {
  STATUS_ALREADY_PROVISIONED,
  STATUS_BAD_FORMAT,
  STATUS_BAD_NONCE,
  STATUS_BAD_SIGNATURE,
  STATUS_CLOCK_REFUSED,
  STATUS_EXPIRED,
  STATUS_INTERNAL,
  STATUS_LOG_RANGE,
  STATUS_NOT_PROVISIONED,
  STATUS_OK,
  STATUS_STALE_VERSION,
  STATUS_STORAGE_FULL,
  STATUS_UNSUPPORTED,
  STATUS_WRONG_FUND,
  STATUS_WRONG_READER,
} from '../../../protocol/src/status';
import {
  CMD_ACK_LOG,
  CMD_INSTALL_CERTIFICATE,
  CMD_KEYGEN,
  CMD_MAINTENANCE,
  CMD_PUT_BLOCKLIST,
  CMD_PUT_CONFIG,
  CMD_PUT_DIRECTORY,
  CMD_PUT_KEY_CERTIFICATE,
  CMD_SET_TIME,
  Command,
  openCommand,
} from '../../../protocol/src/structures/command';
import {
  CHANGE_BLOCKLIST,
  CHANGE_CERTIFICATE,
  CHANGE_CONFIG,
  CHANGE_DIRECTORY,
  CHANGE_KEYGEN,
  CHANGE_KEY_CERTIFICATE,
  CHANGE_LOG_ACK,
  CHANGE_MAINTENANCE,
  CHANGE_TIME,
} from '../../../protocol/src/structures/log';
import { ROLE_OPERATOR, keyId } from '../../../protocol/src/structures/keys';
import { configWithinCertificate } from '../../../protocol/src/structures/config';
import {
  verifyBlocklist,
  verifyCommand,
  verifyConfig,
  verifyDirectory,
  verifyKeyCertificate,
  verifyReaderCertificate,
} from '../../../protocol/src/verify';
import { MAX_STAGED_BYTES, NONCE_BYTES, PROTOCOL_VERSION } from '../../../protocol/src/limits';
import { saveBlob } from '../app/blob';
import { formatSelfTest } from '../drivers/escpos/receipt';

/** Printed on the self-test receipt: the printer UART speed of the reference boards (boards/pico.ts). */
const SELF_TEST_PRINTER_BAUD = 9600;
import {
  BLOB_BLOCKLIST,
  BLOB_CERT,
  BLOB_CONFIG,
  BLOB_DIRECTORY,
  MAX_KEY_CERTIFICATES,
  ReaderCore,
} from '../app/core';
import { sameBytes } from '../app/state';

/** Flash file holding a staged object (STAGE, SPEC.md §11.4): kept in flash, not in a Pico's RAM. */
export const STAGE_FILE = 'sg';
/** Largest clock change an operator key may make: 7 days (a reader left unplugged for a week on a dead
 * RTC battery drifts far less; larger jumps need the root key). */
export const MAX_CLOCK_STEP_S = 7 * 86400;
/** Before 2020-09-13 (1.6e9 s) the clock is taken as never set (an RTC that lost power starts at 0). */
export const CLOCK_SET_AFTER = 1600000000;
/** Record size used to state the log capacity in INFO: a typical sale PENDING + COMMIT averages ~70 B. */
export const INFO_RECORD_BYTES = 70;

export interface ServiceOptions {
  firmwareVersion: string;
  board: string;
  nfcPresent: boolean;
}

interface CommandResult {
  status: number;
  detail: string | null;
  data: Uint8Array | null;
}

function result(status: number, detail: string | null, data: Uint8Array | null): CommandResult {
  return { status: status, detail: detail, data: data };
}

function ascii(s: string, max: number): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c <= 0x7e ? s.charAt(i) : '?';
  }
  return out;
}

export class SerialService {
  core: ReaderCore;
  host: HostLink;
  rng: Rng;
  clock: Clock;
  opts: ServiceOptions;
  decoder: FrameStreamDecoder = new FrameStreamDecoder();
  /** Last DATA seq processed from the host (-1: none since HELLO) and the response it got. */
  lastRxSeq = -1;
  lastResponse: Uint8Array | null = null;
  txSeq: number;
  /** Our DATA frame awaiting its ACK (stop-and-wait, §11.3). */
  outstanding: Uint8Array | null = null;
  outstandingSeq = -1;
  sentMs = 0;
  retries = 0;
  nonce: Uint8Array | null = null;
  stageTotal = 0;
  stageReceived = 0;
  stageDigest: Uint8Array | null = null;

  constructor(core: ReaderCore, host: HostLink, rng: Rng, clock: Clock, opts: ServiceOptions) {
    this.core = core;
    this.host = host;
    this.rng = rng;
    this.clock = clock;
    this.opts = opts;
    const r = rng.bytes(2);
    this.txSeq = r[0] * 256 + r[1];
  }

  /** Raw bytes from the USB link. */
  onBytes(bytes: Uint8Array): void {
    const events = this.decoder.push(bytes);
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (!e.ok) {
        // The header of a bad frame is not trusted: the NAK carries the seq we expect next (§11.3).
        const next = this.lastRxSeq < 0 ? 0 : (this.lastRxSeq + 1) % SEQ_MODULO;
        this.host.write(encodeFrameSlip(nakFrame(next, nakReasonFor(e.code))));
        continue;
      }
      this.onFrame(e.frame);
    }
  }

  /** Retransmits our outstanding response when its ACK is late (LINK_ACK_TIMEOUT_MS, LINK_MAX_RETRIES). */
  onTick(): void {
    if (this.outstanding === null) return;
    const ms = this.clock.ms();
    if (ms - this.sentMs < LINK_ACK_TIMEOUT_MS) return;
    if (this.retries >= LINK_MAX_RETRIES) {
      this.outstanding = null; // link down: the host will ask again (same request → cached response)
      return;
    }
    this.retries++;
    this.sentMs = ms;
    this.host.write(this.outstanding);
  }

  private onFrame(f: Frame): void {
    if (f.kind === FRAME_KIND_ACK) {
      if (this.outstanding !== null && f.seq === this.outstandingSeq) this.outstanding = null;
      return;
    }
    if (f.kind === FRAME_KIND_NAK) {
      if (this.outstanding !== null) {
        this.sentMs = this.clock.ms();
        this.host.write(this.outstanding);
      }
      return;
    }
    if (f.kind !== FRAME_KIND_DATA) return;
    this.host.write(encodeFrameSlip(ackFrame(f.seq)));
    if (f.type === MSG_HELLO) {
      this.lastRxSeq = -1; // HELLO resets the duplicate filter (§11.3 session start)
    } else if (f.seq === this.lastRxSeq) {
      if (this.lastResponse !== null) this.send(this.lastResponse);
      return;
    }
    this.lastRxSeq = f.seq;
    const payloadType = this.handle(f);
    const seq = this.txSeq;
    this.txSeq = (this.txSeq + 1) % SEQ_MODULO;
    const bytes = encodeFrameSlip({
      kind: FRAME_KIND_DATA,
      seq: seq,
      requestId: f.requestId,
      type: payloadType.type,
      payload: payloadType.payload,
    });
    this.lastResponse = bytes;
    this.outstandingSeq = seq;
    this.send(bytes);
  }

  private send(bytes: Uint8Array): void {
    this.outstanding = bytes;
    this.sentMs = this.clock.ms();
    this.retries = 0;
    this.host.write(bytes);
  }

  private error(code: number, message: string): { type: number; payload: Uint8Array } {
    return { type: MSG_ERROR, payload: encodeMessage(MSG_ERROR, [code, ascii(message, 64)]) };
  }

  private handle(f: Frame): { type: number; payload: Uint8Array } {
    if (!isRequestType(f.type)) return this.error(STATUS_UNSUPPORTED, 'not a request type');
    const d = decodeMessage(f.type, f.payload);
    if (!d.ok) {
      if (d.code === 'MSG_UNKNOWN_TYPE') return this.error(STATUS_UNSUPPORTED, 'unknown message type');
      return this.error(STATUS_BAD_FORMAT, d.code);
    }
    const m = d.message;
    if (m.type === MSG_HELLO) return { type: MSG_INFO, payload: encodeMessage(MSG_INFO, this.info()) };
    if (m.type === MSG_CHALLENGE) {
      this.nonce = this.rng.bytes(NONCE_BYTES);
      return { type: MSG_NONCE, payload: encodeMessage(MSG_NONCE, [this.nonce]) };
    }
    if (m.type === MSG_COMMAND) {
      const r = this.command(m.envelope);
      return { type: MSG_RESULT, payload: encodeMessage(MSG_RESULT, [r.status, r.detail, r.data]) };
    }
    if (m.type === MSG_PULL_LOG) return this.pullLog(m.fromSeq, m.maxCount);
    if (m.type === MSG_GET_CHECKPOINT) {
      if (this.core.id === null || !this.core.log.started)
        return this.error(STATUS_NOT_PROVISIONED, 'no key');
      return {
        type: MSG_CHECKPOINT,
        payload: encodeMessage(MSG_CHECKPOINT, [this.core.checkpoint(m.nonce)]),
      };
    }
    if (m.type === MSG_SELF_TEST) {
      const report = this.selfTest();
      this.printSelfTest();
      return { type: MSG_SELF_TEST_REPORT, payload: encodeMessage(MSG_SELF_TEST_REPORT, [report]) };
    }
    if (m.type === MSG_STAGE) return this.stage(m.offset, m.total, m.chunk);
    return this.error(STATUS_UNSUPPORTED, 'not a request');
  }

  private info(): CborValue[] {
    const c = this.core;
    let state = READER_STATE_BLANK;
    if (c.id !== null) state = c.cert === null ? READER_STATE_KEYED : READER_STATE_PROVISIONED;
    if (c.maintenance) state = READER_STATE_MAINTENANCE;
    return [
      PROTOCOL_VERSION,
      ascii(this.opts.firmwareVersion, 32),
      ascii(this.opts.board, 16),
      state,
      c.id === null ? null : c.id.readerId,
      c.id === null ? null : c.id.fundId,
      c.id === null ? null : c.id.publicKey,
      c.now(),
      c.log.firstSeq(),
      c.log.nextSeq,
      c.run.ackedSeq,
      c.log.capacityFor(INFO_RECORD_BYTES),
      c.cert === null ? null : c.cert.notAfter,
      c.config === null ? 0 : c.config.version,
      c.directory === null ? 0 : c.directory.version,
      c.blocklist === null ? 0 : c.blocklist.version,
      c.run.lastSync === 0 ? null : c.run.lastSync,
    ];
  }

  private pullLog(fromSeq: number, maxCount: number): { type: number; payload: Uint8Array } {
    const log = this.core.log;
    if (!log.started) return this.error(STATUS_NOT_PROVISIONED, 'no log');
    const records: CborValue[] = [];
    let budget = MAX_FRAME_PAYLOAD - LOG_BATCH_FIXED_BYTES;
    const prev = log.scan(fromSeq, (seq: number, rec: Uint8Array): boolean => {
      const cost = logRecordCost(rec.length);
      if (records.length >= maxCount || records.length >= MAX_LOG_BATCH_RECORDS || cost > budget)
        return false;
      records.push(rec);
      budget -= cost;
      return true;
    });
    if (prev === null) return this.error(STATUS_LOG_RANGE, 'from_seq ' + fromSeq + ' not held');
    return {
      type: MSG_LOG_BATCH,
      payload: encodeMessage(MSG_LOG_BATCH, [fromSeq, prev, records, log.nextSeq - 1]),
    };
  }

  /**
   * The first-boot checklist's self-test receipt (hardware/README.md): reader, firmware, NFC, and the
   * accented characters and € that show at once whether the printer's code page is right.
   */
  private printSelfTest(): void {
    const c = this.core;
    if (!c.dev.printer.present()) return;
    c.dev.printer.write(
      formatSelfTest({
        readerId: c.id === null ? '-' : String(c.id.readerId),
        firmware: this.opts.firmwareVersion,
        board: this.opts.board,
        nfc: this.opts.nfcPresent ? 'PN532 OK' : 'absent',
        printerBaud: SELF_TEST_PRINTER_BAUD,
        time: c.now(),
        utcOffsetMin: c.utcOffset(),
      }),
    );
  }

  private selfTest(): CborValue[] {
    const c = this.core;
    const out: CborValue[] = [];
    function entry(name: string, ok: boolean, detail: string): void {
      out.push([name, ok, ascii(detail, MAX_SELF_TEST_DETAIL_BYTES)]);
    }
    entry('nfc', this.opts.nfcPresent, this.opts.nfcPresent ? 'PN532 present' : 'PN532 missing');
    const pr = c.dev.printer.present();
    entry('printer', pr, pr ? 'printer present' : 'printer missing');
    entry('storage', c.dev.flash.free() > 0, c.dev.flash.free() + ' bytes free');
    const now = c.now();
    entry('clock', now > 1600000000, 'time ' + now);
    const seed = new Uint8Array(32);
    seed[0] = 1;
    const msg = new Uint8Array(3);
    const pub = c.ed.publicKey(seed);
    const sig = c.ed.sign(seed, msg);
    const ok = c.ed.verify(sig, pub, msg) && !c.ed.verify(sig, pub, seed);
    entry('ed25519', ok, ascii(c.ed.name, 30));
    const h = c.sha256(new Uint8Array([0x61, 0x62, 0x63]));
    entry('sha256', h[0] === 0xba && h[31] === 0xad, 'known answer abc');
    entry('log', c.log.anomalies.length === 0, c.log.nextSeq - c.log.firstSeq() + ' records held');
    entry(
      'keys',
      c.id !== null && c.cert !== null,
      c.id === null ? 'blank' : c.cert === null ? 'keyed' : 'provisioned',
    );
    return out;
  }

  private stage(offset: number, total: number, chunk: Uint8Array): { type: number; payload: Uint8Array } {
    const flash = this.core.dev.flash;
    if (total > MAX_STAGED_BYTES) return this.error(STATUS_BAD_FORMAT, 'staged object too large');
    if (offset === 0) {
      if (!flash.create(STAGE_FILE, total)) return this.error(STATUS_STORAGE_FULL, 'no room to stage');
      this.stageTotal = total;
      this.stageReceived = 0;
      this.stageDigest = null;
    }
    if (total === this.stageTotal && offset === this.stageReceived && offset + chunk.length <= total) {
      if (!flash.write(STAGE_FILE, offset, chunk)) return this.error(STATUS_INTERNAL, 'stage write');
      this.stageReceived += chunk.length;
      if (this.stageReceived === total) {
        const all = flash.read(STAGE_FILE, 0, total) as Uint8Array;
        this.stageDigest = this.core.sha256(all);
      }
    }
    return {
      type: MSG_STAGED,
      payload: encodeMessage(MSG_STAGED, [this.stageReceived, this.stageDigest]),
    };
  }

  /** The object argument of a PUT/INSTALL command: inline, or the staged object whose SHA-256 it names. */
  private objectArg(c: Command): Uint8Array | null {
    if (c.args[0] instanceof Uint8Array) return c.args[0] as Uint8Array;
    const want = c.args[1] as Uint8Array;
    if (this.stageDigest === null || !sameBytes(want, this.stageDigest)) return null;
    return this.core.dev.flash.read(STAGE_FILE, 0, this.stageTotal);
  }

  /** Verifies (SPEC.md §10: signer, nonce, fund, reader) and executes one signed command. */
  command(envelope: Uint8Array): CommandResult {
    const core = this.core;
    const o = openCommand(envelope);
    if (!o.ok) return result(STATUS_BAD_FORMAT, o.code, null);
    const c = o.value.value;
    const nonce = this.nonce;
    // Single use: whatever happens to this command, its nonce is spent.
    this.nonce = null;
    if (c.kind === CMD_KEYGEN) {
      if (core.id !== null) return result(STATUS_ALREADY_PROVISIONED, null, null);
      const root = c.args[0] as Uint8Array;
      if (nonce === null) return result(STATUS_BAD_NONCE, null, null);
      const v = verifyCommand(envelope, root, c.fundId, c.readerId, nonce, core.pc);
      if (!v.ok)
        return result(v.code === 'BAD_NONCE' ? STATUS_BAD_NONCE : STATUS_BAD_SIGNATURE, v.code, null);
      const seed = this.rng.bytes(32);
      const pub = core.ed.publicKey(seed);
      if (
        !core.saveIdentity({
          fundId: c.fundId,
          rootKey: root,
          readerId: c.readerId,
          seed: seed,
          publicKey: pub,
        })
      )
        return result(STATUS_STORAGE_FULL, null, null);
      // A power cut between these two steps is completed at boot (ReaderCore.boot).
      if (!core.startLog()) return result(STATUS_STORAGE_FULL, 'log', null);
      core.logChange(CHANGE_KEYGEN, 0, core.sha256(pub));
      return result(STATUS_OK, null, pub);
    }
    if (core.id === null) return result(STATUS_NOT_PROVISIONED, null, null);
    const id = core.id;
    const now = core.now();
    // The signer: the root, an operator certified by the attached certificate, or a stored operator key.
    let signer: Uint8Array | null = null;
    if (sameBytes(c.signerKeyId, keyId(id.rootKey, core.sha256))) signer = id.rootKey;
    const attached = o.value.signerCertificate;
    let attachedKey: Uint8Array | null = null;
    if (signer === null && attached !== null) {
      const kc = verifyKeyCertificate(attached, id.rootKey, id.fundId, now, core.pc);
      if (!kc.ok) return result(kc.code === 'EXPIRED' ? STATUS_EXPIRED : STATUS_BAD_SIGNATURE, kc.code, null);
      if (
        kc.value.role === ROLE_OPERATOR &&
        sameBytes(keyId(kc.value.publicKey, core.sha256), c.signerKeyId)
      ) {
        signer = kc.value.publicKey;
        attachedKey = signer;
      }
    }
    if (signer === null) {
      const k = core.commandSignerKey(c.signerKeyId);
      if (k !== null && this.operatorValid(k, now)) signer = k;
    }
    if (signer === null) return result(STATUS_BAD_SIGNATURE, 'UNKNOWN_SIGNER', null);
    if (!sameBytes(c.fundId, id.fundId)) return result(STATUS_WRONG_FUND, null, null);
    if (c.readerId !== id.readerId) return result(STATUS_WRONG_READER, null, null);
    if (nonce === null) return result(STATUS_BAD_NONCE, null, null);
    const v = verifyCommand(envelope, signer, id.fundId, id.readerId, nonce, core.pc);
    if (!v.ok) {
      if (v.code === 'BAD_NONCE') return result(STATUS_BAD_NONCE, null, null);
      if (v.code === 'WRONG_FUND') return result(STATUS_WRONG_FUND, null, null);
      return result(STATUS_BAD_SIGNATURE, v.code, null);
    }
    return this.execute(c, attachedKey, signer === id.rootKey);
  }

  private operatorValid(key: Uint8Array, now: number): boolean {
    const core = this.core;
    if (core.id !== null && sameBytes(key, core.id.rootKey)) return true;
    for (let i = 0; i < core.keyCerts.length; i++) {
      const kc = core.keyCerts[i];
      if (sameBytes(kc.publicKey, key) && now >= kc.notBefore && now < kc.notAfter) return true;
    }
    return false;
  }

  /** Signer of an object (configuration, blocklist) named by key id: root, stored or attached operator. */
  private objectSigner(kid: Uint8Array, attachedKey: Uint8Array | null): Uint8Array | null {
    const core = this.core;
    if (attachedKey !== null && sameBytes(keyId(attachedKey, core.sha256), kid)) return attachedKey;
    const k = core.commandSignerKey(kid);
    return k !== null && this.operatorValid(k, core.now()) ? k : null;
  }

  private digest(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(this.core.sha256(bytes).subarray(0, 16));
  }

  private execute(c: Command, attachedKey: Uint8Array | null, byRoot: boolean): CommandResult {
    const core = this.core;
    const id = core.id as NonNullable<typeof core.id>;
    const now = core.now();
    if (c.kind === CMD_SET_TIME) {
      const old = core.now();
      const t = c.args[0] as number;
      // An operator may correct the clock, not move it by weeks (that would reopen an offline window or
      // revive an expired certificate); the root may, and so may anyone while the clock is unset.
      const set = old >= CLOCK_SET_AFTER;
      if (set && !byRoot && (t > old + MAX_CLOCK_STEP_S || t < old - MAX_CLOCK_STEP_S))
        return result(STATUS_CLOCK_REFUSED, null, null);
      core.dev.clock.set(t);
      core.logChange(CHANGE_TIME, old, null);
      return result(STATUS_OK, null, null);
    }
    if (c.kind === CMD_MAINTENANCE) {
      core.maintenance = true;
      core.logChange(CHANGE_MAINTENANCE, 0, null);
      return result(STATUS_OK, null, null);
    }
    if (c.kind === CMD_ACK_LOG) {
      const upTo = c.args[0] as number;
      if (upTo >= core.log.nextSeq || upTo < core.log.firstSeq()) return result(STATUS_LOG_RANGE, null, null);
      const h = core.log.hashAt(upTo);
      if (h === null) return result(STATUS_LOG_RANGE, null, null);
      if (!sameBytes(h, c.args[1] as Uint8Array)) return result(STATUS_BAD_FORMAT, 'HEAD_MISMATCH', null);
      if (upTo < core.run.ackedSeq) return result(STATUS_STALE_VERSION, null, null);
      // Saved before freeing, so that a full log can always take the ACK that frees it.
      core.run.ackedSeq = upTo;
      core.saveRun();
      const freed = core.log.freeUpTo(Math.min(upTo, core.run.appliedSeq));
      core.logChange(CHANGE_LOG_ACK, upTo, null);
      return result(STATUS_OK, 'freed ' + freed, null);
    }
    const obj = this.objectArg(c);
    if (obj === null) return result(STATUS_BAD_FORMAT, 'STAGED_OBJECT_MISSING', null);
    if (c.kind === CMD_INSTALL_CERTIFICATE) {
      const v = verifyReaderCertificate(obj, id.rootKey, id.fundId, now, core.pc);
      if (!v.ok) return result(v.code === 'EXPIRED' ? STATUS_EXPIRED : STATUS_BAD_SIGNATURE, v.code, null);
      if (v.value.readerId !== id.readerId) return result(STATUS_WRONG_READER, null, null);
      if (!sameBytes(v.value.publicKey, id.publicKey)) return result(STATUS_WRONG_READER, 'OTHER_KEY', null);
      if (!saveBlob(core.dev.flash, BLOB_CERT, obj)) return result(STATUS_STORAGE_FULL, null, null);
      core.certEnv = obj;
      core.cert = v.value;
      core.logChange(CHANGE_CERTIFICATE, v.value.notAfter, this.digest(obj));
      return result(STATUS_OK, null, null);
    }
    if (c.kind === CMD_PUT_KEY_CERTIFICATE) {
      const v = verifyKeyCertificate(obj, id.rootKey, id.fundId, now, core.pc);
      if (!v.ok) return result(v.code === 'EXPIRED' ? STATUS_EXPIRED : STATUS_BAD_SIGNATURE, v.code, null);
      let replaced = false;
      for (let i = 0; i < core.keyCerts.length; i++) {
        if (sameBytes(core.keyCerts[i].publicKey, v.value.publicKey)) {
          core.keyCerts[i] = v.value;
          core.keyCertEnvs[i] = obj;
          replaced = true;
        }
      }
      if (!replaced) {
        if (core.keyCerts.length >= MAX_KEY_CERTIFICATES) return result(STATUS_STORAGE_FULL, null, null);
        core.keyCerts.push(v.value);
        core.keyCertEnvs.push(obj);
      }
      if (!core.saveKeyCerts()) return result(STATUS_STORAGE_FULL, null, null);
      core.logChange(CHANGE_KEY_CERTIFICATE, v.value.role, this.digest(obj));
      return result(STATUS_OK, null, null);
    }
    if (c.kind === CMD_PUT_DIRECTORY) {
      const v = verifyDirectory(obj, id.rootKey, id.fundId, core.pc);
      if (!v.ok)
        return result(v.code === 'WRONG_FUND' ? STATUS_WRONG_FUND : STATUS_BAD_SIGNATURE, v.code, null);
      if (core.directory !== null && v.value.version <= core.directory.version)
        return result(STATUS_STALE_VERSION, null, null);
      if (!saveBlob(core.dev.flash, BLOB_DIRECTORY, obj)) return result(STATUS_STORAGE_FULL, null, null);
      core.dirEnv = obj;
      core.directory = v.value;
      core.logChange(CHANGE_DIRECTORY, v.value.version, this.digest(obj));
      return result(STATUS_OK, null, null);
    }
    if (c.kind === CMD_PUT_CONFIG) {
      if (core.cert === null) return result(STATUS_NOT_PROVISIONED, 'NO_CERTIFICATE', null);
      const kid = signerKeyIdOf(obj);
      const key = kid === null ? null : this.objectSigner(kid, attachedKey);
      if (key === null) return result(STATUS_BAD_SIGNATURE, 'UNKNOWN_SIGNER', null);
      const v = verifyConfig(obj, key, id.fundId, id.readerId, core.pc);
      if (!v.ok) {
        if (v.code === 'WRONG_FUND') return result(STATUS_WRONG_FUND, null, null);
        if (v.code === 'WRONG_KEY') return result(STATUS_WRONG_READER, v.code, null);
        return result(STATUS_BAD_SIGNATURE, v.code, null);
      }
      if (!configWithinCertificate(v.value, core.cert.limits))
        return result(STATUS_BAD_FORMAT, 'CONFIG_OVER_CERT', null);
      if (core.config !== null && v.value.version <= core.config.version)
        return result(STATUS_STALE_VERSION, null, null);
      if (!saveBlob(core.dev.flash, BLOB_CONFIG, obj)) return result(STATUS_STORAGE_FULL, null, null);
      core.configEnv = obj;
      core.config = v.value;
      core.logChange(CHANGE_CONFIG, v.value.version, this.digest(obj));
      return result(STATUS_OK, null, null);
    }
    if (c.kind === CMD_PUT_BLOCKLIST) {
      const kid = signerKeyIdOf(obj);
      const key = kid === null ? null : this.objectSigner(kid, attachedKey);
      if (key === null) return result(STATUS_BAD_SIGNATURE, 'UNKNOWN_SIGNER', null);
      const v = verifyBlocklist(obj, key, id.fundId, core.pc);
      if (!v.ok)
        return result(v.code === 'WRONG_FUND' ? STATUS_WRONG_FUND : STATUS_BAD_SIGNATURE, v.code, null);
      if (core.blocklist !== null && v.value.version <= core.blocklist.version)
        return result(STATUS_STALE_VERSION, null, null);
      if (!saveBlob(core.dev.flash, BLOB_BLOCKLIST, obj)) return result(STATUS_STORAGE_FULL, null, null);
      core.blockEnv = obj;
      core.blocklist = v.value;
      core.logChange(CHANGE_BLOCKLIST, v.value.version, this.digest(obj));
      return result(STATUS_OK, null, null);
    }
    return result(STATUS_UNSUPPORTED, null, null);
  }
}

/** The signer_key_id (last body field) of a configuration or blocklist envelope, before verifying it. */
function signerKeyIdOf(env: Uint8Array): Uint8Array | null {
  const d = cborDecode(env);
  if (!d.ok || !Array.isArray(d.value) || !(d.value[0] instanceof Uint8Array)) return null;
  const b = cborDecode(d.value[0] as Uint8Array);
  if (!b.ok || !Array.isArray(b.value) || b.value.length < 3) return null;
  const k = b.value[b.value.length - 1];
  return k instanceof Uint8Array && k.length === 8 ? k : null;
}
