// Card desk use cases (issue 7): identify, inspect, format, issue, renew, replace a member card.
// Every write follows SPEC.md §12.1: invalidate the header first, write the regions, write the header
// LAST (page 5 then page 4, whose magic makes the card valid), so a card pulled away mid-write reads as
// "carte incomplète" and never as a half-valid card; the journal lets the next tap redo the same bytes.

import { createHmac, randomBytes } from 'node:crypto';
import { bytesEqual, fromHex, toHex } from '../../../protocol/src/bytes';
import {
  CARD_FLAG_WRITE_PROTECTED,
  CARD_MAGIC_0,
  CARD_MAGIC_1,
  CardLayout,
  FIRST_USER_PAGE,
  PAGE_BYTES,
  RECEIPT_ENTRY_BYTES,
  RECEIPT_RING_ENTRIES,
  decodeCardHeader,
  encodeCardHeader,
  layoutForChip,
  pagesToWrite,
  regionOf,
} from '../../../protocol/src/card';
import { Ed25519Signer, ProtocolCrypto } from '../../../protocol/src/crypto/types';
import {
  CARD_UID_BYTES,
  MAX_U32,
  MAX_VOUCHER_BYTES,
  MAX_VOUCHER_CREDIT,
  PSEUDONYM_BYTES,
} from '../../../protocol/src/limits';
import { signatureValid } from '../../../protocol/src/structures/envelope';
import { ReaderDirectory, findDirectoryEntry, keyId } from '../../../protocol/src/structures/keys';
import { SpendState, balanceFor, openStateInRegion } from '../../../protocol/src/structures/state';
import {
  AllocationRule,
  CarryPolicy,
  Voucher,
  VoucherCredit,
  allocationForMonth,
  monthlyAllocation,
  openVoucherInRegion,
  signVoucher,
} from '../../../protocol/src/structures/voucher';
import { monthLabel, monthOfTime } from '../../../protocol/src/time';
import { CardIo, DeskError } from './card-io';
import { FundProfile, MemberRuleInput, carryFor, ruleFor } from './fund';
import { DeskOp, Journal, JournalEntry, PlanStep } from './journal';
import { LedgerStateView, LedgerView } from './ledger-view';
import { PendingFile, addPending } from './pending-blocklist';
import { MemberEntry, MemberRegistry } from './registry';

/** GET_VERSION answer, NXP NTAG213/215/216 datasheet §10.1: vendor 0x04 (NXP), product type 0x04 (NTAG). */
const NXP_VENDOR = 0x04;
const NTAG_PRODUCT = 0x04;
const SIZE_NTAG213 = 0x0f;
/** Bytes of the password (PWD) and of its acknowledge (PACK), datasheet §8.8.1. */
const PWD_BYTES = 4;
const PACK_BYTES = 2;
const SECONDS_PER_WEEK = 7 * 86400;
/** Default quarantine before a lost card's balance comes back on the new card (issue 7). */
export const DEFAULT_QUARANTINE_WEEKS = 8;
/** Longest quarantine accepted: two years would outlive any voucher (MAX_VALIDITY_MONTHS). */
export const MAX_QUARANTINE_WEEKS = 104;

export interface DeskContext {
  profile: FundProfile;
  journal: Journal;
  crypto: ProtocolCrypto;
  issuer: Ed25519Signer | null;
  /** The fund's card secret (write protection, SPEC.md §12.4), if the desk has it. */
  cardSecret: Uint8Array | null;
  registry: MemberRegistry | null;
  /** Root-signed reader directory already verified by the caller, to check slot signatures. */
  directory: ReaderDirectory | null;
}

export interface CardId {
  uid: Uint8Array;
  uidHex: string;
  layout: CardLayout;
}

/** Recognises an NTAG215/216 by GET_VERSION; refuses every other card with a French sentence. */
export async function identifyCard(io: CardIo): Promise<CardId> {
  const uid = io.uid();
  const version = await io.getVersion();
  if (version === null) {
    const atr = io.atr();
    // PC/SC part 3 ATR byte 14 names the card: 01 MIFARE Classic 1K, 02 Classic 4K, 26 Classic Mini.
    const name = atr !== null && atr.length > 14 ? atr[14] : -1;
    if (uid.length === 4 || name === 0x01 || name === 0x02 || name === 0x26) {
      throw new DeskError(
        'CARD_MIFARE_CLASSIC',
        'carte MIFARE Classic : carnet n’utilise que des NTAG215 ou NTAG216 (elle ne répond pas à GET_VERSION)',
      );
    }
    throw new DeskError(
      'CARD_NOT_NTAG',
      'cette carte ne répond pas à GET_VERSION (MIFARE Ultralight ou autre) : il faut une NTAG215 ou NTAG216',
    );
  }
  if (version[1] !== NXP_VENDOR || version[2] !== NTAG_PRODUCT) {
    throw new DeskError(
      'CARD_NOT_NTAG',
      'carte qui n’est pas une NTAG de NXP : il faut une NTAG215 ou NTAG216',
    );
  }
  if (version[6] === SIZE_NTAG213) {
    throw new DeskError(
      'CARD_NTAG213',
      'carte NTAG213 : trop petite (144 octets) ; il faut une NTAG215 ou NTAG216',
    );
  }
  const layout = layoutForChip(version[6]);
  if (layout === null) {
    throw new DeskError('CARD_UNSUPPORTED', 'NTAG de taille inconnue : il faut une NTAG215 ou NTAG216');
  }
  if (uid.length !== CARD_UID_BYTES) {
    throw new DeskError('CARD_UID', 'identifiant de carte de ' + uid.length + ' octets (7 attendus)');
  }
  return { uid: uid, uidHex: toHex(uid), layout: layout };
}

