// The invariant checks (codes in invariants.ts). Card checks run after every tap, ledger checks after
// every reconciliation (end of each market day, and at the end). Expectations come from the model the
// world keeps (records read from the readers' flash, card images, the adversary's own actions); the ledger
// is only ever compared against it.

import { toHex } from '../../../protocol/src/bytes';
import { LOG_SALE_PENDING } from '../../../protocol/src/structures/log';
import { reconcile, Reconciliation } from '../../../host/src/ledger/reconcile';
import { CardMemory } from '../card-memory';
import { CARD_DAY_CAP, ModelOp, SIM_MONTH, SimCard, SimReader, World } from './world';

/** Largest chain a card can have in one run (a guard against a cycle in a corrupted model). */
const MAX_CHAIN = 100000;

/**
 * (a), (b) on one physical card: its current state descends, op by op, from its voucher through states a
 * reader logged; its total is the sum of that chain; and for a card that was never copied, rolled back or
 * used at a stolen reader, every committed operation of its pseudonym is on that chain.
 */
export function checkCard(w: World, sc: SimCard, phys: CardMemory): void {
  const cur = w.cardCurrent(phys);
  const committed: ModelOp[] = [];
  for (const op of w.ops.values()) if (op.pseudonym === sc.pseudonym && op.status === 1) committed.push(op);
  if (cur === null) {
    if (!sc.tainted && committed.length > 0)
      w.find(
        'VALIDATION_SANS_CARTE',
        `carte ${sc.index} : aucun état valide alors que ${committed.length} opération(s) sont validées`,
      );
    return;
  }
  const chain = new Set<ModelOp>();
  let id = cur.id;
  let sum = 0;
  for (let n = 0; id !== sc.voucherIdHex; n++) {
    const op = w.byState.get(id);
    if (op === undefined || n > MAX_CHAIN) {
      w.find(
        'CARTE_SANS_JOURNAL',
        `carte ${sc.index} : état ${id.slice(0, 16)} (${n} avant l’état courant n° ${cur.cardSeq}) absent de tout journal`,
      );
      return;
    }
    if (op.status === 0) {
      const r = w.readers.find((x) => x.id === op.readerId);
      const open = r === undefined ? null : r.sim.reader.core.run.pending;
      if (open === null || open.seq !== op.seq)
        w.find(
          'CONSERVATION_CARTE',
          `carte ${sc.index} : l’opération ${op.readerId}:${op.seq} sur la carte est en attente sans lecteur qui l’attende`,
        );
    }
    chain.add(op);
    sum += op.lastAmount;
    id = op.prev;
  }
  if (sum !== cur.spent)
    w.find(
      'CONSERVATION_CARTE',
      `carte ${sc.index} : cumul ${cur.spent} c sur la carte, somme de sa chaîne ${sum} c`,
    );
  if (cur.spent > sc.allocation)
    w.find(
      'CONSERVATION_CARTE',
      `carte ${sc.index} : cumul ${cur.spent} c au-delà du droit ${sc.allocation} c`,
    );
  if (!sc.tainted)
    for (const op of committed)
      if (!chain.has(op))
        w.find(
          'VALIDATION_SANS_CARTE',
          `carte ${sc.index} : l’opération validée ${op.readerId}:${op.seq} (${op.lastAmount} c) n’est pas sur la carte`,
        );
}

/** The ops the ledger must hold as committed: commit record pulled and imported. */
function importedCommitted(w: World, op: ModelOp): boolean {
  const r = w.readers.find((x) => x.id === op.readerId);
  return r !== undefined && op.status === 1 && op.closeSeq <= r.model.imported;
}

function heldByRevocation(w: World, op: ModelOp): boolean {
  const at = w.revokedAt.get(op.readerId);
  return at !== undefined && op.time >= at;
}

export interface ModelFigures {
  available: number;
  debited: number;
  overspend: number;
  unspent: number;
  committedSales: number;
  refunds: number;
  held: number;
  payable: number;
  vendors: Map<number, number>;
}

/** What the reconciliation must say, from the model alone (SPEC §14.6 definitions). */
export function modelFigures(w: World): ModelFigures {
  const f: ModelFigures = {
    available: 0,
    debited: 0,
    overspend: 0,
    unspent: 0,
    committedSales: 0,
    refunds: 0,
    held: 0,
    payable: 0,
    vendors: new Map(),
  };
  const dByP = new Map<string, number>();
  for (const op of w.ops.values()) {
    if (!importedCommitted(w, op)) continue;
    dByP.set(op.pseudonym, (dByP.get(op.pseudonym) ?? 0) + op.lastAmount);
    const vendor = (w.readers.find((x) => x.id === op.readerId) as { vendorId: number }).vendorId;
    let pay = op.lastAmount;
    if (op.kind === LOG_SALE_PENDING) f.committedSales += op.covered;
    else f.refunds += op.amount;
    if (heldByRevocation(w, op)) {
      f.held += op.lastAmount;
      pay = 0;
    }
    f.vendors.set(vendor, (f.vendors.get(vendor) ?? 0) + pay);
    f.payable += pay;
  }
  for (const sc of w.cards) {
    const a = sc.allocation;
    const d = dByP.get(sc.pseudonym) ?? 0;
    f.available += a;
    f.debited += d;
    f.overspend += Math.max(0, d - a);
    f.unspent += Math.max(0, a - d);
  }
  return f;
}

