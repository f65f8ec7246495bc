/**
 * Matches the credit lines of an uploaded bank statement to open invoices. Pure: the caller loads
 * the open invoices, builds an index once per statement, and asks about each line.
 *
 * Order of the rules, for each line:
 *  1. Which invoices does the payer name? Payment references (plain or RF) anywhere in the
 *     structured reference, the remittance text (also across two remittance parts) or the
 *     EndToEndId, accepted only when their check digits are valid; and invoice numbers.
 *  2. For one named invoice: compare the amount and currency with the balance due.
 *  3. For several named invoices: split the transfer when the balances add up.
 *  4. Nothing usable named: suggestions only (same amount, payer name, an organisation's invoices
 *     adding up to the amount, a reference cut short by the bank), never chosen automatically.
 *
 * Everything a line needs is a Map lookup (by reference, by invoice sequence, by currency and
 * balance, by name token, by organisation), so 10,000 lines against 100,000 open invoices take
 * about a second on a small machine (bench/statement-matching.bench.ts).
 */
import { currencyInfo } from './currencies.js';
import { mod97CheckDigits } from './iban.js';
import { formatInvoiceNumber } from './invoice.js';
import { formatMoney } from './money.js';
import {
  formatCreditorReference,
  formatPaymentReference,
  isValidCreditorReference,
  isValidPaymentReference,
  toCreditorReference,
} from './payment-reference.js';
import { toleranceMinor, type PaymentTolerance } from './payment-tolerance.js';

export interface OpenInvoice {
  id: number;
  number: string;
  paymentReference: string;
  currency: string;
  totalMinor: number;
  /** Still due, > 0. */
  balanceMinor: number;
  buyerName: string;
  buyerOrganisation: string | null;
  issueDate: string;
}

export interface MatchableLine {
  amountMinor: number;
  currency: string;
  remittance: string;
  remittanceParts: string[];
  structuredReference: string | null;
  endToEndId: string | null;
  payerName: string | null;
  bookingDate: string;
}

export interface Allocation {
  invoiceId: number;
  /** Money from this line applied to the invoice; the allocations of a line add up to its amount. */
  amountMinor: number;
  /** Proposed write-off of a shortfall within the tolerance (amount + writeOff - overpaid = balance). */
  writeOffMinor: number;
  /** Paid beyond the balance, within the tolerance. */
  overpaidMinor: number;
}

export interface Suggestion {
  invoiceIds: number[];
  /** 0..1, higher is more likely; only for ordering, never a reason to select automatically. */
  score: number;
  reasons: string[];
}

export type LineMatch =
  | { kind: 'exact'; allocations: Allocation[]; evidence: string[] }
  | { kind: 'amount_differs'; invoiceId: number; amountMinor: number; /** line - balance, signed */ differenceMinor: number; evidence: string[] }
  | { kind: 'suggested'; suggestions: Suggestion[] }
  | { kind: 'unmatched'; reason: string };

// ---------------------------------------------------------------------------------------------
// Finding references and invoice numbers in text
// ---------------------------------------------------------------------------------------------

const REFERENCE_LENGTH = 11;
const BODY_LENGTH = 9;
/** formatInvoiceNumber pads the sequence to this many digits. */
const PADDED_SEQ_LENGTH = 6;
const MAX_SEQ_DIGITS = 9;

/**
 * A run of digit groups separated by what payers put inside references (spaces, dashes, dots,
 * slashes, underscores), optionally preceded by 'RF' (not glued to a word, so 'SURF 12' is not
 * one). Letters and other punctuation end a run, so 'REF:12345678978' and 'INV12345678978' still
 * give the digits. Digits and separators are disjoint classes: no catastrophic backtracking.
 */
const DIGIT_RUN = /(?:(?<![A-Z])RF[\s\-./_]*)?\d+(?:[\s\-./_]+\d+)*/g;
const GROUP_SEPARATORS = /[\s\-./_]+/;

type Source = 'structured' | 'remittance' | 'parts' | 'endToEnd';

const SOURCE_WORDS: Record<Source, string> = {
  structured: 'the structured reference',
  remittance: 'the remittance text',
  parts: 'the remittance text, split across two lines',
  endToEnd: 'the EndToEndId',
};

interface FoundReference {
  plain: string;
  creditor: boolean;
  written: string;
  source: Source;
}

interface FoundNumber {
  seq: number;
  written: string;
  source: Source;
}

/**
 * Digits that look like one of our references but cannot be validated: the text ends after 9 or
 * 10 of them (the bank cut it), or 11 digits whose check digits fail (a typo, maybe in the check
 * digits themselves). Their first 9 digits determine exactly one reference, which may only lead
 * to a suggestion.
 */
interface ReferenceHint {
  digits: string;
  why: 'cut' | 'check';
  written: string;
  source: Source;
}

interface Findings {
  references: FoundReference[];
  numbers: FoundNumber[];
  hints: ReferenceHint[];
}