/** Configuration page CFG0 right after the dynamic lock page (datasheet §8.5: lastUserPage + 2). */
function cfg0Page(l: CardLayout): number {
  return l.lastUserPage + 2;
}

interface CardImage {
  /** User memory from page 4. */
  user: Uint8Array;
  auth0: number;
}

async function readImage(io: CardIo, id: CardId): Promise<CardImage> {
  const l = id.layout;
  const count = cfg0Page(l) - FIRST_USER_PAGE + 1;
  const all = await io.readPages(FIRST_USER_PAGE, count);
  const userBytes = (l.lastUserPage - FIRST_USER_PAGE + 1) * PAGE_BYTES;
  return { user: all.subarray(0, userBytes), auth0: all[(count - 1) * PAGE_BYTES + 3] };
}

/** Card password = first 4 bytes of HMAC-SHA-256(fund card secret, UID) (SPEC.md §12.4). */
export function cardPassword(secret: Uint8Array, uid: Uint8Array): { pwd: Uint8Array; pack: Uint8Array } {
  const mac = createHmac('sha256', secret).update(uid).digest();
  return {
    pwd: new Uint8Array(mac.subarray(0, PWD_BYTES)),
    pack: new Uint8Array(mac.subarray(4, 4 + PACK_BYTES)),
  };
}

export type CardStatus =
  | 'vierge'
  | 'incomplete'
  | 'formatee'
  | 'bon_abime'
  | 'autre_fonds'
  | 'autre_carte'
  | 'cle_inconnue'
  | 'valide'
  | 'expiree'
  | 'pas_encore_valide';

export interface SpendView {
  slot: 'A' | 'B';
  cardSeq: number;
  month: number;
  amount: number;
  time: number;
  readerId: number;
  voucherSerial: number;
  /** true: signature checked against the reader directory; false: not checked; null: checked and bad. */
  verified: boolean | null;
}

export interface ReceiptView {
  readerId: number;
  logSeq: number;
  time: number;
  amount: number;
  categoryId: number;
}

export interface CardReport {
  uid: string;
  chip: string;
  status: CardStatus;
  /** One plain French sentence for the person at the desk. */
  message: string;
  writeProtected: boolean;
  pendingOp: DeskOp | null;
  voucher: {
    pseudonym: string;
    serial: number;
    startMonth: string;
    endMonth: string;
    monthlyAllocation: number;
    carryCap: number;
    issuedAt: number;
  } | null;
  balance: { month: string; allocation: number; carried: number; spent: number; available: number } | null;
  spends: SpendView[];
  receipts: ReceiptView[];
  notes: string[];
}

interface Parsed {
  report: CardReport;
  image: CardImage;
  voucher: Voucher | null;
  voucherEnvelope: Uint8Array | null;
  headerOk: boolean;
  flags: number;
  current: SpendState | null;
}

function looksLikeEnvelope(region: Uint8Array): boolean {
  // A CBOR array of two items (0x82) followed by a byte string head: what every carnet region starts with.
  return region[0] === 0x82 && (region[1] & 0xe0) === 0x40;
}

