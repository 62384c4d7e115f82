// What people read, in French (issue 4 §3). Display lines are at most 21 characters (128 px / 6 px font);
// receipt lines at most 32 (58 mm printer, font A). Every string is Latin-1, because Espruino strings are
// 8-bit on the Pico (../shared/espruino/FACTS.md); the euro sign is EURO (0x80, its Windows-1252 place),
// which drivers/ssd1306 and drivers/escpos (CP858) both render as €. No em dash, no curly quote.

export const DISPLAY_COLUMNS = 21;
export const RECEIPT_COLUMNS = 32;

/** The euro sign in 8-bit firmware strings (drivers/escpos EURO_CHAR). */
export const EURO = '\x80';

/** 1250 → "12,50 €" (money is integer cents, SPEC.md conventions). */
export function money(cents: number): string {
  const neg = cents < 0;
  const c = neg ? -cents : cents;
  const e = Math.floor(c / 100);
  const r = c - e * 100;
  return (neg ? '-' : '') + e + ',' + (r < 10 ? '0' : '') + r + ' ' + EURO;
}

export const T = {
  amount: 'Montant :',
  amountHelp: '# valider  * corriger',
  idleHelp: 'A solde B ticket',
  idleHelp2: 'C annuler D clôture',
  chooseCategory: 'Catégorie ?',
  present: 'Présentez la carte',
  retap: 'Reposez la carte',
  cancelHelp: '* annuler',
  accepted: 'Paiement accepté',
  refunded: 'Vente annulée',
  balance: 'Solde du mois',
  voided: 'Vente abandonnée',
  notConfigured: 'Lecteur non configuré',
  syncRequired: 'Synchronisation',
  syncRequired2: 'requise',
  logFull: 'Journal plein',
  logFull2: 'synchronisez',
  unknownCard: 'Carte inconnue',
  badSignature: 'Signature invalide',
  expired: 'Bon expiré',
  notYetValid: 'Bon pas encore valide',
  blocked: 'Carte bloquée',
  rollback: 'Carte plus ancienne',
  rollback2: 'que déjà vue: refusée',
  overBalance: 'Solde insuffisant',
  overTap: 'Montant trop élevé',
  overDay: 'Plafond du jour',
  overCardDay: 'atteint (carte)',
  overReaderDay: 'atteint (lecteur)',
  otherCard: 'Pas la même carte',
  cardError: 'Carte illisible',
  noLastSale: 'Aucune vente',
  noLastSale2: 'à annuler',
  noReceipt: 'Aucun ticket',
  dayClosed: 'Journée clôturée',
  dayCloseConfirm: 'Clôturer la journée ?',
  yesNo: '# oui   * non',
  noNfc: 'Lecteur NFC absent',
  noPrinter: 'Imprimante absente',
  storageError: 'Erreur mémoire',
  cardUidMismatch: "Bon d'une autre carte",
};
