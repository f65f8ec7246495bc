/**
 * Sales tax (GST / VAT) on a course price, computed exactly in BigInt.
 *
 * A rate is kept as the exact fraction percent = numerator / denominator
 * (denominator a power of ten), e.g. 7.5% is 75/10, so no float ever touches it.
 */

import { transferUnitMinor } from './currencies.js';

export type TaxRate = { readonly percent: string; readonly numerator: bigint; readonly denominator: bigint };

export interface TaxBreakdown {
  readonly netMinor: number;
  readonly taxMinor: number;
  readonly totalMinor: number;
}

const MAX_RATE_DECIMALS = 4;
const TAX_RATE_ERROR = 'must be a percentage between 0 and 100 with at most 4 decimals, e.g. 10 or 7.5';

/**
 * Accepts '0', '10', '7.5', '12.25', '8.875' (surrounding spaces and one
 * trailing '%' are tolerated because people type them). 100 or more is
 * rejected: an inclusive price would then be at least half tax, which is
 * certainly a typo. `percent` is normalised ('07.50' -> '7.5').
 */
export function parseTaxRate(input: string): { ok: true; rate: TaxRate } | { ok: false; error: string } {
  const text = input.trim().replace(/\s*%$/, '');
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return { ok: false, error: TAX_RATE_ERROR };
  const integerDigits = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  const fractionDigits = (match[2] ?? '').replace(/0+$/, '');
  if (fractionDigits.length > MAX_RATE_DECIMALS) return { ok: false, error: TAX_RATE_ERROR };

  const numerator = BigInt(integerDigits + fractionDigits);
  const denominator = 10n ** BigInt(fractionDigits.length);
  if (numerator >= 100n * denominator) return { ok: false, error: TAX_RATE_ERROR };

  const percent = fractionDigits === '' ? integerDigits : `${integerDigits}.${fractionDigits}`;
  return { ok: true, rate: Object.freeze({ percent, numerator, denominator }) };
}

/** Rounds a non-negative fraction half-up (x.5 goes up) to a whole number. */
function divideRoundHalfUp(dividend: bigint, divisor: bigint): bigint {
  return (2n * dividend + divisor) / (2n * divisor);
}

function toSafeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} exceeds the largest safe amount`);
  return Number(value);
}

/**
 * Splits a price into net, tax and total, in the price's own minor units
 * (so rounding is to the currency's smallest unit: a yen for JPY, a cent for AUD).
 *
 * inclusive: the price already contains tax; tax = round(price * r / (100 + r)).
 * exclusive: tax is added on top;           tax = round(price * r / 100).
 * Rounding is half-up; prices are never negative, so half-up is also "away from zero".
 */
export function computeTax(priceMinor: number, rate: TaxRate, inclusive: boolean): TaxBreakdown {
  if (!Number.isSafeInteger(priceMinor) || priceMinor < 0) {
    throw new Error(`Price must be a non-negative safe integer of minor units, got ${priceMinor}`);
  }
  if (rate.denominator <= 0n || rate.numerator < 0n || rate.numerator >= 100n * rate.denominator) {
    throw new Error(`Invalid tax rate ${rate.percent}`);
  }

  const price = BigInt(priceMinor);
  // r = n/d percent, so price * r / 100 = price * n / (100 d) and
  // price * r / (100 + r) = price * n / (100 d + n).
  if (inclusive) {
    const tax = divideRoundHalfUp(price * rate.numerator, 100n * rate.denominator + rate.numerator);
    return { netMinor: Number(price - tax), taxMinor: Number(tax), totalMinor: priceMinor };
  }
  const tax = divideRoundHalfUp(price * rate.numerator, 100n * rate.denominator);
  return { netMinor: priceMinor, taxMinor: Number(tax), totalMinor: toSafeNumber(price + tax, 'Total including tax') };
}

export function formatTaxRate(rate: TaxRate): string {
  return `${rate.percent}%`;
}

/**
 * The amounts an invoice asks for: `computeTax`, then, in a currency paid in whole units
 * (WHOLE_UNIT_TRANSFER_CURRENCIES), a total that is a whole number of units, so the amount due is
 * one a bank can transfer:
 *  - tax included: the price is rounded half-up to a whole unit first, and split as usual;
 *  - tax added: the tax absorbs the rounding (net stays the price), rounding the total half-up,
 *    or up when rounding down would make the tax negative.
 * HUF 14,690.55 with 27 % included becomes a total of HUF 14,691.00.
 */
export function invoiceAmounts(priceMinor: number, currency: string, rate: TaxRate, inclusive: boolean): TaxBreakdown {
  const unit = transferUnitMinor(currency);
  if (unit === 1) return computeTax(priceMinor, rate, inclusive);
  const roundHalfUp = (minor: number) => Math.floor((minor + unit / 2) / unit) * unit;
  if (inclusive) return computeTax(roundHalfUp(priceMinor), rate, true);
  const exact = computeTax(priceMinor, rate, false);
  let totalMinor = roundHalfUp(exact.totalMinor);
  if (totalMinor < exact.netMinor) totalMinor += unit;
  return { netMinor: exact.netMinor, taxMinor: totalMinor - exact.netMinor, totalMinor };
}