/**
 * States by parent, each a branch on some card: the committed ops that `counts` accepts, and the ops that
 * `visible` accepts which were voided or left pending but have such a committed descendant (their state
 * was on a card, since a reader built on it).
 */
function branches(
  w: World,
  counts: (op: ModelOp) => boolean,
  visible: (op: ModelOp) => boolean,
): Map<string, ModelOp[]> {
  const members = new Set<ModelOp>();
  for (const op of w.ops.values()) {
    if (!counts(op)) continue;
    members.add(op);
    let x = w.byState.get(op.prev);
    for (let n = 0; x !== undefined && x.status !== 1 && !members.has(x) && n < MAX_CHAIN; n++) {
      if (!visible(x)) break;
      members.add(x);
      x = w.byState.get(x.prev);
    }
  }
  const out = new Map<string, ModelOp[]>();
  for (const op of members) {
    const c = out.get(op.prev);
    if (c === undefined) out.set(op.prev, [op]);
    else c.push(op);
  }
  return out;
}

/**
 * (e) for one reader, run after each of its pulls and at each reconciliation: the ledger holds records
 * 1 … imported exactly once each, byte for byte those the reader wrote (acknowledged ones included).
 */
export async function checkRecords(w: World, r: SimReader): Promise<void> {
  const rows = await w.ledger.query('SELECT seq, bytes FROM records WHERE reader_id = ? ORDER BY seq', [
    r.id,
  ]);
  for (const row of rows) {
    const seq = Number(row.seq);
    const mine = r.model.records[seq - 1];
    if (mine === undefined || mine === null || toHex(mine) !== toHex(row.bytes as Uint8Array))
      w.find('REGISTRE_RELEVES', `lecteur ${r.id} : relevé ${seq} du registre différent de celui du lecteur`);
  }
  if (rows.length !== r.model.imported)
    w.find(
      'REGISTRE_RELEVES',
      `lecteur ${r.id} : ${rows.length} relevés au registre, ${r.model.imported} tirés`,
    );
}

