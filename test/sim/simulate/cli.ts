// `npm run simulate -- --seed S --days D --readers R --cards C [--taps T] [--json] [--verbose] [--bug B]
// [--pty]`: one seeded run of the market simulation (issue 9 §2). --bug plants a bug in every reader
// (faults.ts) to show the checker catching it; --pty pulls over a socat pty with the host's transport
// (pty.ts). Prints a French summary (or JSON), every violation with its code, and the command that
// replays the run; exits 1 when an invariant was violated.

import { parseArgs } from 'node:util';
import { DEFAULT_TAPS, Summary, simulate } from './engine';
import { describeViolation } from './invariants';
import { PLANTED_BUGS, PlantedBug } from './faults';

function num(v: string | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new RangeError(`--${name} : nombre entier attendu (reçu « ${v} »)`);
  return n;
}

export function printSummary(s: Summary, out: (l: string) => void): void {
  out(
    `Simulation graine ${s.seed} : ${s.days} jour(s), ${s.readers} lecteur(s), ${s.cards} carte(s), ` +
      `${s.steps} étapes, ${s.taps} passages de carte`,
  );
  const f = Object.entries(s.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  out(`Fautes injectées : ${f === '' ? 'aucune' : f}`);
  out(
    `Registre : à payer ${s.figures.payable} c, débité ${s.figures.debited} c, retenu ${s.figures.held} c, ` +
      `${s.figures.anomalies} anomalie(s) signalée(s)`,
  );
  out(`Empreinte de la trace : ${s.digest}`);
  if (s.violations.length === 0) out('Aucune violation des invariants / no invariant violated.');
  else {
    out(`${s.violations.length} violation(s) / violation(s):`);
    for (const v of s.violations) out('  ' + describeViolation(v));
  }
  out(`Rejouer / replay: ${s.command}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      days: { type: 'string' },
      readers: { type: 'string' },
      cards: { type: 'string' },
      taps: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      pty: { type: 'boolean' },
      bug: { type: 'string' },
    },
  });
  const bug = values.bug === undefined ? null : (values.bug as PlantedBug);
  if (bug !== null && !PLANTED_BUGS.includes(bug))
    throw new RangeError(`--bug : ${PLANTED_BUGS.join(' ou ')} attendu (reçu « ${values.bug} »)`);
  const opts = {
    bug,
    // A planted bug fills the log (libere-non-acquitte needs a full log to show).
    rates: bug === 'libere-non-acquitte' ? { smallLog: 1 } : undefined,
    seed: num(values.seed, 1, 'seed'),
    days: num(values.days, 2, 'days'),
    readers: num(values.readers, 3, 'readers'),
    cards: num(values.cards, 8, 'cards'),
    taps: num(values.taps, DEFAULT_TAPS, 'taps'),
    log: values.verbose ? (l: string) => console.log(l) : undefined,
    pty: values.pty === true,
  };
  const s = await simulate(opts);
  if (values.json) console.log(JSON.stringify(s, null, 2));
  else printSummary(s, (l) => console.log(l));
  return s.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  },
);
