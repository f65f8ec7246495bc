import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.js';

/** Identifies this process in database claims (leases), so two processes never take the same row. */
export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export interface JobContext {
  owner: string;
  /** Set when the process is shutting down: finish the current batch, then return. */
  readonly stopping: () => boolean;
}

export type JobCounts = Record<string, number>;

export type JobFunction = (deps: Deps, context: JobContext) => Promise<JobCounts>;

/** Lets the event loop serve requests between batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const defaultJobContext: JobContext = { owner: PROCESS_OWNER, stopping: () => false };
