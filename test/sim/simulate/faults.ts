// Faults and adversaries of the simulation (issue 9 §2), each drawn by the seed with a probability per
// step, and the bugs a test may plant in a reader to prove that the checker catches them.

import { ReaderSim } from '../reader-sim';

/** Names of what can go wrong; the summary counts each. */
export const FAULT_KINDS = [
  'arrachage', // card pulled mid-write (tearing after a page write: old, new, garbled bytes)
  'page_faible', // torn write whose bits read right once, wrong later
  'coupure_courant', // power cut at a flash write: the reader reboots and recovers
  'serie_bruit', // garbage bytes on the serial line during a pull
  'serie_perte', // a frame lost (request or response) during a pull
  'serie_deconnexion', // cable pulled during a pull
  'copie_carte', // a cloned card spends at another reader
  'retour_arriere', // an older card image restored and spent again
  'rejeu_commande', // an old signed command sent again
  'lecteur_vole', // a stolen reader keeps selling, revoked later
  'derive_horloge', // a reader's clock skewed
  'journal_plein', // a reader with a small log refuses sales ("Journal plein")
  'abandon_carte', // the member leaves with a pending sale (voided after 2 minutes)
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** Probabilities of each fault, per opportunity. Chosen so a 2-day run with ~60 taps sees several. */
export interface FaultRates {
  /** per tap: tear the card at a page write */
  tear: number;
  /** per tap: a power cut at some flash byte */
  powerCut: number;
  /** per pull: the cable is pulled at some request */
  disconnect: number;
  /** per frame sent: garbage on the line, a lost request, a lost response */
  garbage: number;
  dropRequest: number;
  dropResponse: number;
  /** per step: the adversary copies a card, saves an image, or uses a clone / an old image */
  clone: number;
  snapshot: number;
  useClone: number;
  rollback: number;
  /** per sync session: an old ACK_LOG command replayed */
  replay: number;
  /** per run: one reader stolen on some day */
  stolenReader: number;
  /** per reader per day: its clock drifts */
  skew: number;
  /** per reader: a small log that fills within a day */
  smallLog: number;
  /** per torn or cut sale: the member leaves instead of tapping again */
  walkAway: number;
}

export const DEFAULT_RATES: FaultRates = {
  tear: 0.1,
  powerCut: 0.05,
  disconnect: 0.08,
  garbage: 0.04,
  dropRequest: 0.03,
  dropResponse: 0.03,
  clone: 0.015,
  snapshot: 0.03,
  useClone: 0.12,
  rollback: 0.03,
  replay: 0.3,
  stolenReader: 0.3,
  skew: 0.1,
  smallLog: 0.25,
  walkAway: 0.12,
};

/** Bugs a test plants in a reader (firmware) after it is built, to prove the checker sees them. */
export type PlantedBug =
  /** The log evicts its oldest segment when full, acknowledged or not (a ring that overwrites). */
  | 'libere-non-acquitte'
  /** The reader "writes" the card without touching it, and commits. */
  | 'valide-sans-ecrire';

export const PLANTED_BUGS: readonly PlantedBug[] = ['libere-non-acquitte', 'valide-sans-ecrire'];

/** Patches the reader's objects in place (only the simulation's copy: firmware/src is untouched). */
export function plantBug(sim: ReaderSim, bug: PlantedBug): void {
  const core = sim.reader.core;
  if (bug === 'libere-non-acquitte') {
    const log = core.log;
    const canFit = log.canFit.bind(log);
    // Whenever a sale would not fit, drop the oldest segment as if it had been acknowledged.
    log.canFit = (sizes: number[]): boolean => {
      while (!canFit(sizes) && log.segs.length > 1) {
        const s = log.segs.shift();
        if (s !== undefined) log.flash.erase(s.name);
      }
      return canFit(sizes);
    };
  } else {
    core.writeSlot = () => null;
  }
}
