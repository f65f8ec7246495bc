import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../data-paths.js';
import { addSeconds, toDbTime, type Clock } from '../clock.js';
import { writeTransaction, type Db } from '../db/connection.js';
import {
  beatProcess,
  holdProcessLock,
  otherProcesses,
  processLockState,
  registerProcess,
  releaseLeasesOf,
  unregisterProcess,
  type ReleasedLeases,
} from '../db/processes.js';
import type { Logger } from '../logger.js';

const BEAT_SECONDS = 30;
/** A row whose lock file is gone counts as dead only once it has missed this many seconds of beats. */
const MISSING_LOCK_GRACE_SECONDS = 5 * BEAT_SECONDS;
/** How often a running process looks for dead ones (a restart looks at once). */
const RECLAIM_INTERVAL_MS = 15_000;

/**
 * This process's presence on the database: registered with a held lock file while it runs, so any
 * process can tell a dead owner's leases from a live one's, and take the dead one's work at once.
 */
export class ProcessPresence {
  private lock: Db | undefined;
  private beat: NodeJS.Timeout | undefined;
  private lastReclaim = 0;

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger; dataDir: string },
    readonly owner: string,
  ) {}

  private get lockFile(): string {
    // The owner names host and pid; a hash keeps the file name safe on any file system.
    return dataPaths(this.deps).processLock(createHash('sha256').update(this.owner).digest('hex').slice(0, 24));
  }

  /** Takes the lock, then registers (in this order, so a registered owner always holds its lock). */
  start(): void {
    fs.mkdirSync(path.dirname(this.lockFile), { recursive: true });
    this.lock = holdProcessLock(this.lockFile, this.owner);
    const now = toDbTime(this.deps.clock.now());
    registerProcess(this.deps.db, { owner: this.owner, lockFile: this.lockFile, startedAt: now, beatAt: now });
    this.beat = setInterval(() => {
      try {
        beatProcess(this.deps.db, this.owner, toDbTime(this.deps.clock.now()));
      } catch (err) {
        this.deps.logger.warn({ err }, 'process heartbeat not recorded');
      }
    }, BEAT_SECONDS * 1000);
    this.beat.unref();
  }

  /**
   * Takes back the leases of processes that died without cleaning up. Rate-limited: a restart
   * calls it at once, later calls look at most every 15 s.
   */
  reclaim(options: { force?: boolean } = {}): ReleasedLeases & { owners: number } {
    const total = { emails: 0, enrolments: 0, jobs: 0, owners: 0 };
    if (!options.force && Date.now() - this.lastReclaim < RECLAIM_INTERVAL_MS) return total;
    this.lastReclaim = Date.now();
    const { db, clock, logger } = this.deps;
    for (const other of otherProcesses(db, this.owner)) {
      const state = processLockState(other.lockFile);
      const silentSince = toDbTime(addSeconds(clock.now(), -MISSING_LOCK_GRACE_SECONDS));
      const dead = state === 'free' || (state === 'missing' && other.beatAt < silentSince);
      if (!dead) continue;
      const released = writeTransaction(db, () => releaseLeasesOf(db, other.owner));
      fs.rmSync(other.lockFile, { force: true });
      total.owners++;
      total.emails += released.emails;
      total.enrolments += released.enrolments;
      total.jobs += released.jobs;
      logger.warn(
        { deadOwner: other.owner, startedAt: other.startedAt, ...released },
        'took back the work of a portal process that stopped without finishing (killed or crashed)',
      );
    }
    return total;
  }

  /** Unregisters, then lets go of the lock and its file. */
  stop(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    if (!this.lock) return;
    try {
      unregisterProcess(this.deps.db, this.owner);
    } finally {
      this.lock.close();
      this.lock = undefined;
      fs.rmSync(this.lockFile, { force: true });
    }
  }
}