/** Uppercase, full-width digits and letters folded to ASCII (NFKC): what the scanners read. */
function scanForm(text: string): string {
  return (/^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFKC')).toUpperCase();
}

function isAsciiDigitsStartingNonZero(digits: string): boolean {
  return digits.length > 0 && digits.charCodeAt(0) !== 48;
}

/**
 * Plain references in a run: any consecutive groups with exactly 11 digits together, so
 * '1234 5678 978', '123-456-789-78' and '12345678978' all count, and a reference next to other
 * numbers ('Tel 0412 345 678 ref 1234 5678 978') is still found. A reference glued to other
 * digits without a separator cannot be told apart and is not found. Groups that make up 11 digits
 * starting with 1-9 (valid or not) are marked in `covered`: they belong to a reference.
 */
function scanPlainGroups(groups: string[], from: number, covered: boolean[], written: string, endsText: boolean, source: Source, out: Findings): void {
  for (let start = from; start < groups.length; start++) {
    let digits = '';
    let end = start;
    for (; end < groups.length; end++) {
      digits += groups[end];
      if (digits.length >= REFERENCE_LENGTH) break;
    }
    if (!isAsciiDigitsStartingNonZero(digits)) continue;
    const shown = () => groups.slice(start, Math.min(end, groups.length - 1) + 1).join(' ');
    if (digits.length === REFERENCE_LENGTH) {
      for (let i = start; i <= end; i++) covered[i] = true;
      if (isValidPaymentReference(digits)) out.references.push({ plain: digits, creditor: false, written, source });
      else out.hints.push({ digits, why: 'check', written: shown(), source });
    } else if (endsText && digits.length >= BODY_LENGTH && digits.length < REFERENCE_LENGTH) {
      out.hints.push({ digits, why: 'cut', written: shown(), source });
    }
  }
}

function scanRun(run: string, endsText: boolean, source: Source, out: Findings): void {
  const afterRf = run.startsWith('RF');
  const groups = (afterRf ? run.slice(2).replace(/^[\s\-./_]+/, '') : run).split(GROUP_SEPARATORS);
  const covered = new Array<boolean>(groups.length).fill(false);
  scanReferenceGroups(groups, afterRf, covered, run, endsText, source, out);
  // A zero-padded invoice number without its prefix ('000042', see numberPattern), unless its
  // digits are part of a reference (a reference split over two parts can show '…031902').
  groups.forEach((group, i) => {
    if (covered[i] || group.length !== PADDED_SEQ_LENGTH || group.charCodeAt(0) !== 48) return;
    const seq = Number(group);
    if (seq > 0) out.numbers.push({ seq, written: group, source });
  });
}

function scanReferenceGroups(groups: string[], afterRf: boolean, covered: boolean[], run: string, endsText: boolean, source: Source, out: Findings): void {
  if (!afterRf) return scanPlainGroups(groups, 0, covered, run, endsText, source, out);

  // RF form: 'RF' + 2 check digits + our 11 digits, ending where a group ends ('RF74 1234 5678 978',
  // 'RF7412345678978'). Both checks must pass: a wrong RF check rejects the digits inside too.
  const compact = groups.join('');
  let boundary = 0;
  let groupsUsed = 0;
  while (groupsUsed < groups.length && boundary < 2 + REFERENCE_LENGTH) boundary += groups[groupsUsed++]!.length;
  if (boundary === 2 + REFERENCE_LENGTH) {
    const creditor = `RF${compact.slice(0, 2 + REFERENCE_LENGTH)}`;
    const plain = creditor.slice(4);
    if (isValidCreditorReference(creditor) && isValidPaymentReference(plain)) out.references.push({ plain, creditor: true, written: run, source });
    covered.fill(true, 0, groupsUsed);
    scanPlainGroups(groups, groupsUsed, covered, run, endsText, source, out);
    return;
  }
  const before = out.references.length;
  scanPlainGroups(groups, 0, covered, run, endsText, source, out);
  // 'RF74 1234 5678 9' at the end of the text: the bank cut it inside the reference.
  if (out.references.length === before && endsText && compact.length >= 2 + BODY_LENGTH && compact.length < 2 + REFERENCE_LENGTH) {
    out.hints.push({ digits: compact.slice(2), why: 'cut', written: run, source });
  }
}

const numberPatterns = new Map<string, RegExp | null>();

/**
 * Invoice numbers: `prefix + zero-padded sequence` ('INV-000042'). Payers drop or change the
 * separators, the case and the leading zeros ('INV42', 'inv 42', 'Inv. no 000042'), so the
 * prefix's letters and digits are matched with any separators between them, then the sequence.
 *
 * A bare number is NOT taken as an invoice number: '42' is just as likely a street number, a
 * quantity or part of a date. It counts only when it looks like an invoice number:
 *  - written after the prefix (the prefix must contain a letter: an all-digit prefix such as
 *    '2026-' is indistinguishable from dates and amounts), or
 *  - written alone as exactly the 6 zero-padded digits the invoice shows ('000042'): the leading
 *    zeros are what makes it recognisable (postcodes, house numbers and amounts do not have
 *    them). Sequences past 999,999 have no padding and are only found with their prefix.
 */
function numberPattern(prefix: string): RegExp | null {
  let pattern = numberPatterns.get(prefix);
  if (pattern === undefined) {
    const core = prefix.toUpperCase().replace(/[^A-Z0-9]/g, '');
    pattern = /[A-Z]/.test(core)
      ? new RegExp(`(?<![A-Z0-9])${[...core].join('[\\s\\-./_]*')}[\\s\\-./_#:]*(?:NO\\.?\\s*|NR\\.?\\s*)?(\\d{1,${MAX_SEQ_DIGITS}})(?!\\d)`, 'g')
      : null;
    numberPatterns.set(prefix, pattern);
  }
  return pattern;
}

/** 'INV 1234 5678 978' is a reference after the word INV, not invoice 1234. */
function startsWithReference(text: string): boolean {
  const run = /^\d+(?:[\s\-./_]+\d+)*/.exec(text)?.[0] ?? '';
  let digits = '';
  for (const group of run.split(GROUP_SEPARATORS)) {
    digits += group;
    if (digits.length >= REFERENCE_LENGTH) break;
  }
  return digits.length === REFERENCE_LENGTH && isValidPaymentReference(digits);
}

function scanText(text: string, source: Source, prefix: string, out: Findings): void {
  if (text === '') return;
  const scanned = scanForm(text);
  // Numbers written with their prefix first: the evidence then quotes 'INV-000042', not '000042'.
  const pattern = numberPattern(prefix);
  if (pattern !== null) {
    for (const match of scanned.matchAll(pattern)) {
      const seq = Number(match[1]);
      const digitsAt = match.index + match[0].length - (match[1] ?? '').length;
      if (seq > 0 && !startsWithReference(scanned.slice(digitsAt))) out.numbers.push({ seq, written: match[0], source });
    }
  }
  const end = scanned.trimEnd().length;
  for (const match of scanned.matchAll(DIGIT_RUN)) {
    scanRun(match[0], match.index + match[0].length === end, source, out);
  }
}

/** Every text of a line worth reading, in order of trust (as the bank-statement notes rank them). */
function scanLine(line: MatchableLine, prefix: string): Findings {
  const out: Findings = { references: [], numbers: [], hints: [] };
  if (line.structuredReference) scanText(line.structuredReference, 'structured', prefix, out);
  scanText(line.remittance, 'remittance', prefix, out);
  const parts = line.remittanceParts;
  for (const part of parts) if (!line.remittance.includes(part)) scanText(part, 'remittance', prefix, out);
  // A reference split over two remittance parts: try each neighbouring pair joined without and
  // with a separator (the bank may have broken the reference inside a group or between groups).
  for (let i = 0; i + 1 < parts.length; i++) {
    scanText(`${parts[i]}${parts[i + 1]}`, 'parts', prefix, out);
    scanText(`${parts[i]} ${parts[i + 1]}`, 'parts', prefix, out);
  }
  if (line.endToEndId && line.endToEndId.toUpperCase() !== 'NOTPROVIDED') scanText(line.endToEndId, 'endToEnd', prefix, out);
  return out;
}

export interface ReferencesFound {
  /** Payment references with valid check digits (plain 11 digits), in order of appearance, once each. */
  references: string[];
  /** Invoice sequence numbers found as invoice numbers, with the number they make under `prefix`. */
  invoiceNumbers: { seq: number; number: string }[];
}

function summarise(findings: Findings, prefix: string): ReferencesFound {
  const references = [...new Set(findings.references.map((r) => r.plain))];
  const seqs = [...new Set(findings.numbers.map((n) => n.seq))];
  return { references, invoiceNumbers: seqs.map((seq) => ({ seq, number: formatInvoiceNumber(prefix, seq) })) };
}

/**
 * The valid references and invoice numbers in a text, whether or not their invoices are open, so
 * the caller can say "reference of INV-000042, which is already paid".
 */
export function referencesIn(text: string, prefix: string): ReferencesFound {
  const findings: Findings = { references: [], numbers: [], hints: [] };
  scanText(text, 'remittance', prefix, findings);
  return summarise(findings, prefix);
}

/** The same for every text of a statement line (structured reference, remittance parts, EndToEndId). */
export function referencesInLine(line: MatchableLine, prefix: string): ReferencesFound {
  return summarise(scanLine(line, prefix), prefix);
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** Scripts written without spaces between words: compared by character pairs instead of words. */
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]+/gu;

/**
 * Legal forms, titles and filler words that say nothing about who paid ('ACME PTY LTD' and
 * 'BETA PTY LTD' share 'pty ltd'). The CJK entries are the character pairs of 有限公司 (limited
 * company), 株式会社 (joint-stock company) and 集团 (group).
 */
const NAME_STOPWORDS = new Set(
  (
    'pty ltd limited inc incorporated llc llp lp plc gmbh ag kg ug mbh sa sas sarl srl spa bv nv oy ab as aps kk sdn bhd pte tbk co corp corporation ' +
    'company and the of und et de mr mrs ms miss dr prof 有限 限公 公司 株式 式会 会社 集团'
  ).split(' '),
);

const FOLDED_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', ı: 'i', þ: 'th' };

/**
 * Words of a name, comparable across case, diacritics, word order and scripts: 'José Müller',
 * 'MULLER JOSE' and 'müller, josé' give the same set. Marks are removed after NFKD and the
 * result recomposed (NFC) so Hangul syllables stay whole. Chinese, Japanese, Thai... have no
 * spaces between words, so their runs give overlapping character pairs (王小明 -> 王小, 小明),
 * which lets a name match inside a longer text without a dictionary.
 */
export function nameTokens(name: string): string[] {
  let text: string;
  if (/^[\x00-\x7f]*$/.test(name)) text = name.toLowerCase();
  else
    text = name
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .normalize('NFC')
      .toLowerCase()
      .replace(/[ßæœøđðłıþ]/g, (c) => FOLDED_LETTERS[c] ?? c)
      .replace(UNSPACED_SCRIPT, (run) => {
        const chars = [...run];
        if (chars.length === 1) return ` ${run} `;
        const pairs: string[] = [];
        for (let i = 0; i + 1 < chars.length; i++) pairs.push(chars[i]! + chars[i + 1]!);
        return ` ${pairs.join(' ')} `;
      });
  const tokens = new Set<string>();
  for (const word of text.split(/[^\p{L}\p{N}]+/u)) if (word !== '' && !NAME_STOPWORDS.has(word)) tokens.add(word);
  return [...tokens];
}

/**
 * Token overlap as the Dice coefficient: 2 x shared tokens / (tokens of one + tokens of the
 * other), 0..1. Simple and script-agnostic. 'ZHANG WEI' ~ 'Wei Zhang' is 1, 'SMITH' ~ 'John
 * Smith' 0.67, 'OLIVER JENKINS' ~ 'Oliver Smith' 0.5. A name counts from NAME_THRESHOLD (0.6):
 * both words of a two-word name must agree, one word is enough only against one or two.
 */
function nameSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let shared = 0;
  for (const token of a) if (b.includes(token)) shared++;
  return (2 * shared) / (a.length + b.length);
}

