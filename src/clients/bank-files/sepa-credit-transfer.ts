/**
 * SEPA credit transfer files (ISO 20022 "CustomerCreditTransferInitiation", pain.001) for EUR
 * refunds to IBANs, as uploaded to the institution's online banking. Two versions share one model
 * and one writer, because their structure is the same for what we send:
 *  - pain.001.001.09, the version of the EPC SEPA Credit Transfer implementation guidelines since
 *    the 2019 rulebook (BICFI, and ReqdExctnDt as a Dt/DtTm choice);
 *  - pain.001.001.03, the 2009 version many banks still accept (BIC, and ReqdExctnDt a plain date).
 *
 * Followed from the EPC customer-to-bank guidelines: one payment information block, payment method
 * TRF, service level SEPA, charges SLEV, EUR only, amounts 0.01 to 999,999,999.99 written as exact
 * decimals from cents, names at most 70 characters, unstructured remittance at most 140, and the
 * Latin character set: a-z A-Z 0-9 / - ? : ( ) . , ' + and space. We also keep & < > " in names
 * and remittance (the library writes them as &amp; &lt; &gt; escapes, the form in which the EPC
 * conversion table and the German DK rules let them through), because "Smith & Sons" is a real
 * name; accents are dropped (Zoë → Zoe, ß → ss) and other scripts are refused (see bank-text.ts).
 */
import { create } from 'xmlbuilder2';
import { isValidBic, isValidIban, normalizeBic, normalizeIban } from '../../domain/iban.js';
import { minorToDecimalString } from '../../domain/money.js';
import { BankTextEncoder, isCalendarDate, type TextChange, type TextRule } from './bank-text.js';

export interface SepaParty {
  name: string;
  iban: string;
  bic: string | null;
}

export interface SepaCreditTransferPayment {
  /** Quoted back to the refund's recipient and in the bank's reports; unique within the file. */
  endToEndId: string;
  /** Cents. */
  amountMinor: number;
  /** ISO 4217 code of the refund; anything but EUR is refused (SEPA carries EUR only). */
  currency: string;
  creditor: SepaParty;
  /** Free text shown to the recipient, e.g. 'Refund of invoice INV-000042'; '' for none. */
  remittance: string;
}

export interface SepaCreditTransferInput {
  /** Unique per file (banks refuse a repeated one), max 35 characters of [A-Za-z0-9+?/:().,' -]. */
  messageId: string;
  /** CreDtTm: when the file was made. */
  createdAt: Date;
  /** YYYY-MM-DD: the day the bank should pay. */
  requestedExecutionDate: string;
  /** The institution's own account, debited for the refunds. */
  debtor: SepaParty;
  payments: SepaCreditTransferPayment[];
}

export type SepaCreditTransferVersion = 'pain.001.001.09' | 'pain.001.001.03';

type XMLBuilder = ReturnType<typeof create>;

interface SchemaProfile {
  version: SepaCreditTransferVersion;
  /** Element holding a BIC inside FinInstnId. */
  bicElement: 'BICFI' | 'BIC';
  /** The schema's own BIC pattern, anchored; stricter in 03 (no location code 0/1 first, no 'O' second). */
  bicPattern: RegExp;
  writeExecutionDate(parent: XMLBuilder, date: string): void;
}

const PROFILES: Record<SepaCreditTransferVersion, SchemaProfile> = {
  'pain.001.001.09': {
    version: 'pain.001.001.09',
    bicElement: 'BICFI',
    bicPattern: /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/,
    writeExecutionDate: (parent, date) => void parent.ele('ReqdExctnDt').ele('Dt').txt(date),
  },
  'pain.001.001.03': {
    version: 'pain.001.001.03',
    bicElement: 'BIC',
    bicPattern: /^[A-Z]{6}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?$/,
    writeExecutionDate: (parent, date) => void parent.ele('ReqdExctnDt').txt(date),
  },
};

