// What the treasurer takes out of the ledger besides the HTML report: the vendors file (kept by the
// treasurer, never on a reader), CSV for accounting in French spreadsheet conventions, SEPA payment
// batches and their re-import, anomaly confirmations and the next signed blocklist.

import { bytesEqual, compareBytes, fromHex, toHex } from '../../../protocol/src/bytes';
import { hostSigner, sha256Host } from '../../../protocol/src/node/ed25519';
import { Blocklist, openBlocklist, signBlocklist } from '../../../protocol/src/structures/config';
import { keyId, ROLE_OPERATOR } from '../../../protocol/src/structures/keys';
import { LOG_SALE_PENDING } from '../../../protocol/src/structures/log';
import { civilFromDays, localDay, monthLabel } from '../../../protocol/src/time';
import { MAX_BLOCKLIST_ENTRIES } from '../../../protocol/src/limits';
import { applyRevocations, Ledger, OP_COMMITTED, OP_PENDING, OP_VOIDED, Refusal } from './ledger';
import { Anomaly, reconcile, Reconciliation } from './reconcile';
import { bicValid, ibanValid, normalizeIban, painXml, readPainSummary, SepaTransfer } from './sepa';

/**
 * PostgreSQL advisory lock keys serialising payment batches and blocklists between treasurers (negative:
 * reader ids, used as lock keys by imports, are positive).
 */
export const PAYMENTS_LOCK = -1;
export const BLOCKLIST_LOCK = -2;

// ------------------------------------------------------------------------------------- vendors file

export interface VendorInfo {
  vendorId: number;
  name: string;
  iban: string;
  bic: string;
}

export interface VendorsFile {
  fund: { name: string; iban: string; bic: string };
  categories: Map<number, string>;
  vendors: Map<number, VendorInfo>;
}

/**
 * Reads the treasurer's vendors file (JSON, see protocol/SPEC.md §14.3): the caisse's own account, category
 * labels, and each vendor's name, IBAN and BIC. Every IBAN is checked (mod 97) before anything is paid.
 */
export function parseVendors(text: string): { ok: true; value: VendorsFile } | Refusal {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return {
      ok: false,
      code: 'VENDEURS_ILLISIBLE',
      message: 'fichier des commerçants illisible (JSON attendu)',
    };
  }
  const o = j as {
    caisse?: { nom?: unknown; iban?: unknown; bic?: unknown };
    categories?: Record<string, unknown>;
    vendeurs?: unknown;
  };
  const bad = (m: string): Refusal => ({
    ok: false,
    code: 'VENDEURS_INVALIDE',
    message: 'fichier des commerçants : ' + m,
  });
  const c = o.caisse;
  if (!c || typeof c.nom !== 'string' || typeof c.iban !== 'string' || typeof c.bic !== 'string') {
    return bad('section « caisse » (nom, iban, bic) manquante');
  }
  if (!ibanValid(c.iban)) return bad('IBAN de la caisse invalide (clé mod 97)');
  if (!bicValid(c.bic)) return bad('BIC de la caisse invalide');
  const categories = new Map<number, string>();
  for (const [k, v] of Object.entries(o.categories ?? {})) {
    if (typeof v === 'string' && /^[0-9]{1,3}$/.test(k)) categories.set(Number(k), v);
  }
  if (!Array.isArray(o.vendeurs)) return bad('liste « vendeurs » manquante');
  const vendors = new Map<number, VendorInfo>();
  for (const v of o.vendeurs as Record<string, unknown>[]) {
    const id = v.vendor_id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) return bad('vendor_id entier attendu');
    if (typeof v.nom !== 'string' || typeof v.iban !== 'string' || typeof v.bic !== 'string') {
      return bad('commerçant n° ' + id + ' : nom, iban et bic attendus');
    }
    if (!ibanValid(v.iban)) return bad('commerçant n° ' + id + ' : IBAN invalide (clé mod 97)');
    if (!bicValid(v.bic)) return bad('commerçant n° ' + id + ' : BIC invalide');
    if (vendors.has(id)) return bad('commerçant n° ' + id + ' en double');
    vendors.set(id, { vendorId: id, name: v.nom, iban: normalizeIban(v.iban), bic: v.bic });
  }
  return {
    ok: true,
    value: { fund: { name: c.nom, iban: normalizeIban(c.iban), bic: c.bic }, categories, vendors },
  };
}

