// The simulation engine (issue 9 §2): D market days over a world of R readers and C member cards, faults
// and adversaries drawn by the seed, invariants checked after every step and at the end. One seed gives one
// run, exactly: the trace digest in the summary says so.

import { createHash } from 'node:crypto';
import { SIM_T, operator, operatorCertEnv } from '../fund';
import { CMD_SET_TIME } from '../../../protocol/src/structures/command';
import { STATUS_OK } from '../../../protocol/src/status';
import { CardMemory, TEAR_GARBLED, TEAR_NEW, TEAR_OLD, TEAR_WEAK_ONCE } from '../card-memory';
import { isPowerCut } from '../virtual-flash';
import { DEFAULT_RATES, FaultRates, PlantedBug } from './faults';
import { INVARIANTS, InvariantCode, Violation } from './invariants';
import { checkCard, checkLedger, checkRecords, forkedPseudonyms } from './checker';
import { Reconciliation } from '../../../host/src/ledger/reconcile';
import { pullOverPty } from './pty';
import { MAX_CARDS, MAX_DAYS, MAX_READERS, SimCard, SimLink, SimReader, World } from './world';

export interface SimOptions {
  seed: number;
  days: number;
  readers: number;
  cards: number;
  /** Taps per reader per market day (default 10). */
  taps?: number;
  rates?: Partial<FaultRates>;
  /** A bug planted in every reader (tests of the checker). */
  bug?: PlantedBug | null;
  /** Called with each event line (--verbose). */
  log?: (line: string) => void;
  /** Pull over a socat pty with the host's real transport (pty.ts); not bit-for-bit reproducible. */
  pty?: boolean;
}

export interface Summary {
  seed: number;
  days: number;
  readers: number;
  cards: number;
  steps: number;
  taps: number;
  faults: Record<string, number>;
  violations: Violation[];
  /** SHA-256 of the event trace: equal for two runs of one seed, different across seeds. */
  digest: string;
  figures: { payable: number; debited: number; held: number; anomalies: number };
  /** The command that replays this run. */
  command: string;
}

export const DEFAULT_TAPS = 10;

export function replayCommand(o: SimOptions): string {
  return (
    `npm run simulate -- --seed ${o.seed} --days ${o.days} --readers ${o.readers} --cards ${o.cards}` +
    (o.taps !== undefined && o.taps !== DEFAULT_TAPS ? ` --taps ${o.taps}` : '') +
    (o.bug !== undefined && o.bug !== null ? ` --bug ${o.bug}` : '') +
    (o.pty === true ? ' --pty' : '')
  );
}

function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new RangeError(`--${name} : entier de ${lo} à ${hi} attendu (reçu ${v})`);
}

