/** Imported bank statements, their lines (with what the matcher proposed) and saved CSV profiles. */
import { balanceMinor, type InvoiceStatus } from '../domain/invoice.js';
import type { LineMatch, OpenInvoice } from '../domain/statement-matching.js';
import { sql, type Db } from './connection.js';

export type LineState = 'open' | 'recorded' | 'not_ours' | 'ignored';
export type MatchKind = LineMatch['kind'];

export interface StatementRow {
  id: number;
  format: 'camt' | 'mt940' | 'csv';
  formatDetail: string;
  fileId: string | null;
  account: string;
  accountCurrency: string | null;
  fileName: string;
  sha256: string;
  csvProfile: string | null;
  importedAt: string;
  importedBy: string;
  openingBalanceMinor: number | null;
  openingBalanceCurrency: string | null;
  openingBalanceDate: string | null;
  closingBalanceMinor: number | null;
  closingBalanceCurrency: string | null;
  closingBalanceDate: string | null;
  /** One problem a line, or null. */
  balanceProblems: string | null;
  linesInFile: number;
  duplicateLines: number;
}

export type NewStatement = Omit<StatementRow, 'id'>;

const STATEMENT_COLUMNS = `id, format, format_detail AS formatDetail, file_id AS fileId, account, account_currency AS accountCurrency,
  file_name AS fileName, sha256, csv_profile AS csvProfile, imported_at AS importedAt, imported_by AS importedBy,
  opening_balance_minor AS openingBalanceMinor, opening_balance_currency AS openingBalanceCurrency, opening_balance_date AS openingBalanceDate,
  closing_balance_minor AS closingBalanceMinor, closing_balance_currency AS closingBalanceCurrency, closing_balance_date AS closingBalanceDate,
  balance_problems AS balanceProblems, lines_in_file AS linesInFile, duplicate_lines AS duplicateLines`;

export function insertStatement(db: Db, statement: NewStatement): number {
  return Number(
    sql(
      db,
      `INSERT INTO statements (format, format_detail, file_id, account, account_currency, file_name, sha256, csv_profile, imported_at, imported_by,
         opening_balance_minor, opening_balance_currency, opening_balance_date, closing_balance_minor, closing_balance_currency, closing_balance_date,
         balance_problems, lines_in_file, duplicate_lines)
       VALUES (@format, @formatDetail, @fileId, @account, @accountCurrency, @fileName, @sha256, @csvProfile, @importedAt, @importedBy,
         @openingBalanceMinor, @openingBalanceCurrency, @openingBalanceDate, @closingBalanceMinor, @closingBalanceCurrency, @closingBalanceDate,
         @balanceProblems, @linesInFile, @duplicateLines)`,
    ).run(statement).lastInsertRowid,
  );
}

export function setDuplicateLines(db: Db, statementId: number, duplicates: number): void {
  sql(db, 'UPDATE statements SET duplicate_lines = ? WHERE id = ?').run(duplicates, statementId);
}

export function findStatement(db: Db, id: number): StatementRow | undefined {
  return sql<[number], StatementRow>(db, `SELECT ${STATEMENT_COLUMNS} FROM statements WHERE id = ?`).get(id);
}

export function findStatementBySha256(db: Db, sha256: string): StatementRow | undefined {
  return sql<[string], StatementRow>(db, `SELECT ${STATEMENT_COLUMNS} FROM statements WHERE sha256 = ?`).get(sha256);
}

/** The account's statement that closed last on or before `date` (to see whether one is missing in between). */
export function previousStatementOfAccount(db: Db, account: string, date: string): StatementRow | undefined {
  return sql<[string, string], StatementRow>(
    db,
    `SELECT ${STATEMENT_COLUMNS} FROM statements WHERE account = ? AND closing_balance_date <= ? AND closing_balance_minor IS NOT NULL
     ORDER BY closing_balance_date DESC, id DESC LIMIT 1`,
  ).get(account, date);
}

export interface StatementSummary extends StatementRow {
  credits: number;
  open: number;
  recorded: number;
}

export function listStatements(db: Db, limit = 50): StatementSummary[] {
  return sql<[number], StatementSummary>(
    db,
    `SELECT ${STATEMENT_COLUMNS},
       (SELECT COUNT(*) FROM statement_lines l WHERE l.statement_id = s.id AND l.state <> 'ignored') AS credits,
       (SELECT COUNT(*) FROM statement_lines l WHERE l.statement_id = s.id AND l.state = 'open') AS open,
       (SELECT COUNT(*) FROM statement_lines l WHERE l.statement_id = s.id AND l.state = 'recorded') AS recorded
     FROM statements s ORDER BY id DESC LIMIT ?`,
  ).all(limit);
}

