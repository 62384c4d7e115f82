// `npm run marche` (to be switched to this file by the lead): one simulated sale end to end, on the
// reader's own firmware code (firmware/src/reader.ts) over virtual devices. A fund with the fixed test
// keys, a reader provisioned through its serial service, a member card issued as an NTAG215 image, an
// amount typed on the keypad, a category chosen, the tap, the receipt as the printer would print it, and
// the reader's log pulled over the link and verified (hash chain and signed checkpoint).

import { mkdirSync, writeFileSync } from 'node:fs';
import { provisionedReader, memberCard, READER_ID, fundId, voucherFlat } from '../sim/fund';
import { decodeEscPos, linesWithMarkers, receiptSvg } from '../sim/virtual-printer';
import { MSG_GET_CHECKPOINT, MSG_PULL_LOG } from '../../protocol/src/messages';
import { chainGenesis, decodeLogRecord, verifyLogRun } from '../../protocol/src/structures/log';
import { verifyCheckpoint } from '../../protocol/src/verify';
import { hostCrypto, sha256Host } from '../../protocol/src/node/ed25519';
import { toHex } from '../../protocol/src/bytes';
import { monthlyAllocation } from '../../protocol/src/structures/voucher';

const KIND_FR: { [k: number]: string } = {
  1: 'VENTE (en cours)',
  2: 'VENTE validée',
  3: 'ANNULÉE',
  4: 'REMBOURSEMENT (en cours)',
  5: 'REMBOURSEMENT validé',
  6: 'CONSULTATION de solde',
  7: 'ALERTE',
  8: 'CONFIGURATION',
  9: 'DÉMARRAGE',
  10: 'CLÔTURE du jour',
};
const CHANGE_FR: { [k: number]: string } = {
  1: 'clé du lecteur créée',
  2: 'certificat installé',
  3: 'configuration',
  4: 'annuaire des lecteurs',
  5: 'liste de blocage',
  6: 'certificat de clé',
  7: 'heure réglée',
  8: 'journal acquitté',
  9: 'maintenance',
};

function euros(c: number): string {
  return (c / 100).toFixed(2).replace('.', ',') + ' €';
}

function main(): void {
  console.log('carnet — vente simulée de bout en bout sur le code du lecteur\n');
  const p = provisionedReader('marche');
  const sim = p.sim;
  console.log('1. Lecteur ' + READER_ID + ' mis en service par la liaison série (commandes signées) :');
  console.log(
    '   KEYGEN, certificat, clés émetteur et opérateur, configuration, annuaire, liste de blocage, heure',
  );
  console.log('   clé publique du lecteur : ' + toHex(p.publicKey).substring(0, 16) + '…\n');

  const card = memberCard();
  console.log(
    '2. Carte de membre émise (NTAG215) : ' + euros(monthlyAllocation(voucherFlat.rule)) + ' par mois',
  );
  console.log('   (pseudonyme seulement, aucun nom sur la carte ni sur le ticket)\n');

  console.log('3. Au stand :');
  const shown = (what: string) =>
    console.log('   ' + what.padEnd(24) + ' écran : ' + sim.screen().join(' | '));
  sim.keys('1');
  sim.keys('2');
  sim.keys('5');
  sim.keys('0');
  shown('tape 1 2 5 0');
  sim.keys('#');
  shown('touche # (valider)');
  sim.keys('1');
  shown('touche 1 (catégorie)');
  sim.tap(card);
  shown('carte posée');
  sim.removeCard();
  console.log();

  console.log('4. Ticket imprimé (ESC/POS décodé par l’imprimante virtuelle) :');
  const doc = decodeEscPos(sim.printed[sim.printed.length - 1]);
  console.log('   ┌────────────────────────────────┐');
  for (const l of linesWithMarkers(doc.lines)) console.log('   │ ' + l);
  console.log('   └────────────────────────────────┘');
  mkdirSync('marche-demo', { recursive: true });
  writeFileSync('marche-demo/ticket-lecteur.svg', receiptSvg(doc.lines));
  console.log('   aperçu : marche-demo/ticket-lecteur.svg\n');

  console.log('5. Journal du lecteur, relevé par la liaison série et vérifié :');
  const batch = p.host.request(MSG_PULL_LOG, [1, 64]);
  if (batch.type !== 0x84) throw new Error('pas de LOG_BATCH');
  const genesis = chainGenesis(fundId, READER_ID, sha256Host);
  const run = verifyLogRun(genesis, 1, batch.records, sha256Host);
  for (const bytes of batch.records) {
    const r = decodeLogRecord(bytes);
    if (!r.ok) continue;
    let detail = '';
    if (r.value.kind === 8) detail = CHANGE_FR[r.value.data[0] as number] ?? '';
    if (r.value.kind === 1)
      detail =
        'montant ' +
        euros(r.value.data[1] as number) +
        ', pris en charge ' +
        euros(r.value.data[2] as number);
    if (r.value.kind === 2) detail = 'vente n° ' + r.value.data[0];
    console.log(
      '   n° ' + String(r.value.seq).padStart(2) + '  ' + (KIND_FR[r.value.kind] ?? '?').padEnd(24) + detail,
    );
  }
  console.log(
    '   chaîne SHA-256 : ' +
      (run.ok ? 'intacte' : 'ROMPUE ' + run.message) +
      ' (' +
      batch.records.length +
      ' relevés, ' +
      batch.records.reduce((n, r) => n + r.length, 0) +
      ' octets)',
  );
  const ck = p.host.request(MSG_GET_CHECKPOINT, [new Uint8Array(16).fill(9)]);
  if (ck.type !== 0x85) throw new Error('pas de point de contrôle');
  const v = verifyCheckpoint(ck.envelope, p.publicKey, fundId, READER_ID, hostCrypto);
  const same = v.ok && toHex(v.value.head) === toHex(run.value.head);
  console.log(
    '   point de contrôle signé par le lecteur : ' +
      (v.ok ? 'signature valide' : 'INVALIDE') +
      ', tête ' +
      (same ? 'identique' : 'DIFFÉRENTE'),
  );
  if (!run.ok || !same || doc.lines.length === 0) process.exitCode = 1;
}

main();
