/**
 * Enrolment on OpenLearning as commands: queueing an invoice's enrolment (which wakes the worker in
 * jobs/enrol-learners.ts) and the staff actions on it: retry, and mark as enrolled by hand.
 */
import { addSeconds, toDbTime } from '../clock.js';
import { cancelEnrolmentJob, queueEnrolmentJob } from '../db/enrolments.js';
import type { Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import type { InvoiceActor } from './actors.js';
import { changeInvoice, type ChangeDeps } from './invoice-change.js';

/** How long enrolment is retried before staff are asked to step in. */
export const ENROLMENT_RETRY_WINDOW_SECONDS = 24 * 3600;

/**
 * Queues (or re-arms) the one enrolment job of an invoice and wakes the worker, which calls
 * OpenLearning after the surrounding transaction has committed. Call inside that transaction.
 */
export function queueEnrolment(deps: Pick<Deps, 'db' | 'background'>, invoiceId: number, now: Date): void {
  queueEnrolmentJob(deps.db, invoiceId, toDbTime(now), toDbTime(addSeconds(now, ENROLMENT_RETRY_WINDOW_SECONDS)));
  deps.background.kick('retry-enrolments');
}

export function retryEnrolment(deps: ChangeDeps, actor: InvoiceActor, invoiceId: number): Invoice {
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'retry_enrolment' },
    (change) => {
      const invoice = change.transition('paid');
      change.enrol();
      change.audit({
        action: 'enrolment.retry_requested',
        summary: `${actor.actorLabel} asked to retry the enrolment`,
        before: { status: 'enrolment_failed' },
        after: { status: 'paid' },
      });
      return invoice;
    },
    // A second click finds the invoice already "paid" again: nothing more to do.
    { alreadyDone: (invoice) => (invoice.status === 'paid' ? invoice : undefined) },
  );
}

export function markEnrolled(deps: ChangeDeps, actor: InvoiceActor, invoiceId: number, note: string | null): Invoice {
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'mark_enrolled' },
    (change) => {
      const invoice = change.transition('enrolled', { enrolled_at: change.at });
      // The job must not call OpenLearning after a person enrolled the learner by hand.
      cancelEnrolmentJob(deps.db, invoiceId, 'marked as enrolled by staff', change.at);
      change.audit({
        action: 'enrolment.marked_enrolled',
        summary: `${actor.actorLabel} marked the learner as enrolled${note ? `: ${note}` : ''}`,
        before: { status: change.invoice.status },
        after: { status: 'enrolled' },
      });
      change.email('enrolled', { dedupeKey: `enrolled:${invoiceId}` });
      return invoice;
    },
    { alreadyDone: (invoice) => (invoice.status === 'enrolled' ? invoice : undefined) },
  );
}