const NAME_THRESHOLD = 0.6;

// ---------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------

/** An organisation as payers write it: its tokens sorted, so word order and legal form do not matter. */
interface Organisation {
  tokens: string[];
  key: string;
}

export interface MatchIndex {
  readonly invoicePrefix: string;
  readonly size: number;
  /** Open invoices by plain payment reference. */
  readonly byReference: ReadonlyMap<string, OpenInvoice>;
  /** Open invoices by invoice sequence (the digits of the number). */
  readonly bySeq: ReadonlyMap<number, OpenInvoice>;
  /** Open invoices by currency, then balance due. */
  readonly byAmount: ReadonlyMap<string, ReadonlyMap<number, readonly OpenInvoice[]>>;
  /** The invoices as given, their learners' name tokens (same positions), and positions by name token. */
  readonly invoices: readonly OpenInvoice[];
  readonly learnerTokens: readonly (readonly string[])[];
  readonly byNameToken: ReadonlyMap<string, readonly number[]>;
  /** Distinct organisations, their positions by token, and their invoices by `currency|key`, most recent first. */
  readonly organisations: readonly Organisation[];
  readonly organisationTokens: readonly (readonly string[])[];
  readonly byOrganisationToken: ReadonlyMap<string, readonly number[]>;
  readonly byOrganisation: ReadonlyMap<string, readonly OpenInvoice[]>;
  /** Shared-token counts while one line is matched (matching is synchronous), zeroed after use. */
  readonly entryCounts: Uint8Array;
  readonly organisationCounts: Uint8Array;
}

