/** Helpers shared by the statement parsers: exact amounts, calendar dates, text decoding, line keys. */
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { currencyInfo } from '../../domain/currencies.js';
import { parseDecimalAmount } from '../../domain/money.js';
import { StatementParseError, type StatementAccount, type StatementLine } from './types.js';

export function fail(where: string, problem: string): never {
  throw new StatementParseError(where, problem);
}

/** Quotes a value from the file for a message, shortened so a megabyte of junk stays readable. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

export function requireCurrency(code: string | null | undefined, where: string, what: string): string {
  const trimmed = (code ?? '').trim();
  if (trimmed === '') fail(where, `${what} has no currency`);
  if (currencyInfo(trimmed) === undefined) fail(where, `${what} currency ${quote(trimmed)} is not an ISO 4217 code`);
  return trimmed;
}

/**
 * Unsigned decimal text with a '.' separator (camt "1234.50", already normalised MT940/CSV text) to
 * exact minor units of `currency`. `what` names the element or column for the message.
 */
export function decimalToMinor(text: string, currency: string, where: string, what: string): number {
  const result = parseDecimalAmount(text, currency);
  if (result.ok) return result.minor;
  switch (result.error) {
    case 'too_many_decimals':
      return fail(where, `${what} ${quote(text)} has more decimals than ${currency} has minor units`);
    case 'too_large':
      return fail(where, `${what} ${quote(text)} is too large`);
    default:
      return fail(where, `${what} ${quote(text)} is not an amount`);
  }
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

export function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Calendar date from parts, or null when no such day exists (31 April, 29 February 2026). */
export function makeDate(year: number, month: number, day: number): string | null {
  return isRealDate(year, month, day) ? formatDate(year, month, day) : null;
}

/** ISO date or date-time text ("2026-04-15", "2026-04-15T09:30:00+10:00"): the date as written. */
export function isoDatePart(text: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(text.trim());
  if (!match) return null;
  return makeDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

/**
 * Bytes to text for a file whose encoding we are not told: a BOM decides (UTF-8, UTF-16 LE/BE);
 * otherwise valid UTF-8 is UTF-8 and anything else is Windows-1252 (a superset of Latin-1's printable
 * characters, and what European bank exports mean when they say "ANSI").
 */
export function decodeText(bytes: Buffer, encoding?: string): string {
  if (encoding !== undefined && encoding !== 'auto') {
    const stripped = stripBom(bytes, encoding);
    if (!iconv.encodingExists(encoding)) fail('file', `unknown encoding ${quote(encoding)}`);
    return iconv.decode(stripped, encoding, { stripBOM: true });
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(bytes.subarray(2), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(bytes.subarray(2), 'utf-16be');
  const bomless16 = guessBomlessUtf16(bytes);
  if (bomless16) return iconv.decode(bytes, bomless16);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, 'windows-1252');
  }
}

function stripBom(bytes: Buffer, encoding: string): Buffer {
  const lower = encoding.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (lower === 'utf8' && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3);
  return bytes;
}

/** ASCII text in UTF-16 without a BOM has a zero in every other byte; which half tells the order. */
function guessBomlessUtf16(bytes: Buffer): 'utf-16le' | 'utf-16be' | null {
  const sample = bytes.subarray(0, Math.min(bytes.length, 512) & ~1);
  if (sample.length < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.length; i += 2) {
    if (sample[i] === 0) evenZeros++;
    if (sample[i + 1] === 0) oddZeros++;
  }
  const pairs = sample.length / 2;
  if (oddZeros > pairs * 0.6 && evenZeros === 0) return 'utf-16le';
  if (evenZeros > pairs * 0.6 && oddZeros === 0) return 'utf-16be';
  return null;
}

export function accountKey(account: StatementAccount): string {
  return account.iban ?? account.other ?? '';
}

export function nonEmpty(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Line fields before the file-wide index and key are known. */
export type DraftLine = Omit<StatementLine, 'index' | 'dedupeKey'> & {
  /** The bank's id of the entry when the file has one; null makes the key a content hash. */
  entryKey: string | null;
};

/**
 * Numbers the lines and gives each a stable key. With the bank's entry reference the key is that
 * reference on its account; without one it is a SHA-256 of what the line says, plus a counter for
 * identical lines in one file (two learners paying the same price on the same day without a
 * reference are two payments, not a duplicate).
 */
export function finishLines(drafts: DraftLine[]): StatementLine[] {
  const seen = new Map<string, number>();
  return drafts.map((draft, index) => {
    const { entryKey, ...line } = draft;
    const account = accountKey(line.account);
    let dedupeKey: string;
    if (entryKey !== null) {
      dedupeKey = `${account}|ref:${entryKey}`;
    } else {
      const signed = `${line.direction === 'debit' ? '-' : ''}${line.amountMinor}`;
      const digest = createHash('sha256')
        .update(JSON.stringify([account, line.bookingDate, signed, line.currency, line.remittance]))
        .digest('hex');
      dedupeKey = `${account}|sha256:${digest}`;
    }
    const count = (seen.get(dedupeKey) ?? 0) + 1;
    seen.set(dedupeKey, count);
    if (count > 1) dedupeKey = `${dedupeKey}#${count}`;
    return { index, ...line, dedupeKey };
  });
}

export function joinText(parts: Array<string | null | undefined>): string {
  return parts
    .map((part) => (part ?? '').replace(/\s+/g, ' ').trim())
    .filter((part) => part !== '')
    .join(' ');
}
