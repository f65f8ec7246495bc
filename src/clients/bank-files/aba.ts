/**
 * Australian "ABA" (Cemtex) files: the APCA/AusPayNet BECS Direct Entry format that every
 * Australian bank's online banking imports, here for AUD refunds to BSB accounts.
 *
 * A file is one descriptive record (type 0), one detail record (type 1) per payment, and one file
 * total record (type 7). Every record is exactly 120 characters; records end with CR LF.
 * Positions are 1-based and inclusive, as in the specification:
 *
 * Descriptive record (type 0)
 * | pos     | len | field                                   | how written                               |
 * | 1       | 1   | record type                             | '0'                                       |
 * | 2-18    | 17  | blank                                   |                                           |
 * | 19-20   | 2   | reel sequence number                    | '01'                                      |
 * | 21-23   | 3   | user's financial institution            | bank abbreviation, e.g. 'CBA', 'WBC'      |
 * | 24-30   | 7   | blank                                   |                                           |
 * | 31-56   | 26  | name of user supplying file             | left-justified, blank-filled              |
 * | 57-62   | 6   | user identification number (APCA)       | 6 digits                                  |
 * | 63-74   | 12  | description of entries                  | left-justified, blank-filled              |
 * | 75-80   | 6   | date to be processed                    | DDMMYY                                    |
 * | 81-120  | 40  | blank                                   |                                           |
 *
 * Detail record (type 1)
 * | pos     | len | field                                   | how written                               |
 * | 1       | 1   | record type                             | '1'                                       |
 * | 2-8     | 7   | BSB of the account                      | NNN-NNN                                   |
 * | 9-17    | 9   | account number                          | right-justified, blank-filled             |
 * | 18      | 1   | indicator                               | blank (N, W, X, Y: variations, tax)       |
 * | 19-20   | 2   | transaction code                        | 50 credit, 13 debit                       |
 * | 21-30   | 10  | amount in cents                         | right-justified, zero-filled              |
 * | 31-62   | 32  | title of account                        | left-justified, blank-filled              |
 * | 63-80   | 18  | lodgement reference                     | left-justified, blank-filled              |
 * | 81-87   | 7   | trace record BSB (remitter's account)   | NNN-NNN                                   |
 * | 88-96   | 9   | trace record account number             | right-justified, blank-filled             |
 * | 97-112  | 16  | name of remitter                        | left-justified, blank-filled              |
 * | 113-120 | 8   | amount of withholding tax               | '00000000'                                |
 *
 * File total record (type 7)
 * | pos     | len | field                                   | how written                               |
 * | 1       | 1   | record type                             | '7'                                       |
 * | 2-8     | 7   | BSB format filler                       | '999-999'                                 |
 * | 9-20    | 12  | blank                                   |                                           |
 * | 21-30   | 10  | net total (credits minus debits, unsigned) | zero-filled cents                      |
 * | 31-40   | 10  | credit total                            | zero-filled cents                         |
 * | 41-50   | 10  | debit total                             | zero-filled cents                         |
 * | 51-74   | 24  | blank                                   |                                           |
 * | 75-80   | 6   | count of type 1 records                 | zero-filled                               |
 * | 81-120  | 40  | blank                                   |                                           |
 *
 * Text: the format is plain ASCII and upper-case by convention. We write a conservative subset of
 * the BECS character set that every bank's import takes (A-Z 0-9 space & ' ( ) + , - . / : ?),
 * transliterate what has a Latin form (Zoë → ZOE, Ø → O, ß → SS), refuse what has none (see
 * bank-text.ts), and report each change. Account titles longer than 32 characters are cut (the
 * BSB and account number route the money); references and settings that do not fit are refused.
 * validateAbaFile is more lenient about characters (any printable ASCII), as other tools may be.
 */
import { BankTextEncoder, isCalendarDate, type TextChange, type TextRule } from './bank-text.js';

interface Field {
  start: number;
  end: number;
  name: string;
}

function field(start: number, end: number, name: string): Field {
  return { start, end, name };
}

