// The simulated world of `npm run simulate`: a fund (the fixture keys of protocol/scripts/vector-fixtures.ts),
// member cards with each allocation rule, readers running the real firmware core (test/sim/reader-sim.ts)
// provisioned through their serial service, the host's side of the serial link (in process, with injected
// garbage, losses and disconnects), and the treasurer's ledger on SQLite (host/src/ledger). Also the
// checker's model: every record each reader logged, read from its flash as it appears.

import { Ledger } from '../../../host/src/ledger/ledger';
import { encodeFundBundle, encodeLogExport } from '../../../host/src/ledger/export';
import { hostCrypto, hostSigner, sha256Host, verifyEd25519Host } from '../../../protocol/src/node/ed25519';
import { Ed25519 } from '../../../firmware/src/hal/crypto';
import { toHex } from '../../../protocol/src/bytes';
import { CborValue } from '../../../protocol/src/cbor';
import { Ed25519Signer } from '../../../protocol/src/crypto/types';
import { FIRST_USER_PAGE, NTAG215_LAYOUT, regionOf } from '../../../protocol/src/card';
import { signatureValid } from '../../../protocol/src/structures/envelope';
import {
  FRAME_KIND_ACK,
  FRAME_KIND_DATA,
  Frame,
  FrameStreamDecoder,
  encodeFrameSlip,
} from '../../../protocol/src/frame';
import {
  MAX_LOG_BATCH_RECORDS,
  MSG_CHALLENGE,
  MSG_COMMAND,
  MSG_GET_CHECKPOINT,
  MSG_HELLO,
  MSG_PULL_LOG,
  Message,
  decodeMessage,
  encodeMessage,
} from '../../../protocol/src/messages';
import {
  CMD_ACK_LOG,
  CMD_INSTALL_CERTIFICATE,
  CMD_KEYGEN,
  CMD_PUT_BLOCKLIST,
  CMD_PUT_CONFIG,
  CMD_PUT_DIRECTORY,
  CMD_PUT_KEY_CERTIFICATE,
  CMD_SET_TIME,
  signCommand,
} from '../../../protocol/src/structures/command';
import { Blocklist, ReaderConfig, signBlocklist, signConfig } from '../../../protocol/src/structures/config';
import {
  ReaderCertificate,
  signDirectory,
  signReaderCertificate,
} from '../../../protocol/src/structures/keys';
import {
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_VOID,
  chainGenesis,
  chainNext,
  decodeLogRecord,
  verifyLogRun,
} from '../../../protocol/src/structures/log';
import {
  decodeStateBody,
  openStateInRegion,
  stateId,
  voucherId,
} from '../../../protocol/src/structures/state';
import {
  CARRY_CAPPED,
  CARRY_NONE,
  RULE_FLAT,
  RULE_HOUSEHOLD,
  RULE_PARTS,
  Voucher,
  allocationForMonth,
  signVoucher,
} from '../../../protocol/src/structures/voucher';
import { verifyCheckpoint } from '../../../protocol/src/verify';
import { STATUS_OK } from '../../../protocol/src/status';
import { localDay } from '../../../protocol/src/time';
import { config as fixtureConfig } from '../../../protocol/scripts/vector-fixtures';
import {
  NOV_2026,
  SIM_T,
  T0,
  fundId,
  issuer,
  issuerCertEnv,
  kid,
  operator,
  operatorCertEnv,
  root,
} from '../fund';
import { PICO_STORAGE_BYTES, ReaderSim } from '../reader-sim';
import { CardMemory, issueCard } from '../card-memory';
import { VirtualFlash, isPowerCut } from '../virtual-flash';
import { Prng } from './prng';
import { FaultKind, FaultRates, PlantedBug, plantBug } from './faults';
import { InvariantCode } from './invariants';

/** The month every run takes place in: runs start 2026-11-10 and last at most MAX_DAYS days. */
export const SIM_MONTH = NOV_2026;
/** Days of a run: from 10 to 29 November, so that everything stays in one month (reconciliation is monthly). */
export const MAX_DAYS = 20;
/** Readers of a run: their directory must fit one inline command (MAX_INLINE_OBJECT_BYTES). */
export const MAX_READERS = 8;
export const MAX_CARDS = 200;
/** The fund's offset (fixture configuration): local time = UTC + 60 min in November. */
export const UTC_OFFSET_MIN = fixtureConfig.utcOffsetMin;
/** Reader certificate limits (SPEC §4.2); the configuration's are lower or equal. */
export const CERT_LIMITS = { perTapMax: 5000, perCardDayMax: 10000, readerDayMax: 200000 };
/** The per-card-day cap a reader enforces: the lower of configuration and certificate (SPEC §7). */
export const CARD_DAY_CAP = Math.min(fixtureConfig.perCardDayMax, CERT_LIMITS.perCardDayMax);
/** A small log for the "flash full" fault: 3 segments of 560 bytes hold about six sales beside the reserve. */
export const SMALL_LOG_SEGMENTS = 3;
export const SMALL_LOG_SEGMENT_BYTES = 560;
/** Attempts of one request before the host calls the link down (transport.ts retries a few times too). */
export const LINK_ATTEMPTS = 6;

