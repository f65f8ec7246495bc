/**
 * The EN 16931 business rules (and the Peppol BIS Billing 3.0 rules) that can apply to the documents
 * this portal issues: one invoice line, one VAT category, no allowances or charges, credit transfer.
 * Each rule is checked on the model both XML syntaxes are written from, with the rule's own id and
 * words (EN 16931-1:2017 and its validation artefacts 1.3.x; docs.peppol.eu/poacc/billing/3.0/rules).
 *
 * Rules about elements we never write (allowances, charges, invoicing periods, deliveries, tax
 * representatives, other payment means) cannot fail and are not listed.
 */
import { isCountryCode } from '../../domain/countries.js';
import { currencyInfo } from '../../domain/currencies.js';
import type { EInvoiceDocument } from '../../domain/e-invoice.js';
import { parseTaxRate } from '../../domain/tax.js';

export interface BusinessRule {
  id: string;
  text: string;
  /** Whether the rule concerns this document at all (a VAT category rule only its category). */
  appliesTo: (document: EInvoiceDocument) => boolean;
  holds: (document: EInvoiceDocument) => boolean;
}

const always = () => true;
const category = (code: EInvoiceDocument['vat']['category']) => (document: EInvoiceDocument) => document.vat.category === code;
const present = (text: string | null | undefined) => text !== null && text !== undefined && text.trim() !== '';

/** ISO 3166-1 alpha-2 prefixes VAT ids start with; Greece writes EL (BR-CO-09). */
function hasCountryPrefix(vatId: string): boolean {
  const prefix = vatId.slice(0, 2);
  return prefix === 'EL' || isCountryCode(prefix);
}

/** At most two decimals, as BR-DEC asks of every amount: true when the currency's minor unit allows it or the amount is whole enough. */
function twoDecimals(minor: number, currency: string): boolean {
  const digits = currencyInfo(currency)?.minorUnits ?? 2;
  return digits <= 2 || minor % 10 ** (digits - 2) === 0;
}

/**
 * BR-CO-17 as the 1.3 validation artefacts check it: the category tax amount may differ by at most
 * one currency unit from taxable × rate / 100 rounded to two decimals, because tax included in a
 * price is rounded once, on the price, not again on the net.
 */
function taxMatchesRate(document: EInvoiceDocument): boolean {
  const { ratePercent, taxableMinor, taxMinor } = document.vat;
  if (ratePercent === null) return taxMinor === 0;
  const rate = parseTaxRate(ratePercent);
  if (!rate.ok) return false;
  const digits = BigInt(currencyInfo(document.currency)?.minorUnits ?? 2);
  // Work in hundredths of a unit (two decimals) whatever the currency's minor unit.
  const toHundredths = (minor: number) => (digits <= 2n ? BigInt(minor) * 10n ** (2n - digits) : BigInt(minor) / 10n ** (digits - 2n));
  const product = toHundredths(taxableMinor) * rate.rate.numerator;
  const divisor = 100n * rate.rate.denominator;
  const expected = (2n * product + divisor) / (2n * divisor);
  const difference = toHundredths(taxMinor) - expected;
  return difference <= 100n && difference >= -100n;
}

function isZero(ratePercent: string | null): boolean {
  return ratePercent !== null && /^0+(\.0+)?$/.test(ratePercent);
}

const amounts = (document: EInvoiceDocument): number[] => [
  document.line.netPriceMinor,
  document.line.netAmountMinor,
  document.vat.taxableMinor,
  document.vat.taxMinor,
  ...Object.values(document.totals),
];

