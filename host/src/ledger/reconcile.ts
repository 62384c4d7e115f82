// Monthly reconciliation (issue 5 §3): per-card chains of spend states, forks (clones, rollbacks),
// overspend, pending sales never committed, records held for review, and the conservation lines, exact
// to the cent:
//   cards:   allocations available A = debited D + unspent N − overspend O   (per card, then summed)
//   vendors: committed sales − refunds = payable + held                      (per vendor, then summed)
//   both:    committed sales − refunds = D + net of records whose voucher is unknown

import { toHex } from '../../../protocol/src/bytes';
import { openVoucher, Voucher, allocationForMonth } from '../../../protocol/src/structures/voucher';
import { SpendState, carriedForNewState, carriedFromStart, carriedInto } from '../../../protocol/src/structures/state';
import { LOG_REFUND_PENDING, LOG_SALE_PENDING } from '../../../protocol/src/structures/log';
import { localDay, monthLabel, monthStartTime } from '../../../protocol/src/time';
import { MAX_VALIDITY_MONTHS } from '../../../protocol/src/limits';
import { ANOMALY_GAP, ANOMALY_REFUSED, ANOMALY_REWRITTEN, Ledger, OP_COMMITTED, OP_PENDING } from './ledger';
import { Row, SqlValue } from './store';

export interface Anomaly {
  id: string;
  kind: string;
  message: string;
  readerId: number | null;
  /** Hex pseudonym of the card concerned (never a name). */
  pseudonym: string | null;
  amount: number;
  evidence: unknown;
  confirmed: boolean;
  /** True when the records concerned are held (not paid) until the treasurer decides. */
  held: boolean;
}

export interface VendorLine {
  vendorId: number;
  sales: number;
  refunds: number;
  held: number;
  payable: number;
  cards: number;
  operations: number;
}

export interface GroupLine {
  key: number;
  net: number;
  cards: number;
}

export interface Reconciliation {
  month: number;
  label: string;
  closed: boolean;
  /** Readers whose log does not yet reach the month's end. */
  openReaders: number[];
  cardsWithRights: number;
  activeCards: number;
  available: number;
  debited: number;
  unspent: number;
  overspend: number;
  committedSales: number;
  refunds: number;
  held: number;
  payable: number;
  unknownVoucherNet: number;
  /** Both conservation identities hold (computed over two different groupings). */
  balanced: boolean;
  vendors: VendorLine[];
  categories: GroupLine[];
  days: GroupLine[];
  anomalies: Anomaly[];
}

/** One sale or refund operation, flat (a month holds hundreds of thousands: no nested objects). */
interface OpRow {
  readerId: number;
  seq: number;
  kind: number;
  time: number;
  month: number;
  /** Hex. */
  pseudonym: string;
  stateId: string;
  prev: string;
  cardSeq: number;
  voucherSerial: number;
  carried: number;
  spent: number;
  lastAmount: number;
  amount: number;
  covered: number;
  category: number;
  refSeq: number;
  stateLogSeq: number;
  stateReader: number;
  status: number;
}

function n(v: SqlValue): number {
  return Number(v);
}

const NO_BYTES = new Uint8Array(0);

function toOp(r: Row): OpRow {
  return {
    readerId: n(r.reader_id),
    seq: n(r.seq),
    kind: n(r.kind),
    time: n(r.time),
    month: n(r.month),
    pseudonym: String(r.pseudonym),
    stateId: String(r.state_id),
    prev: String(r.prev),
    cardSeq: n(r.card_seq),
    voucherSerial: n(r.voucher_serial),
    carried: n(r.carried),
    spent: n(r.spent),
    lastAmount: n(r.last_amount),
    amount: n(r.amount),
    covered: n(r.covered),
    category: n(r.category),
    refSeq: n(r.ref_seq),
    stateLogSeq: n(r.state_log_seq),
    stateReader: n(r.state_reader),
    status: n(r.status),
  };
}

