// The ledger suite on SQLite (the default store): in memory, and on a file for the two-connection race.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { openStore } from '../../host/src/ledger/store';
import { ledgerSuite } from './suite';

const dir = mkdtempSync(path.join(os.tmpdir(), 'carnet-ledger-sqlite-'));
let n = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('registre SQLite', () => {
  ledgerSuite(
    () => openStore(':memory:'),
    async () => {
      const f = path.join(dir, 'twin-' + ++n + '.sqlite');
      const a = await openStore(f);
      return [a, await openStore(f)];
    },
  );
});
