// Ledger schema, one migration per version. Written once for both SQLite and PostgreSQL: `{B}` is the
// byte-string type (BLOB / BYTEA); every integer is BIGINT (cents and seconds; SQLite stores it as
// INTEGER); `{WR}` makes the two big tables WITHOUT ROWID on SQLite (one B-tree keyed by (reader, seq)
// instead of a rowid table plus a key index: fewer pages written per imported record). Migrations only ever add: a shipped migration is never edited (same rule as the vectors).

export const SCHEMA_VERSION = 1;

const V1 = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE key_certs (
  key_id {B} PRIMARY KEY, role BIGINT NOT NULL, public_key {B} NOT NULL,
  not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, envelope {B} NOT NULL);
CREATE TABLE readers (
  reader_id BIGINT PRIMARY KEY, vendor_id BIGINT NOT NULL, public_key {B} NOT NULL,
  not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, certificate {B} NOT NULL,
  revoked_at BIGINT);
CREATE TABLE vouchers (
  pseudonym {B} NOT NULL, serial BIGINT NOT NULL, voucher_id {B} NOT NULL, envelope {B} NOT NULL,
  PRIMARY KEY (pseudonym, serial));
CREATE TABLE blocklists (version BIGINT PRIMARY KEY, issued_at BIGINT NOT NULL, envelope {B} NOT NULL);
CREATE TABLE imports (
  digest {B} PRIMARY KEY, reader_id BIGINT NOT NULL, from_seq BIGINT NOT NULL, to_seq BIGINT NOT NULL,
  prev_head {B} NOT NULL, head {B} NOT NULL, imported_at BIGINT NOT NULL, source TEXT NOT NULL);
CREATE INDEX imports_reader ON imports (reader_id, from_seq);
CREATE TABLE records (
  reader_id BIGINT NOT NULL, seq BIGINT NOT NULL, time BIGINT NOT NULL, kind BIGINT NOT NULL,
  bytes {B} NOT NULL, head {B} NOT NULL, PRIMARY KEY (reader_id, seq)){WR};
CREATE TABLE checkpoints (
  reader_id BIGINT NOT NULL, seq BIGINT NOT NULL, head {B} NOT NULL, time BIGINT NOT NULL,
  envelope {B} NOT NULL, PRIMARY KEY (reader_id, seq, time, head));
CREATE TABLE ops (
  reader_id BIGINT NOT NULL, seq BIGINT NOT NULL, kind BIGINT NOT NULL, time BIGINT NOT NULL,
  month BIGINT NOT NULL, pseudonym {B} NOT NULL, state_id {B} NOT NULL, prev {B} NOT NULL,
  card_seq BIGINT NOT NULL, voucher_serial BIGINT NOT NULL, carried BIGINT NOT NULL, spent BIGINT NOT NULL,
  last_amount BIGINT NOT NULL, amount BIGINT NOT NULL, covered BIGINT NOT NULL, category BIGINT NOT NULL,
  ref_seq BIGINT NOT NULL, state_log_seq BIGINT NOT NULL, state_reader BIGINT NOT NULL,
  status BIGINT NOT NULL, closed_by BIGINT NOT NULL, PRIMARY KEY (reader_id, seq)){WR};
CREATE INDEX ops_month_card ON ops (month, pseudonym, card_seq);
CREATE INDEX ops_state ON ops (state_id);
CREATE TABLE anomalies (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, reader_id BIGINT, seq BIGINT, month BIGINT,
  message TEXT NOT NULL, evidence TEXT NOT NULL, created_at BIGINT NOT NULL, resolved_at BIGINT);
CREATE TABLE confirmations (
  anomaly_id TEXT PRIMARY KEY, confirmed_at BIGINT NOT NULL, pseudonym {B}, reader_id BIGINT);
CREATE TABLE payments (
  batch_id TEXT PRIMARY KEY, month BIGINT NOT NULL, created_at BIGINT NOT NULL, total BIGINT NOT NULL,
  tx_count BIGINT NOT NULL, status TEXT NOT NULL, paid_at BIGINT);
CREATE TABLE payment_lines (
  batch_id TEXT NOT NULL, vendor_id BIGINT NOT NULL, amount BIGINT NOT NULL, iban TEXT NOT NULL,
  PRIMARY KEY (batch_id, vendor_id));
`;

export function migrations(dialect: 'sqlite' | 'pg'): string[] {
  const b = dialect === 'pg' ? 'BYTEA' : 'BLOB';
  const wr = dialect === 'pg' ? '' : ' WITHOUT ROWID';
  return [V1.replace(/\{B\}/g, b).replace(/\{WR\}/g, wr)];
}
