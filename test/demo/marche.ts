// `npm run marche`: the protocol layer end to end, without hardware. A fund and its keys, member cards
// for each allocation rule as NTAG215 memory images, two readers debiting a card through the two-slot
// scheme, their hash-chained logs and signed checkpoints, all verified with the protocol's own code.
// French by default; `npm run marche -- --en` for English. Writes its artefacts to ./marche-demo/.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostSigner, hostCrypto, sha256Host } from '../../protocol/src/node/ed25519';
import { toHex } from '../../protocol/src/bytes';
import {
  keyId,
  signKeyCertificate,
  signReaderCertificate,
  signDirectory,
  ROLE_ISSUER,
  ReaderDirectory,
} from '../../protocol/src/structures/keys';
import {
  signVoucher,
  Voucher,
  RULE_FLAT,
  RULE_HOUSEHOLD,
  RULE_PARTS,
  CARRY_NONE,
  CARRY_CAPPED,
  monthlyAllocation,
} from '../../protocol/src/structures/voucher';
import {
  encodeState,
  signState,
  voucherId,
  stateId,
  balanceFor,
  carriedForNewState,
  openStateInRegion,
  SpendState,
} from '../../protocol/src/structures/state';
import { coveredShare } from '../../protocol/src/structures/config';
import {
  encodeLogRecord,
  chainGenesis,
  chainNext,
  signCheckpoint,
  verifyLogRun,
  LOG_SALE_PENDING,
  LOG_SALE_COMMIT,
} from '../../protocol/src/structures/log';
import {
  verifyKeyCertificate,
  verifyReaderCertificate,
  verifyDirectory,
  verifyVoucher,
  verifyState,
  verifyCheckpoint,
} from '../../protocol/src/verify';
import {
  NTAG215_LAYOUT,
  encodeCardHeader,
  decodeCardHeader,
  regionOf,
  userMemoryBytes,
  layoutTable,
  pagesToWrite,
  PAGE_BYTES,
} from '../../protocol/src/card';
import { findDirectoryEntry } from '../../protocol/src/structures/keys';
import { monthOfTime, monthLabel } from '../../protocol/src/time';

const EN = process.argv.includes('--en') || process.env.CARNET_LANG === 'en';
const t = (fr: string, en: string) => (EN ? en : fr);
const euros = (c: number) =>
  EN ? (c / 100).toFixed(2) + ' €' : (c / 100).toFixed(2).replace('.', ',') + ' €';
const out = 'marche-demo';
const UTC_OFFSET_MIN = 60;
const started = Date.now();

function must<T>(v: { ok: true; value: T } | { ok: false; code: string; message: string }, what: string): T {
  if (!v.ok) throw new Error(`${what}: ${v.code} ${v.message}`);
  return v.value;
}

// 1. The fund: root key (offline), issuer key (card desk), two readers.
const now = Math.floor(Date.now() / 1000);
const month = monthOfTime(now, UTC_OFFSET_MIN);
const fundId = new Uint8Array(randomBytes(8));
const root = hostSigner(new Uint8Array(randomBytes(32)));
const issuer = hostSigner(new Uint8Array(randomBytes(32)));
const readers = [101, 102].map((id) => ({
  id,
  signer: hostSigner(new Uint8Array(randomBytes(32))),
  vendor: id === 101 ? 'Ferme des Prés' : 'Épicerie mobile du Val',
}));
const rootKid = keyId(root.publicKey, sha256Host);
const issuerCert = signKeyCertificate(
  {
    fundId,
    role: ROLE_ISSUER,
    publicKey: issuer.publicKey,
    notBefore: now - 60,
    notAfter: now + 365 * 86400,
    signerKeyId: rootKid,
  },
  root,
);
must(verifyKeyCertificate(issuerCert, root.publicKey, fundId, now, hostCrypto), 'issuer certificate');
const dir: ReaderDirectory = { fundId, version: 1, issuedAt: now, entries: [], signerKeyId: rootKid };
for (const r of readers) {
  const cert = signReaderCertificate(
    {
      fundId,
      readerId: r.id,
      publicKey: r.signer.publicKey,
      vendorId: r.id - 100,
      notBefore: now - 60,
      notAfter: now + 90 * 86400,
      limits: { perTapMax: 5000, perCardDayMax: 10000, readerDayMax: 300000 },
      signerKeyId: rootKid,
    },
    root,
  );
  must(verifyReaderCertificate(cert, root.publicKey, fundId, now, hostCrypto), 'reader certificate');
  dir.entries.push({
    readerId: r.id,
    publicKey: r.signer.publicKey,
    vendorId: r.id - 100,
    notAfter: now + 90 * 86400,
  });
}
const directory = must(
  verifyDirectory(signDirectory(dir, root), root.publicKey, fundId, hostCrypto),
  'directory',
);
console.log(t('Caisse', 'Fund') + ` ${toHex(fundId)} — ${t('mois', 'month')} ${monthLabel(month)}`);

