/**
 * The one configuration loader. Everything the portal reads from its environment is parsed and
 * validated here, once, at start-up; nothing else reads process.env. Problems are collected, not
 * thrown one by one, so the person deploying sees every bad variable (with a hint) in one go.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import cron from 'node-cron';
import { z } from 'zod';
import { NO_TOLERANCE, parsePaymentTolerance, type PaymentTolerance } from './domain/payment-tolerance.js';
import { ANY_CURRENCY, checkBankAccount, parseBankAccountsJson, type BankAccount, type BankAccountInput } from './domain/bank-accounts.js';
import { isCountryCode } from './domain/countries.js';
import { isCurrencyCode } from './domain/currencies.js';
import { isValidBic, isValidIban, normalizeBic, normalizeIban } from './domain/iban.js';
import { validateTaxId, type TaxIdResult } from './domain/tax-ids.js';
import { parseTaxRate, type TaxRate } from './domain/tax.js';
import { isLanguage, LANGUAGES, type Language } from './i18n.js';

export const JOB_NAMES = ['expire-invoices', 'send-reminders', 'deliver-mail', 'retry-enrolments', 'purge', 'backup'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const DEFAULT_SCHEDULES: Record<JobName, string> = {
  'expire-invoices': '*/15 * * * *',
  'send-reminders': '0 9 * * *',
  'deliver-mail': '* * * * *',
  'retry-enrolments': '* * * * *',
  purge: '30 3 * * *',
  backup: '0 2 * * *',
};

/** What the ABA (Cemtex) file of AUD refunds needs from the bank (see src/clients/bank-files/aba.ts). */
export interface AbaSettings {
  bankAbbreviation: string;
  userName: string;
  apcaNumber: string;
  remitterName: string;
  bsb: string;
  accountNumber: string;
  description: string;
  selfBalancing: boolean;
}

export type Mode = 'production' | 'sandbox';
export type EnrolApi = 'form' | 'json';

/** Which date an invoice gives as the date of supply: always the issue date, or the class start date when OpenLearning sends one. */
export const SUPPLY_DATE_SOURCES = ['issue', 'class_start'] as const;
export type SupplyDateSource = (typeof SUPPLY_DATE_SOURCES)[number];

export type ValidTaxId = Extract<TaxIdResult, { ok: true }>;

export interface Config {
  mode: Mode;
  host: string;
  port: number;
  /** Origin the public reaches us at, without trailing slash, e.g. https://pay.example.edu */
  publicUrl: string;
  secureCookies: boolean;
  trustProxy: boolean;
  /** DATA_DIR as configured (absolute). */
  rootDataDir: string;
  /** Where this mode keeps its database, PDFs, mail and backups: DATA_DIR, or DATA_DIR/sandbox in sandbox mode. */
  dataDir: string;
  logLevel: string;
  timeZone: string;
  openlearning: {
    publicKeysPem: string[];
    jwksUrl: string | undefined;
    audience: string;
    apiKey: string;
    apiUrl: string;
    apiTimeoutMs: number;
    /** Minimum time between JWKS fetches (not an environment variable: tests shorten it). */
    jwksCooldownMs: number;
    /** Hosts besides openlearning.com (and its subdomains) that redirect_url may point to. '*.x' allows subdomains of x. */
    redirectHosts: string[];
    /** How class enrolments are sent: the documented form call, or the External Gateway's JSON call. */
    enrolApi: EnrolApi;
    /** Tokens that stay valid longer than this (exp minus iat) are refused. */
    tokenMaxAgeSeconds: number;
  };
  mail: { smtpUrl: string | undefined; from: string; financeEmail: string | undefined };
  seller: {
    name: string;
    address: string;
    /** SELLER_TAX_ID in the form it is printed ('51 824 753 556', 'DE136695976'); undefined when there is none. */
    taxId: string | undefined;
    taxIdLabel: string;
    /** SELLER_TAX_ID as validateTaxId() read it (scheme, country, canonical form). */
    validatedTaxId: ValidTaxId | undefined;
    /** SELLER_COUNTRY, ISO 3166-1 alpha-2. */
    country: string;
    /** SELLER_TAX_ID_NONE: the seller is not registered for tax (invoices are titled "Invoice" and show no tax). */
    taxIdNone: boolean;
    /** SELLER_ELECTRONIC_ADDRESS: 'scheme:id' from the EAS code list (a Peppol participant id), for e-invoices. */
    electronicAddress: string | undefined;
  };
  /**
   * accountName, iban, bic and details describe the default account (the old single-account
   * variables); `accounts` holds every account, per currency, with the default as currency '*'.
   */
  bank: { accountName: string | undefined; iban: string | undefined; bic: string | undefined; details: string | undefined; accounts: BankAccount[] };
  tax: { rate: TaxRate; label: string; inclusive: boolean; reverseCharge: boolean; exemptionReason: string | undefined };
  invoice: {
    prefix: string;
    dueDays: number;
    expiryDays: number;
    notes: string | undefined;
    supplyDate: SupplyDateSource;
    /** INVOICE_LANGUAGES: what learners may choose, the first being the default. */
    languages: Language[];
    /** INVOICE_SECOND_LANGUAGE: printed under the learner's language on the PDF where law asks for it. */
    secondLanguage: Language | undefined;
  };
  ledger: {
    /** What any finance user may write off, and what statement matching accepts as "exact" (PAYMENT_TOLERANCE). */
    paymentTolerance: PaymentTolerance;
    creditNotePrefix: string;
    /** Which pain.001 version EUR refund files use. */
    sepaVersion: '09' | '03';
    /** Settings of the Australian ABA (Cemtex) file for AUD refunds; undefined when not configured. */
    aba: AbaSettings | undefined;
  };
  admin: { email: string | undefined; password: string | undefined };
  session: { idleMinutes: number; maxHours: number };
  jobs: { enabled: boolean; schedules: Record<JobName, string>; reminderDays: number[]; backupKeep: number };
}

export interface ConfigProblem {
  variable: string;
  message: string;
  hint: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(formatConfigProblems(problems));
    this.name = 'ConfigError';
  }
}

