/**
 * Forgets what can no longer be used: spent token ids once the token itself has expired, billing
 * requests that never became an invoice once their link has expired, ended sessions, old sign-in
 * failures and job-run records. Invoices, payments and audit rows are never deleted (the
 * database refuses it).
 */
import { addDays, addSeconds, toDbTime } from '../clock.js';
import { CLOCK_TOLERANCE_SECONDS } from '../clients/openlearning-token.js';
import { optimizeDatabase, writeTransaction } from '../db/connection.js';
import { purgeJobRuns } from '../db/jobs.js';
import { purgeAbandonedRequests, purgeUsedTokens } from '../db/requests.js';
import { purgeSessions, purgeSignInFailures } from '../db/staff.js';
import type { Deps } from '../deps.js';
import { yieldToEventLoop, type JobContext, type JobCounts } from './job.js';

const BATCH = 2000;

async function drain(deps: Deps, context: JobContext, purge: (limit: number) => number): Promise<number> {
  let total = 0;
  while (!context.stopping()) {
    const removed = writeTransaction(deps.db, () => purge(BATCH));
    total += removed;
    if (removed < BATCH) break;
    context.heartbeat();
    await yieldToEventLoop();
  }
  return total;
}

export async function purge(deps: Deps, context: JobContext): Promise<JobCounts> {
  const now = deps.clock.now();
  // A token is refused as expired once exp + tolerance has passed; keep its jti a little longer.
  const tokensBefore = toDbTime(addSeconds(now, -2 * CLOCK_TOLERANCE_SECONDS));
  const counts = {
    usedTokens: await drain(deps, context, (limit) => purgeUsedTokens(deps.db, tokensBefore, limit)),
    abandonedRequests: await drain(deps, context, (limit) => purgeAbandonedRequests(deps.db, toDbTime(now), limit)),
    sessions: await drain(deps, context, (limit) => purgeSessions(deps.db, toDbTime(addDays(now, -1)), limit)),
    signInFailures: await drain(deps, context, (limit) => purgeSignInFailures(deps.db, toDbTime(addDays(now, -1)), limit)),
    jobRuns: await drain(deps, context, (limit) => purgeJobRuns(deps.db, toDbTime(addDays(now, -90)), limit)),
  };
  // SQLite's advice for long-lived databases: refresh the planner's statistics now and then.
  optimizeDatabase(deps.db);
  return counts;
}
