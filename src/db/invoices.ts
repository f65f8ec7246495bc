import type { Invoice, Issuer } from '../domain/invoice.js';
import { canTransition, OPEN_STATUSES, type InvoiceStatus } from '../domain/invoice-lifecycle.js';
import { allRows, sql, type Db } from './connection.js';

export const INVOICE_COLUMNS = `invoices.id, seq, number, access_token AS accessToken, payment_reference AS paymentReference, status,
  ol_user_id AS olUserId, audience, course_id AS courseId, class_id AS classId, program_id AS programId, course_title AS courseTitle,
  redirect_url AS redirectUrl, buyer_name AS buyerName, buyer_email AS buyerEmail, buyer_organisation AS buyerOrganisation,
  buyer_address AS buyerAddress, buyer_country AS buyerCountry, buyer_tax_id AS buyerTaxId, buyer_po_number AS buyerPoNumber, buyer_reference AS buyerReference,
  buyer_tax_id_scheme AS buyerTaxIdScheme, buyer_tax_id_normalized AS buyerTaxIdNormalized, buyer_tax_id_country AS buyerTaxIdCountry,
  buyer_tax_id_label AS buyerTaxIdLabel, tax_category AS taxCategory, tax_legend AS taxLegend, tax_legal_reference AS taxLegalReference,
  supply_date AS supplyDate, invoice_notes AS notes, language, second_language AS secondLanguage,
  currency, net_minor AS netMinor, tax_minor AS taxMinor, total_minor AS totalMinor, paid_minor AS paidMinor, written_off_minor AS writtenOffMinor, refunded_minor AS refundedMinor, credited_minor AS creditedMinor, withdrawn_at AS withdrawnAt,
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

export function findInvoiceByNumber(db: Db, number: string): Invoice | undefined {
  return one(sql<[string], InvoiceRow>(db, `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE number = ?`).get(number));
}

export function findInvoiceByAccessToken(db: Db, token: string): Invoice | undefined {
  return one(sql<[string], InvoiceRow>(db, `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE access_token = ?`).get(token));
}

/** The learner's newest invoice for this class that is still alive (not expired or cancelled). */
export function findLiveInvoiceForLearnerClass(db: Db, olUserId: string, classId: string): Invoice | undefined {
  return one(
    sql<[string, string], InvoiceRow>(
      db,
      `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ol_user_id = ? AND class_id = ? AND program_id IS NULL
         AND status NOT IN ('expired', 'cancelled') ORDER BY id DESC LIMIT 1`,
    ).get(olUserId, classId),
  );
}

/** The learner's newest live invoice for this program. */
export function findLiveInvoiceForLearnerProgram(db: Db, olUserId: string, programId: string): Invoice | undefined {
  return one(
    sql<[string, string], InvoiceRow>(
      db,
      `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ol_user_id = ? AND program_id = ?
         AND status NOT IN ('expired', 'cancelled') ORDER BY id DESC LIMIT 1`,
    ).get(olUserId, programId),
  );
}

/** The live invoice for whatever the request or token is for: a class or a program. */
export function findLiveInvoiceFor(db: Db, olUserId: string, offering: { classId: string; programId: string | null }): Invoice | undefined {
  return offering.programId !== null
    ? findLiveInvoiceForLearnerProgram(db, olUserId, offering.programId)
    : findLiveInvoiceForLearnerClass(db, olUserId, offering.classId);
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
  | 'id'
  | 'paidMinor'
  | 'writtenOffMinor'
  | 'refundedMinor'
  | 'creditedMinor'
  | 'withdrawnAt'
  | 'paidAt'
  | 'enrolledAt'
  | 'expiredAt'
  | 'cancelledAt'
  | 'cancelReason'
  | 'expiryHeldAt'
  | 'pdfSha256'
  | 'status'
  | 'updatedAt'
  | 'programId'
  | 'buyerReference'
  | 'language'
  | 'secondLanguage'
> & {
  /** Absent or null: a class invoice. */ programId?: string | null;
  buyerReference?: string | null;
  /** Absent: English. */ language?: string;
  secondLanguage?: string | null;
};

export function insertInvoice(db: Db, invoice: NewInvoice): number {
  const row = {
    ...invoice,
    programId: invoice.programId ?? null,
    buyerReference: invoice.buyerReference ?? null,
    language: invoice.language ?? 'en',
    secondLanguage: invoice.secondLanguage ?? null,
    issuerJson: JSON.stringify(invoice.issuer),
    taxInclusive: invoice.taxInclusive ? 1 : 0,
  };
  return Number(
    sql(
      db,
      `INSERT INTO invoices (seq, number, access_token, payment_reference, status, ol_user_id, audience, course_id, class_id,
        program_id, course_title, redirect_url, buyer_name, buyer_email, buyer_organisation, buyer_address, buyer_country, buyer_tax_id,
        buyer_po_number, buyer_reference, buyer_tax_id_scheme, buyer_tax_id_normalized, buyer_tax_id_country, buyer_tax_id_label,
        currency, net_minor, tax_minor, total_minor, tax_rate, tax_label, tax_inclusive, tax_category, tax_legend, tax_legal_reference,
        issue_date, supply_date, due_date, issued_at, expires_at, issuer_json, invoice_notes, language, second_language, updated_at)
      VALUES (@seq, @number, @accessToken, @paymentReference, 'awaiting_payment', @olUserId, @audience, @courseId, @classId,
        @programId, @courseTitle, @redirectUrl, @buyerName, @buyerEmail, @buyerOrganisation, @buyerAddress, @buyerCountry, @buyerTaxId,
        @buyerPoNumber, @buyerReference, @buyerTaxIdScheme, @buyerTaxIdNormalized, @buyerTaxIdCountry, @buyerTaxIdLabel,
        @currency, @netMinor, @taxMinor, @totalMinor, @taxRate, @taxLabel, @taxInclusive, @taxCategory, @taxLegend, @taxLegalReference,
        @issueDate, @supplyDate, @dueDate, @issuedAt, @expiresAt, @issuerJson, @notes, @language, @secondLanguage, @issuedAt)`,
    ).run(row).lastInsertRowid,
  );
}

/** Counts a follow of the course link; true when it is the first. */
export function recordCourseLinkFollow(db: Db, invoiceId: number, at: string): boolean {
  const row = sql<[string, number], { follows: number }>(
    db,
    `UPDATE invoices SET course_link_follows = course_link_follows + 1, course_link_first_followed_at = COALESCE(course_link_first_followed_at, ?)
     WHERE id = ? RETURNING course_link_follows AS follows`,
  ).get(at, invoiceId);
  return row?.follows === 1;
}

export function recordPdfChecksum(db: Db, invoiceId: number, sha256: string): void {
  sql(db, 'UPDATE invoices SET pdf_sha256 = ? WHERE id = ? AND pdf_sha256 IS NULL').run(sha256, invoiceId);
}

export type TransitionColumns = Partial<
  Record<
    | 'paid_at'
    | 'enrolled_at'
    | 'expired_at'
    | 'cancelled_at'
    | 'cancel_reason'
    | 'paid_minor'
    | 'written_off_minor'
    | 'refunded_minor'
    | 'credited_minor'
    | 'withdrawn_at'
    | 'expiry_held_at',
    string | number | null
  >
>;

/**
 * Moves an invoice from `from` (the status it was read in) to `to`, if the lifecycle allows that
 * move and the invoice is still in `from`: the check and the write are one statement, so two
 * staff (or a job and a person) cannot both act on the same state. False when it had moved on.
 */
export function transitionInvoice(db: Db, id: number, from: InvoiceStatus, to: InvoiceStatus, at: string, extra: TransitionColumns = {}): boolean {
  if (from !== to && !canTransition(from, to)) throw new Error(`invoice ${id}: the lifecycle does not allow ${from} -> ${to}`);
  const sets = Object.keys(extra).map((column) => `, ${column} = @${column}`);
  const result = sql(db, `UPDATE invoices SET status = @to, updated_at = @at${sets.join('')} WHERE id = @id AND status = @from`).run({
    id,
    from,
    to,
    at,
    ...extra,
  });
  return result.changes === 1;
}

/**
 * The condition of the (status, expires_at) and (status, total_minor, id) indexes (migration 018),
 * which leave out expired invoices so that expiring one does not move it within them. SQLite uses
 * a partial index only when the query names its condition, so every query meant for them says so.
 */
export const NOT_EXPIRED = `status <> 'expired'`;

/** A SQL list of status literals (constants from the lifecycle, never user input). */
function statusList(statuses: readonly InvoiceStatus[]): string {
  return statuses.map((s) => `'${s}'`).join(', ');
}

// ---- Queries of the scheduled jobs (keyset by id, so a batch never sees a row twice) ----------

/**
 * Expires up to `limit` unpaid invoices whose expiry has passed, oldest expiry first, in one
 * statement, and returns them as they are now. The status condition is in the same statement, so
 * an invoice paid a moment ago is not among them. One statement per batch instead of an UPDATE
 * and a SELECT per invoice: the expiry job spent most of its time on statement overhead.
 */
export function expireDueInvoices(db: Db, now: string, limit: number): Invoice[] {
  const statement = sql<{ now: string; limit: number }, InvoiceRow>(
    db,
    `UPDATE invoices SET status = 'expired', updated_at = @now, expired_at = @now
     WHERE id IN (SELECT id FROM invoices WHERE status = 'awaiting_payment' AND ${NOT_EXPIRED} AND expires_at <= @now AND expiry_held_at IS NULL ORDER BY expires_at LIMIT @limit)
     RETURNING ${INVOICE_COLUMNS.replace(/invoices\./g, '')}`,
  );
  return allRows<{ now: string; limit: number }, InvoiceRow>(statement, { now, limit }).map(toInvoice);
}

export interface PastExpiry {
  id: number;
  expiresAt: string;
}

/**
 * Partially paid invoices past their expiry that staff have not been told about yet, in (expiry,
 * id) order after `after`. The cursor matters: the index cannot see expiry_held_at, so without it
 * each batch read again every invoice the batches before it had held (12 s of the expiry job with
 * 3,879 of them among a million invoices).
 */
export function partiallyPaidPastExpiry(db: Db, now: string, after: PastExpiry | undefined, limit: number): PastExpiry[] {
  return sql<{ now: string; afterExpiresAt: string; afterId: number; limit: number }, PastExpiry>(
    db,
    `SELECT id, expires_at AS expiresAt FROM invoices
     WHERE status = 'partially_paid' AND ${NOT_EXPIRED} AND expires_at <= @now AND expiry_held_at IS NULL AND (expires_at, id) > (@afterExpiresAt, @afterId)
     ORDER BY expires_at, id LIMIT @limit`,
  ).all({ now, afterExpiresAt: after?.expiresAt ?? '', afterId: after?.id ?? 0, limit });
}

export function markExpiryHeld(db: Db, id: number, at: string): boolean {
  return sql(db, 'UPDATE invoices SET expiry_held_at = ? WHERE id = ? AND expiry_held_at IS NULL').run(at, id).changes === 1;
}

/** How many partially paid invoices are waiting for staff because they passed their expiry. */
export function countHeldPastExpiry(db: Db): number {
  return (sql(db, `SELECT COUNT(*) AS n FROM invoices WHERE expiry_held_at IS NOT NULL AND status IN (${statusList(OPEN_STATUSES)})`).get() as { n: number }).n;
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
     WHERE status IN (${statusList(OPEN_STATUSES)}) AND ${NOT_EXPIRED} AND due_date BETWEEN @fromDue AND @toDue AND expires_at > @now
       AND (status, due_date, id) > (@status, @dueDate, @id)
     ORDER BY status, due_date, id LIMIT @limit`,
  ).all({ fromDue, toDue, now, status: after?.status ?? '', dueDate: after?.dueDate ?? '', id: after?.id ?? 0, limit });
}
