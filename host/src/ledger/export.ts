// The two files a treasurer's ledger takes in (protocol/SPEC.md §14):
// - a log export: what a volunteer's laptop carries from one reader (records + checkpoints, SPEC.md §9);
// - a fund bundle: the trust anchors and the member vouchers the ledger checks the logs against.
// Both are deterministic CBOR (SPEC.md §1, protocol/src/cbor.ts) with a type label and a version first,
// so a file is byte-for-byte the same whoever writes it, and its SHA-256 names it (idempotent imports).

import { CborValue, cborDecode, cborEncode } from '../../../protocol/src/cbor';
import { FUND_ID_BYTES, HASH_BYTES, MAX_LOG_RECORD_BYTES, MAX_U32 } from '../../../protocol/src/limits';
import { Verdict, failVerdict, okVerdict } from '../../../protocol/src/verdict';

export const LOG_EXPORT_LABEL = 'carnet-journal';
export const LOG_EXPORT_VERSION = 1;
export const FUND_BUNDLE_LABEL = 'carnet-fonds';
export const FUND_BUNDLE_VERSION = 1;

/**
 * Most records in one export file. A reader's flash holds at most a few tens of thousands of records
 * between two syncs; 1,000,000 bounds what a hostile file can make the importer allocate (≈ 100 MB).
 */
export const MAX_EXPORT_RECORDS = 1_000_000;
/** Most checkpoints in one export file: one per day close plus on-demand ones, a year of them. */
export const MAX_EXPORT_CHECKPOINTS = 4096;
/** Largest checkpoint or certificate envelope accepted in a file (they are about 130 bytes). */
export const MAX_EXPORT_ENVELOPE_BYTES = 512;
/** Most vouchers, certificates or blocklists in a fund bundle: a large caisse has a few thousand cards. */
export const MAX_BUNDLE_ITEMS = 200_000;

export interface LogExport {
  fundId: Uint8Array;
  readerId: number;
  /** The reader certificate envelope (SPEC.md §4.2), so the file can be checked on its own. */
  readerCertificate: Uint8Array;
  /** Sequence number of the first record (≥ 1). */
  fromSeq: number;
  /** Chain value h_{fromSeq−1} (SPEC.md §9.2): the genesis hash when fromSeq = 1. */
  prevHead: Uint8Array;
  /** Each record's CBOR bytes, in sequence order. */
  records: Uint8Array[];
  /** Signed checkpoint envelopes (SPEC.md §9.3) whose seq falls in this run (or equals fromSeq − 1). */
  checkpoints: Uint8Array[];
}

export function encodeLogExport(e: LogExport): Uint8Array {
  const recs: CborValue[] = e.records.slice();
  const cps: CborValue[] = e.checkpoints.slice();
  return cborEncode([
    LOG_EXPORT_LABEL,
    LOG_EXPORT_VERSION,
    e.fundId,
    e.readerId,
    e.readerCertificate,
    e.fromSeq,
    e.prevHead,
    recs,
    cps,
  ]);
}

function bad<T>(what: string): Verdict<T> {
  return failVerdict('FICHIER_ALTERE', 'fichier illisible ou altéré : ' + what);
}

function bytesList(v: CborValue, max: number, maxEach: number, what: string): Uint8Array[] | string {
  if (!Array.isArray(v)) return what + ' : liste attendue';
  if (v.length > max) return what + ' : plus de ' + max + ' éléments';
  const out: Uint8Array[] = [];
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(x instanceof Uint8Array) || x.length === 0 || x.length > maxEach) {
      return what + ' n° ' + (i + 1) + ' : octets attendus (1 à ' + maxEach + ')';
    }
    out.push(x);
  }
  return out;
}

