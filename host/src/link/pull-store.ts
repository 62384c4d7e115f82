// Where pulled log records go, durably, before the reader is allowed to free them (SPEC.md §10 ACK_LOG).
// A tiny interface over one SQLite file (better-sqlite3, synchronous: once `appendBatch` returns, the
// transaction is committed to disk). The treasurer's ledger (host/src/ledger) takes in signed log
// exports; feeding it from here is left to the lead (see the report of issue 6).

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface StoredHead {
  seq: number;
  head: Uint8Array;
}

export interface PullStore {
  /** The last stored record of a reader and the chain value after it; null if none. */
  head(fundId: Uint8Array, readerId: number): StoredHead | null;
  /** Appends a verified run (seqs from head.seq + 1, contiguous) and the new head, atomically. */
  appendBatch(
    fundId: Uint8Array,
    readerId: number,
    fromSeq: number,
    records: Uint8Array[],
    head: Uint8Array,
  ): void;
  saveCheckpoint(fundId: Uint8Array, readerId: number, seq: number, envelope: Uint8Array): void;
  markAcked(fundId: Uint8Array, readerId: number, seq: number, time: number): void;
  lastAck(fundId: Uint8Array, readerId: number): { seq: number; time: number } | null;
  records(fundId: Uint8Array, readerId: number): { seq: number; bytes: Uint8Array }[];
  count(fundId: Uint8Array, readerId: number): number;
  close(): void;
}

function hex(u: Uint8Array): string {
  return Buffer.from(u).toString('hex');
}

export function openPullStore(path: string): PullStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk when the call returns, not merely in the WAL's page cache.
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS log_record (
      fund TEXT NOT NULL, reader INTEGER NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL,
      PRIMARY KEY (fund, reader, seq)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS log_head (
      fund TEXT NOT NULL, reader INTEGER NOT NULL, seq INTEGER NOT NULL, head BLOB NOT NULL,
      acked_seq INTEGER, acked_time INTEGER, PRIMARY KEY (fund, reader));
    CREATE TABLE IF NOT EXISTS log_checkpoint (
      fund TEXT NOT NULL, reader INTEGER NOT NULL, seq INTEGER NOT NULL, envelope BLOB NOT NULL,
      PRIMARY KEY (fund, reader, seq, envelope));
  `);
  const getHead = db.prepare(
    'SELECT seq, head, acked_seq, acked_time FROM log_head WHERE fund = ? AND reader = ?',
  );
  const insRecord = db.prepare('INSERT INTO log_record (fund, reader, seq, bytes) VALUES (?, ?, ?, ?)');
  const upHead = db.prepare(
    `INSERT INTO log_head (fund, reader, seq, head) VALUES (?, ?, ?, ?)
     ON CONFLICT (fund, reader) DO UPDATE SET seq = excluded.seq, head = excluded.head`,
  );
  const append = db.transaction(
    (fund: string, reader: number, fromSeq: number, records: Uint8Array[], head: Uint8Array) => {
      const cur = getHead.get(fund, reader) as { seq: number } | undefined;
      const expected = cur === undefined ? null : cur.seq + 1;
      // The caller verified the chain from our head; a mismatch here is a bug, and the primary key makes a
      // duplicate impossible anyway.
      if (expected !== null && fromSeq !== expected) throw new Error('appendBatch: not contiguous');
      for (let i = 0; i < records.length; i++)
        insRecord.run(fund, reader, fromSeq + i, Buffer.from(records[i]));
      upHead.run(fund, reader, fromSeq + records.length - 1, Buffer.from(head));
    },
  );
  return {
    head(fundId, readerId) {
      const r = getHead.get(hex(fundId), readerId) as { seq: number; head: Buffer } | undefined;
      return r === undefined ? null : { seq: r.seq, head: new Uint8Array(r.head) };
    },
    appendBatch(fundId, readerId, fromSeq, records, head) {
      if (records.length === 0) return;
      append(hex(fundId), readerId, fromSeq, records, head);
    },
    saveCheckpoint(fundId, readerId, seq, envelope) {
      db.prepare('INSERT OR IGNORE INTO log_checkpoint VALUES (?, ?, ?, ?)').run(
        hex(fundId),
        readerId,
        seq,
        Buffer.from(envelope),
      );
    },
    markAcked(fundId, readerId, seq, time) {
      db.prepare('UPDATE log_head SET acked_seq = ?, acked_time = ? WHERE fund = ? AND reader = ?').run(
        seq,
        time,
        hex(fundId),
        readerId,
      );
    },
    lastAck(fundId, readerId) {
      const r = getHead.get(hex(fundId), readerId) as
        { acked_seq: number | null; acked_time: number | null } | undefined;
      if (r === undefined || r.acked_seq === null) return null;
      return { seq: r.acked_seq, time: r.acked_time ?? 0 };
    },
    records(fundId, readerId) {
      const rows = db
        .prepare('SELECT seq, bytes FROM log_record WHERE fund = ? AND reader = ? ORDER BY seq')
        .all(hex(fundId), readerId) as { seq: number; bytes: Buffer }[];
      return rows.map((r) => ({ seq: r.seq, bytes: new Uint8Array(r.bytes) }));
    },
    count(fundId, readerId) {
      const r = db
        .prepare('SELECT count(*) AS n FROM log_record WHERE fund = ? AND reader = ?')
        .get(hex(fundId), readerId) as { n: number };
      return r.n;
    },
    close() {
      db.close();
    },
  };
}