export function formatConfigProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.variable}: ${p.message}\n      fix: ${p.hint}`);
  return `The portal cannot start: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}.\n${lines.join('\n')}\nSee README.md ("Configuration") or .env.example for every variable.`;
}

/** How to fix each variable, shown next to its problem. */
const HINTS: Record<string, string> = {
  PORT: 'a TCP port number between 1 and 65535, e.g. PORT=3000',
  HOST: 'the address to listen on, e.g. HOST=0.0.0.0 (all interfaces) or HOST=127.0.0.1 (behind a reverse proxy)',
  PUBLIC_URL: 'the absolute origin learners use to reach the portal, without a path, e.g. PUBLIC_URL=https://pay.example.edu',
  DATA_DIR: 'a writable directory for the database, PDFs, mail and backups, owned by the user the portal runs as, e.g. DATA_DIR=/var/lib/portal',
  OPENLEARNING_PUBLIC_KEY:
    'paste the PEM public key from OpenLearning Course Setup > Advanced > External payment gateway ("-----BEGIN PUBLIC KEY-----..."); several keys may follow one another; \\n escapes are accepted',
  OPENLEARNING_PUBLIC_KEY_FILE: 'the path of a file holding one or more PEM public keys',
  OPENLEARNING_JWKS_URL: 'the https "Public Verification URL" of your institution External Gateway, e.g. https://api.openlearning.com/.../jwks.json',
  OPENLEARNING_AUDIENCE: 'your institution portal id, the value OpenLearning puts in the token "aud" claim',
  OPENLEARNING_API_KEY: 'the API key of an OpenLearning course administrator (openlearning.com > account > API keys)',
  OPENLEARNING_API_URL: 'the API base URL, normally https://api.openlearning.com/v2.2',
  OPENLEARNING_API_TIMEOUT: 'seconds to wait for OpenLearning before retrying later, e.g. 15',
  OPENLEARNING_REDIRECT_HOSTS: 'extra course hosts allowed in redirect_url, comma separated, e.g. learn.example.edu,*.example.edu',
  OPENLEARNING_ENROL_API:
    'form (POST {api}/enrolments/ with a form body, the course-level help page) or json (POST {api}/enrolments/submit-json/, the institution External Gateway)',
  OPENLEARNING_TOKEN_MAX_AGE:
    'the longest validity (exp minus iat) a token may have: seconds, or a number with s, m, h or d, between 1m and 30d, e.g. 1d or 3600',
  SMTP_URL: 'e.g. smtp://user:password@mail.example.edu:587 or smtps://...:465; leave unset to write emails to DATA_DIR/mail/ instead',
  MAIL_FROM: 'the sender of every email, e.g. MAIL_FROM="Example Academy Billing <billing@example.edu>"',
  FINANCE_EMAIL: 'where staff alerts go (failed enrolments), e.g. FINANCE_EMAIL=finance@example.edu',
  SELLER_NAME: 'the legal name printed on invoices, e.g. SELLER_NAME="Example Academy Pty Ltd"',
  SELLER_ADDRESS: 'the postal address printed on invoices; use \\n for new lines',
  SELLER_COUNTRY: 'the ISO 3166-1 alpha-2 code of the country the seller is established in, e.g. SELLER_COUNTRY=AU, DE or MY',
  SELLER_TAX_ID:
    'your tax registration number as your tax office writes it: an ABN (51 824 753 556), an EU VAT id with its country prefix (DE136695976), a GB VAT number, an NZ GST number, a Malaysian SST number (W10-1808-31000002); when set, invoices are titled "Tax Invoice"',
  SELLER_TAX_ID_LABEL: 'the name of that number on the invoice, e.g. ABN or VAT (default: the name of the number recognised, else "Tax ID")',
  SELLER_ELECTRONIC_ADDRESS:
    'your electronic address for e-invoices, the EAS scheme code and the id joined by a colon, e.g. SELLER_ELECTRONIC_ADDRESS=0088:5790000435975 (GLN) or 9930:DE136695976 (German VAT id); a Peppol participant id is written the same way',
  SELLER_TAX_ID_NONE: 'true only if you are not registered for tax: invoices are then titled "Invoice" and show no tax',
  BANK_ACCOUNT_NAME: 'the name of the account that receives transfers',
  BANK_ACCOUNTS_FILE:
    'the path of a JSON file holding one account per currency: [{"currency": "EUR", "accountName": "...", "iban": "...", "bic": "..."}, {"currency": "AUD", "accountName": "...", "bsb": "062-000", "accountNumber": "..."}]',
  BANK_IBAN: 'a valid IBAN, spaces allowed, e.g. DE89 3704 0044 0532 0130 00',
  BANK_BIC: 'an 8 or 11 character BIC/SWIFT code, e.g. COBADEFFXXX',
  BANK_DETAILS: 'free text for countries without IBAN, e.g. "BSB 062-000\\nAccount 1234 5678"',
  TAX_RATE: 'a percentage between 0 and 100, e.g. TAX_RATE=10 or TAX_RATE=7.5',
  TAX_LABEL: 'the tax name on invoices, e.g. GST or VAT',
  TAX_INCLUSIVE: 'true when the OpenLearning price already includes the tax, false when tax is added on top',
  TAX_REVERSE_CHARGE: 'false to never apply the EU reverse charge (e.g. for classes held in person, taxed where they take place)',
  TAX_EXEMPTION_REASON: 'the sentence printed when TAX_RATE is 0, e.g. "Exempt from VAT under § 4 Nr. 21 UStG (education)"',
  INVOICE_NOTES: 'free legal text printed at the foot of every invoice and credit note; use \\n for new lines; at most 2000 characters',
  SUPPLY_DATE: 'issue (the date of supply is the issue date) or class_start (the class start date when OpenLearning sends one)',
  INVOICE_PREFIX: 'letters, digits, "-", "/" or "_", at most 12 characters, e.g. INV-',
  INVOICE_LANGUAGES: `the languages learners may choose, comma-separated, the default first, from ${LANGUAGES.join(', ')}, e.g. INVOICE_LANGUAGES=ms,en`,
  INVOICE_SECOND_LANGUAGE: `a language printed under the learner's own on every invoice PDF, one of ${LANGUAGES.join(', ')}, e.g. INVOICE_SECOND_LANGUAGE=en`,
  CREDIT_NOTE_PREFIX: 'letters, digits, "-", "/" or "_", at most 12 characters, different from INVOICE_PREFIX, e.g. CN-',
  PAYMENT_TOLERANCE:
    'the difference finance staff may write off and statement matching treats as exact: an amount in the invoice currency (1.00) or a percentage of its total (0.5%); 0 for none',
  SEPA_PAIN_VERSION: '09 (pain.001.001.09, current) or 03 (pain.001.001.03, for banks that still ask for it)',
  ABA_BANK_ABBREVIATION: 'the 3-letter abbreviation of your bank in ABA files, e.g. CBA, WBC, NAB, ANZ',
  ABA_USER_NAME: 'the "user preferred specification" your bank gave you for direct entry files (at most 26 characters)',
  ABA_APCA_NUMBER: 'your 6-digit direct entry user identification number (APCA number) from your bank',
  ABA_REMITTER_NAME: 'the payer name refund recipients see on their statement (at most 16 characters)',
  ABA_ACCOUNT_BSB: 'the BSB of the account the refunds are paid from, e.g. 062-000',
  ABA_ACCOUNT_NUMBER: 'the number of the account the refunds are paid from',
  ABA_DESCRIPTION: 'the file description, at most 12 characters, e.g. REFUNDS',
  ABA_SELF_BALANCING: 'true if your bank wants a balancing debit line in the ABA file',
  INVOICE_DUE_DAYS: 'whole days between issue and due date, e.g. 14',
  INVOICE_EXPIRY_DAYS: 'whole days after which an unpaid invoice expires; at least INVOICE_DUE_DAYS, e.g. 30',
  TIMEZONE: 'an IANA time zone for invoice dates and schedules, e.g. Australia/Sydney',
  ADMIN_EMAIL: 'the email of the first administrator, created when no staff account exists yet',
  ADMIN_PASSWORD: 'the first administrator password, at least 12 characters',
  TRUST_PROXY: 'true when a reverse proxy sets X-Forwarded-For / X-Forwarded-Proto',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace',
  SESSION_IDLE_MINUTES: 'minutes of inactivity after which staff are signed out, e.g. 60',
  SESSION_MAX_HOURS: 'hours after which a staff session ends regardless of activity, e.g. 12',
  JOBS_ENABLED: 'false to run only the web server (then run `npx portal jobs run <name>` from your own scheduler)',
  REMINDER_DAYS: 'days before the due date to send reminders, comma separated, e.g. 3,0',
  BACKUP_KEEP: 'how many backups to keep, e.g. 14',
};