function parseImage(ctx: DeskContext, id: CardId, image: CardImage, now: number): Parsed {
  const l = id.layout;
  const month = monthOfTime(now, ctx.profile.utcOffsetMin);
  const report: CardReport = {
    uid: id.uidHex,
    chip: l.chipName,
    status: 'vierge',
    message: '',
    writeProtected: image.auth0 <= l.lastUserPage,
    pendingOp: null,
    voucher: null,
    balance: null,
    spends: [],
    receipts: [],
    notes: [],
  };
  const out: Parsed = {
    report,
    image,
    voucher: null,
    voucherEnvelope: null,
    headerOk: false,
    flags: 0,
    current: null,
  };
  const pending = ctx.journal.get(id.uidHex);
  if (pending !== null) report.pendingOp = pending.op;
  const header = regionOf(image.user, l.header);
  const h = decodeCardHeader(header);
  const vRegion = regionOf(image.user, l.voucher);
  if (!h.ok) {
    const torn = header[0] === CARD_MAGIC_0 && header[1] === CARD_MAGIC_1;
    if (torn || looksLikeEnvelope(vRegion) || pending !== null) {
      report.status = 'incomplete';
      report.message =
        pending !== null
          ? 'carte incomplète : « ' +
            pending.op +
            ' » a été interrompu ; relancez la même commande pour le terminer'
          : 'carte incomplète : une écriture a été interrompue ; « carnet carte formater » ou « emettre » la refait';
    } else {
      report.message =
        'carte vierge : pas encore au format carnet (« carnet carte formater » ou « emettre »)';
    }
    return out;
  }
  if (h.value.chip !== l.chip) {
    report.status = 'incomplete';
    report.message = 'en-tête de carte incohérent avec la puce (' + l.chipName + ') : reformatez la carte';
    return out;
  }
  out.headerOk = true;
  out.flags = h.value.flags;
  if (!looksLikeEnvelope(vRegion)) {
    report.status = 'formatee';
    report.message = 'carte au format carnet, pas encore émise (« carnet carte emettre »)';
    return out;
  }
  const o = openVoucherInRegion(vRegion);
  if (!o.ok) {
    report.status = 'bon_abime';
    report.message = 'bon abîmé, illisible (' + o.message + ') : la carte doit être ré-émise';
    return out;
  }
  const v = o.value.value;
  if (!bytesEqual(v.fundId, ctx.profile.fundId)) {
    report.status = 'autre_fonds';
    report.message = 'carte d’un autre fonds (fonds ' + toHex(v.fundId) + ') : elle n’est pas valable ici';
    return out;
  }
  const key = ctx.profile.issuerPublicKeys.find((k) =>
    bytesEqual(keyId(k, ctx.crypto.sha256), v.issuerKeyId),
  );
  if (key === undefined) {
    report.status = 'cle_inconnue';
    report.message = 'bon signé par une clé d’émission inconnue de ce fonds : carte refusée';
    return out;
  }
  if (!signatureValid(o.value.opened, key, ctx.crypto.verify)) {
    report.status = 'bon_abime';
    report.message = 'bon abîmé ou falsifié : sa signature ne correspond pas ; la carte doit être ré-émise';
    return out;
  }
  if (!bytesEqual(v.cardUid, id.uid)) {
    report.status = 'autre_carte';
    report.message = 'bon copié depuis une autre carte (identifiant de puce différent) : carte refusée';
    return out;
  }
  out.voucher = v;
  out.voucherEnvelope = o.value.opened.bytes;
  report.voucher = {
    pseudonym: toHex(v.pseudonym),
    serial: v.serial,
    startMonth: monthLabel(v.startMonth),
    endMonth: monthLabel(v.startMonth + v.validityMonths - 1),
    monthlyAllocation: monthlyAllocation(v.rule),
    carryCap: v.carry.cap,
    issuedAt: v.issuedAt,
  };
  readSlots(ctx, id, image, out);
  const cur = out.current;
  report.balance = {
    month: monthLabel(month),
    allocation: allocationForMonth(v, month),
    carried: cur === null ? 0 : cur.month === month ? cur.carried : 0,
    spent: cur !== null && cur.month === month ? cur.spent : 0,
    available: balanceFor(v, cur, month),
  };
  if (month < v.startMonth) {
    report.status = 'pas_encore_valide';
    report.message =
      'bon valable à partir de ' + monthLabel(v.startMonth) + ' (quarantaine ou renouvellement anticipé)';
  } else if (month >= v.startMonth + v.validityMonths) {
    report.status = 'expiree';
    report.message =
      'bon expiré depuis la fin de ' + report.voucher.endMonth + ' : « carnet carte renouveler »';
  } else {
    report.status = 'valide';
    report.message = 'carte valide jusqu’à fin ' + report.voucher.endMonth;
  }
  if (l.receipts !== null) readReceipts(image, l, report);
  return out;
}

function readSlots(ctx: DeskContext, id: CardId, image: CardImage, out: Parsed): void {
  const v = out.voucher as Voucher;
  const slots: ['A' | 'B', Uint8Array][] = [
    ['A', regionOf(image.user, id.layout.slotA)],
    ['B', regionOf(image.user, id.layout.slotB)],
  ];
  let best: SpendState | null = null;
  let unverified = false;
  for (const [name, region] of slots) {
    if (!looksLikeEnvelope(region)) continue;
    const o = openStateInRegion(region);
    if (!o.ok) {
      out.report.notes.push(
        'emplacement ' + name + ' illisible (écriture interrompue chez un commerçant ?) : ignoré',
      );
      continue;
    }
    const s = o.value.value;
    if (!bytesEqual(s.pseudonym, v.pseudonym)) {
      out.report.notes.push('emplacement ' + name + ' : état d’une autre carte, ignoré');
      continue;
    }
    let verified: boolean | null = false;
    if (ctx.directory !== null) {
      const e = findDirectoryEntry(ctx.directory, s.readerId);
      if (e === null)
        out.report.notes.push('emplacement ' + name + ' : lecteur ' + s.readerId + ' absent de l’annuaire');
      else verified = signatureValid(o.value.opened, e.publicKey, ctx.crypto.verify) ? true : null;
    }
    if (verified === null) {
      out.report.notes.push(
        'emplacement ' + name + ' : signature du lecteur ' + s.readerId + ' fausse, ignoré',
      );
      continue;
    }
    if (verified === false) unverified = true;
    out.report.spends.push({
      slot: name,
      cardSeq: s.cardSeq,
      month: s.month,
      amount: s.lastAmount,
      time: s.time,
      readerId: s.readerId,
      voucherSerial: s.voucherSerial,
      verified: verified,
    });
    if (best === null || s.cardSeq > best.cardSeq) best = s;
  }
  out.report.spends.sort((a, b) => b.cardSeq - a.cardSeq);
  out.current = best;
  if (unverified) {
    out.report.notes.push(
      'signatures des lecteurs non vérifiées (pas d’annuaire des lecteurs : --annuaire) : le solde affiché est celui que la carte déclare',
    );
  }
  if (best !== null && best.voucherSerial !== v.serial) {
    out.report.notes.push(
      'dernier état écrit avec le bon n° ' + best.voucherSerial + ' (chaîne conservée au renouvellement)',
    );
  }
}

function readReceipts(image: CardImage, l: CardLayout, report: CardReport): void {
  const r = regionOf(image.user, l.receipts as NonNullable<CardLayout['receipts']>);
  for (let i = 0; i < RECEIPT_RING_ENTRIES; i++) {
    const e = r.subarray(i * RECEIPT_ENTRY_BYTES, (i + 1) * RECEIPT_ENTRY_BYTES);
    const be = (a: number): number => ((e[a] << 24) >>> 0) + (e[a + 1] << 16) + (e[a + 2] << 8) + e[a + 3];
    const readerId = be(0);
    if (readerId === 0) continue;
    report.receipts.push({
      readerId,
      logSeq: be(4),
      time: be(8),
      amount: (e[12] << 16) + (e[13] << 8) + e[14],
      categoryId: e[15],
    });
  }
  report.receipts.sort((a, b) => b.time - a.time);
}

