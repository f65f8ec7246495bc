/**
 * An online backup of the SQLite database (better-sqlite3's backup API copies pages in steps, so
 * the server keeps answering), checked, then renamed into DATA_DIR/backups/. The newest
 * BACKUP_KEEP backups are kept. PDFs and captured mail are files next to the database: back up the
 * whole DATA_DIR off the machine (see README, "Backups and restore").
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import { dataPaths } from '../data-paths.js';
import type { Deps } from '../deps.js';
import type { JobContext, JobCounts } from './job.js';

const NAME = /^portal-\d{8}T\d{6}Z\.db$/;

export function listBackups(config: Pick<Config, 'dataDir'>): string[] {
  const dir = dataPaths(config).backups;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function backupDatabase(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'>,
  context?: JobContext,
): Promise<{ file: string; bytes: number; removed: number }> {
  const dir = dataPaths(deps.config).backups;
  fs.mkdirSync(dir, { recursive: true });
  const stamp = deps.clock
    .now()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `portal-${stamp}.db`);
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  await deps.db.backup(partial, {
    progress: () => {
      context?.heartbeat();
      return 256; // pages per step: small steps keep each pause of the event loop short
    },
  });
  // A backup that cannot be opened is worse than none: check it before it counts. Rollback-journal
  // mode makes it one self-contained file (no -wal/-shm beside it) that can be copied as it is.
  const check = new Database(partial);
  try {
    check.pragma('journal_mode = DELETE');
    const result = check.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new Error(`backup failed its integrity check: ${String(result)}`);
  } finally {
    check.close();
  }
  fs.renameSync(partial, file);
  const backups = listBackups(deps.config);
  const excess = backups.slice(0, Math.max(0, backups.length - deps.config.jobs.backupKeep));
  for (const old of excess) fs.rmSync(old, { force: true });
  const bytes = fs.statSync(file).size;
  deps.logger.info({ file, bytes, removed: excess.length }, 'database backed up');
  return { file, bytes, removed: excess.length };
}

export async function backup(deps: Deps, context: JobContext): Promise<JobCounts> {
  const result = await backupDatabase(deps, context);
  return { bytes: result.bytes, removed: result.removed, kept: listBackups(deps.config).length };
}