/** Signers by seed (hex): a reader signs with the same seed all run long; parsing it once is enough. */
const signers = new Map<string, Ed25519Signer>();

function signerOf(seed: Uint8Array): Ed25519Signer {
  const k = toHex(seed);
  let s = signers.get(k);
  if (s === undefined) {
    if (signers.size > 4096) signers.clear();
    s = hostSigner(seed);
    signers.set(k, s);
  }
  return s;
}

/**
 * The readers' Ed25519 in the simulation: node:crypto (OpenSSL), ten times faster than the WASM build of
 * the firmware's C that ReaderSim picks; same signatures (RFC 8032 is deterministic) and the same carnet
 * verification rule (verifyEd25519Host). The firmware's own code is covered by firmware/native's tests.
 */
export const nodeEd25519: Ed25519 = {
  name: 'node:crypto (simulation)',
  verify: (sig: Uint8Array, pub: Uint8Array, msg: Uint8Array): boolean => verifyEd25519Host(pub, msg, sig),
  sign: (seed: Uint8Array, msg: Uint8Array): Uint8Array => signerOf(seed).sign(msg),
  publicKey: (seed: Uint8Array): Uint8Array => signerOf(seed).publicKey,
};

export interface Finding {
  code: InvariantCode;
  detail: string;
}

/** One sale or refund as the model knows it from the reader's own records. */
export interface ModelOp {
  readerId: number;
  seq: number;
  kind: number;
  time: number;
  pseudonym: string;
  stateId: string;
  prev: string;
  lastAmount: number;
  covered: number;
  amount: number;
  /** 0 pending, 1 committed, 2 voided (ledger.ts OP_* values). */
  status: number;
  closeSeq: number;
}

export class SimCard {
  index: number;
  voucher: Voucher;
  voucherEnv: Uint8Array;
  pseudonym: string;
  voucherIdHex: string;
  allocation: number;
  card: CardMemory;
  /** Copies an adversary made (same UID, a "magic" card). */
  clones: CardMemory[] = [];
  /** Older images an adversary saved to restore later. */
  snapshots: Uint8Array[] = [];
  /** Cloned, rolled back, or used at a stolen reader: more than one branch may legitimately exist. */
  tainted = false;

  constructor(index: number, voucher: Voucher, env: Uint8Array) {
    this.index = index;
    this.voucher = voucher;
    this.voucherEnv = env;
    this.pseudonym = toHex(voucher.pseudonym);
    this.voucherIdHex = toHex(voucherId(env, sha256Host));
    this.allocation = allocationForMonth(voucher, SIM_MONTH);
    this.card = issueCard(voucher.cardUid, NTAG215_LAYOUT, env);
  }
}

/** Per reader: what the checker saw in its flash, and how far the host stored and acknowledged it. */
export interface ReaderModel {
  /** Every complete record seen, index seq − 1 (null: freed before the checker could see it). */
  records: (Uint8Array | null)[];
  /** Chain value after the last seen record. */
  head: Uint8Array;
  /** Highest seq the host asked the reader to free (ACK_LOG sent after the ledger stored it). */
  ackSent: number;
  /** Highest seq the ledger holds, and its chain value. */
  imported: number;
  importedHead: Uint8Array;
  /** Set by a reboot: the next observation re-checks the whole seen chain. */
  recheck: boolean;
  /** Highest firstSeq already reported as freed without acknowledgement (one report per segment). */
  lostReported: number;
}

export class SimReader {
  index: number;
  id: number;
  vendorId: number;
  flash: VirtualFlash;
  sim: ReaderSim;
  label: string;
  segs: number;
  segBytes: number;
  bug: PlantedBug | null;
  boots = 0;
  skew = 0;
  publicKey: Uint8Array = new Uint8Array(32);
  certEnv: Uint8Array = new Uint8Array(0);
  stolen = false;
  /** Blocklist version the reader holds (as the host installed it). */
  blocklistVersion = 0;
  /** The last ACK_LOG command envelope sent to it: what a replay adversary re-sends. */
  lastAckEnv: Uint8Array | null = null;
  model: ReaderModel;

  constructor(
    index: number,
    label: string,
    small: boolean,
    bug: PlantedBug | null,
    now: number,
    flash: VirtualFlash,
  ) {
    this.index = index;
    this.id = 101 + index;
    this.vendorId = 7 + index;
    this.label = label;
    this.segs = small ? SMALL_LOG_SEGMENTS : 0;
    this.segBytes = small ? SMALL_LOG_SEGMENT_BYTES : 0;
    this.bug = bug;
    this.flash = flash;
    this.sim = this.makeSim(now, 1000);
    this.model = {
      records: [],
      head: chainGenesis(fundId, this.id, sha256Host),
      ackSent: 0,
      imported: 0,
      importedHead: chainGenesis(fundId, this.id, sha256Host),
      recheck: false,
      lostReported: 0,
    };
  }