export const BUSINESS_RULES: readonly BusinessRule[] = [
  { id: 'BR-02', text: 'An Invoice shall have an Invoice number (BT-1).', appliesTo: always, holds: (d) => present(d.number) },
  { id: 'BR-03', text: 'An Invoice shall have an Invoice issue date (BT-2).', appliesTo: always, holds: (d) => /^\d{4}-\d{2}-\d{2}$/.test(d.issueDate) },
  { id: 'BR-04', text: 'An Invoice shall have an Invoice type code (BT-3).', appliesTo: always, holds: (d) => present(d.typeCode) },
  { id: 'BR-05', text: 'An Invoice shall have an Invoice currency code (BT-5).', appliesTo: always, holds: (d) => present(d.currency) },
  { id: 'BR-06', text: 'An Invoice shall contain the Seller name (BT-27).', appliesTo: always, holds: (d) => present(d.seller.name) },
  { id: 'BR-07', text: 'An Invoice shall contain the Buyer name (BT-44).', appliesTo: always, holds: (d) => present(d.buyer.name) },
  { id: 'BR-08', text: 'An Invoice shall contain the Seller postal address (BG-5).', appliesTo: always, holds: (d) => d.seller.addressLines.length > 0 },
  {
    id: 'BR-09',
    text: 'The Seller postal address (BG-5) shall contain a Seller country code (BT-40).',
    appliesTo: always,
    holds: (d) => present(d.seller.country),
  },
  { id: 'BR-11', text: 'The Buyer postal address shall contain a Buyer country code (BT-55).', appliesTo: always, holds: (d) => present(d.buyer.country) },
  {
    id: 'BR-12',
    text: 'An Invoice shall have the Sum of Invoice line net amount (BT-106).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.totals.lineTotalMinor),
  },
  {
    id: 'BR-13',
    text: 'An Invoice shall have the Invoice total amount without VAT (BT-109).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.totals.taxExclusiveMinor),
  },
  {
    id: 'BR-14',
    text: 'An Invoice shall have the Invoice total amount with VAT (BT-112).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.totals.taxInclusiveMinor),
  },
  {
    id: 'BR-15',
    text: 'An Invoice shall have the Amount due for payment (BT-115).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.totals.payableMinor),
  },
  { id: 'BR-21', text: 'Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126).', appliesTo: always, holds: (d) => present(d.line.id) },
  { id: 'BR-22', text: 'Each Invoice line (BG-25) shall have an Invoiced quantity (BT-129).', appliesTo: always, holds: (d) => d.line.quantity > 0 },
  {
    id: 'BR-23',
    text: 'An Invoice line (BG-25) shall have an Invoiced quantity unit of measure code (BT-130).',
    appliesTo: always,
    holds: (d) => present(d.line.unitCode),
  },
  {
    id: 'BR-24',
    text: 'Each Invoice line (BG-25) shall have an Invoice line net amount (BT-131).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.line.netAmountMinor),
  },
  { id: 'BR-25', text: 'Each Invoice line (BG-25) shall contain the Item name (BT-153).', appliesTo: always, holds: (d) => present(d.line.name) },
  {
    id: 'BR-26',
    text: 'Each Invoice line (BG-25) shall contain the Item net price (BT-146).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.line.netPriceMinor),
  },
  { id: 'BR-27', text: 'The Item net price (BT-146) shall NOT be negative.', appliesTo: always, holds: (d) => d.line.netPriceMinor >= 0 },
  {
    id: 'BR-45',
    text: 'Each VAT breakdown (BG-23) shall have a VAT category taxable amount (BT-116).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.vat.taxableMinor),
  },
  {
    id: 'BR-46',
    text: 'Each VAT breakdown (BG-23) shall have a VAT category tax amount (BT-117).',
    appliesTo: always,
    holds: (d) => Number.isSafeInteger(d.vat.taxMinor),
  },
  {
    id: 'BR-47',
    text: 'Each VAT breakdown (BG-23) shall be defined through a VAT category code (BT-118).',
    appliesTo: always,
    holds: (d) => present(d.vat.category),
  },
  {
    id: 'BR-48',
    text: 'Each VAT breakdown (BG-23) shall have a VAT category rate (BT-119), except if the Invoice is not subject to VAT.',
    appliesTo: (d) => d.vat.category !== 'O',
    holds: (d) => d.vat.ratePercent !== null,
  },
  {
    id: 'BR-49',
    text: 'A Payment instruction (BG-16) shall specify the Payment means type code (BT-81).',
    appliesTo: (d) => d.payment !== null,
    holds: (d) => present(d.payment?.meansCode),
  },
  {
    id: 'BR-50',
    text: 'A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17) information is provided in the Invoice.',
    appliesTo: (d) => d.payment !== null,
    holds: (d) => present(d.payment?.accountId),
  },
  {
    id: 'BR-55',
    text: 'Each Preceding Invoice reference (BG-3) shall contain a Preceding Invoice reference (BT-25).',
    appliesTo: (d) => d.precedingInvoice !== null,
    holds: (d) => present(d.precedingInvoice?.number),
  },
  {
    id: 'BR-61',
    text: 'If the Payment means type code (BT-81) means SEPA credit transfer, Local credit transfer or Non-SEPA international credit transfer, the Payment account identifier (BT-84) shall be present.',
    appliesTo: (d) => d.payment?.meansCode === '58' || d.payment?.meansCode === '30',
    holds: (d) => present(d.payment?.accountId),
  },
  {
    id: 'BR-CO-04',
    text: 'Each Invoice line (BG-25) shall be categorized with an Invoiced item VAT category code (BT-151).',
    appliesTo: always,
    holds: (d) => present(d.vat.category),
  },
  {
    id: 'BR-CO-09',
    text: 'The Seller VAT identifier (BT-31) and the Buyer VAT identifier (BT-48) shall have a prefix in accordance with ISO code ISO 3166-1 alpha-2.',
    appliesTo: (d) => d.seller.vatId !== null || d.buyer.vatId !== null,
    holds: (d) => [d.seller.vatId, d.buyer.vatId].every((id) => id === null || hasCountryPrefix(id)),
  },
  {
    id: 'BR-CO-10',
    text: 'Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131).',
    appliesTo: always,
    holds: (d) => d.totals.lineTotalMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-CO-13',
    text: 'Invoice total amount without VAT (BT-109) = Σ Invoice line net amount (BT-131) - Sum of allowances on document level (BT-107) + Sum of charges on document level (BT-108).',
    appliesTo: always,
    holds: (d) => d.totals.taxExclusiveMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-CO-14',
    text: 'Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).',
    appliesTo: always,
    holds: (d) => d.totals.taxMinor === d.vat.taxMinor,
  },
  {
    id: 'BR-CO-15',
    text: 'Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).',
    appliesTo: always,
    holds: (d) => d.totals.taxInclusiveMinor === d.totals.taxExclusiveMinor + d.totals.taxMinor,
  },
  {
    id: 'BR-CO-16',
    text: 'Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) - Paid amount (BT-113) + Rounding amount (BT-114).',
    appliesTo: always,
    holds: (d) => d.totals.payableMinor === d.totals.taxInclusiveMinor - d.totals.paidMinor,
  },
  {
    id: 'BR-CO-17',
    text: 'VAT category tax amount (BT-117) = VAT category taxable amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals.',
    appliesTo: always,
    holds: taxMatchesRate,
  },
  { id: 'BR-CO-18', text: 'An Invoice shall at least have one VAT breakdown group (BG-23).', appliesTo: always, holds: (d) => present(d.vat.category) },
  {
    id: 'BR-CO-25',
    text: 'In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) or the Payment terms (BT-20) shall be present.',
    appliesTo: (d) => d.totals.payableMinor > 0,
    holds: (d) => present(d.dueDate) || present(d.paymentTerms),
  },
  {
    id: 'BR-CO-26',
    text: 'In order for the buyer to automatically identify a supplier, the Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present.',
    appliesTo: always,
    holds: (d) => d.seller.identifier !== null || present(d.seller.legalRegistrationId) || present(d.seller.vatId),
  },
  {
    id: 'BR-DEC-*',
    text: 'The allowed maximum number of decimals for every amount (BT-106 to BT-117, BT-131, BT-146) is 2.',
    appliesTo: always,
    holds: (d) => amounts(d).every((minor) => twoDecimals(minor, d.currency)),
  },
  {
    id: 'BR-CL-01',
    text: 'The document type code (BT-3) MUST be coded by the invoice and credit note related code lists of UNTDID 1001.',
    appliesTo: always,
    holds: (d) => ['380', '381'].includes(d.typeCode),
  },
  {
    id: 'BR-CL-04',
    text: 'Invoice currency code (BT-5) MUST be coded using ISO code list 4217 alpha-3.',
    appliesTo: always,
    holds: (d) => currencyInfo(d.currency) !== undefined,
  },
  {
    id: 'BR-CL-14',
    text: 'Country codes in an invoice MUST be coded using ISO code list 3166-1.',
    appliesTo: always,
    holds: (d) => isCountryCode(d.seller.country) && isCountryCode(d.buyer.country),
  },

  // Standard rated (S)
  {
    id: 'BR-S-02',
    text: 'An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Standard rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    appliesTo: category('S'),
    holds: (d) => present(d.seller.vatId) || present(d.seller.taxRegistrationId),
  },
  {
    id: 'BR-S-05',
    text: 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Standard rated" the Invoiced item VAT rate (BT-152) shall be greater than zero.',
    appliesTo: category('S'),
    holds: (d) => d.vat.ratePercent !== null && !isZero(d.vat.ratePercent),
  },
  {
    id: 'BR-S-08',
    text: 'For each different value of VAT category rate (BT-119) where the VAT category code (BT-118) is "Standard rated", the VAT category taxable amount (BT-116) in a VAT breakdown (BG-23) shall equal the sum of Invoice line net amounts (BT-131).',
    appliesTo: category('S'),
    holds: (d) => d.vat.taxableMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-S-09',
    text: 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "Standard rated" shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).',
    appliesTo: category('S'),
    holds: taxMatchesRate,
  },
  {
    id: 'BR-S-10',
    text: 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Standard rate" shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
    appliesTo: category('S'),
    holds: (d) => d.vat.exemptionReason === null && d.vat.exemptionReasonCode === null,
  },

  // Reverse charge (AE)
  {
    id: 'BR-AE-02',
    text: 'An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Reverse charge" shall contain the Sellers VAT identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) and/or the Buyer legal registration identifier (BT-47).',
    appliesTo: category('AE'),
    holds: (d) => (present(d.seller.vatId) || present(d.seller.taxRegistrationId)) && (present(d.buyer.vatId) || present(d.buyer.legalRegistrationId)),
  },
  {
    id: 'BR-AE-05',
    text: 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Reverse charge" the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    appliesTo: category('AE'),
    holds: (d) => isZero(d.vat.ratePercent),
  },
  {
    id: 'BR-AE-08',
    text: 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Reverse charge" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131).',
    appliesTo: category('AE'),
    holds: (d) => d.vat.taxableMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-AE-09',
    text: 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Reverse charge" shall be 0 (zero).',
    appliesTo: category('AE'),
    holds: (d) => d.vat.taxMinor === 0,
  },
  {
    id: 'BR-AE-10',
    text: 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Reverse charge" shall have a VAT exemption reason code (BT-121), meaning "Reverse charge" or the VAT exemption reason text (BT-120) "Reverse charge" (or the equivalent standard text in another language).',
    appliesTo: category('AE'),
    holds: (d) => d.vat.exemptionReasonCode === 'VATEX-EU-AE' || d.vat.exemptionReason === 'Reverse charge',
  },

  // Exempt from VAT (E)
  {
    id: 'BR-E-02',
    text: 'An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Exempt from VAT" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    appliesTo: category('E'),
    holds: (d) => present(d.seller.vatId) || present(d.seller.taxRegistrationId),
  },
  {
    id: 'BR-E-05',
    text: 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Exempt from VAT", the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    appliesTo: category('E'),
    holds: (d) => isZero(d.vat.ratePercent),
  },
  {
    id: 'BR-E-08',
    text: 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Exempt from VAT" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131).',
    appliesTo: category('E'),
    holds: (d) => d.vat.taxableMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-E-09',
    text: 'The VAT category tax amount (BT-117) In a VAT breakdown (BG-23) where the VAT category code (BT-118) equals "Exempt from VAT" shall equal 0 (zero).',
    appliesTo: category('E'),
    holds: (d) => d.vat.taxMinor === 0,
  },
  {
    id: 'BR-E-10',
    text: 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Exempt from VAT" shall have a VAT exemption reason code (BT-121) or a VAT exemption reason text (BT-120).',
    appliesTo: category('E'),
    holds: (d) => present(d.vat.exemptionReason) || present(d.vat.exemptionReasonCode),
  },

  // Zero rated (Z)
  {
    id: 'BR-Z-02',
    text: 'An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Zero rated" shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63).',
    appliesTo: category('Z'),
    holds: (d) => present(d.seller.vatId) || present(d.seller.taxRegistrationId),
  },
  {
    id: 'BR-Z-05',
    text: 'In an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is "Zero rated" the Invoiced item VAT rate (BT-152) shall be 0 (zero).',
    appliesTo: category('Z'),
    holds: (d) => isZero(d.vat.ratePercent),
  },
  {
    id: 'BR-Z-08',
    text: 'In a VAT breakdown (BG-23) where VAT category code (BT-118) is "Zero rated" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amount (BT-131).',
    appliesTo: category('Z'),
    holds: (d) => d.vat.taxableMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-Z-09',
    text: 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is "Zero rated" shall equal 0 (zero).',
    appliesTo: category('Z'),
    holds: (d) => d.vat.taxMinor === 0,
  },
  {
    id: 'BR-Z-10',
    text: 'A VAT breakdown (BG-23) with VAT Category code (BT-118) "Zero rated" shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).',
    appliesTo: category('Z'),
    holds: (d) => d.vat.exemptionReason === null && d.vat.exemptionReasonCode === null,
  },

  // Not subject to VAT (O)
  {
    id: 'BR-O-02',
    text: 'An Invoice that contains an Invoice line where the Invoiced item VAT category code (BT-151) is "Not subject to VAT" shall not contain the Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) or the Buyer VAT identifier (BT-48).',
    appliesTo: category('O'),
    holds: (d) => d.seller.vatId === null && d.buyer.vatId === null,
  },
  {
    id: 'BR-O-05',
    text: 'An Invoice line (BG-25) where the VAT category code (BT-151) is "Not subject to VAT" shall not contain an Invoiced item VAT rate (BT-152).',
    appliesTo: category('O'),
    holds: (d) => d.vat.ratePercent === null,
  },
  {
    id: 'BR-O-08',
    text: 'In a VAT breakdown (BG-23) where the VAT category code (BT-118) is " Not subject to VAT" the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131).',
    appliesTo: category('O'),
    holds: (d) => d.vat.taxableMinor === d.line.netAmountMinor,
  },
  {
    id: 'BR-O-09',
    text: 'The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is "Not subject to VAT" shall be 0 (zero).',
    appliesTo: category('O'),
    holds: (d) => d.vat.taxMinor === 0,
  },
  {
    id: 'BR-O-10',
    text: 'A VAT breakdown (BG-23) with VAT Category code (BT-118) " Not subject to VAT" shall have a VAT exemption reason code (BT-121), meaning " Not subject to VAT" or a VAT exemption reason text (BT-120) " Not subject to VAT" (or the equivalent standard text in another language).',
    appliesTo: category('O'),
    holds: (d) => d.vat.exemptionReasonCode === 'VATEX-EU-O' || present(d.vat.exemptionReason),
  },

  // Peppol BIS Billing 3.0
  {
    id: 'PEPPOL-EN16931-R003',
    text: 'A buyer reference or purchase order reference MUST be provided.',
    appliesTo: always,
    holds: (d) => present(d.buyerReference) || present(d.purchaseOrder),
  },
  { id: 'PEPPOL-EN16931-R010', text: 'Buyer electronic address MUST be provided', appliesTo: always, holds: (d) => d.buyer.electronicAddress !== null },
  { id: 'PEPPOL-EN16931-R020', text: 'Seller electronic address MUST be provided', appliesTo: always, holds: (d) => d.seller.electronicAddress !== null },
  {
    id: 'PEPPOL-EN16931-R120',
    text: 'Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount',
    appliesTo: always,
    holds: (d) => d.line.netAmountMinor === d.line.quantity * d.line.netPriceMinor,
  },
];

export interface RuleResult {
  /** Every rule that concerned the document, in the order above. */
  checked: string[];
  /** The rules it breaks, with their words. */
  broken: { id: string; text: string }[];
}

export function checkBusinessRules(document: EInvoiceDocument): RuleResult {
  const concerned = BUSINESS_RULES.filter((rule) => rule.appliesTo(document));
  return {
    checked: concerned.map((rule) => rule.id),
    broken: concerned.filter((rule) => !rule.holds(document)).map(({ id, text }) => ({ id, text })),
  };
}
