import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describePaymentTolerance,
  isWithinTolerance,
  parsePaymentTolerance,
  toleranceMinor,
  type PaymentTolerance,
} from '../../src/domain/payment-tolerance.js';

function tolerance(text: string): PaymentTolerance {
  const parsed = parsePaymentTolerance(text);
  if (!parsed.ok) throw new Error(`test setup: ${text} did not parse: ${parsed.error}`);
  return parsed.tolerance;
}

describe('parsePaymentTolerance', () => {
  it.each([
    ['0', 'none'],
    ['0.00', 'none'],
    ['0%', 'none'],
    ['1.00', '1 in the invoice currency'],
    ['0.50', '0.5 in the invoice currency'],
    [' 2 ', '2 in the invoice currency'],
    ['0.5%', '0.5% of the invoice total'],
    ['0.5 %', '0.5% of the invoice total'],
    ['1.25%', '1.25% of the invoice total'],
    ['99.9999%', '99.9999% of the invoice total'],
  ])('reads %j as %s', (text, description) => {
    expect(describePaymentTolerance(tolerance(text))).toBe(description);
  });

  it.each(['', ' ', '-1', '-0.5%', '+1', '1,00', '1e2', 'abc', '1.00 EUR', '%', '1%%', '.5', '5.', '100%', '150%', '0.00001', '1000000000000'])(
    'rejects %j with a message that says what is allowed',
    (text) => {
      const parsed = parsePaymentTolerance(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/0, an amount .* or a percentage/);
    },
  );
});

describe('toleranceMinor', () => {
  it.each([
    ['1.00', 'EUR', 100],
    ['1.00', 'JPY', 1],
    ['1.00', 'KWD', 1000],
    ['0.50', 'JPY', 0],
    ['1.5', 'JPY', 1],
    ['1.005', 'EUR', 100],
    ['0.001', 'KWD', 1],
    ['2', 'UYW', 20000],
  ])('an amount of %s in %s is %d minor units, rounded down', (text, currency, expected) => {
    expect(toleranceMinor(tolerance(text), currency, 123_456)).toBe(expected);
  });

  it('takes a percentage of the invoice total, rounded down to the minor unit', () => {
    expect(toleranceMinor(tolerance('0.5%'), 'EUR', 50_000)).toBe(250);
    expect(toleranceMinor(tolerance('0.5%'), 'EUR', 12_345)).toBe(61); // 61.725
    expect(toleranceMinor(tolerance('1%'), 'JPY', 99)).toBe(0);
    expect(toleranceMinor(tolerance('0.0001%'), 'EUR', Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254);
  });

  it('is zero without a tolerance', () => {
    expect(toleranceMinor(tolerance('0'), 'EUR', 50_000)).toBe(0);
  });

  it('refuses an unknown currency or a broken total (caller bugs)', () => {
    expect(() => toleranceMinor(tolerance('1.00'), 'XYZ', 100)).toThrow(/Unknown currency/);
    expect(() => toleranceMinor(tolerance('1%'), 'EUR', -1)).toThrow(/non-negative/);
    expect(() => toleranceMinor(tolerance('1%'), 'EUR', 1.5)).toThrow(/non-negative/);
  });

  it('never exceeds the exact configured share of the total, and misses it by less than one minor unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (whole, fraction, total) => {
          const text = `${whole}.${String(fraction).padStart(4, '0')}%`;
          const minor = BigInt(toleranceMinor(tolerance(text), 'EUR', total));
          // exact = total * (whole + fraction/10^4) / 100, compared without division.
          const exactTimes1e6 = BigInt(total) * (BigInt(whole) * 10_000n + BigInt(fraction));
          expect(minor * 1_000_000n <= exactTimes1e6).toBe(true);
          expect((minor + 1n) * 1_000_000n > exactTimes1e6).toBe(true);
        },
      ),
    );
  });
});

describe('isWithinTolerance', () => {
  it('accepts a shortfall or an overpayment up to the tolerance, and no more', () => {
    const oneEuro = tolerance('1.00');
    expect(isWithinTolerance(oneEuro, 'EUR', 50_000, 50_000, 49_900)).toBe(true);
    expect(isWithinTolerance(oneEuro, 'EUR', 50_000, 50_000, 50_100)).toBe(true);
    expect(isWithinTolerance(oneEuro, 'EUR', 50_000, 50_000, 49_899)).toBe(false);
    expect(isWithinTolerance(tolerance('0'), 'EUR', 50_000, 50_000, 49_999)).toBe(false);
  });
});