  private makeSim(now: number, ms: number): ReaderSim {
    const sim = new ReaderSim(this.flash, now, this.label + '/boot' + this.boots, this.segs, this.segBytes);
    sim.clock.ms = ms;
    sim.reader.core.ed = nodeEd25519;
    if (this.bug !== null) plantBug(sim, this.bug);
    sim.reader.boot();
    return sim;
  }

  /** After a power cut: a new CPU on the same flash (what survived), booting and recovering. */
  reboot(now: number, ms: number): void {
    this.flash.cutAfter = -1;
    this.boots++;
    this.sim = this.makeSim(now + this.skew, ms);
    this.model.recheck = true;
  }
}

/** The host's side of one serial session with a reader (SPEC §11.3), deterministic, with injected faults. */
export class SimLink {
  seq: number;
  rid = 1;
  decoder = new FrameStreamDecoder();
  /** Set when the link gave up although no fault was injected: a real defect. */
  failure: string | null = null;

  constructor(
    readonly reader: SimReader,
    readonly prng: Prng,
    readonly rates: FaultRates | null,
    readonly count: (k: FaultKind) => void,
  ) {
    this.seq = prng.int(0, 65535);
  }

  private exchange(bytes: Uint8Array): Frame[] {
    const sim = this.reader.sim;
    sim.hostOut = [];
    sim.reader.onHostBytes(bytes);
    const frames: Frame[] = [];
    for (const b of sim.hostOut) {
      for (const e of this.decoder.push(b)) {
        if (!e.ok) throw new Error('le lecteur a envoyé une trame invalide : ' + e.code);
        frames.push({ ...e.frame, payload: new Uint8Array(e.frame.payload) });
      }
    }
    return frames;
  }

  private ack(seq: number): void {
    this.exchange(
      encodeFrameSlip({ kind: FRAME_KIND_ACK, seq: seq, requestId: 0, type: 0, payload: new Uint8Array(0) }),
    );
  }

  /** One request, retransmitted (same bytes) after a loss or a NAK; null when the link is down. */
  request(type: number, fields: CborValue[]): Message | null {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 65536;
    const rid = this.rid;
    this.rid = (this.rid % 65535) + 1;
    const bytes = encodeFrameSlip({
      kind: FRAME_KIND_DATA,
      seq: seq,
      requestId: rid,
      type: type,
      payload: encodeMessage(type, fields),
    });
    let injected = false;
    for (let attempt = 0; attempt < LINK_ATTEMPTS; attempt++) {
      let out = bytes;
      const r = this.rates;
      if (r !== null && this.prng.chance(r.garbage / 2)) {
        // A stray, old ACK frame (a replayed acknowledgement): the reader must ignore it (SPEC §11.3).
        this.count('serie_bruit');
        this.ack(this.prng.int(0, 65535));
      }
      if (r !== null && this.prng.chance(r.garbage)) {
        this.count('serie_bruit');
        injected = true;
        if (this.prng.chance(0.5)) {
          // Noise before the frame, without a frame end: the receiver sees one bad frame (NAK).
          const junk = this.prng.bytes(this.prng.int(1, 24));
          out = new Uint8Array(junk.length + bytes.length);
          out.set(junk, 0);
          out.set(bytes, junk.length);
        } else {
          out = new Uint8Array(bytes);
          const at = this.prng.int(1, out.length - 2);
          out[at] ^= 1 << this.prng.int(0, 7);
        }
      }
      if (r !== null && this.prng.chance(r.dropRequest)) {
        this.count('serie_perte');
        injected = true;
        continue;
      }
      const frames = this.exchange(out);
      let resp: Frame | null = null;
      const lost = r !== null && this.prng.chance(r.dropResponse);
      if (lost) {
        this.count('serie_perte');
        injected = true;
      }
      for (const f of frames) {
        if (f.kind !== FRAME_KIND_DATA || lost) continue;
        this.ack(f.seq);
        if (f.requestId === rid) resp = f;
      }
      if (resp === null) continue;
      const m = decodeMessage(resp.type, resp.payload);
      if (!m.ok) throw new Error('réponse illisible du lecteur : ' + m.code);
      return m.message;
    }
    if (!injected) this.failure = 'le lecteur ne répond pas à la requête ' + type + ' sans faute injectée';
    return null;
  }

