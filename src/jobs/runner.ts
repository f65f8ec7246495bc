import type { Background, BackgroundTask, Deps } from '../deps.js';
import type { JobName } from '../config.js';
import { PROCESS_OWNER, type JobContext, type JobCounts, type JobFunction } from './job.js';

export interface JobRun {
  name: JobName;
  counts: JobCounts;
  ms: number;
  skipped?: 'already-running';
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

  constructor(
    private readonly deps: () => Deps,
    private readonly jobs: Partial<Record<JobName, JobFunction>>,
  ) {}

  private context(): JobContext {
    return { owner: PROCESS_OWNER, stopping: () => this.stopping };
  }

  has(name: JobName): boolean {
    return this.jobs[name] !== undefined;
  }

  /** Runs a job now, or, if it is already running, waits for that run and reports it skipped. */
  async run(name: JobName): Promise<JobRun> {
    const current = this.running.get(name);
    if (current) {
      await current.catch(() => undefined);
      return { name, counts: {}, ms: 0, skipped: 'already-running' };
    }
    const job = this.jobs[name];
    if (!job) throw new Error(`unknown job ${name}`);
    const started = performance.now();
    const { logger } = this.deps();
    const promise = job(this.deps(), this.context())
      .then((counts) => {
        const run = { name, counts, ms: Math.round(performance.now() - started) };
        logger.info({ job: name, ms: run.ms, ...counts }, 'job finished');
        return run;
      })
      .catch((err: unknown) => {
        logger.error({ job: name, err, ms: Math.round(performance.now() - started) }, 'job failed');
        throw err;
      })
      .finally(() => {
        this.running.delete(name);
        if (this.rerun.delete(name) && !this.stopping) this.kick(name as BackgroundTask);
      });
    this.running.set(name, promise);
    return promise;
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
