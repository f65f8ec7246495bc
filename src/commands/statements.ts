/**
 * Bank statements: import a file (parse, store the statement and its new lines, match each credit
 * to open invoices, all in one transaction), then record lines as payments. Recording a line is
 * the same `recordPayment` as a payment typed in by hand (enrolment, emails, audit), once per
 * invoice it pays, with the line, the bank reference and the payer's account kept on the entry.
 */
import { createHash } from 'node:crypto';
import {
  BUILT_IN_CSV_PROFILES,
  balanceProblems,
  csvProfileSchema,
  detectStatementFormat,
  parseStatement,
  StatementParseError,
  type CsvProfile,
  type ParsedStatement,
  type StatementFormat,
  type StatementLine,
} from '../clients/statements/index.js';
import { toDbTime } from '../clock.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { findInvoiceById } from '../db/invoices.js';
import {
  decideStatementLine,
  findCsvProfile,
  findStatement,
  findStatementBySha256,
  findStatementLine,
  insertStatement,
  insertStatementLine,
  invoicesNamed,
  listCsvProfiles,
  openExactLineIds,
  openInvoicesForMatching,
  paymentsOfLine,
  previousStatementOfAccount,
  saveCsvProfile,
  setDuplicateLines,
  type StatementLineRow,
} from '../db/statements.js';
import { balanceMinor, type InvoiceStatus } from '../domain/invoice.js';
import { staffText } from '../i18n.js';
import { formatMoney } from '../domain/money.js';
import { buildMatchIndex, matchLine, referencesInLine, type LineMatch } from '../domain/statement-matching.js';
import { AppError } from '../errors.js';
import type { InvoiceActor } from './actors.js';
import type { ChangeDeps } from './invoice-change.js';
import { recordPayment, writeOffBalance } from './ledger.js';

type StatementDeps = ChangeDeps;

// ---- CSV profiles -------------------------------------------------------------------------------------

export interface ProfileChoice {
  name: string;
  builtIn: boolean;
  profile: CsvProfile;
}

/** Built-in profiles first, then the ones saved here (a saved profile may not reuse a built-in name). */
export function csvProfiles(deps: Pick<StatementDeps, 'db'>): ProfileChoice[] {
  const builtIn = Object.entries(BUILT_IN_CSV_PROFILES).map(([name, profile]) => ({ name, builtIn: true, profile }));
  const saved = listCsvProfiles(deps.db).map((row) => ({ name: row.name, builtIn: false, profile: csvProfileSchema.parse(JSON.parse(row.json)) }));
  return [...builtIn, ...saved];
}

export function resolveCsvProfile(deps: Pick<StatementDeps, 'db'>, name: string): CsvProfile {
  const builtIn = BUILT_IN_CSV_PROFILES[name];
  if (builtIn && Object.hasOwn(BUILT_IN_CSV_PROFILES, name)) return builtIn;
  const saved = findCsvProfile(deps.db, name);
  if (!saved) throw new AppError('statement.unknown_csv_profile', name, { problem: `No CSV profile is called ${JSON.stringify(name)}.` });
  return csvProfileSchema.parse(JSON.parse(saved.json));
}

/** Validates and saves a bank's column mapping under its name; the problems are listed in the error. */
export function saveProfile(deps: Pick<StatementDeps, 'db' | 'clock'>, actor: InvoiceActor, json: string): CsvProfile {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new AppError('statement.bad_csv_profile', 'not JSON', { problem: `This is not JSON: ${(error as Error).message}` });
  }
  const result = csvProfileSchema.safeParse(value);
  if (!result.success) {
    const problem = result.error.issues.map((issue) => `${issue.path.join('.') || 'profile'}: ${issue.message}`).join('; ');
    throw new AppError('statement.bad_csv_profile', problem, { problem });
  }
  const profile = result.data;
  if (Object.hasOwn(BUILT_IN_CSV_PROFILES, profile.name)) {
    const problem = `${profile.name} is a built-in profile: give yours another name`;
    throw new AppError('statement.bad_csv_profile', problem, { problem });
  }
  writeTransaction(deps.db, () => {
    const at = toDbTime(deps.clock.now());
    saveCsvProfile(deps.db, { name: profile.name, json: JSON.stringify(profile), savedAt: at, savedBy: actor.actorLabel });
    appendAudit(deps.db, {
      at,
      actor: actor.actor,
      actorLabel: actor.actorLabel,
      action: 'statement.csv_profile_saved',
      summary: `${actor.actorLabel} saved the CSV profile ${profile.name}`,
      data: profile,
    });
  });
  return profile;
}

