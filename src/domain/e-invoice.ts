/**
 * The invoice and the credit note as EN 16931 data: one model that both e-invoice syntaxes (CII for
 * Factur-X, UBL for Peppol) are written from, built from the stored invoice only, like the PDF.
 *
 * Amounts stay integer minor units here; they become decimal text only when the XML is written.
 * A credit note carries positive amounts: its type (381) already says the money goes back, and
 * EN 16931 would read a negative amount on a credit note as a charge again.
 */
import { SEPA_IBAN_COUNTRIES } from './bank-accounts.js';
import type { Invoice } from './invoice.js';
import { parseTaxRate } from './tax.js';
import { validateTaxId } from './tax-ids.js';
import { REVERSE_CHARGE_LEGEND, type VatCategory } from './tax-treatment.js';

/** What of a credit note the e-invoice needs (db/credit-notes.ts#CreditNote has these and more). */
export interface CreditNoteFacts {
  number: string;
  issueDate: string;
  reason: string;
  currency: string;
  /** As stored and printed: the negation of the invoice's amounts. */
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
}

/** Settings the stored invoice does not (yet) carry, taken from the configuration. */
export interface EInvoiceSettings {
  /** SELLER_COUNTRY: EN 16931 requires the seller's country (BT-40). */
  sellerCountry: string;
  /** SELLER_ELECTRONIC_ADDRESS ('0088:5790000435975', '9930:DE136695976'), or null. */
  sellerElectronicAddress: string | null;
  /** Where the seller's electronic address falls back to when none is configured (MAIL_FROM's address). */
  sellerEmail: string | null;
  /** TAX_EXEMPTION_REASON. */
  exemptionReason: string | null;
  /** TAX_REVERSE_CHARGE. */
  reverseChargeEnabled: boolean;
}

/** An electronic address (BT-34, BT-49) with its scheme from the EAS code list ('EM' is an email address). */
export interface ElectronicAddress {
  scheme: string;
  id: string;
}

export interface EInvoiceParty {
  name: string;
  /** The person the invoice is addressed to when it goes to an organisation (BT-56). */
  contactName: string | null;
  email: string | null;
  /** Up to three address lines (BT-35, BT-36, BT-162); a longer address is joined into the third. */
  addressLines: string[];
  /** ISO 3166-1 alpha-2 (BT-40, BT-55). */
  country: string;
  /** A VAT identifier with its country prefix (BT-31, BT-48). */
  vatId: string | null;
  /** The seller's tax registration that is not a VAT id: an ABN, an SST number (BT-32). */
  taxRegistrationId: string | null;
  /** The registration that identifies the business (BT-30, BT-47): the ABN, the SST or TIN number. */
  legalRegistrationId: string | null;
  /** BT-29, BT-46: the seller identifier, from its electronic address when that is a registry number (ICD scheme). */
  identifier: { id: string; scheme: string | null } | null;
  electronicAddress: ElectronicAddress | null;
}

export interface EInvoiceVat {
  category: VatCategory;
  /** The rate as decimal text ('19', '7.5', '0'); null for O, which has no rate (BR-O-05). */
  ratePercent: string | null;
  taxableMinor: number;
  taxMinor: number;
  /** BT-120: why no VAT is charged (E, AE, O); null for S and Z. */
  exemptionReason: string | null;
  /** BT-121, from the VATEX code list. */
  exemptionReasonCode: string | null;
}

export interface EInvoicePayment {
  /** UNTDID 4461: 58 SEPA credit transfer, 30 credit transfer. */
  meansCode: '58' | '30';
  /** BT-84: the IBAN, or the account number. */
  accountId: string;
  accountIsIban: boolean;
  accountName: string | null;
  /** BT-86: the BIC, or the branch (BSB) of a domestic account. */
  serviceProviderId: string | null;
  /** BT-83: what the buyer quotes with the transfer, so the payment finds its invoice. */
  remittanceInformation: string;
}

