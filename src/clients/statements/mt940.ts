/**
 * SWIFT MT940 customer statements, as exported by bank portals: optional SWIFT blocks
 * ({1:…}{2:…}{4: … -}), several statements per file, :86: as free text, as the German DK
 * structure (GVC?00…?20…?32…) or as SWIFT-style /EREF/ /REMI/ /NAME/ codes.
 *
 * Our own parser rather than mt940js: amounts must be read exactly from the text (mt940js gives JS
 * floats), every error must name the line it is on, and :86: needs the structured readings above.
 */
import { isValidBic, isValidIban } from '../../domain/iban.js';
import { decimalToMinor, fail, finishLines, joinText, makeDate, nonEmpty, quote, requireCurrency, type DraftLine } from './common.js';
import { fileBalances } from './camt.js';
import type { Balance, ParsedStatement, PayerAccount, StatementAccount, StatementSection } from './types.js';

interface Field {
  tag: string;
  line: number;
  /** The field's lines without the ":tag:" prefix. */
  lines: string[];
}

/** Splits the text into fields; block headers, trailers and separators are dropped. */
function readFields(text: string): Field[] {
  const fields: Field[] = [];
  let current: Field | null = null;
  text.split(/\r\n|\r|\n/).forEach((rawLine, i) => {
    const lineNumber = i + 1;
    let line = rawLine;
    // "{1:F01BANKDEFFAXXX0000000000}{2:O940…}{4:" before the first field, possibly on its own line.
    const blocks = /^(\{[1-3]:[^}]*\})+(\{4:)?/.exec(line);
    if (blocks) line = line.slice(blocks[0].length);
    if (line.startsWith('{4:')) line = line.slice(3);
    if (/^-\}/.test(line) || /^\{5:/.test(line) || line.trim() === '-' || line.trim() === '') {
      current = null;
      return;
    }
    const tagged = /^:(\d{2}[A-Z]?):(.*)$/.exec(line);
    if (tagged) {
      current = { tag: tagged[1] as string, line: lineNumber, lines: [tagged[2] as string] };
      fields.push(current);
      return;
    }
    if (current === null) fail(`line ${lineNumber}`, `${quote(line)} is not inside an MT940 field`);
    current.lines.push(line);
  });
  return fields;
}

/** "1234,56" or "1234," to exact minor units; MT940 always writes a decimal comma. */
function mtAmount(text: string, currency: string, where: string): number {
  if (!/^\d+,\d*$/.test(text)) fail(where, `amount ${quote(text)} is not an MT940 amount (digits with a decimal comma)`);
  const decimal = text.endsWith(',') ? text.slice(0, -1) : text.replace(',', '.');
  return decimalToMinor(decimal, currency, where, 'amount');
}

function yymmdd(text: string, where: string, what: string): string {
  const year = Number(text.slice(0, 2));
  // MT940 has two-digit years; statements from before 1980 are not something anyone uploads.
  const date = makeDate(year < 80 ? 2000 + year : 1900 + year, Number(text.slice(2, 4)), Number(text.slice(4, 6)));
  if (date === null) fail(where, `${what} ${quote(text)} is not a date (YYMMDD)`);
  return date;
}

function readBalance(field: Field): Balance {
  const where = `line ${field.line}`;
  const value = field.lines.join('').trim();
  const match = /^([CD])(\d{6})([A-Z]{3})(.*)$/.exec(value);
  if (!match) fail(where, `:${field.tag}: ${quote(value)} is not a balance (C or D, YYMMDD, currency, amount)`);
  const currency = requireCurrency(match[3], where, `:${field.tag}:`);
  const minor = mtAmount((match[4] as string).trim(), currency, where);
  return { amountMinor: match[1] === 'D' ? -minor : minor, currency, date: yymmdd(match[2] as string, where, 'date') };
}

function readAccount(field: Field, currency: string | null): StatementAccount {
  const value = field.lines.join('').trim();
  const compact = value.replace(/\s+/g, '');
  // Some banks append the currency to the IBAN ("DE89370400440532013000EUR").
  const withoutCurrency = /^(.*?)([A-Z]{3})$/.exec(compact);
  const iban = isValidIban(compact) ? compact : withoutCurrency && isValidIban(withoutCurrency[1] as string) ? (withoutCurrency[1] as string) : null;
  return { iban, other: iban === null ? value : null, currency };
}

interface StatementLineFacts {
  valueDate: string;
  bookingDate: string;
  direction: 'credit' | 'debit';
  reversal: boolean;
  amountMinor: number;
  customerReference: string | null;
  bankReference: string | null;
  supplementary: string | null;
}