  /** CHALLENGE, then the COMMAND signed over its nonce; null when the link is down. */
  command(
    kind: number,
    args: CborValue[],
    signer: Ed25519Signer,
    cert: Uint8Array | null,
    issuedAt: number,
  ): { status: number; detail: string | null; data: Uint8Array | null; env: Uint8Array } | null {
    const n = this.request(MSG_CHALLENGE, []);
    if (n === null) return null;
    if (n.type !== 0x82) throw new Error('pas de nonce (type ' + n.type + ')');
    const env = signCommand(
      {
        fundId: fundId,
        readerId: this.reader.id,
        nonce: n.nonce,
        issuedAt: issuedAt,
        kind: kind,
        args: args,
        signerKeyId: kid(signer),
      },
      signer,
      cert,
    );
    return this.sendCommand(env);
  }

  /** Sends a command envelope as is (a replay adversary uses this with an old one). */
  sendCommand(
    env: Uint8Array,
  ): { status: number; detail: string | null; data: Uint8Array | null; env: Uint8Array } | null {
    const m = this.request(MSG_COMMAND, [env]);
    if (m === null) return null;
    if (m.type !== 0x83) throw new Error('pas de résultat (type ' + m.type + ')');
    return { status: m.status, detail: m.detail, data: m.data, env: env };
  }
}

export interface WorldOptions {
  seed: number;
  days: number;
  readers: number;
  cards: number;
  tapsPerReaderDay: number;
  rates: FaultRates;
  bug: PlantedBug | null;
  /** Evening pulls over a socat pty through the host's transport and ReaderClient (pty.ts). */
  pty: boolean;
}

/** A provisioned reader's flash, as the serial service left it, and what the fund knows of it. */
interface Template {
  flash: VirtualFlash;
  publicKey: Uint8Array;
  certEnv: Uint8Array;
}

/** Templates by number of readers: [reader index][0 normal log, 1 small log]. */
const templateCache = new Map<number, Template[][]>();

/** The blocklist every reader starts with (version 2 = the configuration's min_blocklist_version). */
export const FIRST_BLOCKLIST: Blocklist = {
  fundId: fundId,
  version: 2,
  issuedAt: T0,
  pseudonyms: [],
  readerIds: [],
  issuerKeyIds: [],
  signerKeyId: kid(operator),
};

/**
 * Readers provisioned through their serial service (HELLO, KEYGEN by the root, certificate, key
 * certificates, configuration, directory of all readers, blocklist, time), once per process and number of
 * readers: every run starts from a copy of these flashes (a run is then a fresh boot on it). The result
 * does not depend on the cache: the templates are built the same way whatever ran before.
 */
export function provisionedTemplates(n: number): Template[][] {
  const cached = templateCache.get(n);
  if (cached !== undefined) return cached;
  const none = (): void => {};
  const blocklistEnv = signBlocklist(FIRST_BLOCKLIST, operator);
  const built: { r: SimReader; link: SimLink }[][] = [];
  const prng = new Prng(0x5eed);
  for (let i = 0; i < n; i++) {
    const pair: { r: SimReader; link: SimLink }[] = [];
    for (const small of [false, true]) {
      const r = new SimReader(
        i,
        'sim/modele/r' + (101 + i),
        small,
        null,
        SIM_T,
        new VirtualFlash(PICO_STORAGE_BYTES),
      );
      const link = new SimLink(r, prng.fork(), null, none);
      const hello = link.request(MSG_HELLO, [SIM_T]);
      if (hello === null || hello.type !== 0x81) throw new Error('pas de réponse à HELLO');
      const kg = link.command(CMD_KEYGEN, [root.publicKey], root, null, SIM_T);
      if (kg === null || kg.status !== STATUS_OK || kg.data === null)
        throw new Error('KEYGEN refusé par le lecteur ' + r.id);
      r.publicKey = kg.data;
      r.certEnv = signReaderCertificate(
        {
          fundId: fundId,
          readerId: r.id,
          publicKey: r.publicKey,
          vendorId: r.vendorId,
          notBefore: T0 - 86400,
          notAfter: T0 + 180 * 86400,
          limits: CERT_LIMITS,
          signerKeyId: kid(root),
        } as ReaderCertificate,
        root,
      );
      pair.push({ r, link });
    }
    built.push(pair);
  }
  const directory = signDirectory(
    {
      fundId: fundId,
      version: 1,
      issuedAt: T0,
      entries: built.map((pair) => ({
        readerId: pair[0].r.id,
        publicKey: pair[0].r.publicKey,
        vendorId: pair[0].r.vendorId,
        notAfter: T0 + 180 * 86400,
      })),
      signerKeyId: kid(root),
    },
    root,
  );
  const out: Template[][] = [];
  for (const pair of built) {
    const row: Template[] = [];
    for (const { r, link } of pair) {
      if (toHex(r.publicKey) !== toHex(pair[0].r.publicKey))
        throw new Error('clé du lecteur ' + r.id + ' différente entre ses deux modèles');
      const cfg: ReaderConfig = {
        ...fixtureConfig,
        readerId: r.id,
        version: 1,
        vendorName: 'Étal ' + (r.index + 1),
      };
      const steps: [number, CborValue[], Ed25519Signer, Uint8Array | null][] = [
        [CMD_INSTALL_CERTIFICATE, [r.certEnv, null], root, null],
        [CMD_PUT_KEY_CERTIFICATE, [issuerCertEnv, null], root, null],
        [CMD_PUT_KEY_CERTIFICATE, [operatorCertEnv, null], root, null],
        [CMD_PUT_CONFIG, [signConfig(cfg, operator), null], operator, operatorCertEnv],
        [CMD_PUT_DIRECTORY, [directory, null], root, null],
        [CMD_PUT_BLOCKLIST, [blocklistEnv, null], operator, operatorCertEnv],
        [CMD_SET_TIME, [SIM_T], operator, operatorCertEnv],
      ];
      for (const st of steps) {
        const res = link.command(st[0], st[1], st[2], st[3], SIM_T);
        if (res === null || res.status !== STATUS_OK)
          throw new Error('préparation du lecteur ' + r.id + ' : commande ' + st[0] + ' refusée');
      }
      row.push({ flash: r.flash.clone(), publicKey: r.publicKey, certEnv: r.certEnv });
    }
    out.push(row);
  }
  templateCache.set(n, out);
  return out;
}

