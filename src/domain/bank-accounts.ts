/**
 * Where learners pay: one bank account per invoice currency. A EUR invoice shows the EUR account
 * (IBAN, BIC, EPC QR code), an AUD invoice the AUD one (BSB and account number); a currency without
 * an account of its own falls back to the default account ('*'), which the old single-account
 * variables (BANK_ACCOUNT_NAME, BANK_IBAN, BANK_BIC, BANK_DETAILS) describe.
 */
import { EU_MEMBER_STATES } from './tax-treatment.js';
import { z } from 'zod';
import { isCurrencyCode } from './currencies.js';
import { isValidBic, isValidIban, normalizeBic, normalizeIban } from './iban.js';

export const ANY_CURRENCY = '*';

export interface BankAccount {
  /** ISO 4217 code of the invoices this account is for, or '*' for every currency without its own. */
  currency: string;
  accountName: string;
  /** Compact, upper-case, checked. */
  iban?: string;
  bic?: string;
  /** Australian bank-state-branch number, 'NNN-NNN'. */
  bsb?: string;
  accountNumber?: string;
  /** Free text for anything else the payer needs (multi-line). */
  details?: string;
}

/** The fields of an account as written in a file or in variables, before they are checked. */
export interface BankAccountInput {
  currency: string;
  accountName?: string | undefined;
  iban?: string | undefined;
  bic?: string | undefined;
  bsb?: string | undefined;
  accountNumber?: string | undefined;
  details?: string | undefined;
}

export type BankAccountCheck = { ok: true; account: BankAccount } | { ok: false; problems: string[] };

const BSB = /^(\d{3})[-\s]?(\d{3})$/;
const ACCOUNT_NUMBER = /^[0-9A-Za-z][0-9A-Za-z -]{0,33}$/;

function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Checks one account; each problem names the field, as the person editing the file wrote it. */
export function checkBankAccount(input: BankAccountInput): BankAccountCheck {
  const problems: string[] = [];
  const currency = input.currency.trim().toUpperCase();
  if (currency !== ANY_CURRENCY && !isCurrencyCode(currency)) problems.push(`currency "${input.currency}" is not an ISO 4217 code (e.g. EUR, AUD) or "*"`);

  const accountName = given(input.accountName);
  const iban = given(input.iban);
  const bic = given(input.bic);
  const bsb = given(input.bsb);
  const accountNumber = given(input.accountNumber);
  const details = given(input.details);

  if (!accountName) problems.push('accountName is missing: learners need the name of the account they pay into');
  if (iban !== undefined && !isValidIban(iban)) problems.push('iban is not a valid IBAN (length or check digits are wrong)');
  if (bic !== undefined && !isValidBic(bic)) problems.push('bic is not a valid BIC (8 or 11 characters, e.g. COBADEFFXXX)');
  const bsbMatch = bsb === undefined ? null : BSB.exec(bsb);
  if (bsb !== undefined && !bsbMatch) problems.push('bsb is not a BSB: 6 digits written NNN-NNN, e.g. 062-000');
  if (bsb !== undefined && accountNumber === undefined) problems.push('bsb needs an accountNumber next to it');
  if (accountNumber !== undefined && !ACCOUNT_NUMBER.test(accountNumber))
    problems.push('accountNumber may hold only letters, digits, spaces and dashes (at most 34)');
  if (iban === undefined && accountNumber === undefined && details === undefined && bsb === undefined)
    problems.push('needs an iban, an accountNumber or details: learners need to know where to pay');
  if (problems.length > 0) return { ok: false, problems };

  const account: BankAccount = { currency, accountName: accountName! };
  if (iban !== undefined) account.iban = normalizeIban(iban);
  if (bic !== undefined) account.bic = normalizeBic(bic);
  if (bsbMatch) account.bsb = `${bsbMatch[1]}-${bsbMatch[2]}`;
  if (accountNumber !== undefined) account.accountNumber = accountNumber;
  if (details !== undefined) account.details = details;
  return { ok: true, account };
}

