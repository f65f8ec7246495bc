import { describe, expect, it } from 'vitest';
import { isCountryCode } from '../../src/domain/countries.js';
import { IBAN_LENGTHS, formatIban, isValidBic, isValidIban, mod97, normalizeBic, normalizeIban } from '../../src/domain/iban.js';

/** Independent IBAN check digits via BigInt (letters A=10..Z=35), for building fixtures. */
function ibanCheckDigits(country: string, bban: string): string {
  const numeric = [...`${bban}${country}00`].map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c)).join('');
  return String(98n - (BigInt(numeric) % 97n)).padStart(2, '0');
}

// Examples published in the SWIFT IBAN registry.
const REGISTRY_EXAMPLES = [
  'AT611904300234573201',
  'BE68539007547034',
  'CH9300762011623852957',
  'DE89370400440532013000',
  'EG380019000500000000263180002',
  'FK88SC123456789012',
  'FR1420041010050500013M02606',
  'GB29NWBK60161331926819',
  'HN88CABF00000000000250005469',
  'IQ98NBIQ850123456789012',
  'LC55HEMM000100010012001200023015',
  'LY83002048000020100120361',
  'MN121234123456789123',
  'MT84MALT011000012345MTLCAST001S',
  'NL91ABNA0417164300',
  'NO9386011117947',
  'OM810180000001299123456',
  'RU0304452522540817810538091310419',
  'SD2129010501234001',
  'SO211000001001000100141',
  'XK051212012345678906',
  'YE15CBYE0001018861234567891234',
];

describe('normalizeIban', () => {
  it('removes all whitespace and upper-cases', () => {
    expect(normalizeIban('de89 3704 0044 0532 0130 00')).toBe('DE89370400440532013000');
    expect(normalizeIban(' DE89\u00a03704\t0044\n0532 0130 00 ')).toBe('DE89370400440532013000');
  });

  it('leaves other punctuation for validation to reject', () => {
    expect(normalizeIban('DE89-3704')).toBe('DE89-3704');
  });
});