// --------------------------------------------------------------------------------------------- CSV

/** Cents in French spreadsheet style: "1234,50" (no thousands separator, so it stays a number). */
export function csvMoney(c: number): string {
  const neg = c < 0;
  const a = Math.abs(c);
  return (neg ? '-' : '') + Math.floor(a / 100) + ',' + String(a % 100).padStart(2, '0');
}

function csvCell(s: string | number): string {
  const t = String(s);
  return /[;"\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
}

/** UTF-8 BOM (Excel opens the file as UTF-8), `;` separators, CRLF lines (RFC 4180). */
export function csvText(rows: (string | number)[][]): string {
  return '\ufeff' + rows.map((r) => r.map(csvCell).join(';')).join('\r\n') + '\r\n';
}

export function monthCsv(rec: Reconciliation, vendors: VendorsFile | null): string {
  const rows: (string | number)[][] = [
    [
      'Mois',
      'N° commerçant',
      'Commerçant',
      'Ventes validées',
      'Remboursements',
      'Retenu pour examen',
      'À payer',
      'Opérations',
    ],
  ];
  for (const v of rec.vendors) {
    rows.push([
      rec.label,
      v.vendorId,
      vendors?.vendors.get(v.vendorId)?.name ?? '',
      csvMoney(v.sales),
      csvMoney(v.refunds),
      csvMoney(v.held),
      csvMoney(v.payable),
      v.operations,
    ]);
  }
  rows.push([
    rec.label,
    '',
    'Total',
    csvMoney(rec.committedSales),
    csvMoney(rec.refunds),
    csvMoney(rec.held),
    csvMoney(rec.payable),
    '',
  ]);
  return csvText(rows);
}

function dateTime(t: number, off: number): [string, string] {
  const d = civilFromDays(localDay(t, off));
  const s = (((t + off * 60) % 86400) + 86400) % 86400;
  const p = (x: number): string => String(x).padStart(2, '0');
  return [
    p(d.day) + '/' + p(d.month) + '/' + d.year,
    p(Math.floor(s / 3600)) + ':' + p(Math.floor((s % 3600) / 60)),
  ];
}

/** One vendor's statement for a month: every operation of its readers, with its status. */
export async function vendorCsv(
  ledger: Ledger,
  rec: Reconciliation,
  vendorId: number,
  vendors: VendorsFile | null,
): Promise<string> {
  const fund = await ledger.fund();
  const off = fund ? fund.utcOffsetMin : 0;
  const heldIds = new Set<string>();
  const rows0 = await ledger.query(
    'SELECT o.reader_id, o.seq, o.kind, o.time, o.amount, o.covered, o.category, o.status FROM ops o JOIN readers r ON r.reader_id = o.reader_id ' +
      'WHERE o.month = ? AND r.vendor_id = ? ORDER BY o.time, o.reader_id, o.seq',
    [rec.month, vendorId],
  );
  const revoked = await ledger.query(
    'SELECT reader_id, revoked_at, not_before, not_after FROM readers WHERE vendor_id = ?',
    [vendorId],
  );
  const rinfo = new Map(revoked.map((r) => [Number(r.reader_id), r]));
  for (const a of rec.anomalies)
    if (a.held && a.kind === 'ETAT_INCOHERENT') heldIds.add(a.id.slice('ETAT_INCOHERENT:'.length));
  const name = vendors?.vendors.get(vendorId)?.name ?? '';
  const rows: (string | number)[][] = [
    ['Relevé du commerçant n° ' + vendorId + (name ? ' — ' + name : ''), 'Mois ' + rec.label],
    [
      'Date',
      'Heure',
      'Lecteur',
      'N° de relevé',
      'Opération',
      'Catégorie',
      'Montant du ticket',
      'Part de la caisse',
      'Statut',
    ],
  ];
  for (const r of rows0) {
    const [d, h] = dateTime(Number(r.time), off);
    const sale = Number(r.kind) === LOG_SALE_PENDING;
    const st = Number(r.status);
    const ri = rinfo.get(Number(r.reader_id));
    const t = Number(r.time);
    const isHeld =
      st === OP_COMMITTED &&
      (heldIds.has(r.reader_id + ':' + r.seq) ||
        (ri !== undefined && ri.revoked_at !== null && t >= Number(ri.revoked_at)) ||
        (ri !== undefined && (t < Number(ri.not_before) || t >= Number(ri.not_after))));
    const status = isHeld
      ? 'retenu pour examen'
      : st === OP_COMMITTED
        ? 'validé'
        : st === OP_VOIDED
          ? 'annulé'
          : st === OP_PENDING
            ? 'en attente (non payé)'
            : '?';
    const cat = Number(r.category);
    rows.push([
      d,
      h,
      Number(r.reader_id),
      Number(r.seq),
      sale ? 'vente' : 'remboursement',
      cat >= 0 ? (vendors?.categories.get(cat) ?? 'catégorie ' + cat) : '',
      sale ? csvMoney(Number(r.amount)) : '',
      csvMoney(sale ? Number(r.covered) : -Number(r.amount)),
      status,
    ]);
  }
  const v = rec.vendors.find((x) => x.vendorId === vendorId);
  rows.push([]);
  rows.push(['Ventes validées', csvMoney(v ? v.sales : 0)]);
  rows.push(['Remboursements', csvMoney(v ? v.refunds : 0)]);
  rows.push(['Retenu pour examen', csvMoney(v ? v.held : 0)]);
  rows.push(['À payer', csvMoney(v ? v.payable : 0)]);
  return csvText(rows);
}

// -------------------------------------------------------------------------------------------- SEPA

function notClosed(rec: Reconciliation): Refusal {
  return {
    ok: false,
    code: 'MOIS_NON_CLOS',
    message:
      'le mois ' +
      rec.label +
      ' n’est pas clos : ' +
      (rec.openReaders.length > 0
        ? 'journaux incomplets pour les lecteurs n° ' + rec.openReaders.join(', ')
        : 'il n’est pas encore terminé'),
  };
}

/**
 * Makes the SEPA batch paying every vendor what the month still owes it (payable minus earlier batches
 * of the month). Refused while the month is not closed, or when a vendor to pay has no valid IBAN.
 */
export async function createPaymentBatch(
  ledger: Ledger,
  month: number,
  vendors: VendorsFile,
  now: number,
  executionDate: string,
): Promise<{ ok: true; batchId: string; xml: string; total: number; count: number } | Refusal> {
  const rec = await reconcile(ledger, month, now);
  if (!rec.closed) return notClosed(rec);
  if (!rec.balanced)
    return {
      ok: false,
      code: 'DESEQUILIBRE',
      message: 'le mois ne s’équilibre pas : aucun virement préparé',
    };
  return ledger.store.tx(
    async (tx) => {
      const done = await tx.all(
        'SELECT l.vendor_id, SUM(l.amount) AS paid FROM payment_lines l JOIN payments p ON p.batch_id = l.batch_id WHERE p.month = ? GROUP BY l.vendor_id',
        [month],
      );
      const already = new Map(done.map((r) => [Number(r.vendor_id), Number(r.paid)]));
      const lines: SepaTransfer[] = [];
      const missing: number[] = [];
      const batches = await tx.all('SELECT COUNT(*) AS n FROM payments WHERE month = ?', [month]);
      const batchId = 'CARNET-' + rec.label + '-' + String(Number(batches[0].n) + 1).padStart(2, '0');
      for (const v of rec.vendors) {
        const owed = v.payable - (already.get(v.vendorId) ?? 0);
        if (owed <= 0) continue;
        const info = vendors.vendors.get(v.vendorId);
        if (!info) {
          missing.push(v.vendorId);
          continue;
        }
        lines.push({
          name: info.name,
          iban: info.iban,
          bic: info.bic,
          amount: owed,
          endToEndId: batchId + '-' + v.vendorId,
          remittance: 'Caisse commune ' + rec.label + ' commercant ' + v.vendorId,
        });
      }
      if (missing.length > 0) {
        return {
          ok: false as const,
          code: 'IBAN_MANQUANT',
          message: 'coordonnées bancaires manquantes pour les commerçants n° ' + missing.join(', '),
        };
      }
      if (lines.length === 0)
        return { ok: false as const, code: 'RIEN_A_PAYER', message: 'rien à payer pour ' + rec.label };
      const total = lines.reduce((s, l) => s + l.amount, 0);
      const inserted = await tx.insertMany(
        'payments',
        ['batch_id', 'month', 'created_at', 'total', 'tx_count', 'status', 'paid_at'],
        [[batchId, month, now, total, lines.length, 'emis', null]],
      );
      if (inserted !== 1) {
        return {
          ok: false as const,
          code: 'LOT_CONCURRENT',
          message: 'un autre lot vient d’être créé pour ' + rec.label + ' : recommencez',
        };
      }
      await tx.insertMany(
        'payment_lines',
        ['batch_id', 'vendor_id', 'amount', 'iban'],
        lines.map((l) => [batchId, Number(l.endToEndId.split('-').pop()), l.amount, l.iban]),
      );
      const xml = painXml({
        msgId: batchId,
        createdAt: now,
        executionDate,
        debtor: vendors.fund,
        transfers: lines,
      });
      return { ok: true as const, batchId, xml, total, count: lines.length };
    },
    [PAYMENTS_LOCK],
  );
}

/** Re-import of a SEPA file the bank executed: marks its batch paid (idempotent). */
export async function markBatchPaid(
  ledger: Ledger,
  xmlText: string,
  now: number,
): Promise<{ ok: true; batchId: string; already: boolean; total: number } | Refusal> {
  const s = readPainSummary(xmlText);
  if (!s.ok) return s;
  return ledger.store.tx(async (tx) => {
    const rows = await tx.all('SELECT total, tx_count, status FROM payments WHERE batch_id = ?', [
      s.value.msgId,
    ]);
    if (rows.length === 0)
      return {
        ok: false as const,
        code: 'LOT_INCONNU',
        message: 'lot de virements ' + s.value.msgId + ' inconnu de ce registre',
      };
    const r = rows[0];
    if (Number(r.total) !== s.value.total || Number(r.tx_count) !== s.value.count) {
      return {
        ok: false as const,
        code: 'LOT_DIFFERENT',
        message: 'le fichier ne correspond pas au lot ' + s.value.msgId + ' (nombre ou total différent)',
      };
    }
    if (r.status === 'paye')
      return { ok: true as const, batchId: s.value.msgId, already: true, total: s.value.total };
    await tx.run('UPDATE payments SET status = ?, paid_at = ? WHERE batch_id = ?', [
      'paye',
      now,
      s.value.msgId,
    ]);
    return { ok: true as const, batchId: s.value.msgId, already: false, total: s.value.total };
  });
}

// ----------------------------------------------------------------------------- confirmations, blocklist

/** What confirming an anomaly puts on the next blocklist: the card for card frauds, the reader otherwise. */
function blockTarget(a: Anomaly): { pseudonym: Uint8Array | null; readerId: number | null } {
  if (
    a.kind === 'COPIE_DE_CARTE' ||
    a.kind === 'RETOUR_ARRIERE' ||
    a.kind === 'BON_INCONNU' ||
    a.kind === 'ALERTE_LECTEUR'
  ) {
    return { pseudonym: a.pseudonym ? fromHex(a.pseudonym) : null, readerId: null };
  }
  if (
    a.kind === 'JOURNAL_REECRIT' ||
    a.kind === 'ETAT_INCOHERENT' ||
    a.kind === 'HORS_CERTIFICAT' ||
    a.kind === 'LECTEUR_REVOQUE'
  ) {
    return { pseudonym: null, readerId: a.readerId };
  }
  return { pseudonym: null, readerId: null };
}

export async function confirmAnomaly(
  ledger: Ledger,
  month: number,
  id: string,
  now: number,
): Promise<{ ok: true; anomaly: Anomaly } | Refusal> {
  const rec = await reconcile(ledger, month, now);
  const a = rec.anomalies.find((x) => x.id === id);
  if (!a)
    return {
      ok: false,
      code: 'ANOMALIE_INCONNUE',
      message: 'anomalie « ' + id + ' » introuvable pour ' + rec.label,
    };
  const t = blockTarget(a);
  await ledger.store.tx((tx) =>
    tx.insertMany(
      'confirmations',
      ['anomaly_id', 'confirmed_at', 'pseudonym', 'reader_id'],
      [[id, now, t.pseudonym, t.readerId]],
    ),
  );
  a.confirmed = true;
  return { ok: true, anomaly: a };
}

/**
 * The next blocklist (SPEC.md §8): the latest one plus every card and reader of confirmed anomalies,
 * version + 1, signed with an operator key the ledger holds a certificate for.
 */
export async function nextBlocklist(
  ledger: Ledger,
  operatorSeed: Uint8Array,
  now: number,
): Promise<{ ok: true; bytes: Uint8Array; blocklist: Blocklist } | Refusal> {
  const fund = await ledger.fund();
  if (!fund) return { ok: false, code: 'REGISTRE_VIDE', message: 'registre vide' };
  const signer = hostSigner(operatorSeed);
  const kid = keyId(signer.publicKey, sha256Host);
  const cert = await ledger.query('SELECT role, public_key FROM key_certs WHERE key_id = ?', [kid]);
  if (
    cert.length === 0 ||
    Number(cert[0].role) !== ROLE_OPERATOR ||
    !bytesEqual(cert[0].public_key as Uint8Array, signer.publicKey)
  ) {
    return {
      ok: false,
      code: 'CLE_NON_OPERATEUR',
      message: 'cette clé n’est pas une clé d’opérateur certifiée de la caisse',
    };
  }
  const last = await ledger.query('SELECT version, envelope FROM blocklists ORDER BY version DESC LIMIT 1');
  const pseudo = new Map<string, Uint8Array>();
  const readers = new Set<number>();
  let issuerKeyIds: Uint8Array[] = [];
  let version = 1;
  if (last.length > 0) {
    const o = openBlocklist(last[0].envelope as Uint8Array);
    if (o.ok) {
      for (const p of o.value.value.pseudonyms) pseudo.set(toHex(p), p);
      for (const r of o.value.value.readerIds) readers.add(r);
      issuerKeyIds = o.value.value.issuerKeyIds.slice();
    }
    version = Number(last[0].version) + 1;
  }
  for (const c of await ledger.query('SELECT pseudonym, reader_id FROM confirmations')) {
    if (c.pseudonym !== null) pseudo.set(toHex(c.pseudonym as Uint8Array), c.pseudonym as Uint8Array);
    if (c.reader_id !== null) readers.add(Number(c.reader_id));
  }
  const b: Blocklist = {
    fundId: fund.fundId,
    version,
    issuedAt: now,
    pseudonyms: [...pseudo.values()].sort(compareBytes),
    readerIds: [...readers].sort((x, y) => x - y),
    issuerKeyIds: issuerKeyIds.sort(compareBytes),
    signerKeyId: kid,
  };
  if (b.pseudonyms.length + b.readerIds.length + b.issuerKeyIds.length > MAX_BLOCKLIST_ENTRIES) {
    return {
      ok: false,
      code: 'LISTE_PLEINE',
      message: 'plus de ' + MAX_BLOCKLIST_ENTRIES + ' entrées : liste de blocage trop longue',
    };
  }
  const bytes = signBlocklist(b, signer);
  const stored = await ledger.store.tx(
    async (tx) => {
      const n = await tx.insertMany(
        'blocklists',
        ['version', 'issued_at', 'envelope'],
        [[version, now, bytes]],
      );
      if (n !== 1) return false;
      await applyRevocations(
        tx,
        b.readerIds.map((r) => [r, now] as [number, number]),
      );
      return true;
    },
    [BLOCKLIST_LOCK],
  );
  if (!stored) {
    return {
      ok: false,
      code: 'LISTE_CONCURRENTE',
      message: 'la liste de blocage version ' + version + ' existe déjà : recommencez',
    };
  }
  return { ok: true, bytes, blocklist: b };
}

export { monthLabel };
