/**
 * Bank CSV exports read through a CsvProfile. What the profile leaves unset (encoding, delimiter,
 * decimal mark, date format, and with columns 'auto' the columns themselves) is guessed from the
 * file, and a guess that cannot be made is an error that says so rather than a wrong reading.
 */
import { parse as parseCsvText } from 'csv-parse/sync';
import { isValidIban } from '../../domain/iban.js';
import { decimalToMinor, decodeText, fail, finishLines, joinText, makeDate, nonEmpty, quote, requireCurrency, type DraftLine } from './common.js';
import { DATE_FORMAT, type ColumnRef, type CsvColumns, type CsvProfile } from './csv-profiles.js';
import type { ParsedStatement, PayerAccount, StatementAccount } from './types.js';

interface Row {
  cells: string[];
  line: number;
}

function readRows(text: string, delimiter: string, limit?: number): Row[] {
  try {
    const records = parseCsvText(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
      ...(limit === undefined ? {} : { to_line: limit }),
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    return records
      .map(({ record, info }) => ({ cells: record.map((cell) => cell.trim()), line: info.lines }))
      .filter((row) => row.cells.some((cell) => cell !== ''));
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    return fail(typeof line === 'number' ? `line ${line}` : 'file', `not readable as CSV (${(error as Error).message})`);
  }
}

/** The delimiter that splits the first lines into the most columns, consistently. */
function guessDelimiter(text: string): string {
  let best = { delimiter: ',', score: -1 };
  for (const delimiter of [',', ';', '\t', '|']) {
    let rows: Row[];
    try {
      rows = readRows(text, delimiter, 30);
    } catch {
      continue;
    }
    const counts = new Map<number, number>();
    for (const row of rows) counts.set(row.cells.length, (counts.get(row.cells.length) ?? 0) + 1);
    const [columns, rowsWithThatCount] = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [0, 0];
    if (columns < 2) continue;
    const score = rowsWithThatCount * 100 + columns;
    if (score > best.score) best = { delimiter, score };
  }
  return best.delimiter;
}

/** Header text compared without case, accents, spaces or punctuation ("Kontonummer/IBAN" is "kontonummeriban"). */
function headerKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Common header names per role (as headerKey gives them), most specific first. */
const GUESSES: Record<Exclude<keyof CsvColumns, 'description'>, string[]> & { description: string[] } = {
  date: ['bookingdate', 'buchungstag', 'buchungsdatum', 'transactiondate', 'postingdate', 'posteddate', 'date', 'datum', 'datetime', 'completeddate'],
  valueDate: ['valuedate', 'valutadatum', 'valuta', 'wertstellung', 'wertstellungsdatum'],
  amount: ['amount', 'betrag', 'transactionamount', 'betrageur', 'umsatz', 'montant', 'importe', 'bedrag'],
  credit: ['creditamount', 'credit', 'credits', 'paidin', 'moneyin', 'deposit', 'deposits', 'haben', 'incoming'],
  debit: ['debitamount', 'debit', 'debits', 'paidout', 'moneyout', 'withdrawal', 'withdrawals', 'soll', 'outgoing'],
  description: [
    'buchungstext',
    'description',
    'narrative',
    'details',
    'transactiondetails',
    'particulars',
    'memo',
    'verwendungszweck',
    'remittanceinformation',
    'purpose',
  ],
  reference: ['paymentreference', 'reference', 'referenz', 'customerreference'],
  endToEndId: ['endtoendid', 'endtoendreference', 'kundenreferenzendtoend', 'endtoendreferenz'],
  payerName: [
    'payername',
    'payer',
    'debtorname',
    'auftraggeber',
    'beguenstigterzahlungspflichtiger',
    'begunstigterzahlungspflichtiger',
    'zahlungspflichtiger',
    'auftraggeberempfaenger',
    'auftraggeberempfanger',
    'namezahlungsbeteiligter',
    'counterpartyname',
    'counterparty',
    'name',
  ],
  payerAccount: ['payeraccount', 'payeriban', 'debtoriban', 'kontonummeriban', 'ibanzahlungsbeteiligter', 'counterpartyiban', 'iban', 'kontonummer'],
  bankReference: ['transferwiseid', 'transactionid', 'bankreference', 'id'],
  currency: ['currency', 'waehrung', 'wahrung', 'ccy'],
  account: ['bankaccount', 'auftragskonto'],
  balance: ['runningbalance', 'balance', 'saldo', 'kontostand'],
};

type Resolved = { [K in Exclude<keyof CsvColumns, 'description'>]?: number } & { description: number[] };

function findByName(header: string[], names: string[]): number | undefined {
  const keys = header.map(headerKey);
  for (const name of names) {
    const index = keys.indexOf(headerKey(name));
    if (index !== -1) return index;
  }
  return undefined;
}

function resolveRef(ref: ColumnRef, header: string[] | null): number | undefined {
  if (typeof ref === 'number') return ref;
  if (header === null) return undefined;
  return findByName(header, typeof ref === 'string' ? [ref] : ref.anyOf);
}

function describeRef(ref: ColumnRef): string {
  if (typeof ref === 'number') return `column ${ref}`;
  if (typeof ref === 'string') return `column ${quote(ref)}`;
  return `a column named ${ref.anyOf.map(quote).join(' or ')}`;
}

/** Maps a profile's columns onto a header row; the missing ones are listed, nothing is half-mapped. */
function resolveColumns(columns: CsvColumns, header: string[] | null): { resolved: Resolved; missing: string[] } {
  const resolved: Resolved = { description: [] };
  const missing: string[] = [];
  for (const [role, value] of Object.entries(columns) as Array<[keyof CsvColumns, CsvColumns[keyof CsvColumns]]>) {
    if (value === undefined) continue;
    if (role === 'description') {
      for (const ref of Array.isArray(value) ? value : [value as ColumnRef]) {
        const index = resolveRef(ref, header);
        if (index === undefined) missing.push(describeRef(ref));
        else resolved.description.push(index);
      }
      continue;
    }
    const index = resolveRef(value as ColumnRef, header);
    if (index === undefined) missing.push(describeRef(value as ColumnRef));
    else resolved[role] = index;
  }
  return { resolved, missing };
}

function guessColumns(header: string[]): Resolved | null {
  const keys = header.map(headerKey);
  const taken = new Set<number>();
  const pick = (names: string[]): number | undefined => {
    for (const name of names) {
      const index = keys.findIndex((key, i) => key === name && !taken.has(i));
      if (index !== -1) {
        taken.add(index);
        return index;
      }
    }
    return undefined;
  };
  const resolved: Resolved = { description: [] };
  resolved.date = pick(GUESSES.date);
  resolved.amount = pick(GUESSES.amount);
  if (resolved.amount === undefined) {
    resolved.credit = pick(GUESSES.credit);
    resolved.debit = pick(GUESSES.debit);
  }
  if (resolved.date === undefined || (resolved.amount === undefined && resolved.credit === undefined && resolved.debit === undefined)) return null;
  for (const role of ['valueDate', 'endToEndId', 'reference', 'payerName', 'payerAccount', 'bankReference', 'currency', 'account', 'balance'] as const) {
    resolved[role] = pick(GUESSES[role]);
  }
  // Every recognised text column, in file order: "Buchungstext" and "Verwendungszweck" both carry words.
  resolved.description = keys.map((key, i) => (GUESSES.description.includes(key) && !taken.has(i) ? i : -1)).filter((i) => i !== -1);
  return resolved;
}

interface DateFormat {
  text: string;
  pattern: RegExp;
  order: Array<'d' | 'm' | 'y'>;
}

function compileDateFormat(format: string): DateFormat {
  const match = DATE_FORMAT.exec(format);
  const separator = match?.[1] ?? '';
  const tokens = separator === '' ? (format.match(/d{1,2}|m{1,2}|y{4}|y{2}/g) ?? []) : format.split(separator);
  const order = tokens.map((token) => token[0] as 'd' | 'm' | 'y');
  const parts = tokens.map((token) => {
    if (token === 'yyyy') return '(\\d{4})';
    if (token === 'yy') return '(\\d{2})';
    // Without a separator the digits' count must be fixed; with one, "5/4/26" and "05/04/2026" both read.
    return separator === '' ? '(\\d{2})' : '(\\d{1,2})';
  });
  const escaped = separator.replace(/[.]/g, '\\.');
  // A time after the date ("15-04-2026 09:12:44", "2026-04-15T09:12") is allowed and ignored.
  return { text: format, pattern: new RegExp(`^${parts.join(escaped)}(?:[ T].*)?$`), order };
}

function readDate(text: string, format: DateFormat): string | null {
  const match = format.pattern.exec(text);
  if (!match) return null;
  const values: Record<string, number> = {};
  format.order.forEach((letter, i) => {
    const digits = match[i + 1] as string;
    values[letter] = letter === 'y' && digits.length === 2 ? 2000 + Number(digits) : Number(digits);
  });
  return makeDate(values.y ?? 0, values.m ?? 0, values.d ?? 0);
}

// Day before month: the banks we serve (AU, EU, MY) write dates day first; US files need a profile.
const DATE_CANDIDATES = ['yyyy-mm-dd', 'dd/mm/yyyy', 'dd.mm.yyyy', 'dd-mm-yyyy', 'dd/mm/yy', 'dd.mm.yy', 'yyyy/mm/dd', 'yyyymmdd', 'mm/dd/yyyy'].map(
  compileDateFormat,
);

function guessDateFormat(values: string[]): DateFormat {
  const found = DATE_CANDIDATES.find((format) => values.every((value) => readDate(value, format) !== null));
  if (found) return found;
  const sample = values.find((value) => DATE_CANDIDATES.every((format) => readDate(value, format) === null)) ?? values[0] ?? '';
  return fail('file', `cannot tell the date format (${quote(sample)} is not a date in any format tried); set the profile's dateFormat`);
}

function stripAmountDecorations(text: string): string {
  return text.replace(/[\s\u00a0\u202f'’]|[A-Z]{3}(?=$|\s)|[$€£¥]/g, '');
}

function guessDecimal(values: string[], delimiter: string): '.' | ',' {
  let commas = 0;
  let dots = 0;
  for (const value of values) {
    const text = stripAmountDecorations(value).replace(/(CR|DR|-|\))$/i, '');
    if (/,\d{1,2}$/.test(text)) commas++;
    else if (/\.\d{1,2}$/.test(text)) dots++;
  }
  if (commas > 0 && dots > 0) fail('file', "amounts are written with both decimal commas and decimal points; set the profile's decimal");
  if (commas > 0) return ',';
  if (dots > 0) return '.';
  return delimiter === ';' ? ',' : '.';
}

/** Signed minor units, or null for an empty cell. Grouping ("1,234.56", "1.234,56") is accepted only where it is well formed. */
function csvAmount(raw: string, decimal: '.' | ',', currency: string, where: string, what: string): number | null {
  let text = stripAmountDecorations(raw);
  if (text === '') return null;
  let negative = false;
  const suffix = /^(.*?)(CR|DR)$/i.exec(text);
  if (suffix) {
    negative = (suffix[2] as string).toUpperCase() === 'DR';
    text = suffix[1] as string;
  }
  if (/^\(.*\)$/.test(text)) {
    negative = true;
    text = text.slice(1, -1);
  }
  if (/^[+-]/.test(text)) {
    negative = negative !== text.startsWith('-');
    text = text.slice(1);
  } else if (/-$/.test(text)) {
    negative = !negative;
    text = text.slice(0, -1);
  }
  const group = decimal === '.' ? ',' : '.';
  const grouped = new RegExp(`^\\d{1,3}(\\${group}\\d{3})+(\\${decimal}\\d+)?$`);
  if (grouped.test(text)) text = text.split(group).join('');
  if (!new RegExp(`^\\d+(\\${decimal}\\d+)?$`).test(text)) fail(where, `${what} ${quote(raw)} is not an amount`);
  const minor = decimalToMinor(decimal === ',' ? text.replace(',', '.') : text, currency, where, what);
  return negative ? -minor : minor;
}

function payerAccountOf(value: string | null): PayerAccount | null {
  if (value === null) return null;
  const compact = value.replace(/\s+/g, '');
  return isValidIban(compact) ? { iban: compact, bic: null, other: null } : { iban: null, bic: null, other: value };
}

export function parseCsv(bytes: Buffer, profile: CsvProfile): ParsedStatement {
  const text = decodeText(bytes, profile.encoding === 'utf-8' ? 'utf8' : profile.encoding);
  const delimiter = profile.delimiter ?? guessDelimiter(text);
  const rows = readRows(text, delimiter).slice(profile.skipRows ?? 0);
  if (rows.length === 0) fail('file', 'the CSV file has no rows');

  let resolved: Resolved;
  let data: Row[];
  if (!profile.header) {
    const columns = profile.columns as CsvColumns;
    resolved = resolveColumns(columns, null).resolved;
    data = rows;
  } else {
    // The header is the first row (within a bank's preamble) that names the columns we need.
    let found: { index: number; resolved: Resolved } | null = null;
    let firstMissing: string[] = [];
    for (let i = 0; i < Math.min(rows.length, 30) && found === null; i++) {
      const header = (rows[i] as Row).cells;
      if (profile.columns === 'auto') {
        const guessed = guessColumns(header);
        if (guessed) found = { index: i, resolved: guessed };
      } else {
        const attempt = resolveColumns(profile.columns, header);
        if (attempt.missing.length === 0) found = { index: i, resolved: attempt.resolved };
        else if (i === 0) firstMissing = attempt.missing;
      }
    }
    if (found === null) {
      const header = (rows[0] as Row).cells.map(quote).join(', ');
      if (profile.columns === 'auto') {
        fail(
          `line ${(rows[0] as Row).line}`,
          `cannot tell which columns hold the date and the amount (first row: ${header}); choose a bank profile or map the columns`,
        );
      }
      fail(`line ${(rows[0] as Row).line}`, `no header row has ${firstMissing.join(', ')} (first row: ${header}); is this the right profile?`);
    }
    resolved = found.resolved;
    data = rows.slice(found.index + 1);
  }

  if (profile.currency === undefined && resolved.currency === undefined) {
    fail('file', `the file has no currency column; the profile ${quote(profile.name)} must state the currency`);
  }
  const cell = (row: Row, index: number | undefined): string | null => (index === undefined ? null : nonEmpty(row.cells[index]));
  const amountIndexes = [resolved.amount, resolved.credit, resolved.debit].filter((i): i is number => i !== undefined);
  const decimal =
    profile.decimal ??
    guessDecimal(
      data.flatMap((row) => amountIndexes.map((i) => row.cells[i] ?? '')),
      delimiter,
    );
  const dateValues = data.map((row) => cell(row, resolved.date)).filter((value): value is string => value !== null);
  const dateFormat = profile.dateFormat ? compileDateFormat(profile.dateFormat) : guessDateFormat(dateValues);

  const drafts: DraftLine[] = [];
  for (const row of data) {
    const where = `line ${row.line}`;
    const needed = Math.max(...amountIndexes, resolved.date ?? 0);
    if (row.cells.length <= needed) fail(where, `the row has ${row.cells.length} columns, fewer than the ${needed + 1} the profile reads`);
    const dateText = cell(row, resolved.date);
    if (dateText === null) fail(where, 'the date is empty');
    const bookingDate = readDate(dateText, dateFormat);
    if (bookingDate === null) fail(where, `date ${quote(dateText)} is not a date in the format ${dateFormat.text}`);
    const valueDateText = cell(row, resolved.valueDate);
    const valueDate = valueDateText === null ? null : readDate(valueDateText, dateFormat);
    if (valueDateText !== null && valueDate === null) fail(where, `value date ${quote(valueDateText)} is not a date in the format ${dateFormat.text}`);
    const currency = requireCurrency(profile.currency ?? cell(row, resolved.currency), where, 'the row');

    let signed: number | null;
    if (resolved.amount !== undefined) {
      signed = csvAmount(row.cells[resolved.amount] ?? '', decimal, currency, where, 'amount');
      if (signed === null) fail(where, 'the amount is empty');
    } else {
      const credit = resolved.credit === undefined ? null : csvAmount(row.cells[resolved.credit] ?? '', decimal, currency, where, 'credit amount');
      const debit = resolved.debit === undefined ? null : csvAmount(row.cells[resolved.debit] ?? '', decimal, currency, where, 'debit amount');
      if (credit !== null && debit !== null && credit !== 0 && debit !== 0) fail(where, 'the row has both a credit and a debit amount');
      if (credit === null && debit === null) fail(where, 'the row has neither a credit nor a debit amount');
      signed = credit !== null && credit !== 0 ? Math.abs(credit) : -Math.abs(debit ?? 0);
    }
    if (signed === 0) continue;

    const parts = [...resolved.description.map((i) => cell(row, i)), cell(row, resolved.reference)].filter((part): part is string => part !== null);
    const bankReference = cell(row, resolved.bankReference);
    const endToEnd = cell(row, resolved.endToEndId);
    const accountText = cell(row, resolved.account);
    const account: StatementAccount =
      accountText !== null && isValidIban(accountText.replace(/\s+/g, ''))
        ? { iban: accountText.replace(/\s+/g, ''), other: null, currency }
        : { iban: null, other: accountText, currency };
    drafts.push({
      where,
      account,
      direction: signed < 0 ? 'debit' : 'credit',
      reversal: false,
      amountMinor: Math.abs(signed),
      currency,
      bookingDate,
      valueDate,
      bankReference,
      endToEndId: endToEnd === 'NOTPROVIDED' ? null : endToEnd,
      structuredReference: null,
      remittanceParts: parts,
      remittance: joinText(parts),
      payerName: cell(row, resolved.payerName),
      payerAccount: payerAccountOf(cell(row, resolved.payerAccount)),
      returnReason: null,
      entryKey: bankReference,
    });
  }

  const lines = finishLines(drafts);
  const account = lines[0]?.account ?? { iban: null, other: null, currency: profile.currency ?? null };
  return {
    format: 'csv',
    formatDetail: `CSV (profile ${profile.name})`,
    fileId: null,
    account,
    statementId: null,
    sequence: null,
    openingBalance: null,
    closingBalance: null,
    lines,
    statements: [
      { where: 'file', account, statementId: null, sequence: null, openingBalance: null, closingBalance: null, firstLine: 0, lineCount: lines.length },
    ],
  };
}
