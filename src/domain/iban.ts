/**
 * IBAN (ISO 13616) and BIC (ISO 9362) checks for the bank details we print on invoices.
 * These are typo checks: they say nothing about whether the account exists.
 */
import { isCountryCode } from './countries.js';

/**
 * IBAN length per country prefix, from the SWIFT IBAN Registry (release 102,
 * June 2026; 89 prefixes). Territories that use their parent's prefix (Åland:
 * FI, French overseas: FR, Jersey/Guernsey/Isle of Man: GB) have no entry of
 * their own, as in the registry. XK (Kosovo) is a registry prefix although it
 * is not an ISO 3166 code.
 */
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['AD', 24],
  ['AE', 23],
  ['AL', 28],
  ['AT', 20],
  ['AZ', 28],
  ['BA', 20],
  ['BE', 16],
  ['BG', 22],
  ['BH', 22],
  ['BI', 27],
  ['BR', 29],
  ['BY', 28],
  ['CH', 21],
  ['CR', 22],
  ['CY', 28],
  ['CZ', 24],
  ['DE', 22],
  ['DJ', 27],
  ['DK', 18],
  ['DO', 28],
  ['EE', 20],
  ['EG', 29],
  ['ES', 24],
  ['FI', 18],
  ['FK', 18],
  ['FO', 18],
  ['FR', 27],
  ['GB', 22],
  ['GE', 22],
  ['GI', 23],
  ['GL', 18],
  ['GR', 27],
  ['GT', 28],
  ['HN', 28],
  ['HR', 21],
  ['HU', 28],
  ['IE', 22],
  ['IL', 23],
  ['IQ', 23],
  ['IS', 26],
  ['IT', 27],
  ['JO', 30],
  ['KW', 30],
  ['KZ', 20],
  ['LB', 28],
  ['LC', 32],
  ['LI', 21],
  ['LT', 20],
  ['LU', 20],
  ['LV', 21],
  ['LY', 25],
  ['MC', 27],
  ['MD', 24],
  ['ME', 22],
  ['MK', 19],
  ['MN', 20],
  ['MR', 27],
  ['MT', 31],
  ['MU', 30],
  ['NI', 28],
  ['NL', 18],
  ['NO', 15],
  ['OM', 23],
  ['PK', 24],
  ['PL', 28],
  ['PS', 29],
  ['PT', 25],
  ['QA', 29],
  ['RO', 24],
  ['RS', 22],
  ['RU', 33],
  ['SA', 24],
  ['SC', 31],
  ['SD', 18],
  ['SE', 24],
  ['SI', 19],
  ['SK', 24],
  ['SM', 27],
  ['SO', 23],
  ['ST', 25],
  ['SV', 28],
  ['TL', 23],
  ['TN', 24],
  ['TR', 26],
  ['UA', 29],
  ['VA', 22],
  ['VG', 24],
  ['XK', 20],
  ['YE', 30],
]);

/**
 * ISO 7064 MOD 97-10 remainder of an upper-case alphanumeric string, letters
 * counting as two digits (A=10 ... Z=35). Digit by digit, so any length works
 * without BigInt. Shared by IBAN and creditor/payment references.
 */
export function mod97(alphanumeric: string): number {
  let remainder = 0;
  for (const char of alphanumeric) {
    const code = char.charCodeAt(0);
    if (code >= 48 && code <= 57) {
      remainder = (remainder * 10 + (code - 48)) % 97;
    } else if (code >= 65 && code <= 90) {
      remainder = (remainder * 100 + (code - 55)) % 97;
    } else {
      throw new Error(`mod97 accepts only 0-9 and A-Z, got ${JSON.stringify(char)}`);
    }
  }
  return remainder;
}

/**
 * ISO 7064 check digits for an IBAN-style value: '00' goes where they belong,
 * the remainder is taken, and 98 - remainder is written as two digits, so the
 * completed value has remainder 1. Always in 02..98.
 */
export function mod97CheckDigits(alphanumericWithZeroCheck: string): string {
  return String(98 - mod97(alphanumericWithZeroCheck)).padStart(2, '0');
}

/** Check digits 00, 01 and 99 can never be produced by the algorithm above, so they mean a typo. */
export function isPossibleMod97CheckDigits(checkDigits: string): boolean {
  if (!/^\d{2}$/.test(checkDigits)) return false;
  const value = Number(checkDigits);
  return value >= 2 && value <= 98;
}

/** Removes every kind of whitespace (people paste IBANs with NBSPs) and upper-cases. */
export function normalizeIban(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

export function isValidIban(input: string): boolean {
  const iban = normalizeIban(input);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  if (IBAN_LENGTHS.get(iban.slice(0, 2)) !== iban.length) return false;
  if (!isPossibleMod97CheckDigits(iban.slice(2, 4))) return false;
  // Country code and check digits move to the end before the remainder is taken.
  return mod97(iban.slice(4) + iban.slice(0, 4)) === 1;
}

/** Paper format: groups of four, e.g. 'DE89 3704 0044 0532 0130 00'. Does not validate. */
export function formatIban(input: string): string {
  return (normalizeIban(input).match(/.{1,4}/g) ?? []).join(' ');
}

/** BICs are printed upper-case, sometimes with spaces; this is the form we store and send. */
export function normalizeBic(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

/**
 * 8 or 11 characters: bank (4 letters), country (2 letters, ISO 3166, plus XK
 * which SWIFT uses for Kosovo), location (2 alphanumerics), optional branch
 * (3 alphanumerics). Case and spaces are forgiven, as in normalizeBic.
 */
export function isValidBic(input: string): boolean {
  const match = /^[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.exec(normalizeBic(input));
  if (match === null) return false;
  const country = match[1] ?? '';
  return country === 'XK' || isCountryCode(country);
}
