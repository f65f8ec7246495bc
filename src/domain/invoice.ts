/** The invoice as the rest of the code sees it, and the rules that follow from its status alone. */
import type { TaxIdScheme } from './tax-ids.js';
import type { VatCategory } from './tax-treatment.js';

export const INVOICE_STATUSES = ['awaiting_payment', 'partially_paid', 'paid', 'enrolment_failed', 'enrolled', 'expired', 'cancelled'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Seller and bank account as they were at issue (snapshots written before migration 013 lack the optional fields). */
export interface Issuer {
  sandbox: boolean;
  seller: {
    name: string;
    address: string;
    taxId: string | null;
    taxIdLabel: string;
    /** SELLER_COUNTRY. */
    country?: string | null;
    /** false when SELLER_TAX_ID_NONE=true. */
    registered?: boolean;
  };
  /** Only the account for the invoice's currency. */
  bank: {
    accountName: string | null;
    iban: string | null;
    bic: string | null;
    details: string | null;
    bsb?: string | null;
    accountNumber?: string | null;
  };
}

export interface Invoice {
  id: number;
  seq: number;
  number: string;
  accessToken: string;
  paymentReference: string;
  status: InvoiceStatus;
  olUserId: string;
  audience: string;
  /** The class bought; both '' on a program invoice (see migration 007): branch on programId. */
  courseId: string;
  classId: string;
  /** The OpenLearning program bought, or null for a class. */
  programId: string | null;
  /** The title OpenLearning sent: the course's, or the program's. */
  courseTitle: string;
  redirectUrl: string;
  buyerName: string;
  buyerEmail: string;
  buyerOrganisation: string | null;
  buyerAddress: string | null;
  buyerCountry: string | null;
  buyerTaxId: string | null;
  buyerPoNumber: string | null;
  /** The buyer's tax id as the billing form checked it (null when none was given, or before migration 013). */
  buyerTaxIdScheme: TaxIdScheme | null;
  buyerTaxIdNormalized: string | null;
  buyerTaxIdCountry: string | null;
  /** Printed before the buyer's tax id: 'VAT', 'ABN', 'Tax ID'. */
  buyerTaxIdLabel: string | null;
  /** What the buyer's accounts department asked to be quoted (e-invoice buyer reference, BT-10). */
  buyerReference: string | null;
  /** The learner's language (a code of src/i18n.ts), used for their emails and the PDF. */
  language: string;
  /** INVOICE_SECOND_LANGUAGE at issue, printed under the learner's on the PDF; null for none. */
  secondLanguage: string | null;
  currency: string;
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
  /** Payments minus reversals (a sum of the ledger, kept on the invoice). */
  paidMinor: number;
  writtenOffMinor: number;
  refundedMinor: number;
  /** What a credit note took back: the whole total once the invoice is cancelled. */
  creditedMinor: number;
  taxRate: string;
  taxLabel: string;
  taxInclusive: boolean;
  /** How the invoice was taxed (src/domain/tax-treatment.ts), decided at issue. */
  taxCategory: VatCategory;
  /** 'Reverse charge' or the exemption reason, printed next to the tax. */
  taxLegend: string | null;
  taxLegalReference: string | null;
  issueDate: string;
  /** The date of supply when it differs from the issue date, else null. */
  supplyDate: string | null;
  /** INVOICE_NOTES at issue: legal text at the foot of the invoice and of its credit note. */
  notes: string | null;
  dueDate: string;
  issuedAt: string;
  expiresAt: string;
  paidAt: string | null;
  enrolledAt: string | null;
  expiredAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  /** Set when a partially paid invoice passed its expiry: held for staff instead of expiring. */
  expiryHeldAt: string | null;
  /** Staff withdrew the learner on OpenLearning after the payment behind the enrolment was reversed. */
  withdrawnAt: string | null;
  issuer: Issuer;
  pdfSha256: string | null;
  updatedAt: string;
}

export type InvoiceMoney = Pick<Invoice, 'totalMinor' | 'paidMinor' | 'writtenOffMinor' | 'refundedMinor' | 'creditedMinor'>;

/**
 * What the learner still owes (positive) or is owed back (negative), from the sums of the ledger:
 * owed = (total - credited) - (paid - refunded), paid counting payments minus reversals, less what
 * was written off. A write-off only ever forgives what is owed: it never becomes money to pay back.
 * (A shortfall written off, then the payment reversed and the invoice cancelled, leaves nothing to
 * refund; a cancelled invoice paid short with the rest written off refunds what was paid, not the
 * total.)
 */
export function balanceMinor(invoice: InvoiceMoney): number {
  const owed = invoice.totalMinor - invoice.creditedMinor - (invoice.paidMinor - invoice.refundedMinor);
  return owed - Math.min(invoice.writtenOffMinor, Math.max(0, owed));
}

export function amountDueMinor(invoice: InvoiceMoney): number {
  return Math.max(0, balanceMinor(invoice));
}

/** Money on the invoice beyond what it asks for: an overpayment, or what was paid on a cancelled one. */
export function refundableMinor(invoice: InvoiceMoney): number {
  return Math.max(0, -balanceMinor(invoice));
}

/**
 * "Tax Invoice" is a legal term in several countries: only use it when the seller is tax registered
 * and the invoice is subject to tax (not category O).
 */
export function invoiceTitle(issuer: Issuer, category: VatCategory = 'S'): string {
  return isTaxInvoice(issuer, category) ? 'Tax Invoice' : 'Invoice';
}

/** A registered seller's invoice is a tax invoice (titled so in Australia, Malaysia and elsewhere). */
export function isTaxInvoice(issuer: Issuer, category: VatCategory = 'S'): boolean {
  return Boolean(issuer.seller.taxId) && issuer.seller.registered !== false && category !== 'O';
}

/**
 * Whether the invoice shows tax lines: always with the standard rate (unless it is 0), with the
 * reverse charge and an exemption (0% next to their legend); never when the seller is not registered.
 * A zero rate without a reason shows none, as invoices did before the categories.
 */
export function showsTax(invoice: Pick<Invoice, 'taxCategory' | 'taxMinor' | 'taxRate'>): boolean {
  if (invoice.taxCategory === 'AE' || invoice.taxCategory === 'E') return true;
  if (invoice.taxCategory === 'S') return invoice.taxMinor > 0 || invoice.taxRate !== '0';
  return false;
}

export function formatInvoiceNumber(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(6, '0')}`;
}
