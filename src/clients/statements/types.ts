/**
 * The shape every statement parser (camt, MT940, CSV) produces. Parsers are pure: bytes in,
 * a complete ParsedStatement or a StatementParseError out, never a partial result.
 */

export type StatementFormat = 'camt' | 'mt940' | 'csv';

export interface StatementAccount {
  iban: string | null;
  other: string | null;
  currency: string | null;
}

export interface PayerAccount {
  iban: string | null;
  bic: string | null;
  other: string | null;
}

export interface StatementLine {
  /** 0-based position among the file's lines (after splitting batches). */
  index: number;
  /** Human location for messages and review: "Stmt 1, Ntry 3, TxDtls 2" or "line 14". */
  where: string;
  /** The account this line was booked on (files may hold several accounts). */
  account: StatementAccount;
  direction: 'credit' | 'debit';
  reversal: boolean;
  /** Positive integer minor units of `currency`. */
  amountMinor: number;
  currency: string;
  bookingDate: string;
  valueDate: string | null;
  bankReference: string | null;
  endToEndId: string | null;
  structuredReference: string | null;
  remittanceParts: string[];
  remittance: string;
  payerName: string | null;
  payerAccount: PayerAccount | null;
  returnReason: string | null;
  dedupeKey: string;
}

export interface Balance {
  /** Signed: a debit (overdrawn) balance is negative. */
  amountMinor: number;
  currency: string;
  date: string;
}

/** One statement (camt Stmt/Ntfctn, one MT940 :20:…:62F: block) inside a file. */
export interface StatementSection {
  where: string;
  account: StatementAccount;
  statementId: string | null;
  sequence: string | null;
  openingBalance: Balance | null;
  closingBalance: Balance | null;
  /** Its lines are `lines.slice(firstLine, firstLine + lineCount)`. */
  firstLine: number;
  lineCount: number;
}

export interface ParsedStatement {
  format: StatementFormat;
  formatDetail: string;
  fileId: string | null;
  account: StatementAccount;
  statementId: string | null;
  sequence: string | null;
  /** Opening of the first statement of the first account in the file. */
  openingBalance: Balance | null;
  /** Closing of the last statement of that same account. */
  closingBalance: Balance | null;
  lines: StatementLine[];
  /** Each statement in the file, in file order (one for CSV). */
  statements: StatementSection[];
}

export class StatementParseError extends Error {
  override readonly name = 'StatementParseError';
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}