const organisationKey = (currency: string, key: string) => `${currency}|${key}`;

/** The sequence of an invoice number: what follows the prefix, or else its trailing digits. */
function sequenceOf(number: string, prefix: string): number | null {
  const digits = number.startsWith(prefix) ? number.slice(prefix.length) : (/(\d+)$/.exec(number)?.[1] ?? '');
  if (digits.length === 0 || digits.length > 15) return null;
  let seq = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    seq = seq * 10 + digit;
  }
  return seq > 0 ? seq : null;
}

function pushTo<K>(map: Map<K, number[]>, key: K, at: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [at]);
  else if (list[list.length - 1] !== at) list.push(at);
}

const newestFirst = (a: OpenInvoice, b: OpenInvoice) => (a.issueDate < b.issueDate ? 1 : a.issueDate > b.issueDate ? -1 : b.id - a.id);

export function buildMatchIndex(invoices: readonly OpenInvoice[], options: { invoicePrefix: string }): MatchIndex {
  const byReference = new Map<string, OpenInvoice>();
  const bySeq = new Map<number, OpenInvoice>();
  const byAmount = new Map<string, Map<number, OpenInvoice[]>>();
  const byNameToken = new Map<string, number[]>();
  const learnerTokens: string[][] = [];
  const organisations: Organisation[] = [];
  const organisationByText = new Map<string, Organisation | null>();
  const organisationByKey = new Map<string, number>();
  const byOrganisationToken = new Map<string, number[]>();
  const byOrganisation = new Map<string, OpenInvoice[]>();
  // Names repeat: tokenise each distinct text once (the arrays are shared and never changed).
  const tokenised = new Map<string, string[]>();
  for (const invoice of invoices) {
    byReference.set(invoice.paymentReference, invoice);
    const seq = sequenceOf(invoice.number, options.invoicePrefix);
    if (seq !== null) bySeq.set(seq, invoice);
    let inCurrency = byAmount.get(invoice.currency);
    if (inCurrency === undefined) byAmount.set(invoice.currency, (inCurrency = new Map()));
    const sameAmount = inCurrency.get(invoice.balanceMinor);
    if (sameAmount === undefined) inCurrency.set(invoice.balanceMinor, [invoice]);
    else sameAmount.push(invoice);

    let tokens = tokenised.get(invoice.buyerName);
    if (tokens === undefined) tokenised.set(invoice.buyerName, (tokens = nameTokens(invoice.buyerName)));
    const at = learnerTokens.length;
    learnerTokens.push(tokens);
    for (const token of tokens) pushTo(byNameToken, token, at);

    if (!invoice.buyerOrganisation) continue;
    let organisation = organisationByText.get(invoice.buyerOrganisation);
    if (organisation === undefined) {
      const orgTokens = nameTokens(invoice.buyerOrganisation);
      const key = [...orgTokens].sort().join(' ');
      const known = organisationByKey.get(key);
      if (orgTokens.length === 0) organisation = null;
      else if (known !== undefined) organisation = organisations[known]!;
      else {
        organisation = { tokens: orgTokens, key };
        organisationByKey.set(key, organisations.length);
        for (const token of orgTokens) pushTo(byOrganisationToken, token, organisations.length);
        organisations.push(organisation);
      }
      organisationByText.set(invoice.buyerOrganisation, organisation);
    }
    if (organisation === null) continue;
    const key = organisationKey(invoice.currency, organisation.key);
    const members = byOrganisation.get(key);
    if (members === undefined) byOrganisation.set(key, [invoice]);
    else members.push(invoice);
  }
  for (const members of byOrganisation.values()) members.sort(newestFirst);
  return {
    invoicePrefix: options.invoicePrefix,
    size: invoices.length,
    byReference,
    bySeq,
    byAmount,
    invoices,
    learnerTokens,
    byNameToken,
    organisations,
    organisationTokens: organisations.map((organisation) => organisation.tokens),
    byOrganisationToken,
    byOrganisation,
    entryCounts: new Uint8Array(invoices.length),
    organisationCounts: new Uint8Array(organisations.length),
  };
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/** Money for sentences; a code we do not know (a bank's typo) is shown raw rather than throwing. */
function money(minor: number, currency: string): string {
  return currencyInfo(currency) === undefined ? `${currency} ${minor} (minor units)` : formatMoney(minor, currency);
}

function toleranceOf(invoice: OpenInvoice, tolerance: PaymentTolerance): number {
  return toleranceMinor(tolerance, invoice.currency, invoice.totalMinor);
}

function currencyReason(line: MatchableLine, invoice: OpenInvoice): string {
  return `paid in ${line.currency}, invoice in ${invoice.currency}`;
}

interface Named {
  invoice: OpenInvoice;
  evidence: string[];
}

/** The open invoices a line names, in order of trust and appearance, with how each was found. */
function namedInvoices(index: MatchIndex, findings: Findings): Named[] {
  const named = new Map<number, Named>();
  const add = (invoice: OpenInvoice, sentence: string) => {
    const entry = named.get(invoice.id);
    if (entry === undefined) named.set(invoice.id, { invoice, evidence: [sentence] });
    else if (!entry.evidence.includes(sentence)) entry.evidence.push(sentence);
  };
  const seenReferences = new Set<string>();
  for (const found of findings.references) {
    if (seenReferences.has(found.plain)) continue;
    seenReferences.add(found.plain);
    const invoice = index.byReference.get(found.plain);
    if (invoice === undefined) continue;
    const shown = found.creditor
      ? `Creditor reference ${formatCreditorReference(toCreditorReference(found.plain))}`
      : `Reference ${formatPaymentReference(found.plain)}`;
    add(invoice, `${shown} found in ${SOURCE_WORDS[found.source]}`);
  }
  const seenNumbers = new Set<number>();
  for (const found of findings.numbers) {
    if (seenNumbers.has(found.seq)) continue;
    seenNumbers.add(found.seq);
    const invoice = index.bySeq.get(found.seq);
    if (invoice === undefined) continue;
    const written = found.written.trim();
    const as = written.toUpperCase() === invoice.number.toUpperCase() ? '' : ` (written "${written}")`;
    add(invoice, `Invoice number ${invoice.number} found in ${SOURCE_WORDS[found.source]}${as}`);
  }
  return [...named.values()];
}

function matchOne(line: MatchableLine, named: Named, tolerance: PaymentTolerance): LineMatch {
  const { invoice, evidence } = named;
  if (invoice.currency !== line.currency) {
    return { kind: 'suggested', suggestions: [{ invoiceIds: [invoice.id], score: 0.8, reasons: [...evidence, currencyReason(line, invoice)] }] };
  }
  const difference = line.amountMinor - invoice.balanceMinor;
  const balance = money(invoice.balanceMinor, invoice.currency);
  if (difference === 0) {
    return {
      kind: 'exact',
      allocations: [{ invoiceId: invoice.id, amountMinor: line.amountMinor, writeOffMinor: 0, overpaidMinor: 0 }],
      evidence: [...evidence, 'Amount equals the balance due'],
    };
  }
  const gap = money(Math.abs(difference), invoice.currency);
  if (Math.abs(difference) <= toleranceOf(invoice, tolerance)) {
    const short = difference < 0;
    return {
      kind: 'exact',
      allocations: [{ invoiceId: invoice.id, amountMinor: line.amountMinor, writeOffMinor: short ? -difference : 0, overpaidMinor: short ? 0 : difference }],
      evidence: [
        ...evidence,
        short
          ? `Amount is ${gap} less than the balance due ${balance}, within the payment tolerance: write off ${gap}`
          : `Amount is ${gap} more than the balance due ${balance}, within the payment tolerance: ${gap} overpaid`,
      ],
    };
  }
  return {
    kind: 'amount_differs',
    invoiceId: invoice.id,
    amountMinor: line.amountMinor,
    differenceMinor: difference,
    evidence: [
      ...evidence,
      difference < 0 ? `Partial payment: ${gap} less than the balance due ${balance}` : `Overpayment: ${gap} more than the balance due ${balance}`,
    ],
  };
}

/** Shares `difference` out over invoices in order, none taking more than its own cap. */
function shareOut(difference: number, caps: readonly number[]): number[] {
  let left = difference;
  return caps.map((cap) => {
    const share = Math.min(cap, left);
    left -= share;
    return share;
  });
}

/**
 * One transfer naming several invoices: split when their balances add up to the amount, or
 * differ by no more than the invoices' tolerances together. Each write-off (or overpayment)
 * stays within its own invoice's tolerance, so it is one a finance user could make by hand.
 */
function matchSeveral(line: MatchableLine, named: Named[], tolerance: PaymentTolerance): LineMatch {
  const evidence = named.flatMap((n) => n.evidence);
  const ids = named.map((n) => n.invoice.id);
  const foreign = named.filter((n) => n.invoice.currency !== line.currency);
  if (foreign.length > 0) {
    const reasons = [...new Set(foreign.map((n) => currencyReason(line, n.invoice)))];
    return { kind: 'suggested', suggestions: [{ invoiceIds: ids, score: 0.7, reasons: [...evidence, ...reasons] }] };
  }
  const balances = named.map((n) => n.invoice.balanceMinor);
  const caps = named.map((n) => toleranceOf(n.invoice, tolerance));
  const total = balances.reduce((a, b) => a + b, 0);
  const difference = line.amountMinor - total;
  const capTotal = caps.reduce((a, b) => a + b, 0);
  const summary = `${named.length} invoices named, balances due add up to ${money(total, line.currency)}`;
  if (Math.abs(difference) <= capTotal) {
    const shares = shareOut(Math.abs(difference), caps);
    const allocations = named.map((n, i) => {
      const share = shares[i] ?? 0;
      const writeOffMinor = difference < 0 ? share : 0;
      const overpaidMinor = difference > 0 ? share : 0;
      return { invoiceId: n.invoice.id, amountMinor: n.invoice.balanceMinor - writeOffMinor + overpaidMinor, writeOffMinor, overpaidMinor };
    });
    const tail =
      difference === 0
        ? 'Amount equals their total'
        : `Amount is ${money(Math.abs(difference), line.currency)} ${difference < 0 ? 'less' : 'more'} than their total, within the payment tolerance`;
    return { kind: 'exact', allocations, evidence: [...evidence, summary, tail] };
  }

  // The payer named more (or other) invoices than the amount covers: offer what does add up.
  const suggestions: Suggestion[] = [];
  const window = toleranceMinor(tolerance, line.currency, line.amountMinor);
  const items = named.map((n) => ({ id: n.invoice.id, value: n.invoice.balanceMinor }));
  for (const subset of subsetsAddingUp(items, line.amountMinor - window, line.amountMinor + window, 1, 3, SUBSET_NODE_LIMIT)) {
    const sum = subset.reduce((a, id) => a + (named.find((n) => n.invoice.id === id)?.invoice.balanceMinor ?? 0), 0);
    const what = subset.length === 1 ? 'One of the invoices named has a balance due of' : `${subset.length} of the invoices named add up to`;
    suggestions.push({ invoiceIds: subset, score: 0.85, reasons: [...evidence, `${what} ${money(sum, line.currency)}`] });
  }
  suggestions.push({
    invoiceIds: ids,
    score: 0.6,
    reasons: [...evidence, `${summary}; the transfer is ${money(line.amountMinor, line.currency)}`],
  });
  return { kind: 'suggested', suggestions };
}

/**
 * Sets of items (positive values) whose sum lies in [low, high], each of at least `minSize`
 * items, found by depth-first search over the values from largest to smallest, pruned when the
 * sum passes `high` or when all remaining values cannot reach `low`. At most `maxSolutions`
 * sets; the search stops after `nodeLimit` steps, so a set that exists may be missed when many
 * combinations come close (it stays a suggestion problem for the finance clerk, never wrong).
 */
function subsetsAddingUp(
  items: { id: number; value: number }[],
  low: number,
  high: number,
  minSize: number,
  maxSolutions: number,
  nodeLimit = 20_000,
): number[][] {
  const sorted = [...items].sort((a, b) => b.value - a.value || a.id - b.id);
  const suffix: number[] = new Array<number>(sorted.length + 1).fill(0);
  for (let i = sorted.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + sorted[i]!.value;
  const solutions: number[][] = [];
  const chosen: number[] = [];
  let nodes = 0;
  const visit = (at: number, sum: number): void => {
    if (solutions.length >= maxSolutions || ++nodes > nodeLimit) return;
    if (sum >= low && sum <= high && chosen.length >= minSize) {
      solutions.push([...chosen]);
      return;
    }
    if (at >= sorted.length || sum + suffix[at]! < low) return;
    const item = sorted[at]!;
    if (sum + item.value <= high) {
      chosen.push(item.id);
      visit(at + 1, sum + item.value);
      chosen.pop();
    }
    visit(at + 1, sum);
  };
  visit(0, 0);
  return solutions;
}

/** Beyond this many open invoices of one amount, "same amount" alone says nothing. */
const MAX_SAME_AMOUNT = 20;
/** A name token found in more invoices than this (a common first name) does not select candidates. */
const MAX_TOKEN_POSTINGS = 10_000;
/** Most invoices a line offers by name (best first), so a common surname costs a bounded amount. */
const MAX_NAME_MATCHES = 50;
/** Payer names are short; more words than this are ignored (and shared counts fit a byte). */
const MAX_PAYER_TOKENS = 32;
/**
 * Subset sums look at the MAX_ORGANISATION_INVOICES most recent open invoices of at most
 * MAX_ORGANISATIONS organisations like the payer, and stop after SUBSET_NODE_LIMIT steps each.
 */
const MAX_ORGANISATION_INVOICES = 30;
const MAX_ORGANISATIONS = 3;
const SUBSET_NODE_LIMIT = 20_000;
const MAX_SUGGESTIONS = 10;

interface NameMatch {
  invoice: OpenInvoice;
  score: number;
  reason: string;
}

interface OrganisationMatch {
  members: readonly OpenInvoice[];
  score: number;
}

/**
 * Counts, through a token index, how many of the payer's tokens each candidate shares, and scores
 * only those whose count can reach NAME_THRESHOLD (the Dice coefficient cannot exceed
 * 2 x shared / (payer tokens + candidate tokens)). Tokens in more than `maxPostings` candidates
 * (a frequent first name) say nothing alone and are skipped.
 */
function similarByTokens(
  payer: readonly string[],
  byToken: ReadonlyMap<string, readonly number[]>,
  counts: Uint8Array,
  tokensAt: readonly (readonly string[])[],
  maxPostings: number,
): { at: number; score: number }[] {
  const touched: number[] = [];
  for (const token of payer) {
    const postings = byToken.get(token);
    if (postings === undefined || postings.length > maxPostings) continue;
    for (const at of postings) {
      const count = counts[at] ?? 0;
      if (count === 0) touched.push(at);
      counts[at] = count + 1;
    }
  }
  const found: { at: number; score: number }[] = [];
  for (const at of touched) {
    const shared = counts[at] ?? 0;
    counts[at] = 0;
    const tokens = tokensAt[at]!;
    if ((2 * shared) / (payer.length + tokens.length) < NAME_THRESHOLD) continue;
    const score = nameSimilarity(payer, tokens);
    if (score >= NAME_THRESHOLD) found.push({ at, score });
  }
  return found;
}

/** Learners like the payer (best first, same amount first), and organisations like the payer in the line's currency. */
function payerMatches(index: MatchIndex, line: MatchableLine): { learners: NameMatch[]; organisations: OrganisationMatch[] } {
  const payer = line.payerName ? nameTokens(line.payerName).slice(0, MAX_PAYER_TOKENS) : [];
  if (payer.length === 0) return { learners: [], organisations: [] };
  const learners = similarByTokens(payer, index.byNameToken, index.entryCounts, index.learnerTokens, MAX_TOKEN_POSTINGS)
    .map(({ at, score }) => ({ invoice: index.invoices[at]!, score }))
    .filter(({ invoice }) => invoice.currency === line.currency);
  const sameAmount = (invoice: OpenInvoice) => (invoice.balanceMinor === line.amountMinor ? 1 : 0);
  learners.sort((a, b) => sameAmount(b.invoice) - sameAmount(a.invoice) || b.score - a.score || a.invoice.id - b.invoice.id);
  // Organisations are few and distinct: every token counts, however common.
  const organisations = similarByTokens(payer, index.byOrganisationToken, index.organisationCounts, index.organisationTokens, Infinity)
    .map(({ at, score }) => ({ members: index.byOrganisation.get(organisationKey(line.currency, index.organisations[at]!.key)) ?? [], score }))
    .filter((match) => match.members.length > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_ORGANISATIONS);
  return {
    learners: learners
      .slice(0, MAX_NAME_MATCHES)
      .map(({ invoice, score }) => ({ invoice, score, reason: `payer '${line.payerName}' ~ learner '${invoice.buyerName}'` })),
    organisations,
  };
}

function suggest(index: MatchIndex, line: MatchableLine, tolerance: PaymentTolerance, findings: Findings): LineMatch {
  const byKey = new Map<string, Suggestion>();
  const offer = (invoiceIds: number[], score: number, reasons: string[]) => {
    const key = invoiceIds.join(',');
    const rounded = Math.round(score * 100) / 100;
    const existing = byKey.get(key);
    if (existing === undefined) byKey.set(key, { invoiceIds, score: rounded, reasons });
    else if (rounded > existing.score) byKey.set(key, { invoiceIds, score: rounded, reasons: [...new Set([...reasons, ...existing.reasons])] });
  };

  // A reference the bank cut short, or with wrong check digits: its first 9 digits give exactly
  // one reference; offered only when that open invoice has exactly the transferred amount.
  for (const hint of findings.hints) {
    const body = hint.digits.slice(0, BODY_LENGTH);
    const reference = body + mod97CheckDigits(`${body}00`);
    // A 10th visible digit is the first check digit: it must agree.
    if (hint.why === 'cut' && !reference.startsWith(hint.digits)) continue;
    const invoice = index.byReference.get(reference);
    if (invoice === undefined || invoice.currency !== line.currency || invoice.balanceMinor !== line.amountMinor) continue;
    const written = hint.written.trim();
    const what =
      hint.why === 'cut'
        ? `${SOURCE_WORDS[hint.source]} ends with "${written}", the start of reference ${formatPaymentReference(reference)} of ${invoice.number} (cut by the bank?)`
        : `"${written}" in ${SOURCE_WORDS[hint.source]} fails its check digits; its first 9 digits are those of reference ${formatPaymentReference(reference)} of ${invoice.number} (typo?)`;
    offer([invoice.id], 0.9, [what, 'same amount']);
  }

  const { learners, organisations } = payerMatches(index, line);
  const names: NameMatch[] = [...learners];
  for (const organisation of organisations) {
    for (const invoice of organisation.members.slice(0, MAX_NAME_MATCHES)) {
      names.push({ invoice, score: organisation.score, reason: `payer '${line.payerName}' ~ organisation '${invoice.buyerOrganisation ?? ''}'` });
    }
  }
  const nameOf = new Map<number, NameMatch>();
  for (const name of names) {
    const known = nameOf.get(name.invoice.id);
    if (known === undefined || name.score > known.score) nameOf.set(name.invoice.id, name);
  }

  const sameAmount = index.byAmount.get(line.currency)?.get(line.amountMinor) ?? [];
  if (sameAmount.length <= MAX_SAME_AMOUNT) {
    for (const invoice of sameAmount) {
      const name = nameOf.get(invoice.id);
      offer([invoice.id], name ? 0.5 + 0.4 * name.score : 0.5, name ? ['same amount', name.reason] : ['same amount']);
    }
  }
  for (const { invoice, score, reason } of nameOf.values()) {
    if (invoice.balanceMinor === line.amountMinor) offer([invoice.id], 0.5 + 0.4 * score, ['same amount', reason]);
    else offer([invoice.id], 0.4 * score, [reason, `balance due ${money(invoice.balanceMinor, invoice.currency)}`]);
  }

  // Employers paying for several learners at once: the open invoices (in this currency) of an
  // organisation like the payer whose balances add up to the amount, within a transfer-sized
  // tolerance. Only the organisation's most recent invoices are tried (an employer usually pays
  // for the learners it just enrolled); sets involving older ones, or cut off by the node limit,
  // are not suggested.
  const window = currencyInfo(line.currency) === undefined ? 0 : toleranceMinor(tolerance, line.currency, line.amountMinor);
  for (const { members, score } of organisations) {
    const recent = members.slice(0, MAX_ORGANISATION_INVOICES);
    const items = recent.map((invoice) => ({ id: invoice.id, value: invoice.balanceMinor }));
    for (const subset of subsetsAddingUp(items, line.amountMinor - window, line.amountMinor + window, 2, 3, SUBSET_NODE_LIMIT)) {
      const chosen = recent.filter((invoice) => subset.includes(invoice.id));
      const sum = chosen.reduce((total, invoice) => total + invoice.balanceMinor, 0);
      const organisation = chosen[0]?.buyerOrganisation ?? '';
      const reasons = [
        `${subset.length} invoices of ${organisation} add up to ${money(sum, line.currency)}`,
        `payer '${line.payerName}' ~ organisation '${organisation}'`,
      ];
      if (sum !== line.amountMinor)
        reasons.push(`${money(Math.abs(sum - line.amountMinor), line.currency)} ${sum > line.amountMinor ? 'more' : 'less'} than the transfer`);
      offer(
        [...subset].sort((x, y) => x - y),
        0.6 + 0.3 * score - (sum === line.amountMinor ? 0 : 0.05),
        reasons,
      );
    }
  }

  const suggestions = [...byKey.values()]
    .sort((x, y) => y.score - x.score || x.invoiceIds.length - y.invoiceIds.length || (x.invoiceIds[0] ?? 0) - (y.invoiceIds[0] ?? 0))
    .slice(0, MAX_SUGGESTIONS);
  if (suggestions.length > 0) return { kind: 'suggested', suggestions };
  const amount = money(line.amountMinor, line.currency);
  if (sameAmount.length > MAX_SAME_AMOUNT) {
    return {
      kind: 'unmatched',
      reason: `No payment reference or invoice number; ${sameAmount.length} open invoices are of ${amount} and the payer name matches none of them`,
    };
  }
  return {
    kind: 'unmatched',
    reason: `No payment reference or invoice number of an open invoice, no open invoice of ${amount}, and no learner or organisation like the payer`,
  };
}

/**
 * How one credit line of a statement settles open invoices. Exact matches need the payer to
 * have named the invoice (reference or number) and paid it in its currency, within the
 * tolerance; everything else is a suggestion for a person to confirm, or unmatched.
 */
export function matchLine(index: MatchIndex, line: MatchableLine, tolerance: PaymentTolerance): LineMatch {
  if (!Number.isSafeInteger(line.amountMinor) || line.amountMinor <= 0) {
    return { kind: 'unmatched', reason: 'Not a credit: only money received can pay an invoice' };
  }
  const findings = scanLine(line, index.invoicePrefix);
  const named = namedInvoices(index, findings);
  if (named.length === 1) return matchOne(line, named[0]!, tolerance);
  if (named.length > 1) return matchSeveral(line, named, tolerance);
  return suggest(index, line, tolerance, findings);
}
