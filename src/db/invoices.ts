import type { Invoice, InvoiceStatus, Issuer } from '../domain/invoice.js';
import { sql, type Db } from './connection.js';

export const INVOICE_COLUMNS = `invoices.id, seq, number, access_token AS accessToken, payment_reference AS paymentReference, status,
  ol_user_id AS olUserId, audience, course_id AS courseId, class_id AS classId, course_title AS courseTitle,
  redirect_url AS redirectUrl, buyer_name AS buyerName, buyer_email AS buyerEmail, buyer_organisation AS buyerOrganisation,
  buyer_address AS buyerAddress, buyer_country AS buyerCountry, buyer_tax_id AS buyerTaxId, buyer_po_number AS buyerPoNumber,
  currency, net_minor AS netMinor, tax_minor AS taxMinor, total_minor AS totalMinor, paid_minor AS paidMinor,
  tax_rate AS taxRate, tax_label AS taxLabel, tax_inclusive AS taxInclusive, issue_date AS issueDate, due_date AS dueDate,
  issued_at AS issuedAt, expires_at AS expiresAt, paid_at AS paidAt, enrolled_at AS enrolledAt, expired_at AS expiredAt,
  cancelled_at AS cancelledAt, cancel_reason AS cancelReason, expiry_held_at AS expiryHeldAt, issuer_json AS issuerJson, pdf_sha256 AS pdfSha256,
  invoices.updated_at AS updatedAt`;

export type InvoiceRow = Omit<Invoice, 'issuer' | 'taxInclusive'> & { issuerJson: string; taxInclusive: number };

/** Turns a row into an Invoice in place: copying 40 fields per row was most of a list page's time. */
export function toInvoice(row: InvoiceRow): Invoice {
  const invoice = row as unknown as Invoice & { issuerJson?: string };
  invoice.issuer = JSON.parse(row.issuerJson) as Issuer;
  invoice.taxInclusive = (row.taxInclusive as unknown) === 1;
  invoice.issuerJson = undefined;
  return invoice;
}

function one(row: InvoiceRow | undefined): Invoice | undefined {
  return row ? toInvoice(row) : undefined;
}

export function findInvoiceById(db: Db, id: number): Invoice | undefined {
  return one(sql<[number], InvoiceRow>(db, `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE id = ?`).get(id));
}

export function findInvoiceByAccessToken(db: Db, token: string): Invoice | undefined {
  return one(sql<[string], InvoiceRow>(db, `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE access_token = ?`).get(token));
}

/** The learner's newest invoice for this class that is still alive (not expired or cancelled). */
export function findLiveInvoiceForLearnerClass(db: Db, olUserId: string, classId: string): Invoice | undefined {
  return one(
    sql<[string, string], InvoiceRow>(
      db,
      `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ol_user_id = ? AND class_id = ?
         AND status NOT IN ('expired', 'cancelled') ORDER BY id DESC LIMIT 1`,
    ).get(olUserId, classId),
  );
}

/** Gapless numbering: invoices are never deleted and the number is taken inside the write transaction. */
export function nextInvoiceSeq(db: Db): number {
  return (sql(db, 'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM invoices').get() as { next: number }).next;
}

export function paymentReferenceExists(db: Db, reference: string): boolean {
  return sql(db, 'SELECT 1 FROM invoices WHERE payment_reference = ?').get(reference) !== undefined;
}

export type NewInvoice = Omit<
  Invoice,
  'id' | 'paidMinor' | 'paidAt' | 'enrolledAt' | 'expiredAt' | 'cancelledAt' | 'cancelReason' | 'expiryHeldAt' | 'pdfSha256' | 'status' | 'updatedAt'
>;

export function insertInvoice(db: Db, invoice: NewInvoice): number {
  const row = { ...invoice, issuerJson: JSON.stringify(invoice.issuer), taxInclusive: invoice.taxInclusive ? 1 : 0 };
  return Number(
    sql(
      db,
      `INSERT INTO invoices (seq, number, access_token, payment_reference, status, ol_user_id, audience, course_id, class_id,
        course_title, redirect_url, buyer_name, buyer_email, buyer_organisation, buyer_address, buyer_country, buyer_tax_id,
        buyer_po_number, currency, net_minor, tax_minor, total_minor, tax_rate, tax_label, tax_inclusive, issue_date, due_date,
        issued_at, expires_at, issuer_json, updated_at)
      VALUES (@seq, @number, @accessToken, @paymentReference, 'awaiting_payment', @olUserId, @audience, @courseId, @classId,
        @courseTitle, @redirectUrl, @buyerName, @buyerEmail, @buyerOrganisation, @buyerAddress, @buyerCountry, @buyerTaxId,
        @buyerPoNumber, @currency, @netMinor, @taxMinor, @totalMinor, @taxRate, @taxLabel, @taxInclusive, @issueDate, @dueDate,
        @issuedAt, @expiresAt, @issuerJson, @issuedAt)`,
    ).run(row).lastInsertRowid,
  );
}

