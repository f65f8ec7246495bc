/**
 * Enrolment through the OpenLearning API, at most one successful call per invoice:
 * - one job per invoice (a UNIQUE row), claimed with a lease, so no two workers call for it;
 * - each call is recorded as started (and committed) before it is made; an attempt found started
 *   but never finished means the process died mid-call: its outcome is unknown, so instead of
 *   calling again the job stops and staff are asked to check (Mark as enrolled / Retry).
 * 2xx: enrolled. 5xx, 429, timeout, network: retried with backoff for about a day. Other 4xx: failed.
 */
import { addSeconds, toDbTime } from '../clock.js';
import { describeEnrolmentTarget, enrolmentTargetOf, type EnrolOutcome } from '../clients/openlearning-api.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import {
  cancelEnrolmentJob,
  claimDueEnrolmentJobs,
  finishEnrolmentAttempt,
  hasSuccessfulAttempt,
  queueEnrolmentJob,
  startEnrolmentAttempt,
  unfinishedAttempt,
  updateEnrolmentJob,
  type EnrolmentJob,
} from '../db/enrolments.js';
import { findInvoiceById, transitionInvoice } from '../db/invoices.js';
import type { Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { backoffSeconds, workClaim, yieldToEventLoop, type JobContext, type JobCounts } from '../jobs/job.js';
import { queueInvoiceEmail, queueLearnerEmail } from './emails.js';
import { ENROLMENT_RETRY_WINDOW_SECONDS } from './payments.js';
import type { Actor } from './staff.js';

const BATCH = 5;
const LEASE_SECONDS = 5 * 60;
const MAX_DELAY_SECONDS = 2 * 3600;

/** 1, 2, 4 ... minutes, at most 2 hours between tries; about 15 tries fit in the day. */
export function enrolmentRetryDelaySeconds(attempts: number): number {
  return backoffSeconds(attempts, MAX_DELAY_SECONDS);
}

const SYSTEM: Actor = { actor: 'system', actorLabel: 'enrolment worker' };

export async function processEnrolments(deps: Deps, context: JobContext): Promise<JobCounts> {
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
  if (counts.enrolled + counts.failed > 0) deps.background.kick('deliver-mail');
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
    writeTransaction(db, () => {
      finishEnrolmentAttempt(db, interrupted.id, { at: at(), outcome: 'unknown', httpStatus: null, message });
      failEnrolment(deps, owner, job, invoice, null, message);
    });
    return 'failed';
  }

  const attemptId = startEnrolmentAttempt(db, job.id, invoice.id, at());
  const result: EnrolOutcome = await deps.openlearning.enrol(enrolmentTargetOf(invoice));
  const attempts = job.attempts + 1;
  deps.logger.info({ invoice: invoice.number, attempt: attempts, outcome: result.kind, status: result.status }, 'enrolment call');

  return writeTransaction(db, () => {
    finishEnrolmentAttempt(db, attemptId, { at: at(), outcome: result.kind, httpStatus: result.status, message: result.message });
    const statusText = result.status === null ? 'no response' : `HTTP ${result.status}`;
    if (result.kind === 'enrolled') {
      updateEnrolmentJob(db, job.id, owner, { status: 'succeeded', attemptsIncrement: 1, httpStatus: result.status, message: result.message, at: at() });
      transitionInvoice(db, invoice.id, ['paid'], 'enrolled', at(), { enrolled_at: at() });
      appendAudit(db, {
        at: at(),
        ...SYSTEM,
        action: 'enrolment.succeeded',
        invoiceId: invoice.id,
        summary: `Enrolled in ${describeEnrolmentTarget(enrolmentTargetOf(invoice))} on OpenLearning (attempt ${attempts}, ${statusText})`,
        after: { status: 'enrolled' },
        data: { attemptId, httpStatus: result.status, message: result.message },
      });
      queueLearnerEmail(deps, findInvoiceById(db, invoice.id)!, 'enrolled', { at: at(), dedupeKey: `enrolled:${invoice.id}` });
      return 'enrolled' as const;
    }
    const nextAttempt = addSeconds(deps.clock.now(), enrolmentRetryDelaySeconds(attempts));
    if (result.kind === 'retry' && toDbTime(nextAttempt) <= job.giveUpAt) {
      updateEnrolmentJob(db, job.id, owner, {
        status: 'pending',
        nextAttemptAt: toDbTime(nextAttempt),
        attemptsIncrement: 1,
        httpStatus: result.status,
        message: result.message,
        at: at(),
      });
      appendAudit(db, {
        at: at(),
        ...SYSTEM,
        action: 'enrolment.attempt_failed',
        invoiceId: invoice.id,
        summary: `Enrolment attempt ${attempts} failed (${statusText}: ${result.message}); retrying at ${toDbTime(nextAttempt)}`,
        data: { attemptId, httpStatus: result.status, message: result.message },
      });
      return 'retrying' as const;
    }
    const why =
      result.kind === 'retry'
        ? `OpenLearning could not be reached for a day (last: ${statusText}: ${result.message})`
        : `OpenLearning refused the enrolment (${statusText}: ${result.message})`;
    updateEnrolmentJob(db, job.id, owner, { status: 'failed', attemptsIncrement: 1, httpStatus: result.status, message: result.message, at: at() });
    failEnrolment(deps, null, job, invoice, result.status, why);
    return 'failed' as const;
  });
}

