/**
 * Bank statement files (camt.052/053/054, MT940, CSV) read into one shape for matching credits to
 * invoices. Pure code: bytes in, a ParsedStatement or a StatementParseError out.
 */
import { minorToDecimalString } from '../../domain/money.js';
import { decodeText, fail } from './common.js';
import { parseCamt } from './camt.js';
import { parseCsv } from './csv.js';
import { BUILT_IN_CSV_PROFILES, type CsvProfile } from './csv-profiles.js';
import { parseMt940 } from './mt940.js';
import type { ParsedStatement, StatementFormat, StatementSection } from './types.js';

export { BUILT_IN_CSV_PROFILES, csvProfileSchema, type ColumnRef, type CsvColumns, type CsvProfile } from './csv-profiles.js';
export {
  StatementParseError,
  type Balance,
  type ParsedStatement,
  type PayerAccount,
  type StatementAccount,
  type StatementFormat,
  type StatementLine,
  type StatementSection,
} from './types.js';

/** From the content, never the file name: an XML root is camt, ":20:"/":61:" fields are MT940, the rest CSV. */
export function detectStatementFormat(bytes: Buffer): StatementFormat {
  return formatOfText(decodeText(bytes.subarray(0, 64 * 1024)));
}

function formatOfText(text: string): StatementFormat {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('<')) return 'camt';
  if (start.startsWith('{1:') || /^:(20|61):/m.test(text)) return 'mt940';
  return 'csv';
}

export function parseStatement(bytes: Buffer, options: { format?: 'auto' | StatementFormat; csvProfile?: CsvProfile } = {}): ParsedStatement {
  const format = options.format === undefined || options.format === 'auto' ? detectStatementFormat(bytes) : options.format;
  if (format === 'csv') return parseCsv(bytes, options.csvProfile ?? (BUILT_IN_CSV_PROFILES.generic as CsvProfile));
  const text = decodeXmlOrText(bytes, format);
  return format === 'camt' ? parseCamt(text) : parseMt940(text);
}

/** XML says its encoding in its declaration; anything but UTF-8 there is decoded as declared. */
function decodeXmlOrText(bytes: Buffer, format: StatementFormat): string {
  const text = decodeText(bytes);
  if (format !== 'camt') return text;
  const declared = /^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']/.exec(text)?.[1]?.toLowerCase();
  if (declared === undefined || declared === 'utf-8' || declared === 'utf8' || declared.startsWith('utf-16')) return text;
  if (declared === 'iso-8859-1' || declared === 'latin1' || declared === 'windows-1252' || declared === 'iso-8859-15') return decodeText(bytes, declared);
  return fail('file', `the XML declares the encoding ${JSON.stringify(declared)}, which we do not read`);
}

function money(minor: number | bigint, currency: string): string {
  return `${currency} ${minorToDecimalString(Number(minor), currency)}`;
}

function sectionProblems(statement: ParsedStatement, section: StatementSection): string[] {
  const { openingBalance: opening, closingBalance: closing } = section;
  if (opening === null || closing === null) return [];
  const label = statement.statements.length > 1 ? `${section.where}: ` : '';
  if (opening.currency !== closing.currency) return [`${label}the opening balance is in ${opening.currency} but the closing balance in ${closing.currency}`];
  let credits = 0n;
  let debits = 0n;
  const foreign: string[] = [];
  for (const line of statement.lines.slice(section.firstLine, section.firstLine + section.lineCount)) {
    if (line.currency !== opening.currency) {
      foreign.push(line.where);
      continue;
    }
    if (line.direction === 'credit') credits += BigInt(line.amountMinor);
    else debits += BigInt(line.amountMinor);
  }
  if (foreign.length > 0) return [`${label}lines ${foreign.join('; ')} are not in the balance currency ${opening.currency}`];
  const expected = BigInt(opening.amountMinor) + credits - debits;
  if (expected === BigInt(closing.amountMinor)) return [];
  const currency = opening.currency;
  return [
    `${label}opening balance ${money(opening.amountMinor, currency)} plus credits ${money(credits, currency)} minus debits ${money(debits, currency)} ` +
      `is ${money(expected, currency)}, but the closing balance is ${money(closing.amountMinor, currency)} (a difference of ${money(BigInt(closing.amountMinor) - expected, currency)}): ` +
      'lines may be missing from the file',
  ];
}

/** Opening + credits − debits must equal the closing balance of each statement that states both; and consecutive statements of one account must join up. */
export function balanceProblems(statement: ParsedStatement): string[] {
  const problems = statement.statements.flatMap((section) => sectionProblems(statement, section));
  const lastClosing = new Map<string, StatementSection>();
  for (const section of statement.statements) {
    const key = `${section.account.iban ?? ''}|${section.account.other ?? ''}`;
    const previous = lastClosing.get(key);
    const opening = section.openingBalance;
    const closing = previous?.closingBalance;
    if (previous && opening && closing && opening.currency === closing.currency && opening.amountMinor !== closing.amountMinor) {
      problems.push(
        `${section.where} opens with ${money(opening.amountMinor, opening.currency)} but ${previous.where} closed with ${money(closing.amountMinor, closing.currency)}: a statement may be missing between them`,
      );
    }
    if (section.closingBalance) lastClosing.set(key, section);
  }
  return problems;
}
