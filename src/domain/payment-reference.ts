/**
 * Payment references that students quote on their bank transfer so we can
 * match the money to an invoice.
 *
 * Plain form: 11 digits = 9 body digits + 2 ISO 7064 MOD 97-10 check digits.
 *  - Digits only, because every bank's reference field accepts digits.
 *  - The first digit is 1-9 so spreadsheets and bank exports never drop a
 *    leading zero and turn a valid reference into a broken one.
 *  - MOD 97-10 (the IBAN / RF scheme) catches every single-digit typo and
 *    every swap of two adjacent digits, so a mistyped reference is reported
 *    as a typo instead of matching someone else's invoice.
 *
 * Creditor form (ISO 11649, shown on EUR invoices and in the EPC QR code):
 * 'RF' + 2 check digits + the plain reference, e.g. 'RF74 1234 5678 978'.
 * Because every plain reference is already 1 mod 97, its RF check digits are
 * always 74: they are there for ISO 11649 conformance, while the plain check
 * digits do the typo detection.
 */
import { isPossibleMod97CheckDigits, mod97, mod97CheckDigits } from './iban.js';

const BODY_LENGTH = 9;
const PLAIN_PATTERN = /^[1-9]\d{10}$/;
// ISO 11649: 'RF', two check digits, then 1 to 21 alphanumerics.
const CREDITOR_PATTERN = /^RF(\d{2})([0-9A-Z]{1,21})$/;

/** Appends the two check digits to a body: check = 98 - mod97(body * 100). */
function withCheckDigits(body: string): string {
  return body + mod97CheckDigits(`${body}00`);
}

/**
 * A fresh random reference. `randomBytes` is crypto.randomBytes in production
 * and a seeded source in tests. Digits are drawn by rejection sampling (bytes
 * 250..255 are thrown away, and 0 is redrawn for the first digit), so every
 * digit is exactly uniform, never biased towards low values by `byte % 10`.
 */
export function generatePaymentReference(randomBytes: (n: number) => Uint8Array): string {
  let body = '';
  // A healthy source rejects ~2.3% of bytes; this many rounds only runs out if it is broken.
  for (let round = 0; round < 1000 && body.length < BODY_LENGTH; round++) {
    for (const byte of randomBytes(16)) {
      if (byte >= 250) continue;
      const digit = byte % 10;
      if (body.length === 0 && digit === 0) continue;
      body += String(digit);
      if (body.length === BODY_LENGTH) break;
    }
  }
  if (body.length < BODY_LENGTH) throw new Error('randomBytes did not produce usable random bytes');
  return withCheckDigits(body);
}

/** Exactly 11 ASCII digits, first non-zero, check digits in 02..98 and mod97 === 1. */
export function isValidPaymentReference(plain: string): boolean {
  return PLAIN_PATTERN.test(plain) && isPossibleMod97CheckDigits(plain.slice(9)) && mod97(plain) === 1;
}

/** 'RF' + ISO 11649 check digits + plain. Throws if `plain` is not a valid payment reference. */
export function toCreditorReference(plain: string): string {
  if (!isValidPaymentReference(plain)) throw new Error(`Not a valid payment reference: ${JSON.stringify(plain)}`);
  // ISO 11649: move 'RF00' to the end, letters become numbers (R=27, F=15), check = 98 - mod97.
  return `RF${mod97CheckDigits(`${plain}RF00`)}${plain}`;
}

/**
 * Any well-formed ISO 11649 creditor reference in compact upper-case form
 * (not only ours), e.g. 'RF18539007547034'. Use normalizeReferenceInput for
 * what people type.
 */
export function isValidCreditorReference(rf: string): boolean {
  const match = CREDITOR_PATTERN.exec(rf);
  if (match === null) return false;
  const checkDigits = match[1] ?? '';
  const reference = match[2] ?? '';
  return isPossibleMod97CheckDigits(checkDigits) && mod97(`${reference}RF${checkDigits}`) === 1;
}

/**
 * Grouped 4-4-3 for reading aloud or copying by eye: '1234 5678 978'.
 * Fours match how IBANs and RF references are printed; the check digits end
 * up in the last group. Throws unless given 11 digits.
 */
export function formatPaymentReference(plain: string): string {
  if (!/^\d{11}$/.test(plain)) throw new Error(`Not an 11-digit payment reference: ${JSON.stringify(plain)}`);
  return `${plain.slice(0, 4)} ${plain.slice(4, 8)} ${plain.slice(8)}`;
}

/** Groups of four as ISO 11649 prints them: 'RF74 1234 5678 978'. Throws for a malformed reference. */
export function formatCreditorReference(rf: string): string {
  if (!CREDITOR_PATTERN.test(rf)) throw new Error(`Not a creditor reference: ${JSON.stringify(rf)}`);
  return (rf.match(/.{1,4}/g) ?? []).join(' ');
}

export type ReferenceSearch = { kind: 'reference'; plain: string } | { kind: 'invalid-check'; plain: string };

/**
 * Interprets what staff type into a search box: '1234 5678 978', '1234-5678-978',
 * 'rf74 1234 5678 978'. Separators (whitespace, '-', '.', '/') are dropped and
 * letters upper-cased.
 *  - 11 digits that check out, or an RF reference wrapping them whose RF check
 *    also checks out: { kind: 'reference' }.
 *  - 11 digits (bare or inside RF) where a check fails: { kind: 'invalid-check' },
 *    so the UI can say "check digits do not match: probably a typo".
 *  - anything else: null.
 */
export function normalizeReferenceInput(input: string): ReferenceSearch | null {
  const compact = input.replace(/[\s\-./]+/g, '').toUpperCase();
  if (compact.startsWith('RF')) {
    if (!/^RF\d{13}$/.test(compact)) return null;
    const plain = compact.slice(4);
    return isValidCreditorReference(compact) && isValidPaymentReference(plain) ? { kind: 'reference', plain } : { kind: 'invalid-check', plain };
  }
  if (!/^\d{11}$/.test(compact)) return null;
  return isValidPaymentReference(compact) ? { kind: 'reference', plain: compact } : { kind: 'invalid-check', plain: compact };
}
