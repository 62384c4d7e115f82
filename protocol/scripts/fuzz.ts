// `npm run fuzz`: 1,000,000 inputs per decoder (CBOR, frames and messages, every structure), fixed
// seeds printed so that any failure replays exactly. Override with --runs N --seed S.

import { fuzzCbor } from './fuzz-cbor';
import { fuzzFrames } from './fuzz-frame';
import { fuzzStructures } from './fuzz-structures';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const runs = arg('--runs', 1_000_000);
const seed = arg('--seed', 20261123);
console.log(`carnet fuzz: ${runs} inputs per decoder, seed ${seed}`);
const t0 = Date.now();
const c = fuzzCbor(runs, seed);
console.log(`  cbor                          ${c.runs} inputs  ${(c.ms / 1000).toFixed(1)} s`);
const f = fuzzFrames(runs, seed);
console.log(`  frames + messages             ${f.runs} inputs  ${(f.ms / 1000).toFixed(1)} s`);
for (const r of fuzzStructures(runs, seed)) {
  console.log(
    `  ${r.target.padEnd(30)}${r.runs} inputs  ${(r.ms / 1000).toFixed(1)} s  (${r.accepted} accepted)`,
  );
}
console.log(`no crash, no hang, no contract violation — ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