/** Runs one simulation. Never throws for a defect found: it becomes a violation. */
export async function simulate(o: SimOptions): Promise<Summary> {
  checkRange('seed', o.seed, 0, 4294967295);
  checkRange('days', o.days, 1, MAX_DAYS);
  checkRange('readers', o.readers, 1, MAX_READERS);
  checkRange('cards', o.cards, 1, MAX_CARDS);
  const taps = o.taps ?? DEFAULT_TAPS;
  checkRange('taps', taps, 0, 1000);
  const rates: FaultRates = { ...DEFAULT_RATES, ...(o.rates ?? {}) };
  const w = new World({
    seed: o.seed,
    days: o.days,
    readers: o.readers,
    cards: o.cards,
    tapsPerReaderDay: taps,
    rates,
    bug: o.bug ?? null,
    pty: o.pty === true,
  });
  const trace = createHash('sha256');
  const violations: Violation[] = [];
  const reported = new Set<string>();
  let step = 0;
  let tapCount = 0;
  const ev = (s: string): void => {
    trace.update(s + '\n');
    if (o.log) o.log(s);
  };
  const collect = (): void => {
    for (const f of w.findings) {
      const key = f.code + '|' + f.detail;
      if (reported.has(key)) continue;
      reported.add(key);
      const v: Violation = { code: f.code, day: w.day(), step, detail: f.detail };
      violations.push(v);
      ev('VIOLATION ' + f.code + ' ' + f.detail);
    }
    w.findings = [];
  };
  const p = w.prng;
  let figures = { payable: 0, debited: 0, held: 0, anomalies: 0 };
  try {
    await w.setup();
    ev(`monde graine=${o.seed} lecteurs=${w.readers.map((r) => r.id + (r.segs > 0 ? 'p' : '')).join(',')}`);
    // A stolen reader: on which day, at which step, which one (only with another reader left to sell).
    let stolen: SimReader | null = null;
    let theft: { day: number; step: number; reader: SimReader } | null = null;
    const perDay = o.readers * taps;
    if (o.readers >= 2 && o.days >= 2 && p.chance(rates.stolenReader)) {
      theft = {
        day: p.int(0, o.days - 2),
        step: p.int(0, Math.max(0, perDay - 1)),
        reader: p.pick(w.readers),
      };
    }
    const inService = (): SimReader[] => w.readers.filter((r) => !r.stolen);
    const gap = Math.max(5, Math.min(600, Math.floor(30000 / Math.max(1, perDay))));

    for (let day = 0; day < o.days; day++) {
      w.now = SIM_T + day * 86400;
      for (const r of inService())
        if (p.chance(rates.skew)) {
          r.skew = (p.chance(0.5) ? -1 : 1) * p.int(60, 7200);
          w.count('derive_horloge');
          ev(`jour ${day + 1} lecteur ${r.id} horloge ${r.skew} s`);
        }
      for (let i = 0; i < perDay; i++) {
        step++;
        w.now += p.int(gap, 2 * gap);
        if (theft !== null && theft.day === day && theft.step === i) {
          stolen = theft.reader;
          stolen.stolen = true;
          w.count('lecteur_vole');
          ev(`lecteur ${stolen.id} volé`);
          // Its states may be ignored by the others once it is revoked: those cards may fork legitimately.
          for (const op of w.ops.values())
            if (op.readerId === stolen.id)
              for (const c of w.cards) if (c.pseudonym === op.pseudonym) c.tainted = true;
        }
        // The adversary prepares: a copy of a card, or an image to restore later.
        if (p.chance(rates.clone)) {
          const c = p.pick(w.cards);
          c.clones.push(c.card.clone());
          c.tainted = true;
          ev(`copie de la carte ${c.index}`);
        }
        if (p.chance(rates.snapshot)) {
          const c = p.pick(w.cards);
          c.snapshots.push(new Uint8Array(c.card.pages));
        }
        const service = inService();
        if (service.length === 0) break;
        const withClone = w.cards.filter((c) => c.clones.length > 0);
        const withSnap = w.cards.filter((c) => c.snapshots.length > 0);
        let r: SimReader;
        let sc: SimCard;
        let phys: CardMemory;
        let op = 'sale';
        if (stolen !== null && p.chance(0.25)) {
          // The thief sells at the stolen reader (to members who do not know).
          r = stolen;
          sc = p.pick(w.cards);
          phys = sc.card;
          sc.tainted = true;
        } else if (withClone.length > 0 && p.chance(rates.useClone)) {
          r = p.pick(service);
          sc = p.pick(withClone);
          phys = p.pick(sc.clones);
          w.count('copie_carte');
        } else if (withSnap.length > 0 && p.chance(rates.rollback)) {
          r = p.pick(service);
          sc = p.pick(withSnap);
          // The adversary rewrites every page of the card: no weak bit of an earlier torn write survives.
          sc.card.pages.set(p.pick(sc.snapshots));
          sc.card.weak = {};
          sc.tainted = true;
          phys = sc.card;
          w.count('retour_arriere');
          ev(`retour arrière de la carte ${sc.index}`);
        } else {
          r = p.pick(service);
          sc = p.pick(w.cards);
          phys = sc.card;
          const x = p.next();
          op = x < 0.72 ? 'sale' : x < 0.9 ? 'balance' : 'refund';
          // A refund of a sale from an earlier Z period is drawn like any other: the reader refuses it
          // (its "cancel last sale" ends with the period, firmware/src/app/state.ts).
        }
        tapCount++;
        const out = interact(w, r, phys, op);
        w.observe(r);
        for (const c of w.takeClosed()) {
          if (c.status !== 1) continue;
          // The committed state must be on the card (in either slot: a reader that knows of a revoked
          // writer ignores the other slot's newer state and writes over the older one).
          if (!w.cardStates(phys).some((s) => s.id === c.stateId))
            w.find(
              'VALIDATION_SANS_CARTE',
              `lecteur ${c.readerId}, opération ${c.seq} (${c.lastAmount} c) validée, carte ${sc.index} sans cet état`,
            );
        }
        checkCard(w, sc, phys);
        if (phys !== sc.card) checkCard(w, sc, sc.card);
        ev(`j${day + 1} e${step} ${r.id} c${sc.index}${phys !== sc.card ? '*' : ''} ${op} → ${out}`);
        collect();
      }

      // Evening: day close (Z report), then the volunteer syncs every reader at the desk.
      w.now = SIM_T + day * 86400 + 9 * 3600 + 1800;
      for (const r of inService()) {
        w.setClock(r);
        w.guard(r, () => r.sim.reader.onTick());
        if (p.chance(0.85)) w.guard(r, () => r.sim.keys('D#'));
        w.observe(r);
      }
      collect();
      await sync(w, inService(), rates, ev);
      collect();
      const rec = await checkLedger(w);
      figures = figuresOf(rec);
      ev(`jour ${day + 1} registre à payer ${rec.payable} débité ${rec.debited} retenu ${rec.held}`);
      collect();
      // The treasurer blocks forked cards; a stolen reader is revoked the evening it was reported.
      const revoke = stolen !== null ? [stolen.id] : [];
      if (await w.publishBlocklist(forkedPseudonyms(rec), revoke)) {
        ev(`liste de blocage v${w.blocklist.version}`);
        w.now += 60;
        for (const r of inService()) {
          const link = new SimLink(r, p.fork(), rates, (k) => w.count(k));
          w.setClock(r);
          if (w.guard(r, () => w.pushBlocklist(r, link))) w.observe(r);
        }
      }
      collect();
    }

    // The stolen reader is found: its log is pulled; what it sold after its revocation is held.
    if (stolen !== null) {
      w.now = SIM_T + (o.days - 1) * 86400 + 11 * 3600;
      stolen.stolen = false;
      await sync(w, [stolen], null, ev);
      const rec = await checkLedger(w);
      figures = figuresOf(rec);
      ev(`lecteur retrouvé : à payer ${rec.payable} retenu ${rec.held}`);
    }
    for (const r of w.readers) w.observe(r);
    for (const c of w.cards) {
      checkCard(w, c, c.card);
      for (const k of c.clones) checkCard(w, c, k);
    }
    collect();
  } catch (e) {
    w.find(
      'ERREUR_SIMULATION',
      e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 3).join(' | ') : String(e),
    );
    collect();
  } finally {
    if (w.ledger !== undefined) await w.ledger.close();
  }
  ev(`fin ${JSON.stringify(figures)} ${JSON.stringify(sortedFaults(w.faults))}`);
  return {
    seed: o.seed,
    days: o.days,
    readers: o.readers,
    cards: o.cards,
    steps: step,
    taps: tapCount,
    faults: sortedFaults(w.faults),
    violations,
    digest: trace.digest('hex'),
    figures,
    command: replayCommand(o),
  };
}

