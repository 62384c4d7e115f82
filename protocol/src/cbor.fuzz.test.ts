// Fuzz tier of the CBOR codec. Contract (see protocol/scripts/fuzz-cbor.ts): cborDecode and
// cborDecodePrefix never throw and always give a verdict (a known code, a French message carrying an
// in-range offset); whenever a decode is ok, re-encoding gives back exactly the input; the two
// functions agree; unmutated valid encodings decode to their value. Bounded memory holds by
// construction (lengths checked against the input before any allocation) and is exercised by the
// huge declared lengths among the inputs.
//
// The generator is shared with `npm run fuzz` (1,000,000 runs there, 100,000 here).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CBOR_DECODE_CODES } from './cbor';
import { checkCborInput, makeRng, runCborFuzz } from '../scripts/fuzz-cbor';

const FUZZ_SEED = 0x5eed_cb02;
const FUZZ_RUNS = 100_000;

describe('CBOR decoder fuzz', () => {
  it(`keeps its contract on ${FUZZ_RUNS} generated inputs (random, head soup, mutated encodings)`, () => {
    console.log(`cbor.fuzz.test.ts: seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs`);
    const t0 = Date.now();
    const stats = runCborFuzz(FUZZ_RUNS, FUZZ_SEED);
    console.log(`cbor fuzz verdicts in ${Date.now() - t0} ms: ${JSON.stringify(stats)}`);
    const total = Object.values(stats).reduce((a, b) => a + b, 0);
    expect(total).toBe(FUZZ_RUNS);
    // The inputs must reach every verdict, or the fuzzer is not exploring the decoder.
    for (const code of ['OK', ...CBOR_DECODE_CODES]) {
      expect(stats[code] ?? 0, code).toBeGreaterThan(0);
    }
    // ...and a fair share must decode, so that the re-encoding check is exercised.
    expect(stats.OK).toBeGreaterThan(FUZZ_RUNS / 10);
  });

  it('keeps its contract on fast-check byte arrays, with long inputs too', () => {
    console.log(`cbor.fuzz.test.ts: fast-check seed ${FUZZ_SEED}`);
    const rng = makeRng(FUZZ_SEED);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        checkCborInput(bytes, rng);
      }),
      { seed: FUZZ_SEED, numRuns: 10_000 },
    );
  });
});
