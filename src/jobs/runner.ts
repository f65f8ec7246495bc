import { addSeconds, toDbTime } from '../clock.js';
import type { Background, BackgroundTask, Deps } from '../deps.js';
import type { JobName } from '../config.js';
import { acquireJobLock, finishJobRun, releaseJobLock, renewJobLock, startJobRun } from '../db/jobs.js';
import { PROCESS_OWNER, type JobContext, type JobCounts, type JobFunction } from './job.js';
import type { ProcessPresence } from './presence.js';

/** A job's lease in the database; renewed between batches, so it only runs out if the process dies. */
const LEASE_SECONDS = 120;

export interface JobRun {
  name: JobName;
  counts: JobCounts;
  ms: number;
  status: 'succeeded' | 'stopped' | 'skipped';
  /** Why it did not run: already running in this process, or another process holds the lease. */
  skipped?: 'already-running' | 'running-elsewhere';
}

/**
 * Runs jobs in this process: never the same job twice at once, a kick during a run schedules one
 * more run (so work queued mid-run is not left waiting for the next tick), and stop() lets the
 * running batch finish before the process exits.
 */
export class JobRunner implements Background {
  private readonly running = new Map<JobName, Promise<JobRun>>();
  private readonly rerun = new Set<JobName>();
  private stopping = false;

  private readonly owner: string;

  constructor(
    private readonly deps: () => Deps,
    private readonly jobs: Partial<Record<JobName, JobFunction>>,
    /** Registered presence of this process: before a run, leases of dead processes are taken back. */
    private readonly presence?: ProcessPresence,
  ) {
    this.owner = presence?.owner ?? PROCESS_OWNER;
  }

  private context(name: JobName, deps: Deps): JobContext {
    const lease = () => toDbTime(addSeconds(deps.clock.now(), LEASE_SECONDS));
    return {
      owner: this.owner,
      stopping: () => this.stopping,
      heartbeat: () => {
        if (!renewJobLock(deps.db, name, this.owner, lease())) deps.logger.warn({ job: name }, 'job lease was lost (the database clock moved?)');
      },
    };
  }

  has(name: JobName): boolean {
    return this.jobs[name] !== undefined;
  }

  /** Runs a job now, or, if it is already running, waits for that run and reports it skipped. */
  async run(name: JobName): Promise<JobRun> {
    const current = this.running.get(name);
    if (current) {
      await current.catch(() => undefined);
      return { name, counts: {}, ms: 0, status: 'skipped', skipped: 'already-running' };
    }
    const job = this.jobs[name];
    if (!job) throw new Error(`unknown job ${name}`);
    const deps = this.deps();
    const { db, logger, clock } = deps;
    const now = clock.now();
    this.reclaimFromDeadProcesses(deps);
    // Another process on this database (a second server, a CLI run) may hold the job.
    if (!acquireJobLock(db, name, this.owner, toDbTime(now), toDbTime(addSeconds(now, LEASE_SECONDS)))) {
      logger.info({ job: name }, 'job skipped: running in another process');
      return { name, counts: {}, ms: 0, status: 'skipped', skipped: 'running-elsewhere' };
    }
    const runId = startJobRun(db, name, this.owner, toDbTime(now));
    const started = performance.now();
    const promise = job(deps, this.context(name, deps))
      .then((counts) => {
        const status = this.stopping ? ('stopped' as const) : ('succeeded' as const);
        const run = { name, counts, ms: Math.round(performance.now() - started), status };
        finishJobRun(db, runId, toDbTime(clock.now()), status, counts, null);
        logger.info(
          { job: name, ms: run.ms, status, ...counts },
          status === 'stopped' ? 'job stopped early (shutdown); the next run continues' : 'job finished',
        );
        return run;
      })
      .catch((err: unknown) => {
        finishJobRun(db, runId, toDbTime(clock.now()), 'failed', {}, err instanceof Error ? err.message : String(err));
        logger.error({ job: name, err, ms: Math.round(performance.now() - started) }, 'job failed');
        throw err;
      })
      .finally(() => {
        releaseJobLock(db, name, this.owner);
        this.running.delete(name);
        if (this.rerun.delete(name) && !this.stopping) this.kick(name as BackgroundTask);
      });
    this.running.set(name, promise);
    return promise;
  }

  /** A failure to look must not stop the job itself: the leases then simply run out as before. */
  private reclaimFromDeadProcesses(deps: Deps): void {
    try {
      this.presence?.reclaim();
    } catch (err) {
      deps.logger.warn({ err }, 'could not check for work left by stopped processes');
    }
  }

  kick(task: BackgroundTask): void {
    if (this.stopping || !this.jobs[task]) return;
    if (this.running.has(task)) {
      this.rerun.add(task);
      return;
    }
    setImmediate(() => void this.run(task).catch(() => undefined));
  }

  /** Resolves when no job is running or about to rerun (tests wait on this; so does shutdown). */
  async idle(): Promise<void> {
    // A kick schedules its run with setImmediate: let those start before looking.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running.values()]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Stops accepting work and waits for running jobs to finish their current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.rerun.clear();
    await this.idle();
  }
}