// ---- Lines ----------------------------------------------------------------------------------------

export interface StatementLineRow {
  id: number;
  statementId: number;
  lineIndex: number;
  where: string;
  dedupeKey: string;
  direction: 'credit' | 'debit';
  reversal: boolean;
  amountMinor: number;
  currency: string;
  bookingDate: string;
  valueDate: string | null;
  bankReference: string | null;
  endToEndId: string | null;
  structuredReference: string | null;
  remittance: string;
  remittanceParts: string[];
  payerName: string | null;
  payerIban: string | null;
  payerBic: string | null;
  payerOther: string | null;
  returnReason: string | null;
  matchKind: MatchKind | null;
  match: LineMatch | null;
  matchNote: string | null;
  state: LineState;
  ledgerEntryId: number | null;
  decidedAt: string | null;
  decidedBy: string | null;
}

export type NewStatementLine = Omit<StatementLineRow, 'id' | 'ledgerEntryId' | 'decidedAt' | 'decidedBy'>;

const LINE_COLUMNS = `id, statement_id AS statementId, line_index AS lineIndex, "where", dedupe_key AS dedupeKey, direction, reversal,
  amount_minor AS amountMinor, currency, booking_date AS bookingDate, value_date AS valueDate, bank_reference AS bankReference,
  end_to_end_id AS endToEndId, structured_reference AS structuredReference, remittance, remittance_parts_json AS remittancePartsJson,
  payer_name AS payerName, payer_iban AS payerIban, payer_bic AS payerBic, payer_other AS payerOther, return_reason AS returnReason,
  match_kind AS matchKind, match_json AS matchJson, match_note AS matchNote, state, ledger_entry_id AS ledgerEntryId,
  decided_at AS decidedAt, decided_by AS decidedBy`;

type RawLine = Omit<StatementLineRow, 'reversal' | 'remittanceParts' | 'match'> & { reversal: number; remittancePartsJson: string; matchJson: string | null };

function toLine(raw: RawLine): StatementLineRow {
  const { remittancePartsJson, matchJson, reversal, ...rest } = raw;
  return {
    ...rest,
    reversal: reversal === 1,
    remittanceParts: JSON.parse(remittancePartsJson) as string[],
    match: matchJson ? (JSON.parse(matchJson) as LineMatch) : null,
  };
}

