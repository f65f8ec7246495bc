import { enqueueEmail } from '../db/outbox.js';
import { amountDueMinor, type Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import { invoiceLinks } from './links.js';

/** Each kind has views/email/<kind>.subject.njk, <kind>.html.njk and <kind>.txt.njk. */
export type LearnerEmailKind = 'invoice' | 'reminder' | 'enrolled' | 'expired' | 'cancelled' | 'payment-received';

const ATTACH_PDF: Record<LearnerEmailKind, boolean> = {
  invoice: true,
  reminder: true,
  enrolled: false,
  expired: false,
  cancelled: false,
  'payment-received': false,
};

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function renderEmail(views: Deps['views'], kind: string, context: object): RenderedEmail {
  const subject = views.text(`email/${kind}.subject.njk`, context).replace(/\s+/g, ' ');
  return {
    subject,
    html: views.page(`email/${kind}.html.njk`, { ...context, subject }),
    text: views.text(`email/${kind}.txt.njk`, context),
  };
}

/**
 * Renders a learner email about an invoice and puts it in the outbox. Call inside the transaction
 * that makes the change it announces; delivery happens after commit. Returns false when an email
 * with the same dedupe key was already queued (so a job run twice sends once).
 */
export function queueLearnerEmail(
  deps: Pick<Deps, 'db' | 'views' | 'config'>,
  invoice: Invoice,
  kind: LearnerEmailKind,
  options: { at: string; dedupeKey?: string; extra?: Record<string, unknown> },
): boolean {
  const context = {
    invoice,
    links: invoiceLinks(deps.config.publicUrl, invoice),
    amountDueMinor: amountDueMinor(invoice),
    seller: invoice.issuer.seller,
    bank: invoice.issuer.bank,
    ...options.extra,
  };
  const email = renderEmail(deps.views, kind, context);
  const id = enqueueEmail(deps.db, {
    kind,
    invoiceId: invoice.id,
    dedupeKey: options.dedupeKey ?? null,
    toAddress: invoice.buyerEmail,
    ...email,
    attachInvoicePdf: ATTACH_PDF[kind],
    createdAt: options.at,
  });
  return id !== null;
}