/** The entry date has no year: it is the one of the value date's year and its neighbours nearest to it. */
function entryDate(valueDate: string, mmdd: string, where: string): string {
  const year = Number(valueDate.slice(0, 4));
  const valueTime = Date.parse(valueDate);
  const candidates = [year - 1, year, year + 1]
    .map((y) => makeDate(y, Number(mmdd.slice(0, 2)), Number(mmdd.slice(2, 4))))
    .filter((date): date is string => date !== null);
  if (candidates.length === 0) fail(where, `entry date ${quote(mmdd)} is not a date (MMDD)`);
  return candidates.reduce((best, date) => (Math.abs(Date.parse(date) - valueTime) < Math.abs(Date.parse(best) - valueTime) ? date : best));
}

function readStatementLine(field: Field, currency: string): StatementLineFacts {
  const where = `line ${field.line}`;
  const first = field.lines[0] ?? '';
  // value date, [entry date], C/D/RC/RD, [funds code], amount, type (N/F/S + 3), rest
  const match = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d+,\d*)([NFS][A-Z0-9]{3})(.*)$/.exec(first);
  if (!match) fail(where, `:61: ${quote(first)} is not a statement line (YYMMDD[MMDD]C/D amount type reference)`);
  const valueDate = yymmdd(match[1] as string, where, 'value date');
  const mark = match[3] as string;
  const rest = match[7] as string;
  const split = rest.indexOf('//');
  const customerReference = nonEmpty(split === -1 ? rest : rest.slice(0, split));
  const bankReference = split === -1 ? null : nonEmpty(rest.slice(split + 2));
  return {
    valueDate,
    bookingDate: match[2] ? entryDate(valueDate, match[2], where) : valueDate,
    // RC is the reversal of a credit, so money leaves the account; RD brings it back.
    direction: mark === 'C' || mark === 'RD' ? 'credit' : 'debit',
    reversal: mark === 'RC' || mark === 'RD',
    amountMinor: mtAmount(match[5] as string, currency, where),
    customerReference: customerReference === 'NONREF' ? null : customerReference,
    bankReference: bankReference === 'NONREF' ? null : bankReference,
    supplementary: nonEmpty(field.lines.slice(1).join(' ')),
  };
}

interface InformationFacts {
  bookingText: string | null;
  parts: string[];
  /** What a person reads; for the DK structure the SVWZ text with its 27-character cuts mended. */
  text: string;
  endToEndId: string | null;
  structuredReference: string | null;
  payerName: string | null;
  payerAccount: PayerAccount | null;
  returnReason: string | null;
}

function account(iban: string | null, bic: string | null, other: string | null): PayerAccount | null {
  return iban === null && bic === null && other === null ? null : { iban, bic, other };
}

function classifyAccount(value: string | null, bankCode: string | null): PayerAccount | null {
  const compact = value?.replace(/\s+/g, '') ?? null;
  const bic = bankCode !== null && isValidBic(bankCode) ? bankCode : null;
  if (compact !== null && isValidIban(compact)) return account(compact, bic, null);
  const other = bic === null && bankCode !== null && compact !== null ? `${bankCode}/${compact}` : compact;
  return account(null, bic, other);
}

const SEPA_KEYWORDS = /(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+/g;

/** German DK structure: GVC code, then "?NN" subfields (the separator may be another character). */
function readGermanStructure(text: string, separator: string): InformationFacts {
  const subfields = new Map<string, string[]>();
  const pattern = new RegExp(`\\${separator}(\\d{2})`, 'g');
  const marks = [...text.matchAll(pattern)];
  marks.forEach((mark, i) => {
    const start = (mark.index ?? 0) + mark[0].length;
    const end = marks[i + 1]?.index ?? text.length;
    const code = mark[1] as string;
    subfields.set(code, [...(subfields.get(code) ?? []), text.slice(start, end)]);
  });
  const one = (code: string): string | null => nonEmpty(subfields.get(code)?.join(''));
  const purposeCodes = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '60', '61', '62', '63'];
  const parts = purposeCodes.flatMap((code) => subfields.get(code) ?? []).filter((part) => part.trim() !== '');
  // SEPA keywords (EREF+, SVWZ+) run across the purpose lines, which are cut at 27 characters.
  const purpose = parts.join('');
  const keyed = new Map<string, string>();
  const keywords = [...purpose.matchAll(SEPA_KEYWORDS)];
  keywords.forEach((keyword, i) => {
    const start = (keyword.index ?? 0) + keyword[0].length;
    keyed.set(keyword[1] as string, purpose.slice(start, keywords[i + 1]?.index ?? purpose.length).trim());
  });
  const endToEnd = nonEmpty(keyed.get('EREF'));
  const name32 = subfields.get('32')?.join('') ?? '';
  const name33 = subfields.get('33')?.join('') ?? '';
  // ?32 holds 27 characters; a full ?32 means the name was cut there and ?33 continues it.
  const payerName = nonEmpty(name32.length >= 27 ? name32 + name33 : joinText([name32, name33]));
  const svwz = keyed.get('SVWZ') ?? '';
  const rf = /\bRF\d{2}[A-Z0-9]{1,21}\b/.exec(svwz.replace(/\s+/g, ''));
  return {
    bookingText: one('00'),
    parts: parts.map((part) => part.trim()),
    text: keyed.has('SVWZ') ? joinText([svwz, keyed.get('ABWA')]) : joinText(parts),
    endToEndId: endToEnd === 'NOTPROVIDED' ? null : endToEnd,
    structuredReference: rf && svwz.replace(/\s+/g, '') === rf[0] ? rf[0] : null,
    payerName,
    payerAccount: classifyAccount(one('31'), one('30')),
    returnReason: null,
  };
}

