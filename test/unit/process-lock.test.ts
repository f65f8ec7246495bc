/**
 * The lock file that tells a live portal process from a dead one. Its content is never flushed to
 * disk, so after a machine crash it may be unreadable: its owner is then dead and must count as such,
 * or the restarted portal could not take back the dead process's queued mail and enrolments.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection.js';
import { migrate } from '../../src/db/migrate.js';
import { holdProcessLock, otherProcesses, processLockState, registerProcess } from '../../src/db/processes.js';

describe('process lock files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'process-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are held while the handle is open, free once it is closed, missing once deleted', () => {
    const file = path.join(dir, 'owner.lock');
    const lock = holdProcessLock(file, 'host:123');
    expect(processLockState(file)).toBe('held');
    lock.close();
    expect(processLockState(file)).toBe('free');
    fs.rmSync(file);
    expect(processLockState(file)).toBe('missing');
  });

  it('count as free when a crash left the file unreadable', () => {
    const file = path.join(dir, 'torn.lock');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(84, 0xff), Buffer.alloc(400, 7)]));
    expect(processLockState(file)).toBe('free');
    fs.writeFileSync(file, 'half a page of something else entirely, not a database at all'.repeat(20));
    expect(processLockState(file)).toBe('free');
  });

  it('registering a process stores it and leaves every later commit as durable as before', () => {
    const db = openDatabase(path.join(dir, 'portal.db'));
    migrate(db);
    const before = db.pragma('synchronous', { simple: true });
    registerProcess(db, { owner: 'host:1', lockFile: path.join(dir, 'a.lock'), startedAt: '2026-12-01T00:00:00Z', beatAt: '2026-12-01T00:00:00Z' });
    expect(db.pragma('synchronous', { simple: true })).toBe(before);
    expect(otherProcesses(db, 'host:2').map((p) => p.owner)).toEqual(['host:1']);
    db.close();
  });
});
