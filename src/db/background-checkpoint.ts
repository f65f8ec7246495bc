/**
 * WAL checkpoints on a worker thread instead of inside the commits of the event loop.
 *
 * SQLite checkpoints automatically when a commit leaves more than 1,000 pages in the WAL: that
 * commit then copies the WAL into the database file and waits for the disk (fsync) before it
 * returns, so every few hundred landings, or every expiry batch, one request waited for the disk
 * (tens of milliseconds on a busy disk, over a hundred measured during expiry). Here the portal's
 * connection stops checkpointing itself and a worker with its own connection runs a PASSIVE
 * checkpoint every `intervalMs`: it never blocks the writer or readers and copies what it can.
 * If the worker dies, the connection checkpoints itself again as before.
 *
 * Workers load this module's compiled file; under a TypeScript loader (vitest) there is none and
 * the connection keeps SQLite's own automatic checkpoints.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Db } from './connection.js';

const ROLE = 'background-checkpoint';
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

export interface BackgroundCheckpoints {
  stop(): Promise<void>;
}

export function startBackgroundCheckpoints(db: Db, intervalMs = 500): BackgroundCheckpoints {
  const file = db.name;
  if (!fileURLToPath(import.meta.url).endsWith('.js') || db.memory || !file) return { stop: async () => undefined };
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, file, intervalMs } });
  worker.unref();
  let stopping = false;
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    if (!stopping && db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  });
  db.pragma('wal_autocheckpoint = 0');
  return {
    async stop() {
      stopping = true;
      await worker.terminate();
      if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    },
  };
}

if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === ROLE) {
  const { file, intervalMs } = workerData as { file: string; intervalMs: number };
  const connection = new Database(file);
  connection.pragma('busy_timeout = 5000');
  setInterval(() => connection.pragma('wal_checkpoint(PASSIVE)'), intervalMs);
}