// ---- Import -------------------------------------------------------------------------------------------

export interface ImportInput {
  bytes: Buffer;
  fileName: string;
  format: 'auto' | StatementFormat;
  /** For CSV files: a built-in or saved profile name (generic when not given). */
  csvProfile?: string | null | undefined;
  /** Record the exact matches at once, as "Record all exact matches" does. */
  confirmExact?: boolean;
}

/** What `statements import --json` prints. */
export interface ImportSummary {
  statement: number;
  lines: number;
  credits: number;
  ignored: number;
  duplicates: number;
  exact: number;
  amountDiffers: number;
  suggested: number;
  unmatched: number;
  recorded: number;
}

export interface ImportOutcome {
  summary: ImportSummary;
  /** Opening + lines ≠ closing, or a statement missing since the account's previous import. */
  balanceProblems: string[];
  /** Exact matches that could not be recorded with --confirm-exact, and why. */
  recordProblems: string[];
}

export function importStatement(deps: StatementDeps, actor: InvoiceActor, input: ImportInput): ImportOutcome {
  const { db, config } = deps;
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const earlier = findStatementBySha256(db, sha256);
  if (earlier) throw duplicateFile(earlier.id, earlier.fileName, earlier.importedAt);

  const format = input.format === 'auto' ? detectStatementFormat(input.bytes) : input.format;
  const profileName = format === 'csv' ? (input.csvProfile ?? 'generic') : null;
  const csvProfile = profileName === null ? undefined : resolveCsvProfile(deps, profileName);
  let parsed: ParsedStatement;
  try {
    parsed = parseStatement(input.bytes, { format, ...(csvProfile ? { csvProfile } : {}) });
  } catch (error) {
    if (error instanceof StatementParseError) throw new AppError('statement.unreadable', error.message, { problem: error.message });
    throw error;
  }

  const openInvoices = openInvoicesForMatching(db);
  const index = buildMatchIndex(openInvoices, { invoicePrefix: config.invoice.prefix });
  const openIds = new Set(openInvoices.map((invoice) => invoice.id));
  const account = parsed.account.iban ?? parsed.account.other ?? '';
  const at = toDbTime(deps.clock.now());
  const problems = balanceProblems(parsed);
  const summary: ImportSummary = {
    statement: 0,
    lines: parsed.lines.length,
    credits: 0,
    ignored: 0,
    duplicates: 0,
    exact: 0,
    amountDiffers: 0,
    suggested: 0,
    unmatched: 0,
    recorded: 0,
  };

  // Matched before the write transaction, which then only stores: a big statement against many
  // open invoices takes about a second to match, and the database stays free meanwhile.
  const matches = parsed.lines.map((line) => {
    const match = line.direction === 'credit' && !line.reversal ? matchLine(index, line, config.ledger.paymentTolerance) : null;
    const note = match && (match.kind === 'suggested' || match.kind === 'unmatched') ? notOpenNote(deps, index.invoicePrefix, openIds, line) : null;
    return { match, note };
  });

  writeTransaction(db, () => {
    // Checked again inside the transaction: two uploads of one file at once store it once.
    const raced = findStatementBySha256(db, sha256);
    if (raced) throw duplicateFile(raced.id, raced.fileName, raced.importedAt);
    const gap = gapSincePrevious(deps, account, parsed);
    if (gap) problems.push(gap);
    const statementId = insertStatement(db, {
      format: parsed.format,
      formatDetail: parsed.formatDetail,
      fileId: parsed.fileId,
      account,
      accountCurrency: parsed.account.currency,
      fileName: input.fileName.slice(0, 200),
      sha256,
      csvProfile: profileName,
      importedAt: at,
      importedBy: actor.actorLabel,
      openingBalanceMinor: parsed.openingBalance?.amountMinor ?? null,
      openingBalanceCurrency: parsed.openingBalance?.currency ?? null,
      openingBalanceDate: parsed.openingBalance?.date ?? null,
      closingBalanceMinor: parsed.closingBalance?.amountMinor ?? null,
      closingBalanceCurrency: parsed.closingBalance?.currency ?? null,
      closingBalanceDate: parsed.closingBalance?.date ?? null,
      balanceProblems: problems.length > 0 ? problems.join('\n') : null,
      linesInFile: parsed.lines.length,
      duplicateLines: 0,
    });
    summary.statement = statementId;
    parsed.lines.forEach((line, i) => {
      const { match, note } = matches[i]!;
      const stored = insertStatementLine(db, {
        ...lineColumns(statementId, line),
        matchKind: match?.kind ?? null,
        match,
        matchNote: note,
        state: match ? 'open' : 'ignored',
      });
      if (!stored) summary.duplicates++;
      else if (!match) summary.ignored++;
      else {
        summary.credits++;
        if (match.kind === 'exact') summary.exact++;
        else if (match.kind === 'amount_differs') summary.amountDiffers++;
        else if (match.kind === 'suggested') summary.suggested++;
        else summary.unmatched++;
      }
    });
    setDuplicateLines(db, statementId, summary.duplicates);
    appendAudit(db, {
      at,
      actor: actor.actor,
      actorLabel: actor.actorLabel,
      action: 'statement.imported',
      summary:
        `${actor.actorLabel} imported the bank statement ${input.fileName} (${parsed.formatDetail}): ${summary.lines} lines, ${summary.credits} new credits ` +
        `(${summary.exact} exact), ${summary.duplicates} already imported`,
      data: { statementId, ...summary, balanceProblems: problems },
    });
  });

  let recordProblems: string[] = [];
  if (input.confirmExact) {
    const recorded = recordAllExact(deps, actor, summary.statement);
    summary.recorded = recorded.recorded;
    recordProblems = recorded.problems;
  }
  return { summary, balanceProblems: problems, recordProblems };
}

