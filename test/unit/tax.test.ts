import { describe, expect, it } from 'vitest';
import { computeTax, formatTaxRate, invoiceAmounts, parseTaxRate, type TaxRate } from '../../src/domain/tax.js';

const TAX_RATE_ERROR = 'must be a percentage between 0 and 100 with at most 4 decimals, e.g. 10 or 7.5';

function rate(input: string): TaxRate {
  const parsed = parseTaxRate(input);
  if (!parsed.ok) throw new Error(`test setup: ${input} did not parse`);
  return parsed.rate;
}

describe('parseTaxRate', () => {
  it.each([
    ['0', '0', 0n, 1n],
    ['10', '10', 10n, 1n],
    ['7.5', '7.5', 75n, 10n],
    ['12.25', '12.25', 1225n, 100n],
    ['8.875', '8.875', 8875n, 1000n],
    ['0.0001', '0.0001', 1n, 10000n],
    ['99.9999', '99.9999', 999999n, 10000n],
    ['07.50', '7.5', 75n, 10n],
    ['10.0', '10', 10n, 1n],
    ['10.00000', '10', 10n, 1n],
    ['00', '0', 0n, 1n],
    [' 10 ', '10', 10n, 1n],
    ['10%', '10', 10n, 1n],
    ['7.5 %', '7.5', 75n, 10n],
  ])('parses %j as %s%% = %d/%d', (input, percent, numerator, denominator) => {
    expect(parseTaxRate(input)).toEqual({ ok: true, rate: { percent, numerator, denominator } });
  });

  it.each(['100', '100.0', '150', '1000', '-1', '-0', '+5', '1.23456', '12.34567', 'abc', '', ' ', '%', '10%%', '1,5', '.5', '5.', '1e1', '10 percent', '١٠'])(
    'rejects %j with a readable message',
    (input) => {
      expect(parseTaxRate(input)).toEqual({ ok: false, error: TAX_RATE_ERROR });
    },
  );
});

describe('computeTax', () => {
  it('AUD 1,100.00 including 10% GST is 1,000.00 + 100.00', () => {
    expect(computeTax(110000, rate('10'), true)).toEqual({ netMinor: 100000, taxMinor: 10000, totalMinor: 110000 });
  });

  it('JPY 30,000 including 10% rounds the tax to whole yen', () => {
    // 30000 * 10 / 110 = 2727.27...
    expect(computeTax(30000, rate('10'), true)).toEqual({ netMinor: 27273, taxMinor: 2727, totalMinor: 30000 });
  });

  it('AUD 1,000.00 plus 10% is 1,100.00', () => {
    expect(computeTax(100000, rate('10'), false)).toEqual({ netMinor: 100000, taxMinor: 10000, totalMinor: 110000 });
  });

  it('rounds 7499.925 up to 7500 for 999.99 plus 7.5%', () => {
    expect(computeTax(99999, rate('7.5'), false)).toEqual({ netMinor: 99999, taxMinor: 7500, totalMinor: 107499 });
  });

  it('rounds half up, not half to even', () => {
    expect(computeTax(5, rate('10'), false).taxMinor).toBe(1); // 0.5
    expect(computeTax(15, rate('10'), false).taxMinor).toBe(2); // 1.5
    expect(computeTax(25, rate('10'), false).taxMinor).toBe(3); // 2.5 (banker's rounding would give 2)
    expect(computeTax(3, rate('20'), true)).toEqual({ netMinor: 2, taxMinor: 1, totalMinor: 3 }); // 0.5
    expect(computeTax(9, rate('20'), true)).toEqual({ netMinor: 7, taxMinor: 2, totalMinor: 9 }); // 1.5
  });

  it('handles one-cent prices', () => {
    expect(computeTax(1, rate('10'), true)).toEqual({ netMinor: 1, taxMinor: 0, totalMinor: 1 });
    expect(computeTax(1, rate('10'), false)).toEqual({ netMinor: 1, taxMinor: 0, totalMinor: 1 });
    expect(computeTax(1, rate('50'), false)).toEqual({ netMinor: 1, taxMinor: 1, totalMinor: 2 });
    expect(computeTax(1, rate('49.9999'), false)).toEqual({ netMinor: 1, taxMinor: 0, totalMinor: 1 });
    expect(computeTax(4, rate('10'), false).taxMinor).toBe(0); // 0.4
    expect(computeTax(0, rate('10'), true)).toEqual({ netMinor: 0, taxMinor: 0, totalMinor: 0 });
  });

  it('charges no tax at 0%', () => {
    expect(computeTax(110000, rate('0'), true)).toEqual({ netMinor: 110000, taxMinor: 0, totalMinor: 110000 });
    expect(computeTax(110000, rate('0'), false)).toEqual({ netMinor: 110000, taxMinor: 0, totalMinor: 110000 });
  });

  it('works with fractional rates', () => {
    // 1000 * 8.875 / 108.875 = 81.515...
    expect(computeTax(1000, rate('8.875'), true)).toEqual({ netMinor: 918, taxMinor: 82, totalMinor: 1000 });
    // 1000 * 8.875 / 100 = 88.75
    expect(computeTax(1000, rate('8.875'), false)).toEqual({ netMinor: 1000, taxMinor: 89, totalMinor: 1089 });
    // 12345 * 12.25 / 100 = 1512.2625
    expect(computeTax(12345, rate('12.25'), false).taxMinor).toBe(1512);
  });

  it('stays exact at the largest safe amount', () => {
    // 9007199254740991 / 11 = 818836295885544.636...; floats cannot even hold the product.
    expect(computeTax(Number.MAX_SAFE_INTEGER, rate('10'), true)).toEqual({
      netMinor: 8188362958855446,
      taxMinor: 818836295885545,
      totalMinor: Number.MAX_SAFE_INTEGER,
    });
  });

  it('refuses a total that would not be a safe integer', () => {
    expect(() => computeTax(Number.MAX_SAFE_INTEGER, rate('10'), false)).toThrow(/safe amount/);
  });

  it('agrees with exact rational arithmetic on many price/rate pairs', () => {
    const rates = ['0', '5', '7.5', '10', '12.25', '8.875', '19', '20', '0.0001', '99.9999'].map(rate);
    let seed = 12345;
    const nextPrice = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % 10_000_000;
    };
    for (let i = 0; i < 1000; i++) {
      const price = nextPrice();
      for (const r of rates) {
        for (const inclusive of [true, false]) {
          const { netMinor, taxMinor, totalMinor } = computeTax(price, r, inclusive);
          expect(netMinor + taxMinor).toBe(totalMinor);
          expect(inclusive ? totalMinor : netMinor).toBe(price);
          // The exact tax is p/q. Half-up means exact - rounded lies in [-1/2, 1/2):
          // an exact half (-1/2) was rounded up, and +1/2 would have been.
          const p = BigInt(price) * r.numerator;
          const q = inclusive ? 100n * r.denominator + r.numerator : 100n * r.denominator;
          const twiceError = 2n * p - 2n * BigInt(taxMinor) * q; // 2q * (exact - rounded)
          expect(twiceError >= -q && twiceError < q).toBe(true);
        }
      }
    }
  });

  it('rejects invalid prices and hand-built invalid rates', () => {
    expect(() => computeTax(-1, rate('10'), true)).toThrow(/non-negative/);
    expect(() => computeTax(1.5, rate('10'), true)).toThrow(/non-negative/);
    expect(() => computeTax(Number.NaN, rate('10'), true)).toThrow(/non-negative/);
    expect(() => computeTax(100, { percent: 'x', numerator: 1n, denominator: 0n }, true)).toThrow(/Invalid tax rate/);
    expect(() => computeTax(100, { percent: '100', numerator: 100n, denominator: 1n }, true)).toThrow(/Invalid tax rate/);
    expect(() => computeTax(100, { percent: '-1', numerator: -1n, denominator: 1n }, false)).toThrow(/Invalid tax rate/);
  });
});

