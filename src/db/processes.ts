/**
 * Which processes are alive on this database. Each process holds an exclusive SQLite lock on a
 * small file of its own for as long as it runs; the operating system drops that lock the moment
 * the process dies (SIGKILL included), so "can I take its lock?" is an exact liveness test, also
 * between processes in different containers that share the data volume.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { sql, type Db } from './connection.js';

export interface ProcessRow {
  owner: string;
  lockFile: string;
  startedAt: string;
  beatAt: string;
}

/** Creates the lock file and holds its lock until the returned handle is closed (or the process dies). */
export function holdProcessLock(file: string, owner: string): Db {
  const lock = new Database(file, { timeout: 0 });
  // Only the lock matters, never the file's content, so nothing is flushed to disk: with SQLite's
  // default a start waited for a dozen fsyncs here, each as long as the disk's backlog of writes
  // (up to half a second after a large import or bulk load). A crash of the machine may leave the
  // file unreadable; processLockState counts that as free.
  lock.pragma('synchronous = OFF');
  lock.pragma('locking_mode = EXCLUSIVE');
  // The first write takes the EXCLUSIVE lock; in this locking mode it is never released.
  lock.exec('CREATE TABLE IF NOT EXISTS holder (owner TEXT NOT NULL)');
  lock.prepare('INSERT INTO holder (owner) VALUES (?)').run(owner);
  return lock;
}

/** 'held' while its process lives, 'free' once it died, 'missing' when the file is gone. */
export function processLockState(file: string): 'held' | 'free' | 'missing' {
  if (!fs.existsSync(file)) return 'missing';
  let probe: Db | undefined;
  try {
    probe = new Database(file, { timeout: 0, fileMustExist: true });
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
    return 'free';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'held';
    // Its lock was free to take (a holder's lock would have answered BUSY first), the content was not written out.
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return 'free';
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || code === 'SQLITE_CANTOPEN') return 'missing';
    throw error;
  } finally {
    probe?.close();
  }
}

/**
 * At start this is the first write since the database was opened, so it begins a new WAL, and
 * SQLite flushes a new WAL's header (and its directory) to disk before the commit returns: on a disk
 * busy writing, half a second before the server could listen. This row needs no flush (a process
 * whose registration a power cut loses is gone with it), and a checkpoint flushes the WAL before it
 * copies anything into the database, so this one commit skips it.
 */
export function registerProcess(db: Db, row: ProcessRow): void {
  const synchronous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = OFF');
  try {
    sql(db, 'INSERT OR REPLACE INTO process_heartbeats (owner, lock_file, started_at, beat_at) VALUES (@owner, @lockFile, @startedAt, @beatAt)').run(row);
  } finally {
    db.pragma(`synchronous = ${synchronous}`);
  }
}

export function beatProcess(db: Db, owner: string, at: string): void {
  sql(db, 'UPDATE process_heartbeats SET beat_at = ? WHERE owner = ?').run(at, owner);
}

export function unregisterProcess(db: Db, owner: string): void {
  sql(db, 'DELETE FROM process_heartbeats WHERE owner = ?').run(owner);
}

export function otherProcesses(db: Db, owner: string): ProcessRow[] {
  return sql<[string], ProcessRow>(
    db,
    'SELECT owner, lock_file AS lockFile, started_at AS startedAt, beat_at AS beatAt FROM process_heartbeats WHERE owner <> ?',
  ).all(owner);
}

export interface ReleasedLeases {
  emails: number;
  enrolments: number;
  jobs: number;
}

/**
 * Frees every lease a dead owner held, so the work is due again at once. Work it finished was
 * already written with its outcome; work it was in the middle of is picked up by the normal rules
 * (an enrolment call that started but never finished is reported to staff, never repeated).
 */
export function releaseLeasesOf(db: Db, owner: string): ReleasedLeases {
  const emails = sql(db, 'UPDATE outbox SET locked_until = NULL, locked_by = NULL WHERE locked_by = ?').run(owner).changes;
  const enrolments = sql(db, 'UPDATE enrolment_jobs SET locked_until = NULL, locked_by = NULL WHERE locked_by = ?').run(owner).changes;
  const jobs = sql(db, 'DELETE FROM job_locks WHERE owner = ?').run(owner).changes;
  sql(db, "UPDATE job_runs SET status = 'failed', error = 'the process stopped during the run' WHERE owner = ? AND status = 'running'").run(owner);
  unregisterProcess(db, owner);
  return { emails, enrolments, jobs };
}
