// Status codes of the host link: the `status` of a RESULT and the `code` of an ERROR (messages.ts,
// SPEC.md "Host link", message catalog). Numbers are the contract; names and texts are for people.
// French first (people at the fund's desk read French), English beside it.
//
// Tables are plain arrays indexed by code (Espruino subset: no Map, no computed keys). A code beyond the
// tables comes from a newer reader: statusText gives a generic text with the number instead of failing.

export const STATUS_OK = 0;
export const STATUS_BAD_FORMAT = 1;
export const STATUS_BAD_SIGNATURE = 2;
export const STATUS_BAD_NONCE = 3;
export const STATUS_WRONG_FUND = 4;
export const STATUS_WRONG_READER = 5;
export const STATUS_STALE_VERSION = 6;
export const STATUS_NOT_PROVISIONED = 7;
export const STATUS_ALREADY_PROVISIONED = 8;
export const STATUS_CLOCK_REFUSED = 9;
export const STATUS_LOG_RANGE = 10;
export const STATUS_BUSY = 11;
export const STATUS_UNSUPPORTED = 12;
export const STATUS_STORAGE_FULL = 13;
export const STATUS_EXPIRED = 14;
export const STATUS_REVOKED = 15;
export const STATUS_INTERNAL = 16;

/** Largest status code on the wire: one byte's worth leaves room for later versions' codes. */
export const MAX_STATUS_CODE = 255;

/** Symbolic names, indexed by code. */
export const STATUS_NAMES: string[] = [
  'OK',
  'BAD_FORMAT',
  'BAD_SIGNATURE',
  'BAD_NONCE',
  'WRONG_FUND',
  'WRONG_READER',
  'STALE_VERSION',
  'NOT_PROVISIONED',
  'ALREADY_PROVISIONED',
  'CLOCK_REFUSED',
  'LOG_RANGE',
  'BUSY',
  'UNSUPPORTED',
  'STORAGE_FULL',
  'EXPIRED',
  'REVOKED',
  'INTERNAL',
];

/** French texts, indexed by code. */
export const STATUS_FR: string[] = [
  'Terminé.',
  'Commande mal formée.',
  'Signature invalide.',
  'Nonce absent, déjà utilisé ou inconnu : redemandez un défi.',
  'Objet destiné à une autre caisse.',
  'Commande destinée à un autre lecteur.',
  'Version plus ancienne que celle déjà installée.',
  'Lecteur pas encore mis en service.',
  'Lecteur déjà mis en service.',
  "Heure refusée : trop éloignée de l'horloge du lecteur.",
  'Numéros de journal hors de la plage conservée.',
  'Lecteur occupé : réessayez dans un instant.',
  'Demande non prise en charge par ce lecteur.',
  'Mémoire du lecteur pleine.',
  'Certificat ou objet expiré.',
  'Clé ou lecteur révoqué.',
  'Erreur interne du lecteur.',
];

/** English texts, indexed by code. */
export const STATUS_EN: string[] = [
  'Done.',
  'Malformed command.',
  'Invalid signature.',
  'Nonce missing, already used or unknown: ask for a new challenge.',
  'Meant for another fund.',
  'Command meant for another reader.',
  'Version older than the one already installed.',
  'Reader not provisioned yet.',
  'Reader already provisioned.',
  "Time refused: too far from the reader's clock.",
  'Log sequence numbers outside the range still held.',
  'Reader busy: try again in a moment.',
  'Request not supported by this reader.',
  'Reader storage full.',
  'Certificate or object expired.',
  'Key or reader revoked.',
  'Reader internal error.',
];

/** Text of a status code in 'fr' or 'en'; codes from a newer protocol get a generic text. */
export function statusText(code: number, lang: string): string {
  const table = lang === 'en' ? STATUS_EN : STATUS_FR;
  if (code >= 0 && code < table.length && Math.floor(code) === code) return table[code];
  return lang === 'en' ? 'Unknown status code ' + code + '.' : 'Code de statut inconnu : ' + code + '.';
}