const SWIFT_CODES = [
  'TRTP',
  'IBAN',
  'BIC',
  'NAME',
  'REMI',
  'EREF',
  'ORDP',
  'BENM',
  'CSID',
  'MARF',
  'PREF',
  'RTRN',
  'ISDT',
  'SVCL',
  'ADDR',
  'CNTP',
  'PURP',
  'ULTD',
  'ULTC',
  'ULTB',
  'OCMT',
  'CHGS',
  'FX',
  'BUSP',
  'ID',
  'KREF',
  'MREF',
  'CREF',
  'CITY',
  'ACCW',
];

/** "/CODE/value/CODE/value" as Dutch and other banks write :86: (codes from the SWIFT/ING/Rabobank guides). */
function readSwiftCodes(text: string): InformationFacts {
  const pattern = new RegExp(`/(${SWIFT_CODES.join('|')})/`, 'g');
  const marks = [...text.matchAll(pattern)];
  const values = new Map<string, string>();
  marks.forEach((mark, i) => {
    const start = (mark.index ?? 0) + mark[0].length;
    const end = marks[i + 1]?.index ?? text.length;
    const code = mark[1] as string;
    if (!values.has(code)) values.set(code, text.slice(start, end).replace(/\/+$/, '').trim());
  });
  let remittance = values.get('REMI') ?? '';
  let structuredReference: string | null = null;
  const strd = /^STRD\/(?:CUR|ISO|SCOR)?\/?(.+)$/.exec(remittance);
  if (strd) {
    structuredReference = nonEmpty(strd[1]);
    remittance = '';
  } else {
    remittance = remittance.replace(/^USTD\/\/?/, '');
  }
  const counterparty = (values.get('CNTP') ?? '').split('/');
  const endToEnd = nonEmpty(values.get('EREF'));
  return {
    bookingText: nonEmpty(values.get('TRTP')),
    parts: remittance.trim() === '' ? [] : [remittance.trim()],
    text: remittance.trim(),
    endToEndId: endToEnd === 'NOTPROVIDED' ? null : endToEnd,
    structuredReference,
    payerName: nonEmpty(values.get('NAME')) ?? nonEmpty(counterparty[2]),
    payerAccount: classifyAccount(nonEmpty(values.get('IBAN')) ?? nonEmpty(counterparty[0]), nonEmpty(values.get('BIC')) ?? nonEmpty(counterparty[1])),
    returnReason: nonEmpty(values.get('RTRN')?.split('/')[0]),
  };
}

