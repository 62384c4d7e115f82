// The ledger's storage behind one interface: SQLite (one file, the default) or PostgreSQL (a federation
// of caisses sharing a server). SQL is written once with `?` placeholders and portable types; the few
// dialect differences (BLOB/BYTEA, placeholders, locking) live here.

import Database from 'better-sqlite3';
import pg from 'pg';
import { SCHEMA_VERSION, migrations } from './schema';

export type SqlValue = number | string | Uint8Array | null;
export type Row = Record<string, SqlValue>;

/** One open transaction. Everything a ledger operation writes goes through one of these. */
export interface Tx {
  all(sql: string, params?: SqlValue[]): Promise<Row[]>;
  run(sql: string, params?: SqlValue[]): Promise<number>;
  /**
   * Calls `fn` on each row without materialising the result first (SQLite streams; PostgreSQL reads the
   * result at once). Rows hold numbers and text only: select byte columns as hex when streaming.
   */
  each(sql: string, params: SqlValue[], fn: (row: Row) => void): Promise<void>;
  /** Inserts many rows (ON CONFLICT DO NOTHING); returns how many were new. */
  insertMany(table: string, cols: string[], rows: SqlValue[][]): Promise<number>;
}

export interface LedgerStore {
  readonly dialect: 'sqlite' | 'pg';
  /**
   * Runs `fn` in one transaction: all of it or nothing. `lockKeys` serialise writers that touch the same
   * reader's chain (PostgreSQL advisory locks; SQLite takes its single write lock anyway).
   */
  tx<T>(fn: (tx: Tx) => Promise<T>, lockKeys?: number[]): Promise<T>;
  close(): Promise<void>;
}

/** Rows of `insertMany` per statement on PostgreSQL: 1000 rows × ≤ 20 columns stays under 65,535 params. */
export const PG_INSERT_BATCH = 1000;

/** pg sends Buffers as bytea; better-sqlite3 binds any Uint8Array, so SQLite skips this. */
function toBuffer(v: SqlValue): SqlValue | Buffer {
  if (v instanceof Uint8Array && !Buffer.isBuffer(v))
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

function normRow(r: Record<string, unknown>): Row {
  const out: Row = {};
  for (const k of Object.keys(r)) {
    const v = r[k];
    if (typeof v === 'bigint') out[k] = Number(v);
    else if (Buffer.isBuffer(v)) out[k] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    else out[k] = v as SqlValue;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- SQLite

/** How long a writer waits for another connection's write transaction (a large import takes seconds). */
export const SQLITE_LOCK_WAIT_MS = 120_000;

class SqliteStore implements LedgerStore {
  readonly dialect = 'sqlite' as const;
  private db: Database.Database;
  private stmts = new Map<string, Database.Statement>();
  /** better-sqlite3 has one connection: async transactions of one process take turns. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // The state-id index takes random keys: a 64 MB page cache keeps its hot pages in memory during a
    // large import (SQLite's default is 2 MB), and checkpoints are batched (WAL pages written once).
    this.db.pragma('cache_size = -65536');
    this.db.pragma('wal_autocheckpoint = 8192');
    // Another connection holding the write lock: BEGIN is retried asynchronously (beginImmediate), so a
    // second connection in this very process does not block the event loop the first one needs.
    this.db.pragma('busy_timeout = 0');
  }

  private prep(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const done = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    const ms = migrations('sqlite');
    for (let v = 1; v <= SCHEMA_VERSION; v++) {
      if (done.has(v)) continue;
      this.db.transaction(() => {
        this.db.exec(ms[v - 1]);
        this.db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(v);
      })();
    }
  }

  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + SQLITE_LOCK_WAIT_MS;
    for (;;) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const tx: Tx = {
        all: async (sql, params = []) =>
          (this.prep(sql).all(...params) as Record<string, unknown>[]).map(normRow),
        run: async (sql, params = []) => this.prep(sql).run(...params).changes,
        each: async (sql, params, fn) => {
          for (const r of this.prep(sql).iterate(...params)) fn(r as Row);
        },
        insertMany: async (table, cols, rows) => {
          const sql =
            'INSERT INTO ' +
            table +
            ' (' +
            cols.join(', ') +
            ') VALUES (' +
            cols.map(() => '?').join(', ') +
            ') ON CONFLICT DO NOTHING';
          const st = this.prep(sql);
          let n = 0;
          for (const r of rows) n += st.run(...r).changes;
          return n;
        },
      };
      await this.beginImmediate();
      try {
        const out = await fn(tx);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}

// ------------------------------------------------------------------------------------------ PostgreSQL

// int8 (COUNT, SUM, BIGINT columns) as numbers: cents and seconds stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

function pgSql(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => '$' + ++i);
}

class PgStore implements LedgerStore {
  readonly dialect = 'pg' as const;
  constructor(private pool: pg.Pool) {
    // An idle connection dropped by the server (restart, shutdown) is replaced on next use; without a
    // listener the pool's 'error' event would crash the process.
    pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // Two ledgers starting at once on an empty server: one migrates, the other waits.
      await c.query('SELECT pg_advisory_xact_lock(727272)');
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
      const done = new Set(
        (await c.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      const ms = migrations('pg');
      for (let v = 1; v <= SCHEMA_VERSION; v++) {
        if (done.has(v)) continue;
        await c.query(ms[v - 1]);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>, lockKeys: number[] = []): Promise<T> {
    const c = await this.pool.connect();
    const tx: Tx = {
      all: async (sql, params = []) =>
        (await c.query(pgSql(sql), params.map(toBuffer))).rows.map((r) => normRow(r)),
      run: async (sql, params = []) => (await c.query(pgSql(sql), params.map(toBuffer))).rowCount ?? 0,
      each: async (sql, params, fn) => {
        for (const r of (await c.query(pgSql(sql), params.map(toBuffer))).rows) fn(r as Row);
      },
      insertMany: async (table, cols, rows) => {
        let n = 0;
        for (let i = 0; i < rows.length; i += PG_INSERT_BATCH) {
          const part = rows.slice(i, i + PG_INSERT_BATCH);
          const params: (SqlValue | Buffer)[] = [];
          const tuples: string[] = [];
          for (const r of part) {
            const ph: string[] = [];
            for (const v of r) {
              params.push(toBuffer(v));
              ph.push('$' + params.length);
            }
            tuples.push('(' + ph.join(', ') + ')');
          }
          const q = `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`;
          n += (await c.query(q, params)).rowCount ?? 0;
        }
        return n;
      },
    };
    try {
      await c.query('BEGIN');
      // Sorted: two importers taking the same locks never deadlock.
      for (const k of lockKeys.slice().sort((a, b) => a - b)) {
        await c.query('SELECT pg_advisory_xact_lock($1)', [k]);
      }
      const out = await fn(tx);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Opens a ledger store: a PostgreSQL URL (`postgres://…` or `postgresql://…`) or a SQLite file path
 * (`:memory:` for tests). Applies pending schema migrations.
 */
export async function openStore(where: string): Promise<LedgerStore> {
  if (/^postgres(ql)?:\/\//.test(where)) {
    const s = new PgStore(new pg.Pool({ connectionString: where, max: 4 }));
    await s.migrate();
    return s;
  }
  const s = new SqliteStore(where);
  s.migrate();
  return s;
}

/** Opens a PostgreSQL store from explicit connection settings (tests: a Unix socket directory). */
export async function openPgStore(config: pg.PoolConfig): Promise<LedgerStore> {
  const s = new PgStore(new pg.Pool(Object.assign({ max: 4 }, config)));
  await s.migrate();
  return s;
}
