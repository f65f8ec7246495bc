/**
 * Languages: which ones learners can read the portal in, how one is chosen, and the message
 * catalogues (ICU MessageFormat, one JSON file per language under locales/<audience>/).
 *
 * Messages are formatted by intl-messageformat (FormatJS), so plurals and numbers follow each
 * language's CLDR rules instead of string concatenation. A message may hold simple markup
 * (`<strong>{email}</strong>`): HTML pages get it with every value escaped; plain-text emails and
 * the PDF get the same message with the tags removed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { match } from '@formatjs/intl-localematcher';
import { IntlMessageFormat } from 'intl-messageformat';
import { LOCALES_DIR } from './paths.js';

/** Every language the learner side is written in; INVOICE_LANGUAGES picks from these. */
export const LANGUAGES = ['en', 'ms', 'id', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language named in itself, for the switcher. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  ms: 'Bahasa Melayu',
  id: 'Bahasa Indonesia',
  'zh-CN': '简体中文',
};

/**
 * The Intl locale each language formats dates and numbers with. English is British English: the
 * portal has always printed "1 Dec 2026", which reads the same in Australia, Malaysia and Europe.
 */
const INTL_LOCALES: Record<Language, string> = { en: 'en-GB', ms: 'ms-MY', id: 'id-ID', 'zh-CN': 'zh-CN' };

export function intlLocale(language: Language): string {
  return INTL_LOCALES[language];
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The offered language closest to what the browser asks for (`Accept-Language`, already split in
 * order of preference), or the first offered one. "zh-TW" or "zh-Hant" still get Chinese; "ms-MY"
 * and "id" get their own; anything unknown gets the first offered language.
 */
export function negotiateLanguage(requested: readonly string[], offered: readonly Language[]): Language {
  const fallback = offered[0] ?? 'en';
  const wanted = requested.filter((tag) => tag !== '*' && isWellFormedTag(tag));
  if (wanted.length === 0) return fallback;
  const chosen = match(wanted, offered, fallback, { algorithm: 'best fit' });
  return isLanguage(chosen) ? chosen : fallback;
}

function isWellFormedTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Catalogues

/** learner: pages, emails and the PDF a learner sees; staff: the finance desk (English for now). */
export type Audience = 'learner' | 'staff';

export type Catalogue = Readonly<Record<string, string>>;

const catalogues = new Map<string, Catalogue>();

export function catalogueFile(audience: Audience, language: string): string {
  return path.join(LOCALES_DIR, audience, `${language}.json`);
}

/** The catalogue's messages as written (read from disk once per process). */
export function loadCatalogue(audience: Audience, language: string): Catalogue {
  const key = `${audience}/${language}`;
  let catalogue = catalogues.get(key);
  if (!catalogue) {
    catalogue = Object.freeze(JSON.parse(readFileSync(catalogueFile(audience, language), 'utf8')) as Record<string, string>);
    catalogues.set(key, catalogue);
  }
  return catalogue;
}

/** The languages that have a staff catalogue: today English only, and adding a file adds one. */
export const STAFF_LANGUAGES: readonly Language[] = ['en'];

export type MessageValues = Record<string, string | number | Date | null | undefined>;

export interface Translator {
  readonly language: Language;
  readonly locale: string;
  /** Plain text: emails, the PDF, page titles. Markup in the message is dropped. */
  text(key: string, values?: MessageValues): string;
  /** HTML: values escaped, the message's own markup kept. */
  html(key: string, values?: MessageValues): string;
  has(key: string): boolean;
}

const translators = new Map<string, Translator>();

/** One translator per audience and language, its messages compiled on first use. */
export function translator(audience: Audience, language: Language): Translator {
  const key = `${audience}/${language}`;
  let found = translators.get(key);
  if (!found) {
    found = createTranslator(audience, language);
    translators.set(key, found);
  }
  return found;
}

function createTranslator(audience: Audience, language: Language): Translator {
  const locale = INTL_LOCALES[language];
  // A key missing from a translation shows the English message rather than failing the page (the
  // catalogue test makes sure none is missing). Staff pages also include a few partials written
  // for learners (an invoice's tax lines), so they fall back to the learner catalogue.
  const lookup = [loadCatalogue(audience, language), loadCatalogue(audience, 'en')];
  if (audience === 'staff') lookup.push(loadCatalogue('learner', language), loadCatalogue('learner', 'en'));
  const compiled = new Map<string, { text: IntlMessageFormat; html: IntlMessageFormat }>();

  function compile(key: string) {
    let entry = compiled.get(key);
    if (!entry) {
      const source = lookup.find((catalogue) => key in catalogue)?.[key];
      if (source === undefined) throw new Error(`No message "${key}" in the ${audience} catalogue`);
      entry = {
        text: new IntlMessageFormat(stripTags(source), locale, undefined, { ignoreTag: true }),
        html: new IntlMessageFormat(source, locale, undefined, { ignoreTag: true }),
      };
      compiled.set(key, entry);
    }
    return entry;
  }

  return {
    language,
    locale,
    text: (key, values) => String(compile(key).text.format(values as Record<string, string>)),
    html: (key, values) => String(compile(key).html.format(escapeValues(values) as Record<string, string>)),
    has: (key) => lookup.some((catalogue) => key in catalogue),
  };
}

/** Markup allowed in messages: a few inline tags, no attributes (links are built by templates). */
const TAG = /<\/?(?:strong|em|b|br)\s*\/?>/g;

function stripTags(message: string): string {
  return message.replace(TAG, '');
}

function escapeValues(values: MessageValues | undefined): MessageValues | undefined {
  if (!values) return values;
  const escaped: MessageValues = {};
  for (const [name, value] of Object.entries(values)) escaped[name] = typeof value === 'string' ? escapeHtml(value) : value;
  return escaped;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The language of a learner page: the one the learner picked (`?lang=` or the switcher), else the
 * one remembered with their request or invoice, else the browser's preference.
 */
export function chooseLanguage(offered: readonly Language[], choice: { asked?: unknown; remembered?: string | null; accepted: readonly string[] }): Language {
  if (isLanguage(choice.asked) && offered.includes(choice.asked)) return choice.asked;
  if (isLanguage(choice.remembered) && offered.includes(choice.remembered)) return choice.remembered;
  return negotiateLanguage(choice.accepted, offered);
}

/** The switcher's entries: each offered language named in itself. */
export function languageOptions(offered: readonly Language[]): { code: Language; name: string }[] {
  return offered.map((code) => ({ code, name: LANGUAGE_NAMES[code] }));
}

/**
 * Text for the finance desk written by code rather than templates (page titles, notices, CSV
 * columns, statement matching's notes), from the staff catalogue. Every account reads English:
 * choosing a staff language per account is not built, and would be decided here.
 */
export function staffText(key: string, values?: MessageValues): string {
  return translator('staff', STAFF_LANGUAGES[0]!).text(key, values);
}
