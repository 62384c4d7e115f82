// The same ledger suite against a real PostgreSQL server started for this file (pg-server.ts). If the
// Debian postgresql binaries are missing, every test here FAILS with the reason (none is skipped: the
// start error is kept and thrown by each test rather than by beforeAll, which would mark them skipped).

import { afterAll, beforeAll, describe } from 'vitest';
import { openPgStore } from '../../host/src/ledger/store';
import { PgServer, startPgServer } from './pg-server';
import { ledgerSuite } from './suite';

let server: PgServer | null = null;
let startError: unknown = null;

beforeAll(async () => {
  try {
    server = await startPgServer();
  } catch (e) {
    startError = e;
  }
});

afterAll(() => {
  if (server) server.stop();
});

function srv(): PgServer {
  if (startError) throw startError;
  if (!server) throw new Error('serveur PostgreSQL non démarré');
  return server;
}

describe('registre PostgreSQL', () => {
  ledgerSuite(
    async () => openPgStore(await srv().createDatabase()),
    async () => {
      const cfg = await srv().createDatabase();
      const a = await openPgStore(cfg);
      return [a, await openPgStore(cfg)];
    },
  );
});
