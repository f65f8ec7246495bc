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
import { isValidBic, isValidIban, normalizeBic, normalizeIban } from './domain/iban.js';
import { parseTaxRate, type TaxRate } from './domain/tax.js';

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

export type Mode = 'production' | 'sandbox';
export type EnrolApi = 'form' | 'json';

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
  seller: { name: string; address: string; taxId: string | undefined; taxIdLabel: string };
  bank: { accountName: string | undefined; iban: string | undefined; bic: string | undefined; details: string | undefined };
  tax: { rate: TaxRate; label: string; inclusive: boolean };
  invoice: { prefix: string; dueDays: number; expiryDays: number };
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
  DATA_DIR: 'a writable directory for the database, PDFs, mail and backups, e.g. DATA_DIR=/var/lib/portal',
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
  SELLER_TAX_ID: 'your tax registration number (ABN, VAT id, ...); when set, invoices are titled "Tax Invoice"',
  SELLER_TAX_ID_LABEL: 'the name of that number on the invoice, e.g. ABN or VAT',
  BANK_ACCOUNT_NAME: 'the name of the account that receives transfers',
  BANK_IBAN: 'a valid IBAN, spaces allowed, e.g. DE89 3704 0044 0532 0130 00',
  BANK_BIC: 'an 8 or 11 character BIC/SWIFT code, e.g. COBADEFFXXX',
  BANK_DETAILS: 'free text for countries without IBAN, e.g. "BSB 062-000\\nAccount 1234 5678"',
  TAX_RATE: 'a percentage between 0 and 100, e.g. TAX_RATE=10 or TAX_RATE=7.5',
  TAX_LABEL: 'the tax name on invoices, e.g. GST or VAT',
  TAX_INCLUSIVE: 'true when the OpenLearning price already includes the tax, false when tax is added on top',
  INVOICE_PREFIX: 'letters, digits, "-", "/" or "_", at most 12 characters, e.g. INV-',
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
  SELLER_TAX_ID: optionalText,
  SELLER_TAX_ID_LABEL: text('Tax ID'),
  BANK_ACCOUNT_NAME: optionalText,
  BANK_IBAN: optionalText,
  BANK_BIC: optionalText,
  BANK_DETAILS: optionalText,
  TAX_RATE: optionalText,
  TAX_LABEL: optionalText,
  TAX_INCLUSIVE: boolean(true),
  INVOICE_PREFIX: text('INV-'),
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
  const problem = (variable: string, message: string) => problems.push({ variable, message, hint: HINTS[variable] ?? '' });

  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problem(String(issue.path[0]), issue.message);
    // Keep going with what did parse so the list is complete: re-parse the good fields only.
  }
  const bad = new Set(problems.map((p) => p.variable));
  const safeEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !bad.has(k)));
  const e = envSchema.parse(safeEnv) as z.infer<typeof envSchema> & Record<string, string>;

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

  const iban = e.BANK_IBAN ?? (sandbox ? 'DE89370400440532013000' : undefined);
  const bic = e.BANK_BIC ?? (sandbox && !e.BANK_IBAN ? 'COBADEFFXXX' : undefined);
  const details = unescapeNewlines(e.BANK_DETAILS ?? (sandbox ? 'BSB 062-000\\nAccount 1234 5678' : undefined));
  const accountName = e.BANK_ACCOUNT_NAME ?? (sandbox ? 'Sandbox Academy Pty Ltd' : undefined);
  if (iban !== undefined && !isValidIban(iban)) problem('BANK_IBAN', 'is not a valid IBAN (length or check digits are wrong)');
  if (bic !== undefined && !isValidBic(bic)) problem('BANK_BIC', 'is not a valid BIC');
  if (!sandbox && !iban && !details) problem('BANK_IBAN', 'or BANK_DETAILS is required: learners need to know where to pay');
  if (!sandbox && !accountName) problem('BANK_ACCOUNT_NAME', 'is required: learners need the name of the account they pay into');

  const taxRateText = e.TAX_RATE ?? (sandbox ? '10' : '0');
  const taxRate = parseTaxRate(taxRateText);
  if (!taxRate.ok) problem('TAX_RATE', taxRate.error);

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
      taxId: e.SELLER_TAX_ID ?? (sandbox ? '12 345 678 901' : undefined),
      taxIdLabel: sandbox && !e.SELLER_TAX_ID ? 'ABN' : e.SELLER_TAX_ID_LABEL,
    },
    bank: { accountName, iban: iban ? normalizeIban(iban) : undefined, bic: bic ? normalizeBic(bic) : undefined, details },
    tax: { rate: (taxRate as { ok: true; rate: TaxRate }).rate, label: e.TAX_LABEL ?? (sandbox ? 'GST' : 'Tax'), inclusive: e.TAX_INCLUSIVE },
    invoice: { prefix: sandbox ? `SANDBOX-${e.INVOICE_PREFIX}` : e.INVOICE_PREFIX, dueDays: e.INVOICE_DUE_DAYS, expiryDays: e.INVOICE_EXPIRY_DAYS },
    admin: { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD },
    session: { idleMinutes: e.SESSION_IDLE_MINUTES, maxHours: e.SESSION_MAX_HOURS },
    jobs: { enabled: e.JOBS_ENABLED, schedules, reminderDays, backupKeep: e.BACKUP_KEEP },
  };
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