/** Moves the invoice to "enrolment failed", tells staff, and stops the job. Call in a transaction. */
function failEnrolment(deps: Deps, owner: string | null, job: EnrolmentJob, invoice: Invoice, httpStatus: number | null, why: string): void {
  const { db } = deps;
  const at = toDbTime(deps.clock.now());
  if (owner !== null) updateEnrolmentJob(db, job.id, owner, { status: 'failed', attemptsIncrement: 0, httpStatus, message: why, at });
  transitionInvoice(db, invoice.id, ['paid'], 'enrolment_failed', at);
  appendAudit(db, {
    at,
    ...SYSTEM,
    action: 'enrolment.failed',
    invoiceId: invoice.id,
    summary: `Enrolment failed: ${why}`,
    after: { status: 'enrolment_failed' },
    data: { httpStatus },
  });
  const financeEmail = deps.config.mail.financeEmail;
  if (financeEmail) queueInvoiceEmail(deps, invoice, 'staff-enrolment-failed', { at, to: financeEmail, extra: { why } });
}

// ---- Staff actions on a failed enrolment ------------------------------------------------------

export function retryEnrolment(deps: Pick<Deps, 'db' | 'clock' | 'background'>, actor: Actor, invoiceId: number): Invoice {
  const now = deps.clock.now();
  const at = toDbTime(now);
  const invoice = writeTransaction(deps.db, () => {
    const invoice = findInvoiceById(deps.db, invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${invoiceId}`);
    // A second click finds the invoice already "paid" again: nothing more to do.
    if (invoice.status === 'paid') return invoice;
    if (!transitionInvoice(deps.db, invoiceId, ['enrolment_failed'], 'paid', at))
      throw new AppError('admin.conflict', `invoice ${invoice.number} is ${invoice.status}`);
    queueEnrolmentJob(deps.db, invoiceId, at, toDbTime(addSeconds(now, ENROLMENT_RETRY_WINDOW_SECONDS)));
    appendAudit(deps.db, {
      at,
      ...actor,
      action: 'enrolment.retry_requested',
      invoiceId,
      summary: `${actor.actorLabel} asked to retry the enrolment`,
      before: { status: 'enrolment_failed' },
      after: { status: 'paid' },
    });
    return findInvoiceById(deps.db, invoiceId)!;
  });
  deps.background.kick('retry-enrolments');
  return invoice;
}

export function markEnrolled(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'views' | 'background'>,
  actor: Actor,
  invoiceId: number,
  note: string | null,
): Invoice {
  const at = toDbTime(deps.clock.now());
  const invoice = writeTransaction(deps.db, () => {
    const invoice = findInvoiceById(deps.db, invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${invoiceId}`);
    if (invoice.status === 'enrolled') return invoice;
    if (!transitionInvoice(deps.db, invoiceId, ['paid', 'enrolment_failed'], 'enrolled', at, { enrolled_at: at })) {
      throw new AppError('admin.conflict', `invoice ${invoice.number} is ${invoice.status}`);
    }
    // The job must not call OpenLearning after a person enrolled the learner by hand.
    cancelEnrolmentJob(deps.db, invoiceId, 'marked as enrolled by staff', at);
    appendAudit(deps.db, {
      at,
      ...actor,
      action: 'enrolment.marked_enrolled',
      invoiceId,
      summary: `${actor.actorLabel} marked the learner as enrolled${note ? `: ${note}` : ''}`,
      before: { status: invoice.status },
      after: { status: 'enrolled' },
    });
    const updated = findInvoiceById(deps.db, invoiceId)!;
    queueLearnerEmail(deps, updated, 'enrolled', { at, dedupeKey: `enrolled:${invoiceId}` });
    return updated;
  });
  deps.background.kick('deliver-mail');
  return invoice;
}