export function recordPdfChecksum(db: Db, invoiceId: number, sha256: string): void {
  sql(db, 'UPDATE invoices SET pdf_sha256 = ? WHERE id = ? AND pdf_sha256 IS NULL').run(sha256, invoiceId);
}

/**
 * Changes status only if the invoice is still in one of `from`: the check and the write are one
 * statement, so two staff (or a job and a person) cannot both act on the same state.
 */
export function transitionInvoice(
  db: Db,
  id: number,
  from: readonly InvoiceStatus[],
  to: InvoiceStatus,
  at: string,
  extra: Partial<Record<'paid_at' | 'enrolled_at' | 'expired_at' | 'cancelled_at' | 'cancel_reason' | 'paid_minor', string | number | null>> = {},
): boolean {
  const sets = Object.keys(extra).map((column) => `${column} = @${column}`);
  const placeholders = from.map((_, i) => `@from${i}`).join(', ');
  const params: Record<string, unknown> = { id, to, at, ...extra };
  from.forEach((s, i) => (params[`from${i}`] = s));
  const result = sql(
    db,
    `UPDATE invoices SET status = @to, updated_at = @at${sets.map((s) => `, ${s}`).join('')} WHERE id = @id AND status IN (${placeholders})`,
  ).run(params);
  return result.changes === 1;
}

// ---- Queries of the scheduled jobs (keyset by id, so a batch never sees a row twice) ----------

/**
 * Expires up to `limit` unpaid invoices whose expiry has passed, oldest expiry first, in one
 * statement, and returns them as they are now. The status condition is in the same statement, so
 * an invoice paid a moment ago is not among them. One statement per batch instead of an UPDATE
 * and a SELECT per invoice: the expiry job spent most of its time on statement overhead.
 */
export function expireDueInvoices(db: Db, now: string, limit: number): Invoice[] {
  return sql<{ now: string; limit: number }, InvoiceRow>(
    db,
    `UPDATE invoices SET status = 'expired', updated_at = @now, expired_at = @now
     WHERE id IN (SELECT id FROM invoices WHERE status = 'awaiting_payment' AND expires_at <= @now ORDER BY expires_at LIMIT @limit)
     RETURNING ${INVOICE_COLUMNS.replace(/invoices\./g, '')}`,
  )
    .all({ now, limit })
    .map(toInvoice);
}

/** Partially paid invoices past their expiry that staff have not been told about yet. */
export function partiallyPaidPastExpiry(db: Db, now: string, limit: number): { id: number }[] {
  return sql<[string, number], { id: number }>(
    db,
    `SELECT id FROM invoices WHERE status = 'partially_paid' AND expires_at <= ? AND expiry_held_at IS NULL ORDER BY expires_at LIMIT ?`,
  ).all(now, limit);
}

export function markExpiryHeld(db: Db, id: number, at: string): boolean {
  return sql(db, 'UPDATE invoices SET expiry_held_at = ? WHERE id = ? AND expiry_held_at IS NULL').run(at, id).changes === 1;
}

/** How many partially paid invoices are waiting for staff because they passed their expiry. */
export function countHeldPastExpiry(db: Db): number {
  return (sql(db, "SELECT COUNT(*) AS n FROM invoices WHERE expiry_held_at IS NOT NULL AND status = 'partially_paid'").get() as { n: number }).n;
}

export interface ReminderCandidate {
  id: number;
  status: 'awaiting_payment' | 'partially_paid';
  issueDate: string;
  dueDate: string;
}

/**
 * Unpaid, unexpired invoices due between two dates: the candidates for a reminder, in
 * (status, due date, id) order after `after`, so each batch reads the (status, due_date) index
 * from where the last one stopped.
 */
export function reminderCandidates(
  db: Db,
  fromDue: string,
  toDue: string,
  now: string,
  after: ReminderCandidate | undefined,
  limit: number,
): ReminderCandidate[] {
  return sql<[Record<string, unknown>], ReminderCandidate>(
    db,
    `SELECT id, status, issue_date AS issueDate, due_date AS dueDate FROM invoices
     WHERE status IN ('awaiting_payment', 'partially_paid') AND due_date BETWEEN @fromDue AND @toDue AND expires_at > @now
       AND (status, due_date, id) > (@status, @dueDate, @id)
     ORDER BY status, due_date, id LIMIT @limit`,
  ).all({ fromDue, toDue, now, status: after?.status ?? '', dueDate: after?.dueDate ?? '', id: after?.id ?? 0, limit });
}
