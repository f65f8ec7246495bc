import { describe, expect, it } from 'vitest';
import {
  formatCreditorReference,
  formatPaymentReference,
  generatePaymentReference,
  isValidCreditorReference,
  isValidPaymentReference,
  normalizeReferenceInput,
  toCreditorReference,
} from '../../src/domain/payment-reference.js';

/** Deterministic byte source (mulberry32) so generated references are reproducible. */
function seededRandomBytes(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0;
  return (n) => {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
    }
    return bytes;
  };
}

/** Independent check-digit computation with BigInt, to cross-check the digit-by-digit mod 97. */
function expectedCheckDigits(body: string): string {
  return String(98n - (BigInt(`${body}00`) % 97n)).padStart(2, '0');
}

function generateMany(count: number, seed: number): string[] {
  const source = seededRandomBytes(seed);
  return Array.from({ length: count }, () => generatePaymentReference(source));
}

describe('generatePaymentReference', () => {
  it('produces 11 digits, first non-zero, with MOD 97-10 check digits', () => {
    for (const reference of generateMany(3000, 1)) {
      expect(reference).toMatch(/^[1-9]\d{10}$/);
      expect(reference.slice(9)).toBe(expectedCheckDigits(reference.slice(0, 9)));
      expect(BigInt(reference) % 97n).toBe(1n);
      expect(isValidPaymentReference(reference)).toBe(true);
    }
  });

  it('is reproducible with a seeded source and varies with the seed', () => {
    expect(generateMany(5, 42)).toEqual(generateMany(5, 42));
    expect(generateMany(5, 42)).not.toEqual(generateMany(5, 43));
    expect(new Set(generateMany(3000, 7)).size).toBeGreaterThan(2990);
  });

  it('uses bytes by rejection sampling: 250-255 are skipped, 0 is redrawn for the first digit', () => {
    const requested: number[] = [];
    const scripted = [
      [0, 255, 250, 251, 13, 22, 33, 44],
      [55, 66, 77, 88, 99, 249, 5, 7],
    ];
    let call = 0;
    const source = (n: number): Uint8Array => {
      requested.push(n);
      return Uint8Array.from(scripted[call++] ?? []);
    };
    // 0 -> '0' refused as first digit; 255, 250, 251 refused; then 3 2 3 4 | 5 6 7 8 9.
    expect(generatePaymentReference(source)).toBe(`323456789${expectedCheckDigits('323456789')}`);
    expect(requested).toEqual([16, 16]);
  });

  it('draws uniformly distributed digits', () => {
    const first = new Array<number>(10).fill(0);
    const rest = new Array<number>(10).fill(0);
    for (const reference of generateMany(20000, 2024)) {
      first[Number(reference[0])]! += 1;
      for (const char of reference.slice(1, 9)) rest[Number(char)]! += 1;
    }
    expect(first[0]).toBe(0);
    for (let digit = 1; digit <= 9; digit++) expect(Math.abs(first[digit]! - 20000 / 9)).toBeLessThan(150);
    for (let digit = 0; digit <= 9; digit++) expect(Math.abs(rest[digit]! - 16000)).toBeLessThan(500);
  });

  it('gives up instead of looping forever on a broken source', () => {
    expect(() => generatePaymentReference((n) => new Uint8Array(n).fill(255))).toThrow(/usable random bytes/);
    expect(() => generatePaymentReference((n) => new Uint8Array(n))).toThrow(/usable random bytes/); // all zeros
    expect(() => generatePaymentReference(() => new Uint8Array(0))).toThrow(/usable random bytes/);
  });
});

