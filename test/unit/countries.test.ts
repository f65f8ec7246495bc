import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES, countryName, countryOptions, isCountryCode } from '../../src/domain/countries.js';

describe('COUNTRY_CODES', () => {
  it('lists the 249 ISO 3166-1 alpha-2 codes once each, sorted', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(new Set(COUNTRY_CODES).size).toBe(249);
    expect([...COUNTRY_CODES].sort()).toEqual(COUNTRY_CODES);
    for (const code of COUNTRY_CODES) expect(code).toMatch(/^[A-Z]{2}$/);
  });

  it('cannot be mutated', () => {
    expect(Object.isFrozen(COUNTRY_CODES)).toBe(true);
  });

  it.each(['AU', 'MY', 'JP', 'PS', 'SS', 'CW', 'SX', 'BQ', 'AX', 'AQ', 'BV', 'HM', 'UM', 'TW', 'EH', 'GB', 'US'])('includes %s', (code) => {
    expect(COUNTRY_CODES).toContain(code);
    expect(isCountryCode(code)).toBe(true);
  });

  it.each([
    'XK', // Kosovo: user-assigned, not ISO
    'EU', // exceptionally reserved
    'UN',
    'UK', // GB is the code
    'AN', // Netherlands Antilles, withdrawn
    'YU',
    'CS',
    'ZZ',
    'AC', // Ascension: reserved, part of SH
  ])('excludes %s', (code) => {
    expect(isCountryCode(code)).toBe(false);
  });

  it('matches codes exactly', () => {
    expect(isCountryCode('au')).toBe(false);
    expect(isCountryCode(' AU')).toBe(false);
    expect(isCountryCode('AUS')).toBe(false);
    expect(isCountryCode('')).toBe(false);
  });
});

describe('countryName', () => {
  it.each([
    ['AU', 'Australia'],
    ['JP', 'Japan'],
    ['MY', 'Malaysia'],
    ['DE', 'Germany'],
    ['CI', 'Côte d’Ivoire'],
  ])('%s is %s in English by default', (code, name) => {
    expect(countryName(code)).toBe(name);
  });

  it('follows the locale', () => {
    expect(countryName('DE', 'de')).toBe('Deutschland');
    expect(countryName('DE', 'fr')).toBe('Allemagne');
    expect(countryName('JP', 'ja')).toBe('日本');
  });

  it('has a real name, not the bare code, for every country', () => {
    for (const code of COUNTRY_CODES) {
      const name = countryName(code);
      expect(name).not.toBe(code);
      expect(name).not.toBe('Unknown Region');
    }
  });

  it('throws for codes that are not ISO 3166-1 countries', () => {
    expect(() => countryName('XK')).toThrow(/Unknown ISO 3166-1 country code/);
    expect(() => countryName('au')).toThrow(/Unknown ISO 3166-1 country code/);
  });
});

describe('countryOptions', () => {
  it('lists every country sorted by English name with accents folded', () => {
    const options = countryOptions();
    expect(options).toHaveLength(249);
    expect(options.map((o) => o.code).sort()).toEqual(COUNTRY_CODES);
    expect(options.slice(0, 3)).toEqual([
      { code: 'AF', name: 'Afghanistan' },
      { code: 'AX', name: 'Åland Islands' }, // a plain code-unit sort would put Å after Z
      { code: 'AL', name: 'Albania' },
    ]);
    const collator = new Intl.Collator('en');
    for (let i = 1; i < options.length; i++) {
      expect(collator.compare(options[i - 1]!.name, options[i]!.name)).toBeLessThanOrEqual(0);
    }
  });

  it('sorts by the rules of the requested locale', () => {
    const names = (locale: string): string[] => countryOptions(locale).map((o) => o.name);
    // German puts Ä with A; Swedish puts Å, Ä, Ö after Z.
    const german = names('de');
    expect(german.indexOf('Ägypten')).toBeLessThan(german.indexOf('Albanien'));
    const swedish = names('sv');
    expect(swedish.indexOf('Österrike')).toBeGreaterThan(swedish.indexOf('Zimbabwe'));
    expect(swedish.indexOf('Åland')).toBeGreaterThan(swedish.indexOf('Zimbabwe'));
    expect(swedish.at(-1)?.startsWith('Ö')).toBe(true);
  });

  it('returns a list that callers cannot change for everyone else', () => {
    const first = countryOptions();
    expect(() => (first as { code: string; name: string }[]).push({ code: 'XX', name: 'Nowhere' })).toThrow(TypeError);
    expect(countryOptions()).toHaveLength(249);
  });
});