// 2. Three cards, one per allocation rule, as NTAG215 user memory (pages 4..129).
const rules = [
  {
    label: t('65 € forfaitaires', 'flat 65 €'),
    rule: { kind: RULE_FLAT, amount: 6500, perExtra: 0, count: 0 },
    carry: { kind: CARRY_NONE, cap: 0 },
  },
  {
    label: t('150 € + 75 € × 2 personnes', '150 € + 75 € × 2 persons'),
    rule: { kind: RULE_HOUSEHOLD, amount: 15000, perExtra: 7500, count: 2 },
    carry: { kind: CARRY_CAPPED, cap: 5000 },
  },
  {
    label: t('3 parts de 25 €', '3 parts of 25 €'),
    rule: { kind: RULE_PARTS, amount: 2500, perExtra: 0, count: 3 },
    carry: { kind: CARRY_NONE, cap: 0 },
  },
];
const cards = rules.map((r, i) => {
  const uid = new Uint8Array([0x04, ...randomBytes(6)]);
  const voucher: Voucher = {
    fundId,
    pseudonym: new Uint8Array(randomBytes(8)),
    cardUid: uid,
    rule: r.rule,
    startMonth: month,
    validityMonths: 12,
    carry: r.carry,
    issuerKeyId: keyId(issuer.publicKey, sha256Host),
    issuedAt: now,
    serial: 1,
  };
  const env = signVoucher(voucher, issuer);
  const image = new Uint8Array(userMemoryBytes(NTAG215_LAYOUT));
  regionOf(image, NTAG215_LAYOUT.voucher).set(env);
  regionOf(image, NTAG215_LAYOUT.header).set(encodeCardHeader(NTAG215_LAYOUT.chip, 0)); // header last
  console.log(
    `  ${t('carte', 'card')} ${i + 1}: ${r.label} → ${euros(monthlyAllocation(r.rule))}/${t('mois', 'month')}, ${t('bon', 'voucher')} ${env.length} ${t('octets', 'bytes')}`,
  );
  return { uid, image, label: r.label };
});

// 3. A reader's tap: read, verify, choose the current slot, write the other one, read back, commit.
const logs = new Map<number, { head: Uint8Array; seq: number; records: Uint8Array[] }>();
for (const r of readers)
  logs.set(r.id, { head: chainGenesis(fundId, r.id, sha256Host), seq: 0, records: [] });
function append(readerId: number, rec: (seq: number) => Uint8Array): number {
  const l = logs.get(readerId)!;
  const bytes = rec(l.seq + 1);
  l.seq++;
  l.records.push(bytes);
  l.head = chainNext(l.head, bytes, sha256Host);
  return l.seq;
}

