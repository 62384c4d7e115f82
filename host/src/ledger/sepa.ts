// SEPA credit transfers to reimburse vendors: IBAN checking (ISO 13616, mod 97-10 of ISO 7064) and the
// pain.001.001.03 customer credit transfer initiation file banks take in, plus reading one back to mark
// the batch paid.

/** IBANs are at most 34 characters (ISO 13616-1). */
export const MAX_IBAN_CHARS = 34;
/** SEPA names (Nm) are cut at 70 characters (EPC implementation guidelines). */
export const MAX_SEPA_NAME = 70;
/** Remittance information (Ustrd) is at most 140 characters. */
export const MAX_SEPA_REMITTANCE = 140;

/** Remainder mod 97 of the IBAN rearranged as ISO 13616 says (country + check moved to the end, A=10…). */
function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    const digits = code >= 65 && code <= 90 ? String(code - 55) : ch;
    for (const dch of digits) r = (r * 10 + (dch.charCodeAt(0) - 48)) % 97;
  }
  return r;
}

export function normalizeIban(s: string): string {
  return s.replace(/\s+/g, '').toUpperCase();
}

/** True when the IBAN has a valid shape and its check digits pass mod 97 (= 1). */
export function ibanValid(s: string): boolean {
  const iban = normalizeIban(s);
  if (iban.length < 15 || iban.length > MAX_IBAN_CHARS) return false;
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) return false;
  return mod97(iban.slice(4) + iban.slice(0, 4)) === 1;
}

/** Builds an IBAN from a country code and its national account number (computes the check digits). */
export function ibanFromBban(country: string, bban: string): string {
  const check = 98 - mod97(bban + country + '00');
  return country + String(check).padStart(2, '0') + bban;
}

export function bicValid(s: string): boolean {
  return /^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(s);
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** SEPA's Latin character set: anything else becomes a space (EPC guidelines §1.4). */
function sepaText(s: string, max: number): string {
  const t = s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9/\-?:().,'+ ]/g, ' ');
  return t.slice(0, max);
}

export function amountText(cents: number): string {
  return Math.floor(cents / 100) + '.' + String(cents % 100).padStart(2, '0');
}

export interface SepaParty {
  name: string;
  iban: string;
  bic: string;
}

export interface SepaTransfer extends SepaParty {
  endToEndId: string;
  amount: number;
  remittance: string;
}

export interface SepaBatch {
  msgId: string;
  createdAt: number;
  executionDate: string;
  debtor: SepaParty;
  transfers: SepaTransfer[];
}

/** The pain.001.001.03 document (ISO 20022). Amounts are integer cents written with a dot. */
export function painXml(b: SepaBatch): string {
  const total = b.transfers.reduce((s, t) => s + t.amount, 0);
  const created = new Date(b.createdAt * 1000).toISOString().slice(0, 19);
  const tx = b.transfers
    .map(
      (t) => `      <CdtTrfTxInf>
        <PmtId><EndToEndId>${xml(t.endToEndId)}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">${amountText(t.amount)}</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BIC>${xml(t.bic)}</BIC></FinInstnId></CdtrAgt>
        <Cdtr><Nm>${xml(sepaText(t.name, MAX_SEPA_NAME))}</Nm></Cdtr>
        <CdtrAcct><Id><IBAN>${normalizeIban(t.iban)}</IBAN></Id></CdtrAcct>
        <RmtInf><Ustrd>${xml(sepaText(t.remittance, MAX_SEPA_REMITTANCE))}</Ustrd></RmtInf>
      </CdtTrfTxInf>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>${xml(b.msgId)}</MsgId>
      <CreDtTm>${created}</CreDtTm>
      <NbOfTxs>${b.transfers.length}</NbOfTxs>
      <CtrlSum>${amountText(total)}</CtrlSum>
      <InitgPty><Nm>${xml(sepaText(b.debtor.name, MAX_SEPA_NAME))}</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>${xml(b.msgId)}</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <BtchBookg>true</BtchBookg>
      <NbOfTxs>${b.transfers.length}</NbOfTxs>
      <CtrlSum>${amountText(total)}</CtrlSum>
      <PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>
      <ReqdExctnDt>${b.executionDate}</ReqdExctnDt>
      <Dbtr><Nm>${xml(sepaText(b.debtor.name, MAX_SEPA_NAME))}</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>${normalizeIban(b.debtor.iban)}</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BIC>${xml(b.debtor.bic)}</BIC></FinInstnId></DbtrAgt>
      <ChrgBr>SLEV</ChrgBr>
${tx}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
`;
}

/** What re-importing a pain.001 file needs: its id, count and control sum (first occurrences, GrpHdr). */
export function readPainSummary(
  text: string,
):
  | { ok: true; value: { msgId: string; count: number; total: number } }
  | { ok: false; code: string; message: string } {
  if (!text.includes('urn:iso:std:iso:20022:tech:xsd:pain.001.001.03')) {
    return {
      ok: false,
      code: 'SEPA_INCONNU',
      message: "ce fichier n'est pas un virement SEPA pain.001.001.03",
    };
  }
  const id = /<MsgId>([^<]{1,35})<\/MsgId>/.exec(text);
  const n = /<NbOfTxs>([0-9]{1,15})<\/NbOfTxs>/.exec(text);
  const sum = /<CtrlSum>([0-9]{1,15})\.([0-9]{2})<\/CtrlSum>/.exec(text);
  if (!id || !n || !sum)
    return { ok: false, code: 'SEPA_ILLISIBLE', message: 'fichier SEPA incomplet (MsgId, NbOfTxs, CtrlSum)' };
  return {
    ok: true,
    value: { msgId: id[1], count: Number(n[1]), total: Number(sum[1]) * 100 + Number(sum[2]) },
  };
}
