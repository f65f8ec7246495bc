import { sql, type Db } from './connection.js';

export type LedgerKind = 'payment' | 'reversal' | 'write_off' | 'refund';
export type RefundStatus = 'to_pay' | 'sent' | 'paid';

export interface LedgerEntry {
  id: number;
  invoiceId: number;
  kind: LedgerKind;
  amountMinor: number;
  currency: string;
  effectiveOn: string;
  reversesEntryId: number | null;
  /** Set on a payment that a reversal undid. */
  reversedByEntryId: number | null;
  reason: string | null;
  bankReference: string | null;
  note: string | null;
  payerName: string | null;
  /** A payment recorded from a statement line: the line, and the account the money came from. */
  statementLineId: number | null;
  payerIban: string | null;
  payerBic: string | null;
  /** An account number that is not an IBAN (e.g. "062-000 12345678"). */
  payerAccount: string | null;
  method: 'bank_transfer' | 'other' | null;
  payeeName: string | null;
  payeeIban: string | null;
  payeeBic: string | null;
  payeeBsb: string | null;
  payeeAccount: string | null;
  refundStatus: RefundStatus | null;
  refundFileId: number | null;
  refundPaidOn: string | null;
  idempotencyKey: string;
  actor: string;
  actorLabel: string;
  staffId: number | null;
  recordedAt: string;
}

const COLUMNS = `e.id, e.invoice_id AS invoiceId, e.kind, e.amount_minor AS amountMinor, e.currency, e.effective_on AS effectiveOn,
  e.reverses_entry_id AS reversesEntryId, (SELECT r.id FROM ledger_entries r WHERE r.reverses_entry_id = e.id) AS reversedByEntryId,
  e.reason, e.bank_reference AS bankReference, e.note, e.payer_name AS payerName,
  e.statement_line_id AS statementLineId, e.payer_iban AS payerIban, e.payer_bic AS payerBic, e.payer_account AS payerAccount, e.method, e.payee_name AS payeeName,
  e.payee_iban AS payeeIban, e.payee_bic AS payeeBic, e.payee_bsb AS payeeBsb, e.payee_account AS payeeAccount,
  e.refund_status AS refundStatus, e.refund_file_id AS refundFileId, e.refund_paid_on AS refundPaidOn,
  e.idempotency_key AS idempotencyKey, e.actor, e.actor_label AS actorLabel, e.staff_id AS staffId, e.recorded_at AS recordedAt`;

export type NewLedgerEntry = Omit<LedgerEntry, 'id' | 'reversedByEntryId' | 'refundFileId' | 'refundPaidOn'>;

export function insertLedgerEntry(db: Db, entry: NewLedgerEntry): number {
  return Number(
    sql(
      db,
      `INSERT INTO ledger_entries (invoice_id, kind, amount_minor, currency, effective_on, reverses_entry_id, reason, bank_reference, note,
        payer_name, statement_line_id, payer_iban, payer_bic, payer_account, method, payee_name, payee_iban, payee_bic, payee_bsb, payee_account,
        refund_status, idempotency_key, actor, actor_label, staff_id, recorded_at)
      VALUES (@invoiceId, @kind, @amountMinor, @currency, @effectiveOn, @reversesEntryId, @reason, @bankReference, @note,
        @payerName, @statementLineId, @payerIban, @payerBic, @payerAccount, @method, @payeeName, @payeeIban, @payeeBic, @payeeBsb, @payeeAccount,
        @refundStatus, @idempotencyKey, @actor, @actorLabel, @staffId, @recordedAt)`,
    ).run(entry).lastInsertRowid,
  );
}

export function findLedgerEntry(db: Db, id: number): LedgerEntry | undefined {
  return sql<[number], LedgerEntry>(db, `SELECT ${COLUMNS} FROM ledger_entries e WHERE e.id = ?`).get(id);
}

export function findLedgerEntryByIdempotencyKey(db: Db, key: string): LedgerEntry | undefined {
  return sql<[string], LedgerEntry>(db, `SELECT ${COLUMNS} FROM ledger_entries e WHERE e.idempotency_key = ?`).get(key);
}

export function ledgerForInvoice(db: Db, invoiceId: number): LedgerEntry[] {
  return sql<[number], LedgerEntry>(db, `SELECT ${COLUMNS} FROM ledger_entries e WHERE e.invoice_id = ? ORDER BY e.id`).all(invoiceId);
}

/** The invoice's sums, from its entries: what the columns kept on the invoice must equal. */
export function ledgerSums(db: Db, invoiceId: number): { paidMinor: number; writtenOffMinor: number; refundedMinor: number } {
  return sql<[number], { paidMinor: number; writtenOffMinor: number; refundedMinor: number }>(
    db,
    `SELECT COALESCE(SUM(CASE kind WHEN 'payment' THEN amount_minor WHEN 'reversal' THEN -amount_minor ELSE 0 END), 0) AS paidMinor,
       COALESCE(SUM(CASE kind WHEN 'write_off' THEN amount_minor ELSE 0 END), 0) AS writtenOffMinor,
       COALESCE(SUM(CASE kind WHEN 'refund' THEN amount_minor ELSE 0 END), 0) AS refundedMinor
     FROM ledger_entries WHERE invoice_id = ?`,
  ).get(invoiceId)!;
}