/** Reads a card and describes it in plain French. Never writes. */
export async function inspectCard(io: CardIo, ctx: DeskContext, now: number): Promise<CardReport> {
  const id = await identifyCard(io);
  const image = await readImage(io, id);
  return parseImage(ctx, id, image, now).report;
}

// ---- writing ---------------------------------------------------------------------------------------

function pageSteps(firstPage: number, bytes: Uint8Array): PlanStep[] {
  const steps: PlanStep[] = [];
  const n = pagesToWrite(bytes.length);
  for (let i = 0; i < n; i++) {
    const p = new Uint8Array(PAGE_BYTES);
    p.set(bytes.subarray(i * PAGE_BYTES, Math.min(bytes.length, (i + 1) * PAGE_BYTES)));
    steps.push({ page: firstPage + i, hex: toHex(p) });
  }
  return steps;
}

const ZERO_PAGE = '00000000';

/** Steps that turn on write protection (SPEC.md §12.4): PWD, PACK, ACCESS (PROT=0, AUTHLIM=0), AUTH0 last. */
function protectionSteps(l: CardLayout, pwd: Uint8Array, pack: Uint8Array): PlanStep[] {
  const c = cfg0Page(l);
  return [
    { page: c + 2, hex: toHex(pwd) },
    { page: c + 3, hex: toHex(new Uint8Array([pack[0], pack[1], 0, 0])) },
    // ACCESS = 0: PROT 0 (write protection only), CFGLCK 0, NFC_CNT off, AUTHLIM 0 (no failure counter).
    { page: c + 1, hex: ZERO_PAGE },
    // CFG0 as shipped (MIRROR 04, RFUI, MIRROR_PAGE 00) with AUTH0 = 4: every user page needs PWD_AUTH.
    { page: c, hex: toHex(new Uint8Array([0x04, 0x00, 0x00, FIRST_USER_PAGE])) },
    { page: -1, hex: '', auth: true },
  ];
}

function headerSteps(l: CardLayout, flags: number): PlanStep[] {
  const h = encodeCardHeader(l.chip, flags);
  // Page 5 (CRC) before page 4 (magic): the magic appears only once the rest of the header is in place.
  return [
    { page: l.header.firstPage + 1, hex: toHex(h.subarray(4, 8)) },
    { page: l.header.firstPage, hex: toHex(h.subarray(0, 4)) },
  ];
}

async function authenticate(io: CardIo, ctx: DeskContext, id: CardId): Promise<void> {
  if (ctx.cardSecret === null) {
    throw new DeskError(
      'CARD_PROTECTED',
      'carte protégée en écriture : il faut le secret des cartes du fonds (--secret-cartes)',
    );
  }
  const p = cardPassword(ctx.cardSecret, id.uid);
  const pack = await io.pwdAuth(p.pwd);
  if (pack === null || !bytesEqual(pack, p.pack)) {
    throw new DeskError(
      'CARD_PASSWORD',
      'mot de passe de carte refusé : carte protégée par un autre fonds ou avec un autre secret',
    );
  }
}

/** Runs a journaled plan: record, write every step in order, read back, forget. */
async function runPlan(
  io: CardIo,
  ctx: DeskContext,
  id: CardId,
  entry: JournalEntry,
  protectedNow: boolean,
): Promise<void> {
  ctx.journal.put(entry);
  if (protectedNow) await authenticate(io, ctx, id);
  let lo = 1e9;
  let hi = -1;
  for (const s of entry.steps) {
    if (s.auth) {
      await authenticate(io, ctx, id);
      continue;
    }
    await io.writePage(s.page, fromHex(s.hex));
    if (s.page >= FIRST_USER_PAGE && s.page <= id.layout.lastUserPage) {
      lo = Math.min(lo, s.page);
      hi = Math.max(hi, s.page);
    }
  }
  // Read back what the plan wrote (last write per page wins) before forgetting it.
  const back = await io.readPages(lo, hi - lo + 1);
  const want: { [p: number]: string } = {};
  for (const s of entry.steps) if (!s.auth && s.page >= lo && s.page <= hi) want[s.page] = s.hex;
  for (const k of Object.keys(want)) {
    const p = Number(k);
    if (toHex(back.subarray((p - lo) * PAGE_BYTES, (p - lo + 1) * PAGE_BYTES)) !== want[p]) {
      throw new DeskError(
        'CARD_VERIFY',
        'relecture différente de ce qui a été écrit (page ' + p + ') : relancez la commande',
      );
    }
  }
  ctx.journal.clear(id.uidHex);
}

export interface ResumeResult {
  op: DeskOp;
  pseudonym: string | null;
}

/** Finishes an interrupted desk write on this card, if the journal has one. */
async function resumePending(
  io: CardIo,
  ctx: DeskContext,
  id: CardId,
  image: CardImage,
): Promise<ResumeResult | null> {
  const e = ctx.journal.get(id.uidHex);
  if (e === null) return null;
  await runPlan(io, ctx, id, e, image.auth0 <= id.layout.lastUserPage);
  if (ctx.registry !== null && e.pseudonym !== null) {
    const m = ctx.registry.byPseudonym(e.pseudonym);
    if (m !== null && m.status === 'en_cours') {
      m.status = 'active';
      ctx.registry.save();
    }
  }
  return { op: e.op, pseudonym: e.pseudonym };
}

export interface WriteOptions {
  now: number;
  /** Turn on write protection with the fund's card secret. */
  protect: boolean;
  /** Overwrite a valid card of this fund (its balance is lost). */
  force: boolean;
}