describe('isValidPaymentReference', () => {
  it('accepts a known reference', () => {
    expect(isValidPaymentReference('12345678978')).toBe(true);
    expect(isValidPaymentReference('10000000049')).toBe(true);
  });

  it.each([
    '12345678979', // wrong check digit
    '12345678987', // check digits swapped
    '02345678978', // leading zero
    '1234567897', // 10 digits
    '123456789780', // 12 digits
    ' 12345678978',
    '1234 5678 978',
    '1234567897a',
    '１２３４５６７８９７８',
    '',
  ])('rejects %j', (input) => {
    expect(isValidPaymentReference(input)).toBe(false);
  });

  it('rejects check digits 00, 01 and 99 even where mod 97 happens to be 1', () => {
    // Bodies whose canonical check digits are 97, 98 and 02 also satisfy mod97 === 1
    // with 00, 01 and 99 respectively; only the canonical pair is a reference.
    const findBody = (canonical: string): string => {
      for (let body = 100000000; ; body++) if (expectedCheckDigits(String(body)) === canonical) return String(body);
    };
    for (const [canonical, alias] of [
      ['97', '00'],
      ['98', '01'],
      ['02', '99'],
    ] as const) {
      const body = findBody(canonical);
      expect(BigInt(body + alias) % 97n).toBe(1n);
      expect(isValidPaymentReference(body + canonical)).toBe(true);
      expect(isValidPaymentReference(body + alias)).toBe(false);
    }
  });

  it('detects every single-digit substitution and every adjacent transposition', () => {
    const undetected: string[] = [];
    let substitutions = 0;
    let transpositions = 0;
    for (const reference of generateMany(3000, 99)) {
      for (let position = 0; position < 11; position++) {
        for (let digit = 0; digit <= 9; digit++) {
          if (String(digit) === reference[position]) continue;
          const typo = reference.slice(0, position) + String(digit) + reference.slice(position + 1);
          if (isValidPaymentReference(typo)) undetected.push(`${reference} -> ${typo}`);
          substitutions++;
        }
        if (position < 10 && reference[position] !== reference[position + 1]) {
          const swapped = reference.slice(0, position) + reference[position + 1] + reference[position] + reference.slice(position + 2);
          if (isValidPaymentReference(swapped)) undetected.push(`${reference} -> ${swapped}`);
          if (normalizeReferenceInput(swapped)?.kind !== 'invalid-check') undetected.push(`search ${swapped}`);
          transpositions++;
        }
      }
    }
    expect(undetected).toEqual([]);
    expect(substitutions).toBe(3000 * 11 * 9);
    expect(transpositions).toBeGreaterThan(25000); // ~90% of the 10 adjacent pairs differ
  });
});

describe('creditor references (ISO 11649)', () => {
  it('wraps a plain reference with RF check digits', () => {
    expect(toCreditorReference('12345678978')).toBe('RF7412345678978');
    expect(toCreditorReference('10000000049')).toBe('RF7410000000049');
  });

  it('produces valid creditor references for generated references, always RF74', () => {
    // Every plain reference is 1 mod 97, so plain * 10^6 + 271500 always has the
    // same remainder: the RF check digits are the constant 74 for our references.
    for (const plain of generateMany(2000, 5)) {
      const rf = toCreditorReference(plain);
      expect(rf).toBe(`RF74${plain}`);
      expect(rf.slice(4)).toBe(plain);
      // ISO 11649: reference + 'RF' (27 15) + check digits is 1 mod 97.
      expect(BigInt(`${plain}2715${rf.slice(2, 4)}`) % 97n).toBe(1n);
      expect(isValidCreditorReference(rf)).toBe(true);
    }
  });

  it('refuses to wrap something that is not a valid payment reference', () => {
    expect(() => toCreditorReference('12345678979')).toThrow(/Not a valid payment reference/);
    expect(() => toCreditorReference('RF7412345678978')).toThrow(/Not a valid payment reference/);
  });

  it('validates any ISO 11649 reference, including the standard example and letters', () => {
    expect(isValidCreditorReference('RF18539007547034')).toBe(true);
    expect(isValidCreditorReference('RF18000000000539007547034')).toBe(true); // 21 characters, zero padded
    expect(isValidCreditorReference('RF45G72UUR')).toBe(true);
  });

  it.each([
    'RF19539007547034', // wrong check digits
    'RF18539007547043', // transposition
    'RF7412345678979',
    'rf7412345678978', // not compact upper case
    'RF74 1234 5678 978',
    'RF74',
    'RF18' + '0'.repeat(22), // 22 characters is one too many
    'RFAB12345678978',
    '7412345678978',
    'RF451234-5678',
  ])('rejects %j', (input) => {
    expect(isValidCreditorReference(input)).toBe(false);
  });

  it('rejects check digits 00, 01 and 99 even where mod 97 happens to be 1', () => {
    const canonicalRf = (reference: string): string => String(98n - (BigInt(`${reference}271500`) % 97n)).padStart(2, '0');
    const findReference = (canonical: string): string => {
      for (let n = 1; ; n++) if (canonicalRf(String(n)) === canonical) return String(n);
    };
    for (const [canonical, alias] of [
      ['97', '00'],
      ['98', '01'],
      ['02', '99'],
    ] as const) {
      const reference = findReference(canonical);
      expect(BigInt(`${reference}2715${alias}`) % 97n).toBe(1n);
      expect(isValidCreditorReference(`RF${canonical}${reference}`)).toBe(true);
      expect(isValidCreditorReference(`RF${alias}${reference}`)).toBe(false);
    }
  });
});

