/**
 * Money is an integer count of the currency's minor units (cents, fils, yen)
 * plus an ISO 4217 code. Amounts are parsed and printed as decimal strings and
 * never pass through a binary float, so 0.1 + 0.2 problems cannot reach an invoice.
 */
import { currencyInfo } from './currencies.js';

export type ParseAmountError = 'not_a_number' | 'negative' | 'too_many_decimals' | 'too_large' | 'unknown_currency';

export type ParseAmountResult = { ok: true; minor: number } | { ok: false; error: ParseAmountError };

// Plain ASCII digits with an optional fraction. No sign, exponent, grouping or
// bare leading/trailing point: anything fancier is more likely a typo than a price.
const UNSIGNED_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

const MAX_SAFE_MINOR = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Parses a price into integer minor units of `currency`.
 *
 * Strings are trimmed and must look like `1100`, `1100.00` or `0.5`. Numbers
 * are converted with `String(n)` (the shortest form that round-trips), so
 * `12.3` means exactly 12.3. Fraction digits beyond the currency's minor units
 * are allowed only when they are zeros ("30000.00" JPY is 30000 yen).
 * Any leading '-' is 'negative', including "-0": a price is never negative and
 * a minus sign in a price field is a mistake worth reporting as such.
 */
export function parseDecimalAmount(input: unknown, currency: string): ParseAmountResult {
  const info = currencyInfo(currency);
  if (info === undefined) return { ok: false, error: 'unknown_currency' };

  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, error: 'not_a_number' };
    text = String(input);
    // String() switches to exponent form below 1e-6 and from 1e21 up; neither
    // can be a valid price (too many decimals for any currency / far too large).
    if (/e/i.test(text)) {
      if (input < 0) return { ok: false, error: 'negative' };
      return { ok: false, error: Math.abs(input) >= 1 ? 'too_large' : 'too_many_decimals' };
    }
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    return { ok: false, error: 'not_a_number' };
  }

  const negative = text.startsWith('-');
  const unsigned = negative ? text.slice(1) : text;
  const match = UNSIGNED_DECIMAL.exec(unsigned);
  if (match === null) return { ok: false, error: 'not_a_number' };
  if (negative) return { ok: false, error: 'negative' };

  const integerDigits = match[1] ?? '';
  const fractionDigits = match[2] ?? '';
  const significantFraction = fractionDigits.replace(/0+$/, '');
  if (significantFraction.length > info.minorUnits) return { ok: false, error: 'too_many_decimals' };

  // Cheap guard before BigInt so a megabyte of digits costs nothing.
  const integerWithoutLeadingZeros = integerDigits.replace(/^0+/, '');
  if (integerWithoutLeadingZeros.length > 20) return { ok: false, error: 'too_large' };

  const minor = BigInt((integerWithoutLeadingZeros || '0') + significantFraction.padEnd(info.minorUnits, '0'));
  if (minor > MAX_SAFE_MINOR) return { ok: false, error: 'too_large' };
  return { ok: true, minor: Number(minor) };
}

function requireMinorUnits(currency: string): number {
  const info = currencyInfo(currency);
  if (info === undefined) throw new Error(`Unknown currency code: ${JSON.stringify(currency)}`);
  return info.minorUnits;
}

function requireSafeInteger(minor: number): void {
  if (!Number.isSafeInteger(minor)) throw new Error(`Money amounts must be safe integers of minor units, got ${minor}`);
}

/** Exact decimal form with exactly the currency's minor digits: 110000 AUD -> '1100.00', -50 AUD -> '-0.50'. */
export function minorToDecimalString(minor: number, currency: string): string {
  const minorUnits = requireMinorUnits(currency);
  requireSafeInteger(minor);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(minorUnits + 1, '0');
  if (minorUnits === 0) return sign + digits;
  const splitAt = digits.length - minorUnits;
  return `${sign}${digits.slice(0, splitAt)}.${digits.slice(splitAt)}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatDecimal(minor: number, currency: string, locale: string, withCode: boolean): string {
  const minorUnits = requireMinorUnits(currency);
  const decimal = minorToDecimalString(minor, currency);
  // Building an Intl.NumberFormat costs far more than using one: keep one per currency and style.
  const key = `${locale}|${currency}|${withCode}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    const style: Intl.NumberFormatOptions = withCode ? { style: 'currency', currency, currencyDisplay: 'code' } : { style: 'decimal' };
    formatter = new Intl.NumberFormat(locale, {
      ...style,
      // Our (ISO) digits, not CLDR's: HUF 1000.00 must show its cents like the invoice total.
      minimumFractionDigits: minorUnits,
      maximumFractionDigits: minorUnits,
    });
    formatters.set(key, formatter);
  }
  // Intl formats a decimal string exactly; a Number would lose digits above 2^53 / 10^n.
  return formatter.format(decimal as `${number}`);
}

/** Human display with the ISO code, e.g. 'AUD 1,100.00' (Intl's own spacing, a U+00A0 in 'en'). */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  return formatDecimal(minor, currency, locale, true);
}

/** Same digits and grouping as formatMoney but without the code: '1,100.00'. */
export function formatAmount(minor: number, currency: string, locale = 'en'): string {
  return formatDecimal(minor, currency, locale, false);
}

// "1,100.00" as invoices print it: commas between groups of three digits, a point before the decimals.
const GROUPED_DECIMAL = /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

/**
 * An amount typed (or pasted) by staff: what parseDecimalAmount accepts, and also the way the
 * portal prints money ("1,100.00", "AUD 1,100.00" with the invoice's own currency code). Commas
 * anywhere else ("1,10") stay an error: they could be a decimal comma.
 */
export function parseTypedAmount(input: string, currency: string): ParseAmountResult {
  let text = input.trim().replace(/\u00a0/g, ' ');
  if (text.toUpperCase().startsWith(currency.toUpperCase())) text = text.slice(currency.length).trim();
  if (GROUPED_DECIMAL.test(text)) text = text.replace(/,/g, '');
  return parseDecimalAmount(text, currency);
}