function duplicateFile(statementId: number, fileName: string, importedAt: string): AppError {
  const problem = `The same file was imported on ${importedAt.slice(0, 10)} as statement ${statementId} (${fileName}).`;
  return new AppError('statement.duplicate_file', `statement ${statementId}`, {
    problem,
    statementId,
    relatedUrl: `/admin/statements/${statementId}`,
    relatedLabel: `Open statement ${statementId}`,
  });
}

function lineColumns(statementId: number, line: StatementLine) {
  return {
    statementId,
    lineIndex: line.index,
    where: line.where,
    dedupeKey: line.dedupeKey,
    direction: line.direction,
    reversal: line.reversal,
    amountMinor: line.amountMinor,
    currency: line.currency,
    bookingDate: line.bookingDate,
    valueDate: line.valueDate,
    bankReference: line.bankReference,
    endToEndId: line.endToEndId,
    structuredReference: line.structuredReference,
    remittance: line.remittance,
    remittanceParts: line.remittanceParts,
    payerName: line.payerName,
    payerIban: line.payerAccount?.iban ?? null,
    payerBic: line.payerAccount?.bic ?? null,
    payerOther: line.payerAccount?.other ?? null,
    returnReason: line.returnReason,
  };
}

/** A statement that does not open where the account's previous import closed: one may be missing. */
function gapSincePrevious(deps: Pick<StatementDeps, 'db'>, account: string, parsed: ParsedStatement): string | undefined {
  const opening = parsed.openingBalance;
  if (account === '' || !opening) return undefined;
  const previous = previousStatementOfAccount(deps.db, account, opening.date);
  if (!previous || previous.closingBalanceMinor === null || previous.closingBalanceCurrency !== opening.currency) return undefined;
  if (previous.closingBalanceMinor === opening.amountMinor) return undefined;
  return (
    `This statement opens with ${formatMoney(opening.amountMinor, opening.currency)} on ${opening.date}, but statement ${previous.id} (${previous.fileName}) ` +
    `closed with ${formatMoney(previous.closingBalanceMinor, opening.currency)} on ${previous.closingBalanceDate}: a statement may be missing between them`
  );
}

const PAID_STATUSES: readonly InvoiceStatus[] = ['paid', 'enrolled', 'enrolment_failed'];

/** "reference of INV-000042, which is already paid": the payer named an invoice that is not open. */
function notOpenNote(deps: Pick<StatementDeps, 'db'>, prefix: string, openIds: ReadonlySet<number>, line: StatementLine): string | null {
  const found = referencesInLine(line, prefix);
  if (found.references.length === 0 && found.invoiceNumbers.length === 0) return null;
  const named = invoicesNamed(
    deps.db,
    found.references,
    found.invoiceNumbers.map((n) => n.number),
  ).filter((invoice) => !openIds.has(invoice.id));
  if (named.length === 0) return null;
  return named
    .map((invoice) => {
      const state = PAID_STATUSES.includes(invoice.status)
        ? 'already paid'
        : invoice.status === 'cancelled'
          ? 'cancelled'
          : staffText('common.invoiceStatus', { status: invoice.status }).toLowerCase();
      return `reference of ${invoice.number}, which is ${state}`;
    })
    .join('; ');
}

