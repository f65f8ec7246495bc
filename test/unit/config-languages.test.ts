import { describe, expect, test } from 'vitest';
import { configProblemLines as problemsOf, testConfig as load } from '../helpers/config.js';

describe('INVOICE_LANGUAGES and INVOICE_SECOND_LANGUAGE', () => {
  test('every language by default, English first; a list keeps its order and drops repeats', () => {
    expect(load({}).invoice.languages).toEqual(['en', 'ms', 'id', 'zh-CN']);
    expect(load({ INVOICE_LANGUAGES: ' ms, en ,ms' }).invoice.languages).toEqual(['ms', 'en']);
    expect(load({}).invoice.secondLanguage).toBeUndefined();
    expect(load({ INVOICE_SECOND_LANGUAGE: 'en' }).invoice.secondLanguage).toBe('en');
  });

  test('a language the portal is not written in is a start-up problem that names it', () => {
    expect(problemsOf({ INVOICE_LANGUAGES: 'en,fr,vi' })).toEqual(['INVOICE_LANGUAGES: has "fr", "vi", which the portal is not written in']);
    expect(problemsOf({ INVOICE_LANGUAGES: ',' })).toEqual(['INVOICE_LANGUAGES: is empty']);
    expect(problemsOf({ INVOICE_SECOND_LANGUAGE: 'de' })).toEqual(['INVOICE_SECOND_LANGUAGE: "de" is not a language the portal is written in']);
  });
});
