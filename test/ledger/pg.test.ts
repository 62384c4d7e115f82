// The same ledger suite against a real PostgreSQL server started for this file (pg-server.ts). If the
// Debian postgresql binaries are missing, beforeAll fails and so does every test here: nothing is skipped.

import { afterAll, beforeAll, describe } from 'vitest';
import { openPgStore } from '../../host/src/ledger/store';
import { PgServer, startPgServer } from './pg-server';
import { ledgerSuite } from './suite';

let server: PgServer | null = null;

beforeAll(async () => {
  server = await startPgServer();
});

afterAll(() => {
  if (server) server.stop();
});

function srv(): PgServer {
  if (!server) throw new Error('serveur PostgreSQL non démarré (voir l’erreur de beforeAll)');
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
