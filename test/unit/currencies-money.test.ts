import { describe, expect, it } from 'vitest';
import { CURRENCIES, currencyInfo, isCurrencyCode } from '../../src/domain/currencies.js';
import { formatAmount, formatMoney, minorToDecimalString, parseDecimalAmount, parseTypedAmount } from '../../src/domain/money.js';

const NBSP = '\u00a0';

describe('CURRENCIES table', () => {
  it('holds the 157 payable codes of ISO 4217 List One (178 codes minus 13 N.A. minus 8 funds)', () => {
    expect(CURRENCIES.size).toBe(157);
  });

  it.each([
    ['HUF', 2],
    ['IDR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['VND', 0],
    ['CLP', 0],
    ['ISK', 0],
    ['UGX', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['LYD', 3],
    ['IQD', 3],
    ['UYW', 4],
    ['EUR', 2],
    ['USD', 2],
    ['AUD', 2],
    ['MYR', 2],
    ['XAF', 0],
    ['XOF', 0],
    ['XPF', 0],
    ['XCD', 2],
    ['XCG', 2],
    ['ZWG', 2],
    ['SLE', 2],
    ['VED', 2],
    ['VES', 2],
    ['MRU', 2],
    ['MGA', 2],
    ['COP', 2],
  ])('%s has %i minor units (ISO, not CLDR)', (code, minorUnits) => {
    expect(currencyInfo(code)?.minorUnits).toBe(minorUnits);
  });

  it.each([
    // metals, units of account, testing and "no currency"
    'XAU',
    'XAG',
    'XPT',
    'XPD',
    'XTS',
    'XXX',
    'XBA',
    'XBB',
    'XBC',
    'XBD',
    'XDR',
    'XSU',
    'XUA',
    // funds
    'BOV',
    'CHE',
    'CHW',
    'CLF',
    'COU',
    'MXV',
    'USN',
    'UYI',
    // withdrawn: ANG (-> XCG 2025), BGN (-> EUR 2026), HRK (-> EUR 2023), SLL, ZWL, VEF, MRO
    'ANG',
    'BGN',
    'HRK',
    'SLL',
    'ZWL',
    'VEF',
    'MRO',
  ])('does not list %s', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(currencyInfo(code)).toBeUndefined();
  });

  it('returns the full record for a code', () => {
    expect(currencyInfo('AUD')).toEqual({ code: 'AUD', minorUnits: 2, name: 'Australian Dollar' });
    expect(currencyInfo('XCG')).toEqual({ code: 'XCG', minorUnits: 2, name: 'Caribbean Guilder' });
    expect(currencyInfo('KMF')?.name).toBe('Comorian Franc'); // ISO's copy has a trailing space
  });

  it('matches codes exactly: no lower case, no padding', () => {
    expect(currencyInfo('aud')).toBeUndefined();
    expect(currencyInfo('Aud')).toBeUndefined();
    expect(currencyInfo(' AUD')).toBeUndefined();
    expect(currencyInfo('')).toBeUndefined();
    expect(isCurrencyCode('AUD')).toBe(true);
    expect(isCurrencyCode('aud')).toBe(false);
  });

  it('keys every entry by its own well-formed code with a sensible minor unit and name', () => {
    for (const [key, info] of CURRENCIES) {
      expect(info.code).toBe(key);
      expect(key).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(info.minorUnits);
      expect(info.name).toBe(info.name.trim());
      expect(info.name.length).toBeGreaterThan(1);
    }
  });

  it('has records that cannot be mutated', () => {
    const info = currencyInfo('EUR');
    expect(Object.isFrozen(info)).toBe(true);
  });
});

describe('parseDecimalAmount', () => {
  it.each([
    ['1100.00', 'AUD', 110000],
    ['1100', 'AUD', 110000],
    ['0.5', 'AUD', 50],
    ['  12.30 ', 'AUD', 1230],
    ['\t99.99\n', 'USD', 9999],
    ['0', 'AUD', 0],
    ['0.00', 'AUD', 0],
    ['007.50', 'AUD', 750],
    ['1.0500', 'AUD', 105],
    ['30000', 'JPY', 30000],
    ['30000.00', 'JPY', 30000],
    ['1.000', 'KWD', 1000],
    ['1.234', 'KWD', 1234],
    ['1000.5', 'HUF', 100050],
    ['1.2345', 'UYW', 12345],
    ['90071992547409.91', 'AUD', Number.MAX_SAFE_INTEGER],
    ['9007199254740991', 'JPY', Number.MAX_SAFE_INTEGER],
    ['0000000000000000000000000001.00', 'AUD', 100],
  ])('parses %j %s as %i minor units', (input, currency, minor) => {
    expect(parseDecimalAmount(input, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    [1100, 'AUD', 110000],
    [12.3, 'AUD', 1230], // 12.3 * 100 === 1230.0000000000002 in floats
    [19.99, 'AUD', 1999], // 19.99 * 100 === 1998.9999999999998 in floats
    [0.07, 'AUD', 7],
    [30000, 'JPY', 30000],
    [1.234, 'KWD', 1234],
    [-0, 'AUD', 0], // String(-0) is '0': there is no minus sign to report
  ])('parses the number %d %s as %i minor units without float arithmetic', (input, currency, minor) => {
    expect(parseDecimalAmount(input, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    ['', 'not_a_number'],
    ['   ', 'not_a_number'],
    ['abc', 'not_a_number'],
    ['+5', 'not_a_number'],
    ['--5', 'not_a_number'],
    ['1,100.00', 'not_a_number'],
    ['1 100', 'not_a_number'],
    ['1100.00 AUD', 'not_a_number'],
    ['$1100', 'not_a_number'],
    ['1e5', 'not_a_number'],
    ['1E5', 'not_a_number'],
    ['.5', 'not_a_number'],
    ['5.', 'not_a_number'],
    ['1.2.3', 'not_a_number'],
    ['0x10', 'not_a_number'],
    ['Infinity', 'not_a_number'],
    ['NaN', 'not_a_number'],
    ['١٢٣', 'not_a_number'], // Arabic-Indic digits
    ['１２３', 'not_a_number'], // full-width digits
    ['-5', 'negative'],
    ['-0', 'negative'],
    ['-0.00', 'negative'],
    [' -12.30 ', 'negative'],
    ['-abc', 'not_a_number'],
    ['1.005', 'too_many_decimals'],
    ['0.001', 'too_many_decimals'],
    ['90071992547409.92', 'too_large'],
    ['1' + '0'.repeat(30), 'too_large'],
  ])('rejects %j in AUD as %s', (input, error) => {
    expect(parseDecimalAmount(input, 'AUD')).toEqual({ ok: false, error });
  });

  it('rejects a huge digit string cheaply as too_large', () => {
    expect(parseDecimalAmount('1' + '0'.repeat(100_000), 'AUD')).toEqual({ ok: false, error: 'too_large' });
  });

  it('applies each currency its own number of decimals', () => {
    expect(parseDecimalAmount('30000.5', 'JPY')).toEqual({ ok: false, error: 'too_many_decimals' });
    expect(parseDecimalAmount('1.2345', 'KWD')).toEqual({ ok: false, error: 'too_many_decimals' });
    expect(parseDecimalAmount('1.23450', 'UYW')).toEqual({ ok: true, minor: 12345 });
    expect(parseDecimalAmount('9007199254740992', 'JPY')).toEqual({ ok: false, error: 'too_large' });
    expect(parseDecimalAmount('9007199254740.991', 'KWD')).toEqual({ ok: true, minor: Number.MAX_SAFE_INTEGER });
    expect(parseDecimalAmount('9007199254740.992', 'KWD')).toEqual({ ok: false, error: 'too_large' });
  });

  it.each([
    [Number.NaN, 'not_a_number'],
    [Number.POSITIVE_INFINITY, 'not_a_number'],
    [Number.NEGATIVE_INFINITY, 'not_a_number'],
    [-5, 'negative'],
    [-0.5, 'negative'],
    [0.1 + 0.2, 'too_many_decimals'], // 0.30000000000000004
    [1.005, 'too_many_decimals'],
    [1e21, 'too_large'], // String() gives '1e+21'
    [1e-7, 'too_many_decimals'], // String() gives '1e-7'
    [-1e-7, 'negative'],
    [90071992547409.92, 'too_large'],
  ])('rejects the number %d in AUD as %s', (input, error) => {
    expect(parseDecimalAmount(input, 'AUD')).toEqual({ ok: false, error });
  });

  it.each([[null], [undefined], [{}], [[]], [true], [10n], [['12']]])('rejects non-string, non-number input #%#', (input) => {
    expect(parseDecimalAmount(input, 'AUD')).toEqual({ ok: false, error: 'not_a_number' });
  });

  it('reports an unknown currency before looking at the amount', () => {
    expect(parseDecimalAmount('10.00', 'aud')).toEqual({ ok: false, error: 'unknown_currency' });
    expect(parseDecimalAmount('10.00', 'XAU')).toEqual({ ok: false, error: 'unknown_currency' });
    expect(parseDecimalAmount('junk', 'ABC')).toEqual({ ok: false, error: 'unknown_currency' });
    expect(parseDecimalAmount(10, '')).toEqual({ ok: false, error: 'unknown_currency' });
  });

  it('round-trips with minorToDecimalString for every currency', () => {
    const samples = [0, 1, 9, 10, 99, 100, 101, 12345, 1000000, 987654321, Number.MAX_SAFE_INTEGER];
    for (const code of CURRENCIES.keys()) {
      for (const minor of samples) {
        expect(parseDecimalAmount(minorToDecimalString(minor, code), code)).toEqual({ ok: true, minor });
      }
    }
  });
});

describe('minorToDecimalString', () => {
  it.each([
    [110000, 'AUD', '1100.00'],
    [30000, 'JPY', '30000'],
    [1234, 'KWD', '1.234'],
    [-50, 'AUD', '-0.50'],
    [5, 'AUD', '0.05'],
    [0, 'AUD', '0.00'],
    [0, 'JPY', '0'],
    [1, 'KWD', '0.001'],
    [12345, 'UYW', '1.2345'],
    [100000, 'HUF', '1000.00'],
    [Number.MAX_SAFE_INTEGER, 'AUD', '90071992547409.91'],
    [-Number.MAX_SAFE_INTEGER, 'JPY', '-9007199254740991'],
  ])('%i %s -> %s', (minor, currency, expected) => {
    expect(minorToDecimalString(minor, currency)).toBe(expected);
  });

  it('refuses amounts that are not safe integers', () => {
    expect(() => minorToDecimalString(1.5, 'AUD')).toThrow(/safe integer/);
    expect(() => minorToDecimalString(Number.NaN, 'AUD')).toThrow(/safe integer/);
    expect(() => minorToDecimalString(2 ** 53, 'AUD')).toThrow(/safe integer/);
  });

  it('throws for an unknown currency', () => {
    expect(() => minorToDecimalString(100, 'aud')).toThrow(/Unknown currency/);
  });
});

describe('formatMoney / formatAmount', () => {
  it.each([
    [110000, 'AUD', `AUD${NBSP}1,100.00`],
    [30000, 'JPY', `JPY${NBSP}30,000`],
    [3000000, 'JPY', `JPY${NBSP}3,000,000`],
    [100000, 'HUF', `HUF${NBSP}1,000.00`], // Intl alone would print 'HUF 1,000'
    [100000, 'IDR', `IDR${NBSP}1,000.00`],
    [1234, 'KWD', `KWD${NBSP}1.234`],
    [5, 'AUD', `AUD${NBSP}0.05`],
    [-50, 'AUD', `-AUD${NBSP}0.50`],
    [123456, 'XOF', `XOF${NBSP}123,456`],
    [1250, 'XCG', `XCG${NBSP}12.50`],
  ])('formatMoney(%i, %s) === %j', (minor, currency, expected) => {
    expect(formatMoney(minor, currency)).toBe(expected);
  });

  it('formats the exact decimal, not a float approximation', () => {
    // As a Number, 90071992547409.01 is 90071992547409.015625, which Intl would show as .02.
    expect(formatMoney(9007199254740901, 'AUD')).toBe(`AUD${NBSP}90,071,992,547,409.01`);
    expect(formatAmount(Number.MAX_SAFE_INTEGER, 'KWD')).toBe('9,007,199,254,740.991');
  });

  it.each([
    [110000, 'AUD', '1,100.00'],
    [30000, 'JPY', '30,000'],
    [100000, 'HUF', '1,000.00'],
    [1234, 'KWD', '1.234'],
    [0, 'EUR', '0.00'],
    [-50, 'AUD', '-0.50'],
  ])('formatAmount(%i, %s) === %j', (minor, currency, expected) => {
    expect(formatAmount(minor, currency)).toBe(expected);
  });

  it('follows the locale for separators and code position', () => {
    expect(formatMoney(110000, 'EUR', 'de-DE')).toBe(`1.100,00${NBSP}EUR`);
    expect(formatAmount(110000, 'EUR', 'de-DE')).toBe('1.100,00');
    expect(formatAmount(30000, 'JPY', 'ja-JP')).toBe('30,000');
  });

  it('shows exactly our minor digits for every currency in the table', () => {
    const minor = 123456789;
    for (const code of CURRENCIES.keys()) {
      const amount = formatAmount(minor, code);
      expect(amount.replaceAll(',', '')).toBe(minorToDecimalString(minor, code));
      expect(formatMoney(minor, code)).toBe(`${code}${NBSP}${amount}`);
    }
  });

  it('throws for an unknown currency', () => {
    expect(() => formatMoney(100, 'XAU')).toThrow(/Unknown currency/);
    expect(() => formatAmount(100, 'eur')).toThrow(/Unknown currency/);
  });

  it('throws for a non-integer amount', () => {
    expect(() => formatMoney(10.5, 'AUD')).toThrow(/safe integer/);
  });
});

describe('parseTypedAmount: what staff type or paste into the payment form', () => {
  it('accepts the amount as invoices print it, with grouping commas and the invoice currency', () => {
    expect(parseTypedAmount('1,100.00', 'AUD')).toEqual({ ok: true, minor: 110000 });
    expect(parseTypedAmount('AUD 1,100.00', 'AUD')).toEqual({ ok: true, minor: 110000 });
    expect(parseTypedAmount(' 12,345,678.9 ', 'EUR')).toEqual({ ok: true, minor: 1234567890 });
    expect(parseTypedAmount('30,000', 'JPY')).toEqual({ ok: true, minor: 30000 });
    expect(parseTypedAmount('1100.00', 'AUD')).toEqual({ ok: true, minor: 110000 });
    for (const [minor, currency] of [
      [110000, 'AUD'],
      [123456789, 'EUR'],
      [30000, 'JPY'],
      [1234567, 'KWD'],
    ] as const) {
      expect(parseTypedAmount(formatMoney(minor, currency), currency)).toEqual({ ok: true, minor });
    }
  });

  it('refuses commas that are not thousands separators (they may be decimal commas), and another currency', () => {
    expect(parseTypedAmount('1,10', 'EUR').ok).toBe(false);
    expect(parseTypedAmount('1,1000.00', 'EUR').ok).toBe(false);
    expect(parseTypedAmount('11,00.00', 'EUR').ok).toBe(false);
    expect(parseTypedAmount('USD 1,100.00', 'AUD').ok).toBe(false);
    expect(parseTypedAmount('-1,100.00', 'AUD').ok).toBe(false);
  });
});
