import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { addSeconds, toDbTime } from '../clock.js';
import type { Deps } from '../deps.js';
import { writeTransaction } from '../db/connection.js';

/**
 * Identifies one start of a portal in database claims (leases), so two processes never take the
 * same row. Each portal started gets its own (two portals in one test process are two owners).
 */
export function newProcessOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The owner of work done outside a portal's runner (direct job calls in tests and benchmarks). */
export const PROCESS_OWNER = newProcessOwner();

export interface JobContext {
  owner: string;
  /** Set when the process is shutting down: finish the current batch, then return. */
  readonly stopping: () => boolean;
  /** Renews the job's lease; long jobs call it between batches. */
  readonly heartbeat: () => void;
}

export type JobCounts = Record<string, number>;

export type JobFunction = (deps: Deps, context: JobContext) => Promise<JobCounts>;

/** Lets the event loop serve requests between batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const defaultJobContext: JobContext = { owner: PROCESS_OWNER, stopping: () => false, heartbeat: () => undefined };

/** How long one batch may hold the write lock and the event loop before it commits and yields. */
export const BATCH_BUDGET_MS = 10;

/**
 * Works through rows in short write transactions. Each batch fetches up to `limit` rows after the
 * last one handled (`fetch` gets that row, or undefined at first, and must read an index in the
 * same order, so each batch costs its own size, not the whole table's), handles them until the
 * time budget is spent, commits, and yields to the event loop, so the web server keeps answering
 * and a crash loses at most one uncommitted batch (which the next run does again: every handler
 * is idempotent). Queries whose handled rows leave the result may ignore the cursor.
 */
export async function inBatches<Row>(
  deps: Pick<Deps, 'db'>,
  context: JobContext,
  fetch: (after: Row | undefined, limit: number) => Row[],
  handle: (row: Row) => void,
  options: { limit?: number; budgetMs?: number } = {},
): Promise<number> {
  const limit = options.limit ?? 200;
  const budget = options.budgetMs ?? BATCH_BUDGET_MS;
  let after: Row | undefined;
  let handled = 0;
  while (!context.stopping()) {
    const batch = writeTransaction(deps.db, () => {
      const started = performance.now();
      const rows = fetch(after, limit);
      let count = 0;
      for (const row of rows) {
        handle(row);
        after = row;
        count++;
        if (performance.now() - started > budget) break;
      }
      return { count, more: rows.length > 0 };
    });
    handled += batch.count;
    if (!batch.more) break;
    context.heartbeat();
    await yieldToEventLoop();
  }
  return handled;
}

/**
 * For work that takes a whole batch in one statement (`work(limit)` handles up to `limit` rows in
 * the transaction it is given and returns how many it handled): the batch size follows the time
 * the last batch took, so each stays near the budget whatever the machine, and stops when a batch
 * comes back short. Commits and yields between batches like inBatches.
 */
export async function inSizedBatches(
  deps: Pick<Deps, 'db'>,
  context: JobContext,
  work: (limit: number) => number,
  options: { budgetMs?: number; firstLimit?: number; maxLimit?: number } = {},
): Promise<number> {
  const budget = options.budgetMs ?? BATCH_BUDGET_MS;
  const maxLimit = options.maxLimit ?? 5_000;
  let limit = options.firstLimit ?? 50;
  let handled = 0;
  while (!context.stopping()) {
    const started = performance.now();
    const count = writeTransaction(deps.db, () => work(limit));
    const ms = performance.now() - started;
    handled += count;
    if (count < limit) break;
    // Aim at the budget; at most double per batch so one fast batch (a warm cache) cannot overshoot.
    limit = Math.max(10, Math.min(maxLimit, limit * 2, Math.floor((count * budget) / Math.max(ms, 0.5))));
    context.heartbeat();
    await yieldToEventLoop();
  }
  return handled;
}

/** Exponential backoff: 1, 2, 4, 8 ... minutes after each failed attempt, never more than maxSeconds. */
export function backoffSeconds(attempts: number, maxSeconds: number): number {
  return Math.min(60 * 2 ** Math.max(0, attempts - 1), maxSeconds);
}

/** The claim a worker makes on due rows: now, a lease of leaseSeconds, this process, at most limit rows. */
export function workClaim(deps: Pick<Deps, 'clock'>, context: JobContext, leaseSeconds: number, limit: number) {
  const now = deps.clock.now();
  return { now: toDbTime(now), leaseUntil: toDbTime(addSeconds(now, leaseSeconds)), owner: context.owner, limit };
}
