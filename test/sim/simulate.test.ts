// Issue 9 §2: the seeded fault-injection simulation. 200 consecutive seeds of small market runs (faults and
// adversaries drawn by each seed) must keep every invariant; the same seed must give the same run; and the
// checker must catch bugs planted in the readers (so that "0 violations" means something).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SimOptions, simulate } from './simulate/engine';
import { describeViolation, INVARIANTS } from './simulate/invariants';
import { FAULT_KINDS } from './simulate/faults';

const repoRoot = join(__dirname, '..', '..');
/** The CI seeds: 1 … 200, in four groups of 50 so each test stays well within its timeout. */
const FIRST_SEED = 1;
const SEEDS = 200;
const GROUP = 50;

/** Small sizes, varied by seed so that one- to three-day runs with two to four readers all occur. */
function sizes(seed: number): SimOptions {
  return { seed, days: 1 + (seed % 3), readers: 2 + (seed % 3), cards: 5 + (seed % 6) };
}

const faultTotals: Record<string, number> = {};

describe('simulation: 200 seeds keep every invariant', () => {
  for (let g = 0; g < SEEDS / GROUP; g++) {
    const from = FIRST_SEED + g * GROUP;
    it(`seeds ${from} … ${from + GROUP - 1}: 0 violations`, { timeout: 120_000 }, async () => {
      console.log(`simulation seeds ${from} … ${from + GROUP - 1}`);
      const failures: string[] = [];
      let taps = 0;
      for (let seed = from; seed < from + GROUP; seed++) {
        const s = await simulate(sizes(seed));
        taps += s.taps;
        for (const [k, n] of Object.entries(s.faults)) faultTotals[k] = (faultTotals[k] ?? 0) + n;
        if (s.violations.length > 0)
          failures.push(s.command + '\n  ' + s.violations.map(describeViolation).join('\n  '));
      }
      expect(taps).toBeGreaterThan(GROUP * 20);
      expect(failures, failures.join('\n')).toEqual([]);
    });
  }

  it('the 200 runs met every kind of fault and adversary', () => {
    console.log('fault totals over the CI seeds: ' + JSON.stringify(faultTotals));
    for (const k of FAULT_KINDS) expect(faultTotals[k] ?? 0, k).toBeGreaterThan(0);
  });
});

describe('simulation: determinism', () => {
  it('one seed gives one run exactly; another seed another run', { timeout: 30_000 }, async () => {
    const a = await simulate({ seed: 4242, days: 2, readers: 3, cards: 8 });
    const b = await simulate({ seed: 4242, days: 2, readers: 3, cards: 8 });
    const c = await simulate({ seed: 4243, days: 2, readers: 3, cards: 8 });
    console.log(`seed 4242 digest ${a.digest}; seed 4243 digest ${c.digest}`);
    expect(b).toEqual(a);
    expect(c.digest).not.toBe(a.digest);
    expect(a.command).toBe('npm run simulate -- --seed 4242 --days 2 --readers 3 --cards 8');
  });

  it('refuses sizes out of range before running anything', async () => {
    await expect(simulate({ seed: 1, days: 21, readers: 3, cards: 8 })).rejects.toThrow(/--days/);
    await expect(simulate({ seed: 1, days: 2, readers: 0, cards: 8 })).rejects.toThrow(/--readers/);
    await expect(simulate({ seed: -1, days: 2, readers: 3, cards: 8 })).rejects.toThrow(/--seed/);
  });
});

describe('simulation: the checker catches planted bugs', () => {
  it(
    'a reader that frees unacknowledged records (its full log overwrites itself): RELEVE_PERDU',
    {
      timeout: 30_000,
    },
    async () => {
      // Every reader has a small log, so it fills within a day; the bug frees the oldest segment instead of
      // refusing the sale with "Journal plein".
      const opts: SimOptions = { seed: 7, days: 2, readers: 3, cards: 8, rates: { smallLog: 1 } };
      const clean = await simulate(opts);
      expect(clean.violations).toEqual([]);
      expect(clean.faults.journal_plein ?? 0).toBeGreaterThan(0);
      const bad = await simulate({ ...opts, bug: 'libere-non-acquitte' });
      const codes = new Set(bad.violations.map((v) => v.code));
      console.log(`planted bug libere-non-acquitte: ${[...codes].join(', ')}; replay: ${bad.command}`);
      expect(codes.has('RELEVE_PERDU')).toBe(true);
      // The ledger side sees it too: records missing from the ledger, committed sales it never got.
      expect(codes.has('REGISTRE_RELEVES')).toBe(true);
      expect(bad.command).toBe(
        'npm run simulate -- --seed 7 --days 2 --readers 3 --cards 8 --bug libere-non-acquitte',
      );
    },
  );

  it(
    'a reader that commits without writing the card: VALIDATION_SANS_CARTE',
    { timeout: 30_000 },
    async () => {
      const opts: SimOptions = { seed: 11, days: 1, readers: 2, cards: 6 };
      const clean = await simulate(opts);
      expect(clean.violations).toEqual([]);
      const bad = await simulate({ ...opts, bug: 'valide-sans-ecrire' });
      const codes = new Set(bad.violations.map((v) => v.code));
      console.log(`planted bug valide-sans-ecrire: ${[...codes].join(', ')}`);
      expect(codes.has('VALIDATION_SANS_CARTE')).toBe(true);
      for (const v of bad.violations) expect(Object.keys(INVARIANTS)).toContain(v.code);
    },
  );

  it('the CLI prints the replay command of a failing seed and exits 1', { timeout: 60_000 }, async () => {
    const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
    const cli = join(repoRoot, 'test', 'sim', 'simulate', 'cli.ts');
    const args = ['--seed', '11', '--days', '1', '--readers', '2', '--cards', '6'];
    const bad = spawnSync(tsx, [cli, ...args, '--bug', 'valide-sans-ecrire'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('[VALIDATION_SANS_CARTE]');
    expect(bad.stdout).toContain(
      'npm run simulate -- --seed 11 --days 1 --readers 2 --cards 6 --bug valide-sans-ecrire',
    );
    const good = spawnSync(tsx, [cli, ...args], { encoding: 'utf8' });
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('Aucune violation');
    // Another process, the same run: the trace digest printed by the CLI is this process's one.
    const here = await simulate({ seed: 11, days: 1, readers: 2, cards: 6 });
    expect(good.stdout).toContain('Empreinte de la trace : ' + here.digest);
  });
});

describe('simulation: --pty pulls through the host transport on a socat pty', () => {
  it(
    'same invariants when every evening pull crosses a real pty with byte faults',
    { timeout: 60_000 },
    async () => {
      // No fault on the in-process link, so that both runs see the same world: --pty draws the same choices.
      const quiet = { disconnect: 0, garbage: 0, dropRequest: 0, dropResponse: 0, powerCut: 0 };
      const opts: SimOptions = { seed: 5, days: 2, readers: 2, cards: 6, taps: 6, rates: quiet };
      const s = await simulate({ ...opts, pty: true });
      console.log(`--pty run: ${s.command}; ${JSON.stringify(s.figures)}`);
      expect(s.violations.map(describeViolation)).toEqual([]);
      // The pulls did reach the ledger: what the vendors are owed comes from imported records.
      expect(s.figures.debited).toBeGreaterThan(0);
      // Same choices as the in-process run of the seed (only the wire differs): the same sales were paid.
      const inProcess = await simulate(opts);
      expect(s.figures).toEqual(inProcess.figures);
    },
  );
});
