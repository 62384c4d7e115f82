// Monthly reconciliation (issue 5 §3): per-card chains of spend states, forks (clones, rollbacks),
// overspend, pending sales never committed, records held for review, and the conservation lines, exact
// to the cent:
//   cards:   allocations available A = debited D + unspent N − overspend O   (per card, then summed)
//   vendors: committed sales − refunds = payable + held                      (per vendor, then summed)
//   both:    committed sales − refunds = D + net of records whose voucher is unknown

import { toHex } from '../../../protocol/src/bytes';
import {
  CARRY_CAPPED,
  openVoucher,
  Voucher,
  allocationForMonth,
} from '../../../protocol/src/structures/voucher';
import {
  SpendState,
  carriedForNewState,
  carriedFromStart,
  carriedInto,
} from '../../../protocol/src/structures/state';
import { LOG_REFUND_PENDING, LOG_SALE_PENDING } from '../../../protocol/src/structures/log';
import { localDay, monthLabel, monthStartTime } from '../../../protocol/src/time';
import { MAX_VALIDITY_MONTHS } from '../../../protocol/src/limits';
import {
  ANOMALY_ALERT,
  ANOMALY_GAP,
  ANOMALY_REFUSED,
  ANOMALY_REWRITTEN,
  Ledger,
  OP_COMMITTED,
  OP_PENDING,
} from './ledger';
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
  const hex = (c: string): string =>
    dialect === 'pg' ? `encode(${c}, 'hex') AS ${c}` : `lower(hex(${c})) AS ${c}`;
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