export interface EInvoiceDocument {
  /** UNTDID 1001: 380 commercial invoice, 381 credit note. */
  typeCode: '380' | '381';
  number: string;
  issueDate: string;
  /** Payment due date (BT-9); null on a credit note, which asks for nothing. */
  dueDate: string | null;
  /** Payment terms (BT-20) when there is no due date. */
  paymentTerms: string | null;
  currency: string;
  /** BT-22: the credit note's reason. */
  note: string | null;
  /** BT-25, BT-26: the invoice a credit note cancels. */
  precedingInvoice: { number: string; issueDate: string } | null;
  /** BT-10. */
  buyerReference: string | null;
  /** BT-13. */
  purchaseOrder: string | null;
  seller: EInvoiceParty;
  buyer: EInvoiceParty;
  line: {
    id: string;
    name: string;
    description: string;
    quantity: 1;
    /** UN/ECE Recommendation 20: C62, "one". */
    unitCode: 'C62';
    /** BT-146, net of VAT. */
    netPriceMinor: number;
    /** BT-131. */
    netAmountMinor: number;
  };
  vat: EInvoiceVat;
  totals: {
    /** BT-106 */ lineTotalMinor: number;
    /** BT-109 */ taxExclusiveMinor: number;
    /** BT-110 */ taxMinor: number;
    /** BT-112 */ taxInclusiveMinor: number;
    /** BT-113 */ paidMinor: number;
    /** BT-115 */ payableMinor: number;
  };
  payment: EInvoicePayment | null;
}

/** Tax ids the XML can use: VAT ids carry their country, others go in as registration numbers. */
const VAT_SCHEMES: ReadonlySet<string> = new Set(['eu_vat', 'gb_vat', 'xi_vat']);

function readTaxId(text: string | null, country: string | null): { vatId: string | null; taxRegistrationId: string | null } {
  if (text === null || text.trim() === '') return { vatId: null, taxRegistrationId: null };
  const read = validateTaxId(text, country);
  if (!read.ok) return { vatId: null, taxRegistrationId: text.trim() };
  if (VAT_SCHEMES.has(read.scheme)) return { vatId: read.normalized, taxRegistrationId: null };
  return { vatId: null, taxRegistrationId: read.normalized };
}

/** Address text as typed, one line per line; EN 16931 has three address lines, so the rest joins the third. */
export function addressLines(address: string | null): string[] {
  const lines = (address ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length <= 3) return lines;
  return [lines[0]!, lines[1]!, lines.slice(2).join(', ')];
}

/** 'scheme:id' as SELLER_ELECTRONIC_ADDRESS is written; config.ts checks the shape. */
export function parseElectronicAddress(text: string): ElectronicAddress | null {
  const match = /^\s*([0-9A-Z]{2,4})\s*:\s*(\S.*?)\s*$/.exec(text);
  return match ? { scheme: match[1]!, id: match[2]! } : null;
}

export interface VatTreatmentOfInvoice {
  category: VatCategory;
  exemptionReason: string | null;
}

/**
 * The VAT category of an issued invoice. This is the one place that knows it: invoices do not
 * store their category yet, so it is read back from what they do store (the tax charged, the
 * rate, both tax ids) with the rules of tax-treatment.ts. When the category is stored on the
 * invoice, this function returns the stored one instead.
 */
export function vatTreatmentOfInvoice(invoice: Invoice, settings: EInvoiceSettings): VatTreatmentOfInvoice {
  // The category was decided when the invoice was issued (src/domain/tax-treatment.ts) and stored
  // with its legend: the e-invoice says what the PDF says, whatever today's settings are.
  switch (invoice.taxCategory) {
    case 'AE':
      return { category: 'AE', exemptionReason: REVERSE_CHARGE_LEGEND };
    case 'E':
      return { category: 'E', exemptionReason: invoice.taxLegend ?? settings.exemptionReason?.trim() ?? 'Exempt from VAT' };
    case 'O':
      return { category: 'O', exemptionReason: invoice.taxLegend ?? 'Not subject to VAT' };
    default:
      return { category: invoice.taxCategory, exemptionReason: null };
  }
}

