/**
 * The expiry job as it was before issue #13, kept here as the jobs bench's baselines so that the
 * goal is a ratio measured in one run on identical copies of one database.
 *
 * - `expireInvoicesPerInvoice`: as it was when the issue was filed (before commit 14b965f): one
 *   SELECT of due ids per batch, then per invoice a conditional UPDATE, a SELECT of the invoice,
 *   the timeline entry and the email, in 10 ms batches (inBatches).
 * - `expireInvoicesReturning`: commit 14b965f until this change: one UPDATE ... RETURNING per batch
 *   sized to the 10 ms budget (inSizedBatches).
 *
 * Both then hold the partially paid invoices past their expiry as the job did then (holdAsBefore:
 * no cursor), and run on the invoice indexes as they were (ISSUE_INDEXES_SQL).
 */
import { queueInvoiceEmail } from '../src/commands/emails.js';
import { appendAudit } from '../src/db/audit.js';
import { findInvoiceById, INVOICE_COLUMNS, toInvoice, transitionInvoice, type InvoiceRow } from '../src/db/invoices.js';
import type { Deps } from '../src/deps.js';
import { toDbTime } from '../src/clock.js';
import { holdPastExpiry } from '../src/jobs/expire-invoices.js';
import { inBatches, inSizedBatches, type JobContext } from '../src/jobs/job.js';

/** The invoices' status-prefixed indexes as migrations 001 and 002 made them (migration 018 changed them). */
export const ISSUE_INDEXES_SQL = `
DROP INDEX IF EXISTS invoices_status_issued;
DROP INDEX IF EXISTS invoices_status_total;
DROP INDEX IF EXISTS invoices_status_expiry;
DROP INDEX IF EXISTS invoices_status_due;
CREATE INDEX invoices_status_expiry ON invoices (status, expires_at);
CREATE INDEX invoices_status_due ON invoices (status, due_date);
CREATE INDEX invoices_status_issued ON invoices (status, issued_at, id);
CREATE INDEX invoices_status_total ON invoices (status, total_minor, id);
`;

function audit(deps: Pick<Deps, 'db'>, now: string, id: number, expiresAt: string): void {
  appendAudit(deps.db, {
    at: now,
    actor: 'system',
    actorLabel: 'expire-invoices job',
    action: 'invoice.expired',
    invoiceId: id,
    summary: `Invoice expired unpaid (expiry ${expiresAt})`,
    before: { status: 'awaiting_payment' },
    after: { status: 'expired' },
  });
}

/** Partially paid invoices past their expiry, held for staff: each batch read the index from its start. */
async function holdAsBefore(deps: Deps, context: JobContext, now: string): Promise<number> {
  const { db } = deps;
  const past = db.prepare<[string, number], { id: number }>(
    `SELECT id FROM invoices WHERE status = 'partially_paid' AND expires_at <= ? AND expiry_held_at IS NULL ORDER BY expires_at LIMIT ?`,
  );
  return inBatches<{ id: number }>(
    deps,
    context,
    (_after, limit) => past.all(now, limit),
    ({ id }) => holdPastExpiry(deps, id, now),
  );
}

/** Expired and held counts, as the job reports them. */
export interface ExpiryCounts {
  expired: number;
  held: number;
}

export async function expireInvoicesPerInvoice(deps: Deps, context: JobContext): Promise<ExpiryCounts> {
  const { db } = deps;
  const now = toDbTime(deps.clock.now());
  const due = db.prepare<[string, number], { id: number }>(
    `SELECT id FROM invoices WHERE status = 'awaiting_payment' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
  );
  const expired = await inBatches<{ id: number }>(
    deps,
    context,
    (_after, limit) => due.all(now, limit),
    ({ id }) => {
      if (!transitionInvoice(db, id, 'awaiting_payment', 'expired', now, { expired_at: now })) return;
      const invoice = findInvoiceById(db, id)!;
      audit(deps, now, id, invoice.expiresAt);
      queueInvoiceEmail(deps, invoice, 'expired', { at: now, dedupeKey: `expired:${id}` });
    },
  );
  return { expired, held: await holdAsBefore(deps, context, now) };
}

export async function expireInvoicesReturning(deps: Deps, context: JobContext): Promise<ExpiryCounts> {
  const { db } = deps;
  const now = toDbTime(deps.clock.now());
  const expire = db.prepare<{ now: string; limit: number }, InvoiceRow>(
    `UPDATE invoices SET status = 'expired', updated_at = @now, expired_at = @now
     WHERE id IN (SELECT id FROM invoices WHERE status = 'awaiting_payment' AND expires_at <= @now AND expiry_held_at IS NULL ORDER BY expires_at LIMIT @limit)
     RETURNING ${INVOICE_COLUMNS.replace(/invoices\./g, '')}`,
  );
  const expired = await inSizedBatches(deps, context, (limit) => {
    const invoices = expire.all({ now, limit }).map(toInvoice);
    for (const invoice of invoices) {
      audit(deps, now, invoice.id, invoice.expiresAt);
      queueInvoiceEmail(deps, invoice, 'expired', { at: now, dedupeKey: `expired:${invoice.id}` });
    }
    return invoices.length;
  });
  return { expired, held: await holdAsBefore(deps, context, now) };
}
