import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens the portal database with the settings every connection needs: WAL so readers never wait
 * for the writer, foreign keys enforced, and a busy timeout so a second process (a CLI command
 * next to the server) waits for the write lock instead of failing.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/** Prepared statements are compiled once per connection and reused. */
export function sql<P extends unknown[] | {} = unknown[], R = unknown>(db: Db, text: string): Database.Statement<P, R> {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let stmt = cache.get(text);
  if (!stmt) {
    stmt = db.prepare(text);
    cache.set(text, stmt);
  }
  return stmt as Database.Statement<P, R>;
}

const rowShapes = new WeakMap<Database.Statement, (values: unknown[]) => unknown>();

/**
 * `statement.all(params)` for wide rows read by the thousand (an invoice has ~50 columns).
 * better-sqlite3 builds each row object key by key, which leaves it a slow dictionary-mode object
 * and cost the expiry job more than its UPDATE; in raw mode it returns arrays, which a function
 * compiled once per statement (from its own column names, never from input) turns into objects of
 * one fixed shape.
 */
export function allRows<P extends object, R>(statement: Database.Statement<P, R>, params: P): R[] {
  let shape = rowShapes.get(statement as Database.Statement);
  if (!shape) {
    const fields = statement.columns().map((column, i) => `${JSON.stringify(column.name)}: values[${i}]`);
    shape = new Function('values', `return { ${fields.join(', ')} };`) as (values: unknown[]) => unknown;
    rowShapes.set(statement as Database.Statement, shape);
  }
  const rows = (statement.raw(true) as unknown as { all(params: P): unknown[][] }).all(params);
  statement.raw(false);
  return rows.map(shape) as R[];
}

/**
 * Runs fn in a write transaction taken up front (BEGIN IMMEDIATE), so check-then-write logic
 * (numbering, "is there already an invoice?") cannot interleave with another connection.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/**
 * Claims due rows of a work table (outbox, enrolment_jobs) for one worker with a lease. The claim
 * is one UPDATE, so two processes on one database never take the same row; a worker that dies
 * leaves a lease that simply runs out.
 */
export function claimDue<R>(
  db: Db,
  table: 'outbox' | 'enrolment_jobs',
  columns: string,
  claim: { now: string; leaseUntil: string; owner: string; limit: number },
): R[] {
  return sql<[string, string, string, string, number], R>(
    db,
    `UPDATE ${table} SET locked_until = ?, locked_by = ?
     WHERE id IN (SELECT id FROM ${table} WHERE status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)
                  ORDER BY next_attempt_at, id LIMIT ?)
     RETURNING ${columns}`,
  ).all(claim.leaseUntil, claim.owner, claim.now, claim.now, claim.limit);
}

/** PRAGMA optimize: lets SQLite run ANALYZE where its statistics are stale (bounded, fast). */
export function optimizeDatabase(db: Db): void {
  db.pragma('optimize');
}