/** Reconciles the month and checks (a)-(e) against the model. Returns the reconciliation. */
export async function checkLedger(w: World): Promise<Reconciliation> {
  const rec = await reconcile(w.ledger, SIM_MONTH, w.now);
  const f = modelFigures(w);

  // (a) conservation, to the cent, and the ledger's own balance.
  const diffs: string[] = [];
  const cmp = (name: string, ledger: number, model: number): void => {
    if (ledger !== model) diffs.push(`${name} registre ${ledger} c, modèle ${model} c`);
  };
  cmp('droits', rec.available, f.available);
  cmp('débité', rec.debited, f.debited);
  cmp('dépassement', rec.overspend, f.overspend);
  cmp('non dépensé', rec.unspent, f.unspent);
  cmp('ventes', rec.committedSales, f.committedSales);
  cmp('remboursements', rec.refunds, f.refunds);
  cmp('retenu', rec.held, f.held);
  if (!rec.balanced) diffs.push('le registre se dit non équilibré');
  if (diffs.length > 0) w.find('CONSERVATION_REGISTRE', diffs.join(' ; '));

  // (b) no vendor paid beyond its committed records; every committed op in the ledger is one of ours.
  const vendorIds = new Set<number>([...f.vendors.keys(), ...rec.vendors.map((v) => v.vendorId)]);
  for (const vid of vendorIds) {
    const line = rec.vendors.find((v) => v.vendorId === vid);
    const got = line === undefined ? 0 : line.payable;
    const want = f.vendors.get(vid) ?? 0;
    if (got > want)
      w.find('PAYE_SANS_VALIDATION', `commerçant ${vid} : ${got} c à payer, ${want} c d’opérations validées`);
    else if (got !== want)
      w.find('CONSERVATION_REGISTRE', `commerçant ${vid} : ${got} c à payer, modèle ${want} c`);
  }
  const rows = await w.ledger.query('SELECT reader_id, seq, status, last_amount FROM ops');
  const inLedger = new Set<string>();
  for (const row of rows) {
    const key = Number(row.reader_id) + ':' + Number(row.seq);
    if (Number(row.status) !== 1) continue;
    inLedger.add(key);
    const op = w.ops.get(key);
    if (op === undefined || !importedCommitted(w, op) || op.lastAmount !== Number(row.last_amount))
      w.find('PAYE_SANS_VALIDATION', `opération ${key} validée au registre sans relevé validé correspondant`);
  }
  for (const [key, op] of w.ops)
    if (importedCommitted(w, op) && !inLedger.has(key))
      w.find(
        'VALIDATION_ABSENTE',
        `opération ${key} (${op.lastAmount} c) validée et relevée, absente du registre`,
      );

  // (e) the ledger holds exactly the records the readers wrote, once each, up to what was imported.
  for (const r of w.readers) await checkRecords(w, r);

  // (c) every fork among the pulled operations is reported. A branch is a committed state, or a state
  // voided (or left pending) by its reader that nevertheless reached the card: a committed state
  // descends from it (a clone's first sale torn and abandoned, then the clone spent on from it).
  const kinds = new Map<string, string>();
  for (const a of rec.anomalies) kinds.set(a.id, a.kind);
  const children = new Map<string, ModelOp[]>();
  for (const op of w.ops.values()) {
    if (!importedCommitted(w, op)) continue;
    const c = children.get(op.prev);
    if (c === undefined) children.set(op.prev, [op]);
    else c.push(op);
  }
  const pulled = (op: ModelOp): boolean => {
    const r = w.readers.find((x) => x.id === op.readerId);
    return r !== undefined && op.seq <= r.model.imported;
  };
  for (const [prev, kids] of branches(w, importedCommitted.bind(null, w), pulled)) {
    if (kids.length < 2) continue;
    const k = kinds.get('FOURCHE:' + prev);
    if (k !== 'COPIE_DE_CARTE' && k !== 'RETOUR_ARRIERE') {
      const viaVoid = kids.some((o) => o.status !== 1);
      w.find(
        'FOURCHE_NON_DETECTEE',
        `état ${prev.slice(0, 16)} : ${kids.length} suites sur des cartes (${kids.map((o) => o.readerId + ':' + o.seq + (o.status === 1 ? '' : ' annulée mais écrite')).join(', ')})` +
          (viaVoid ? ' — le rapprochement ne compte que les suites validées (SPEC §14.6)' : ''),
      );
    }
  }
  // The day each pseudonym's first fork began, from everything on the cards (pulled or not: a branch
  // still on a reader that was not pulled, a stolen one, is spending all the same).
  const forkDay = new Map<string, number>();
  for (const kids of branches(
    w,
    (op) => op.status === 1,
    () => true,
  ).values()) {
    if (kids.length < 2) continue;
    const sorted = kids.slice().sort((a, b) => a.time - b.time);
    const day = w.dayOf(sorted[1].time);
    const p = kids[0].pseudonym;
    forkDay.set(p, Math.min(forkDay.get(p) ?? day, day));
  }
  for (const op of w.ops.values()) {
    const r = w.readers.find((x) => x.id === op.readerId);
    if (op.status !== 2 || r === undefined || op.closeSeq > r.model.imported) continue;
    const kids = children.get(op.stateId);
    if (
      kids !== undefined &&
      kids.length > 0 &&
      !kinds.has('ATTENTE_SUR_CARTE:' + op.readerId + ':' + op.seq)
    )
      w.find('ATTENTE_NON_SIGNALEE', `opération ${op.readerId}:${op.seq} annulée, mais suivie sur la carte`);
  }

  // (d) overspend for a pseudonym ≤ cap × Σ over readers of the market days it could still be spent there
  // after the fork began (≤ readers × days to blocklist × per-card-day cap). Without a fork: none at all.
  const dByP = new Map<string, number>();
  for (const op of w.ops.values())
    if (importedCommitted(w, op)) dByP.set(op.pseudonym, (dByP.get(op.pseudonym) ?? 0) + op.lastAmount);
  for (const sc of w.cards) {
    const over = (dByP.get(sc.pseudonym) ?? 0) - sc.allocation;
    if (over <= 0) continue;
    const fd = forkDay.get(sc.pseudonym);
    let bound = 0;
    if (fd !== undefined) {
      const blocked = w.blockedFrom.get(sc.pseudonym);
      for (const r of w.readers) {
        const until = blocked === undefined ? undefined : blocked.get(r.id);
        bound += Math.max(0, (until === undefined ? w.opts.days : until) - fd);
      }
      bound *= CARD_DAY_CAP;
    }
    if (over > bound)
      w.find(
        'DEPASSEMENT_BORNE',
        `carte ${sc.index} : dépassement ${over} c, borne ${bound} c` +
          (fd === undefined ? ' (sans fourche)' : ` (fourche le jour ${fd + 1})`),
      );
  }
  return rec;
}

/** Forked pseudonyms the reconciliation reports: the treasurer blocks them (SPEC §13). */
export function forkedPseudonyms(rec: Reconciliation): string[] {
  const out = new Set<string>();
  for (const a of rec.anomalies)
    if ((a.kind === 'COPIE_DE_CARTE' || a.kind === 'RETOUR_ARRIERE') && a.pseudonym !== null)
      out.add(a.pseudonym);
  return [...out].sort();
}

export function hexOf(b: Uint8Array): string {
  return toHex(b);
}
