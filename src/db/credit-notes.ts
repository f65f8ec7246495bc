import type { Issuer } from '../domain/invoice.js';
import { sql, type Db } from './connection.js';

export interface CreditNote {
  id: number;
  seq: number;
  number: string;
  invoiceId: number;
  issueDate: string;
  issuedAt: string;
  reason: string;
  currency: string;
  /** As printed: the negation of the invoice's net, tax and total. */
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
  issuer: Issuer;
  pdfSha256: string | null;
}

const COLUMNS = `id, seq, number, invoice_id AS invoiceId, issue_date AS issueDate, issued_at AS issuedAt, reason, currency,
  net_minor AS netMinor, tax_minor AS taxMinor, total_minor AS totalMinor, issuer_json AS issuerJson, pdf_sha256 AS pdfSha256`;

type Row = Omit<CreditNote, 'issuer'> & { issuerJson: string };

function toCreditNote(row: Row | undefined): CreditNote | undefined {
  if (!row) return undefined;
  const { issuerJson, ...rest } = row;
  return { ...rest, issuer: JSON.parse(issuerJson) as Issuer };
}

/** Gapless like invoice numbers: taken inside the write transaction that issues the note. */
export function nextCreditNoteSeq(db: Db): number {
  return (sql(db, 'SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM credit_notes').get() as { next: number }).next;
}

export function insertCreditNote(db: Db, note: Omit<CreditNote, 'id' | 'pdfSha256'>): number {
  return Number(
    sql(
      db,
      `INSERT INTO credit_notes (seq, number, invoice_id, issue_date, issued_at, reason, currency, net_minor, tax_minor, total_minor, issuer_json)
       VALUES (@seq, @number, @invoiceId, @issueDate, @issuedAt, @reason, @currency, @netMinor, @taxMinor, @totalMinor, @issuerJson)`,
    ).run({ ...note, issuerJson: JSON.stringify(note.issuer) }).lastInsertRowid,
  );
}

export function creditNoteForInvoice(db: Db, invoiceId: number): CreditNote | undefined {
  return toCreditNote(sql<[number], Row>(db, `SELECT ${COLUMNS} FROM credit_notes WHERE invoice_id = ?`).get(invoiceId));
}

export function findCreditNoteByNumber(db: Db, number: string): CreditNote | undefined {
  return toCreditNote(sql<[string], Row>(db, `SELECT ${COLUMNS} FROM credit_notes WHERE number = ?`).get(number));
}

export function recordCreditNotePdfChecksum(db: Db, id: number, sha256: string): void {
  sql(db, 'UPDATE credit_notes SET pdf_sha256 = ? WHERE id = ? AND pdf_sha256 IS NULL').run(sha256, id);
}

/** Credit notes issued in [from, to], in number order (few: one per cancelled invoice). */
export function creditNotesIssued(db: Db, range: { from: string; to: string }): CreditNote[] {
  return sql<[string, string], Row>(db, `SELECT ${COLUMNS} FROM credit_notes WHERE issue_date BETWEEN ? AND ? ORDER BY seq`)
    .all(range.from, range.to)
    .map((row) => toCreditNote(row)!);
}