export async function reconcile(
  ledger: Ledger,
  month: number,
  now = Math.floor(Date.now() / 1000),
): Promise<Reconciliation> {
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
  const readers = new Map<
    number,
    { vendor: number; nb: number; na: number; revoked: number | null; lastCp: number | null }
  >();
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
    const activeInMonth =
      info.nb < monthEnd && info.na > monthStart && (info.revoked === null || info.revoked > monthEnd);
    if (activeInMonth && (info.lastCp === null || info.lastCp < monthEnd)) openReaders.push(id);
  }
  openReaders.sort((a, b) => a - b);

  const OP_SELECT_D = opSelect(ledger.store.dialect);

  // Vouchers by (pseudonym, serial) and by voucher id.
  const vRows = await ledger.query(
    'SELECT envelope, ' +
      (ledger.store.dialect === 'pg' ? "encode(voucher_id, 'hex')" : 'lower(hex(voucher_id))') +
      ' AS vid FROM vouchers',
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

  const anomalies: Anomaly[] = [];
  const revokedAgg = new Map<number, { count: number; amount: number; first: number; last: number }>();
  const windowAgg = new Map<number, { count: number; amount: number; first: number; last: number }>();
  const agg = (
    m: Map<number, { count: number; amount: number; first: number; last: number }>,
    o: OpRow,
  ): void => {
    const a = m.get(o.readerId) ?? { count: 0, amount: 0, first: o.seq, last: o.seq };
    a.count++;
    a.amount += o.lastAmount;
    a.first = Math.min(a.first, o.seq);
    a.last = Math.max(a.last, o.seq);
    m.set(o.readerId, a);
  };

  let available = 0;
  let debited = 0;
  let overspend = 0;
  let unspent = 0;
  let cardsWithRights = 0;
  let activeCards = 0;
  let unknownVoucherNet = 0;
  let committedSales = 0;
  let refunds = 0;
  let held = 0;
  const vendorMap = new Map<number, VendorLine>();
  const catMap = new Map<number, GroupLine>();
  const dayMap = new Map<number, GroupLine>();
  const seen = new Set<string>();

  /**
   * One card's operations of the month (all statuses), with the parents they have in earlier months.
   * Memory stays proportional to one card, whatever the size of the month.
   */
  const card = (p: string, group: OpRow[], outside: Map<string, OpRow>): void => {
    const byState = new Map<string, OpRow>();
    for (const o of group) byState.set(o.stateId, o);
    const parentOf = (o: OpRow): OpRow | null => byState.get(o.prev) ?? outside.get(o.prev) ?? null;
    const committed: OpRow[] = [];
    for (const o of group) {
      if (o.status === OP_COMMITTED) committed.push(o);
      else if (o.status === OP_PENDING) {
        anomalies.push({
          id: 'EN_ATTENTE:' + o.readerId + ':' + o.seq,
          kind: 'EN_ATTENTE_SANS_SUITE',
          message: `vente n° ${o.seq} du lecteur n° ${o.readerId} restée en attente, ni validée ni annulée : annulée d’office, ${eur(o.lastAmount)} non payés`,
          readerId: o.readerId,
          pseudonym: p,
          amount: o.lastAmount,
          evidence: { reader: o.readerId, seq: o.seq, state_id: o.stateId },
          confirmed: false,
          held: false,
        });
      }
    }
    if (committed.length === 0) return;
    const heldHere = new Set<OpRow>();
    const known: OpRow[] = [];
    /** Operations never committed whose state a later state descends from: they reached the card. */
    const reachedCard = new Set<OpRow>();
    let v: Voucher | null = null;
    for (const o of committed) {
      const rd = readers.get(o.readerId);
      if (rd && rd.revoked !== null && o.time >= rd.revoked) {
        heldHere.add(o);
        agg(revokedAgg, o);
      } else if (rd && (o.time < rd.nb || o.time >= rd.na)) {
        heldHere.add(o);
        agg(windowAgg, o);
      }
      const vo = vouchers.get(p + ':' + o.voucherSerial);
      if (!vo) {
        heldHere.add(o);
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
      if (!v) v = vo;
      known.push(o);
      // The state must follow from its parent by the protocol's rules (SPEC §6, §6.2).
      const parent = parentOf(o);
      const fromVoucher = byVid.get(o.prev) === vo;
      const problems: string[] = [];
      if (o.stateReader !== o.readerId || o.stateLogSeq !== o.seq)
        problems.push('lecteur ou numéro de relevé de l’état faux');
      if (o.kind === LOG_SALE_PENDING && o.lastAmount !== o.covered)
        problems.push('montant de l’état ≠ part couverte');
      if (o.kind === LOG_REFUND_PENDING && o.lastAmount !== -o.amount)
        problems.push('montant du remboursement faux');
      if (fromVoucher) {
        if (o.cardSeq !== 1) problems.push('premier état sans numéro 1');
        if (o.carried !== carriedForNewState(vo, null, month)) problems.push('report faux');
        if (o.spent !== o.lastAmount) problems.push('cumul faux');
      } else if (parent) {
        if (o.cardSeq !== parent.cardSeq + 1) problems.push('numéro d’état non consécutif');
        if (o.carried !== carriedForNewState(vo, stateOf(parent), month)) problems.push('report faux');
        const base = parent.month === month ? parent.spent : 0;
        if (o.spent !== base + o.lastAmount) problems.push('cumul faux');
        if (parent.status !== OP_COMMITTED) {
          reachedCard.add(parent);
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
      if (o.spent < 0 || allocationForMonth(vo, month) + o.carried - o.spent < 0)
        problems.push('solde négatif');
      if (problems.length > 0) {
        heldHere.add(o);
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

    // Card side: available, debited, overspend, unspent.
    let over = 0;
    if (v && known.length > 0) {
      // Cards without a committed operation of a known voucher are counted with the idle ones below.
      seen.add(p);
      activeCards++;
      let carriedIn = 0;
      for (const o of known) {
        const parent = parentOf(o);
        if (parent && parent.month === month) continue;
        const c = parent ? carriedForNewState(v, stateOf(parent), month) : carriedFromStart(v, month);
        if (c > carriedIn) carriedIn = c;
      }
      const a = allocationForMonth(v, month) + carriedIn;
      let d = 0;
      for (const o of known) d += o.lastAmount;
      over = Math.max(0, d - a);
      available += a;
      debited += d;
      overspend += over;
      unspent += Math.max(0, a - d);
      if (a > 0) cardsWithRights++;
    }

    // Forks: two states with one parent, each committed or shown by a descendant to have reached a card
    // (a voided sale whose state a clone went on spending from is a branch too: SPEC §14.6).
    const children = new Map<string, OpRow[]>();
    // (known holds committed operations only, reachedCard never-committed ones: no operation twice.)
    for (const o of known.concat([...reachedCard])) {
      const c = children.get(o.prev);
      if (c) c.push(o);
      else children.set(o.prev, [o]);
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
    for (const [prev, kids] of children) {
      if (kids.length < 2) continue;
      kids.sort((x, y) => x.time - y.time || x.readerId - y.readerId || x.seq - y.seq);
      const a = kids[0];
      const b = kids[1];
      const clone = lastTimeBelow(a) > b.time;
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

    // Vendor side, categories, days: this card counts once in each group it appears in.
    const vendorsHere = new Set<number>();
    const catsHere = new Set<number>();
    const daysHere = new Set<number>();
    const bySeq = new Map<string, OpRow>();
    for (const o of group) bySeq.set(o.readerId + ':' + o.seq, o);
    for (const o of committed) {
      const rd = readers.get(o.readerId);
      const vid = rd ? rd.vendor : 0;
      let line = vendorMap.get(vid);
      if (!line) {
        line = { vendorId: vid, sales: 0, refunds: 0, held: 0, payable: 0, cards: 0, operations: 0 };
        vendorMap.set(vid, line);
      }
      if (o.kind === LOG_SALE_PENDING) {
        line.sales += o.covered;
        committedSales += o.covered;
      } else {
        line.refunds += o.amount;
        refunds += o.amount;
      }
      if (heldHere.has(o)) {
        line.held += o.lastAmount;
        held += o.lastAmount;
      }
      line.operations++;
      if (!vendorsHere.has(vid)) {
        vendorsHere.add(vid);
        line.cards++;
      }
      // A refund cancels the card's last sale at the same reader: it belongs to that sale's category.
      const cat =
        o.kind === LOG_SALE_PENDING ? o.category : (bySeq.get(o.readerId + ':' + o.refSeq)?.category ?? -1);
      let c = catMap.get(cat);
      if (!c) {
        c = { key: cat, net: 0, cards: 0 };
        catMap.set(cat, c);
      }
      c.net += o.lastAmount;
      if (!catsHere.has(cat)) {
        catsHere.add(cat);
        c.cards++;
      }
      const day = localDay(o.time, off);
      let dd = dayMap.get(day);
      if (!dd) {
        dd = { key: day, net: 0, cards: 0 };
        dayMap.set(day, dd);
      }
      dd.net += o.lastAmount;
      if (!daysHere.has(day)) {
        daysHere.add(day);
        dd.cards++;
      }
    }
  };

  // One pass over the month, card by card. Each operation comes with its parent when that parent is a
  // state of an earlier month (the first state of the month links to last month's last state).
  const hex = (c: string): string =>
    ledger.store.dialect === 'pg' ? `encode(${c}, 'hex')` : `lower(hex(${c}))`;
  const cols =
    `o.reader_id, o.seq, o.kind, o.time, o.month, ${hex('o.pseudonym')} AS pseudonym, ${hex('o.state_id')} AS state_id, ` +
    `${hex('o.prev')} AS prev, o.card_seq, o.voucher_serial, o.carried, o.spent, o.last_amount, o.amount, o.covered, o.category, ` +
    'o.ref_seq, o.state_log_seq, o.state_reader, o.status, p.reader_id AS p_reader_id, p.seq AS p_seq, p.kind AS p_kind, ' +
    'p.time AS p_time, p.month AS p_month, p.card_seq AS p_card_seq, p.voucher_serial AS p_voucher_serial, p.carried AS p_carried, ' +
    'p.spent AS p_spent, p.last_amount AS p_last_amount, p.amount AS p_amount, p.covered AS p_covered, p.category AS p_category, ' +
    'p.ref_seq AS p_ref_seq, p.state_log_seq AS p_state_log_seq, p.state_reader AS p_state_reader, p.status AS p_status';
  let curP = '';
  let group: OpRow[] = [];
  let outside = new Map<string, OpRow>();
  await ledger.each(
    `SELECT ${cols} FROM ops o LEFT JOIN ops p ON p.state_id = o.prev AND p.month < o.month ` +
      'WHERE o.month = ? ORDER BY o.pseudonym, o.card_seq, o.reader_id, o.seq',
    [month],
    (r) => {
      const o = toOp(r);
      if (o.pseudonym !== curP) {
        if (group.length > 0) card(curP, group, outside);
        curP = o.pseudonym;
        group = [];
        outside = new Map();
      }
      group.push(o);
      if (r.p_seq !== null && r.p_seq !== undefined) {
        outside.set(o.prev, {
          readerId: n(r.p_reader_id),
          seq: n(r.p_seq),
          kind: n(r.p_kind),
          time: n(r.p_time),
          month: n(r.p_month),
          pseudonym: o.pseudonym,
          stateId: o.prev,
          prev: '',
          cardSeq: n(r.p_card_seq),
          voucherSerial: n(r.p_voucher_serial),
          carried: n(r.p_carried),
          spent: n(r.p_spent),
          lastAmount: n(r.p_last_amount),
          amount: n(r.p_amount),
          covered: n(r.p_covered),
          category: n(r.p_category),
          refSeq: n(r.p_ref_seq),
          stateLogSeq: n(r.p_state_log_seq),
          stateReader: n(r.p_state_reader),
          status: n(r.p_status),
        });
      }
    },
  );
  if (group.length > 0) card(curP, group, outside);

  for (const [rid, a] of revokedAgg) {
    anomalies.push({
      id: 'REVOQUE:' + rid + ':' + a.first,
      kind: 'LECTEUR_REVOQUE',
      message: `le lecteur n° ${rid}, révoqué, a encore enregistré ${a.count} opérations (n° ${a.first} à ${a.last}) : ${eur(a.amount)} retenus pour examen`,
      readerId: rid,
      pseudonym: null,
      amount: a.amount,
      evidence: {
        reader: rid,
        revoked_at: readers.get(rid)?.revoked,
        first_seq: a.first,
        last_seq: a.last,
        count: a.count,
      },
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

  // Cards with rights this month that did not spend: what they could have spent is unspent. Only
  // carry-over vouchers need their last state (SPEC §6.2): looked up month by month backwards on the
  // (month, pseudonym, card_seq) index, at most MAX_VALIDITY_MONTHS look-ups per such card.
  const lastStateSql =
    OP_SELECT_D + 'WHERE month = ? AND pseudonym = ? AND status = ? ORDER BY card_seq DESC LIMIT 1';
  for (const [p, v] of latest) {
    if (seen.has(p)) continue;
    let carried = 0;
    if (v.carry.kind === CARRY_CAPPED) {
      let last: OpRow | null = null;
      for (let mm = month - 1; mm >= Math.max(v.startMonth, month - MAX_VALIDITY_MONTHS) && !last; mm--) {
        const rows = await ledger.query(lastStateSql, [mm, Buffer.from(p, 'hex'), OP_COMMITTED]);
        if (rows.length > 0) last = toOp(rows[0]);
      }
      carried = last ? carriedInto(v, stateOf(last), month) : carriedFromStart(v, month);
    }
    const a = allocationForMonth(v, month) + carried;
    if (a <= 0) continue;
    available += a;
    unspent += a;
    cardsWithRights++;
  }

  const vendors: VendorLine[] = [...vendorMap.values()]
    .map((l) => Object.assign(l, { payable: l.sales - l.refunds - l.held }))
    .sort((a, b) => a.vendorId - b.vendorId);
  const payable = vendors.reduce((s, l) => s + l.payable, 0);
  // Anomalies in a stable order: by kind, then reference.
  anomalies.sort((a, b) =>
    a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );

  // Anomalies recorded at import (holes, rewritten logs, refused files), and confirmations.
  const stored = await ledger.query(
    'SELECT id, kind, reader_id, message, evidence FROM anomalies WHERE resolved_at IS NULL AND ' +
      '(kind IN (?, ?, ?) OR (kind = ? AND month = ?)) ORDER BY created_at, id',
    [ANOMALY_GAP, ANOMALY_REWRITTEN, ANOMALY_REFUSED, ANOMALY_ALERT, month],
  );
  for (const r of stored) {
    const ev = JSON.parse(String(r.evidence)) as { pseudonym?: string | null };
    anomalies.push({
      id: String(r.id),
      kind: String(r.kind),
      message: String(r.message),
      readerId: r.reader_id === null ? null : n(r.reader_id),
      pseudonym: typeof ev.pseudonym === 'string' ? ev.pseudonym : null,
      amount: 0,
      evidence: ev,
      confirmed: false,
      held: false,
    });
  }
  const conf = new Set(
    (await ledger.query('SELECT anomaly_id FROM confirmations')).map((r) => String(r.anomaly_id)),
  );
  for (const a of anomalies) a.confirmed = conf.has(a.id);

  const salesNet = committedSales - refunds;
  const balanced =
    available === debited + unspent - overspend &&
    salesNet === payable + held &&
    salesNet === debited + unknownVoucherNet;
  const sorted = (m: Map<number, GroupLine>): GroupLine[] => [...m.values()].sort((a, b) => a.key - b.key);
  return {
    month,
    label: monthLabel(month),
    closed: now >= monthEnd && openReaders.length === 0,
    openReaders,
    cardsWithRights,
    activeCards,
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
    categories: sorted(catMap),
    days: sorted(dayMap),
    anomalies,
  };
}
