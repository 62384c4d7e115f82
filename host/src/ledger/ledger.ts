// The treasurer's ledger: takes in fund bundles and reader log exports (files carried from a volunteer's
// laptop, or a live pull: both call importLog), verifies them, keeps every anomaly with its evidence,
// and answers the questions of the monthly reconciliation (reconcile.ts).

import { createHash } from 'node:crypto';
import { bytesEqual, toHex } from '../../../protocol/src/bytes';
import { verifyEd25519HostAsync, sha256Host, hostCrypto } from '../../../protocol/src/node/ed25519';
import { Opened, signedMessage, signatureValid } from '../../../protocol/src/structures/envelope';
import {
  keyId,
  openKeyCertificate,
  openReaderCertificate,
  ROLE_ISSUER,
  ROLE_OPERATOR,
} from '../../../protocol/src/structures/keys';
import { openVoucher } from '../../../protocol/src/structures/voucher';
import { openBlocklist } from '../../../protocol/src/structures/config';
import { voucherId, decodeStateBody, stateId } from '../../../protocol/src/structures/state';
import {
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  LOG_VOID,
  LOG_ALERT,
  chainGenesis,
  decodeLogRecord,
  openCheckpoint,
} from '../../../protocol/src/structures/log';
import { verifyReaderCertificate } from '../../../protocol/src/verify';
import { fromHex } from '../../../protocol/src/bytes';
import { monthOfTime } from '../../../protocol/src/time';
import { decodeFundBundle, decodeLogExport, LogExport } from './export';
import { LedgerStore, Row, SqlValue, Tx, openStore } from './store';

/** Signatures verified concurrently per slice (enough to keep libuv's 4 pool threads busy). */
export const VERIFY_SLICE = 256;

/** Status of a pending operation (ops.status). */
export const OP_PENDING = 0;
export const OP_COMMITTED = 1;
export const OP_VOIDED = 2;

/** A refusal: nothing of the file was imported. `code` for programs, `message` (French) for people. */
export interface Refusal {
  ok: false;
  code: string;
  message: string;
}

export interface ImportSummary {
  ok: true;
  /** 'importe': new records stored; 'deja': this exact file (or its content) was already imported. */
  status: 'importe' | 'deja' | 'conflit';
  readerId: number;
  fromSeq: number;
  toSeq: number;
  newRecords: number;
  /** Records after the last signed checkpoint: not imported yet (the next export carries them). */
  uncovered: number;
  anomalies: string[];
}

export type ImportResult = ImportSummary | Refusal;

export interface FundInfo {
  fundId: Uint8Array;
  rootPublicKey: Uint8Array;
  utcOffsetMin: number;
}

function refuse(code: string, message: string): Refusal {
  return { ok: false, code, message };
}

function digestOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function num(v: SqlValue): number {
  return typeof v === 'number' ? v : Number(v);
}

function bytesOf(v: SqlValue): Uint8Array {
  return v as Uint8Array;
}

/** Anomaly kinds recorded at import (reconciliation computes the others, see reconcile.ts). */
export const ANOMALY_GAP = 'TROU';
export const ANOMALY_REWRITTEN = 'JOURNAL_REECRIT';
export const ANOMALY_REFUSED = 'FICHIER_REFUSE';
export const ANOMALY_ALERT = 'ALERTE_LECTEUR';

/** Decoded pending operation of a record, ready for the `ops` table. */
interface Op {
  readerId: number;
  seq: number;
  kind: number;
  time: number;
  month: number;
  pseudonym: Uint8Array;
  stateId: Uint8Array;
  prev: Uint8Array;
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
  closedBy: number;
}

const OP_COLS = [
  'reader_id',
  'seq',
  'kind',
  'time',
  'month',
  'pseudonym',
  'state_id',
  'prev',
  'card_seq',
  'voucher_serial',
  'carried',
  'spent',
  'last_amount',
  'amount',
  'covered',
  'category',
  'ref_seq',
  'state_log_seq',
  'state_reader',
  'status',
  'closed_by',
];