function isUint(v: CborValue, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Decodes a log export file; never throws. */
export function decodeLogExport(bytes: Uint8Array): Verdict<LogExport> {
  const d = cborDecode(bytes);
  if (!d.ok) return bad(d.message);
  const a = d.value;
  if (!Array.isArray(a) || a.length !== 9 || a[0] !== LOG_EXPORT_LABEL) {
    return failVerdict('FICHIER_INCONNU', "ce fichier n'est pas un export de journal carnet");
  }
  if (a[1] !== LOG_EXPORT_VERSION) {
    return failVerdict(
      'FICHIER_VERSION',
      "version d'export de journal non prise en charge : " + String(a[1]),
    );
  }
  if (!(a[2] instanceof Uint8Array) || a[2].length !== FUND_ID_BYTES) return bad('identifiant de caisse');
  if (!isUint(a[3], 1, MAX_U32)) return bad('numéro de lecteur');
  if (!(a[4] instanceof Uint8Array) || a[4].length > MAX_EXPORT_ENVELOPE_BYTES) return bad('certificat');
  if (!isUint(a[5], 1, MAX_U32)) return bad('premier numéro de relevé');
  if (!(a[6] instanceof Uint8Array) || a[6].length !== HASH_BYTES) return bad('empreinte précédente');
  const recs = bytesList(a[7], MAX_EXPORT_RECORDS, MAX_LOG_RECORD_BYTES, 'relevé');
  if (typeof recs === 'string') return bad(recs);
  const cps = bytesList(a[8], MAX_EXPORT_CHECKPOINTS, MAX_EXPORT_ENVELOPE_BYTES, 'point de contrôle');
  if (typeof cps === 'string') return bad(cps);
  if (a[5] + recs.length - 1 > MAX_U32) return bad('numéros de relevé hors limites');
  return okVerdict({
    fundId: a[2],
    readerId: a[3],
    readerCertificate: a[4],
    fromSeq: a[5],
    prevHead: a[6],
    records: recs,
    checkpoints: cps,
  });
}

/** What the ledger trusts and checks logs against; written by the card desk / key ceremony tools. */
export interface FundBundle {
  fundId: Uint8Array;
  rootPublicKey: Uint8Array;
  /** The fund's fixed UTC offset (SPEC.md conventions), minutes east of UTC. */
  utcOffsetMin: number;
  /** Issuer and operator key certificates (SPEC.md §4.1). */
  keyCertificates: Uint8Array[];
  /** Reader certificates (SPEC.md §4.2): the readers the ledger knows. */
  readerCertificates: Uint8Array[];
  /** Member voucher envelopes (SPEC.md §5). */
  vouchers: Uint8Array[];
  /** Signed blocklists (SPEC.md §8), any order. */
  blocklists: Uint8Array[];
}

export function encodeFundBundle(b: FundBundle): Uint8Array {
  return cborEncode([
    FUND_BUNDLE_LABEL,
    FUND_BUNDLE_VERSION,
    b.fundId,
    b.rootPublicKey,
    b.utcOffsetMin,
    b.keyCertificates.slice(),
    b.readerCertificates.slice(),
    b.vouchers.slice(),
    b.blocklists.slice(),
  ]);
}

/** Decodes a fund bundle; never throws (signatures are checked by the ledger). */
export function decodeFundBundle(bytes: Uint8Array): Verdict<FundBundle> {
  const d = cborDecode(bytes);
  if (!d.ok) return bad(d.message);
  const a = d.value;
  if (!Array.isArray(a) || a.length !== 9 || a[0] !== FUND_BUNDLE_LABEL) {
    return failVerdict('FICHIER_INCONNU', "ce fichier n'est pas un dossier de caisse carnet");
  }
  if (a[1] !== FUND_BUNDLE_VERSION) {
    return failVerdict(
      'FICHIER_VERSION',
      'version de dossier de caisse non prise en charge : ' + String(a[1]),
    );
  }
  if (!(a[2] instanceof Uint8Array) || a[2].length !== FUND_ID_BYTES) return bad('identifiant de caisse');
  if (!(a[3] instanceof Uint8Array) || a[3].length !== 32) return bad('clé racine');
  if (typeof a[4] !== 'number' || !Number.isInteger(a[4]) || a[4] < -720 || a[4] > 840) {
    return bad('décalage horaire');
  }
  const lists: Uint8Array[][] = [];
  for (let i = 5; i < 9; i++) {
    const l = bytesList(a[i], MAX_BUNDLE_ITEMS, MAX_EXPORT_ENVELOPE_BYTES, 'élément');
    if (typeof l === 'string') return bad(l);
    lists.push(l);
  }
  return okVerdict({
    fundId: a[2],
    rootPublicKey: a[3],
    utcOffsetMin: a[4],
    keyCertificates: lists[0],
    readerCertificates: lists[1],
    vouchers: lists[2],
    blocklists: lists[3],
  });
}