/** The date the last payment was received (for the invoice CSV). */
export function lastPaymentDate(db: Db, invoiceId: number): string | undefined {
  return (
    (sql(db, "SELECT MAX(effective_on) AS d FROM ledger_entries WHERE invoice_id = ? AND kind = 'payment'").get(invoiceId) as { d: string | null }).d ??
    undefined
  );
}

export interface LedgerExportRow extends LedgerEntry {
  /** 'Statement 3, Stmt 1, Ntry 4' when the entry was recorded from an imported statement line. */
  statementLine: string | null;
  invoiceNumber: string;
  paymentReference: string;
  buyerName: string;
  buyerOrganisation: string | null;
  buyerCountry: string | null;
  taxRate: string;
}

/** Entries with an effective date in [from, to], oldest first, in keyset batches (for the CSV exports). */
export function* iterateLedger(db: Db, range: { from: string; to: string; kinds?: readonly LedgerKind[] }, batchSize = 1000): Generator<LedgerExportRow> {
  let after = { effectiveOn: '', id: 0 };
  const kinds = JSON.stringify(range.kinds ?? ['payment', 'reversal', 'write_off', 'refund']);
  for (;;) {
    const rows = sql<[Record<string, unknown>], LedgerExportRow>(
      db,
      `SELECT ${COLUMNS}, i.number AS invoiceNumber, i.payment_reference AS paymentReference, i.buyer_name AS buyerName,
         i.buyer_organisation AS buyerOrganisation, i.buyer_country AS buyerCountry, i.tax_rate AS taxRate,
         (SELECT 'Statement ' || l.statement_id || ', ' || l."where" FROM statement_lines l WHERE l.id = e.statement_line_id) AS statementLine
       FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id
       WHERE e.effective_on BETWEEN @from AND @to AND (e.effective_on, e.id) > (@afterOn, @afterId) AND e.kind IN (SELECT value FROM json_each(@kinds))
       ORDER BY e.effective_on, e.id LIMIT @limit`,
    ).all({ from: range.from, to: range.to, afterOn: after.effectiveOn, afterId: after.id, kinds, limit: batchSize });
    yield* rows;
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    after = { effectiveOn: last.effectiveOn, id: last.id };
  }
}

export interface RefundRow extends LedgerEntry {
  invoiceNumber: string;
  buyerName: string;
}

/** Refunds by status (to_pay first), newest first within each. */
export function listRefunds(db: Db, status: RefundStatus | 'all', limit = 500): RefundRow[] {
  return sql<[string, string, number], RefundRow>(
    db,
    `SELECT ${COLUMNS}, i.number AS invoiceNumber, i.buyer_name AS buyerName FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id
     WHERE e.kind = 'refund' AND (? = 'all' OR e.refund_status = ?) ORDER BY e.refund_status = 'to_pay' DESC, e.id DESC LIMIT ?`,
  ).all(status, status, limit);
}

export function refundsToPay(db: Db, currency: string): RefundRow[] {
  return sql<[string], RefundRow>(
    db,
    `SELECT ${COLUMNS}, i.number AS invoiceNumber, i.buyer_name AS buyerName FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id
     WHERE e.kind = 'refund' AND e.refund_status = 'to_pay' AND e.currency = ? AND e.method = 'bank_transfer' ORDER BY e.id`,
  ).all(currency);
}

/** Moves a refund on; false when it was no longer in `from` (someone else moved it). */
export function setRefundStatus(db: Db, id: number, from: RefundStatus, to: RefundStatus, change: { fileId?: number; paidOn?: string }): boolean {
  return (
    sql(
      db,
      `UPDATE ledger_entries SET refund_status = @to, refund_file_id = COALESCE(@fileId, refund_file_id), refund_paid_on = COALESCE(@paidOn, refund_paid_on)
       WHERE id = @id AND kind = 'refund' AND refund_status = @from`,
    ).run({ id, from, to, fileId: change.fileId ?? null, paidOn: change.paidOn ?? null }).changes === 1
  );
}

export interface RefundFile {
  id: number;
  format: 'pain.001.001.09' | 'pain.001.001.03' | 'aba';
  currency: string;
  messageId: string;
  fileName: string;
  content: string;
  refunds: number;
  totalMinor: number;
  createdAt: string;
  createdBy: string;
}

const FILE_COLUMNS = `id, format, currency, message_id AS messageId, file_name AS fileName, content, refunds, total_minor AS totalMinor,
  created_at AS createdAt, created_by AS createdBy`;

export function insertRefundFile(db: Db, file: Omit<RefundFile, 'id'>): number {
  return Number(
    sql(
      db,
      `INSERT INTO refund_files (format, currency, message_id, file_name, content, refunds, total_minor, created_at, created_by)
       VALUES (@format, @currency, @messageId, @fileName, @content, @refunds, @totalMinor, @createdAt, @createdBy)`,
    ).run(file).lastInsertRowid,
  );
}

export function findRefundFile(db: Db, id: number): RefundFile | undefined {
  return sql<[number], RefundFile>(db, `SELECT ${FILE_COLUMNS} FROM refund_files WHERE id = ?`).get(id);
}

export function listRefundFiles(db: Db, limit = 50): Omit<RefundFile, 'content'>[] {
  return sql<[number], RefundFile>(db, `SELECT ${FILE_COLUMNS} FROM refund_files ORDER BY id DESC LIMIT ?`).all(limit);
}
