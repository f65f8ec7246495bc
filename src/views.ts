import nunjucks from 'nunjucks';
import { countryName } from './domain/countries.js';
import { LEARNER_STATUS_LABELS, showsTax, STATUS_LABELS, type Invoice, type InvoiceStatus } from './domain/invoice.js';
import { formatIban } from './domain/iban.js';
import { formatMoney } from './domain/money.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from './domain/payment-reference.js';
import { VIEWS_DIR } from './paths.js';

export interface Views {
  /** HTML pages and HTML email bodies: autoescaped. */
  page(name: string, context: object): string;
  /** Plain-text email bodies and subjects: not escaped (they are not HTML). */
  text(name: string, context: object): string;
}

export interface ViewOptions {
  timeZone: string;
  publicUrl: string;
  sandbox: boolean;
  /** No SMTP: emails are captured to files and readable in the admin area. */
  mailCaptured?: boolean;
  /** Production without SMTP: staff must see that learners receive nothing. */
  mailNotSent?: boolean;
  /** Reload templates from disk on every render (development). */
  watch?: boolean;
}

// Intl formatters are costly to build and cheap to use: one per kind and time zone.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(kind: 'date' | 'datetime', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      'en-GB',
      kind === 'date'
        ? { day: 'numeric', month: 'short', year: 'numeric', timeZone }
        : { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' },
    );
    dateFormats.set(key, format);
  }
  return format;
}

/** Shared by pages, emails and the PDF so a date reads the same everywhere. */
export function formatDate(value: string | Date | null | undefined, timeZone: string): string {
  if (!value) return '';
  // Calendar dates (YYYY-MM-DD) have no time zone: format them as they are.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return dateFormat('date', 'UTC').format(new Date(`${value}T12:00:00Z`));
  return dateFormat('date', timeZone).format(new Date(value));
}

export function formatDateTime(value: string | Date | null | undefined, timeZone: string): string {
  if (!value) return '';
  return dateFormat('datetime', timeZone).format(new Date(value));
}

export function createViews(options: ViewOptions): Views {
  const make = (autoescape: boolean) => {
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: options.watch ?? false }), {
      autoescape,
      trimBlocks: true,
      lstripBlocks: true,
    });
    env.addFilter('money', (minor: number, currency: string) => formatMoney(minor, currency));
    env.addFilter('date', (value: string) => formatDate(value, options.timeZone));
    env.addFilter('datetime', (value: string) => formatDateTime(value, options.timeZone));
    env.addFilter('status', (status: InvoiceStatus) => STATUS_LABELS[status] ?? status);
    env.addFilter('learnerStatus', (status: InvoiceStatus) => LEARNER_STATUS_LABELS[status] ?? status);
    env.addFilter('iban', (iban: string) => (iban ? formatIban(iban) : ''));
    env.addFilter('reference', (reference: string) => formatPaymentReference(reference));
    env.addFilter('rf', (reference: string) => formatCreditorReference(toCreditorReference(reference)));
    env.addFilter('showsTax', (invoice: Invoice) => showsTax(invoice));
    env.addFilter('country', (code: string) => (code ? countryName(code) : ''));
    env.addGlobal('publicUrl', options.publicUrl);
    env.addGlobal('sandbox', options.sandbox);
    env.addGlobal('mailCaptured', options.mailCaptured ?? false);
    env.addGlobal('mailNotSent', options.mailNotSent ?? false);
    return env;
  };
  const html = make(true);
  const plain = make(false);
  return {
    page: (name, context) => html.render(name, context),
    text: (name, context) => plain.render(name, context).trim(),
  };
}