const DESCRIPTIVE = {
  recordType: field(1, 1, 'record type'),
  blank1: field(2, 18, 'blank'),
  reelSequence: field(19, 20, 'reel sequence number'),
  bank: field(21, 23, 'bank abbreviation'),
  blank2: field(24, 30, 'blank'),
  userName: field(31, 56, 'name of user supplying file'),
  apcaNumber: field(57, 62, 'user identification number (APCA)'),
  description: field(63, 74, 'description of entries'),
  processDate: field(75, 80, 'date to be processed'),
  blank3: field(81, 120, 'blank'),
};

const DETAIL = {
  recordType: field(1, 1, 'record type'),
  bsb: field(2, 8, 'BSB'),
  accountNumber: field(9, 17, 'account number'),
  indicator: field(18, 18, 'indicator'),
  transactionCode: field(19, 20, 'transaction code'),
  amount: field(21, 30, 'amount'),
  accountName: field(31, 62, 'title of account'),
  lodgementReference: field(63, 80, 'lodgement reference'),
  traceBsb: field(81, 87, 'trace BSB'),
  traceAccountNumber: field(88, 96, 'trace account number'),
  remitterName: field(97, 112, 'name of remitter'),
  withholdingTax: field(113, 120, 'amount of withholding tax'),
};

const FILE_TOTAL = {
  recordType: field(1, 1, 'record type'),
  bsbFiller: field(2, 8, 'BSB format filler'),
  blank1: field(9, 20, 'blank'),
  netTotal: field(21, 30, 'net total'),
  creditTotal: field(31, 40, 'credit total'),
  debitTotal: field(41, 50, 'debit total'),
  blank2: field(51, 74, 'blank'),
  recordCount: field(75, 80, 'count of type 1 records'),
  blank3: field(81, 120, 'blank'),
};

type Layout = Record<string, Field>;

export const ABA_RECORD_LENGTH = 120;
const CREDIT = '50';
const DEBIT = '13';
const CREDIT_CODES = new Set(['50', '51', '52', '53', '54', '55', '56', '57']);
const MAX_AMOUNT_CENTS = 9_999_999_999; // ten digits: AUD 99,999,999.99
const MAX_RECORD_COUNT = 999_999; // six digits