/** EPC's Latin set plus the XML-escaped & < > ". */
const SEPA_TEXT_CHARS = /^[A-Za-z0-9/\-?:().,'+ &<>"]$/;
const NAME_RULE: TextRule = { allowed: SEPA_TEXT_CHARS, upperCase: false, maxLength: 70, tooLong: 'truncate' };
const REMITTANCE_RULE: TextRule = { allowed: SEPA_TEXT_CHARS, upperCase: false, maxLength: 140, tooLong: 'refuse' };
/** Identifiers are compared by banks and people, so they are checked as given, never changed. */
const IDENTIFIER = /^[A-Za-z0-9+?/:().,' -]{1,35}$/;
const MIN_AMOUNT_CENTS = 1;
const MAX_AMOUNT_CENTS = 99_999_999_999; // EUR 999,999,999.99, the EPC maximum
/** Debtor agent when the BIC is not given, as the EPC guidelines and the German DK rules ask. */
const NOT_PROVIDED = 'NOTPROVIDED';

interface PreparedParty {
  name: string;
  iban: string;
  bic: string | null;
}

interface PreparedFile {
  messageId: string;
  createdAt: string;
  requestedExecutionDate: string;
  debtor: PreparedParty;
  payments: { endToEndId: string; amount: string; creditor: PreparedParty; remittance: string }[];
  numberOfTransactions: string;
  controlSum: string;
  changes: TextChange[];
}

function checkIdentifier(encoder: BankTextEncoder, value: string, field: string): void {
  if (!IDENTIFIER.test(value)) {
    encoder.problem(`${field} ${JSON.stringify(value)} must be 1 to 35 characters of A-Z a-z 0-9 + ? / : ( ) . , ' - and space`);
  } else if (value.startsWith('/') || value.endsWith('/') || value.includes('//') || value !== value.trim()) {
    // EPC: identifiers must not start or end with '/' or contain '//'; edge spaces are copy-paste slips.
    encoder.problem(`${field} ${JSON.stringify(value)} must not start or end with '/' or a space, nor contain '//'`);
  }
}

function prepareParty(encoder: BankTextEncoder, party: SepaParty, field: string, profile: SchemaProfile): PreparedParty {
  const name = encoder.encode(party.name, `${field} name`, NAME_RULE);
  const iban = normalizeIban(party.iban);
  if (!isValidIban(iban)) encoder.problem(`${field} IBAN ${JSON.stringify(party.iban)} is not a valid IBAN (wrong length or check digits)`);
  let bic: string | null = null;
  if (party.bic !== null && party.bic.trim() !== '') {
    bic = normalizeBic(party.bic);
    if (!isValidBic(bic)) encoder.problem(`${field} BIC ${JSON.stringify(party.bic)} is not a valid BIC`);
    else if (!profile.bicPattern.test(bic)) encoder.problem(`${field} BIC ${JSON.stringify(party.bic)} cannot be written in ${profile.version}`);
  }
  return { name, iban, bic };
}

function formatCents(cents: bigint): string {
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

function prepare(input: SepaCreditTransferInput, profile: SchemaProfile): PreparedFile {
  const encoder = new BankTextEncoder(`SEPA credit transfer file (${profile.version})`);
  checkIdentifier(encoder, input.messageId, 'message id');
  if (!(input.createdAt instanceof Date) || Number.isNaN(input.createdAt.getTime())) encoder.problem('creation time is not a valid date and time');
  if (!isCalendarDate(input.requestedExecutionDate)) {
    encoder.problem(`requested execution date ${JSON.stringify(input.requestedExecutionDate)} is not a YYYY-MM-DD date`);
  }
  const debtor = prepareParty(encoder, input.debtor, 'debtor (our account)', profile);
  if (input.payments.length === 0) encoder.problem('there are no refunds to pay');

  const seenIds = new Set<string>();
  let total = 0n;
  const payments = input.payments.map((payment, index) => {
    const field = `refund ${index + 1} (${payment.endToEndId})`;
    checkIdentifier(encoder, payment.endToEndId, `refund ${index + 1} end-to-end id`);
    // The same id twice most likely means the same refund was listed twice: never pay it twice.
    if (seenIds.has(payment.endToEndId)) encoder.problem(`${field} appears more than once in the file`);
    seenIds.add(payment.endToEndId);
    if (payment.currency !== 'EUR') encoder.problem(`${field} is in ${payment.currency}; a SEPA credit transfer carries EUR only`);
    let amount = '';
    if (!Number.isSafeInteger(payment.amountMinor) || payment.amountMinor < MIN_AMOUNT_CENTS || payment.amountMinor > MAX_AMOUNT_CENTS) {
      encoder.problem(`${field} amount must be between EUR 0.01 and EUR 999,999,999.99, got ${payment.amountMinor} cents`);
    } else {
      amount = minorToDecimalString(payment.amountMinor, 'EUR');
      total += BigInt(payment.amountMinor);
    }
    const creditor = prepareParty(encoder, payment.creditor, `${field} recipient`, profile);
    const remittance = payment.remittance.trim() === '' ? '' : encoder.encode(payment.remittance, `${field} remittance text`, REMITTANCE_RULE);
    return { endToEndId: payment.endToEndId, amount, creditor, remittance };
  });
  encoder.throwIfProblems();

  return {
    messageId: input.messageId,
    // Whole seconds in UTC: what every bank's parser accepts for ISODateTime.
    createdAt: input.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    requestedExecutionDate: input.requestedExecutionDate,
    debtor,
    payments,
    numberOfTransactions: String(payments.length),
    controlSum: formatCents(total),
    changes: encoder.changes,
  };
}

function writeAgent(parent: XMLBuilder, element: 'DbtrAgt' | 'CdtrAgt', bic: string | null, profile: SchemaProfile): void {
  const institution = parent.ele(element).ele('FinInstnId');
  if (bic !== null) institution.ele(profile.bicElement).txt(bic);
  else institution.ele('Othr').ele('Id').txt(NOT_PROVIDED);
}

function write(file: PreparedFile, profile: SchemaProfile): string {
  const document = create({ version: '1.0', encoding: 'UTF-8' }).ele(`urn:iso:std:iso:20022:tech:xsd:${profile.version}`, 'Document');
  const initiation = document.ele('CstmrCdtTrfInitn');

  const header = initiation.ele('GrpHdr');
  header.ele('MsgId').txt(file.messageId);
  header.ele('CreDtTm').txt(file.createdAt);
  header.ele('NbOfTxs').txt(file.numberOfTransactions);
  header.ele('CtrlSum').txt(file.controlSum);
  header.ele('InitgPty').ele('Nm').txt(file.debtor.name);

  const block = initiation.ele('PmtInf');
  block.ele('PmtInfId').txt(file.messageId);
  block.ele('PmtMtd').txt('TRF');
  // One statement line per refund, so each can be matched to its ledger entry.
  block.ele('BtchBookg').txt('false');
  block.ele('NbOfTxs').txt(file.numberOfTransactions);
  block.ele('CtrlSum').txt(file.controlSum);
  block.ele('PmtTpInf').ele('SvcLvl').ele('Cd').txt('SEPA');
  profile.writeExecutionDate(block, file.requestedExecutionDate);
  block.ele('Dbtr').ele('Nm').txt(file.debtor.name);
  block.ele('DbtrAcct').ele('Id').ele('IBAN').txt(file.debtor.iban);
  writeAgent(block, 'DbtrAgt', file.debtor.bic, profile);
  block.ele('ChrgBr').txt('SLEV');

  for (const payment of file.payments) {
    const transfer = block.ele('CdtTrfTxInf');
    transfer.ele('PmtId').ele('EndToEndId').txt(payment.endToEndId);
    transfer.ele('Amt').ele('InstdAmt', { Ccy: 'EUR' }).txt(payment.amount);
    // Within SEPA the IBAN is enough; a BIC is sent only when known (IBAN-only rule since 2016).
    if (payment.creditor.bic !== null) writeAgent(transfer, 'CdtrAgt', payment.creditor.bic, profile);
    transfer.ele('Cdtr').ele('Nm').txt(payment.creditor.name);
    transfer.ele('CdtrAcct').ele('Id').ele('IBAN').txt(payment.creditor.iban);
    if (payment.remittance !== '') transfer.ele('RmtInf').ele('Ustrd').txt(payment.remittance);
  }
  return document.end({ prettyPrint: true });
}

/**
 * The file and every change made to names and texts on the way (transliterations, shortened
 * names), for the finance desk to show. Throws BankFileError listing every problem at once.
 */
export function buildSepaCreditTransferWithChanges(
  input: SepaCreditTransferInput,
  version: SepaCreditTransferVersion = 'pain.001.001.09',
): { xml: string; changes: TextChange[] } {
  const profile = PROFILES[version];
  const file = prepare(input, profile);
  return { xml: write(file, profile), changes: file.changes };
}

/** pain.001.001.09 XML, UTF-8. Throws BankFileError listing every problem. */
export function buildSepaCreditTransfer(input: SepaCreditTransferInput): string {
  return buildSepaCreditTransferWithChanges(input, 'pain.001.001.09').xml;
}

/** pain.001.001.03 XML, UTF-8, for banks that do not take version 09 yet. Throws BankFileError. */
export function buildSepaCreditTransferV03(input: SepaCreditTransferInput): string {
  return buildSepaCreditTransferWithChanges(input, 'pain.001.001.03').xml;
}
