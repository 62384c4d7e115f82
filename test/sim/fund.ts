// A fund for the simulator: the fixed keys of protocol/scripts/vector-fixtures.ts, and provisioning of a
// simulated reader through its serial service (KEYGEN → certificate → key certificates → configuration →
// directory → blocklist → time), exactly as the host will do it.

import {
  T0,
  NOV_2026,
  blocklist as fixtureBlocklist,
  cardUid,
  config as fixtureConfig,
  fundId,
  issuer,
  issuerCert,
  kid,
  operator,
  reader2,
  root,
  voucherFlat,
} from '../../protocol/scripts/vector-fixtures';
import {
  KeyCertificate,
  ROLE_OPERATOR,
  ReaderCertificate,
  ReaderDirectory,
  signDirectory,
  signKeyCertificate,
  signReaderCertificate,
} from '../../protocol/src/structures/keys';
import { Blocklist, ReaderConfig, signBlocklist, signConfig } from '../../protocol/src/structures/config';
import { Voucher, signVoucher } from '../../protocol/src/structures/voucher';
import {
  CMD_INSTALL_CERTIFICATE,
  CMD_KEYGEN,
  CMD_PUT_BLOCKLIST,
  CMD_PUT_CONFIG,
  CMD_PUT_DIRECTORY,
  CMD_PUT_KEY_CERTIFICATE,
  CMD_SET_TIME,
} from '../../protocol/src/structures/command';
import { NTAG215_LAYOUT } from '../../protocol/src/card';
import { CborValue } from '../../protocol/src/cbor';
import { Ed25519Signer } from '../../protocol/src/crypto/types';
import { HostDriver, ReaderSim } from './reader-sim';
import { CardMemory, issueCard } from './card-memory';
import { VirtualFlash } from './virtual-flash';

export { T0, NOV_2026, fundId, root, issuer, operator, cardUid, voucherFlat, kid };

export const READER_ID = 101;
/** 2026-11-10 09:00 UTC: inside every fixture's validity window. */
export const SIM_T = T0 + 9 * 86400 + 9 * 3600;

export const operatorCert: KeyCertificate = {
  fundId: fundId,
  role: ROLE_OPERATOR,
  publicKey: operator.publicKey,
  notBefore: T0 - 86400,
  notAfter: T0 + 365 * 86400,
  signerKeyId: kid(root),
};
export const operatorCertEnv = signKeyCertificate(operatorCert, root);
export const issuerCertEnv = signKeyCertificate(issuerCert, root);

export function readerCert(pub: Uint8Array, notAfter: number): ReaderCertificate {
  return {
    fundId: fundId,
    readerId: READER_ID,
    publicKey: pub,
    vendorId: 7,
    notBefore: T0 - 86400,
    notAfter: notAfter,
    limits: { perTapMax: 5000, perCardDayMax: 10000, readerDayMax: 200000 },
    signerKeyId: kid(root),
  };
}

export function makeDirectory(pub: Uint8Array, version: number): ReaderDirectory {
  return {
    fundId: fundId,
    version: version,
    issuedAt: T0,
    entries: [
      { readerId: READER_ID, publicKey: pub, vendorId: 7, notAfter: T0 + 180 * 86400 },
      { readerId: 102, publicKey: reader2.publicKey, vendorId: 8, notAfter: T0 + 180 * 86400 },
    ],
    signerKeyId: kid(root),
  };
}

export function makeConfig(version: number, over: Partial<ReaderConfig>): ReaderConfig {
  return { ...fixtureConfig, version: version, ...over };
}

export function makeBlocklist(version: number, pseudonyms: Uint8Array[]): Blocklist {
  const list = fixtureBlocklist.pseudonyms.concat(pseudonyms).sort((a, b) => Buffer.compare(a, b));
  return { ...fixtureBlocklist, version: version, pseudonyms: list };
}

export function cmd(
  kind: number,
  args: CborValue[],
  signer: Ed25519Signer,
  readerId = READER_ID,
  fund = fundId,
) {
  return {
    fundId: fund,
    readerId: readerId,
    issuedAt: SIM_T,
    kind: kind,
    args: args,
    signerKeyId: kid(signer),
  };
}

export interface Provisioned {
  sim: ReaderSim;
  host: HostDriver;
  publicKey: Uint8Array;
}

/** A fresh simulated reader provisioned through its serial service. Throws if any step fails. */
export function provisionedReader(label: string, flash?: VirtualFlash, segs = 0, segBytes = 0): Provisioned {
  const sim = new ReaderSim(flash ?? new VirtualFlash(48 * 1024), SIM_T, label, segs, segBytes);
  sim.reader.boot();
  const host = new HostDriver(sim, 100);
  host.hello(SIM_T);
  const steps: [number, CborValue[], Ed25519Signer, Uint8Array | null][] = [];
  const kg = host.command(cmd(CMD_KEYGEN, [root.publicKey], root), root, null);
  if (kg.status !== 0 || kg.data === null) throw new Error('KEYGEN ' + kg.status);
  const pub = kg.data;
  steps.push([
    CMD_INSTALL_CERTIFICATE,
    [signReaderCertificate(readerCert(pub, T0 + 180 * 86400), root), null],
    root,
    null,
  ]);
  steps.push([CMD_PUT_KEY_CERTIFICATE, [issuerCertEnv, null], root, null]);
  steps.push([CMD_PUT_KEY_CERTIFICATE, [operatorCertEnv, null], root, null]);
  steps.push([CMD_PUT_CONFIG, [signConfig(makeConfig(5, {}), operator), null], operator, operatorCertEnv]);
  steps.push([CMD_PUT_DIRECTORY, [signDirectory(makeDirectory(pub, 3), root), null], root, null]);
  steps.push([CMD_PUT_BLOCKLIST, [signBlocklist(makeBlocklist(4, []), operator), null], operator, null]);
  steps.push([CMD_SET_TIME, [SIM_T], operator, null]);
  for (const s of steps) {
    const r = host.command(cmd(s[0], s[1], s[2]), s[2], s[3]);
    if (r.status !== 0) throw new Error('command ' + s[0] + ' status ' + r.status + ' ' + r.detail);
  }
  return { sim, host, publicKey: pub };
}

export function signedVoucher(v: Voucher): Uint8Array {
  return signVoucher(v, issuer);
}

/** The fixture member's NTAG215, freshly issued. */
export function memberCard(v: Voucher = voucherFlat): CardMemory {
  return issueCard(v.cardUid, NTAG215_LAYOUT, signedVoucher(v));
}
