import { sql, type Db } from './connection.js';

/** Takes (or renews) the lease on a job name. False when another owner holds a live lease. */
export function acquireJobLock(db: Db, name: string, owner: string, now: string, until: string): boolean {
  const result = sql(
    db,
    `INSERT INTO job_locks (name, owner, locked_until, acquired_at) VALUES (@name, @owner, @until, @now)
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, locked_until = excluded.locked_until, acquired_at = excluded.acquired_at
    WHERE job_locks.locked_until < @now OR job_locks.owner = @owner`,
  ).run({ name, owner, now, until });
  return result.changes === 1;
}

export function renewJobLock(db: Db, name: string, owner: string, until: string): boolean {
  return sql(db, 'UPDATE job_locks SET locked_until = ? WHERE name = ? AND owner = ?').run(until, name, owner).changes === 1;
}

export function releaseJobLock(db: Db, name: string, owner: string): void {
  sql(db, 'DELETE FROM job_locks WHERE name = ? AND owner = ?').run(name, owner);
}

export function startJobRun(db: Db, name: string, owner: string, at: string): number {
  return Number(sql(db, "INSERT INTO job_runs (name, owner, started_at, status) VALUES (?, ?, ?, 'running')").run(name, owner, at).lastInsertRowid);
}

export function finishJobRun(db: Db, id: number, at: string, status: 'succeeded' | 'failed' | 'stopped', counts: unknown, error: string | null): void {
  sql(db, 'UPDATE job_runs SET finished_at = ?, status = ?, counts_json = ?, error = ? WHERE id = ?').run(at, status, JSON.stringify(counts ?? {}), error, id);
}

export interface JobRunRow {
  name: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  counts: Record<string, number>;
  error: string | null;
}

export function lastJobRuns(db: Db): Map<string, JobRunRow> {
  const rows = sql(
    db,
    `SELECT name, started_at AS startedAt, finished_at AS finishedAt, status, counts_json AS countsJson, error
    FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY name)`,
  ).all() as (Omit<JobRunRow, 'counts'> & { countsJson: string | null })[];
  return new Map(rows.map(({ countsJson, ...r }) => [r.name, { ...r, counts: countsJson ? JSON.parse(countsJson) : {} }]));
}

export function purgeJobRuns(db: Db, before: string, limit: number): number {
  return sql(db, 'DELETE FROM job_runs WHERE id IN (SELECT id FROM job_runs WHERE started_at < ? LIMIT ?)').run(before, limit).changes;
}