export class World {
  opts: WorldOptions;
  prng: Prng;
  now = SIM_T;
  readers: SimReader[] = [];
  cards: SimCard[] = [];
  ledger!: Ledger;
  ops = new Map<string, ModelOp>();
  byState = new Map<string, ModelOp>();
  /** Ops committed or voided since the last call of takeClosed(). */
  closed: ModelOp[] = [];
  blocklist: Blocklist;
  blocklistEnv: Uint8Array;
  /** Reader revoked → the revocation time (the blocklist's issued_at). */
  revokedAt = new Map<number, number>();
  /** Pseudonym → reader id → first market day the reader refuses it (blocklist installed the day before). */
  blockedFrom = new Map<string, Map<number, number>>();
  faults: Record<string, number> = {};
  findings: Finding[] = [];
  /** Card slot envelopes already checked (reader id + envelope bytes → valid): the same states are read often. */
  verified = new Map<string, boolean>();

  constructor(opts: WorldOptions) {
    this.opts = opts;
    this.prng = new Prng(opts.seed);
    this.blocklist = FIRST_BLOCKLIST;
    this.blocklistEnv = signBlocklist(this.blocklist, operator);
  }

  count(k: FaultKind): void {
    this.faults[k] = (this.faults[k] ?? 0) + 1;
  }

  find(code: InvariantCode, detail: string): void {
    this.findings.push({ code, detail });
  }

  /** Milliseconds of the readers' tick clock: monotonic with world time (skew only moves `now`). */
  ms(): number {
    return (this.now - SIM_T) * 1000 + 1000;
  }

  day(): number {
    return Math.floor((this.now - SIM_T + 9 * 3600) / 86400);
  }

  setClock(r: SimReader): void {
    r.sim.clock.now = this.now + r.skew;
    r.sim.clock.ms = this.ms();
  }

