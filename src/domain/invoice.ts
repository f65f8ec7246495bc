/** The invoice as the rest of the code sees it, and the rules that follow from its status alone. */

export const INVOICE_STATUSES = ['awaiting_payment', 'partially_paid', 'paid', 'enrolment_failed', 'enrolled', 'expired', 'cancelled'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Words for learners and staff. 'paid' means the money arrived and enrolment is under way. */
export const STATUS_LABELS: Record<InvoiceStatus, string> = {
  awaiting_payment: 'Awaiting payment',
  partially_paid: 'Partially paid',
  paid: 'Paid, enrolling',
  enrolment_failed: 'Enrolment failed',
  enrolled: 'Enrolled',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

export interface Issuer {
  sandbox: boolean;
  seller: { name: string; address: string; taxId: string | null; taxIdLabel: string };
  bank: { accountName: string | null; iban: string | null; bic: string | null; details: string | null };
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
  /** What the buyer's accounts department asked to be quoted (e-invoice buyer reference, BT-10). */
  buyerReference: string | null;
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
  issueDate: string;
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
 * (total - credited) - (paid - refunded) - written off. Paid counts payments minus reversals.
 */
export function balanceMinor(invoice: InvoiceMoney): number {
  return invoice.totalMinor - invoice.creditedMinor - (invoice.paidMinor - invoice.refundedMinor) - invoice.writtenOffMinor;
}

export function amountDueMinor(invoice: InvoiceMoney): number {
  return Math.max(0, balanceMinor(invoice));
}

/** Money on the invoice beyond what it asks for: an overpayment, or what was paid on a cancelled one. */
export function refundableMinor(invoice: InvoiceMoney): number {
  return Math.max(0, -balanceMinor(invoice));
}

/** "Tax Invoice" is a legal term in several countries: only use it when the seller is tax registered. */
export function invoiceTitle(issuer: Issuer): string {
  return issuer.seller.taxId ? 'Tax Invoice' : 'Invoice';
}

export function formatInvoiceNumber(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(6, '0')}`;
}