function readInformation(field: Field): InformationFacts {
  const joined = field.lines.join('');
  const german = /^\d{3}([^\w\s])\d{2}/.exec(joined);
  if (german) return readGermanStructure(joined, german[1] as string);
  if (/^\/[A-Z]{2,4}\//.test(joined)) return readSwiftCodes(joined);
  const parts = field.lines.map((line) => line.trim()).filter((line) => line !== '');
  return {
    bookingText: null,
    parts,
    text: joinText(parts),
    endToEndId: null,
    structuredReference: null,
    payerName: null,
    payerAccount: null,
    returnReason: null,
  };
}

interface OpenStatement {
  where: string;
  reference: string | null;
  sequence: string | null;
  account: StatementAccount | null;
  accountField: Field | null;
  opening: Balance | null;
  closing: Balance | null;
  firstLine: number;
}

export function parseMt940(text: string): ParsedStatement {
  const fields = readFields(text);
  if (fields.length === 0) fail('file', 'no MT940 fields (":20:", ":61:") were found');
  const drafts: DraftLine[] = [];
  const sections: StatementSection[] = [];
  let statement: OpenStatement | null = null;
  let pending: { facts: StatementLineFacts; field: Field } | null = null;

  const flushLine = (information: Field | null): void => {
    if (pending === null || statement === null) return;
    const { facts, field } = pending;
    pending = null;
    if (facts.amountMinor === 0) return;
    const info = information ? readInformation(information) : null;
    const parts = info?.parts ?? [];
    const bankReference = facts.bankReference;
    drafts.push({
      where: `line ${field.line}`,
      account: statement.account as StatementAccount,
      direction: facts.direction,
      reversal: facts.reversal || (info?.returnReason ?? null) !== null,
      amountMinor: facts.amountMinor,
      currency: (statement.opening as Balance).currency,
      bookingDate: facts.bookingDate,
      valueDate: facts.valueDate,
      bankReference,
      endToEndId: info?.endToEndId ?? null,
      structuredReference: info?.structuredReference ?? null,
      remittanceParts: parts,
      remittance: joinText([info?.text, info?.bookingText, facts.customerReference, facts.supplementary]),
      payerName: info?.payerName ?? null,
      payerAccount: info?.payerAccount ?? null,
      returnReason: info?.returnReason ?? null,
      entryKey: bankReference === null ? null : `${bankReference}|${facts.bookingDate}|${facts.direction === 'debit' ? '-' : ''}${facts.amountMinor}`,
    });
  };

  const closeStatement = (endLine: number): void => {
    if (statement === null) return;
    flushLine(null);
    if (statement.closing === null) fail(`line ${endLine}`, `the ${statement.where} ends without a closing balance (:62F:)`);
    sections.push({
      where: statement.where,
      account: statement.account as StatementAccount,
      statementId: statement.reference,
      sequence: statement.sequence,
      openingBalance: statement.opening,
      closingBalance: statement.closing,
      firstLine: statement.firstLine,
      lineCount: drafts.length - statement.firstLine,
    });
    statement = null;
  };

  for (const field of fields) {
    const where = `line ${field.line}`;
    const value = field.lines.join('\n').trim();
    if (field.tag === '20') {
      closeStatement(field.line);
      statement = {
        where: `statement at ${where}`,
        reference: nonEmpty(value),
        sequence: null,
        account: null,
        accountField: null,
        opening: null,
        closing: null,
        firstLine: drafts.length,
      };
      continue;
    }
    if (statement === null) fail(where, `:${field.tag}: comes before the statement's :20: reference`);
    switch (field.tag) {
      case '21':
        break;
      case '25':
        statement.accountField = field;
        break;
      case '28':
      case '28C':
        statement.sequence = nonEmpty(value);
        break;
      case '60F':
      case '60M':
        statement.opening = readBalance(field);
        statement.account = readAccount(
          statement.accountField ?? fail(where, 'the opening balance comes before the account (:25:)'),
          statement.opening.currency,
        );
        break;
      case '61': {
        flushLine(null);
        if (statement.opening === null) fail(where, 'a statement line (:61:) comes before the opening balance (:60F:)');
        if (statement.closing !== null) fail(where, 'a statement line (:61:) comes after the closing balance (:62F:)');
        pending = { facts: readStatementLine(field, statement.opening.currency), field };
        break;
      }
      case '86':
        // After :62F: an :86: speaks about the whole statement, not a line.
        flushLine(pending === null ? null : field);
        break;
      case '62F':
      case '62M':
        flushLine(null);
        if (statement.opening === null) fail(where, 'the closing balance comes before the opening balance (:60F:)');
        statement.closing = readBalance(field);
        if (statement.closing.currency !== statement.opening.currency)
          fail(where, `closing balance currency ${statement.closing.currency} differs from the opening balance's ${statement.opening.currency}`);
        break;
      case '64':
      case '65':
        break;
      default:
        fail(where, `:${field.tag}: is not an MT940 field`);
    }
  }
  const lastLine = text.split(/\r\n|\r|\n/).length;
  if (statement !== null && (statement as OpenStatement).closing === null) {
    fail(`line ${lastLine}`, `the file ends inside the ${(statement as OpenStatement).where}, before its closing balance (:62F:): is it truncated?`);
  }
  closeStatement(lastLine);

  const first = sections[0];
  if (!first) return fail('file', 'no MT940 statement (:20:) was found');
  return {
    format: 'mt940',
    formatDetail: 'MT940',
    fileId: [first.statementId, first.sequence].filter((part) => part !== null).join('/') || null,
    account: first.account,
    statementId: first.statementId,
    sequence: first.sequence,
    ...fileBalances(sections),
    lines: finishLines(drafts),
    statements: sections,
  };
}