function opRow(o: Op): SqlValue[] {
  return [
    o.readerId,
    o.seq,
    o.kind,
    o.time,
    o.month,
    o.pseudonym,
    o.stateId,
    o.prev,
    o.cardSeq,
    o.voucherSerial,
    o.carried,
    o.spent,
    o.lastAmount,
    o.amount,
    o.covered,
    o.category,
    o.refSeq,
    o.stateLogSeq,
    o.stateReader,
    o.status,
    o.closedBy,
  ];
}

/** Verified content of one export file, computed before any transaction (pure, parallel signatures). */
interface CheckedExport {
  exp: LogExport;
  digest: Uint8Array;
  /** Chain value after each record: heads[i] = h_{fromSeq+i}. */
  heads: Uint8Array[];
  times: number[];
  kinds: number[];
  /** Records covered by a signed checkpoint: fromSeq … coveredTo. */
  coveredTo: number;
  checkpoints: { seq: number; head: Uint8Array; time: number; envelope: Uint8Array }[];
  ops: Op[];
  /** pending seq → [status, closing record seq] from commit/void records of this file. */
  closes: [number, number, number][];
  alerts: ReaderAlert[];
  utcOffsetMin: number;
}

/** An ALERT record (SPEC §9.1 kind 7): a refusal by a reader that is evidence of fraud. */
interface ReaderAlert {
  seq: number;
  time: number;
  code: number;
  pseudonym: Uint8Array | null;
  evidence: Uint8Array[];
}

const ALERT_FR: Record<number, string> = {
  1: 'carte présentée dans un état plus ancien que celui déjà vu (retour en arrière)',
  2: 'signature invalide sur la carte',
  3: 'carte sur la liste de blocage',
  4: 'numéro de puce différent de celui du bon (copie)',
  5: 'état de carte daté du futur',
};

export class Ledger {
  private fundCache: FundInfo | null = null;

  constructor(readonly store: LedgerStore) {}

