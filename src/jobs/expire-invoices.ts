/**
 * Unpaid invoices past their expiry become expired: a timeline entry and an email to the learner
 * with the course link to start again. Partially paid ones are never expired silently: the money
 * that arrived needs a person, so they are held and listed for staff (reported once each).
 */
import { toDbTime } from '../clock.js';
import { queueInvoiceEmail } from '../commands/emails.js';
import { appendAudit } from '../db/audit.js';
import { expireDueInvoices, findInvoiceById, markExpiryHeld, partiallyPaidPastExpiry, type PastExpiry } from '../db/invoices.js';
import { amountDueMinor } from '../domain/invoice.js';
import { formatMoney } from '../domain/money.js';
import type { Deps } from '../deps.js';
import { inBatches, inSizedBatches, type JobContext, type JobCounts } from './job.js';

export async function expireInvoices(deps: Deps, context: JobContext): Promise<JobCounts> {
  const { db } = deps;
  const now = toDbTime(deps.clock.now());
  // One UPDATE ... RETURNING per batch (expireDueInvoices), then the timeline entry and the email
  // for each invoice it expired, in the same transaction.
  const expired = await inSizedBatches(deps, context, (limit) => {
    const invoices = expireDueInvoices(db, now, limit);
    for (const invoice of invoices) {
      appendAudit(db, {
        at: now,
        actor: 'system',
        actorLabel: 'expire-invoices job',
        action: 'invoice.expired',
        invoiceId: invoice.id,
        summary: `Invoice expired unpaid (expiry ${invoice.expiresAt})`,
        before: { status: 'awaiting_payment' },
        after: { status: 'expired' },
      });
      queueInvoiceEmail(deps, invoice, 'expired', { at: now, dedupeKey: `expired:${invoice.id}` });
    }
    return invoices.length;
  });
  const held = await inBatches<PastExpiry>(
    deps,
    context,
    (after, limit) => partiallyPaidPastExpiry(db, now, after, limit),
    ({ id }) => holdPastExpiry(deps, id, now),
  );
  return { expired, heldPartiallyPaid: held };
}

/** A partially paid invoice past its expiry is held for staff, with a timeline entry, once. */
export function holdPastExpiry(deps: Pick<Deps, 'db'>, id: number, now: string): void {
  const { db } = deps;
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
}