function tap(cardIndex: number, readerIndex: number, amount: number, rateBp: number, category: string) {
  const card = cards[cardIndex];
  const reader = readers[readerIndex];
  must(decodeCardHeader(card.image), 'header');
  const { voucher, envelope } = must(
    verifyVoucher(
      regionOf(card.image, NTAG215_LAYOUT.voucher),
      true,
      issuer.publicKey,
      fundId,
      card.uid,
      month,
      hostCrypto,
    ),
    'voucher',
  );
  let current: { state: SpendState; body: Uint8Array } | null = null;
  let currentSlot = -1;
  [NTAG215_LAYOUT.slotA, NTAG215_LAYOUT.slotB].forEach((slot, i) => {
    const region = regionOf(card.image, slot);
    // Decode first (unverified) to learn which reader wrote it, then verify with that reader's key.
    const unverified = openStateInRegion(region);
    if (!unverified.ok) return; // empty or torn slot
    const entry = findDirectoryEntry(directory, unverified.value.value.readerId);
    if (!entry) return;
    const v = verifyState(region, true, entry.publicKey, voucher.pseudonym, hostCrypto);
    if (v.ok && (current === null || v.value.state.cardSeq > current.state.cardSeq)) {
      current = v.value;
      currentSlot = i;
    }
  });
  const cur = current as { state: SpendState; body: Uint8Array } | null;
  const covered = coveredShare(amount, rateBp);
  const before = balanceFor(voucher, cur ? cur.state : null, month);
  if (covered > before) throw new Error('over balance');
  const l = logs.get(reader.id)!;
  const sameMonth = cur !== null && cur.state.month === month;
  const next: SpendState = {
    pseudonym: voucher.pseudonym,
    voucherSerial: voucher.serial,
    month,
    cardSeq: cur ? cur.state.cardSeq + 1 : 1,
    carried: carriedForNewState(voucher, cur ? cur.state : null, month),
    spent: (sameMonth ? cur!.state.spent : 0) + covered,
    lastAmount: covered,
    readerId: reader.id,
    logSeq: l.seq + 1,
    time: now,
    prev: cur ? stateId(cur.body, sha256Host) : voucherId(envelope, sha256Host),
  };
  const body = encodeState(next);
  const pending = append(reader.id, (seq) =>
    encodeLogRecord({ seq, time: now, kind: LOG_SALE_PENDING, data: [1, amount, covered, body] }),
  );
  const target = currentSlot === 0 ? NTAG215_LAYOUT.slotB : NTAG215_LAYOUT.slotA;
  const env = signState(next, reader.signer);
  regionOf(card.image, target).set(env); // the reader writes pagesToWrite(env.length) pages
  const back = must(
    verifyState(regionOf(card.image, target), true, reader.signer.publicKey, voucher.pseudonym, hostCrypto),
    'read-back',
  );
  append(reader.id, (seq) => encodeLogRecord({ seq, time: now, kind: LOG_SALE_COMMIT, data: [pending] }));
  const after = balanceFor(voucher, back.state, month);
  console.log('');
  console.log('  ' + '-'.repeat(32));
  console.log('  ' + reader.vendor);
  console.log('  ' + (t('Montant', 'Amount') + ` (${category})`).padEnd(22) + euros(amount).padStart(10));
  console.log('  ' + t('Pris en charge', 'Covered').padEnd(22) + euros(covered).padStart(10));
  console.log('  ' + t('Reste à payer', 'Left to pay').padEnd(22) + euros(amount - covered).padStart(10));
  console.log('  ' + t('Solde du mois', 'Balance this month').padEnd(22) + euros(after).padStart(10));
  console.log(`  ${t('Lecteur', 'Reader')} ${reader.id} · ${t('journal', 'log')} n° ${pending}`);
  console.log('  ' + '-'.repeat(32));
  console.log(
    `  (${t('état', 'state')} ${env.length} ${t('octets', 'bytes')} → ${pagesToWrite(env.length)} ${t('pages écrites dans', 'pages written to')} ${target.name}, ${t('lu et vérifié', 'read back and verified')})`,
  );
}

console.log('');
console.log(t('Passages en caisse :', 'Taps:'));
tap(0, 0, 2340, 10000, t('légumes', 'vegetables'));
tap(0, 1, 1800, 5000, t('épicerie', 'grocery'));
tap(1, 1, 4550, 10000, t('légumes', 'vegetables'));

// 4. Day close: each reader signs a checkpoint; the treasurer's side re-verifies every chain.
console.log('');
for (const r of readers) {
  const l = logs.get(r.id)!;
  const cp = signCheckpoint(
    { fundId, readerId: r.id, seq: l.seq, head: l.head, time: now, nonce: null },
    r.signer,
  );
  const checked = must(verifyCheckpoint(cp, r.signer.publicKey, fundId, r.id, hostCrypto), 'checkpoint');
  const run = verifyLogRun(chainGenesis(fundId, r.id, sha256Host), 1, l.records, sha256Host);
  const agrees = run.ok && toHex(run.value.head) === toHex(checked.head);
  console.log(
    `${t('Lecteur', 'Reader')} ${r.id}: ${l.seq} ${t('relevés', 'records')}, ${t('chaîne', 'chain')} ${agrees ? t('vérifiée', 'verified') : t('ROMPUE', 'BROKEN')} (${toHex(l.head).slice(0, 16)}…)`,
  );
  if (!agrees) process.exitCode = 1;
}

mkdirSync(out, { recursive: true });
cards.forEach((c, i) =>
  writeFileSync(`${out}/carte-${i + 1}-ntag215.hex`, toHex(c.image).replace(/(.{8})/g, '$1\n')),
);
writeFileSync(`${out}/plan-ntag215.md`, layoutTable(NTAG215_LAYOUT) + '\n');
console.log('');
console.log(t('Plan de la carte NTAG215 :', 'NTAG215 card map:'));
console.log(layoutTable(NTAG215_LAYOUT));
console.log('');
console.log(
  t(
    `Images des cartes (${PAGE_BYTES} octets par ligne = une page) et plan écrits dans ./${out}/ en ${Date.now() - started} ms.`,
    `Card images (${PAGE_BYTES} bytes per line = one page) and map written to ./${out}/ in ${Date.now() - started} ms.`,
  ),
);