/** The protocol's view of an operation's state, for the carry-over functions (SPEC §6.2). */
function stateOf(o: OpRow): SpendState {
  return {
    pseudonym: NO_BYTES,
    voucherSerial: o.voucherSerial,
    month: o.month,
    cardSeq: o.cardSeq,
    carried: o.carried,
    spent: o.spent,
    lastAmount: o.lastAmount,
    readerId: o.stateReader,
    logSeq: o.stateLogSeq,
    time: o.time,
    prev: NO_BYTES,
  };
}

/**
 * The ops columns reconciliation reads. Byte columns come back as hex text: better-sqlite3 gives each blob
 * its own Buffer (a separate allocation), which made reading 500,000 ops cost seconds and hundreds of MB.
 */
function opSelect(dialect: 'sqlite' | 'pg'): string {
  const hex = (c: string): string => (dialect === 'pg' ? `encode(${c}, 'hex') AS ${c}` : `lower(hex(${c})) AS ${c}`);
  return (
    `SELECT reader_id, seq, kind, time, month, ${hex('pseudonym')}, ${hex('state_id')}, ${hex('prev')}, card_seq, ` +
    'voucher_serial, carried, spent, last_amount, amount, covered, category, ref_seq, state_log_seq, state_reader, status FROM ops '
  );
}

/** Money as the reports print it in messages: "12,50 €". */
function eur(c: number): string {
  const neg = c < 0;
  const a = Math.abs(c);
  return (neg ? '−' : '') + Math.floor(a / 100) + ',' + String(a % 100).padStart(2, '0') + ' €';
}

