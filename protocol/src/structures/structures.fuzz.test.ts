// Fuzz contract of every structure decoder: 100,000 inputs each, fixed seed printed below.
// `npm run fuzz` runs 1,000,000 per decoder with the same generator.

import { describe, it, expect } from 'vitest';
import { fuzzStructures, fuzzTargets } from '../../scripts/fuzz-structures';

const SEED = 20261123;
const RUNS = 100_000;

describe(`structure decoders fuzz (fast-check seed ${SEED}, ${RUNS} inputs per decoder)`, () => {
  for (const t of fuzzTargets()) {
    it(`${t.name}: never throws, verdicts carry known codes, accepted bytes re-encode identically`, () => {
      console.log(`fuzz ${t.name}: seed ${SEED}, ${RUNS} runs`);
      const [r] = fuzzStructures(RUNS, SEED, t.name);
      console.log(`  ${r.accepted} accepted, ${r.ms} ms`);
      expect(r.runs).toBe(RUNS);
    });
  }
});