interface Prepared {
  id: CardId;
  parsed: Parsed;
  resumed: ResumeResult | null;
}

async function prepare(io: CardIo, ctx: DeskContext, now: number): Promise<Prepared> {
  const id = await identifyCard(io);
  let image = await readImage(io, id);
  const resumed = await resumePending(io, ctx, id, image);
  if (resumed !== null) image = await readImage(io, id);
  return { id, parsed: parseImage(ctx, id, image, now), resumed };
}

function protectionPlan(
  ctx: DeskContext,
  p: Prepared,
  protect: boolean,
): { steps: PlanStep[]; flags: number } {
  const isProtected = p.parsed.image.auth0 <= p.id.layout.lastUserPage;
  if (isProtected) return { steps: [], flags: CARD_FLAG_WRITE_PROTECTED };
  if (!protect) return { steps: [], flags: 0 };
  if (ctx.cardSecret === null) {
    throw new DeskError(
      'CARD_SECRET_MISSING',
      'protection demandée sans secret des cartes (--secret-cartes)',
    );
  }
  const pw = cardPassword(ctx.cardSecret, p.id.uid);
  return { steps: protectionSteps(p.id.layout, pw.pwd, pw.pack), flags: CARD_FLAG_WRITE_PROTECTED };
}

function refuseValidCard(p: Prepared, force: boolean, what: string): void {
  const st = p.parsed.report.status;
  if (force) return;
  if (st === 'valide' || st === 'expiree' || st === 'pas_encore_valide') {
    throw new DeskError(
      'CARD_ALREADY_ISSUED',
      'carte déjà émise (' +
        p.parsed.report.voucher?.pseudonym +
        ') : ' +
        what +
        ' effacerait son solde ; « renouveler », ou --forcer',
    );
  }
  if (st === 'autre_fonds' || st === 'cle_inconnue') {
    throw new DeskError('CARD_OTHER_FUND', p.parsed.report.message + ' ; --forcer pour l’effacer quand même');
  }
}

export interface FormatResult {
  uid: string;
  chip: string;
  writeProtected: boolean;
  resumed: ResumeResult | null;
}

/** Blank (or incomplete) card → carnet layout: header, empty voucher and slots. */
export async function formatCard(io: CardIo, ctx: DeskContext, o: WriteOptions): Promise<FormatResult> {
  const p = await prepare(io, ctx, o.now);
  if (p.resumed !== null && p.resumed.op === 'formater') {
    return {
      uid: p.id.uidHex,
      chip: p.id.layout.chipName,
      writeProtected: p.parsed.report.writeProtected,
      resumed: p.resumed,
    };
  }
  refuseValidCard(p, o.force, 'formater');
  const l = p.id.layout;
  const prot = protectionPlan(ctx, p, o.protect);
  const steps: PlanStep[] = [{ page: l.header.firstPage, hex: ZERO_PAGE }];
  steps.push({ page: l.voucher.firstPage, hex: ZERO_PAGE });
  steps.push({ page: l.slotA.firstPage, hex: ZERO_PAGE });
  steps.push({ page: l.slotB.firstPage, hex: ZERO_PAGE });
  if (l.receipts !== null)
    for (let i = 0; i < l.receipts.pages; i++) steps.push({ page: l.receipts.firstPage + i, hex: ZERO_PAGE });
  const all = steps.concat(prot.steps, headerSteps(l, prot.flags));
  await runPlan(
    io,
    ctx,
    p.id,
    { uid: p.id.uidHex, op: 'formater', pseudonym: null, startedAt: o.now, steps: all },
    p.parsed.report.writeProtected,
  );
  return { uid: p.id.uidHex, chip: l.chipName, writeProtected: prot.flags !== 0, resumed: p.resumed };
}

export interface MemberInput extends MemberRuleInput {
  name: string;
}

export interface IssueResult {
  uid: string;
  chip: string;
  pseudonym: string;
  serial: number;
  startMonth: string;
  endMonth: string;
  monthlyAllocation: number;
  writeProtected: boolean;
  /** Set when this run only finished an interrupted one. */
  resumed: ResumeResult | null;
  voucherBytes: number;
  pagesWritten: number;
}

function requireIssuer(ctx: DeskContext): Ed25519Signer {
  if (ctx.issuer === null) {
    throw new DeskError('ISSUER_KEY_MISSING', 'il faut la clé d’émission du fonds (--cle-emetteur FICHIER)');
  }
  const kid = keyId(ctx.issuer.publicKey, ctx.crypto.sha256);
  if (!ctx.profile.issuerPublicKeys.some((k) => bytesEqual(keyId(k, ctx.crypto.sha256), kid))) {
    throw new DeskError(
      'ISSUER_KEY_UNKNOWN',
      'cette clé d’émission n’est pas dans le profil du fonds (issuerPublicKeys)',
    );
  }
  return ctx.issuer;
}

function buildVoucher(
  ctx: DeskContext,
  issuer: Ed25519Signer,
  uid: Uint8Array,
  pseudonym: Uint8Array,
  rule: AllocationRule,
  carry: CarryPolicy,
  startMonth: number,
  validityMonths: number,
  serial: number,
  now: number,
  credit?: VoucherCredit,
): Uint8Array {
  const v: Voucher = {
    fundId: ctx.profile.fundId,
    pseudonym,
    cardUid: uid,
    rule,
    startMonth,
    validityMonths,
    carry,
    issuerKeyId: keyId(issuer.publicKey, ctx.crypto.sha256),
    issuedAt: now,
    serial,
  };
  if (credit !== undefined) v.credit = credit;
  const env = signVoucher(v, issuer);
  if (env.length > MAX_VOUCHER_BYTES) throw new Error('voucher envelope larger than its card region');
  return env;
}