// ---- Recording lines ------------------------------------------------------------------------------------

export interface LineOutcome {
  line: StatementLineRow;
  /** The invoices paid from the line. */
  invoiceIds: number[];
  /** A line recorded before (double click): nothing new was recorded. */
  duplicate: boolean;
  /** Why a proposed write-off was not made (an administrator must decide). */
  writeOffSkipped: string | null;
}

interface Allocation {
  invoiceId: number;
  amountMinor: number;
  writeOffMinor: number;
  /** For exact matches: the balance the matcher saw; if it changed, the proposal is stale. */
  expectedBalanceMinor: number | null;
}

function loadLine(deps: Pick<StatementDeps, 'db'>, lineId: number): StatementLineRow {
  const line = findStatementLine(deps.db, lineId);
  if (!line) throw new AppError('admin.not_found', `statement line ${lineId}`);
  return line;
}

/** Records the line as the matcher proposed: an exact match (with its write-off), or the whole amount on the invoice whose amount differs. */
export function recordStatementLine(deps: StatementDeps, actor: InvoiceActor, lineId: number): LineOutcome {
  const line = loadLine(deps, lineId);
  const match = line.match;
  if (line.state === 'open' && match?.kind === 'exact') {
    return recordAllocations(
      deps,
      actor,
      line,
      match.allocations.map((a) => ({
        invoiceId: a.invoiceId,
        amountMinor: a.amountMinor,
        writeOffMinor: a.writeOffMinor,
        expectedBalanceMinor: a.amountMinor + a.writeOffMinor - a.overpaidMinor,
      })),
    );
  }
  if (line.state === 'open' && match?.kind === 'amount_differs') {
    return recordAllocations(deps, actor, line, [{ invoiceId: match.invoiceId, amountMinor: line.amountMinor, writeOffMinor: 0, expectedBalanceMinor: null }]);
  }
  if (line.state !== 'open') return recordAllocations(deps, actor, line, []);
  throw new AppError('statement.line_decided', `line ${lineId} has no proposed invoice (${match?.kind ?? 'none'}): pick one`);
}

/**
 * Staff picked the invoice(s) by hand (a suggestion, or a search). One invoice gets the whole
 * amount; several get their balances, which must add up to the amount.
 */
