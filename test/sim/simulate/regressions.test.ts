// The three defects the seeded simulation found (test/sim/simulate/README.md, "repro/"), kept as
// regressions: each reproduction script exits 0 now that its defect is fixed, 1 if it comes back.
//   z-negatif             firmware/src/app/state.ts: "cancel last sale" ends with the Z period
//   journal-segment-vide  firmware/src/app/flashlog.ts: an empty sealed segment is erased at open
//   fourche-annulee       host/src/ledger/reconcile.ts: a voided state that reached a card is a branch

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('defects found by the simulation stay fixed', () => {
  for (const name of ['z-negatif', 'journal-segment-vide', 'fourche-annulee']) {
    it(name, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'repro', name + '.ts')], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      console.log(name + ':\n' + r.stdout + r.stderr);
      expect(r.status).toBe(0);
    });
  }
});