function resultFromCard(p: Prepared, writeProtected: boolean, pages: number, envBytes: number): IssueResult {
  const v = p.parsed.report.voucher;
  if (v === null)
    throw new DeskError('CARD_VERIFY', 'la carte relue n’a pas de bon valide : relancez la commande');
  return {
    uid: p.id.uidHex,
    chip: p.id.layout.chipName,
    pseudonym: v.pseudonym,
    serial: v.serial,
    startMonth: v.startMonth,
    endMonth: v.endMonth,
    monthlyAllocation: v.monthlyAllocation,
    writeProtected,
    resumed: p.resumed,
    voucherBytes: envBytes,
    pagesWritten: pages,
  };
}

interface IssueParams {
  member: MemberInput;
  startMonth: number;
  validityMonths: number;
  replaces: string | null;
  op: DeskOp;
}

async function issueWith(
  io: CardIo,
  ctx: DeskContext,
  o: WriteOptions,
  ip: IssueParams,
): Promise<IssueResult> {
  const issuer = requireIssuer(ctx);
  const rule = ruleFor(ctx.profile, ip.member);
  const p = await prepare(io, ctx, o.now);
  if (p.resumed !== null && p.resumed.op === ip.op) {
    return resultFromCard(p, p.parsed.report.writeProtected, 0, p.parsed.voucherEnvelope?.length ?? 0);
  }
  refuseValidCard(p, o.force, 'émettre');
  const l = p.id.layout;
  const pseudonym = new Uint8Array(randomBytes(PSEUDONYM_BYTES));
  const pHex = toHex(pseudonym);
  const env = buildVoucher(
    ctx,
    issuer,
    p.id.uid,
    pseudonym,
    rule,
    carryFor(ctx.profile),
    ip.startMonth,
    ip.validityMonths,
    1,
    o.now,
  );
  const prot = protectionPlan(ctx, p, o.protect);
  // Registry first (status "en_cours"): a torn write leaves a known, unfinished entry, never an orphan card.
  const entry: MemberEntry = {
    name: ip.member.name,
    pseudonym: pHex,
    householdSize: ip.member.householdSize,
    parts: ip.member.parts,
    uid: p.id.uidHex,
    serial: 1,
    startMonth: ip.startMonth,
    validityMonths: ip.validityMonths,
    issuedAt: o.now,
    status: 'en_cours',
    blockedAt: null,
    replacedBy: null,
    replaces: ip.replaces,
  };
  if (ctx.registry !== null) {
    ctx.registry.upsert(entry);
    ctx.registry.save();
  }
  const steps: PlanStep[] = [{ page: l.header.firstPage, hex: ZERO_PAGE }];
  const all = steps.concat(
    pageSteps(l.voucher.firstPage, env),
    [
      { page: l.slotA.firstPage, hex: ZERO_PAGE },
      { page: l.slotB.firstPage, hex: ZERO_PAGE },
    ],
    prot.steps,
    headerSteps(l, prot.flags),
  );
  await runPlan(
    io,
    ctx,
    p.id,
    { uid: p.id.uidHex, op: ip.op, pseudonym: pHex, startedAt: o.now, steps: all },
    p.parsed.report.writeProtected,
  );
  if (ctx.registry !== null) {
    entry.status = 'active';
    ctx.registry.upsert(entry);
    ctx.registry.save();
  }
  const done = parseImage(ctx, p.id, await readImage(io, p.id), o.now);
  return resultFromCard(
    { id: p.id, parsed: done, resumed: p.resumed },
    prot.flags !== 0,
    all.length,
    env.length,
  );
}

/** Issues a new card: random pseudonym, voucher from the fund's rule, empty slots, header last. */
export async function issueCard(
  io: CardIo,
  ctx: DeskContext,
  member: MemberInput,
  o: WriteOptions,
): Promise<IssueResult> {
  const month = monthOfTime(o.now, ctx.profile.utcOffsetMin);
  return issueWith(io, ctx, o, {
    member,
    startMonth: month,
    validityMonths: ctx.profile.validityMonths,
    replaces: null,
    op: 'emettre',
  });
}

