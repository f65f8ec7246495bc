/**
 * The enrolment worker: enrols paid learners through the OpenLearning API, at most one successful
 * call per invoice:
 * - one job per invoice (a UNIQUE row), claimed with a lease, so no two workers call for it;
 * - each call is recorded as started (and committed) before it is made; an attempt found started
 *   but never finished means the process died mid-call: its outcome is unknown, so instead of
 *   calling again the job stops and staff are asked to check (Mark as enrolled / Retry).
 * 2xx: enrolled. 5xx, 429, timeout, network: retried with backoff for about a day. Other 4xx: failed.
 * Staff's own actions on an enrolment (retry, mark as enrolled) are commands, in commands/enrolment.ts.
 */
import { addSeconds, toDbTime } from '../clock.js';
import { describeEnrolmentTarget, enrolmentTargetOf, type EnrolOutcome } from '../clients/openlearning-api.js';
import { systemActor } from '../commands/actors.js';
import { changeInvoice, type InvoiceChange } from '../commands/invoice-change.js';
import {
  claimDueEnrolmentJobs,
  finishEnrolmentAttempt,
  hasSuccessfulAttempt,
  startEnrolmentAttempt,
  unfinishedAttempt,
  updateEnrolmentJob,
  type EnrolmentJob,
} from '../db/enrolments.js';
import { findInvoiceById } from '../db/invoices.js';
import type { Deps } from '../deps.js';
import { backoffSeconds, workClaim, yieldToEventLoop, type JobContext, type JobCounts } from './job.js';

const BATCH = 5;
const LEASE_SECONDS = 5 * 60;
const MAX_DELAY_SECONDS = 2 * 3600;

/** 1, 2, 4 ... minutes, at most 2 hours between tries; about 15 tries fit in the day. */
export function enrolmentRetryDelaySeconds(attempts: number): number {
  return backoffSeconds(attempts, MAX_DELAY_SECONDS);
}

const WORKER = systemActor('enrolment worker');

export async function enrolLearners(deps: Deps, context: JobContext): Promise<JobCounts> {
  const counts = { enrolled: 0, retrying: 0, failed: 0 };
  while (!context.stopping()) {
    const jobs = claimDueEnrolmentJobs(deps.db, workClaim(deps, context, LEASE_SECONDS, BATCH));
    if (jobs.length === 0) break;
    for (const job of jobs) {
      const result = await processJob(deps, context.owner, job);
      if (result) counts[result]++;
    }
    context.heartbeat();
    await yieldToEventLoop();
  }
  return counts;
}

async function processJob(deps: Deps, owner: string, job: EnrolmentJob): Promise<'enrolled' | 'retrying' | 'failed' | undefined> {
  const { db } = deps;
  const invoice = findInvoiceById(db, job.invoiceId)!;
  const at = () => toDbTime(deps.clock.now());

  // Guards: the invoice moved on (marked enrolled by hand, cancelled) or was already enrolled.
  if (invoice.status !== 'paid' || hasSuccessfulAttempt(db, invoice.id)) {
    updateEnrolmentJob(db, job.id, owner, {
      status: invoice.status === 'enrolled' ? 'succeeded' : 'cancelled',
      attemptsIncrement: 0,
      httpStatus: job.lastHttpStatus,
      message: `invoice is ${invoice.status}`,
      at: at(),
    });
    return undefined;
  }
  const interrupted = unfinishedAttempt(db, job.id);
  if (interrupted) {
    const message =
      'The portal stopped while it was calling OpenLearning, so we do not know whether the learner was enrolled. Check the class on OpenLearning, then use "Mark as enrolled" or "Retry enrolment".';
    return changeInvoice(deps, { invoiceId: invoice.id, actor: WORKER, action: null }, (change) => {
      finishEnrolmentAttempt(db, interrupted.id, { at: change.at, outcome: 'unknown', httpStatus: null, message });
      updateEnrolmentJob(db, job.id, owner, { status: 'failed', attemptsIncrement: 0, httpStatus: null, message, at: change.at });
      failEnrolment(deps, change, null, message);
      return 'failed' as const;
    });
  }

  const attemptId = startEnrolmentAttempt(db, job.id, invoice.id, at());
  const result: EnrolOutcome = await deps.openlearning.enrol(enrolmentTargetOf(invoice));
  const attempts = job.attempts + 1;
  deps.logger.info({ invoice: invoice.number, attempt: attempts, outcome: result.kind, status: result.status }, 'enrolment call');

  return changeInvoice(deps, { invoiceId: invoice.id, actor: WORKER, action: null }, (change) => {
    finishEnrolmentAttempt(db, attemptId, { at: change.at, outcome: result.kind, httpStatus: result.status, message: result.message });
    const statusText = result.status === null ? 'no response' : `HTTP ${result.status}`;
    if (result.kind === 'enrolled') {
      updateEnrolmentJob(db, job.id, owner, { status: 'succeeded', attemptsIncrement: 1, httpStatus: result.status, message: result.message, at: change.at });
      // Staff may have marked the learner enrolled while the call was in flight: then it stays so.
      if (change.invoice.status === 'paid') change.transition('enrolled', { enrolled_at: change.at });
      change.audit({
        action: 'enrolment.succeeded',
        summary: `Enrolled in ${describeEnrolmentTarget(enrolmentTargetOf(invoice))} on OpenLearning (attempt ${attempts}, ${statusText})`,
        after: { status: 'enrolled' },
        data: { attemptId, httpStatus: result.status, message: result.message },
      });
      change.email('enrolled', { dedupeKey: `enrolled:${invoice.id}` });
      return 'enrolled' as const;
    }
    const nextAttempt = addSeconds(change.now, enrolmentRetryDelaySeconds(attempts));
    if (result.kind === 'retry' && toDbTime(nextAttempt) <= job.giveUpAt) {
      updateEnrolmentJob(db, job.id, owner, {
        status: 'pending',
        nextAttemptAt: toDbTime(nextAttempt),
        attemptsIncrement: 1,
        httpStatus: result.status,
        message: result.message,
        at: change.at,
      });
      change.audit({
        action: 'enrolment.attempt_failed',
        summary: `Enrolment attempt ${attempts} failed (${statusText}: ${result.message}); retrying at ${toDbTime(nextAttempt)}`,
        data: { attemptId, httpStatus: result.status, message: result.message },
      });
      return 'retrying' as const;
    }
    const why =
      result.kind === 'retry'
        ? `OpenLearning could not be reached for a day (last: ${statusText}: ${result.message})`
        : `OpenLearning refused the enrolment (${statusText}: ${result.message})`;
    updateEnrolmentJob(db, job.id, owner, { status: 'failed', attemptsIncrement: 1, httpStatus: result.status, message: result.message, at: change.at });
    failEnrolment(deps, change, result.status, why);
    return 'failed' as const;
  });
}

/** Moves the invoice to "enrolment failed" and tells staff. */
function failEnrolment(deps: Deps, change: InvoiceChange, httpStatus: number | null, why: string): void {
  if (change.invoice.status === 'paid') change.transition('enrolment_failed');
  change.audit({ action: 'enrolment.failed', summary: `Enrolment failed: ${why}`, after: { status: 'enrolment_failed' }, data: { httpStatus } });
  const financeEmail = deps.config.mail.financeEmail;
  if (financeEmail) change.email('staff-enrolment-failed', { to: financeEmail, extra: { why } });
  // The learner paid: they hear that the money arrived and that staff are finishing the enrolment
  // (once per invoice, however often the enrolment fails and is retried).
  change.email('enrolment-delayed', { dedupeKey: `enrolment-delayed:${change.invoice.id}` });
}