const ABA_CHARS = /^[A-Z0-9 &'()+,\-./:?]$/;
const rule = (maxLength: number, tooLong: TextRule['tooLong']): TextRule => ({ allowed: ABA_CHARS, upperCase: true, maxLength, tooLong });
const USER_NAME_RULE = rule(26, 'refuse');
const DESCRIPTION_RULE = rule(12, 'refuse');
const REMITTER_NAME_RULE = rule(16, 'refuse');
const ACCOUNT_NAME_RULE = rule(32, 'truncate');
const LODGEMENT_REFERENCE_RULE = rule(18, 'refuse');

export interface AbaPayment {
  bsb: string;
  accountNumber: string;
  accountName: string;
  /** Cents. */
  amountMinor: number;
  /** ISO 4217 code of the refund; anything but AUD is refused (Direct Entry carries AUD only). */
  currency: string;
  /** Shown on the recipient's statement, e.g. the invoice number; at most 18 characters. */
  lodgementReference: string;
}

export interface AbaInput {
  /** "User preferred specification": the name of the user supplying the file as the bank knows it, at most 26 characters. */
  userName: string;
  /** User identification number allocated by APCA and given by the bank: 6 digits. */
  apcaNumber: string;
  /** The bank's 3-letter abbreviation, e.g. 'CBA', 'WBC', 'NAB', 'ANZ'. */
  bankAbbreviation: string;
  /** Description of entries, at most 12 characters, e.g. 'REFUNDS'. */
  description: string;
  /** YYYY-MM-DD, written DDMMYY. */
  processDate: string;
  /** Our account: the trace account returned items go back to, and the remitter name (at most 16) recipients see. */
  remitter: { bsb: string; accountNumber: string; name: string };
  payments: AbaPayment[];
  /** Add a self-balancing debit (code 13) to the remitter account; some banks require it. Default false. */
  balancing?: boolean;
}

interface DetailValues {
  bsb: string;
  accountNumber: string;
  transactionCode: string;
  amountMinor: number;
  accountName: string;
  lodgementReference: string;
}

function compose(layout: Layout, values: Record<string, string>): string {
  let record = '';
  for (const [key, { start, end }] of Object.entries(layout)) {
    const value = values[key] ?? ' '.repeat(end - start + 1);
    // A value of the wrong width would shift every later field: a bug here, never a user's mistake.
    if (value.length !== end - start + 1) throw new Error(`ABA field ${key} must be ${end - start + 1} characters, got ${JSON.stringify(value)}`);
    record += value;
  }
  return record;
}

const zeros = (value: number | bigint, width: number): string => String(value).padStart(width, '0');

/** 062000, 062-000 and '062 000' are the same BSB; the file wants 062-000. */
function normalizeBsb(encoder: BankTextEncoder, bsb: string, field: string): string {
  const digits = bsb.replace(/[\s-]/g, '');
  if (!/^\d{6}$/.test(digits)) {
    encoder.problem(`${field} BSB ${JSON.stringify(bsb)} must be 6 digits (NNN-NNN)`);
    return '000-000';
  }
  return `${digits.slice(0, 3)}-${digits.slice(3)}`;
}

function normalizeAccountNumber(encoder: BankTextEncoder, accountNumber: string, field: string): string {
  const account = accountNumber.replace(/\s/g, '');
  if (!/^[0-9-]{1,9}$/.test(account) || !/[1-9]/.test(account)) {
    encoder.problem(`${field} account number ${JSON.stringify(accountNumber)} must be 1 to 9 digits (hyphens allowed), not all zeros`);
    return '0';
  }
  return account;
}

function formatProcessDate(isoDate: string): string {
  return `${isoDate.slice(8, 10)}${isoDate.slice(5, 7)}${isoDate.slice(2, 4)}`;
}

/**
 * The file and every change made to names and references on the way (transliterations, shortened
 * account titles), for the finance desk to show. Throws BankFileError listing every problem.
 */
export function buildAbaFileWithChanges(input: AbaInput): { file: string; changes: TextChange[] } {
  const encoder = new BankTextEncoder('ABA file');
  const userName = encoder.encode(input.userName, 'user name', USER_NAME_RULE);
  if (!/^\d{6}$/.test(input.apcaNumber)) encoder.problem(`APCA user identification number ${JSON.stringify(input.apcaNumber)} must be 6 digits`);
  if (!/^[A-Z]{3}$/.test(input.bankAbbreviation)) {
    encoder.problem(`bank abbreviation ${JSON.stringify(input.bankAbbreviation)} must be 3 capital letters, e.g. CBA, WBC, NAB, ANZ`);
  }
  const description = encoder.encode(input.description, 'description', DESCRIPTION_RULE);
  if (!isCalendarDate(input.processDate)) encoder.problem(`process date ${JSON.stringify(input.processDate)} is not a YYYY-MM-DD date`);
  const traceBsb = normalizeBsb(encoder, input.remitter.bsb, 'remitter (our account)');
  const traceAccount = normalizeAccountNumber(encoder, input.remitter.accountNumber, 'remitter (our account)');
  const remitterName = encoder.encode(input.remitter.name, 'remitter name', REMITTER_NAME_RULE);

  if (input.payments.length === 0) encoder.problem('there are no refunds to pay');
  let creditTotal = 0n;
  const details: DetailValues[] = input.payments.map((payment, index) => {
    const field = `refund ${index + 1}`;
    if (payment.currency !== 'AUD') encoder.problem(`${field} is in ${payment.currency}; an ABA file carries AUD only`);
    if (!Number.isSafeInteger(payment.amountMinor) || payment.amountMinor < 1 || payment.amountMinor > MAX_AMOUNT_CENTS) {
      encoder.problem(`${field} amount must be between AUD 0.01 and AUD 99,999,999.99 (10 digits of cents), got ${payment.amountMinor} cents`);
    } else {
      creditTotal += BigInt(payment.amountMinor);
    }
    const lodgementReference = encoder.encode(payment.lodgementReference, `${field} lodgement reference`, LODGEMENT_REFERENCE_RULE);
    // Banks strip leading zeros and hyphens from references, so the recipient would see another one.
    if (/^[0-]/.test(lodgementReference)) {
      encoder.problem(`${field} lodgement reference ${JSON.stringify(lodgementReference)} must not start with a zero or a hyphen`);
    }
    return {
      bsb: normalizeBsb(encoder, payment.bsb, field),
      accountNumber: normalizeAccountNumber(encoder, payment.accountNumber, field),
      transactionCode: CREDIT,
      amountMinor: payment.amountMinor,
      accountName: encoder.encode(payment.accountName, `${field} account name`, ACCOUNT_NAME_RULE),
      lodgementReference,
    };
  });

  if (creditTotal > BigInt(MAX_AMOUNT_CENTS)) {
    encoder.problem(`the refunds add up to ${creditTotal} cents, more than the 10-digit total field holds (AUD 99,999,999.99): split them into several files`);
  }
  if (input.balancing === true) {
    // The debit that pays for the credits, drawn from our own account in the same file.
    details.push({
      bsb: traceBsb,
      accountNumber: traceAccount,
      transactionCode: DEBIT,
      amountMinor: Number(creditTotal),
      accountName: userName,
      lodgementReference: description,
    });
  }
  if (details.length > MAX_RECORD_COUNT) encoder.problem(`a file holds at most ${MAX_RECORD_COUNT} detail records, got ${details.length}: split the refunds`);
  encoder.throwIfProblems();

  const debitTotal = input.balancing === true ? creditTotal : 0n;
  const netTotal = creditTotal - debitTotal;
  const records = [
    compose(DESCRIPTIVE, {
      recordType: '0',
      reelSequence: '01',
      bank: input.bankAbbreviation,
      userName: userName.padEnd(26),
      apcaNumber: input.apcaNumber,
      description: description.padEnd(12),
      processDate: formatProcessDate(input.processDate),
    }),
    ...details.map((detail) =>
      compose(DETAIL, {
        recordType: '1',
        bsb: detail.bsb,
        accountNumber: detail.accountNumber.padStart(9),
        indicator: ' ',
        transactionCode: detail.transactionCode,
        amount: zeros(detail.amountMinor, 10),
        accountName: detail.accountName.padEnd(32),
        lodgementReference: detail.lodgementReference.padEnd(18),
        traceBsb,
        traceAccountNumber: traceAccount.padStart(9),
        remitterName: remitterName.padEnd(16),
        withholdingTax: '00000000',
      }),
    ),
    compose(FILE_TOTAL, {
      recordType: '7',
      bsbFiller: '999-999',
      netTotal: zeros(netTotal, 10),
      creditTotal: zeros(creditTotal, 10),
      debitTotal: zeros(debitTotal, 10),
      recordCount: zeros(details.length, 6),
    }),
  ];
  return { file: records.map((record) => `${record}\r\n`).join(''), changes: encoder.changes };
}

/** The ABA file: 120-character records, each ending with CR LF. Throws BankFileError listing every problem. */
export function buildAbaFile(input: AbaInput): string {
  return buildAbaFileWithChanges(input).file;
}

// ------------------------------------------------------------------------------------------------
// Validation of any ABA file, ours or another tool's, by the same layout.

const RECORD_NAMES: Record<string, string> = { '0': 'descriptive record', '1': 'detail record', '7': 'file total record' };

function slice(record: string, { start, end }: Field): string {
  return record.slice(start - 1, end);
}

function where(lineNumber: number, record: string, { start, end, name }: Field): string {
  const kind = RECORD_NAMES[record[0] ?? ''] ?? 'record';
  const positions = start === end ? `position ${start}` : `positions ${start}-${end}`;
  return `line ${lineNumber} (${kind}): ${name} (${positions}) ${JSON.stringify(slice(record, { start, end, name }))}`;
}

function isValidDdmmyy(text: string): boolean {
  const match = /^(\d{2})(\d{2})(\d{2})$/.exec(text);
  return match !== null && isCalendarDate(`20${match[3]}-${match[2]}-${match[1]}`);
}

/**
 * Checks a field against a rule; `ok` is the rule, `must` says it in words.
 */
function check(problems: string[], lineNumber: number, record: string, f: Field, ok: (value: string) => boolean, must: string): void {
  if (!ok(slice(record, f))) problems.push(`${where(lineNumber, record, f)} ${must}`);
}

const isBlank = (value: string): boolean => /^ *$/.test(value);
const isLeftJustifiedText = (value: string): boolean => !isBlank(value) && !value.startsWith(' ');
const isBsb = (value: string): boolean => /^\d{3}-\d{3}$/.test(value);
const isAccountNumber = (value: string): boolean => /^ *[0-9-]+$/.test(value) && /[1-9]/.test(value);

function checkDescriptive(problems: string[], n: number, record: string): void {
  const f = DESCRIPTIVE;
  check(problems, n, record, f.blank1, isBlank, 'must be blank');
  check(problems, n, record, f.reelSequence, (v) => /^\d{2}$/.test(v) && v !== '00', 'must be 2 digits from 01');
  check(problems, n, record, f.bank, (v) => /^[A-Z]{3}$/.test(v), 'must be the 3-letter abbreviation of the bank');
  check(problems, n, record, f.blank2, isBlank, 'must be blank');
  check(problems, n, record, f.userName, isLeftJustifiedText, 'must be text, left-justified');
  check(problems, n, record, f.apcaNumber, (v) => /^\d{6}$/.test(v), 'must be 6 digits');
  check(problems, n, record, f.description, isLeftJustifiedText, 'must be text, left-justified');
  check(problems, n, record, f.processDate, isValidDdmmyy, 'must be a date written DDMMYY');
  check(problems, n, record, f.blank3, isBlank, 'must be blank');
}

function checkDetail(problems: string[], n: number, record: string): void {
  const f = DETAIL;
  check(problems, n, record, f.bsb, isBsb, 'must be a BSB written NNN-NNN');
  check(problems, n, record, f.accountNumber, isAccountNumber, 'must be digits (or hyphens), right-justified, not all zeros');
  check(problems, n, record, f.indicator, (v) => ' NWXY'.includes(v), 'must be blank, N, W, X or Y');
  check(problems, n, record, f.transactionCode, (v) => v === DEBIT || CREDIT_CODES.has(v), 'must be 13 (debit) or 50 to 57 (credit)');
  check(problems, n, record, f.amount, (v) => /^\d{10}$/.test(v) && /[1-9]/.test(v), 'must be 10 digits of cents, more than zero');
  check(problems, n, record, f.accountName, isLeftJustifiedText, 'must be text, left-justified');
  check(problems, n, record, f.lodgementReference, (v) => isBlank(v) || !/^[ 0-]/.test(v), 'must not start with a space, a zero or a hyphen');
  check(problems, n, record, f.traceBsb, isBsb, 'must be a BSB written NNN-NNN');
  check(problems, n, record, f.traceAccountNumber, isAccountNumber, 'must be digits (or hyphens), right-justified, not all zeros');
  check(problems, n, record, f.remitterName, isLeftJustifiedText, 'must be text, left-justified');
  const withholding = 'WXY'.includes(slice(record, f.indicator));
  check(
    problems,
    n,
    record,
    f.withholdingTax,
    (v) => /^\d{8}$/.test(v) && (withholding || v === '00000000'),
    'must be 8 digits, zeros unless the indicator is W, X or Y',
  );
}

function checkFileTotal(problems: string[], n: number, record: string, details: { credit: bigint; debit: bigint; count: number }): void {
  const f = FILE_TOTAL;
  check(problems, n, record, f.bsbFiller, (v) => v === '999-999', "must be '999-999'");
  check(problems, n, record, f.blank1, isBlank, 'must be blank');
  check(problems, n, record, f.blank2, isBlank, 'must be blank');
  check(problems, n, record, f.blank3, isBlank, 'must be blank');
  const net = details.credit >= details.debit ? details.credit - details.debit : details.debit - details.credit;
  const totals: [Field, bigint, string][] = [
    [f.netTotal, net, 'credits minus debits'],
    [f.creditTotal, details.credit, 'the sum of the credit records'],
    [f.debitTotal, details.debit, 'the sum of the debit records'],
  ];
  for (const [totalField, expected, meaning] of totals) {
    const written = slice(record, totalField);
    if (!/^\d{10}$/.test(written)) problems.push(`${where(n, record, totalField)} must be 10 digits of cents`);
    else if (BigInt(written) !== expected) problems.push(`${where(n, record, totalField)} must equal ${meaning}, ${zeros(expected, 10)}`);
  }
  const count = slice(record, f.recordCount);
  if (!/^\d{6}$/.test(count)) problems.push(`${where(n, record, f.recordCount)} must be 6 digits`);
  else if (Number(count) !== details.count)
    problems.push(`${where(n, record, f.recordCount)} must equal the number of detail records, ${zeros(details.count, 6)}`);
}

/**
 * Every rule of the format the file breaks, in words with the line number; empty when valid.
 * Checks: CR LF line ends, 120 characters a record, printable ASCII only, one descriptive record
 * first and one file total record last with detail records between, each field's form, and the
 * file totals and count against the detail records.
 */
export function validateAbaFile(text: string): string[] {
  const problems: string[] = [];
  if (text === '') return ['the file is empty'];

  const records: string[] = [];
  const lineEnd = /\r\n|\n|\r/g;
  let from = 0;
  for (let match = lineEnd.exec(text); match !== null; match = lineEnd.exec(text)) {
    records.push(text.slice(from, match.index));
    if (match[0] !== '\r\n') problems.push(`line ${records.length} ends with ${match[0] === '\n' ? 'LF' : 'CR'} alone; records end with CR LF`);
    from = match.index + match[0].length;
  }
  // The last record may or may not be followed by a line end.
  if (from < text.length) records.push(text.slice(from));

  let credit = 0n;
  let debit = 0n;
  let count = 0;
  records.forEach((record, index) => {
    const n = index + 1;
    const type = record[0] ?? '';
    const isFirst = index === 0;
    const isLast = index === records.length - 1;
    if (record.length !== ABA_RECORD_LENGTH) problems.push(`line ${n} is ${record.length} characters long; every record must be ${ABA_RECORD_LENGTH}`);
    const outside = [...new Set(Array.from(record).filter((char) => char < ' ' || char > '~'))];
    if (outside.length > 0)
      problems.push(`line ${n} has characters outside the ABA character set (printable ASCII): ${outside.map((c) => JSON.stringify(c)).join(', ')}`);

    if (type === '0') {
      if (!isFirst) problems.push(`line ${n} is a descriptive record (type 0); only the first line may be one`);
    } else if (isFirst) {
      problems.push(`line ${n} must be the descriptive record (type 0), found record type ${JSON.stringify(type)}`);
    }
    if (type === '7') {
      if (!isLast) problems.push(`line ${n} is a file total record (type 7); only the last line may be one`);
    } else if (isLast) {
      problems.push(`line ${n} must be the file total record (type 7), found record type ${JSON.stringify(type)}`);
    }
    if (type !== '0' && type !== '1' && type !== '7' && !isFirst && !isLast) problems.push(`line ${n} has an unknown record type ${JSON.stringify(type)}`);

    if (type === '1') {
      count += 1;
      // Totals use whatever amount can be read, so a short record does not also hide a wrong total.
      const code = slice(record, DETAIL.transactionCode);
      const amount = slice(record, DETAIL.amount);
      if (/^\d{10}$/.test(amount)) {
        if (code === DEBIT) debit += BigInt(amount);
        else if (CREDIT_CODES.has(code)) credit += BigInt(amount);
      }
    }
    if (record.length !== ABA_RECORD_LENGTH) return;
    if (type === '0' && isFirst) checkDescriptive(problems, n, record);
    if (type === '1') checkDetail(problems, n, record);
    if (type === '7' && isLast) checkFileTotal(problems, n, record, { credit, debit, count });
  });
  if (count === 0 && records.length > 0) problems.push('the file has no detail records (type 1)');
  return problems;
}