/** Renews the voucher (serial + 1, new period from this month), keeping the slots and their chain. */
export async function renewCard(
  io: CardIo,
  ctx: DeskContext,
  o: WriteOptions & { member?: MemberRuleInput; credit?: VoucherCredit },
): Promise<IssueResult> {
  const issuer = requireIssuer(ctx);
  const p = await prepare(io, ctx, o.now);
  if (p.resumed !== null && p.resumed.op === 'renouveler') {
    return resultFromCard(p, p.parsed.report.writeProtected, 0, p.parsed.voucherEnvelope?.length ?? 0);
  }
  const st = p.parsed.report.status;
  const old = p.parsed.voucher;
  if (old === null || (st !== 'valide' && st !== 'expiree' && st !== 'pas_encore_valide')) {
    throw new DeskError('CARD_NOT_RENEWABLE', 'renouvellement impossible : ' + p.parsed.report.message);
  }
  if (old.serial >= MAX_U32)
    throw new DeskError('VOUCHER_SERIAL', 'numéro de bon épuisé : ré-émettez la carte');
  const pHex = toHex(old.pseudonym);
  const reg = ctx.registry !== null ? ctx.registry.byPseudonym(pHex) : null;
  if (reg !== null && (reg.status === 'bloquee' || reg.status === 'remplacee')) {
    throw new DeskError('CARD_BLOCKED', 'cette carte est bloquée ou remplacée : pas de renouvellement');
  }
  let rule = old.rule;
  if (o.member !== undefined && (o.member.householdSize !== null || o.member.parts !== null))
    rule = ruleFor(ctx.profile, o.member);
  const month = monthOfTime(o.now, ctx.profile.utcOffsetMin);
  const start = Math.max(month, old.startMonth);
  const env = buildVoucher(
    ctx,
    issuer,
    p.id.uid,
    old.pseudonym,
    rule,
    carryFor(ctx.profile),
    start,
    ctx.profile.validityMonths,
    old.serial + 1,
    o.now,
    o.credit,
  );
  const l = p.id.layout;
  const all = [{ page: l.header.firstPage, hex: ZERO_PAGE }].concat(
    pageSteps(l.voucher.firstPage, env),
    headerSteps(l, p.parsed.flags),
  );
  await runPlan(
    io,
    ctx,
    p.id,
    { uid: p.id.uidHex, op: 'renouveler', pseudonym: pHex, startedAt: o.now, steps: all },
    p.parsed.report.writeProtected,
  );
  if (reg !== null && ctx.registry !== null) {
    reg.serial = old.serial + 1;
    reg.startMonth = start;
    reg.validityMonths = ctx.profile.validityMonths;
    ctx.registry.save();
  }
  const done = parseImage(ctx, p.id, await readImage(io, p.id), o.now);
  return resultFromCard(
    { id: p.id, parsed: done, resumed: p.resumed },
    p.parsed.report.writeProtected,
    all.length,
    env.length,
  );
}

/** Reads the pseudonym of the card on the reader (for `bloquer` with a card). */
export async function pseudonymOnCard(io: CardIo, ctx: DeskContext, now: number): Promise<string> {
  const id = await identifyCard(io);
  const parsed = parseImage(ctx, id, await readImage(io, id), now);
  if (parsed.voucher === null) throw new DeskError('CARD_NO_VOUCHER', parsed.report.message);
  return toHex(parsed.voucher.pseudonym);
}

/** Marks a pseudonym blocked in the pending list and the registry. Returns false if already listed. */
export function blockPseudonym(
  ctx: DeskContext,
  pending: PendingFile,
  pseudonymHex: string,
  now: number,
  reason: string,
): boolean {
  if (!/^[0-9a-f]{16}$/.test(pseudonymHex))
    throw new DeskError('BAD_PSEUDONYM', 'pseudonyme de 16 chiffres hexadécimaux attendu');
  const added = addPending(pending, pseudonymHex, now, reason);
  if (ctx.registry !== null) {
    const m = ctx.registry.byPseudonym(pseudonymHex);
    if (m !== null && m.status !== 'remplacee') {
      m.status = 'bloquee';
      m.blockedAt = now;
      ctx.registry.save();
    }
  }
  return added;
}

/** A ledger state as a SpendState, enough for the protocol's balance functions (ids and links unused). */
function stateFromLedger(v: Voucher, last: LedgerStateView | null): SpendState | null {
  if (last === null) return null;
  return {
    pseudonym: v.pseudonym,
    voucherSerial: last.voucherSerial,
    month: last.month,
    cardSeq: last.cardSeq,
    carried: last.carried,
    spent: last.spent,
    lastAmount: 0,
    readerId: 1,
    logSeq: 1,
    time: last.time,
    prev: new Uint8Array(16),
  };
}

export interface ReplaceResult extends IssueResult {
  oldPseudonym: string;
  quarantineEnds: number;
  /** Old card's balance this month, from the ledger's last state (or the voucher alone if none). */
  oldBalanceNow: number;
  ledgerState: boolean;
  newlyBlocked: boolean;
}

/**
 * Replaces a lost card: blocks the old pseudonym now; the new card's voucher (new pseudonym) allocates
 * from next month on, for the months the old voucher had left, so the member is never without an
 * allocation. What the lost card still held in the month it was blocked comes back later, once the
 * quarantine is over and every reader's log of that time has reached the ledger (restoreBalance): a
 * version-2 voucher credit (SPEC.md §5.1). The quarantine stops a finder or thief who spends the old card
 * offline before the blocklist reaches the readers from being paid out twice.
 */