/** The ledger figures a run's summary carries, from the evening's reconciliation. */
function figuresOf(rec: Reconciliation): Summary['figures'] {
  return { payable: rec.payable, debited: rec.debited, held: rec.held, anomalies: rec.anomalies.length };
}

function sortedFaults(f: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(f).sort()) out[k] = f[k];
  return out;
}

/**
 * One tap of a card at a reader, as a stallholder and a member do it: type, present, take away; after a
 * torn write or a power cut the member taps again (or leaves, and the sale is voided 2 minutes later).
 */
function interact(w: World, r: SimReader, phys: CardMemory, op: string): string {
  const p = w.prng;
  const rates = w.opts.rates;
  w.setClock(r);
  w.guard(r, () => r.sim.reader.onTick());
  const keys = op === 'sale' ? p.int(50, 4000) + '#' + p.int(1, 2) : op === 'balance' ? 'A' : 'C';
  const shown = r.sim.screens.length;
  w.guard(r, () => r.sim.keys(keys));
  const armTear = (rate: number): boolean => {
    if (op === 'balance' || !p.chance(rate)) return false;
    phys.arm(p.int(0, 39), p.pick([TEAR_OLD, TEAR_NEW, TEAR_GARBLED, TEAR_WEAK_ONCE]));
    return true;
  };
  const afterTear = (armed: boolean): void => {
    if (armed && phys.tearAt === -1) w.count(phys.tearMode === TEAR_WEAK_ONCE ? 'page_faible' : 'arrachage');
    phys.tearAt = -1;
    r.flash.cutAfter = -1;
  };
  let armed = armTear(rates.tear);
  if (p.chance(rates.powerCut)) r.flash.cutAfter = p.int(0, 400);
  w.guard(r, () => r.sim.tap(phys));
  afterTear(armed);
  const first = r.sim.screen()[0] ?? '';
  for (let k = 0; k < 8 && r.sim.reader.core.run.pending !== null; k++) {
    w.now += 5;
    w.setClock(r);
    if (p.chance(rates.walkAway)) {
      w.count('abandon_carte');
      w.guard(r, () => r.sim.removeCard());
      w.now += 121;
      w.setClock(r);
      w.guard(r, () => r.sim.reader.onTick());
    } else {
      armed = armTear(rates.tear / 2);
      if (p.chance(rates.powerCut / 2)) r.flash.cutAfter = p.int(0, 400);
      w.guard(r, () => {
        r.sim.removeCard();
        r.sim.tap(phys);
      });
      afterTear(armed);
    }
  }
  if (r.sim.reader.core.run.pending !== null) {
    // Still pending after 8 tries: the stallholder cancels it on the keypad.
    w.guard(r, () => r.sim.keys('*'));
    if (r.sim.reader.core.run.pending !== null)
      w.find('ERREUR_SIMULATION', `lecteur ${r.id} : opération en attente qui ne se termine pas`);
  }
  w.guard(r, () => r.sim.removeCard());
  phys.present = true;
  // The keypad's '#' on a full log shows "Journal plein" (then the tap is only a balance inquiry).
  if (r.sim.screens.slice(shown).some((l) => l[0] === 'Journal plein')) w.count('journal_plein');
  return first;
}

