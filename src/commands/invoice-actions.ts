/** Actions on an invoice besides payments and enrolment: cancel it, email it again, follow its course link. */
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { recordCourseLinkFollow } from '../db/invoices.js';
import { lastEmailForInvoice } from '../db/outbox.js';
import { formatInvoiceNumber, type Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { calendarDate, toDbTime } from '../clock.js';
import { insertCreditNote, nextCreditNoteSeq } from '../db/credit-notes.js';
import type { InvoiceActor } from './actors.js';
import { changeInvoice, type ChangeDeps } from './invoice-change.js';

/** A learner may ask for the invoice email again once in this long (staff may always). */
export const LEARNER_RESEND_INTERVAL_MS = 5 * 60_000;

/**
 * Cancels an invoice with a credit note in its own gapless series that negates it in full (VAT and
 * GST rules want an accounting document, not an edited invoice). The invoice keeps its number and
 * its PDF never changes; money already on it becomes refundable. The learner is emailed the notice
 * with the credit note.
 */
export function cancelInvoice(deps: ChangeDeps, actor: InvoiceActor, invoiceId: number, reason: string): Invoice {
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'cancel' },
    (change) => {
      const { invoice } = change;
      const seq = nextCreditNoteSeq(deps.db);
      const number = formatInvoiceNumber(deps.config.ledger.creditNotePrefix, seq);
      insertCreditNote(deps.db, {
        seq,
        number,
        invoiceId,
        issueDate: calendarDate(change.now, deps.config.timeZone),
        issuedAt: change.at,
        reason,
        currency: invoice.currency,
        netMinor: -invoice.netMinor,
        taxMinor: -invoice.taxMinor,
        totalMinor: -invoice.totalMinor,
        issuer: invoice.issuer,
      });
      const cancelled = change.transition('cancelled', { cancelled_at: change.at, cancel_reason: reason, credited_minor: invoice.totalMinor });
      change.audit({
        action: 'invoice.cancelled',
        summary: `${actor.actorLabel} cancelled the invoice with credit note ${number}: ${reason}`,
        before: { status: invoice.status },
        after: { status: 'cancelled', reason, creditNote: number },
      });
      change.email('cancelled', { dedupeKey: `cancelled:${invoiceId}` });
      return cancelled;
    },
    { alreadyDone: (invoice) => (invoice.status === 'cancelled' ? invoice : undefined) },
  );
}

/**
 * Emails the invoice again, to staff's request or the learner's own (from their status page).
 * Learners are limited to one request every few minutes, so the button cannot be used to flood
 * an inbox; the refusal says when the last one went.
 */
export function resendInvoiceEmail(deps: ChangeDeps, actor: InvoiceActor, invoiceId: number): Invoice {
  return changeInvoice(deps, { invoiceId, actor, action: 'resend' }, (change) => {
    const { invoice } = change;
    if (actor.role === 'learner') {
      const last = lastEmailForInvoice(deps.db, invoice.id, 'invoice');
      if (last && change.now.getTime() - Date.parse(last.createdAt) < LEARNER_RESEND_INTERVAL_MS) {
        throw new AppError('invoice.resend_too_soon', `invoice ${invoice.number} emailed at ${last.createdAt}`);
      }
    }
    change.email('invoice');
    change.audit(
      actor.role === 'learner'
        ? { action: 'invoice.resend_requested', summary: 'Learner asked for the invoice email again' }
        : { action: 'invoice.resent', summary: `${actor.actorLabel} emailed the invoice again to ${invoice.buyerEmail}` },
    );
    return invoice;
  });
}

/**
 * The learner followed the course link in an email or on their page. Mail scanners and link
 * prefetchers open such links too, so only the first follow becomes a timeline entry; later ones
 * are counted on the invoice.
 */
export function followCourseLink(deps: Pick<Deps, 'db' | 'clock'>, invoice: Invoice): void {
  const at = toDbTime(deps.clock.now());
  writeTransaction(deps.db, () => {
    const first = recordCourseLinkFollow(deps.db, invoice.id, at);
    if (first) {
      appendAudit(deps.db, {
        at,
        actor: 'learner',
        actorLabel: invoice.buyerEmail,
        action: 'course.link_followed',
        invoiceId: invoice.id,
        summary: 'Learner followed the link to the course',
      });
    }
  });
}