export async function replaceCard(
  io: CardIo,
  ctx: DeskContext,
  pending: PendingFile,
  ledger: LedgerView,
  oldPseudonym: string,
  o: WriteOptions & { quarantineWeeks: number },
): Promise<ReplaceResult> {
  if (ctx.registry === null)
    throw new DeskError('REGISTRY_MISSING', 'le remplacement a besoin du registre des membres');
  if (
    !Number.isInteger(o.quarantineWeeks) ||
    o.quarantineWeeks < 0 ||
    o.quarantineWeeks > MAX_QUARANTINE_WEEKS
  ) {
    throw new DeskError('BAD_QUARANTINE', 'quarantaine de 0 à ' + MAX_QUARANTINE_WEEKS + ' semaines');
  }
  const old = ctx.registry.byPseudonym(oldPseudonym);
  if (old === null) throw new DeskError('MEMBER_UNKNOWN', 'pseudonyme inconnu du registre');
  if (old.status === 'remplacee' && old.replacedBy !== null) {
    // Re-run after a torn replacement: finish it on the same new card if the journal has it.
    const again = ctx.registry.byPseudonym(old.replacedBy);
    if (again === null || again.status !== 'en_cours') {
      throw new DeskError('ALREADY_REPLACED', 'cette carte a déjà été remplacée');
    }
  }
  const newlyBlocked = blockPseudonym(ctx, pending, oldPseudonym, o.now, 'remplacee');
  const offset = ctx.profile.utcOffsetMin;
  const quarantineEnds = o.now + o.quarantineWeeks * SECONDS_PER_WEEK;
  // The current month stays the old card's: its balance is what the restitution gives back.
  const start = monthOfTime(o.now, offset) + 1;
  const oldEnd = old.startMonth + old.validityMonths;
  const validity = oldEnd > start ? oldEnd - start : ctx.profile.validityMonths;
  const last = await ledger.lastStateOf(oldPseudonym);
  const oldVoucher = voucherOfEntry(ctx, old);
  const month = monthOfTime(o.now, offset);
  const asState = stateFromLedger(oldVoucher, last);
  const oldBalanceNow = balanceFor(oldVoucher, asState, month);
  const r = await issueWith(io, ctx, o, {
    member: { name: old.name, householdSize: old.householdSize, parts: old.parts },
    startMonth: start,
    validityMonths: validity,
    replaces: oldPseudonym,
    op: 'remplacer',
  });
  old.status = 'remplacee';
  old.replacedBy = r.pseudonym;
  if (old.blockedAt === null) old.blockedAt = o.now;
  const fresh = ctx.registry.byPseudonym(r.pseudonym);
  if (fresh !== null && fresh.restitution === undefined) {
    fresh.restitution = {
      from: oldPseudonym,
      blockedAt: old.blockedAt,
      blockMonth: monthOfTime(old.blockedAt, offset),
      quarantineEnds,
      restored: null,
    };
  }
  ctx.registry.save();
  return { ...r, oldPseudonym, quarantineEnds, oldBalanceNow, ledgerState: last !== null, newlyBlocked };
}

/** The lost card's voucher as the registry remembers it (to compute its balance from ledger states). */
function voucherOfEntry(ctx: DeskContext, e: MemberEntry): Voucher {
  return {
    fundId: ctx.profile.fundId,
    pseudonym: fromHex(e.pseudonym),
    cardUid: fromHex(e.uid),
    rule: ruleFor(ctx.profile, e),
    startMonth: e.startMonth,
    validityMonths: e.validityMonths,
    carry: carryFor(ctx.profile),
    issuerKeyId: new Uint8Array(8),
    issuedAt: e.issuedAt,
    serial: e.serial,
  };
}

export interface RestoreResult extends IssueResult {
  /** Cents given back on the card (0: the lost card had nothing left). */
  restored: number;
  /** Pseudonym of the lost card. */
  from: string;
}

/**
 * Gives a lost card's balance back on its replacement, once the quarantine is over (issue 7): the
 * balance the lost card held, in the month it was blocked, according to the ledger's last state written
 * at or before the block. Spending by whoever held the old card after the block is the fund's loss
 * (bounded by the readers' limits and caught at reconciliation), not the member's. Written as a renewal
 * of the new card's voucher (serial + 1) with a version-2 credit in the current month.
 */
export async function restoreBalance(
  io: CardIo,
  ctx: DeskContext,
  ledger: LedgerView,
  o: WriteOptions,
): Promise<RestoreResult> {
  if (ctx.registry === null)
    throw new DeskError('REGISTRY_MISSING', 'la restitution a besoin du registre des membres');
  const id = await identifyCard(io);
  const parsed = parseImage(ctx, id, await readImage(io, id), o.now);
  const v = parsed.voucher;
  if (v === null)
    throw new DeskError('CARD_NOT_RENEWABLE', 'restitution impossible : ' + parsed.report.message);
  const entry = ctx.registry.byPseudonym(toHex(v.pseudonym));
  const rest = entry === null ? undefined : entry.restitution;
  if (entry === null || rest === undefined)
    throw new DeskError('NO_RESTITUTION', 'cette carte ne remplace pas une carte perdue : rien à restituer');
  if (rest.restored !== null)
    throw new DeskError('ALREADY_RESTORED', 'solde déjà restitué (' + rest.restored + ' centimes)');
  if (o.now < rest.quarantineEnds) {
    throw new DeskError(
      'QUARANTINE_RUNNING',
      'quarantaine en cours jusqu’au ' +
        new Date(rest.quarantineEnds * 1000).toISOString().slice(0, 10) +
        ' : revenez après',
    );
  }
  const lost = ctx.registry.byPseudonym(rest.from);
  if (lost === null) throw new DeskError('MEMBER_UNKNOWN', 'carte perdue inconnue du registre');
  const last = await ledger.lastStateOf(rest.from, rest.blockedAt);
  const oldVoucher = voucherOfEntry(ctx, lost);
  const asState = stateFromLedger(oldVoucher, last);
  const balance = Math.max(0, balanceFor(oldVoucher, asState, rest.blockMonth));
  const amount = Math.min(balance, MAX_VOUCHER_CREDIT);
  if (amount === 0) {
    rest.restored = 0;
    ctx.registry.save();
    const same = parseImage(ctx, id, await readImage(io, id), o.now);
    return {
      ...resultFromCard({ id, parsed: same, resumed: null }, same.report.writeProtected, 0, 0),
      restored: 0,
      from: rest.from,
    };
  }
  const month = monthOfTime(o.now, ctx.profile.utcOffsetMin);
  const r = await renewCard(io, ctx, { ...o, credit: { month: Math.max(month, v.startMonth), amount } });
  rest.restored = amount;
  const after = ctx.registry.byPseudonym(toHex(v.pseudonym));
  if (after !== null) after.restitution = rest;
  ctx.registry.save();
  return { ...r, restored: amount, from: rest.from };
}
