import { describe, expect, test } from 'vitest';
import { checkInvoiceTotal, MAX_INVOICE_TOTAL_MINOR } from '../../src/domain/amount-limits.js';
import { parseTaxRate, type TaxRate } from '../../src/domain/tax.js';

const rate = (percent: string) => (parseTaxRate(percent) as { ok: true; rate: TaxRate }).rate;

describe('the largest invoice total: 11 digits of minor units', () => {
  test('999,999,999.99 is the last total accepted in a two-decimal currency', () => {
    expect(checkInvoiceTotal(MAX_INVOICE_TOTAL_MINOR, 'EUR', { rate: rate('0'), inclusive: true })).toEqual({ ok: true, totalMinor: 99_999_999_999 });
    const over = checkInvoiceTotal(MAX_INVOICE_TOTAL_MINOR + 1, 'EUR', { rate: rate('0'), inclusive: true });
    expect(over).toEqual({ ok: false, reason: expect.stringMatching(/above the largest invoice total, EUR\s999,999,999\.99/) as string });
  });

  test('tax added on top counts: the price fits, the total does not', () => {
    // 909,090,909.08 + 10% (90,909,090.91) = 999,999,999.99; one cent more and the total has 12 digits.
    expect(checkInvoiceTotal(90_909_090_908, 'AUD', { rate: rate('10'), inclusive: false })).toEqual({ ok: true, totalMinor: 99_999_999_999 });
    expect(checkInvoiceTotal(90_909_090_909, 'AUD', { rate: rate('10'), inclusive: false }).ok).toBe(false);
    // Tax included: the price is the total.
    expect(checkInvoiceTotal(MAX_INVOICE_TOTAL_MINOR, 'AUD', { rate: rate('10'), inclusive: true }).ok).toBe(true);
  });

  test('a price at the edge of the safe integers is refused instead of overflowing', () => {
    expect(checkInvoiceTotal(Number.MAX_SAFE_INTEGER, 'AUD', { rate: rate('10'), inclusive: false }).ok).toBe(false);
  });

  test('in a zero-decimal currency the limit is 99,999,999,999 units', () => {
    expect(checkInvoiceTotal(99_999_999_999, 'JPY', { rate: rate('0'), inclusive: true }).ok).toBe(true);
    expect(checkInvoiceTotal(100_000_000_000, 'JPY', { rate: rate('0'), inclusive: true }).ok).toBe(false);
  });
});
