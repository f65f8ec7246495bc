import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { STAFF_LANGUAGES } from '../../src/i18n.js';
import { LOCALES_DIR, PROJECT_ROOT, VIEWS_DIR } from '../../src/paths.js';

/**
 * The finance desk's text lives in locales/staff/<language>.json. English is the source; any other
 * file dropped into that folder is checked against it here, so a second staff language cannot ship
 * with a missing message or a placeholder that lost its value.
 */

const STAFF_DIR = path.join(LOCALES_DIR, 'staff');

function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(extension))
    .map((name) => path.join(dir, name));
}

function readCatalogue(file: string): Record<string, string> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

const english = readCatalogue(path.join(STAFF_DIR, 'en.json'));
const others = readdirSync(STAFF_DIR)
  .filter((name) => name.endsWith('.json') && name !== 'en.json')
  .map((name) => ({ language: name.replace(/\.json$/, ''), messages: readCatalogue(path.join(STAFF_DIR, name)) }));

/** The finance desk's pages and the emails sent to staff. */
const staffTemplates = [
  ...filesUnder(path.join(VIEWS_DIR, 'admin'), '.njk'),
  ...filesUnder(path.join(VIEWS_DIR, 'email'), '.njk').filter((file) => path.basename(file).startsWith('staff-')),
];
const staffTemplateText = staffTemplates.map((file) => ({ file: path.relative(PROJECT_ROOT, file), text: readFileSync(file, 'utf8') }));

/** Where a key may be used: any template (staff emails included) and any TypeScript source. */
const everyUse = [...filesUnder(VIEWS_DIR, '.njk'), ...filesUnder(path.join(PROJECT_ROOT, 'src'), '.ts')].map((file) => readFileSync(file, 'utf8')).join('\n');

interface Element {
  type: number;
  value?: unknown;
  options?: Record<string, { value: Element[] }>;
  children?: Element[];
}

// intl-messageformat's element types: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural.
const ARGUMENT_TYPES = new Set([1, 2, 3, 4, 5, 6]);

function placeholdersOf(message: string): string[] {
  const names = new Set<string>();
  const walk = (elements: Element[]) => {
    for (const element of elements) {
      if (ARGUMENT_TYPES.has(element.type) && typeof element.value === 'string') names.add(element.value);
      for (const option of Object.values(element.options ?? {})) walk(option.value);
      if (element.children) walk(element.children);
    }
  };
  walk(new IntlMessageFormat(message, 'en', undefined, { ignoreTag: true }).getAst() as unknown as Element[]);
  return [...names].sort();
}

describe('the staff catalogue', () => {
  it('has a message for every t() a staff page or staff email calls, and every call names its key literally', () => {
    const missing: string[] = [];
    const dynamic: string[] = [];
    for (const { file, text } of staffTemplateText) {
      for (const call of text.matchAll(/\bt\(\s*([^)\s,]*)/g)) {
        const key = /^'([^']+)'$|^"([^"]+)"$/.exec(call[1]!);
        if (!key) dynamic.push(`${file}: t(${call[1]}`);
        else if (!((key[1] ?? key[2])! in english)) missing.push(`${file}: ${key[1] ?? key[2]}`);
      }
    }
    expect(missing).toEqual([]);
    expect(dynamic).toEqual([]);
  });

  it('has a message for every key the finance desk routes name (titles, notices, form errors)', () => {
    // Routes hold keys as plain strings (maps of notices, tabs, statement groups), so any quoted
    // string shaped like a key in one of the catalogue's namespaces counts; error ids like
    // 'auth.csrf' are in no namespace and are left alone.
    const namespaces = new Set(Object.keys(english).map((key) => key.split('.')[0]!));
    const sources = [...filesUnder(path.join(PROJECT_ROOT, 'src', 'routes', 'admin'), '.ts'), path.join(PROJECT_ROOT, 'src', 'views.ts')];
    const named = sources.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/'([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)+)'/g)]
        .map((match) => match[1]!)
        .filter((key) => namespaces.has(key.split('.')[0]!))
        .map((key) => ({ file: path.relative(PROJECT_ROOT, file), key })),
    );
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter(({ key }) => !(key in english))).toEqual([]);
  });

  it('finds the staff templates and their calls', () => {
    // Guards the test above against passing because it read nothing.
    expect(staffTemplates.length).toBeGreaterThanOrEqual(18);
    expect(staffTemplateText.some(({ text }) => text.includes("t('layout.nav.invoices')"))).toBe(true);
  });

  it('has no message that nothing uses', () => {
    const unused = Object.keys(english).filter((key) => !everyUse.includes(`'${key}'`) && !everyUse.includes(`"${key}"`));
    expect(unused).toEqual([]);
  });

  it('has English messages that all compile', () => {
    const broken = Object.entries(english).filter(([, message]) => {
      try {
        placeholdersOf(message);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken.map(([key]) => key)).toEqual([]);
  });

  it('lists in STAFF_LANGUAGES exactly the languages with a staff catalogue', () => {
    const files = readdirSync(STAFF_DIR)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.replace(/\.json$/, ''));
    expect([...STAFF_LANGUAGES].sort()).toEqual(files.sort());
  });

  // One case per translation in locales/staff/; none exists yet, so this reports "no tests" until one does.
  describe.each(others)('in $language', ({ messages }) => {
    it('has every English message, with the same placeholders, and nothing English lacks', () => {
      const problems: string[] = [];
      for (const [key, source] of Object.entries(english)) {
        const translated = messages[key];
        if (translated === undefined) problems.push(`${key}: missing`);
        else if (placeholdersOf(translated).join() !== placeholdersOf(source).join())
          problems.push(`${key}: placeholders ${placeholdersOf(translated).join()} instead of ${placeholdersOf(source).join()}`);
      }
      for (const key of Object.keys(messages)) if (!(key in english)) problems.push(`${key}: not in English`);
      expect(problems).toEqual([]);
    });
  });
});