function scheduleVariable(job: JobName): string {
  return `SCHEDULE_${job.toUpperCase().replace(/-/g, '_')}`;
}
for (const job of JOB_NAMES) {
  HINTS[scheduleVariable(job)] = `a cron expression for the ${job} job, e.g. "${DEFAULT_SCHEDULES[job]}"`;
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(emptyToUndefined, z.string().optional());
const text = (fallback: string) => z.preprocess(emptyToUndefined, z.string().default(fallback));
const integer = (fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` })
      .default(fallback),
  );
const boolean = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => ['true', '1', 'yes', 'on'].includes(v)),
  );
const emailAddress = z.preprocess(emptyToUndefined, z.email({ error: 'must be an email address' }).optional());

const envSchema = z.object({
  PORT: integer(3000, 0, 65535),
  HOST: text('0.0.0.0'),
  PUBLIC_URL: optionalText,
  DATA_DIR: text('./data'),
  OPENLEARNING_PUBLIC_KEY: optionalText,
  OPENLEARNING_PUBLIC_KEY_FILE: optionalText,
  OPENLEARNING_JWKS_URL: optionalText,
  OPENLEARNING_AUDIENCE: optionalText,
  OPENLEARNING_API_KEY: optionalText,
  OPENLEARNING_API_URL: text('https://api.openlearning.com/v2.2'),
  OPENLEARNING_API_TIMEOUT: integer(15, 1, 300),
  OPENLEARNING_REDIRECT_HOSTS: optionalText,
  OPENLEARNING_ENROL_API: z.preprocess(emptyToUndefined, z.enum(['form', 'json'], { error: 'must be form or json' }).default('form')),
  OPENLEARNING_TOKEN_MAX_AGE: text('1d'),
  SMTP_URL: optionalText,
  MAIL_FROM: optionalText,
  FINANCE_EMAIL: emailAddress,
  SELLER_NAME: optionalText,
  SELLER_ADDRESS: optionalText,
  SELLER_COUNTRY: optionalText,
  SELLER_TAX_ID: optionalText,
  SELLER_TAX_ID_LABEL: optionalText,
  SELLER_TAX_ID_NONE: boolean(false),
  SELLER_ELECTRONIC_ADDRESS: optionalText,
  BANK_ACCOUNTS_FILE: optionalText,
  BANK_ACCOUNT_NAME: optionalText,
  BANK_IBAN: optionalText,
  BANK_BIC: optionalText,
  BANK_DETAILS: optionalText,
  TAX_RATE: optionalText,
  TAX_LABEL: optionalText,
  TAX_INCLUSIVE: boolean(true),
  TAX_REVERSE_CHARGE: boolean(true),
  TAX_EXEMPTION_REASON: optionalText,
  INVOICE_NOTES: optionalText,
  SUPPLY_DATE: z.preprocess(emptyToUndefined, z.enum(SUPPLY_DATE_SOURCES, { error: 'must be issue or class_start' }).default('issue')),
  INVOICE_PREFIX: text('INV-'),
  INVOICE_LANGUAGES: text(LANGUAGES.join(',')),
  INVOICE_SECOND_LANGUAGE: optionalText,
  CREDIT_NOTE_PREFIX: text('CN-'),
  PAYMENT_TOLERANCE: text('0'),
  SEPA_PAIN_VERSION: z.preprocess(emptyToUndefined, z.enum(['09', '03'], { error: 'must be 09 or 03' }).default('09')),
  ABA_BANK_ABBREVIATION: optionalText,
  ABA_USER_NAME: optionalText,
  ABA_APCA_NUMBER: optionalText,
  ABA_REMITTER_NAME: optionalText,
  ABA_ACCOUNT_BSB: optionalText,
  ABA_ACCOUNT_NUMBER: optionalText,
  ABA_DESCRIPTION: text('REFUNDS'),
  ABA_SELF_BALANCING: boolean(false),
  INVOICE_DUE_DAYS: integer(14, 0, 365),
  INVOICE_EXPIRY_DAYS: integer(30, 1, 3650),
  TIMEZONE: text('UTC'),
  ADMIN_EMAIL: emailAddress,
  ADMIN_PASSWORD: optionalText,
  TRUST_PROXY: boolean(false),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace' }).default('info'),
  ),
  SESSION_IDLE_MINUTES: integer(60, 1, 24 * 60),
  SESSION_MAX_HOURS: integer(12, 1, 24 * 30),
  JOBS_ENABLED: boolean(true),
  REMINDER_DAYS: text('3,0'),
  BACKUP_KEEP: integer(14, 1, 10_000),
  ...Object.fromEntries(JOB_NAMES.map((job) => [scheduleVariable(job), text(DEFAULT_SCHEDULES[job])])),
});

type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** Directory whose .env file is read (values in env win). Defaults to the working directory. */
  cwd?: string;
  /** Skip reading .env (tests pass their whole environment). */
  readDotEnv?: boolean;
}

/** Reads `.env` (if any) under the real environment: a variable set in the environment wins. */
export function environmentWithDotEnv(env: Env, cwd: string): Env {
  const file = path.join(cwd, '.env');
  if (!fs.existsSync(file)) return env;
  return { ...parseEnv(fs.readFileSync(file, 'utf8')), ...env };
}

export function loadConfig(processEnv: Env, options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env = options.readDotEnv === false ? processEnv : environmentWithDotEnv(processEnv, cwd);
  const problems: ConfigProblem[] = [];
  const problem = (variable: string, message: string, hint?: string) => problems.push({ variable, message, hint: hint ?? HINTS[variable] ?? '' });

  // Parsed at start only: zod's compiled fast path would cost more to build than it saves.
  const parsed = envSchema.safeParse(env, { jitless: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problem(String(issue.path[0]), issue.message);
    // Keep going with what did parse so the list is complete: re-parse the good fields only.
  }
  const bad = new Set(problems.map((p) => p.variable));
  const safeEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !bad.has(k)));
  const e = envSchema.parse(safeEnv, { jitless: true }) as z.infer<typeof envSchema> & Record<string, string>;

  const port = e.PORT;
  let publicUrl = `http://localhost:${port}`;
  if (e.PUBLIC_URL !== undefined) {
    const url = URL.canParse(e.PUBLIC_URL) ? new URL(e.PUBLIC_URL) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol)) problem('PUBLIC_URL', 'is not an absolute http(s) URL');
    else if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username)
      problem('PUBLIC_URL', 'must be an origin only (no path, query or credentials); serve the portal at the root of its host');
    else publicUrl = url.origin;
  }

  if (!isTimeZone(e.TIMEZONE)) problem('TIMEZONE', `"${e.TIMEZONE}" is not a known IANA time zone`);

  // Sandbox mode is for a first run: nothing that identifies a real OpenLearning set-up is configured.
  const realSetupVars = [
    'OPENLEARNING_PUBLIC_KEY',
    'OPENLEARNING_PUBLIC_KEY_FILE',
    'OPENLEARNING_JWKS_URL',
    'OPENLEARNING_AUDIENCE',
    'OPENLEARNING_API_KEY',
  ] as const;
  const mode: Mode = realSetupVars.some((v) => env[v] !== undefined && env[v]!.trim() !== '') ? 'production' : 'sandbox';
  const sandbox = mode === 'sandbox';
  if (!sandbox && e.PUBLIC_URL === undefined) {
    problem('PUBLIC_URL', `is required in production: without it every link in emails and pages points at ${publicUrl}`);
  }

  const publicKeysPem: string[] = [];
  const addPems = (variable: string, pemText: string) => {
    const blocks = splitPemBlocks(pemText.replace(/\\n/g, '\n'));
    if (blocks.length === 0) return problem(variable, 'holds no "-----BEGIN PUBLIC KEY-----" block');
    for (const [i, block] of blocks.entries()) {
      try {
        const key = createPublicKey(block);
        if (key.asymmetricKeyType !== 'rsa') problem(variable, `key ${i + 1} is ${key.asymmetricKeyType}, but OpenLearning signs with RSA (RS256)`);
        else publicKeysPem.push(block);
      } catch {
        problem(variable, `key ${i + 1} is not a valid PEM public key`);
      }
    }
  };
  if (e.OPENLEARNING_PUBLIC_KEY) addPems('OPENLEARNING_PUBLIC_KEY', e.OPENLEARNING_PUBLIC_KEY);
  if (e.OPENLEARNING_PUBLIC_KEY_FILE) {
    const file = path.resolve(cwd, e.OPENLEARNING_PUBLIC_KEY_FILE);
    if (!fs.existsSync(file)) problem('OPENLEARNING_PUBLIC_KEY_FILE', `file ${file} does not exist`);
    else addPems('OPENLEARNING_PUBLIC_KEY_FILE', fs.readFileSync(file, 'utf8'));
  }
  let jwksUrl: string | undefined;
  if (e.OPENLEARNING_JWKS_URL) {
    const url = URL.canParse(e.OPENLEARNING_JWKS_URL) ? new URL(e.OPENLEARNING_JWKS_URL) : undefined;
    if (!url || !['https:', 'http:'].includes(url.protocol)) problem('OPENLEARNING_JWKS_URL', 'is not an absolute https URL');
    else if (url.protocol === 'http:' && !isLoopback(url.hostname))
      problem('OPENLEARNING_JWKS_URL', 'must use https (keys fetched over plain http could be forged)');
    else jwksUrl = url.href;
  }
  if (!sandbox) {
    const hasKeyVar = e.OPENLEARNING_PUBLIC_KEY || e.OPENLEARNING_PUBLIC_KEY_FILE || e.OPENLEARNING_JWKS_URL;
    if (!hasKeyVar) {
      problem('OPENLEARNING_PUBLIC_KEY', 'is required (or OPENLEARNING_PUBLIC_KEY_FILE or OPENLEARNING_JWKS_URL): without a key no token can be verified');
    }
    if (!e.OPENLEARNING_AUDIENCE) problem('OPENLEARNING_AUDIENCE', 'is required: tokens are only accepted for this audience');
    if (!e.OPENLEARNING_API_KEY) problem('OPENLEARNING_API_KEY', 'is required to enrol learners after payment');
  }
  if (!URL.canParse(e.OPENLEARNING_API_URL) || !/^https?:$/.test(new URL(e.OPENLEARNING_API_URL).protocol)) {
    problem('OPENLEARNING_API_URL', 'is not an absolute http(s) URL');
  } else if (!sandbox && new URL(e.OPENLEARNING_API_URL).protocol === 'http:' && !isLoopback(new URL(e.OPENLEARNING_API_URL).hostname)) {
    problem('OPENLEARNING_API_URL', 'must use https: the API key is sent with every call and would cross the network in clear');
  }
  const redirectHosts = (e.OPENLEARNING_REDIRECT_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of redirectHosts) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(h)) problem('OPENLEARNING_REDIRECT_HOSTS', `"${h}" is not a host name`);
  }

  const tokenMaxAgeSeconds = parseDuration(e.OPENLEARNING_TOKEN_MAX_AGE);
  if (tokenMaxAgeSeconds === undefined || tokenMaxAgeSeconds < 60 || tokenMaxAgeSeconds > 30 * 86_400) {
    problem('OPENLEARNING_TOKEN_MAX_AGE', `"${e.OPENLEARNING_TOKEN_MAX_AGE}" is not a duration between 1m and 30d`);
  }

  if (e.SMTP_URL !== undefined) {
    if (!URL.canParse(e.SMTP_URL) || !['smtp:', 'smtps:'].includes(new URL(e.SMTP_URL).protocol)) {
      problem('SMTP_URL', 'must be an smtp:// or smtps:// URL');
    }
  }

  const sellerName = e.SELLER_NAME ?? (sandbox ? 'Sandbox Academy Pty Ltd' : undefined);
  const sellerAddress = unescapeNewlines(e.SELLER_ADDRESS ?? (sandbox ? '1 Example Street\\nSydney NSW 2000\\nAustralia' : undefined));
  const mailFrom = e.MAIL_FROM ?? (sandbox ? 'Sandbox Academy Billing <billing@sandbox.invalid>' : undefined);
  if (!sandbox) {
    if (!sellerName) problem('SELLER_NAME', 'is required: invoices must name who issues them');
    if (!sellerAddress) problem('SELLER_ADDRESS', 'is required: invoices must show the seller address');
    if (!mailFrom) problem('MAIL_FROM', 'is required: emails need a sender');
  }

  // Where the seller is established decides the tax rules and how its tax id is checked.
  const sellerCountry = e.SELLER_COUNTRY?.trim().toUpperCase() ?? (sandbox ? 'AU' : undefined);
  if (sellerCountry !== undefined && !isCountryCode(sellerCountry))
    problem('SELLER_COUNTRY', `"${e.SELLER_COUNTRY}" is not an ISO 3166-1 alpha-2 country code`);
  if (!sandbox && sellerCountry === undefined)
    problem('SELLER_COUNTRY', 'is required: the tax rules (reverse charge, how SELLER_TAX_ID is checked) depend on where the seller is established');
  const taxIdNone = e.SELLER_TAX_ID_NONE;
  // The sandbox seller is Australian; its ABN passes the ABN check like a real one must.
  const sellerTaxIdText = e.SELLER_TAX_ID ?? (sandbox && !taxIdNone && sellerCountry === 'AU' ? '91 345 678 901' : undefined);
  let validatedTaxId: ValidTaxId | undefined;
  if (sellerTaxIdText !== undefined) {
    const checked = validateTaxId(sellerTaxIdText, sellerCountry ?? null);
    if (checked.ok) validatedTaxId = checked;
    else problem('SELLER_TAX_ID', `"${sellerTaxIdText}": ${checked.message}`);
  }
  if (taxIdNone && e.SELLER_TAX_ID !== undefined)
    problem('SELLER_TAX_ID_NONE', 'is true (not registered for tax) but SELLER_TAX_ID is set: keep the one that is true');

  const sellerElectronicAddress = e.SELLER_ELECTRONIC_ADDRESS?.trim();
  if (sellerElectronicAddress !== undefined && !/^[0-9A-Z]{2,4}:\S+$/.test(sellerElectronicAddress))
    problem('SELLER_ELECTRONIC_ADDRESS', `"${sellerElectronicAddress}" is not a scheme code and an id joined by a colon`);

  const bankAccounts = loadBankAccounts(env, e, cwd, sandbox, problem);

  const taxRateText = e.TAX_RATE ?? (sandbox ? '10' : '0');
  const taxRate = parseTaxRate(taxRateText);
  if (!taxRate.ok) problem('TAX_RATE', taxRate.error);
  if (!sandbox && taxRate.ok && taxRate.rate.numerator > 0n && e.SELLER_TAX_ID === undefined && !taxIdNone) {
    problem(
      'SELLER_TAX_ID',
      `is required with TAX_RATE=${taxRate.rate.percent}: an invoice that charges tax is a tax invoice, and a tax invoice must show the seller's tax registration number`,
      'set SELLER_TAX_ID to your ABN, VAT id, GST or SST number; if you are not registered for tax, set SELLER_TAX_ID_NONE=true instead (invoices are then titled "Invoice" and show no tax)',
    );
  }

  const invoiceNotes = unescapeNewlines(e.INVOICE_NOTES);
  const languageList = e.INVOICE_LANGUAGES.split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  const invoiceLanguages = [...new Set(languageList.filter(isLanguage))];
  const unknownLanguages = languageList.filter((l) => !isLanguage(l));
  if (unknownLanguages.length > 0) problem('INVOICE_LANGUAGES', `has ${unknownLanguages.map((l) => `"${l}"`).join(', ')}, which the portal is not written in`);
  else if (invoiceLanguages.length === 0) problem('INVOICE_LANGUAGES', 'is empty');
  if (e.INVOICE_SECOND_LANGUAGE !== undefined && !isLanguage(e.INVOICE_SECOND_LANGUAGE.trim()))
    problem('INVOICE_SECOND_LANGUAGE', `"${e.INVOICE_SECOND_LANGUAGE}" is not a language the portal is written in`);
  if (invoiceNotes !== undefined && [...invoiceNotes].length > 2000)
    problem('INVOICE_NOTES', `is ${[...invoiceNotes].length} characters long; at most 2000 fit at the foot of an invoice`);

  if (!/^[A-Za-z0-9\-/_]{0,12}$/.test(e.CREDIT_NOTE_PREFIX))
    problem('CREDIT_NOTE_PREFIX', `"${e.CREDIT_NOTE_PREFIX}" has characters other than letters, digits, -, / and _ or is longer than 12`);
  else if (e.CREDIT_NOTE_PREFIX === e.INVOICE_PREFIX) problem('CREDIT_NOTE_PREFIX', 'is the same as INVOICE_PREFIX: credit notes need their own series');
  const tolerance = parsePaymentTolerance(e.PAYMENT_TOLERANCE);
  if (!tolerance.ok) problem('PAYMENT_TOLERANCE', tolerance.error);
  const abaVariables = ['ABA_BANK_ABBREVIATION', 'ABA_USER_NAME', 'ABA_APCA_NUMBER', 'ABA_REMITTER_NAME', 'ABA_ACCOUNT_BSB', 'ABA_ACCOUNT_NUMBER'] as const;
  const abaGiven = abaVariables.filter((v) => e[v] !== undefined);
  let aba: AbaSettings | undefined;
  if (abaGiven.length > 0) {
    for (const v of abaVariables) if (e[v] === undefined) problem(v, 'is needed too: the ABA file for AUD refunds needs every ABA_ setting');
    if (e.ABA_BANK_ABBREVIATION !== undefined && !/^[A-Z]{3}$/.test(e.ABA_BANK_ABBREVIATION)) problem('ABA_BANK_ABBREVIATION', 'must be 3 capital letters');
    if (e.ABA_APCA_NUMBER !== undefined && !/^\d{6}$/.test(e.ABA_APCA_NUMBER)) problem('ABA_APCA_NUMBER', 'must be 6 digits');
    if (e.ABA_ACCOUNT_BSB !== undefined && !/^\d{3}-?\d{3}$/.test(e.ABA_ACCOUNT_BSB)) problem('ABA_ACCOUNT_BSB', 'must be a BSB like 062-000');
    if (e.ABA_ACCOUNT_NUMBER !== undefined && !/^[0-9 -]{1,9}$/.test(e.ABA_ACCOUNT_NUMBER)) problem('ABA_ACCOUNT_NUMBER', 'must be at most 9 digits');
    if (abaGiven.length === abaVariables.length) {
      aba = {
        bankAbbreviation: e.ABA_BANK_ABBREVIATION!,
        userName: e.ABA_USER_NAME!,
        apcaNumber: e.ABA_APCA_NUMBER!,
        remitterName: e.ABA_REMITTER_NAME!,
        bsb: e.ABA_ACCOUNT_BSB!.replace(/^(\d{3})-?(\d{3})$/, '$1-$2'),
        accountNumber: e.ABA_ACCOUNT_NUMBER!.replace(/[ -]/g, ''),
        description: e.ABA_DESCRIPTION,
        selfBalancing: e.ABA_SELF_BALANCING,
      };
    }
  }
  if (!/^[A-Za-z0-9\-/_]{0,12}$/.test(e.INVOICE_PREFIX))
    problem('INVOICE_PREFIX', `"${e.INVOICE_PREFIX}" has characters other than letters, digits, -, / and _ or is longer than 12`);
  if (e.INVOICE_EXPIRY_DAYS < e.INVOICE_DUE_DAYS)
    problem(
      'INVOICE_EXPIRY_DAYS',
      `(${e.INVOICE_EXPIRY_DAYS}) is shorter than INVOICE_DUE_DAYS (${e.INVOICE_DUE_DAYS}): invoices would expire before they are due`,
    );

  if (e.ADMIN_PASSWORD !== undefined && e.ADMIN_PASSWORD.length < 12) problem('ADMIN_PASSWORD', 'must be at least 12 characters');
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined) && !(sandbox && e.ADMIN_PASSWORD === undefined)) {
    problem(e.ADMIN_EMAIL === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD', 'ADMIN_EMAIL and ADMIN_PASSWORD go together');
  }

  const reminderDays: number[] = [];
  for (const part of e.REMINDER_DAYS.split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!/^\d{1,3}$/.test(part)) problem('REMINDER_DAYS', `"${part}" is not a whole number of days`);
    else if (!reminderDays.includes(Number(part))) reminderDays.push(Number(part));
  }
  reminderDays.sort((a, b) => b - a);

  const schedules = {} as Record<JobName, string>;
  for (const job of JOB_NAMES) {
    const variable = scheduleVariable(job);
    const expression = e[variable] ?? DEFAULT_SCHEDULES[job];
    if (!cron.validate(expression)) problem(variable, `"${expression}" is not a valid cron expression`);
    schedules[job] = expression;
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const rootDataDir = path.resolve(cwd, e.DATA_DIR);
  return {
    mode,
    host: e.HOST,
    port,
    publicUrl,
    secureCookies: publicUrl.startsWith('https:'),
    trustProxy: e.TRUST_PROXY,
    rootDataDir,
    dataDir: sandbox ? path.join(rootDataDir, 'sandbox') : rootDataDir,
    logLevel: e.LOG_LEVEL,
    timeZone: e.TIMEZONE,
    openlearning: {
      publicKeysPem,
      jwksUrl,
      audience: e.OPENLEARNING_AUDIENCE ?? 'sandbox-institution',
      // In sandbox mode the portal plays OpenLearning itself; the sandbox router answers this URL and key.
      apiKey: e.OPENLEARNING_API_KEY ?? 'sandbox-api-key',
      apiUrl: sandbox ? `http://${loopbackHost(e.HOST)}:${port}/sandbox/api/v2.2` : e.OPENLEARNING_API_URL.replace(/\/+$/, ''),
      apiTimeoutMs: e.OPENLEARNING_API_TIMEOUT * 1000,
      jwksCooldownMs: 30_000,
      redirectHosts: sandbox ? [...redirectHosts, new URL(publicUrl).hostname] : redirectHosts,
      enrolApi: e.OPENLEARNING_ENROL_API,
      tokenMaxAgeSeconds: tokenMaxAgeSeconds!,
    },
    mail: { smtpUrl: e.SMTP_URL, from: mailFrom!, financeEmail: e.FINANCE_EMAIL },
    seller: {
      name: sellerName!,
      address: sellerAddress!,
      taxId: validatedTaxId?.display,
      taxIdLabel: e.SELLER_TAX_ID_LABEL ?? validatedTaxId?.label ?? 'Tax ID',
      validatedTaxId,
      country: sellerCountry!,
      taxIdNone,
      electronicAddress: sellerElectronicAddress,
    },
    bank: bankAccounts,
    tax: {
      rate: (taxRate as { ok: true; rate: TaxRate }).rate,
      label: e.TAX_LABEL ?? (sandbox ? 'GST' : 'Tax'),
      inclusive: e.TAX_INCLUSIVE,
      reverseCharge: e.TAX_REVERSE_CHARGE,
      exemptionReason: e.TAX_EXEMPTION_REASON?.trim(),
    },
    invoice: {
      prefix: sandbox ? `SANDBOX-${e.INVOICE_PREFIX}` : e.INVOICE_PREFIX,
      dueDays: e.INVOICE_DUE_DAYS,
      expiryDays: e.INVOICE_EXPIRY_DAYS,
      notes: invoiceNotes,
      supplyDate: e.SUPPLY_DATE,
      languages: invoiceLanguages,
      secondLanguage: isLanguage(e.INVOICE_SECOND_LANGUAGE?.trim()) ? (e.INVOICE_SECOND_LANGUAGE.trim() as Language) : undefined,
    },
    ledger: {
      paymentTolerance: tolerance.ok ? tolerance.tolerance : NO_TOLERANCE,
      creditNotePrefix: sandbox ? `SANDBOX-${e.CREDIT_NOTE_PREFIX}` : e.CREDIT_NOTE_PREFIX,
      sepaVersion: e.SEPA_PAIN_VERSION,
      aba,
    },
    admin: { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD },
    session: { idleMinutes: e.SESSION_IDLE_MINUTES, maxHours: e.SESSION_MAX_HOURS },
    jobs: { enabled: e.JOBS_ENABLED, schedules, reminderDays, backupKeep: e.BACKUP_KEEP },
  };
}