describe('formatting', () => {
  it('groups a plain reference 4-4-3', () => {
    expect(formatPaymentReference('12345678978')).toBe('1234 5678 978');
  });

  it('groups a creditor reference in fours', () => {
    expect(formatCreditorReference('RF7412345678978')).toBe('RF74 1234 5678 978');
    expect(formatCreditorReference('RF18539007547034')).toBe('RF18 5390 0754 7034');
    expect(formatCreditorReference('RF45G72UUR')).toBe('RF45 G72U UR');
  });

  it('throws for malformed input', () => {
    expect(() => formatPaymentReference('1234567897')).toThrow(/11-digit/);
    expect(() => formatPaymentReference('1234 5678 978')).toThrow(/11-digit/);
    expect(() => formatCreditorReference('XX7412345678978')).toThrow(/Not a creditor reference/);
    expect(() => formatCreditorReference('rf7412345678978')).toThrow(/Not a creditor reference/);
  });
});

describe('normalizeReferenceInput', () => {
  it.each([
    '12345678978',
    '1234 5678 978',
    '  1234 5678 978  ',
    '1234-5678-978',
    '1234.5678.978',
    '1234/5678/978',
    '123\u00a0456\t789 78',
    'RF7412345678978',
    'rf74 1234 5678 978',
    'RF74-1234-5678-978',
    'Rf74.1234.5678.978',
  ])('finds the reference in %j', (input) => {
    expect(normalizeReferenceInput(input)).toEqual({ kind: 'reference', plain: '12345678978' });
  });

  it.each([
    ['12345678979', '12345678979'], // one digit off
    ['1234 5678 987', '12345678987'], // swapped check digits
    ['02345678978', '02345678978'], // leading zero can never be ours
    ['RF7512345678978', '12345678978'], // RF check digits off
    ['RF74 1234 5678 987', '12345678987'], // typo inside the RF form
  ])('reports a check-digit mismatch for %j', (input, plain) => {
    expect(normalizeReferenceInput(input)).toEqual({ kind: 'invalid-check', plain });
  });

  it('reports a mismatch when the RF wrapper is consistent but the plain part is not', () => {
    // RF check digits recomputed around a mistyped plain reference.
    const mistyped = '12345678979';
    let rf = '';
    for (let cc = 2; cc <= 98; cc++) {
      const candidate = `RF${String(cc).padStart(2, '0')}${mistyped}`;
      if (isValidCreditorReference(candidate)) rf = candidate;
    }
    expect(rf).not.toBe('');
    expect(normalizeReferenceInput(rf)).toEqual({ kind: 'invalid-check', plain: mistyped });
  });

  it.each([
    '',
    '   ',
    'abc',
    '1234567897', // 10 digits
    '123456789780', // 12 digits
    '12345678978x',
    'INV-2024-0001',
    'RF18539007547034', // a valid RF reference, but not one of ours
    'RF741234567897',
    'RF',
    '1234_5678_978', // underscores are not a separator we strip
  ])('returns null for %j', (input) => {
    expect(normalizeReferenceInput(input)).toBeNull();
  });
});
