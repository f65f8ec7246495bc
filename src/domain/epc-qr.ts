/**
 * Payload of the EPC069-12 "SEPA Credit Transfer" QR code (GiroCode), which
 * European banking apps scan to pre-fill a transfer. Version 002 (BIC optional),
 * character set 1 (UTF-8), identification 'SCT', elements separated by LF.
 */
import { isValidBic, isValidIban, normalizeBic, normalizeIban } from './iban.js';
import { minorToDecimalString } from './money.js';
import { isValidCreditorReference } from './payment-reference.js';

export interface EpcPayment {
  bic?: string;
  name: string;
  iban: string;
  /** EUR cents. */
  amountMinor: number;
  /** ISO 11649 'RF...' reference; goes in the structured remittance element. */
  creditorReference?: string;
  remittanceText?: string;
  information?: string;
}

const MAX_NAME_CHARS = 70;
const MAX_REMITTANCE_TEXT_CHARS = 140;
const MAX_INFORMATION_CHARS = 70;
const MAX_PAYLOAD_BYTES = 331;
const MIN_AMOUNT_CENTS = 1; // EUR 0.01
const MAX_AMOUNT_CENTS = 99_999_999_999; // EUR 999999999.99

function codePointLength(text: string): number {
  return Array.from(text).length;
}

/** A field must stay on its own line, or every element after it shifts and the bank reads garbage. */
function requireSingleLine(value: string, field: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`EPC QR ${field} must not contain line breaks`);
  return value;
}

function optionalText(value: string | undefined, field: string, maxChars: number): string {
  const text = requireSingleLine((value ?? '').trim(), field);
  if (codePointLength(text) > maxChars) throw new Error(`EPC QR ${field} is longer than ${maxChars} characters`);
  return text;
}

/**
 * Builds the QR text. Throws (a programming or configuration error) when the
 * IBAN, BIC, amount or reference is invalid, when both a creditor reference
 * and free remittance text are given (the standard allows only one), or when
 * the payload would exceed 331 bytes. A beneficiary name longer than 70
 * characters is cut at a code point boundary rather than rejected: legal names
 * can be long, and the IBAN, not the name, routes the money.
 */
export function buildEpcPayload(p: EpcPayment): string {
  const bic = normalizeBic(p.bic ?? '');
  if (bic !== '' && !isValidBic(bic)) throw new Error(`EPC QR BIC is not valid: ${JSON.stringify(p.bic)}`);

  const fullName = requireSingleLine(p.name.trim(), 'beneficiary name');
  if (fullName === '') throw new Error('EPC QR beneficiary name is required');
  const name = Array.from(fullName).slice(0, MAX_NAME_CHARS).join('').trimEnd();

  if (!isValidIban(p.iban)) throw new Error(`EPC QR IBAN is not valid: ${JSON.stringify(p.iban)}`);
  const iban = normalizeIban(p.iban);

  if (!Number.isSafeInteger(p.amountMinor) || p.amountMinor < MIN_AMOUNT_CENTS || p.amountMinor > MAX_AMOUNT_CENTS) {
    throw new Error(`EPC QR amount must be between EUR 0.01 and EUR 999999999.99, got ${p.amountMinor} cents`);
  }
  const amount = `EUR${minorToDecimalString(p.amountMinor, 'EUR')}`;

  const creditorReference = (p.creditorReference ?? '').replace(/\s+/g, '').toUpperCase();
  if (creditorReference !== '' && !isValidCreditorReference(creditorReference)) {
    throw new Error(`EPC QR creditor reference is not valid: ${JSON.stringify(p.creditorReference)}`);
  }
  const remittanceText = optionalText(p.remittanceText, 'remittance text', MAX_REMITTANCE_TEXT_CHARS);
  if (creditorReference !== '' && remittanceText !== '') {
    throw new Error('EPC QR allows either a creditor reference or remittance text, not both');
  }
  const information = optionalText(p.information, 'information', MAX_INFORMATION_CHARS);

  const elements = [
    'BCD',
    '002',
    '1', // UTF-8
    'SCT',
    bic,
    name,
    iban,
    amount,
    '', // purpose code: none
    creditorReference,
    remittanceText,
    information,
  ];
  // The standard lets trailing empty elements be left out; fewer bytes make a sparser, easier-to-scan code.
  while (elements.length > 0 && elements[elements.length - 1] === '') elements.pop();
  const payload = elements.join('\n');

  const bytes = new TextEncoder().encode(payload).length;
  if (bytes > MAX_PAYLOAD_BYTES) throw new Error(`EPC QR payload is ${bytes} bytes; the maximum is ${MAX_PAYLOAD_BYTES}`);
  return payload;
}