const fileSchema = z.array(
  z.strictObject({
    currency: z.string({ error: 'currency is missing' }),
    accountName: z.string().optional(),
    iban: z.string().optional(),
    bic: z.string().optional(),
    bsb: z.string().optional(),
    accountNumber: z.string().optional(),
    details: z.string().optional(),
  }),
  { error: 'must be a JSON array of accounts, e.g. [{"currency": "EUR", "accountName": "...", "iban": "..."}]' },
);

export type BankAccountsParse = { ok: true; accounts: BankAccount[] } | { ok: false; problems: string[] };

/**
 * Reads the content of a BANK_ACCOUNTS_FILE: a JSON array of accounts, at most one per currency, e.g.
 *   [{ "currency": "EUR", "accountName": "Example GmbH", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX" },
 *    { "currency": "AUD", "accountName": "Example Pty Ltd", "bsb": "062-000", "accountNumber": "1234 5678" }]
 * Every problem is reported, each with the account it is in ("account 2 (AUD): ...").
 */
export function parseBankAccountsJson(text: string): BankAccountsParse {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`is not valid JSON (${(error as Error).message})`] };
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const [index, field] = issue.path;
        if (typeof index !== 'number') return issue.message;
        if (issue.code === 'unrecognized_keys') return `account ${index + 1}: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
        return `account ${index + 1}: ${field === undefined ? 'must be an object' : `${String(field)} must be text`}`;
      }),
    };
  }
  const problems: string[] = [];
  const accounts: BankAccount[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of parsed.data.entries()) {
    const where = `account ${i + 1} (${entry.currency})`;
    const checked = checkBankAccount(entry);
    if (!checked.ok) {
      problems.push(...checked.problems.map((p) => `${where}: ${p}`));
      continue;
    }
    if (seen.has(checked.account.currency)) problems.push(`${where}: a second account for ${checked.account.currency}; keep one per currency`);
    seen.add(checked.account.currency);
    accounts.push(checked.account);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, accounts };
}

/** The account an invoice in `currency` shows: the currency's own, else the default ('*'). */
export function bankAccountFor(accounts: readonly BankAccount[], currency: string): BankAccount | undefined {
  const code = currency.toUpperCase();
  return accounts.find((a) => a.currency === code) ?? accounts.find((a) => a.currency === ANY_CURRENCY);
}

/**
 * IBAN country codes of the SEPA schemes' geographical scope. Source: European Payments Council,
 * EPC409-09 "EPC list of countries and territories included in the SEPA schemes' geographical
 * scope" (version in force in 2026): the 27 EU member states; Iceland, Liechtenstein and Norway
 * (EEA); Switzerland; the United Kingdom (Jersey, Guernsey and the Isle of Man use GB IBANs);
 * Andorra, Monaco, San Marino and Vatican City; Gibraltar; Albania, Moldova, Montenegro and North
 * Macedonia (admitted by the EPC in November 2024, in the schemes since 2025). Territories that
 * use their state's IBANs (French overseas departments, Saint-Pierre-et-Miquelon, Åland, the Azores,
 * Madeira, the Canary Islands) are covered by FR, FI, PT and ES.
 */
export const SEPA_IBAN_COUNTRIES: ReadonlySet<string> = new Set([
  // Every EU member state...
  ...EU_MEMBER_STATES,
  // ...and the others in the SEPA schemes.
  'IS',
  'LI',
  'NO',
  'CH',
  'GB',
  'AD',
  'MC',
  'SM',
  'VA',
  'GI',
  'AL',
  'MD',
  'ME',
  'MK',
]);

/**
 * The EPC QR code ("GiroCode") starts a SEPA credit transfer, which exists only in euro and only to
 * an account in a SEPA country: any other invoice gets no code.
 */
export function epcQrAllowed(currency: string, iban: string | null | undefined): boolean {
  if (currency.toUpperCase() !== 'EUR' || !iban || !isValidIban(iban)) return false;
  return SEPA_IBAN_COUNTRIES.has(normalizeIban(iban).slice(0, 2));
}
