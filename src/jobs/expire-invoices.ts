/**
 * Unpaid invoices past their expiry become expired: a timeline entry and an email to the learner
 * with the course link to start again. Partially paid ones are never expired silently: the money
 * that arrived needs a person, so they are held and listed for staff (reported once each).
 */
import { toDbTime } from '../clock.js';
import { queueInvoiceEmail } from '../commands/emails.js';
import { appendAudit } from '../db/audit.js';
import { findInvoiceById, invoicesToExpire, markExpiryHeld, partiallyPaidPastExpiry, transitionInvoice } from '../db/invoices.js';
import { amountDueMinor } from '../domain/invoice.js';
import { formatMoney } from '../domain/money.js';
import type { Deps } from '../deps.js';
import { inBatches, type JobContext, type JobCounts } from './job.js';

export async function expireInvoices(deps: Deps, context: JobContext): Promise<JobCounts> {
  const { db } = deps;
  const now = toDbTime(deps.clock.now());
  const expired = await inBatches<{ id: number }>(
    deps,
    context,
    // Each expired invoice leaves this query's result, so no cursor is needed.
    (_after, limit) => invoicesToExpire(db, now, limit),
    ({ id }) => {
      // Conditional on the status: a payment recorded a moment ago wins.
      if (!transitionInvoice(db, id, 'awaiting_payment', 'expired', now, { expired_at: now })) return;
      const invoice = findInvoiceById(db, id)!;
      appendAudit(db, {
        at: now,
        actor: 'system',
        actorLabel: 'expire-invoices job',
        action: 'invoice.expired',
        invoiceId: id,
        summary: `Invoice expired unpaid (expiry ${invoice.expiresAt})`,
        before: { status: 'awaiting_payment' },
        after: { status: 'expired' },
      });
      queueInvoiceEmail(deps, invoice, 'expired', { at: now, dedupeKey: `expired:${id}` });
    },
  );
  const held = await inBatches<{ id: number }>(
    deps,
    context,
    (_after, limit) => partiallyPaidPastExpiry(db, now, limit),
    ({ id }) => {
      if (!markExpiryHeld(db, id, now)) return;
      const invoice = findInvoiceById(db, id)!;
      appendAudit(db, {
        at: now,
        actor: 'system',
        actorLabel: 'expire-invoices job',
        action: 'invoice.expiry_held',
        invoiceId: id,
        summary: `Passed its expiry partially paid (${formatMoney(amountDueMinor(invoice), invoice.currency)} still due): not expired; staff to decide (record the rest, or cancel and refund)`,
      });
    },
  );
  return { expired, heldPartiallyPaid: held };
}
