// High-level verification of signed structures against their signer and context (SPEC.md §4-§10).
// Used by the reader firmware, the card desk and the ledger alike, and by the golden-vector runner.
// Each returns a verdict; none throws on hostile bytes.

import { bytesEqual } from './bytes';
import { ProtocolCrypto } from './crypto/types';
import { Verdict, failVerdict, okVerdict } from './verdict';
import { Opened, signatureValid } from './structures/envelope';
import {
  KeyCertificate,
  ReaderCertificate,
  ReaderDirectory,
  keyId,
  openDirectory,
  openKeyCertificate,
  openReaderCertificate,
} from './structures/keys';
import { Voucher, openVoucher, openVoucherInRegion } from './structures/voucher';
import { SpendState, openState, openStateInRegion } from './structures/state';
import { Blocklist, ReaderConfig, openBlocklist, openConfig } from './structures/config';
import { Checkpoint, openCheckpoint } from './structures/log';
import { OpenedCommand, openCommand } from './structures/command';

/** Common checks: the signer's key id, the signature, the fund. */
function checkSigned<T>(
  opened: Opened,
  value: T,
  fundId: Uint8Array | null,
  valueFund: Uint8Array | null,
  signerKeyId: Uint8Array | null,
  signerPublicKey: Uint8Array,
  crypto: ProtocolCrypto,
): Verdict<T> {
  // Signature first: any change to the signed bytes reads as SIGNATURE_INVALID, whatever field it hit.
  if (!signatureValid(opened, signerPublicKey, crypto.verify))
    return failVerdict('SIGNATURE_INVALID', 'signature invalide');
  if (fundId !== null && valueFund !== null && !bytesEqual(fundId, valueFund)) {
    return failVerdict('WRONG_FUND', 'appartient à une autre caisse');
  }
  if (signerKeyId !== null && !bytesEqual(signerKeyId, keyId(signerPublicKey, crypto.sha256))) {
    return failVerdict('WRONG_KEY', 'signée par une autre clé que celle attendue');
  }
  return okVerdict(value);
}

function inWindow<T>(v: Verdict<T>, notBefore: number, notAfter: number, now: number): Verdict<T> {
  if (!v.ok) return v;
  if (now < notBefore) return failVerdict('NOT_YET_VALID', 'certificat pas encore valide');
  if (now >= notAfter) return failVerdict('EXPIRED', 'certificat expiré');
  return v;
}

