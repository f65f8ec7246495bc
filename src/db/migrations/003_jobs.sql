-- Scheduled jobs: a lease per job name so two processes on one database never run the same job at
-- once, and a record of each run for `portal jobs list` and the logs.

CREATE TABLE job_locks (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  locked_until TEXT NOT NULL,
  acquired_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE job_runs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  owner TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'stopped')),
  counts_json TEXT,
  error TEXT
);
CREATE INDEX job_runs_name ON job_runs (name, id);

-- Partially paid invoices past their expiry are not expired: they wait for staff. This marks the
-- ones already reported, so the job reports each once.
ALTER TABLE invoices ADD COLUMN expiry_held_at TEXT;
CREATE INDEX invoices_expiry_held ON invoices (expiry_held_at) WHERE expiry_held_at IS NOT NULL;