  /** Runs `fn` on reader `r`; a power cut there reboots the reader (what survived in flash). */
  guard(r: SimReader, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      if (!isPowerCut(e)) throw e;
      this.count('coupure_courant');
      r.reboot(this.now, this.ms());
      return false;
    }
  }

  // --------------------------------------------------------------------------------------------
  // Setup

  async setup(): Promise<void> {
    const p = this.prng;
    const templates = provisionedTemplates(this.opts.readers);
    for (let i = 0; i < this.opts.readers; i++) {
      const small = p.chance(this.opts.rates.smallLog);
      const t = templates[i][small ? 1 : 0];
      const r = new SimReader(
        i,
        'sim/' + this.opts.seed + '/r' + (101 + i),
        small,
        this.opts.bug,
        this.now,
        t.flash.clone(),
      );
      r.publicKey = t.publicKey;
      r.certEnv = t.certEnv;
      r.blocklistVersion = this.blocklist.version;
      this.readers.push(r);
      this.observe(r);
    }
    for (let i = 0; i < this.opts.cards; i++) this.cards.push(this.makeCard(i));
    this.ledger = await Ledger.open(':memory:');
    const loaded = await this.ledger.loadFund(
      encodeFundBundle({
        fundId,
        rootPublicKey: root.publicKey,
        utcOffsetMin: UTC_OFFSET_MIN,
        keyCertificates: [issuerCertEnv, operatorCertEnv],
        readerCertificates: this.readers.map((r) => r.certEnv),
        vouchers: this.cards.map((c) => c.voucherEnv),
        blocklists: [this.blocklistEnv],
      }),
    );
    if (!loaded.ok) throw new Error('dossier de la caisse refusé : ' + loaded.message);
  }

  /** A member's card: a voucher with one of the three allocation rules (SPEC §5), issued on an NTAG215. */
  private makeCard(i: number): SimCard {
    const p = this.prng;
    const kind = p.pick([RULE_FLAT, RULE_HOUSEHOLD, RULE_PARTS]);
    const rule =
      kind === RULE_FLAT
        ? { kind, amount: p.int(6, 18) * 500, perExtra: 0, count: 0 }
        : kind === RULE_HOUSEHOLD
          ? { kind, amount: p.int(8, 16) * 500, perExtra: p.int(2, 6) * 500, count: p.int(0, 4) }
          : { kind, amount: p.int(4, 10) * 250, perExtra: 0, count: p.int(1, 6) };
    const uid = new Uint8Array(7);
    uid[0] = 0x04; // NXP's manufacturer code
    uid.set(p.bytes(6), 1);
    const v: Voucher = {
      fundId: fundId,
      pseudonym: p.bytes(8),
      cardUid: uid,
      rule: rule,
      startMonth: SIM_MONTH,
      validityMonths: 6,
      carry: p.chance(0.5) ? { kind: CARRY_NONE, cap: 0 } : { kind: CARRY_CAPPED, cap: 5000 },
      issuerKeyId: kid(issuer),
      issuedAt: T0 + 3600,
      serial: 1,
    };
    return new SimCard(i, v, signVoucher(v, issuer));
  }

  // --------------------------------------------------------------------------------------------
  // The checker's model of each reader's log

  /**
   * Reads the records a reader wrote since the last look (from its flash, as the firmware left them),
   * and checks that nothing seen before has vanished or changed, and that nothing was freed unacknowledged.
   */
  observe(r: SimReader): void {
    const m = r.model;
    const log = r.sim.reader.core.log;
    const last = log.nextSeq - 1;
    const first = log.firstSeq();
    const known = m.records.length;
    if (first - 1 > m.ackSent && first > m.lostReported) {
      m.lostReported = first;
      this.find(
        'RELEVE_PERDU',
        `lecteur ${r.id} : relevés ${m.ackSent + 1} à ${first - 1} effacés sans acquittement (acquitté jusqu’à ${m.ackSent})`,
      );
    }
    if (last < known) {
      this.find(
        'RELEVE_PERDU',
        `lecteur ${r.id} : le journal finit au n° ${last}, le n° ${known} avait été écrit`,
      );
      return;
    }
    if (m.recheck && known >= first && known > 0) {
      const h = log.hashAt(known);
      if (h === null || toHex(h) !== toHex(m.head))
        this.find(
          'RELEVE_PERDU',
          `lecteur ${r.id} : les relevés jusqu’au n° ${known} ont changé après redémarrage`,
        );
    }
    m.recheck = false;
    if (last === known) return;
    let next = known + 1;
    while (next < first && next <= last) {
      // Freed before anyone saw it: reported above; kept as a hole in the model.
      m.records.push(null);
      next++;
    }
    if (next > last) return;
    if (next > known + 1) {
      const h = log.hashAt(next - 1);
      if (h !== null) m.head = h;
    }
    log.scan(next, (seq, rec) => {
      const bytes = new Uint8Array(rec);
      m.records.push(bytes);
      m.head = chainNext(m.head, bytes, sha256Host);
      this.apply(r, seq, bytes);
      return true;
    });
  }

  private apply(r: SimReader, seq: number, bytes: Uint8Array): void {
    const d = decodeLogRecord(bytes);
    if (!d.ok) {
      this.find(
        'ERREUR_SIMULATION',
        `lecteur ${r.id} : relevé ${seq} illisible (${d.code} ${d.message}) ${toHex(bytes)}`,
      );
      return;
    }
    const rec = d.value;
    const data = rec.data;
    if (rec.kind === LOG_SALE_PENDING || rec.kind === LOG_REFUND_PENDING) {
      const sale = rec.kind === LOG_SALE_PENDING;
      const body = (sale ? data[3] : data[2]) as Uint8Array;
      const s = decodeStateBody(body);
      if (!s.ok) {
        this.find('ERREUR_SIMULATION', `lecteur ${r.id} : état illisible au relevé ${seq}`);
        return;
      }
      const op: ModelOp = {
        readerId: r.id,
        seq: seq,
        kind: rec.kind,
        time: rec.time,
        pseudonym: toHex(s.value.pseudonym),
        stateId: toHex(stateId(body, sha256Host)),
        prev: toHex(s.value.prev),
        lastAmount: s.value.lastAmount,
        covered: sale ? (data[2] as number) : (data[1] as number),
        amount: data[1] as number,
        status: 0,
        closeSeq: 0,
      };
      this.ops.set(r.id + ':' + seq, op);
      // Two pendings may carry the same state (never in v1: log_seq differs); the first one is kept.
      if (!this.byState.has(op.stateId)) this.byState.set(op.stateId, op);
    } else if (rec.kind === LOG_SALE_COMMIT || rec.kind === LOG_REFUND_COMMIT || rec.kind === LOG_VOID) {
      const op = this.ops.get(r.id + ':' + (data[0] as number));
      if (op === undefined || op.status !== 0) {
        this.find(
          'ERREUR_SIMULATION',
          `lecteur ${r.id} : relevé ${seq} clôt l’opération ${data[0]} inconnue ou close`,
        );
        return;
      }
      op.status = rec.kind === LOG_VOID ? 2 : 1;
      op.closeSeq = seq;
      this.closed.push(op);
    }
  }

  takeClosed(): ModelOp[] {
    const c = this.closed;
    this.closed = [];
    return c;
  }

  /** The valid state with the highest card_seq on a card, read from its memory (not over RF). */
  cardCurrent(card: CardMemory): { id: string; spent: number; cardSeq: number } | null {
    const all = this.cardStates(card);
    let best: { id: string; spent: number; cardSeq: number } | null = null;
    for (const s of all) if (best === null || s.cardSeq > best.cardSeq) best = s;
    return best;
  }

  /** Every validly signed state in the two slots of a card (a reader that knows of a revocation may
   * ignore one of them, so the checker looks at both). */
  cardStates(card: CardMemory): { id: string; spent: number; cardSeq: number }[] {
    const mem = card.pages.subarray(
      FIRST_USER_PAGE * 4,
      (NTAG215_LAYOUT.slotB.firstPage + NTAG215_LAYOUT.slotB.pages) * 4,
    );
    const out: { id: string; spent: number; cardSeq: number }[] = [];
    for (const slot of [NTAG215_LAYOUT.slotA, NTAG215_LAYOUT.slotB]) {
      const o = openStateInRegion(regionOf(mem, slot));
      if (!o.ok) continue;
      const w = this.readers.find((x) => x.id === o.value.value.readerId);
      if (w === undefined) continue;
      // The whole envelope is the key: a torn slot may pair a new body with an old signature.
      const key = w.id + ':' + toHex(o.value.opened.bytes);
      let valid = this.verified.get(key);
      if (valid === undefined) {
        valid = signatureValid(o.value.opened, w.publicKey, hostCrypto.verify);
        this.verified.set(key, valid);
      }
      if (!valid) continue;
      out.push({
        id: toHex(stateId(o.value.opened.body, sha256Host)),
        spent: o.value.value.spent,
        cardSeq: o.value.value.cardSeq,
      });
    }
    return out;
  }

  // --------------------------------------------------------------------------------------------
  // Host: pull, import, acknowledge

  /** HELLO, PULL_LOG to the head, a live CHECKPOINT, import into the ledger, then ACK_LOG. */
  async pull(r: SimReader, link: SimLink, disconnectAt: number): Promise<'ok' | 'coupe'> {
    let requests = 0;
    const up = (): boolean => {
      requests++;
      return requests !== disconnectAt;
    };
    if (!up()) return 'coupe';
    const info = link.request(MSG_HELLO, [this.now]);
    if (info === null) return 'coupe';
    if (info.type !== 0x81) throw new Error('INFO attendu');
    const m = r.model;
    let from = m.imported + 1;
    let prev = m.importedHead;
    if (from < info.logFirstSeq) {
      // Records the ledger never had were freed: the checker reported it (RELEVE_PERDU); the host goes
      // on from what the reader still holds, and the ledger will show the hole.
      from = info.logFirstSeq;
      prev = new Uint8Array(0);
    }
    const startSeq = from;
    let startPrev: Uint8Array | null = prev.length === 0 ? null : prev;
    const records: Uint8Array[] = [];
    let head = info.logNextSeq - 1;
    while (from <= head) {
      if (!up()) return 'coupe';
      const b = link.request(MSG_PULL_LOG, [from, MAX_LOG_BATCH_RECORDS]);
      if (b === null) return 'coupe';
      if (b.type !== 0x84) throw new Error('LOG_BATCH attendu, type ' + b.type);
      head = b.headSeq;
      if (startPrev === null && from === startSeq) startPrev = b.prevHash;
      const expectPrev = prev.length === 0 ? b.prevHash : prev;
      if (b.fromSeq !== from || toHex(b.prevHash) !== toHex(expectPrev)) {
        this.find(
          'RELEVE_PERDU',
          `lecteur ${r.id} : la chaîne tirée ne prolonge pas le registre au n° ${from}`,
        );
        return 'coupe';
      }
      if (b.records.length === 0) break;
      const run = verifyLogRun(expectPrev, from, b.records, sha256Host);
      if (!run.ok) {
        this.find('ERREUR_SIMULATION', `lecteur ${r.id} : lot de journal invalide (${run.code})`);
        return 'coupe';
      }
      for (const x of b.records) records.push(new Uint8Array(x));
      prev = run.value.head;
      from = run.value.lastSeq + 1;
    }
    if (records.length === 0) return 'ok';
    if (!up()) return 'coupe';
    const nonce = link.prng.bytes(16);
    const cm = link.request(MSG_GET_CHECKPOINT, [nonce]);
    if (cm === null) return 'coupe';
    if (cm.type !== 0x85) throw new Error('CHECKPOINT attendu');
    const v = verifyCheckpoint(cm.envelope, r.publicKey, fundId, r.id, hostCrypto);
    if (!v.ok || v.value.nonce === null || toHex(v.value.nonce) !== toHex(nonce))
      throw new Error('point de contrôle refusé : ' + (v.ok ? 'nonce' : v.message));
    const lastSeq = startSeq + records.length - 1;
    if (v.value.seq !== lastSeq || toHex(v.value.head) !== toHex(prev))
      throw new Error('le point de contrôle ne signe pas les relevés tirés');
    const exp = encodeLogExport({
      fundId,
      readerId: r.id,
      readerCertificate: r.certEnv,
      fromSeq: startSeq,
      prevHead: startPrev as Uint8Array,
      records,
      checkpoints: [cm.envelope],
    });
    const res = await this.ledger.importLog(exp, 'tirage', this.now);
    if (!res.ok) {
      this.find(
        'ERREUR_SIMULATION',
        `lecteur ${r.id} : import refusé par le registre (${res.code}) ${res.message}`,
      );
      return 'coupe';
    }
    m.imported = lastSeq;
    m.importedHead = prev;
    // Only now, with the records in the ledger, may the reader free them.
    if (!up()) return 'coupe';
    m.ackSent = Math.max(m.ackSent, lastSeq);
    const ack = link.command(CMD_ACK_LOG, [lastSeq, prev], operator, operatorCertEnv, this.now);
    if (ack === null) return 'coupe';
    if (ack.status !== STATUS_OK) throw new Error('ACK_LOG refusé : ' + ack.status + ' ' + ack.detail);
    r.lastAckEnv = ack.env;
    return 'ok';
  }

  /** Local market day (SPEC conventions) of a time, counted from the run's first day. */
  dayOf(t: number): number {
    return localDay(t, UTC_OFFSET_MIN) - localDay(SIM_T, UTC_OFFSET_MIN);
  }

  /** The treasurer's new blocklist: forked pseudonyms and revoked readers; loaded into the ledger. */
  async publishBlocklist(pseudonyms: string[], readerIds: number[]): Promise<boolean> {
    const ps = new Set(this.blocklist.pseudonyms.map(toHex));
    const rs = new Set(this.blocklist.readerIds);
    let changed = false;
    for (const p of pseudonyms)
      if (!ps.has(p)) {
        ps.add(p);
        changed = true;
      }
    for (const id of readerIds)
      if (!rs.has(id)) {
        rs.add(id);
        changed = true;
      }
    if (!changed) return false;
    this.blocklist = {
      ...this.blocklist,
      version: this.blocklist.version + 1,
      issuedAt: this.now,
      pseudonyms: [...ps].sort().map((h) => Uint8Array.from(Buffer.from(h, 'hex'))),
      readerIds: [...rs].sort((a, b) => a - b),
    };
    this.blocklistEnv = signBlocklist(this.blocklist, operator);
    for (const id of readerIds) if (!this.revokedAt.has(id)) this.revokedAt.set(id, this.now);
    const res = await this.ledger.loadFund(
      encodeFundBundle({
        fundId,
        rootPublicKey: root.publicKey,
        utcOffsetMin: UTC_OFFSET_MIN,
        keyCertificates: [],
        readerCertificates: [],
        vouchers: [],
        blocklists: [this.blocklistEnv],
      }),
    );
    if (!res.ok) throw new Error('liste de blocage refusée par le registre : ' + res.message);
    return true;
  }

  /** Installs the current blocklist on a reader; records from which day each pseudonym is refused there. */
  pushBlocklist(r: SimReader, link: SimLink): 'ok' | 'coupe' {
    if (r.blocklistVersion >= this.blocklist.version) return 'ok';
    const res = link.command(
      CMD_PUT_BLOCKLIST,
      [this.blocklistEnv, null],
      operator,
      operatorCertEnv,
      this.now,
    );
    if (res === null) return 'coupe';
    if (res.status !== STATUS_OK) throw new Error('PUT_BLOCKLIST refusé : ' + res.status + ' ' + res.detail);
    r.blocklistVersion = this.blocklist.version;
    const from = this.day() + 1;
    for (const p of this.blocklist.pseudonyms) {
      const h = toHex(p);
      let m = this.blockedFrom.get(h);
      if (m === undefined) {
        m = new Map();
        this.blockedFrom.set(h, m);
      }
      if (!m.has(r.id)) m.set(r.id, from);
    }
    return 'ok';
  }
}
