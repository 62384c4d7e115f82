// The invariants the simulation checks after every step and at the end (issue 9 §2), each with a code and
// a French then English sentence. The checker computes its expectations from its own model of what
// happened (the records each reader logged, read from its flash as they appear, and the card images), and
// compares the ledger's outputs to that model; it never takes the ledger's own sums as the truth.

export interface InvariantText {
  fr: string;
  en: string;
}

/** Every code the checker can report. Letters refer to issue 9 §2's list of invariants. */
export const INVARIANTS = {
  /** (a) card side */
  CONSERVATION_CARTE: {
    fr: 'conservation sur la carte : le cumul de l’état ne suit pas les opérations validées de sa chaîne',
    en: 'card conservation: the state total does not follow the committed operations of its chain',
  },
  /** (a) ledger side */
  CONSERVATION_REGISTRE: {
    fr: 'conservation au registre : un total du rapprochement diffère du modèle au centime près',
    en: 'ledger conservation: a reconciliation total differs from the model to the cent',
  },
  /** (a)/(b) a commit that is not on the card: the vendor would be paid for money the card still holds */
  VALIDATION_SANS_CARTE: {
    fr: 'vente validée dans le journal alors que la carte ne porte pas son état',
    en: 'sale committed in the log although the card does not hold its state',
  },
  /** (b) */
  CARTE_SANS_JOURNAL: {
    fr: 'la carte porte un état qu’aucun lecteur n’a journalisé',
    en: 'the card holds a state no reader logged',
  },
  /** (b) */
  PAYE_SANS_VALIDATION: {
    fr: 'commerçant payé pour une opération sans enregistrement validé',
    en: 'vendor paid for an operation without a committed record',
  },
  /** (b) the other direction: a committed operation missing from the ledger once pulled */
  VALIDATION_ABSENTE: {
    fr: 'opération validée par un lecteur, relevée, mais absente ou non validée au registre',
    en: 'operation committed by a reader and pulled, but missing or not committed in the ledger',
  },
  /** (c) */
  FOURCHE_NON_DETECTEE: {
    fr: 'fourche (copie ou retour en arrière) relevée mais non signalée au rapprochement',
    en: 'fork (clone or rollback) pulled but not reported by reconciliation',
  },
  /** (c) a pending that reached the card and was voided must be reported once the card goes on */
  ATTENTE_NON_SIGNALEE: {
    fr: 'opération annulée mais écrite sur la carte, non signalée au rapprochement',
    en: 'operation voided but written on the card, not reported by reconciliation',
  },
  /** (d) */
  DEPASSEMENT_BORNE: {
    fr: 'dépassement pour un pseudonyme au-delà de lecteurs × jours avant blocage × plafond par carte et par jour',
    en: 'overspend for a pseudonym above readers × days to blocklist × per-card-day cap',
  },
  /** (e) */
  RELEVE_PERDU: {
    fr: 'relevé perdu : un enregistrement a disparu du lecteur sans avoir été acquitté',
    en: 'record lost: a record left the reader without being acknowledged',
  },
  /** (e) */
  REGISTRE_RELEVES: {
    fr: 'les relevés du registre ne sont pas exactement une fois chacun ceux que les lecteurs ont écrits',
    en: 'the ledger records are not exactly once each those the readers wrote',
  },
  /** replays: an old signed command must never run twice */
  REJEU_ACCEPTE: {
    fr: 'commande signée rejouée acceptée par le lecteur',
    en: 'replayed signed command accepted by the reader',
  },
  /** a component threw or refused something it must accept (the run could not go on as planned) */
  ERREUR_SIMULATION: {
    fr: 'erreur inattendue d’un composant pendant la simulation',
    en: 'unexpected error of a component during the simulation',
  },
} as const satisfies Record<string, InvariantText>;

export type InvariantCode = keyof typeof INVARIANTS;

export interface Violation {
  code: InvariantCode;
  /** Market day (0-based) and step within the run when it was found. */
  day: number;
  step: number;
  /** What exactly, for the person replaying the seed (French). */
  detail: string;
}

/** One line for people: French first, then English. */
export function describeViolation(v: Violation): string {
  const t = INVARIANTS[v.code];
  return `[${v.code}] jour ${v.day + 1}, étape ${v.step} : ${t.fr} — ${v.detail} / ${t.en}`;
}
