import nunjucks from 'nunjucks';
import { countryName } from './domain/countries.js';
import { showsTax, type Invoice, type InvoiceStatus } from './domain/invoice.js';
import { formatIban } from './domain/iban.js';
import { formatMoney } from './domain/money.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from './domain/payment-reference.js';
import { isLanguage, LANGUAGE_NAMES, STAFF_LANGUAGES, translator, type MessageValues, type Translator } from './i18n.js';
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

// Intl formatters are costly to build and cheap to use: one per kind, time zone and locale.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(kind: 'date' | 'datetime', timeZone: string, locale: string): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}|${locale}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      locale,
      kind === 'date'
        ? { day: 'numeric', month: 'short', year: 'numeric', timeZone }
        : { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone, timeZoneName: 'short' },
    );
    dateFormats.set(key, format);
  }
  return format;
}

/** Shared by pages, emails and the PDF so a date reads the same everywhere ('1 Dec 2026' in English). */
export function formatDate(value: string | Date | null | undefined, timeZone: string, locale = 'en-GB'): string {
  if (!value) return '';
  // Calendar dates (YYYY-MM-DD) have no time zone: format them as they are.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return dateFormat('date', 'UTC', locale).format(new Date(`${value}T12:00:00Z`));
  return dateFormat('date', timeZone, locale).format(new Date(value));
}

export function formatDateTime(value: string | Date | null | undefined, timeZone: string, locale = 'en-GB'): string {
  if (!value) return '';
  return dateFormat('datetime', timeZone, locale).format(new Date(value));
}

/**
 * Templates reach the page's translator as `this.ctx.i18n` (nunjucks calls filters and global
 * functions with the render context as `this`); pages without one are staff pages.
 */
function i18nOf(self: unknown): Translator {
  // Staff pages and staff emails read the staff catalogue (English today), like staffText().
  return (self as { ctx?: { i18n?: Translator } } | undefined)?.ctx?.i18n ?? translator('staff', STAFF_LANGUAGES[0]!);
}

export function createViews(options: ViewOptions): Views {
  const make = (autoescape: boolean) => {
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: options.watch ?? false }), {
      autoescape,
      trimBlocks: true,
      lstripBlocks: true,
    });
    env.addFilter('money', function money(this: unknown, minor: number, currency: string) {
      return formatMoney(minor, currency, i18nOf(this).locale);
    });
    env.addFilter('date', function date(this: unknown, value: string) {
      return formatDate(value, options.timeZone, i18nOf(this).locale);
    });
    env.addFilter('datetime', function datetime(this: unknown, value: string) {
      return formatDateTime(value, options.timeZone, i18nOf(this).locale);
    });
    // Staff pages only (a staff catalogue message): learners see learnerStatus, worded for them.
    env.addFilter('status', function status(this: unknown, value: InvoiceStatus) {
      return i18nOf(this).text('common.invoiceStatus', { status: value });
    });
    env.addFilter('learnerStatus', function learnerStatus(this: unknown, status: InvoiceStatus) {
      return i18nOf(this).text(`status.${status}`);
    });
    env.addFilter('iban', (iban: string) => (iban ? formatIban(iban) : ''));
    env.addFilter('reference', (reference: string) => formatPaymentReference(reference));
    env.addFilter('rf', (reference: string) => formatCreditorReference(toCreditorReference(reference)));
    env.addFilter('showsTax', (invoice: Invoice) => showsTax(invoice));
    env.addFilter('country', function country(this: unknown, code: string) {
      return code ? countryName(code, i18nOf(this).locale) : '';
    });
    env.addFilter('languageName', (code: string) => (isLanguage(code) ? LANGUAGE_NAMES[code] : code));
    // t('key', { name: value }): the message in the page's language; HTML pages keep its markup and escape the values.
    env.addGlobal('t', function t(this: unknown, key: string, values?: MessageValues) {
      const i18n = i18nOf(this);
      return autoescape ? new nunjucks.runtime.SafeString(i18n.html(key, values)) : i18n.text(key, values);
    });
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