type ProblemReporter = (variable: string, message: string, hint?: string) => void;

const CURRENCY_ACCOUNT_VARIABLE = /^BANK_([A-Z]{3})_(ACCOUNT_NAME|IBAN|BIC|BSB|ACCOUNT_NUMBER|DETAILS)$/;
const CURRENCY_ACCOUNT_FIELDS = {
  ACCOUNT_NAME: 'accountName',
  IBAN: 'iban',
  BIC: 'bic',
  BSB: 'bsb',
  ACCOUNT_NUMBER: 'accountNumber',
  DETAILS: 'details',
} as const;
type CurrencyAccountSuffix = keyof typeof CURRENCY_ACCOUNT_FIELDS;

function currencyAccountHint(currency: string): string {
  return `the account for ${currency} invoices: BANK_${currency}_ACCOUNT_NAME (default BANK_ACCOUNT_NAME) and BANK_${currency}_IBAN, or BANK_${currency}_BSB with BANK_${currency}_ACCOUNT_NUMBER, or BANK_${currency}_DETAILS; BANK_${currency}_BIC is optional`;
}

/**
 * The accounts learners pay into, one per currency: from BANK_ACCOUNTS_FILE, from BANK_<CURRENCY>_*
 * variables, and the default for every other currency ('*') from the old single-account variables
 * (or a '*' entry in the file). The old fields of config.bank keep describing the default account.
 */
