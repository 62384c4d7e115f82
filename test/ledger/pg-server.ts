// A private PostgreSQL server for the ledger tests (/work/shared/ci/FACTS.md): initdb + pg_ctl as the
// `postgres` user in a fresh temporary directory, on a random free port, Unix socket in that directory.
// When the binaries are missing the tests FAIL with a clear message (CI installs Debian postgresql).

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** Debian 12's PostgreSQL 15; CARNET_PG_BIN points elsewhere (another version). */
export const PG_BIN = process.env.CARNET_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgServer {
  host: string;
  port: number;
  /** A fresh empty database on this server (one per test: tests never share data). */
  createDatabase(): Promise<pg.PoolConfig>;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function asPostgres(args: string[]): void {
  const cmd = args.map((a) => "'" + a.replace(/'/g, "'\\''") + "'").join(' ');
  if (os.userInfo().username === 'postgres') execFileSync('sh', ['-c', cmd], { stdio: 'pipe' });
  else execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { stdio: 'pipe' });
}

let dbCounter = 0;

export async function startPgServer(): Promise<PgServer> {
  if (!existsSync(path.join(PG_BIN, 'initdb')) || !existsSync(path.join(PG_BIN, 'pg_ctl'))) {
    throw new Error(
      'PostgreSQL introuvable (' +
        PG_BIN +
        ') : installez le paquet Debian « postgresql » (apt-get install -y postgresql). ' +
        'PostgreSQL binaries missing: the ledger PG tests cannot run.',
    );
  }
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  } catch {
    throw new Error('utilisateur « postgres » absent : installez le paquet Debian « postgresql »');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'carnet-pg-'));
  chownSync(dir, uid, gid);
  const data = path.join(dir, 'data');
  const port = await freePort();
  asPostgres([path.join(PG_BIN, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  asPostgres([
    path.join(PG_BIN, 'pg_ctl'),
    '-D',
    data,
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses='' -c fsync=off`,
    '-l',
    path.join(dir, 'log'),
    '-w',
    'start',
  ]);
  const admin = { host: dir, port, user: 'postgres', database: 'postgres' };
  return {
    host: dir,
    port,
    async createDatabase() {
      const name = 'carnet_t' + process.pid + '_' + ++dbCounter;
      const c = new pg.Client(admin);
      await c.connect();
      await c.query('CREATE DATABASE ' + name);
      await c.end();
      return { host: dir, port, user: 'postgres', database: name };
    },
    stop() {
      try {
        asPostgres([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
