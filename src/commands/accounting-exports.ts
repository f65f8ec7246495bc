/**
 * What finance hands the accountant: the payments of a period by the day the money arrived (to
 * tick off a bank statement), and a journal with one row per issued invoice, credit note and
 * ledger entry (to load into Xero, MYOB or a spreadsheet). Columns are documented in
 * docs/accounting-exports.md; amounts are exact decimals in the document's currency.
 */
import { createRequire } from 'node:module';
import { creditNotesIssued } from '../db/credit-notes.js';
import type { Db } from '../db/connection.js';
import { iterateInvoices } from '../db/invoice-list.js';
import { findInvoiceById } from '../db/invoices.js';
import { iterateLedger, type LedgerKind } from '../db/ledger.js';
import type { Invoice } from '../domain/invoice.js';
import { minorToDecimalString } from '../domain/money.js';

// The CSV writer is loaded at the first export, not with the server (exports are rare; a start pays for every module it loads).
const require = createRequire(import.meta.url);
let csvStringify: typeof import('csv-stringify/sync') | undefined;

/** One CSV record per row, each ending in a newline (RFC 4180 quoting). */
export function csvRecords(rows: unknown[][]): string {
  csvStringify ??= require('csv-stringify/sync') as typeof import('csv-stringify/sync');
  return csvStringify.stringify(rows);
}

/** Spreadsheets run cells that start with = + - @ as formulas: text cells are defused. */
export function csvText(value: string | null | undefined): string {
  if (!value) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Money leaving or entering the bank account, signed as the bank statement shows it. */
const BANK_SIGN: Partial<Record<LedgerKind, 1 | -1>> = { payment: 1, reversal: -1, refund: -1 };

export const PAYMENT_COLUMNS = [
  'Date',
  'Entry type',
  'Invoice number',
  'Payment reference',
  'Payer',
  'Amount',
  'Currency',
  'Bank reference',
  'Statement line',
  'Reason or note',
  'Recorded by',
  'Recorded at',
] as const;

/** Payments, reversals and refunds by their bank date (write-offs move no money and are left out). */
export function* paymentRows(db: Db, range: { from: string; to: string }): Generator<string[]> {
  for (const e of iterateLedger(db, { ...range, kinds: ['payment', 'reversal', 'refund'] })) {
    const sign = BANK_SIGN[e.kind]!;
    yield [
      e.effectiveOn,
      e.kind,
      e.invoiceNumber,
      e.paymentReference,
      csvText(e.kind === 'refund' ? e.payeeName : (e.payerName ?? e.buyerOrganisation ?? e.buyerName)),
      minorToDecimalString(sign * e.amountMinor, e.currency),
      e.currency,
      csvText(e.bankReference),
      csvText(e.statementLine),
      csvText(e.reason ?? e.note),
      csvText(e.actorLabel),
      e.recordedAt,
    ];
  }
}

export const JOURNAL_COLUMNS = [
  'Date',
  'Document type',
  'Document number',
  'Invoice number',
  'Buyer',
  'Organisation',
  'Buyer country',
  'Buyer tax ID',
  'Currency',
  'Net',
  'Tax',
  'Total',
  'Tax rate',
  'Tax label',
  'Description',
] as const;

/**
 * Invoices issued and credit notes issued in the period (revenue and its reversal, with tax), then
 * the ledger entries of the period (money in and out, write-offs). A payment's Total is positive,
 * a reversal's and a refund's negative, a write-off's positive (it settles the receivable).
 */
export function* journalRows(db: Db, range: { from: string; to: string }): Generator<string[]> {
  const money = (minor: number, currency: string) => minorToDecimalString(minor, currency);
  // An issued document (invoice or credit note) of invoice `i`: its own net, tax and total.
  const documentRow = (
    date: string,
    type: string,
    number: string,
    i: Invoice,
    amounts: { currency: string; netMinor: number; taxMinor: number; totalMinor: number },
    description: string,
  ) => [
    date,
    type,
    number,
    i.number,
    csvText(i.buyerName),
    csvText(i.buyerOrganisation),
    i.buyerCountry ?? '',
    csvText(i.buyerTaxId),
    amounts.currency,
    money(amounts.netMinor, amounts.currency),
    money(amounts.taxMinor, amounts.currency),
    money(amounts.totalMinor, amounts.currency),
    i.taxRate,
    i.taxLabel,
    csvText(description),
  ];
  for (const i of iterateInvoices(db, { tab: 'all', from: range.from, to: range.to, sort: 'issued', dir: 'asc', today: range.to })) {
    yield documentRow(i.issueDate, 'invoice', i.number, i, i, i.courseTitle);
  }
  for (const note of creditNotesIssued(db, range)) {
    yield documentRow(note.issueDate, 'credit_note', note.number, findInvoiceById(db, note.invoiceId)!, note, note.reason);
  }
  for (const e of iterateLedger(db, range)) {
    const signed = (BANK_SIGN[e.kind] ?? 1) * e.amountMinor;
    yield [
      e.effectiveOn,
      e.kind,
      `E-${e.id}`,
      e.invoiceNumber,
      csvText(e.buyerName),
      csvText(e.buyerOrganisation),
      e.buyerCountry ?? '',
      '',
      e.currency,
      '',
      '',
      money(signed, e.currency),
      e.taxRate,
      '',
      csvText(e.reason ?? e.note ?? e.bankReference),
    ];
  }
}