describe('formatTaxRate', () => {
  it.each([
    ['10', '10%'],
    ['7.5', '7.5%'],
    ['07.50', '7.5%'],
    ['0', '0%'],
    ['8.875', '8.875%'],
  ])('%j -> %s', (input, expected) => {
    expect(formatTaxRate(rate(input))).toBe(expected);
  });
});

describe('currencies paid in whole units', () => {
  const rate = (text: string) => (parseTaxRate(text) as { ok: true; rate: TaxRate }).rate;

  it('HUF 14,690.55 with tax included asks for a whole forint total (half-up), split as usual', () => {
    expect(invoiceAmounts(1_469_055, 'HUF', rate('27'), true)).toEqual(computeTax(1_469_100, rate('27'), true));
    expect(invoiceAmounts(1_469_049, 'HUF', rate('27'), true).totalMinor).toBe(1_469_000);
  });

  it('with tax added, the tax absorbs the rounding so the total is whole and the net stays the price', () => {
    const amounts = invoiceAmounts(1_000_055, 'IDR', rate('11'), false);
    expect(amounts.netMinor).toBe(1_000_055);
    expect(amounts.totalMinor % 100).toBe(0);
    expect(amounts.totalMinor).toBe(amounts.netMinor + amounts.taxMinor);
    expect(Math.abs(amounts.totalMinor - computeTax(1_000_055, rate('11'), false).totalMinor)).toBeLessThanOrEqual(50);
  });

  it('never makes the tax negative: at 0 % a fractional price rounds up', () => {
    const amounts = invoiceAmounts(1_469_045, 'TWD', rate('0'), false);
    expect(amounts).toEqual({ netMinor: 1_469_045, taxMinor: 55, totalMinor: 1_469_100 });
  });

  it('leaves every other currency exactly as computeTax does', () => {
    expect(invoiceAmounts(110_055, 'EUR', rate('19'), false)).toEqual(computeTax(110_055, rate('19'), false));
    expect(invoiceAmounts(3_000, 'JPY', rate('10'), true)).toEqual(computeTax(3_000, rate('10'), true));
  });

  it('holds for any price in every whole-unit currency: a whole total, net + tax = total, tax never negative', () => {
    for (const currency of ['HUF', 'IDR', 'TWD']) {
      for (let price = 0; price < 100_000; price += 997) {
        for (const inclusive of [true, false]) {
          const a = invoiceAmounts(price, currency, rate('7.5'), inclusive);
          expect(a.totalMinor % 100).toBe(0);
          expect(a.netMinor + a.taxMinor).toBe(a.totalMinor);
          expect(a.taxMinor).toBeGreaterThanOrEqual(0);
        }
      }
    }
  });
});
