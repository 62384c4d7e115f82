// `npm run bench:simulate [-- --runs N --from S --days D --readers R --cards C]`: N seeded simulation runs
// (default 10,000 small ones: 2 days, 3 readers, 8 cards, ~60 taps each), spread over one child process per
// CPU. Prints runs per second, total steps and taps, fault counts by kind, the number of violations (must
// be 0) with the command that replays each failing seed, and the command that reproduces the figures.

import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { simulate } from './engine';
import { describeViolation } from './invariants';

interface SliceResult {
  runs: number;
  steps: number;
  taps: number;
  faults: Record<string, number>;
  violations: number;
  failing: string[];
}

interface Plan {
  from: number;
  runs: number;
  days: number;
  readers: number;
  cards: number;
}

/** Failing seeds listed in full (more would only repeat; the count says how many). */
const MAX_LISTED_FAILURES = 20;

/** A child reports its progress every this many runs (the parent prints every tenth of the total). */
const PROGRESS_EVERY = 100;

async function runSlice(p: Plan, seeds: number[], progress: (n: number) => void): Promise<SliceResult> {
  const out: SliceResult = { runs: 0, steps: 0, taps: 0, faults: {}, violations: 0, failing: [] };
  for (const seed of seeds) {
    const s = await simulate({ seed, days: p.days, readers: p.readers, cards: p.cards });
    out.runs++;
    if (out.runs % PROGRESS_EVERY === 0) progress(PROGRESS_EVERY);
    out.steps += s.steps;
    out.taps += s.taps;
    for (const [k, n] of Object.entries(s.faults)) out.faults[k] = (out.faults[k] ?? 0) + n;
    if (s.violations.length > 0) {
      out.violations += s.violations.length;
      if (out.failing.length < MAX_LISTED_FAILURES)
        out.failing.push(s.command + '\n    ' + describeViolation(s.violations[0]));
    }
  }
  return out;
}

function int(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError('entier positif attendu : ' + v);
  return n;
}

async function main(): Promise<void> {
  const worker = process.env.CARNET_SIM_BENCH_SLICE;
  if (worker !== undefined) {
    // Child: run the seeds given, report to the parent.
    const job = JSON.parse(worker) as { plan: Plan; seeds: number[] };
    const send = (process as unknown as { send: (m: unknown) => void }).send.bind(process);
    const r = await runSlice(job.plan, job.seeds, (n) => send({ progress: n }));
    send({ result: r });
    return;
  }
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      from: { type: 'string' },
      days: { type: 'string' },
      readers: { type: 'string' },
      cards: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  const plan: Plan = {
    runs: int(values.runs, 10000),
    from: int(values.from, 1),
    days: int(values.days, 2),
    readers: int(values.readers, 3),
    cards: int(values.cards, 8),
  };
  const workers = Math.max(1, Math.min(plan.runs, int(values.workers, availableParallelism())));
  // Seeds dealt round-robin so each worker gets the same mix.
  const slices: number[][] = [];
  for (let i = 0; i < workers; i++) slices.push([]);
  for (let i = 0; i < plan.runs; i++) slices[i % workers].push(plan.from + i);
  console.log(
    `Simulation : ${plan.runs} parcours (graines ${plan.from} à ${plan.from + plan.runs - 1}), ` +
      `${plan.days} jour(s), ${plan.readers} lecteurs, ${plan.cards} cartes, ${workers} processus`,
  );
  const t0 = performance.now();
  let done = 0;
  let shown = 0;
  const results = await Promise.all(
    slices.map(
      (seeds) =>
        new Promise<SliceResult>((resolve, reject) => {
          const child = fork(process.argv[1], [], {
            env: { ...process.env, CARNET_SIM_BENCH_SLICE: JSON.stringify({ plan, seeds }) },
          });
          let got: SliceResult | null = null;
          child.on('message', (m: { progress?: number; result?: SliceResult }) => {
            if (m.result !== undefined) got = m.result;
            if (m.progress !== undefined) {
              done += m.progress;
              if (done * 10 >= (shown + 1) * plan.runs) {
                shown = Math.floor((done * 10) / plan.runs);
                const secs = (performance.now() - t0) / 1000;
                console.log(`  … ${done} parcours, ${secs.toFixed(0)} s`);
              }
            }
          });
          child.on('error', reject);
          child.on('exit', (code) => {
            if (got !== null) resolve(got);
            else reject(new Error('processus de simulation terminé sans résultat (code ' + code + ')'));
          });
        }),
    ),
  );
  const secs = (performance.now() - t0) / 1000;
  const total: SliceResult = { runs: 0, steps: 0, taps: 0, faults: {}, violations: 0, failing: [] };
  for (const r of results) {
    total.runs += r.runs;
    total.steps += r.steps;
    total.taps += r.taps;
    total.violations += r.violations;
    for (const [k, n] of Object.entries(r.faults)) total.faults[k] = (total.faults[k] ?? 0) + n;
    total.failing.push(...r.failing);
  }
  console.log(
    `${total.runs} parcours en ${secs.toFixed(1)} s : ${(total.runs / secs).toFixed(1)} parcours/s, ` +
      `${total.steps} étapes, ${total.taps} passages de carte`,
  );
  console.log('Fautes injectées par sorte :');
  for (const k of Object.keys(total.faults).sort()) console.log(`  ${k.padEnd(20)} ${total.faults[k]}`);
  console.log(`Violations des invariants : ${total.violations}`);
  for (const f of total.failing.slice(0, MAX_LISTED_FAILURES)) console.log('  ' + f);
  console.log(
    `Commande : npm run bench:simulate -- --runs ${plan.runs} --from ${plan.from} --days ${plan.days} ` +
      `--readers ${plan.readers} --cards ${plan.cards}`,
  );
  process.exitCode = total.violations === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
});
