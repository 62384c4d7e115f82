// What the volunteer's laptop does with a fund folder over a reader link, shared by `carnet lecteur
// preparer` / `carnet lecteur releve` (host/src/commands/lecteur.ts) and the market-day demo
// (test/demo/day/serial.ts): the provisioning plan built from the fund folder, and the step that runs
// before every ACK of a pull — the pulled run becomes a log export file (SPEC §14.1) written durably, and
// optionally imported into the treasurer's ledger. Any failure in that step throws, so the reader is not
// acknowledged and keeps its records (issue 6: "stored durably before the ack").

import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fromHex, toHex } from '../../../protocol/src/bytes';
import { Category, ReaderConfig, signConfig } from '../../../protocol/src/structures/config';
import { signReaderCertificate } from '../../../protocol/src/structures/keys';
import { encodeLogExport } from '../ledger/export';
import {
  FundFile,
  FundKeys,
  READER_CERT_DAYS,
  blocklistOf,
  directoryOf,
  kidOf,
  saveFund,
} from './fund-folder';
import { ClientError, ProvisionPlan, PulledRun } from './reader-client';

/** Days a reader may sell without a pull, unless the volunteer says otherwise (SPEC §7 offline_days). */
export const DEFAULT_OFFLINE_DAYS = 14;
/** The fund's fixed UTC offset in minutes (Paris in winter; SPEC "Conventions"). */
export const DEFAULT_UTC_OFFSET_MIN = 60;

/** One reader's settings: vendor, categories with their coverage, and limits (≤ its certificate's). */
export interface ReaderSettings {
  readerId: number;
  vendorId: number;
  vendorName: string;
  categories: Category[];
  perTapMax: number;
  perCardDayMax: number;
  readerDayMax: number;
}

/**
 * The provisioning plan of `reader-client.ts provision()` for a reader of this fund folder. The fund
 * file is updated (and saved) with the reader's key and certificate *before* the directory goes out, so
 * a cable pulled now loses nothing: the next run finds the reader known.
 */
export function fundProvisionPlan(
  dir: string,
  fund: FundFile,
  k: FundKeys,
  s: ReaderSettings,
  now: number,
  forceConfig: boolean,
): ProvisionPlan {
  const fundId = fromHex(fund.fundId);
  const limits = { perTapMax: s.perTapMax, perCardDayMax: s.perCardDayMax, readerDayMax: s.readerDayMax };
  let issuedCert: Uint8Array | null = null;
  return {
    fundId,
    readerId: s.readerId,
    root: k.root,
    operator: k.operator,
    operatorCert: fromHex(fund.operatorCertificate),
    keyCerts: [fromHex(fund.issuerCertificate), fromHex(fund.operatorCertificate)],
    certificateFor: (pub) => {
      issuedCert = signReaderCertificate(
        {
          fundId,
          readerId: s.readerId,
          publicKey: pub,
          vendorId: s.vendorId,
          notBefore: now - 86400,
          notAfter: now + READER_CERT_DAYS * 86400,
          limits,
          signerKeyId: kidOf(k.root),
        },
        k.root,
      );
      return issuedCert;
    },
    directoryFor: (pub) => {
      const hexPub = toHex(pub);
      const cur = fund.readers.find((x) => x.readerId === s.readerId);
      if (cur === undefined || cur.publicKey !== hexPub) {
        fund.readers = fund.readers.filter((x) => x.readerId !== s.readerId);
        fund.readers.push({
          readerId: s.readerId,
          publicKey: hexPub,
          vendorId: s.vendorId,
          notAfter: now + READER_CERT_DAYS * 86400,
          revoked: false,
          certificate: issuedCert === null ? undefined : toHex(issuedCert),
        });
        fund.directoryVersion++;
        saveFund(dir, fund);
      } else if (issuedCert !== null && cur.certificate !== toHex(issuedCert)) {
        cur.certificate = toHex(issuedCert);
        saveFund(dir, fund);
      }
      return { version: fund.directoryVersion, envelope: directoryOf(fund, k.root, now) };
    },
    configFor: (version) => {
      const c: ReaderConfig = {
        fundId,
        readerId: s.readerId,
        version,
        issuedAt: now,
        vendorName: s.vendorName,
        categories: s.categories,
        perTapMax: s.perTapMax,
        perCardDayMax: s.perCardDayMax,
        readerDayMax: s.readerDayMax,
        offlineDays: DEFAULT_OFFLINE_DAYS,
        minBlocklistVersion: fund.blocklistVersion,
        utcOffsetMin: DEFAULT_UTC_OFFSET_MIN,
        signerKeyId: kidOf(k.operator),
      };
      return signConfig(c, k.operator);
    },
    forceConfig,
    blocklist: { version: fund.blocklistVersion, envelope: blocklistOf(fund, k.operator, now) },
  };
}

/** Writes a file and flushes it to disk before returning (the ACK that follows frees the reader's copy). */
export function writeDurably(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Path of the export file of one pulled run, in the fund folder's `exports/`. */
export function exportFilePath(dir: string, run: PulledRun): string {
  const last = run.fromSeq + run.records.length - 1;
  return join(dir, 'exports', 'journal-lecteur-' + run.readerId + '-' + run.fromSeq + '-' + last + '.cbor');
}

/**
 * The step run before each ACK of a pull: the run as a log export file, written durably into the fund
 * folder, then handed to `importer` (the treasurer's ledger) when there is one; `written` collects the
 * files. Without a ledger, a reader whose certificate the fund folder lacks is skipped (nothing to carry
 * an export with); with a ledger it is refused, since the import would fail.
 */
export function exportBeforeAck(
  dir: string,
  fund: FundFile,
  importer: ((bytes: Uint8Array) => Promise<void>) | null,
  written: string[],
): (run: PulledRun) => Promise<void> {
  const fundId = fromHex(fund.fundId);
  return async (run) => {
    const entry = fund.readers.find((x) => x.readerId === run.readerId);
    if (entry === undefined || entry.certificate === undefined) {
      if (importer !== null)
        throw new ClientError(
          'LEDGER_REFUSED',
          'certificat du lecteur absent du dossier de caisse : relancez « lecteur preparer »',
        );
      return;
    }
    const bytes = encodeLogExport({
      fundId,
      readerId: run.readerId,
      readerCertificate: fromHex(entry.certificate),
      fromSeq: run.fromSeq,
      prevHead: run.prevHead,
      records: run.records,
      checkpoints: [run.checkpoint],
    });
    const file = exportFilePath(dir, run);
    writeDurably(file, bytes);
    written.push(file);
    if (importer !== null) await importer(bytes);
  };
}
