/**
 * Every email the portal sends goes through the outbox: queued (kind, recipient, subject and a
 * little context) in the transaction of the change it announces, rendered from the templates and
 * sent by the deliver-mail worker after commit.
 */
import { creditNoteForInvoice } from '../db/credit-notes.js';
import { findInvoiceById } from '../db/invoices.js';
import { ensureCreditNotePdf, ensureInvoicePdf } from './invoice-pdf.js';
import { enqueueEmail, type OutboxMessage } from '../db/outbox.js';
import { amountDueMinor, type Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import { isLanguage, translator } from '../i18n.js';
import { invoiceLinks } from './links.js';

/** Each kind has views/email/<kind>.subject.njk, <kind>.html.njk and <kind>.txt.njk. */
export type LearnerEmailKind = 'invoice' | 'reminder' | 'enrolled' | 'expired' | 'cancelled' | 'payment-received' | 'enrolment-delayed';
export type StaffEmailKind = 'staff-enrolment-failed';
export type EmailKind = LearnerEmailKind | StaffEmailKind;

/** Which document goes with each email: the invoice, or the credit note that cancels it. */
const ATTACHMENT: Record<EmailKind, 'invoice' | 'credit-note' | null> = {
  invoice: 'invoice',
  reminder: 'invoice',
  enrolled: null,
  expired: null,
  cancelled: 'credit-note',
  'payment-received': null,
  'enrolment-delayed': null,
  'staff-enrolment-failed': null,
};

/**
 * The PDFs to attach to a queued email, rendered (or read back) when it is sent. The outbox row
 * keeps only its kind; the document is found from the invoice.
 */
export async function emailAttachments(
  deps: Pick<Deps, 'db' | 'config' | 'logger'>,
  message: Pick<OutboxMessage, 'kind' | 'invoiceId'>,
): Promise<{ filename: string; content: Buffer; contentType: string }[]> {
  const attachment = ATTACHMENT[message.kind as EmailKind];
  if (!attachment || message.invoiceId === null) return [];
  const invoice = findInvoiceById(deps.db, message.invoiceId)!;
  if (attachment === 'invoice') return [{ filename: `${invoice.number}.pdf`, content: await ensureInvoicePdf(deps, invoice), contentType: 'application/pdf' }];
  const note = creditNoteForInvoice(deps.db, invoice.id);
  if (!note) return [];
  return [{ filename: `${note.number}.pdf`, content: await ensureCreditNotePdf(deps, invoice, note), contentType: 'application/pdf' }];
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What every template about an invoice can use, plus the email's own `extra` values. */
function templateContext(config: Deps['config'], kind: EmailKind, invoice: Invoice, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    // Learner emails are written in the language the learner chose on the billing form; staff alerts in the staff's.
    ...(kind.startsWith('staff-') ? {} : { i18n: translator('learner', isLanguage(invoice.language) ? invoice.language : 'en') }),
    invoice,
    links: invoiceLinks(config.publicUrl, invoice),
    amountDueMinor: amountDueMinor(invoice),
    seller: invoice.issuer.seller,
    bank: invoice.issuer.bank,
    ...(kind.startsWith('staff-') ? { adminUrl: `${config.publicUrl}/admin/invoices/${invoice.id}` } : {}),
    ...extra,
  };
}

function renderSubject(views: Deps['views'], kind: EmailKind, context: object): string {
  return views.text(`email/${kind}.subject.njk`, context).replace(/\s+/g, ' ');
}

export interface QueueEmailOptions {
  at: string;
  /** The learner unless said otherwise (staff alerts go to FINANCE_EMAIL). */
  to?: string;
  /** Same key twice = one email (a job run twice sends once). */
  dedupeKey?: string;
  extra?: Record<string, unknown>;
}

/**
 * Puts an email about an invoice in the outbox and wakes the mail worker, which sends it once the
 * surrounding transaction has committed (the wake-up runs on a later turn of the event loop). The
 * subject is rendered now, so a template mistake fails the change rather than the delivery.
 * Returns false when an email with the same dedupe key was already queued.
 */
export function queueInvoiceEmail(
  deps: Pick<Deps, 'db' | 'views' | 'config' | 'background'>,
  invoice: Invoice,
  kind: EmailKind,
  options: QueueEmailOptions,
): boolean {
  const extra = options.extra ?? {};
  const id = enqueueEmail(deps.db, {
    kind,
    invoiceId: invoice.id,
    dedupeKey: options.dedupeKey ?? null,
    toAddress: options.to ?? invoice.buyerEmail,
    subject: renderSubject(deps.views, kind, templateContext(deps.config, kind, invoice, extra)),
    context: extra,
    attachInvoicePdf: ATTACHMENT[kind] !== null,
    createdAt: options.at,
  });
  if (id === null) return false;
  deps.background.kick('deliver-mail');
  return true;
}

/** The body of a queued email, from the templates and the invoice as it is now. */
export function renderQueuedEmail(
  deps: Pick<Deps, 'db' | 'views' | 'config'>,
  message: Pick<OutboxMessage, 'kind' | 'invoiceId' | 'subject' | 'contextJson'>,
): RenderedEmail {
  const kind = message.kind as EmailKind;
  const invoice = message.invoiceId === null ? undefined : findInvoiceById(deps.db, message.invoiceId);
  if (!invoice) throw new Error(`email ${message.kind} has no invoice to render`);
  const context = {
    ...templateContext(deps.config, kind, invoice, JSON.parse(message.contextJson) as Record<string, unknown>),
    creditNote: creditNoteForInvoice(deps.db, invoice.id),
    subject: message.subject,
  };
  return {
    subject: message.subject,
    html: deps.views.page(`email/${kind}.html.njk`, context),
    text: deps.views.text(`email/${kind}.txt.njk`, context),
  };
}