/** VATEX codes (the CEF code list EN 16931 points to) for the categories that take one. */
const EXEMPTION_CODES: Partial<Record<VatCategory, string>> = { AE: 'VATEX-EU-AE', O: 'VATEX-EU-O' };

function vatBreakdown(invoice: Invoice, treatment: VatTreatmentOfInvoice, taxableMinor: number, taxMinor: number): EInvoiceVat {
  const rate = parseTaxRate(invoice.taxRate);
  const ratePercent = treatment.category === 'O' ? null : treatment.category === 'S' && rate.ok ? rate.rate.percent : '0';
  return {
    category: treatment.category,
    ratePercent,
    taxableMinor,
    taxMinor,
    exemptionReason: treatment.category === 'S' || treatment.category === 'Z' ? null : treatment.exemptionReason,
    exemptionReasonCode: EXEMPTION_CODES[treatment.category] ?? null,
  };
}

function sellerParty(invoice: Invoice, settings: EInvoiceSettings, category: VatCategory): EInvoiceParty {
  const { seller } = invoice.issuer;
  const ids = readTaxId(seller.taxId, settings.sellerCountry);
  const configured = settings.sellerElectronicAddress ? parseElectronicAddress(settings.sellerElectronicAddress) : null;
  // A VAT id is kept out of a document not subject to VAT (BR-O-02); it still identifies the business.
  const otherRegistration = ids.taxRegistrationId ?? (category === 'O' ? ids.vatId : null);
  return {
    name: seller.name,
    contactName: null,
    email: settings.sellerEmail,
    addressLines: addressLines(seller.address),
    country: settings.sellerCountry,
    vatId: category === 'O' ? null : ids.vatId,
    taxRegistrationId: category === 'O' ? null : ids.taxRegistrationId,
    // An ABN or SST number is also how registries know the business, which is what lets the buyer's
    // system recognise the seller when there is no VAT id (BR-CO-26).
    legalRegistrationId: otherRegistration,
    // ISO 6523 identifiers (0088 GLN, 0060 DUNS...) are registry numbers; EAS 99xx codes are addresses only.
    identifier: configured && /^0\d{3}$/.test(configured.scheme) ? { id: configured.id, scheme: configured.scheme } : null,
    electronicAddress: configured ?? (settings.sellerEmail ? { scheme: 'EM', id: settings.sellerEmail } : null),
  };
}

function buyerParty(invoice: Invoice, settings: EInvoiceSettings, category: VatCategory): EInvoiceParty {
  const country = invoice.buyerCountry ?? settings.sellerCountry;
  const ids = readTaxId(invoice.buyerTaxId, invoice.buyerCountry);
  const organisation = invoice.buyerOrganisation?.trim() || null;
  return {
    name: organisation ?? invoice.buyerName,
    contactName: organisation ? invoice.buyerName : null,
    email: invoice.buyerEmail,
    addressLines: addressLines(invoice.buyerAddress),
    country,
    // BR-O-02: an invoice not subject to VAT names no buyer VAT id; it stays as a registration id.
    vatId: category === 'O' ? null : ids.vatId,
    taxRegistrationId: null,
    legalRegistrationId: ids.taxRegistrationId ?? (category === 'O' ? ids.vatId : null),
    identifier: null,
    electronicAddress: { scheme: 'EM', id: invoice.buyerEmail },
  };
}

/** The bank account of the issuer, however it was configured (IBAN, or BSB and account number, or free text). */
type StoredBank = Invoice['issuer']['bank'] & { bsb?: string | null; accountNumber?: string | null };