function loadBankAccounts(env: Env, e: Record<string, string | undefined>, cwd: string, sandbox: boolean, problem: ProblemReporter): Config['bank'] {
  const accounts: BankAccount[] = [];
  if (e.BANK_ACCOUNTS_FILE) {
    const file = path.resolve(cwd, e.BANK_ACCOUNTS_FILE);
    if (!fs.existsSync(file)) problem('BANK_ACCOUNTS_FILE', `file ${file} does not exist`);
    else {
      const parsed = parseBankAccountsJson(fs.readFileSync(file, 'utf8'));
      if (parsed.ok) accounts.push(...parsed.accounts);
      else for (const p of parsed.problems) problem('BANK_ACCOUNTS_FILE', `${file}: ${p}`);
    }
  }

  const byCurrency = new Map<string, Partial<Record<CurrencyAccountSuffix, string>>>();
  for (const [name, value] of Object.entries(env)) {
    const match = CURRENCY_ACCOUNT_VARIABLE.exec(name);
    if (!match || value === undefined || value.trim() === '') continue;
    const [, currency, suffix] = match as unknown as [string, string, CurrencyAccountSuffix];
    if (!isCurrencyCode(currency)) {
      problem(name, `${currency} is not an ISO 4217 currency code`, 'name the variable after the invoice currency, e.g. BANK_EUR_IBAN or BANK_AUD_BSB');
      continue;
    }
    byCurrency.set(currency, { ...byCurrency.get(currency), [suffix]: value });
  }
  for (const [currency, fields] of byCurrency) {
    if (accounts.some((a) => a.currency === currency)) {
      problem('BANK_ACCOUNTS_FILE', `has an account for ${currency}, and BANK_${currency}_* variables describe another: keep one of them`);
      continue;
    }
    const input: BankAccountInput = { currency, accountName: fields.ACCOUNT_NAME ?? e.BANK_ACCOUNT_NAME };
    for (const suffix of Object.keys(fields) as CurrencyAccountSuffix[]) input[CURRENCY_ACCOUNT_FIELDS[suffix]] = unescapeNewlines(fields[suffix]);
    const checked = checkBankAccount(input);
    if (checked.ok) accounts.push(checked.account);
    else for (const message of checked.problems) problem(...currencyAccountProblem(currency, message), currencyAccountHint(currency));
  }

  const fileDefault = accounts.find((a) => a.currency === ANY_CURRENCY);
  const legacyGiven = e.BANK_IBAN !== undefined || e.BANK_BIC !== undefined || e.BANK_DETAILS !== undefined;
  if (fileDefault) {
    if (legacyGiven)
      problem('BANK_ACCOUNTS_FILE', 'has an account for "*" (every other currency), and BANK_IBAN/BANK_BIC/BANK_DETAILS describe another: keep one of them');
    const details = [
      fileDefault.bsb && `BSB ${fileDefault.bsb}`,
      fileDefault.accountNumber && `Account ${fileDefault.accountNumber}`,
      fileDefault.details,
    ].filter(Boolean);
    return {
      accountName: fileDefault.accountName,
      iban: fileDefault.iban,
      bic: fileDefault.bic,
      details: details.length > 0 ? details.join('\n') : undefined,
      accounts,
    };
  }

  const nothingConfigured = accounts.length === 0 && !legacyGiven && e.BANK_ACCOUNT_NAME === undefined;
  const iban = e.BANK_IBAN ?? (sandbox ? 'DE89370400440532013000' : undefined);
  const bic = e.BANK_BIC ?? (sandbox && !e.BANK_IBAN ? 'COBADEFFXXX' : undefined);
  const details = unescapeNewlines(e.BANK_DETAILS ?? (sandbox ? 'BSB 062-000\\nAccount 1234 5678' : undefined));
  const accountName = e.BANK_ACCOUNT_NAME ?? (sandbox ? 'Sandbox Academy Pty Ltd' : undefined);
  if (iban !== undefined && !isValidIban(iban)) problem('BANK_IBAN', 'is not a valid IBAN (length or check digits are wrong)');
  if (bic !== undefined && !isValidBic(bic)) problem('BANK_BIC', 'is not a valid BIC');
  if (!sandbox && !iban && !details)
    problem(
      'BANK_IBAN',
      'or BANK_DETAILS is required (or an account for "*" in BANK_ACCOUNTS_FILE): learners paying in any currency need to know where to pay',
    );
  if (!sandbox && !accountName) problem('BANK_ACCOUNT_NAME', 'is required: learners need the name of the account they pay into');

  const normalizedIban = iban && isValidIban(iban) ? normalizeIban(iban) : undefined;
  const normalizedBic = bic && isValidBic(bic) ? normalizeBic(bic) : undefined;
  if (sandbox && nothingConfigured) {
    // The sandbox shows what per-currency accounts look like: AUD pays to a BSB, everything else to an IBAN.
    accounts.push(
      { currency: 'AUD', accountName: accountName!, bsb: '062-000', accountNumber: '1234 5678' },
      { currency: ANY_CURRENCY, accountName: accountName!, iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' },
    );
  } else if (accountName && (normalizedIban || details)) {
    const fallback: BankAccount = { currency: ANY_CURRENCY, accountName };
    if (normalizedIban) fallback.iban = normalizedIban;
    if (normalizedBic) fallback.bic = normalizedBic;
    if (details) fallback.details = details;
    accounts.push(fallback);
  }
  return { accountName, iban: iban ? normalizeIban(iban) : undefined, bic: bic ? normalizeBic(bic) : undefined, details, accounts };
}

/** Turns a problem of checkBankAccount() (named after the file's fields) into one about the variable to fix. */
function currencyAccountProblem(currency: string, message: string): [string, string] {
  const variable = (suffix: CurrencyAccountSuffix) => `BANK_${currency}_${suffix}`;
  for (const [suffix, field] of Object.entries(CURRENCY_ACCOUNT_FIELDS) as [CurrencyAccountSuffix, string][]) {
    if (message.startsWith(`${field} `)) {
      if (suffix === 'BSB' && message.includes('accountNumber')) return [variable('ACCOUNT_NUMBER'), `is required next to ${variable('BSB')}`];
      if (suffix === 'ACCOUNT_NAME')
        return [variable('ACCOUNT_NAME'), `(or BANK_ACCOUNT_NAME) is required: learners need the name of the account they pay into`];
      return [variable(suffix), message.slice(field.length + 1)];
    }
  }
  return [
    variable('IBAN'),
    `(or ${variable('BSB')} with ${variable('ACCOUNT_NUMBER')}, or ${variable('DETAILS')}) is required: learners need to know where to pay`,
  ];
}

/**
 * DATA_DIR must exist (or be creatable) and be writable before anything starts: otherwise the
 * portal would start and then fail on the first invoice. A probe file is written because root, a
 * read-only mount or an ACL make permission bits an unreliable answer.
 */
export function dataDirProblem(dir: string): ConfigProblem | undefined {
  const problem = (message: string) => ({ variable: 'DATA_DIR', message, hint: HINTS.DATA_DIR! });
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    return problem(`${dir} cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (error) {
    return problem(`${dir} is not writable by this process (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return undefined;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** '3600', '90s', '15m', '12h', '1d' in seconds; undefined when it is none of these. */
function parseDuration(value: string): number | undefined {
  const match = /^(\d{1,9})\s*([smhd]?)$/i.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS[(match[2] || 's').toLowerCase()]!;
}

function splitPemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN (?:RSA )?PUBLIC KEY-----[\s\S]+?-----END (?:RSA )?PUBLIC KEY-----/g) ?? [];
}

function unescapeNewlines(value: string | undefined): string | undefined {
  return value?.replace(/\\n/g, '\n');
}

function isTimeZone(zone: string): boolean {
  // The list is cheap; the first DateTimeFormat loads ICU's calendar data (about 25 ms of every
  // start), so it is only the check for names the list spells differently (aliases, other case).
  if (Intl.supportedValuesOf('timeZone').includes(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** Where this process can reach itself: the bound address, or loopback when bound to all interfaces. */
function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
