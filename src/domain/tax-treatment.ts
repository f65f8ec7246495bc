/**
 * The one place that decides how an invoice is taxed: which VAT category (EN 16931 codes), at what
 * rate, and what the invoice must say about it.
 *
 *   S  standard: the configured rate (GST included or VAT added, as TAX_INCLUSIVE says)
 *   AE reverse charge: 0%, "Reverse charge", both VAT ids
 *   E  exempt: 0% with TAX_EXEMPTION_REASON printed
 *   Z  zero rated: TAX_RATE is 0 and no exemption reason is given
 *   O  not subject to tax: the seller is not registered (SELLER_TAX_ID_NONE=true)
 *
 * Why Article 196 for a course sold to a business in another member state: a course followed online
 * is a service, and for services between businesses Article 44 of Council Directive 2006/112/EC puts
 * the place of supply where the customer is established; Article 196 then makes that customer, not
 * the foreign supplier, liable for the VAT, and Article 226(11a) requires the invoice to say
 * "Reverse charge". Admission to a class held in person is taxed where it takes place (Article 53),
 * not reversed: a seller of such classes sets TAX_REVERSE_CHARGE=false.
 */
import type { TaxIdResult } from './tax-ids.js';
import type { TaxRate } from './tax.js';

/**
 * The 27 member states of the European Union (ISO 3166-1 codes; Greece is GR here and EL in VAT
 * ids). Source: European Union, "EU countries" (european-union.europa.eu), as of 2026; the United
 * Kingdom left on 31 January 2020.
 */
export const EU_MEMBER_STATES: readonly string[] = Object.freeze([
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
]);

const EU: ReadonlySet<string> = new Set(EU_MEMBER_STATES);

export function isEuMemberState(country: string | null): boolean {
  return country !== null && EU.has(country);
}

/** VAT category codes of EN 16931 (UNTDID 5305) that a course invoice can have. */
export type VatCategory = 'S' | 'AE' | 'E' | 'Z' | 'O';

export const REVERSE_CHARGE_LEGEND = 'Reverse charge';
export const REVERSE_CHARGE_REFERENCE = 'Article 196 of Council Directive 2006/112/EC';

export const ZERO_RATE: TaxRate = Object.freeze({ percent: '0', numerator: 0n, denominator: 1n });

export interface TaxTreatmentInput {
  seller: {
    /** SELLER_COUNTRY, ISO 3166-1 alpha-2. */
    country: string | null;
    /** SELLER_TAX_ID as validated at start-up; null when there is none. */
    taxId: TaxIdResult | null;
    /** false when SELLER_TAX_ID_NONE=true: the seller is not registered for VAT/GST/SST. */
    registered: boolean;
  };
  buyer: {
    /** Country from the billing form. */
    country: string | null;
    /** The buyer's tax id as validateTaxId() read it; null when none was given. */
    taxId: TaxIdResult | null;
    organisation: string | null;
  };
  /** TAX_RATE. */
  rate: TaxRate;
  /** TAX_REVERSE_CHARGE. */
  reverseChargeEnabled: boolean;
  /** TAX_EXEMPTION_REASON. */
  exemptionReason: string | null;
}

export interface TaxTreatment {
  category: VatCategory;
  /** The rate to charge: the configured one for S, 0 for every other category. */
  rate: TaxRate;
  /** Text the invoice must print next to the tax ('Reverse charge', the exemption reason), or null. */
  legend: string | null;
  /** The law the legend rests on, printed after it, or null. */
  legalReference: string | null;
  /** Print the buyer's tax id (always for the reverse charge, which requires both ids). */
  showBuyerTaxId: boolean;
}

function present(text: string | null): text is string {
  return text !== null && text.trim() !== '';
}

/**
 * Reverse charge applies only when every one of these holds: it is enabled; the seller is
 * established in the EU and has an EU VAT id (the invoice must show it, Article 226(3)); the buyer
 * gave a valid EU VAT id of another member state (the id's own country counts, not the billing
 * address); and the buyer named the organisation it buys for (the invoice is addressed to the
 * business that accounts for the VAT, Article 226(5)). A consumer or a buyer from the seller's own country pays the normal rate;
 * a seller outside the EU (Australian GST, Malaysian SST) never reverses the charge.
 */
export function isReverseCharge(input: TaxTreatmentInput): boolean {
  const { seller, buyer } = input;
  if (!input.reverseChargeEnabled || !seller.registered) return false;
  if (!isEuMemberState(seller.country)) return false;
  if (!seller.taxId?.ok || seller.taxId.scheme !== 'eu_vat') return false;
  if (!buyer.taxId?.ok || buyer.taxId.scheme !== 'eu_vat') return false;
  if (buyer.taxId.country === seller.country) return false;
  return present(buyer.organisation);
}

export function taxTreatment(input: TaxTreatmentInput): TaxTreatment {
  const buyerHasTaxId = input.buyer.taxId?.ok === true;
  const exemptionReason = present(input.exemptionReason) ? input.exemptionReason.trim() : null;

  if (!input.seller.registered) {
    // A seller who is not registered charges no tax and issues a plain "Invoice"; some countries
    // require a sentence saying why (Germany's small business rule, § 19 UStG): the exemption reason.
    return { category: 'O', rate: ZERO_RATE, legend: exemptionReason, legalReference: null, showBuyerTaxId: buyerHasTaxId };
  }
  // Before the rate: across borders the place of supply moves to the buyer's country, so the
  // seller's own exemption or zero rate does not apply there.
  if (isReverseCharge(input)) {
    return { category: 'AE', rate: ZERO_RATE, legend: REVERSE_CHARGE_LEGEND, legalReference: REVERSE_CHARGE_REFERENCE, showBuyerTaxId: true };
  }
  if (input.rate.numerator === 0n) {
    if (exemptionReason !== null) return { category: 'E', rate: ZERO_RATE, legend: exemptionReason, legalReference: null, showBuyerTaxId: buyerHasTaxId };
    return { category: 'Z', rate: ZERO_RATE, legend: null, legalReference: null, showBuyerTaxId: buyerHasTaxId };
  }
  return { category: 'S', rate: input.rate, legend: null, legalReference: null, showBuyerTaxId: buyerHasTaxId };
}
