/**
 * The learner catalogues (locales/learner/<language>.json): every message English has exists in
 * every language with the same placeholders, every message parses as ICU MessageFormat, every key a
 * template or the code asks for exists, and nothing in the catalogue is left unused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, test } from 'vitest';
import { ERROR_CATALOGUE, LEARNER_ERROR_IDS } from '../../src/errors.js';
import { LANGUAGES, loadCatalogue, translator } from '../../src/i18n.js';
import { PROJECT_ROOT } from '../../src/paths.js';

function placeholders(message: string): string[] {
  const names = new Set<string>();
  const walk = (elements: MessageFormatElement[]) => {
    for (const element of elements) {
      if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
      names.add(element.value);
      if (element.type === TYPE.plural || element.type === TYPE.select) for (const option of Object.values(element.options)) walk(option.value);
      if (element.type === TYPE.tag) walk(element.children);
    }
  };
  walk(parse(message, { ignoreTag: true }));
  return [...names].sort();
}

function filesUnder(dir: string, extension: RegExp): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => extension.test(f))
    .map((f) => path.join(dir, f));
}

const english = loadCatalogue('learner', 'en');
const errorKeys = (language: string) => Object.keys(loadCatalogue('learner', language)).filter((key) => key.startsWith('error.') && key.split('.').length > 2);

describe.each(LANGUAGES.filter((l) => l !== 'en'))('the %s catalogue', (language) => {
  const catalogue = loadCatalogue('learner', language);

  test('has every English message, with the same placeholders, and nothing English lacks', () => {
    const missing = Object.keys(english).filter((key) => !(key in catalogue));
    expect(missing).toEqual([]);
    const extra = Object.keys(catalogue).filter((key) => !(key in english) && !errorKeys(language).includes(key));
    expect(extra).toEqual([]);
    const mismatched = Object.keys(english)
      .filter((key) => JSON.stringify(placeholders(english[key]!)) !== JSON.stringify(placeholders(catalogue[key]!)))
      .map((key) => `${key}: ${placeholders(english[key]!).join(',')} vs ${placeholders(catalogue[key]!).join(',')}`);
    expect(mismatched).toEqual([]);
  });

  test('translates every error a learner can meet: title, message, and the action where English has one', () => {
    const missing: string[] = [];
    for (const id of LEARNER_ERROR_IDS) {
      const spec = ERROR_CATALOGUE[id];
      for (const part of ['title', 'message', ...('action' in spec ? ['action'] : [])]) {
        if (!catalogue[`error.${id}.${part}`]) missing.push(`error.${id}.${part}`);
      }
    }
    expect(missing).toEqual([]);
    const unknown = errorKeys(language).filter((key) => !(LEARNER_ERROR_IDS as readonly string[]).includes(key.split('.').slice(1, -1).join('.')));
    expect(unknown).toEqual([]);
  });

  test('differs from English where it should: no message left untranslated by accident', () => {
    // Words that are the same in both languages (product names, "Program", "Total", codes) are listed.
    const same = new Set([
      'common.program',
      'common.total',
      'pdf.total',
      'pdf.bsb',
      'status',
      'invoice.status',
      'billing.field.email',
      'layout.sandbox_suffix',
    ]);
    // Malaysian invoices commonly keep "QTY": no Malay word fits the narrow quantity column.
    if (language === 'ms') same.add('pdf.col.quantity');
    const untranslated = Object.keys(english).filter((key) => catalogue[key] === english[key] && !same.has(key));
    expect(untranslated).toEqual([]);
  });
});

describe('every catalogue', () => {
  test.each(LANGUAGES)('%s: every message formats in its language', (language) => {
    const i18n = translator('learner', language);
    for (const key of Object.keys(loadCatalogue('learner', language))) {
      const values = Object.fromEntries(placeholders(loadCatalogue('learner', language)[key]!).map((name) => [name, name === 'count' ? 2 : `[${name}]`]));
      const text = i18n.text(key, values);
      expect(text.length, key).toBeGreaterThan(0);
      // Every value appears in the text: a placeholder the message never prints would be a bug.
      for (const [name, value] of Object.entries(values)) if (name !== 'count') expect(text, `${language} ${key}`).toContain(String(value));
    }
  });

  test('plurals follow each language: one field and three fields', () => {
    expect(translator('learner', 'en').text('billing.check_fields', { count: 1 })).toBe('Please check this field');
    expect(translator('learner', 'en').text('billing.check_fields', { count: 3 })).toBe('Please check these 3 fields');
    expect(translator('learner', 'zh-CN').text('billing.check_fields', { count: 3 })).toBe('请检查以下 3 个字段');
  });

  test('HTML keeps the message’s markup and escapes the values; text drops the markup', () => {
    const i18n = translator('learner', 'en');
    expect(i18n.html('invoice.emailed', { email: '<a@b.c>' })).toBe('We emailed it to <strong>&lt;a@b.c&gt;</strong>. You can also download it below.');
    expect(i18n.text('invoice.emailed', { email: '<a@b.c>' })).toBe('We emailed it to <a@b.c>. You can also download it below.');
  });
});

describe('keys used by templates and code', () => {
  // Staff pages and staff emails have their own catalogue (test/unit/staff-catalogue.test.ts).
  const views = filesUnder(path.join(PROJECT_ROOT, 'views'), /\.njk$/).filter(
    (f) => !f.includes(`${path.sep}admin${path.sep}`) && !path.basename(f).startsWith('staff-'),
  );
  const sources = filesUnder(path.join(PROJECT_ROOT, 'src'), /\.ts$/);
  const templateText = views.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const sourceText = sources.map((f) => fs.readFileSync(f, 'utf8')).join('\n');

  test('every key a learner template asks for exists in English', () => {
    const used = [...templateText.matchAll(/\bt\(\s*["']([\w.-]+)["']/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(100);
    expect(used.filter((key) => !(key in english))).toEqual([]);
  });

  test('every English message is used by a template or the code', () => {
    // Keys the code builds from a value: status.<status>, billing.error.<code>.
    const dynamic = [/^status\./, /^billing\.error\./];
    const unused = Object.keys(english).filter(
      (key) =>
        !templateText.includes(`"${key}"`) && !templateText.includes(`'${key}'`) && !sourceText.includes(`'${key}'`) && !dynamic.some((d) => d.test(key)),
    );
    expect(unused).toEqual([]);
  });
});
