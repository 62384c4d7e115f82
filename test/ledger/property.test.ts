// Property test (issue 5 "Must show"): random honest market months reconcile with zero anomalies and
// exact conservation; injected clones, rollbacks, tampered and missing records are each detected.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../host/src/ledger/ledger';
import { reconcile } from '../../host/src/ledger/reconcile';
import { dropRecord, generateMarket, tamperRecord } from './generate';

const SEED = 20261123;
const RUNS = 25;

describe('registre : propriétés', () => {
  it('honest months reconcile; every injected fault is detected', async () => {
    console.log('fast-check seed', SEED, 'runs', RUNS);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          readers: fc.integer({ min: 2, max: 5 }),
          cards: fc.integer({ min: 8, max: 40 }),
          days: fc.integer({ min: 3, max: 10 }),
          taps: fc.integer({ min: 2, max: 12 }),
          exportsPerReader: fc.integer({ min: 1, max: 3 }),
          months: fc.integer({ min: 1, max: 2 }),
          clones: fc.integer({ min: 0, max: 2 }),
          rollbacks: fc.integer({ min: 0, max: 2 }),
          tamper: fc.tuple(fc.nat(), fc.nat(), fc.nat()),
          drop: fc.tuple(fc.nat(), fc.nat()),
        }),
        async (o) => {
          // The honest month.
          const honest = generateMarket({
            seed: o.seed,
            readers: o.readers,
            cards: o.cards,
            days: o.days,
            taps: o.taps,
            exportsPerReader: o.exportsPerReader,
            months: o.months,
          });
          const l = await Ledger.open(':memory:');
          expect((await l.loadFund(honest.fundBytes)).ok).toBe(true);
          for (const files of honest.exports)
            for (const f of files) expect((await l.importLog(f)).ok).toBe(true);
          for (let i = 0; i < o.months; i++) {
            const rec = await reconcile(l, honest.month + i, honest.after);
            const e = honest.expectedByMonth[i];
            expect(rec.anomalies).toEqual([]);
            expect(rec.balanced).toBe(true);
            expect(rec.available).toBe(e.available);
            expect(rec.debited).toBe(e.debited);
            expect(rec.available).toBe(rec.debited + rec.unspent);
            expect(rec.payable).toBe(rec.committedSales - rec.refunds);
          }
          // Tampered record and missing record: refused, nothing imported.
          const r = o.tamper[0] % honest.exports.length;
          const file = honest.exports[r][o.tamper[1] % honest.exports[r].length];
          const l2 = await Ledger.open(':memory:');
          await l2.loadFund(honest.fundBytes);
          const t = await l2.importLog(tamperRecord(file, o.tamper[2] % 997, o.tamper[2]));
          expect(t.ok).toBe(false);
          const d = await l2.importLog(dropRecord(file, o.drop[0]));
          expect(d.ok).toBe(false);
          expect(Number((await l2.query('SELECT COUNT(*) AS n FROM records'))[0].n)).toBe(0);
          // A lost export file in the middle of a reader's log: a hole anomaly.
          if (honest.exports[r].length >= 3) {
            for (let i = 0; i < honest.exports[r].length; i++)
              if (i !== 1) await l2.importLog(honest.exports[r][i]);
            const g = await reconcile(l2, honest.month, honest.after);
            expect(g.anomalies.filter((a) => a.kind === 'TROU').length).toBe(1);
          }
          await l2.close();
          await l.close();
          // The same month with clones and rollbacks: each one is a fork the ledger finds.
          if (o.clones + o.rollbacks > 0 && o.cards > o.clones + o.rollbacks) {
            const bad = generateMarket({
              seed: o.seed,
              readers: o.readers,
              cards: o.cards,
              days: o.days,
              taps: o.taps,
              exportsPerReader: o.exportsPerReader,
              clones: o.clones,
              rollbacks: o.rollbacks,
            });
            const l3 = await Ledger.open(':memory:');
            await l3.loadFund(bad.fundBytes);
            for (const files of bad.exports) for (const f of files) await l3.importLog(f);
            const b = await reconcile(l3, bad.month, bad.after);
            expect(b.anomalies.filter((a) => a.kind === 'COPIE_DE_CARTE').length).toBe(o.clones);
            expect(b.anomalies.filter((a) => a.kind === 'RETOUR_ARRIERE').length).toBe(o.rollbacks);
            expect(b.balanced).toBe(true);
            expect(b.available).toBe(b.debited + b.unspent - b.overspend);
            if (o.clones > 0) expect(b.overspend).toBeGreaterThan(0);
            await l3.close();
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