export function verifyKeyCertificate(
  bytes: Uint8Array,
  rootPublicKey: Uint8Array,
  fundId: Uint8Array,
  now: number,
  crypto: ProtocolCrypto,
): Verdict<KeyCertificate> {
  const o = openKeyCertificate(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const c = o.value.value;
  const v = checkSigned(o.value.opened, c, fundId, c.fundId, c.signerKeyId, rootPublicKey, crypto);
  return inWindow(v, c.notBefore, c.notAfter, now);
}

export function verifyReaderCertificate(
  bytes: Uint8Array,
  rootPublicKey: Uint8Array,
  fundId: Uint8Array,
  now: number,
  crypto: ProtocolCrypto,
): Verdict<ReaderCertificate> {
  const o = openReaderCertificate(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const c = o.value.value;
  const v = checkSigned(o.value.opened, c, fundId, c.fundId, c.signerKeyId, rootPublicKey, crypto);
  return inWindow(v, c.notBefore, c.notAfter, now);
}

export function verifyDirectory(
  bytes: Uint8Array,
  rootPublicKey: Uint8Array,
  fundId: Uint8Array,
  crypto: ProtocolCrypto,
): Verdict<ReaderDirectory> {
  const o = openDirectory(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const d = o.value.value;
  return checkSigned(o.value.opened, d, fundId, d.fundId, d.signerKeyId, rootPublicKey, crypto);
}

/**
 * A voucher: issuer signature, fund, binding to the card's UID, and validity for `month`
 * (EXPIRED after its last month, NOT_YET_VALID before its first).
 */
export function verifyVoucher(
  bytes: Uint8Array,
  inRegion: boolean,
  issuerPublicKey: Uint8Array,
  fundId: Uint8Array,
  cardUid: Uint8Array,
  month: number,
  crypto: ProtocolCrypto,
): Verdict<{ voucher: Voucher; envelope: Uint8Array }> {
  const o = inRegion ? openVoucherInRegion(bytes) : openVoucher(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const v = o.value.value;
  const s = checkSigned(o.value.opened, v, fundId, v.fundId, v.issuerKeyId, issuerPublicKey, crypto);
  if (!s.ok) return failVerdict(s.code, s.message);
  if (!bytesEqual(v.cardUid, cardUid))
    return failVerdict('CARD_UID_MISMATCH', "le bon n'appartient pas à cette carte");
  if (month < v.startMonth) return failVerdict('NOT_YET_VALID', 'bon pas encore valide');
  if (month >= v.startMonth + v.validityMonths) return failVerdict('EXPIRED', 'bon expiré');
  return okVerdict({ voucher: v, envelope: o.value.opened.bytes });
}

/** A spend state: its reader's signature and the card's pseudonym. */
export function verifyState(
  bytes: Uint8Array,
  inRegion: boolean,
  readerPublicKey: Uint8Array,
  pseudonym: Uint8Array,
  crypto: ProtocolCrypto,
): Verdict<{ state: SpendState; body: Uint8Array; envelope: Uint8Array }> {
  const o = inRegion ? openStateInRegion(bytes) : openState(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const st = o.value.value;
  if (!bytesEqual(st.pseudonym, pseudonym))
    return failVerdict('WRONG_KEY', "l'état appartient à une autre carte");
  const s = checkSigned(o.value.opened, st, null, null, null, readerPublicKey, crypto);
  if (!s.ok) return failVerdict(s.code, s.message);
  return okVerdict({ state: st, body: o.value.opened.body, envelope: o.value.opened.bytes });
}

export function verifyConfig(
  bytes: Uint8Array,
  signerPublicKey: Uint8Array,
  fundId: Uint8Array,
  readerId: number,
  crypto: ProtocolCrypto,
): Verdict<ReaderConfig> {
  const o = openConfig(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const c = o.value.value;
  const s = checkSigned(o.value.opened, c, fundId, c.fundId, c.signerKeyId, signerPublicKey, crypto);
  if (s.ok && c.readerId !== readerId)
    return failVerdict('WRONG_KEY', 'configuration destinée à un autre lecteur');
  return s;
}

export function verifyBlocklist(
  bytes: Uint8Array,
  signerPublicKey: Uint8Array,
  fundId: Uint8Array,
  crypto: ProtocolCrypto,
): Verdict<Blocklist> {
  const o = openBlocklist(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const b = o.value.value;
  return checkSigned(o.value.opened, b, fundId, b.fundId, b.signerKeyId, signerPublicKey, crypto);
}

export function verifyCheckpoint(
  bytes: Uint8Array,
  readerPublicKey: Uint8Array,
  fundId: Uint8Array,
  readerId: number,
  crypto: ProtocolCrypto,
): Verdict<Checkpoint> {
  const o = openCheckpoint(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const c = o.value.value;
  const s = checkSigned(o.value.opened, c, fundId, c.fundId, null, readerPublicKey, crypto);
  if (s.ok && c.readerId !== readerId)
    return failVerdict('WRONG_KEY', "point de contrôle d'un autre lecteur");
  return s;
}

/**
 * A signed command: signature by `signerPublicKey`, fund, reader and the reader's single-use nonce
 * (SPEC.md §10). Checking that the signer is the root or a root-certified operator is the caller's job
 * (it holds the trust store); `signerKeyId` in the body must name `signerPublicKey`.
 */
export function verifyCommand(
  bytes: Uint8Array,
  signerPublicKey: Uint8Array,
  fundId: Uint8Array,
  readerId: number,
  nonce: Uint8Array,
  crypto: ProtocolCrypto,
): Verdict<OpenedCommand> {
  const o = openCommand(bytes);
  if (!o.ok) return failVerdict(o.code, o.message);
  const c = o.value.value;
  const s = checkSigned(o.value.opened, o.value, fundId, c.fundId, c.signerKeyId, signerPublicKey, crypto);
  if (!s.ok) return s;
  if (c.readerId !== readerId) return failVerdict('WRONG_KEY', 'commande destinée à un autre lecteur');
  if (!bytesEqual(c.nonce, nonce)) return failVerdict('BAD_NONCE', 'commande rejouée ou périmée (nonce)');
  return s;
}
