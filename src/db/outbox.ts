import { claimDue, sql, type Db } from './connection.js';

export interface OutboxMessage {
  id: number;
  kind: string;
  invoiceId: number | null;
  toAddress: string;
  subject: string;
  /** What the templates need besides the invoice (e.g. the amount just received). */
  contextJson: string;
  attachInvoicePdf: number;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

const COLUMNS = `id, kind, invoice_id AS invoiceId, to_address AS toAddress, subject, context_json AS contextJson, attach_invoice_pdf AS attachInvoicePdf,
  status, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, created_at AS createdAt, sent_at AS sentAt`;

export interface NewOutboxMessage {
  kind: string;
  invoiceId: number | null;
  /** Same key twice = one email (e.g. one reminder per invoice and day). */
  dedupeKey?: string | null;
  toAddress: string;
  subject: string;
  context: Record<string, unknown>;
  attachInvoicePdf: boolean;
  createdAt: string;
}

/** Returns the new id, or null when an email with the same dedupe key already exists. */
export function enqueueEmail(db: Db, m: NewOutboxMessage): number | null {
  const result = sql(
    db,
    `INSERT INTO outbox (kind, invoice_id, dedupe_key, to_address, subject, context_json, attach_invoice_pdf, next_attempt_at, created_at)
    VALUES (@kind, @invoiceId, @dedupeKey, @toAddress, @subject, @contextJson, @attach, @createdAt, @createdAt)
    ON CONFLICT (dedupe_key) DO NOTHING`,
  ).run({
    kind: m.kind,
    invoiceId: m.invoiceId,
    dedupeKey: m.dedupeKey ?? null,
    toAddress: m.toAddress,
    subject: m.subject,
    contextJson: JSON.stringify(m.context),
    attach: m.attachInvoicePdf ? 1 : 0,
    createdAt: m.createdAt,
  });
  return result.changes === 1 ? Number(result.lastInsertRowid) : null;
}

export function claimDueEmails(db: Db, claim: { now: string; leaseUntil: string; owner: string; limit: number }): OutboxMessage[] {
  return claimDue<OutboxMessage>(db, 'outbox', COLUMNS, claim);
}

export function markEmailSent(db: Db, id: number, owner: string, at: string, messageId: string): boolean {
  return (
    sql(
      db,
      `UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1, locked_until = NULL, locked_by = NULL, last_error = NULL
    WHERE id = ? AND locked_by = ? AND status = 'pending'`,
    ).run(at, messageId, id, owner).changes === 1
  );
}

export function markEmailRetry(db: Db, id: number, owner: string, nextAttemptAt: string, error: string): void {
  sql(
    db,
    `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, locked_until = NULL, locked_by = NULL
    WHERE id = ? AND locked_by = ?`,
  ).run(nextAttemptAt, error, id, owner);
}

export function markEmailFailed(db: Db, id: number, owner: string, error: string): void {
  sql(
    db,
    `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, locked_until = NULL, locked_by = NULL
    WHERE id = ? AND locked_by = ?`,
  ).run(error, id, owner);
}

export function lastEmailForInvoice(db: Db, invoiceId: number, kind: string): OutboxMessage | undefined {
  return sql<[number, string], OutboxMessage>(db, `SELECT ${COLUMNS} FROM outbox WHERE invoice_id = ? AND kind = ? ORDER BY id DESC LIMIT 1`).get(
    invoiceId,
    kind,
  );
}

export function emailsForInvoice(db: Db, invoiceId: number): OutboxMessage[] {
  return sql<[number], OutboxMessage>(db, `SELECT ${COLUMNS} FROM outbox WHERE invoice_id = ? ORDER BY id`).all(invoiceId);
}