export async function reconcile(ledger: Ledger, month: number, now = Math.floor(Date.now() / 1000)): Promise<Reconciliation> {
  const fund = await ledger.fund();
  if (!fund) throw new Error('registre vide');
  const off = fund.utcOffsetMin;
  const monthEnd = monthStartTime(month + 1, off);
  const monthStart = monthStartTime(month, off);

  // Readers, vendors, certificate windows, revocations, and how far each log is delivered.
  const readerRows = await ledger.query(
    'SELECT r.reader_id, r.vendor_id, r.not_before, r.not_after, r.revoked_at, ' +
      '(SELECT MAX(c.time) FROM checkpoints c WHERE c.reader_id = r.reader_id) AS last_cp FROM readers r',
  );
  const readers = new Map<number, { vendor: number; nb: number; na: number; revoked: number | null; lastCp: number | null }>();
  const openReaders: number[] = [];
  for (const r of readerRows) {
    const id = n(r.reader_id);
    const info = {
      vendor: n(r.vendor_id),
      nb: n(r.not_before),
      na: n(r.not_after),
      revoked: r.revoked_at === null ? null : n(r.revoked_at),
      lastCp: r.last_cp === null ? null : n(r.last_cp),
    };
    readers.set(id, info);
    const activeInMonth = info.nb < monthEnd && info.na > monthStart && (info.revoked === null || info.revoked > monthEnd);
    if (activeInMonth && (info.lastCp === null || info.lastCp < monthEnd)) openReaders.push(id);
  }
  openReaders.sort((a, b) => a - b);

  // Vouchers by (pseudonym, serial) and by voucher id.
  const vRows = await ledger.query(
    'SELECT envelope, ' + (ledger.store.dialect === 'pg' ? "encode(voucher_id, 'hex')" : 'lower(hex(voucher_id))') + ' AS vid FROM vouchers',
  );
  const vouchers = new Map<string, Voucher>();
  const byVid = new Map<string, Voucher>();
  const latest = new Map<string, Voucher>();
  for (const r of vRows) {
    const o = openVoucher(r.envelope as Uint8Array);
    if (!o.ok) continue;
    const v = o.value.value;
    const p = toHex(v.pseudonym);
    vouchers.set(p + ':' + v.serial, v);
    byVid.set(String(r.vid), v);
    const inMonth = allocationForMonth(v, month) > 0 || v.startMonth <= month;
    const cur = latest.get(p);
    if (inMonth && (!cur || cur.serial < v.serial)) latest.set(p, v);
  }

  const OP_SELECT_D = opSelect(ledger.store.dialect);
  const ops: OpRow[] = [];
  await ledger.each(OP_SELECT_D + 'WHERE month = ? ORDER BY time, reader_id, seq', [month], (r) => {
    ops.push(toOp(r));
  });
  const byState = new Map<string, OpRow>();
  for (const o of ops) byState.set(o.stateId, o);
  // Parents in earlier months (the first state of the month links to last month's state).
  const missing = new Set<string>();
  for (const o of ops) if (!byState.has(o.prev) && !byVid.has(o.prev)) missing.add(o.prev);
  const missingList = [...missing];
  for (let i = 0; i < missingList.length; i += 500) {
    const part = missingList.slice(i, i + 500);
    const rows = await ledger.query(
      OP_SELECT_D + 'WHERE state_id IN (' + part.map(() => '?').join(', ') + ')',
      part.map((h) => Buffer.from(h, 'hex')),
    );
    for (const r of rows) {
      const o = toOp(r);
      byState.set(o.stateId, o);
    }
  }
  const opKey = (rid: number, seq: number): string => rid + ':' + seq;
  // Sales that refunds point at (for the refund's category); only those are indexed.
  const refunded = new Set<string>();
  for (const o of ops) if (o.kind === LOG_REFUND_PENDING) refunded.add(opKey(o.readerId, o.refSeq));
  const byRecord = new Map<string, OpRow>();
  for (const o of ops) {
    const k = opKey(o.readerId, o.seq);
    if (refunded.has(k)) byRecord.set(k, o);
  }

  const anomalies: Anomaly[] = [];
  const heldOps = new Set<OpRow>();
  const revokedAgg = new Map<number, { count: number; amount: number; first: number; last: number }>();
  const windowAgg = new Map<number, { count: number; amount: number; first: number; last: number }>();
  const agg = (m: Map<number, { count: number; amount: number; first: number; last: number }>, o: OpRow): void => {
    const a = m.get(o.readerId) ?? { count: 0, amount: 0, first: o.seq, last: o.seq };
    a.count++;
    a.amount += o.lastAmount;
    a.first = Math.min(a.first, o.seq);
    a.last = Math.max(a.last, o.seq);
    m.set(o.readerId, a);
  };

  const committed = ops.filter((o) => o.status === OP_COMMITTED);
  const cards = new Map<string, OpRow[]>();
  let unknownVoucherNet = 0;
  for (const o of committed) {
    const p = o.pseudonym;
    const rd = readers.get(o.readerId);
    if (rd && rd.revoked !== null && o.time >= rd.revoked) {
      heldOps.add(o);
      agg(revokedAgg, o);
    } else if (rd && (o.time < rd.nb || o.time >= rd.na)) {
      heldOps.add(o);
      agg(windowAgg, o);
    }
    const v = vouchers.get(p + ':' + o.voucherSerial);
    if (!v) {
      heldOps.add(o);
      unknownVoucherNet += o.lastAmount;
      anomalies.push({
        id: 'BON_INCONNU:' + o.readerId + ':' + o.seq,
        kind: 'BON_INCONNU',
        message: `opération n° ${o.seq} du lecteur n° ${o.readerId} : carte sans bon connu (série ${o.voucherSerial}), ${eur(o.lastAmount)} retenus`,
        readerId: o.readerId,
        pseudonym: p,
        amount: o.lastAmount,
        evidence: { reader: o.readerId, seq: o.seq, state_id: o.stateId },
        confirmed: false,
        held: true,
      });
      continue;
    }
    const list = cards.get(p) ?? [];
    list.push(o);
    cards.set(p, list);
    // The state must follow from its parent by the protocol's rules (SPEC §6, §6.2).
    const parent = byState.get(o.prev) ?? null;
    const fromVoucher = byVid.get(o.prev) === v;
    const problems: string[] = [];
    if (o.stateReader !== o.readerId || o.stateLogSeq !== o.seq) problems.push('lecteur ou numéro de relevé de l’état faux');
    if (o.kind === LOG_SALE_PENDING && o.lastAmount !== o.covered) problems.push('montant de l’état ≠ part couverte');
    if (o.kind === LOG_REFUND_PENDING && o.lastAmount !== -o.amount) problems.push('montant du remboursement faux');
    if (fromVoucher) {
      if (o.cardSeq !== 1) problems.push('premier état sans numéro 1');
      if (o.carried !== carriedForNewState(v, null, month)) problems.push('report faux');
      if (o.spent !== o.lastAmount) problems.push('cumul faux');
    } else if (parent) {
      if (o.cardSeq !== parent.cardSeq + 1) problems.push('numéro d’état non consécutif');
      if (o.carried !== carriedForNewState(v, stateOf(parent), month)) problems.push('report faux');
      const base = parent.month === month ? parent.spent : 0;
      if (o.spent !== base + o.lastAmount) problems.push('cumul faux');
      if (parent.status !== OP_COMMITTED) {
        anomalies.push({
          id: 'ATTENTE_SUR_CARTE:' + parent.readerId + ':' + parent.seq,
          kind: 'ATTENTE_SUR_CARTE',
          message: `la vente n° ${parent.seq} du lecteur n° ${parent.readerId}, jamais validée, a pourtant été écrite sur la carte`,
          readerId: parent.readerId,
          pseudonym: p,
          amount: parent.lastAmount,
          evidence: { reader: parent.readerId, seq: parent.seq, child: { reader: o.readerId, seq: o.seq } },
          confirmed: false,
          held: false,
        });
      }
    } else {
      anomalies.push({
        id: 'CHAINE_CARTE:' + o.readerId + ':' + o.seq,
        kind: 'CHAINE_CARTE_INCOMPLETE',
        message: `l’état précédent de l’opération n° ${o.seq} du lecteur n° ${o.readerId} est absent du registre (journal manquant ?)`,
        readerId: o.readerId,
        pseudonym: p,
        amount: 0,
        evidence: { reader: o.readerId, seq: o.seq, prev: o.prev },
        confirmed: false,
        held: false,
      });
    }
    const alloc = allocationForMonth(v, month);
    if (o.spent < 0 || alloc + o.carried - o.spent < 0) problems.push('solde négatif');
    if (problems.length > 0) {
      heldOps.add(o);
      anomalies.push({
        id: 'ETAT_INCOHERENT:' + o.readerId + ':' + o.seq,
        kind: 'ETAT_INCOHERENT',
        message: `opération n° ${o.seq} du lecteur n° ${o.readerId} : ${problems.join(', ')} ; ${eur(o.lastAmount)} retenus`,
        readerId: o.readerId,
        pseudonym: p,
        amount: o.lastAmount,
        evidence: { reader: o.readerId, seq: o.seq, state_id: o.stateId, problems },
        confirmed: false,
        held: true,
      });
    }
  }
  for (const [rid, a] of revokedAgg) {
    anomalies.push({
      id: 'REVOQUE:' + rid + ':' + a.first,
      kind: 'LECTEUR_REVOQUE',
      message: `le lecteur n° ${rid}, révoqué, a encore enregistré ${a.count} opérations (n° ${a.first} à ${a.last}) : ${eur(a.amount)} retenus pour examen`,
      readerId: rid,
      pseudonym: null,
      amount: a.amount,
      evidence: { reader: rid, revoked_at: readers.get(rid)?.revoked, first_seq: a.first, last_seq: a.last, count: a.count },
      confirmed: false,
      held: true,
    });
  }
  for (const [rid, a] of windowAgg) {
    anomalies.push({
      id: 'HORS_CERTIFICAT:' + rid + ':' + a.first,
      kind: 'HORS_CERTIFICAT',
      message: `le lecteur n° ${rid} a enregistré ${a.count} opérations hors de la validité de son certificat : ${eur(a.amount)} retenus`,
      readerId: rid,
      pseudonym: null,
      amount: a.amount,
      evidence: { reader: rid, first_seq: a.first, last_seq: a.last, count: a.count },
      confirmed: false,
      held: true,
    });
  }
  for (const o of ops) {
    if (o.status !== OP_PENDING) continue;
    anomalies.push({
      id: 'EN_ATTENTE:' + o.readerId + ':' + o.seq,
      kind: 'EN_ATTENTE_SANS_SUITE',
      message: `vente n° ${o.seq} du lecteur n° ${o.readerId} restée en attente, ni validée ni annulée : annulée d’office, ${eur(o.lastAmount)} non payés`,
      readerId: o.readerId,
      pseudonym: o.pseudonym,
      amount: o.lastAmount,
      evidence: { reader: o.readerId, seq: o.seq, state_id: o.stateId },
      confirmed: false,
      held: false,
    });
  }

  // Forks: two committed states with one parent.
  const children = new Map<string, OpRow[]>();
  for (const list of cards.values()) {
    for (const o of list) {
      const c = children.get(o.prev) ?? [];
      c.push(o);
      children.set(o.prev, c);
    }
  }
  const lastTimeBelow = (o: OpRow): number => {
    let t = o.time;
    const stack = [o];
    while (stack.length > 0) {
      const x = stack.pop() as OpRow;
      if (x.time > t) t = x.time;
      for (const c of children.get(x.stateId) ?? []) stack.push(c);
    }
    return t;
  };

  // Per card: available, debited, overspend, unspent.
  let available = 0;
  let debited = 0;
  let overspend = 0;
  let unspent = 0;
  let cardsWithRights = 0;
  const overspendOf = new Map<string, number>();
  const seen = new Set<string>();
  for (const [p, list] of cards) {
    seen.add(p);
    const v = vouchers.get(p + ':' + list[0].voucherSerial) as Voucher;
    let carriedIn = 0;
    for (const o of list) {
      const parent = byState.get(o.prev);
      if (parent && parent.month === month) continue;
      const c = parent ? carriedForNewState(v, stateOf(parent), month) : carriedFromStart(v, month);
      if (c > carriedIn) carriedIn = c;
    }
    const a = allocationForMonth(v, month) + carriedIn;
    const d = list.reduce((s, o) => s + o.lastAmount, 0);
    const over = Math.max(0, d - a);
    available += a;
    debited += d;
    overspend += over;
    unspent += Math.max(0, a - d);
    overspendOf.set(p, over);
    if (a > 0) cardsWithRights++;
  }
  // Cards with rights this month that did not spend: what they could have spent is unspent.
  const idle = [...latest.keys()].filter((p) => !seen.has(p));
  const prevStates = new Map<string, OpRow>();
  if (idle.length > 0) {
    const rows = await ledger.query(OP_SELECT_D + 'WHERE month < ? AND month >= ? AND status = ?', [
      month,
      month - MAX_VALIDITY_MONTHS,
      OP_COMMITTED,
    ]);
    for (const r of rows) {
      const o = toOp(r);
      const p = o.pseudonym;
      const cur = prevStates.get(p);
      if (!cur || cur.cardSeq < o.cardSeq) prevStates.set(p, o);
    }
  }
  for (const p of idle) {
    const v = latest.get(p) as Voucher;
    const prev = prevStates.get(p);
    const a = allocationForMonth(v, month) + (prev ? carriedInto(v, stateOf(prev), month) : carriedFromStart(v, month));
    if (a <= 0) continue;
    available += a;
    unspent += a;
    cardsWithRights++;
  }

  for (const [prev, kids] of children) {
    if (kids.length < 2) continue;
    kids.sort((x, y) => x.time - y.time || x.readerId - y.readerId || x.seq - y.seq);
    const a = kids[0];
    const b = kids[1];
    const clone = lastTimeBelow(a) > b.time;
    const p = a.pseudonym;
    const over = overspendOf.get(p) ?? 0;
    anomalies.push({
      id: 'FOURCHE:' + prev,
      kind: clone ? 'COPIE_DE_CARTE' : 'RETOUR_ARRIERE',
      message:
        (clone
          ? 'carte copiée : deux cartes ont dépensé à partir du même état'
          : 'carte remise dans un état antérieur puis débitée') +
        ` (lecteurs n° ${a.readerId} et ${b.readerId}, ${eur(a.lastAmount)} et ${eur(b.lastAmount)}) ; dépassement ${eur(over)}`,
      readerId: b.readerId,
      pseudonym: p,
      amount: over,
      evidence: {
        parent: prev,
        states: kids.map((k) => ({
          state_id: k.stateId,
          reader: k.readerId,
          seq: k.seq,
          time: k.time,
          amount: k.lastAmount,
          card_seq: k.cardSeq,
        })),
      },
      confirmed: false,
      held: false,
    });
  }

  // Vendors, categories, days.
  const vendorMap = new Map<number, VendorLine & { cardSet: Set<string> }>();
  const catMap = new Map<number, { net: number; cards: Set<string> }>();
  const dayMap = new Map<number, { net: number; cards: Set<string> }>();
  let committedSales = 0;
  let refunds = 0;
  let held = 0;
  for (const o of committed) {
    const rd = readers.get(o.readerId);
    const vid = rd ? rd.vendor : 0;
    const line = vendorMap.get(vid) ?? { vendorId: vid, sales: 0, refunds: 0, held: 0, payable: 0, cards: 0, operations: 0, cardSet: new Set<string>() };
    const p = o.pseudonym;
    if (o.kind === LOG_SALE_PENDING) {
      line.sales += o.covered;
      committedSales += o.covered;
    } else {
      line.refunds += o.amount;
      refunds += o.amount;
    }
    if (heldOps.has(o)) {
      line.held += o.lastAmount;
      held += o.lastAmount;
    }
    line.operations++;
    line.cardSet.add(p);
    vendorMap.set(vid, line);
    const cat = o.kind === LOG_SALE_PENDING ? o.category : (byRecord.get(opKey(o.readerId, o.refSeq))?.category ?? -1);
    const c = catMap.get(cat) ?? { net: 0, cards: new Set<string>() };
    c.net += o.lastAmount;
    c.cards.add(p);
    catMap.set(cat, c);
    const day = localDay(o.time, off);
    const dd = dayMap.get(day) ?? { net: 0, cards: new Set<string>() };
    dd.net += o.lastAmount;
    dd.cards.add(p);
    dayMap.set(day, dd);
  }
  const vendors: VendorLine[] = [...vendorMap.values()]
    .map((l) => ({
      vendorId: l.vendorId,
      sales: l.sales,
      refunds: l.refunds,
      held: l.held,
      payable: l.sales - l.refunds - l.held,
      cards: l.cardSet.size,
      operations: l.operations,
    }))
    .sort((a, b) => a.vendorId - b.vendorId);
  const payable = vendors.reduce((s, l) => s + l.payable, 0);

  // Anomalies recorded at import (holes, rewritten logs, refused files), and confirmations.
  const stored = await ledger.query(
    'SELECT id, kind, reader_id, message, evidence FROM anomalies WHERE resolved_at IS NULL AND kind IN (?, ?, ?) ORDER BY created_at, id',
    [ANOMALY_GAP, ANOMALY_REWRITTEN, ANOMALY_REFUSED],
  );
  for (const r of stored) {
    anomalies.push({
      id: String(r.id),
      kind: String(r.kind),
      message: String(r.message),
      readerId: r.reader_id === null ? null : n(r.reader_id),
      pseudonym: null,
      amount: 0,
      evidence: JSON.parse(String(r.evidence)),
      confirmed: false,
      held: false,
    });
  }
  const conf = new Set((await ledger.query('SELECT anomaly_id FROM confirmations')).map((r) => String(r.anomaly_id)));
  for (const a of anomalies) a.confirmed = conf.has(a.id);

  const salesNet = committedSales - refunds;
  const balanced = available === debited + unspent - overspend && salesNet === payable + held && salesNet === debited + unknownVoucherNet;
  const group = (m: Map<number, { net: number; cards: Set<string> }>): GroupLine[] =>
    [...m.entries()].map(([key, g]) => ({ key, net: g.net, cards: g.cards.size })).sort((a, b) => a.key - b.key);
  return {
    month,
    label: monthLabel(month),
    closed: now >= monthEnd && openReaders.length === 0,
    openReaders,
    cardsWithRights,
    activeCards: cards.size,
    available,
    debited,
    unspent,
    overspend,
    committedSales,
    refunds,
    held,
    payable,
    unknownVoucherNet,
    balanced,
    vendors,
    categories: group(catMap),
    days: group(dayMap),
    anomalies,
  };
}
