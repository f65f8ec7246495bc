-- Every portal process (the server, a CLI job) records itself here while it runs, next to a lock
-- file it holds open in DATA_DIR/run/. When a process dies without cleaning up (a kill, a power
-- cut), its lock is released by the operating system at once; the next process to look finds the
-- row without a held lock and takes back the leases that owner held, instead of waiting minutes
-- for them to run out.
CREATE TABLE process_heartbeats (
  owner TEXT PRIMARY KEY,
  lock_file TEXT NOT NULL,
  started_at TEXT NOT NULL,
  beat_at TEXT NOT NULL
) WITHOUT ROWID;

-- Taking back a dead owner's leases reads only the rows that are leased.
CREATE INDEX outbox_locked_by ON outbox (locked_by) WHERE locked_by IS NOT NULL;
CREATE INDEX enrolment_jobs_locked_by ON enrolment_jobs (locked_by) WHERE locked_by IS NOT NULL;