/** The evening session at the desk: pull every reader, fix clocks, replay an old command (adversary). */
async function sync(
  w: World,
  readers: SimReader[],
  rates: FaultRates | null,
  ev: (s: string) => void,
): Promise<void> {
  const p = w.prng;
  for (const r of readers) {
    w.now += 30;
    w.setClock(r);
    const link = new SimLink(r, p.fork(), rates, (k) => w.count(k));
    const disconnectAt = rates !== null && p.chance(rates.disconnect) ? p.int(1, 6) : -1;
    // Drawn in both modes so that --pty keeps the same stream of choices (no power cut on a pty pull).
    const cut = rates !== null && p.chance(rates.powerCut / 2) ? p.int(0, 200) : -1;
    if (!w.opts.pty) r.flash.cutAfter = cut;
    let res: string;
    try {
      res = w.opts.pty ? await pullOverPty(w, r, link.prng) : await w.pull(r, link, disconnectAt);
      w.setClock(r);
    } catch (e) {
      if (!isPowerCut(e)) throw e;
      w.count('coupure_courant');
      r.reboot(w.now, w.ms());
      res = 'coupure';
    }
    r.flash.cutAfter = -1;
    if (res === 'coupe' && disconnectAt > 0 && !w.opts.pty) w.count('serie_deconnexion');
    if (link.failure !== null) w.find('ERREUR_SIMULATION', `lecteur ${r.id} : ${link.failure}`);
    w.observe(r);
    await checkRecords(w, r);
    ev(`tirage ${r.id} ${res} relevés ${r.model.imported} acquittés ${r.model.ackSent}`);
    if (rates === null) continue;
    const ok = w.guard(r, () => {
      const l2 = new SimLink(r, p.fork(), rates, (k) => w.count(k));
      if (r.skew !== 0 && p.chance(0.5)) {
        const s = l2.command(CMD_SET_TIME, [w.now], operator, operatorCertEnv, w.now);
        if (s !== null && s.status === STATUS_OK) {
          r.skew = 0;
          w.setClock(r);
        }
      }
      // Drawn first: a --pty pull keeps no ACK envelope, and the stream of choices must stay the same.
      const replay = p.chance(rates.replay);
      if (replay && r.lastAckEnv !== null) {
        w.count('rejeu_commande');
        const s = l2.sendCommand(r.lastAckEnv);
        if (s !== null && s.status === STATUS_OK)
          w.find('REJEU_ACCEPTE', `lecteur ${r.id} : ACK_LOG rejoué accepté (${s.detail ?? ''})`);
      }
      if (l2.failure !== null) w.find('ERREUR_SIMULATION', `lecteur ${r.id} : ${l2.failure}`);
    });
    if (ok) w.observe(r);
  }
}

export function codeText(code: InvariantCode): { fr: string; en: string } {
  return INVARIANTS[code];
}
