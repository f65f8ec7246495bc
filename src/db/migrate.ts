import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_DIR } from '../paths.js';
import type { Db } from './connection.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, file.indexOf('_'))),
        name: file.replace(/\.sql$/, ''),
        sql: text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

export interface MigrationResult {
  applied: string[];
  current: number;
}

/**
 * Forward-only migrations: numbered .sql files, each applied once in its own transaction and
 * recorded with a checksum. An applied file that has since changed is an error, not something to
 * re-run: write a new migration instead.
 */
export function migrate(db: Db, migrations = readMigrations()): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const done = new Map(
    (db.prepare('SELECT version, name, checksum FROM schema_migrations').all() as { version: number; name: string; checksum: string }[]).map((r) => [
      r.version,
      r,
    ]),
  );
  const known = new Set(migrations.map((m) => m.version));
  for (const [version, row] of done) {
    if (!known.has(version)) {
      throw new Error(
        `The database has migration ${row.name}, which this version of the portal does not know: it was written by a newer version. Run that version, or restore a backup taken before the upgrade.`,
      );
    }
  }
  const applied: string[] = [];
  for (const m of migrations) {
    const previous = done.get(m.version);
    if (previous) {
      if (previous.checksum !== m.checksum) {
        throw new Error(
          `Migration ${m.name} was changed after it was applied to this database. Migrations are forward-only: restore the file and add a new migration instead.`,
        );
      }
      continue;
    }
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
        m.version,
        m.name,
        m.checksum,
        new Date().toISOString(),
      );
    }).immediate();
    applied.push(m.name);
  }
  const current = migrations.length > 0 ? migrations[migrations.length - 1]!.version : 0;
  return { applied, current };
}

/** The newest applied migration, for the health check. */
export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null }).version ?? 0;
}