export function assignLineToInvoices(deps: StatementDeps, actor: InvoiceActor, lineId: number, invoiceIds: number[]): LineOutcome {
  const line = loadLine(deps, lineId);
  if (line.state !== 'open') return recordAllocations(deps, actor, line, []);
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) throw new AppError('admin.not_found', 'no invoice picked');
  if (ids.length === 1)
    return recordAllocations(deps, actor, line, [{ invoiceId: ids[0]!, amountMinor: line.amountMinor, writeOffMinor: 0, expectedBalanceMinor: null }]);
  const allocations = ids.map((invoiceId) => {
    const invoice = findInvoiceById(deps.db, invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${invoiceId}`);
    const balance = balanceMinor(invoice);
    return { invoiceId, amountMinor: balance, writeOffMinor: 0, expectedBalanceMinor: balance };
  });
  const total = allocations.reduce((sum, a) => sum + a.amountMinor, 0);
  if (allocations.some((a) => a.amountMinor <= 0) || total !== line.amountMinor) {
    throw new AppError('admin.conflict', `line ${lineId}: balances add up to ${total}, the line is ${line.amountMinor}`);
  }
  return recordAllocations(deps, actor, line, allocations);
}

function recordAllocations(deps: StatementDeps, actor: InvoiceActor, line: StatementLineRow, allocations: Allocation[]): LineOutcome {
  const { db } = deps;
  if (line.state === 'recorded') {
    return { line, invoiceIds: paymentsOfLine(db, line.id).map((p) => p.invoiceId), duplicate: true, writeOffSkipped: null };
  }
  if (line.state !== 'open') throw new AppError('statement.line_decided', `line ${line.id} is ${line.state}`);
  // Checked for every invoice before anything is recorded, so a refusal records nothing.
  for (const allocation of allocations) {
    const invoice = findInvoiceById(db, allocation.invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${allocation.invoiceId}`);
    if (invoice.currency !== line.currency)
      throw new AppError('statement.wrong_currency', `line ${line.id} in ${line.currency}, ${invoice.number} in ${invoice.currency}`);
    if (allocation.expectedBalanceMinor !== null && balanceMinor(invoice) !== allocation.expectedBalanceMinor) {
      throw new AppError(
        'admin.conflict',
        `${invoice.number}: balance ${balanceMinor(invoice)}, the statement was matched against ${allocation.expectedBalanceMinor}`,
      );
    }
  }
  const statement = findStatement(db, line.statementId)!;
  let firstEntryId: number | null = null;
  let writeOffSkipped: string | null = null;
  for (const allocation of allocations) {
    const outcome = recordPayment(deps, actor, allocation.invoiceId, {
      amountMinor: allocation.amountMinor,
      receivedOn: line.bookingDate,
      bankReference: line.bankReference ?? (line.endToEndId && line.endToEndId.toUpperCase() !== 'NOTPROVIDED' ? line.endToEndId : null),
      note: `Bank statement ${statement.id} (${statement.fileName}), ${line.where}`,
      payerName: line.payerName,
      statementLineId: line.id,
      payerIban: line.payerIban,
      payerBic: line.payerBic,
      payerAccount: line.payerOther,
      // One payment per line and invoice, however often the line is confirmed.
      idempotencyKey: `statement-line:${line.id}:${allocation.invoiceId}`,
    });
    firstEntryId ??= outcome.payment.id;
    if (allocation.writeOffMinor > 0 && balanceMinor(outcome.invoice) === allocation.writeOffMinor) {
      try {
        writeOffBalance(deps, actor, allocation.invoiceId, {
          reason: `Short by ${formatMoney(allocation.writeOffMinor, line.currency)} on the bank transfer of ${line.bookingDate} (within the payment tolerance)`,
          idempotencyKey: `statement-line:${line.id}:${allocation.invoiceId}:write-off`,
          expectedBalanceMinor: allocation.writeOffMinor,
        });
      } catch (error) {
        if (!(error instanceof AppError) || (error.id !== 'admin.cannot_write_off' && error.id !== 'auth.forbidden')) throw error;
        writeOffSkipped = `${outcome.invoice.number}: ${formatMoney(allocation.writeOffMinor, line.currency)} left to pay or to write off by an administrator`;
      }
    }
  }
  writeTransaction(db, () =>
    decideStatementLine(db, line.id, 'recorded', { at: toDbTime(deps.clock.now()), by: actor.actorLabel, ledgerEntryId: firstEntryId }),
  );
  return { line: loadLine(deps, line.id), invoiceIds: allocations.map((a) => a.invoiceId), duplicate: false, writeOffSkipped };
}

/** "Record all exact matches": each open exact line of the statement; a line that cannot be recorded is reported and left open. */
export function recordAllExact(deps: StatementDeps, actor: InvoiceActor, statementId: number): { recorded: number; problems: string[] } {
  if (!findStatement(deps.db, statementId)) throw new AppError('admin.not_found', `statement ${statementId}`);
  let recorded = 0;
  const problems: string[] = [];
  for (const lineId of openExactLineIds(deps.db, statementId)) {
    try {
      const outcome = recordStatementLine(deps, actor, lineId);
      if (!outcome.duplicate) recorded++;
      if (outcome.writeOffSkipped) problems.push(`${outcome.line.where}: ${outcome.writeOffSkipped}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const line = findStatementLine(deps.db, lineId);
      problems.push(`${line?.where ?? `line ${lineId}`}: ${error.spec.title} (${error.detail ?? error.id})`);
    }
  }
  return { recorded, problems };
}

/** The money is not for us (a refund from a supplier, a transfer between own accounts): set aside, recorded nowhere. */
export function markNotOurs(deps: Pick<StatementDeps, 'db' | 'clock'>, actor: InvoiceActor, lineId: number): StatementLineRow {
  const { db } = deps;
  return writeTransaction(db, () => {
    const line = loadLine(deps, lineId);
    if (line.state === 'not_ours') return line;
    const at = toDbTime(deps.clock.now());
    if (!decideStatementLine(db, lineId, 'not_ours', { at, by: actor.actorLabel }))
      throw new AppError('statement.line_decided', `line ${lineId} is ${line.state}`);
    appendAudit(db, {
      at,
      actor: actor.actor,
      actorLabel: actor.actorLabel,
      action: 'statement.line_not_ours',
      summary: `${actor.actorLabel} marked ${formatMoney(line.amountMinor, line.currency)} from ${line.payerName ?? 'an unknown payer'} (${line.bookingDate}, statement ${line.statementId}) as not ours`,
      data: { statementId: line.statementId, lineId },
    });
    return loadLine(deps, lineId);
  });
}

export type { LineMatch };
