/**
 * How far a payment may fall short of (or exceed) the balance due and still settle the invoice,
 * from the PAYMENT_TOLERANCE setting. Banks deduct fees and payers round, so a transfer of
 * EUR 499.60 for EUR 500.00 should not leave EUR 0.40 open for weeks.
 *
 * The same figure bounds the write-offs any finance user may make, so it is computed exactly
 * (integers and BigInt, no floats) and always rounded DOWN: the tolerance never exceeds what
 * was configured, whatever the currency.
 *
 *   "0"      no tolerance (the default)
 *   "1.00"   an amount in the invoice's own currency: 100 cents for EUR, 1 yen for JPY
 *            ("1.00" JPY is 1 yen), 1000 fils for KWD; "0.50" JPY is 0 yen
 *   "0.5%"   a share of the invoice total, rounded down to the currency's minor unit
 */
import { currencyInfo } from './currencies.js';

/** value = digits / 10^scale, as written (an amount, or a percentage of the invoice total). */
export type PaymentTolerance =
  | { readonly kind: 'none' }
  | { readonly kind: 'amount'; readonly digits: bigint; readonly scale: number; readonly text: string }
  | { readonly kind: 'percent'; readonly digits: bigint; readonly scale: number; readonly text: string };

export const NO_TOLERANCE: PaymentTolerance = Object.freeze({ kind: 'none' });

const MAX_DECIMALS = 4;
const MAX_INTEGER_DIGITS = 12;
const TOLERANCE_ERROR =
  'must be 0, an amount in the invoice currency such as 1.00 (at most 4 decimals), or a percentage of the invoice total below 100 such as 0.5%';

/**
 * Accepts '0', '1.00', '0.5%' (spaces around the value and before '%' are tolerated because
 * people type them). Signs, grouping, exponents and decimal commas are refused: a tolerance is
 * money someone may write off, so anything unclear is an error rather than a guess.
 */
export function parsePaymentTolerance(text: string): { ok: true; tolerance: PaymentTolerance } | { ok: false; error: string } {
  const trimmed = text.trim();
  const percent = /\s*%$/.test(trimmed);
  const number = trimmed.replace(/\s*%$/, '');
  const match = /^(\d+)(?:\.(\d+))?$/.exec(number);
  if (match === null) return { ok: false, error: TOLERANCE_ERROR };
  const integerDigits = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  const fractionDigits = (match[2] ?? '').replace(/0+$/, '');
  if (fractionDigits.length > MAX_DECIMALS || integerDigits.length > MAX_INTEGER_DIGITS) return { ok: false, error: TOLERANCE_ERROR };

  const digits = BigInt(integerDigits + fractionDigits);
  const scale = fractionDigits.length;
  if (digits === 0n) return { ok: true, tolerance: NO_TOLERANCE };
  const canonical = fractionDigits === '' ? integerDigits : `${integerDigits}.${fractionDigits}`;
  if (percent) {
    // 100% or more would write off whole invoices: certainly a typo.
    if (digits >= 100n * 10n ** BigInt(scale)) return { ok: false, error: TOLERANCE_ERROR };
    return { ok: true, tolerance: Object.freeze({ kind: 'percent', digits, scale, text: `${canonical}%` }) };
  }
  return { ok: true, tolerance: Object.freeze({ kind: 'amount', digits, scale, text: canonical }) };
}

/**
 * The largest difference, in minor units of `currency`, that still settles an invoice of
 * `totalMinor`. Rounded down. Throws for an unknown currency or a total that is not a
 * non-negative safe integer (a caller bug, not user input).
 */
export function toleranceMinor(tolerance: PaymentTolerance, currency: string, totalMinor: number): number {
  const info = currencyInfo(currency);
  if (info === undefined) throw new Error(`Unknown currency code: ${JSON.stringify(currency)}`);
  if (!Number.isSafeInteger(totalMinor) || totalMinor < 0) throw new Error(`Invoice total must be a non-negative safe integer, got ${totalMinor}`);
  switch (tolerance.kind) {
    case 'none':
      return 0;
    case 'amount':
      // digits / 10^scale currency units = digits * 10^minorUnits / 10^scale minor units.
      return toSafe((tolerance.digits * 10n ** BigInt(info.minorUnits)) / 10n ** BigInt(tolerance.scale));
    case 'percent':
      // total * (digits / 10^scale) / 100; BigInt division truncates, i.e. rounds down here.
      return toSafe((BigInt(totalMinor) * tolerance.digits) / (100n * 10n ** BigInt(tolerance.scale)));
  }
}

/** True when paying `paidMinor` against `balanceMinor` is within the tolerance, short or over. */
export function isWithinTolerance(tolerance: PaymentTolerance, currency: string, totalMinor: number, balanceMinor: number, paidMinor: number): boolean {
  return Math.abs(paidMinor - balanceMinor) <= toleranceMinor(tolerance, currency, totalMinor);
}

/** For pages and logs: 'none', '1.00 in the invoice currency', '0.5% of the invoice total'. */
export function describePaymentTolerance(tolerance: PaymentTolerance): string {
  switch (tolerance.kind) {
    case 'none':
      return 'none';
    case 'amount':
      return `${tolerance.text} in the invoice currency`;
    case 'percent':
      return `${tolerance.text} of the invoice total`;
  }
}

function toSafe(value: bigint): number {
  // A tolerance larger than any representable amount settles anything; capping keeps it a safe integer.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