/** Stores a line unless a line with its dedupe key is stored already (an overlapping import); true when stored. */
export function insertStatementLine(db: Db, line: NewStatementLine): boolean {
  const { remittanceParts, match, reversal, ...rest } = line;
  return (
    sql(
      db,
      `INSERT INTO statement_lines (statement_id, line_index, "where", dedupe_key, direction, reversal, amount_minor, currency, booking_date, value_date,
         bank_reference, end_to_end_id, structured_reference, remittance, remittance_parts_json, payer_name, payer_iban, payer_bic, payer_other,
         return_reason, match_kind, match_json, match_note, state)
       VALUES (@statementId, @lineIndex, @where, @dedupeKey, @direction, @reversal, @amountMinor, @currency, @bookingDate, @valueDate,
         @bankReference, @endToEndId, @structuredReference, @remittance, @remittanceParts, @payerName, @payerIban, @payerBic, @payerOther,
         @returnReason, @matchKind, @match, @matchNote, @state)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    ).run({ ...rest, reversal: reversal ? 1 : 0, remittanceParts: JSON.stringify(remittanceParts), match: match ? JSON.stringify(match) : null }).changes === 1
  );
}

export function findStatementLine(db: Db, id: number): StatementLineRow | undefined {
  const raw = sql<[number], RawLine>(db, `SELECT ${LINE_COLUMNS} FROM statement_lines WHERE id = ?`).get(id);
  return raw && toLine(raw);
}

export function linesOfStatement(db: Db, statementId: number): StatementLineRow[] {
  return sql<[number], RawLine>(db, `SELECT ${LINE_COLUMNS} FROM statement_lines WHERE statement_id = ? ORDER BY line_index`).all(statementId).map(toLine);
}

export function openExactLineIds(db: Db, statementId: number): number[] {
  return (
    sql(db, `SELECT id FROM statement_lines WHERE statement_id = ? AND state = 'open' AND match_kind = 'exact' ORDER BY line_index`).all(statementId) as {
      id: number;
    }[]
  ).map((r) => r.id);
}

/** Moves an open line on; false when it was no longer open (someone else decided it meanwhile). */
export function decideStatementLine(
  db: Db,
  id: number,
  state: 'recorded' | 'not_ours',
  change: { at: string; by: string; ledgerEntryId?: number | null },
): boolean {
  return (
    sql(
      db,
      `UPDATE statement_lines SET state = @state, decided_at = @at, decided_by = @by, ledger_entry_id = @ledgerEntryId WHERE id = @id AND state = 'open'`,
    ).run({ id, state, at: change.at, by: change.by, ledgerEntryId: change.ledgerEntryId ?? null }).changes === 1
  );
}

/** The payment entries recorded from a line (one per invoice it paid). */
export function paymentsOfLine(db: Db, lineId: number): { entryId: number; invoiceId: number; invoiceNumber: string; amountMinor: number }[] {
  return sql<[number], { entryId: number; invoiceId: number; invoiceNumber: string; amountMinor: number }>(
    db,
    `SELECT e.id AS entryId, e.invoice_id AS invoiceId, i.number AS invoiceNumber, e.amount_minor AS amountMinor
     FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id WHERE e.statement_line_id = ? AND e.kind = 'payment' ORDER BY e.id`,
  ).all(lineId);
}

// ---- Invoices to match against ---------------------------------------------------------------------

/** Expired invoices too: a late payment reinstates them. */
export const MATCHABLE_STATUSES: readonly InvoiceStatus[] = ['awaiting_payment', 'partially_paid', 'expired'];

interface OpenInvoiceRow extends Omit<OpenInvoice, 'balanceMinor'> {
  paidMinor: number;
  writtenOffMinor: number;
  refundedMinor: number;
  creditedMinor: number;
}

/** Every invoice that may still receive money, with what is still due (as domain/invoice.ts#balanceMinor computes it). */
export function openInvoicesForMatching(db: Db): OpenInvoice[] {
  const rows = sql<[string], OpenInvoiceRow>(
    db,
    `SELECT id, number, payment_reference AS paymentReference, currency, total_minor AS totalMinor, paid_minor AS paidMinor,
       written_off_minor AS writtenOffMinor, refunded_minor AS refundedMinor, credited_minor AS creditedMinor,
       buyer_name AS buyerName, buyer_organisation AS buyerOrganisation, issue_date AS issueDate
     FROM invoices WHERE status IN (SELECT value FROM json_each(?))`,
  ).all(JSON.stringify(MATCHABLE_STATUSES));
  const open: OpenInvoice[] = [];
  for (const row of rows) {
    const balance = balanceMinor(row);
    if (balance <= 0) continue;
    open.push({
      id: row.id,
      number: row.number,
      paymentReference: row.paymentReference,
      currency: row.currency,
      totalMinor: row.totalMinor,
      balanceMinor: balance,
      buyerName: row.buyerName,
      buyerOrganisation: row.buyerOrganisation,
      issueDate: row.issueDate,
    });
  }
  return open;
}

/** Invoices named by reference or number, whatever their status (to say why a line naming one did not match). */
export function invoicesNamed(db: Db, references: string[], numbers: string[]): { id: number; number: string; status: InvoiceStatus }[] {
  return sql<[string, string], { id: number; number: string; status: InvoiceStatus }>(
    db,
    `SELECT id, number, status FROM invoices WHERE payment_reference IN (SELECT value FROM json_each(?))
     UNION SELECT id, number, status FROM invoices WHERE number IN (SELECT value FROM json_each(?)) ORDER BY id`,
  ).all(JSON.stringify(references), JSON.stringify(numbers));
}

// ---- CSV profiles -------------------------------------------------------------------------------

export interface SavedCsvProfile {
  name: string;
  json: string;
  savedAt: string;
  savedBy: string;
}

export function saveCsvProfile(db: Db, profile: SavedCsvProfile): void {
  sql(
    db,
    `INSERT INTO csv_profiles (name, json, saved_at, saved_by) VALUES (@name, @json, @savedAt, @savedBy)
     ON CONFLICT (name) DO UPDATE SET json = excluded.json, saved_at = excluded.saved_at, saved_by = excluded.saved_by`,
  ).run(profile);
}

export function findCsvProfile(db: Db, name: string): SavedCsvProfile | undefined {
  return sql<[string], SavedCsvProfile>(db, 'SELECT name, json, saved_at AS savedAt, saved_by AS savedBy FROM csv_profiles WHERE name = ?').get(name);
}

export function listCsvProfiles(db: Db): SavedCsvProfile[] {
  return sql<[], SavedCsvProfile>(db, 'SELECT name, json, saved_at AS savedAt, saved_by AS savedBy FROM csv_profiles ORDER BY name').all();
}