  static async open(where: string): Promise<Ledger> {
    return new Ledger(await openStore(where));
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async fund(): Promise<FundInfo | null> {
    if (this.fundCache) return this.fundCache;
    const rows = await this.store.tx((tx) => tx.all('SELECT k, v FROM meta'));
    const m = new Map(rows.map((r) => [String(r.k), String(r.v)]));
    if (!m.has('fund_id')) return null;
    this.fundCache = {
      fundId: fromHex(m.get('fund_id') as string),
      rootPublicKey: fromHex(m.get('root_public_key') as string),
      utcOffsetMin: Number(m.get('utc_offset_min')),
    };
    return this.fundCache;
  }

  /**
   * Takes in a fund bundle (export.ts): the fund's identity the first time, then new certificates,
   * vouchers and blocklists. Every signature is checked; one bad item refuses the whole bundle.
   */
  async loadFund(bytes: Uint8Array): Promise<{ ok: true; added: number } | Refusal> {
    const d = decodeFundBundle(bytes);
    if (!d.ok) return refuse(d.code, d.message);
    const b = d.value;
    const known = await this.fund();
    if (known && !bytesEqual(known.fundId, b.fundId)) {
      return refuse('AUTRE_FONDS', 'ce dossier appartient à une autre caisse : rien n’a été importé');
    }
    if (known && !bytesEqual(known.rootPublicKey, b.rootPublicKey)) {
      return refuse(
        'AUTRE_RACINE',
        'la clé racine du dossier diffère de celle du registre : rien n’a été importé',
      );
    }
    const root = b.rootPublicKey;
    const keyRows: SqlValue[][] = [];
    const keys = new Map<string, { role: number; pub: Uint8Array }>();
    for (const env of b.keyCertificates) {
      const o = openKeyCertificate(env);
      if (!o.ok) return refuse('CERTIFICAT_INVALIDE', 'certificat de clé illisible : ' + o.message);
      const c = o.value.value;
      if (!bytesEqual(c.fundId, b.fundId) || !signatureValid(o.value.opened, root, hostCrypto.verify)) {
        return refuse('CERTIFICAT_INVALIDE', 'certificat de clé non signé par la racine de la caisse');
      }
      const id = keyId(c.publicKey, sha256Host);
      keys.set(toHex(id), { role: c.role, pub: c.publicKey });
      keyRows.push([id, c.role, c.publicKey, c.notBefore, c.notAfter, env]);
    }
    // Certificates already in the ledger count too (a bundle may bring only new vouchers).
    const stored = await this.store.tx((tx) => tx.all('SELECT key_id, role, public_key FROM key_certs'));
    for (const r of stored)
      keys.set(toHex(bytesOf(r.key_id)), { role: num(r.role), pub: bytesOf(r.public_key) });

    const readerRows: SqlValue[][] = [];
    for (const env of b.readerCertificates) {
      const o = openReaderCertificate(env);
      if (!o.ok) return refuse('CERTIFICAT_INVALIDE', 'certificat de lecteur illisible : ' + o.message);
      const c = o.value.value;
      const v = verifyReaderCertificate(env, root, b.fundId, c.notBefore, hostCrypto);
      if (!v.ok)
        return refuse('CERTIFICAT_INVALIDE', 'certificat du lecteur ' + c.readerId + ' : ' + v.message);
      readerRows.push([c.readerId, c.vendorId, c.publicKey, c.notBefore, c.notAfter, env]);
    }
    const voucherRows: SqlValue[][] = [];
    const voucherChecks: { pub: Uint8Array; opened: Opened; pseudonym: Uint8Array }[] = [];
    for (const env of b.vouchers) {
      const o = openVoucher(env);
      if (!o.ok) return refuse('BON_INVALIDE', 'bon illisible : ' + o.message);
      const v = o.value.value;
      const k = keys.get(toHex(v.issuerKeyId));
      if (!bytesEqual(v.fundId, b.fundId) || !k || k.role !== ROLE_ISSUER) {
        return refuse('BON_INVALIDE', 'bon émis par une clé inconnue ou pour une autre caisse');
      }
      voucherChecks.push({ pub: k.pub, opened: o.value.opened, pseudonym: v.pseudonym });
      voucherRows.push([v.pseudonym, v.serial, voucherId(env, sha256Host), env]);
    }
    // Voucher signatures on both cores (libuv thread pool), in slices so thousands of them do not queue
    // thousands of promises at once.
    for (let i = 0; i < voucherChecks.length; i += VERIFY_SLICE) {
      const part = voucherChecks.slice(i, i + VERIFY_SLICE);
      const ok = await Promise.all(
        part.map((c) => verifyEd25519HostAsync(c.pub, signedMessage(c.opened.body), c.opened.signature)),
      );
      const bad = ok.indexOf(false);
      if (bad >= 0) {
        return refuse(
          'BON_INVALIDE',
          'signature de bon invalide (pseudonyme ' + toHex(part[bad].pseudonym) + ')',
        );
      }
    }
    const blRows: SqlValue[][] = [];
    const revoked: [number, number][] = [];
    for (const env of b.blocklists) {
      const o = openBlocklist(env);
      if (!o.ok) return refuse('LISTE_INVALIDE', 'liste de blocage illisible : ' + o.message);
      const l = o.value.value;
      const k = keys.get(toHex(l.signerKeyId));
      if (!bytesEqual(l.fundId, b.fundId) || !k || k.role !== ROLE_OPERATOR) {
        return refuse('LISTE_INVALIDE', 'liste de blocage signée par une clé inconnue');
      }
      if (!signatureValid(o.value.opened, k.pub, hostCrypto.verify)) {
        return refuse('LISTE_INVALIDE', 'signature de liste de blocage invalide');
      }
      blRows.push([l.version, l.issuedAt, env]);
      for (const r of l.readerIds) revoked.push([r, l.issuedAt]);
    }
    let added = 0;
    await this.store.tx(async (tx) => {
      if (!known) {
        await tx.insertMany(
          'meta',
          ['k', 'v'],
          [
            ['fund_id', toHex(b.fundId)],
            ['root_public_key', toHex(b.rootPublicKey)],
            ['utc_offset_min', String(b.utcOffsetMin)],
          ],
        );
      }
      added += await tx.insertMany(
        'key_certs',
        ['key_id', 'role', 'public_key', 'not_before', 'not_after', 'envelope'],
        keyRows,
      );
      added += await tx.insertMany(
        'readers',
        ['reader_id', 'vendor_id', 'public_key', 'not_before', 'not_after', 'certificate'],
        readerRows,
      );
      added += await tx.insertMany(
        'vouchers',
        ['pseudonym', 'serial', 'voucher_id', 'envelope'],
        voucherRows,
      );
      added += await tx.insertMany('blocklists', ['version', 'issued_at', 'envelope'], blRows);
      await applyRevocations(tx, revoked);
    });
    this.fundCache = null;
    return { ok: true, added };
  }

  /** Verifies a log export entirely in memory (signatures on both cores), before touching the store. */
  private async check(bytes: Uint8Array, fund: FundInfo): Promise<CheckedExport | Refusal> {
    const d = decodeLogExport(bytes);
    if (!d.ok) return refuse(d.code, d.message);
    const e = d.value;
    if (!bytesEqual(e.fundId, fund.fundId)) {
      return refuse(
        'AUTRE_FONDS',
        'ce journal vient d’une autre caisse (' + toHex(e.fundId) + ') : rien n’a été importé',
      );
    }
    const reader = await this.store.tx((tx) =>
      tx.all('SELECT public_key, certificate FROM readers WHERE reader_id = ?', [e.readerId]),
    );
    if (reader.length === 0) {
      return refuse(
        'LECTEUR_INCONNU',
        'le lecteur n° ' + e.readerId + ' est inconnu de ce registre : rien n’a été importé',
      );
    }
    const pub = bytesOf(reader[0].public_key);
    if (!bytesEqual(bytesOf(reader[0].certificate), e.readerCertificate)) {
      const o = openReaderCertificate(e.readerCertificate);
      const v = o.ok
        ? verifyReaderCertificate(
            e.readerCertificate,
            fund.rootPublicKey,
            fund.fundId,
            o.value.value.notBefore,
            hostCrypto,
          )
        : o;
      if (!v.ok || v.value.readerId !== e.readerId || !bytesEqual(v.value.publicKey, pub)) {
        return refuse(
          'FICHIER_ALTERE',
          'le certificat du lecteur n° ' + e.readerId + ' dans le fichier ne correspond pas au registre',
        );
      }
    }
    const n = e.records.length;
    const toSeq = e.fromSeq + n - 1;
    if (e.fromSeq === 1 && !bytesEqual(e.prevHead, chainGenesis(fund.fundId, e.readerId, sha256Host))) {
      return refuse('FICHIER_ALTERE', 'le début de chaîne du journal est faux (SPEC §9.2)');
    }
    // Checkpoint signatures: node:crypto runs them on libuv's thread pool, so both cores work.
    const opened = [];
    for (const env of e.checkpoints) {
      const o = openCheckpoint(env);
      if (!o.ok) return refuse('FICHIER_ALTERE', 'point de contrôle illisible : ' + o.message);
      const c = o.value.value;
      if (!bytesEqual(c.fundId, fund.fundId) || c.readerId !== e.readerId) {
        return refuse('FICHIER_ALTERE', 'point de contrôle d’un autre lecteur ou d’une autre caisse');
      }
      opened.push({ o: o.value, c });
    }
    const sigs = await Promise.all(
      opened.map((x) => verifyEd25519HostAsync(pub, signedMessage(x.o.opened.body), x.o.opened.signature)),
    );
    for (let i = 0; i < sigs.length; i++) {
      if (!sigs[i]) {
        return refuse(
          'FICHIER_ALTERE',
          'signature du point de contrôle n° ' + opened[i].c.seq + ' invalide : fichier altéré',
        );
      }
    }
    const heads: Uint8Array[] = new Array(n);
    const times: number[] = new Array(n);
    const kinds: number[] = new Array(n);
    const ops: Op[] = [];
    const closes: [number, number, number][] = [];
    const alerts: ReaderAlert[] = [];
    let h = e.prevHead;
    for (let i = 0; i < n; i++) {
      const bytesI = e.records[i];
      const r = decodeLogRecord(bytesI);
      const expected = e.fromSeq + i;
      if (!r.ok) return refuse('FICHIER_ALTERE', 'relevé n° ' + expected + ' illisible : ' + r.message);
      if (r.value.seq !== expected) {
        return refuse(
          'RELEVE_MANQUANT',
          'relevé n° ' +
            r.value.seq +
            ' trouvé à la place du n° ' +
            expected +
            ' : relevé manquant ou déplacé, fichier refusé',
        );
      }
      h = createHash('sha256').update(h).update(bytesI).digest();
      heads[i] = h;
      times[i] = r.value.time;
      kinds[i] = r.value.kind;
      const k = r.value.kind;
      const data = r.value.data;
      if (k === LOG_SALE_PENDING || k === LOG_REFUND_PENDING) {
        const body = (k === LOG_SALE_PENDING ? data[3] : data[2]) as Uint8Array;
        const s = decodeStateBody(body);
        if (!s.ok)
          return refuse('FICHIER_ALTERE', 'état illisible dans le relevé n° ' + expected + ' : ' + s.message);
        const st = s.value;
        ops.push({
          readerId: e.readerId,
          seq: expected,
          kind: k,
          time: r.value.time,
          month: st.month,
          pseudonym: st.pseudonym,
          stateId: stateId(body, sha256Host),
          prev: st.prev,
          cardSeq: st.cardSeq,
          voucherSerial: st.voucherSerial,
          carried: st.carried,
          spent: st.spent,
          lastAmount: st.lastAmount,
          amount: k === LOG_SALE_PENDING ? (data[1] as number) : (data[1] as number),
          covered: k === LOG_SALE_PENDING ? (data[2] as number) : (data[1] as number),
          category: k === LOG_SALE_PENDING ? (data[0] as number) : -1,
          refSeq: k === LOG_REFUND_PENDING ? (data[0] as number) : 0,
          stateLogSeq: st.logSeq,
          stateReader: st.readerId,
          status: OP_PENDING,
          closedBy: 0,
        });
      } else if (k === LOG_SALE_COMMIT || k === LOG_REFUND_COMMIT) {
        closes.push([data[0] as number, OP_COMMITTED, expected]);
      } else if (k === LOG_VOID) {
        closes.push([data[0] as number, OP_VOIDED, expected]);
      } else if (k === LOG_ALERT) {
        alerts.push({
          seq: expected,
          time: r.value.time,
          code: data[0] as number,
          pseudonym: data[1] as Uint8Array | null,
          evidence: data[2] as Uint8Array[],
        });
      }
    }
    let coveredTo = e.fromSeq - 1;
    const cps = [];
    for (const x of opened) {
      if (x.c.seq < e.fromSeq - 1 || x.c.seq > toSeq) {
        return refuse(
          'FICHIER_ALTERE',
          'point de contrôle n° ' + x.c.seq + ' hors des relevés du fichier : relevés manquants',
        );
      }
      const want = x.c.seq === e.fromSeq - 1 ? e.prevHead : heads[x.c.seq - e.fromSeq];
      if (!bytesEqual(want, x.c.head)) {
        return refuse(
          'FICHIER_ALTERE',
          'le point de contrôle signé n° ' +
            x.c.seq +
            ' ne correspond pas aux relevés : relevé modifié ou manquant, fichier refusé',
        );
      }
      if (x.c.seq > coveredTo) coveredTo = x.c.seq;
      cps.push({ seq: x.c.seq, head: x.c.head, time: x.c.time, envelope: x.o.opened.bytes });
    }
    if (n > 0 && coveredTo < e.fromSeq) {
      return refuse(
        'NON_SIGNE',
        'aucun point de contrôle signé ne couvre ces relevés : rien n’a été importé',
      );
    }
    return {
      exp: e,
      digest: digestOf(bytes),
      heads,
      times,
      kinds,
      coveredTo,
      checkpoints: cps,
      ops: ops.filter((o) => o.seq <= coveredTo),
      closes: closes.filter((c) => c[2] <= coveredTo),
      alerts: alerts.filter((a) => a.seq <= coveredTo),
      utcOffsetMin: fund.utcOffsetMin,
    };
  }

  /**
   * Imports one log export (a file or a pull: same bytes, same path). Atomic: one transaction.
   * Idempotent: the same content twice changes nothing. A refusal imports nothing and is journaled.
   */
  async importLog(
    bytes: Uint8Array,
    source = 'fichier',
    now = Math.floor(Date.now() / 1000),
  ): Promise<ImportResult> {
    const fund = await this.fund();
    if (!fund)
      return refuse('REGISTRE_VIDE', 'importez d’abord le dossier de la caisse (carnet tresorerie caisse)');
    const c = await this.check(bytes, fund);
    if ('ok' in c) {
      await this.journalRefusal(bytes, c, now);
      return c;
    }
    return this.store.tx((tx) => this.apply(tx, c, source, now), [c.exp.readerId]);
  }

  private async journalRefusal(bytes: Uint8Array, r: Refusal, now: number): Promise<void> {
    const digest = toHex(digestOf(bytes));
    await this.store.tx((tx) =>
      tx.insertMany(
        'anomalies',
        ['id', 'kind', 'reader_id', 'seq', 'month', 'message', 'evidence', 'created_at'],
        [
          [
            'REFUS:' + digest,
            ANOMALY_REFUSED,
            null,
            null,
            null,
            r.message,
            JSON.stringify({ code: r.code, sha256: digest, bytes: bytes.length }),
            now,
          ],
        ],
      ),
    );
  }

  private async apply(tx: Tx, c: CheckedExport, source: string, now: number): Promise<ImportSummary> {
    const e = c.exp;
    const rid = e.readerId;
    const to = c.coveredTo;
    const base: ImportSummary = {
      ok: true,
      status: 'deja',
      readerId: rid,
      fromSeq: e.fromSeq,
      toSeq: to,
      newRecords: 0,
      uncovered: e.fromSeq + e.records.length - 1 - to,
      anomalies: [],
    };
    if ((await tx.all('SELECT 1 AS x FROM imports WHERE digest = ?', [c.digest])).length > 0) return base;
    // Records of this run already stored must be the same bytes (same chain heads): append-only.
    const existing = await tx.all(
      'SELECT seq, head FROM records WHERE reader_id = ? AND seq >= ? AND seq <= ? ORDER BY seq',
      [rid, e.fromSeq - 1, to + 1],
    );
    const have = new Set<number>();
    for (const r of existing) {
      const s = num(r.seq);
      have.add(s);
      const mine = s === e.fromSeq - 1 ? e.prevHead : s <= to ? c.heads[s - e.fromSeq] : null;
      if (mine && !bytesEqual(mine, bytesOf(r.head))) {
        const id = 'REECRIT:' + rid + ':' + s + ':' + toHex(mine).slice(0, 16);
        const msg =
          'le lecteur n° ' +
          rid +
          ' a signé deux journaux différents au relevé n° ' +
          s +
          ' : journal réécrit, fichier mis de côté';
        await tx.insertMany(
          'anomalies',
          ['id', 'kind', 'reader_id', 'seq', 'month', 'message', 'evidence', 'created_at'],
          [
            [
              id,
              ANOMALY_REWRITTEN,
              rid,
              s,
              null,
              msg,
              JSON.stringify({
                stored_head: toHex(bytesOf(r.head)),
                new_head: toHex(mine),
                sha256: toHex(c.digest),
              }),
              now,
            ],
          ],
        );
        return Object.assign(base, { status: 'conflit' as const, anomalies: [id] });
      }
    }
    // The run's successor, already imported, must start where this run ends.
    if (have.has(to + 1)) {
      const nxt = await tx.all('SELECT prev_head FROM imports WHERE reader_id = ? AND from_seq = ?', [
        rid,
        to + 1,
      ]);
      for (const r of nxt) {
        if (!bytesEqual(bytesOf(r.prev_head), c.heads[to - e.fromSeq])) {
          const id = 'REECRIT:' + rid + ':' + (to + 1) + ':suite';
          await tx.insertMany(
            'anomalies',
            ['id', 'kind', 'reader_id', 'seq', 'month', 'message', 'evidence', 'created_at'],
            [
              [
                id,
                ANOMALY_REWRITTEN,
                rid,
                to + 1,
                null,
                'la suite déjà importée du journal du lecteur n° ' + rid + ' ne prolonge pas ce fichier',
                JSON.stringify({ sha256: toHex(c.digest) }),
                now,
              ],
            ],
          );
          return Object.assign(base, { status: 'conflit' as const, anomalies: [id] });
        }
      }
    }
    const anomalies: string[] = [];
    // A hole before this run: records the ledger has never seen. Kept as an open anomaly until filled.
    if (e.fromSeq > 1 && !have.has(e.fromSeq - 1)) {
      const below = await tx.all('SELECT MAX(seq) AS m FROM records WHERE reader_id = ? AND seq < ?', [
        rid,
        e.fromSeq,
      ]);
      const from = below[0].m === null ? 1 : num(below[0].m) + 1;
      const id = 'TROU:' + rid + ':' + from + '-' + (e.fromSeq - 1);
      const msg = 'relevés n° ' + from + ' à ' + (e.fromSeq - 1) + ' du lecteur n° ' + rid + ' manquants';
      const n = await tx.insertMany(
        'anomalies',
        ['id', 'kind', 'reader_id', 'seq', 'month', 'message', 'evidence', 'created_at'],
        [[id, ANOMALY_GAP, rid, from, null, msg, JSON.stringify({ from, to: e.fromSeq - 1 }), now]],
      );
      if (n > 0) anomalies.push(id);
    }
    // Open holes this run fills (partly or wholly): resolve them, re-open what is still missing.
    const gaps = await tx.all(
      'SELECT id, evidence FROM anomalies WHERE kind = ? AND reader_id = ? AND resolved_at IS NULL',
      [ANOMALY_GAP, rid],
    );
    for (const g of gaps) {
      const ev = JSON.parse(String(g.evidence)) as { from: number; to: number };
      if (ev.to < e.fromSeq || ev.from > to) continue;
      await tx.run('UPDATE anomalies SET resolved_at = ? WHERE id = ?', [now, g.id]);
      const rest: [number, number][] = [];
      if (ev.from < e.fromSeq) rest.push([ev.from, e.fromSeq - 1]);
      if (ev.to > to) rest.push([to + 1, ev.to]);
      for (const [a, b] of rest) {
        await tx.insertMany(
          'anomalies',
          ['id', 'kind', 'reader_id', 'seq', 'month', 'message', 'evidence', 'created_at'],
          [
            [
              'TROU:' + rid + ':' + a + '-' + b,
              ANOMALY_GAP,
              rid,
              a,
              null,
              'relevés n° ' + a + ' à ' + b + ' du lecteur n° ' + rid + ' manquants',
              JSON.stringify({ from: a, to: b }),
              now,
            ],
          ],
        );
      }
    }
    const recRows: SqlValue[][] = [];
    for (let i = 0; i < e.records.length; i++) {
      const s = e.fromSeq + i;
      if (s > to) break;
      if (have.has(s)) continue;
      recRows.push([rid, s, c.times[i], c.kinds[i], e.records[i], c.heads[i]]);
    }
    const newRecords = await tx.insertMany(
      'records',
      ['reader_id', 'seq', 'time', 'kind', 'bytes', 'head'],
      recRows,
    );
    await tx.insertMany(
      'checkpoints',
      ['reader_id', 'seq', 'head', 'time', 'envelope'],
      c.checkpoints.map((k) => [rid, k.seq, k.head, k.time, k.envelope]),
    );
    // Commits and voids: those of pendings in this file are applied before insertion, others by UPDATE.
    const bySeq = new Map<number, Op>();
    for (const o of c.ops) bySeq.set(o.seq, o);
    const later: [number, number, number][] = [];
    for (const cl of c.closes) {
      const o = bySeq.get(cl[0]);
      if (o && o.status === OP_PENDING) {
        o.status = cl[1];
        o.closedBy = cl[2];
      } else if (!o) later.push(cl);
    }
    await tx.insertMany('ops', OP_COLS, c.ops.filter((o) => !have.has(o.seq)).map(opRow));
    // Readers' own fraud alerts are kept as anomalies of the month they happened in, with their evidence.
    const off = c.utcOffsetMin;
    await tx.insertMany(
      'anomalies',
      ['id', 'kind', 'reader_id', 'seq', 'month', 'message', 'evidence', 'created_at'],
      c.alerts
        .filter((a) => !have.has(a.seq))
        .map((a) => [
          'ALERTE:' + rid + ':' + a.seq,
          ANOMALY_ALERT,
          rid,
          a.seq,
          monthOfTime(a.time, off),
          'le lecteur n° ' +
            rid +
            ' a refusé une carte (relevé n° ' +
            a.seq +
            ') : ' +
            (ALERT_FR[a.code] ?? 'alerte ' + a.code),
          JSON.stringify({
            code: a.code,
            time: a.time,
            pseudonym: a.pseudonym ? toHex(a.pseudonym) : null,
            evidence: a.evidence.map(toHex),
          }),
          now,
        ]),
    );
    for (const cl of later) {
      if (have.has(cl[2])) continue;
      await tx.run(
        'UPDATE ops SET status = ?, closed_by = ? WHERE reader_id = ? AND seq = ? AND status = ?',
        [cl[1], cl[2], rid, cl[0], OP_PENDING],
      );
    }
    await tx.insertMany(
      'imports',
      ['digest', 'reader_id', 'from_seq', 'to_seq', 'prev_head', 'head', 'imported_at', 'source'],
      [
        [
          c.digest,
          rid,
          e.fromSeq,
          to,
          e.prevHead,
          to >= e.fromSeq ? c.heads[to - e.fromSeq] : e.prevHead,
          now,
          source,
        ],
      ],
    );
    return Object.assign(base, {
      status: newRecords > 0 ? ('importe' as const) : ('deja' as const),
      newRecords,
      anomalies,
    });
  }

  /** Streams the rows of a query to `fn` (large reads: reconciliation of a month). */
  each(sql: string, params: SqlValue[], fn: (row: Row) => void): Promise<void> {
    return this.store.tx((tx) => tx.each(sql, params, fn));
  }

  /** All rows of a query in one read transaction (reports). */
  query(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    return this.store.tx((tx) => tx.all(sql, params));
  }
}

/** Records each revoked reader's revocation time: the earliest blocklist that lists it. */
export async function applyRevocations(tx: Tx, revoked: [number, number][]): Promise<void> {
  for (const [rid, at] of revoked) {
    await tx.run(
      'UPDATE readers SET revoked_at = ? WHERE reader_id = ? AND (revoked_at IS NULL OR revoked_at > ?)',
      [at, rid, at],
    );
  }
}