describe('isValidIban', () => {
  it.each(REGISTRY_EXAMPLES)('accepts the registry example %s', (iban) => {
    expect(isValidIban(iban)).toBe(true);
  });

  it('accepts printed, lower-case and pasted forms', () => {
    expect(isValidIban('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(isValidIban('de89 3704 0044 0532 0130 00')).toBe(true);
    expect(isValidIban('GB29\u00a0NWBK\u00a06016\u00a01331\u00a09268\u00a019')).toBe(true);
  });

  it.each([
    ['DE88370400440532013000', 'wrong check digits'],
    ['DE89370400440532013001', 'one digit changed'],
    ['DE89370400440523013000', 'two digits swapped'],
    ['DE8937040044053201300', 'one character short'],
    ['DE893704004405320130000', 'one character long'],
    ['ZZ89370400440532013000', 'unknown country'],
    ['US64SVBKUS6S3300958879', 'country without IBANs'],
    ['DE89-3704-0044-0532-0130-00', 'dashes are not stripped'],
    ['DE89370400440532013.00', 'punctuation inside'],
    ['DEXX370400440532013000', 'letters as check digits'],
    ['89DE370400440532013000', 'country code not first'],
    ['', 'empty'],
    ['DE', 'country only'],
  ])('rejects %s (%s)', (iban) => {
    expect(isValidIban(iban)).toBe(false);
  });

  it('checks the length for the country, not just any length', () => {
    // A correctly check-summed 18-character IBAN for DE (which needs 22) is still wrong.
    const bban = '37040044053201';
    const shortDe = `DE${ibanCheckDigits('DE', bban)}${bban}`;
    expect(BigInt([...`${shortDe.slice(4)}1314${shortDe.slice(2, 4)}`].join('')) % 97n).toBe(1n);
    expect(isValidIban(shortDe)).toBe(false);
  });

  it('rejects territory prefixes the registry folds into their parent (AX uses FI)', () => {
    const bban = '12345600000785';
    expect(isValidIban(`FI${ibanCheckDigits('FI', bban)}${bban}`)).toBe(true);
    expect(isValidIban(`AX${ibanCheckDigits('AX', bban)}${bban}`)).toBe(false);
  });

  it('rejects check digits 00, 01 and 99 even where mod 97 happens to be 1', () => {
    const findBban = (canonical: string): string => {
      for (let n = 0; ; n++) {
        const bban = `3704004405320${String(n).padStart(5, '0')}`;
        if (ibanCheckDigits('DE', bban) === canonical) return bban;
      }
    };
    for (const [canonical, alias] of [
      ['97', '00'],
      ['98', '01'],
      ['02', '99'],
    ] as const) {
      const bban = findBban(canonical);
      expect(isValidIban(`DE${canonical}${bban}`)).toBe(true);
      expect(isValidIban(`DE${alias}${bban}`)).toBe(false);
    }
  });
});

describe('IBAN_LENGTHS', () => {
  it('covers the 89 registry prefixes with lengths between 15 and 33', () => {
    expect(IBAN_LENGTHS.size).toBe(89);
    for (const [country, length] of IBAN_LENGTHS) {
      expect(country === 'XK' || isCountryCode(country)).toBe(true);
      expect(length).toBeGreaterThanOrEqual(15);
      expect(length).toBeLessThanOrEqual(33);
    }
  });

  it.each([
    ['DE', 22],
    ['GB', 22],
    ['FR', 27],
    ['BE', 16],
    ['NO', 15],
    ['RU', 33],
    ['LC', 32],
    ['MT', 31],
    ['EG', 29],
    ['YE', 30],
    ['HN', 28],
    ['OM', 23],
    ['FK', 18],
    ['MN', 20],
    ['SO', 23],
    ['NI', 28],
    ['DJ', 27],
    ['BI', 27],
    ['LY', 25],
    ['SD', 18],
    ['CR', 22],
    ['UA', 29],
    ['VA', 22],
    ['XK', 20],
  ])('%s IBANs have %i characters', (country, length) => {
    expect(IBAN_LENGTHS.get(country)).toBe(length);
  });

  it('has every registry example at its listed length', () => {
    for (const iban of REGISTRY_EXAMPLES) expect(IBAN_LENGTHS.get(iban.slice(0, 2))).toBe(iban.length);
  });
});

describe('formatIban', () => {
  it.each([
    ['DE89370400440532013000', 'DE89 3704 0044 0532 0130 00'],
    ['de89 3704 0044 0532 0130 00', 'DE89 3704 0044 0532 0130 00'],
    ['NO9386011117947', 'NO93 8601 1117 947'],
    ['BE68539007547034', 'BE68 5390 0754 7034'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(formatIban(input)).toBe(expected);
  });
});

describe('mod97', () => {
  it.each([
    ['0', 0],
    ['96', 96],
    ['97', 0],
    ['98', 1],
    ['A', 10],
    ['Z', 35],
    ['RF', 2715 % 97],
  ])('mod97(%j) === %i', (input, expected) => {
    expect(mod97(input)).toBe(expected);
  });

  it('matches BigInt arithmetic on long numbers', () => {
    let digits = '';
    for (let i = 0; i < 200; i++) {
      digits += String((i * 7919) % 10);
      expect(mod97(digits)).toBe(Number(BigInt(digits) % 97n));
    }
  });

  it('throws on characters outside 0-9 and A-Z', () => {
    expect(() => mod97('12a')).toThrow(/0-9 and A-Z/);
    expect(() => mod97('12 3')).toThrow(/0-9 and A-Z/);
  });
});

describe('BIC', () => {
  it.each([
    'DEUTDEFF',
    'DEUTDEFF500',
    'NWBKGB2L',
    'COBADEFFXXX',
    'BPOTBEB1',
    'MAYBMYKL', // Maybank, Malaysia
    'RBKOXKPR', // Kosovo: SWIFT uses XK
    'deutdeff', // case is forgiven
    'DEUT DE FF',
  ])('accepts %j', (bic) => {
    expect(isValidBic(bic)).toBe(true);
  });

  it.each([
    ['DEUTDEF', '7 characters'],
    ['DEUTDEFF5', '9 characters'],
    ['DEUTDEFF50', '10 characters'],
    ['DEUTDEFF5000', '12 characters'],
    ['DEU1DEFF', 'digit in the bank code'],
    ['DEUTD1FF', 'digit in the country code'],
    ['DEUTZZFF', 'ZZ is not a country'],
    ['DEUTUKFF', 'UK is not ISO 3166 (GB is)'],
    ['DEUTDEF!', 'punctuation'],
    ['DEUT-DE-FF', 'dashes'],
    ['', 'empty'],
  ])('rejects %j (%s)', (bic) => {
    expect(isValidBic(bic)).toBe(false);
  });

  it('normalises to compact upper case', () => {
    expect(normalizeBic(' cobade ffxxx ')).toBe('COBADEFFXXX');
  });
});
