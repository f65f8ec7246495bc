/** Staff actions on an invoice besides payments and enrolment: cancel it, email it again. */
import { toDbTime } from '../clock.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { findInvoiceById, transitionInvoice } from '../db/invoices.js';
import type { Invoice, InvoiceStatus } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { queueLearnerEmail } from './emails.js';
import type { Actor } from './staff.js';

const CANCELLABLE: readonly InvoiceStatus[] = ['awaiting_payment', 'partially_paid', 'expired'];

/** The number stays used and the PDF stays available; the learner is told. */
export function cancelInvoice(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'views' | 'background'>, actor: Actor, invoiceId: number, reason: string): Invoice {
  const at = toDbTime(deps.clock.now());
  const invoice = writeTransaction(deps.db, () => {
    const invoice = findInvoiceById(deps.db, invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${invoiceId}`);
    if (invoice.status === 'cancelled') return invoice;
    if (
      !CANCELLABLE.includes(invoice.status) ||
      !transitionInvoice(deps.db, invoiceId, CANCELLABLE, 'cancelled', at, { cancelled_at: at, cancel_reason: reason })
    ) {
      throw new AppError('admin.cannot_cancel', `invoice ${invoice.number} is ${invoice.status}`);
    }
    appendAudit(deps.db, {
      at,
      ...actor,
      action: 'invoice.cancelled',
      invoiceId,
      summary: `${actor.actorLabel} cancelled the invoice: ${reason}`,
      before: { status: invoice.status },
      after: { status: 'cancelled', reason },
    });
    const cancelled = findInvoiceById(deps.db, invoiceId)!;
    queueLearnerEmail(deps, cancelled, 'cancelled', { at, dedupeKey: `cancelled:${invoiceId}` });
    return cancelled;
  });
  deps.background.kick('deliver-mail');
  return invoice;
}

export function resendInvoiceEmail(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'views' | 'background'>, actor: Actor, invoiceId: number): Invoice {
  const at = toDbTime(deps.clock.now());
  const invoice = writeTransaction(deps.db, () => {
    const invoice = findInvoiceById(deps.db, invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${invoiceId}`);
    queueLearnerEmail(deps, invoice, 'invoice', { at });
    appendAudit(deps.db, {
      at,
      ...actor,
      action: 'invoice.resent',
      invoiceId,
      summary: `${actor.actorLabel} emailed the invoice again to ${invoice.buyerEmail}`,
    });
    return invoice;
  });
  deps.background.kick('deliver-mail');
  return invoice;
}