function paymentOf(invoice: Invoice): EInvoicePayment | null {
  const bank: StoredBank = invoice.issuer.bank;
  const remittanceInformation = invoice.paymentReference;
  if (bank.iban) {
    const sepa = invoice.currency === 'EUR' && SEPA_IBAN_COUNTRIES.has(bank.iban.slice(0, 2));
    return {
      meansCode: sepa ? '58' : '30',
      accountId: bank.iban,
      accountIsIban: true,
      accountName: bank.accountName,
      serviceProviderId: bank.bic,
      remittanceInformation,
    };
  }
  const accountId = bank.accountNumber ?? bank.details?.replace(/\s*\n\s*/g, ', ').trim() ?? null;
  if (!accountId) return null;
  return { meansCode: '30', accountId, accountIsIban: false, accountName: bank.accountName, serviceProviderId: bank.bsb ?? null, remittanceInformation };
}

function baseDocument(invoice: Invoice, settings: EInvoiceSettings, treatment: VatTreatmentOfInvoice) {
  const purchaseOrder = invoice.buyerPoNumber?.trim() || null;
  const given = invoice.buyerReference?.trim() || null;
  return {
    currency: invoice.currency,
    // Peppol requires a buyer reference or an order number (PEPPOL-EN16931-R003); with neither,
    // the learner's name is what the buyer's accounts department routes the invoice by.
    buyerReference: given ?? (purchaseOrder === null ? invoice.buyerName : null),
    purchaseOrder,
    seller: sellerParty(invoice, settings, treatment.category),
    buyer: buyerParty(invoice, settings, treatment.category),
  };
}

function lineOf(invoice: Invoice, netMinor: number): EInvoiceDocument['line'] {
  return {
    id: '1',
    name: invoice.courseTitle,
    description: invoice.programId !== null ? `OpenLearning program ${invoice.programId}` : `OpenLearning class ${invoice.classId}`,
    quantity: 1,
    unitCode: 'C62',
    netPriceMinor: netMinor,
    netAmountMinor: netMinor,
  };
}

/** The invoice as issued: the amount due is its total, as on the PDF, whatever was paid since. */
export function eInvoiceFromInvoice(invoice: Invoice, settings: EInvoiceSettings): EInvoiceDocument {
  const treatment = vatTreatmentOfInvoice(invoice, settings);
  return {
    typeCode: '380',
    number: invoice.number,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    paymentTerms: null,
    note: null,
    precedingInvoice: null,
    ...baseDocument(invoice, settings, treatment),
    line: lineOf(invoice, invoice.netMinor),
    vat: vatBreakdown(invoice, treatment, invoice.netMinor, invoice.taxMinor),
    totals: {
      lineTotalMinor: invoice.netMinor,
      taxExclusiveMinor: invoice.netMinor,
      taxMinor: invoice.taxMinor,
      taxInclusiveMinor: invoice.totalMinor,
      paidMinor: 0,
      payableMinor: invoice.totalMinor,
    },
    payment: paymentOf(invoice),
  };
}

/** The credit note that cancels `invoice` in full: the same parties, line and VAT category, positive amounts. */
export function eInvoiceFromCreditNote(invoice: Invoice, note: CreditNoteFacts, settings: EInvoiceSettings): EInvoiceDocument {
  const treatment = vatTreatmentOfInvoice(invoice, settings);
  const net = -note.netMinor;
  const tax = -note.taxMinor;
  const total = -note.totalMinor;
  return {
    typeCode: '381',
    number: note.number,
    issueDate: note.issueDate,
    dueDate: null,
    paymentTerms: `Nothing to pay: this credit note cancels invoice ${invoice.number} in full; money already paid is refunded.`,
    note: note.reason,
    precedingInvoice: { number: invoice.number, issueDate: invoice.issueDate },
    ...baseDocument(invoice, settings, treatment),
    line: lineOf(invoice, net),
    vat: vatBreakdown(invoice, treatment, net, tax),
    totals: { lineTotalMinor: net, taxExclusiveMinor: net, taxMinor: tax, taxInclusiveMinor: total, paidMinor: 0, payableMinor: total },
    payment: null,
  };
}
