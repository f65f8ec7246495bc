import type { Invoice } from '../domain/invoice.js';

/** The learner's links for an invoice; the access token in them is their only credential. */
export function invoiceLinks(publicUrl: string, invoice: Pick<Invoice, 'accessToken' | 'number'>) {
  const status = `${publicUrl}/i/${invoice.accessToken}`;
  return {
    status,
    pdf: `${status}/${encodeURIComponent(invoice.number)}.pdf`,
    /** Goes through the portal so the click is recorded, then redirects to the course. */
    course: `${status}/course`,
  };
}

export function billingLink(publicUrl: string, token: string): string {
  return `${publicUrl}/billing/${token}`;
}
