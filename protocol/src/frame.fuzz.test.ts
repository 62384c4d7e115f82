// Fuzz tier: the receive path (SLIP + frame + message decoders) against 100,000 random and mutated
// inputs. Contract in protocol/scripts/fuzz-frame.ts: never throws, bounded memory, every ok frame has a
// valid CRC-32 and re-encodes to its bytes, clean streams decode exactly.
import { describe, expect, it } from 'vitest';
import { fuzzFrames } from '../scripts/fuzz-frame';

const SEED = 20240611;
const RUNS = 100_000;

describe('host link receive path (fuzz)', () => {
  it('survives ' + RUNS + ' random and mutated inputs', () => {
    console.log('frame fuzz seed', SEED, 'runs', RUNS);
    const r = fuzzFrames(RUNS, SEED);
    console.log('frame fuzz: ' + r.runs + ' runs in ' + r.ms + ' ms');
    expect(r.runs).toBe(RUNS);
  });
});
