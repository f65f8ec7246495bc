/** One invoice in the finance desk: its page, its PDF, and the staff actions on it. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { calendarDate } from '../../clock.js';
import { staffActor } from '../../commands/actors.js';
import { markEnrolled, retryEnrolment } from '../../commands/enrolment.js';
import { cancelInvoice, resendInvoiceEmail } from '../../commands/invoice-actions.js';
import { ensureInvoicePdf } from '../../commands/invoice-pdf.js';
import { invoiceLinks } from '../../commands/links.js';
import { invoiceTimeline } from '../../db/audit.js';
import { attemptsForInvoice, findEnrolmentJob } from '../../db/enrolments.js';
import { emailsForInvoice } from '../../db/outbox.js';
import { ledgerForInvoice } from '../../db/ledger.js';
import { amountDueMinor, balanceMinor, refundableMinor } from '../../domain/invoice.js';
import { creditNoteForInvoice } from '../../db/credit-notes.js';
import { lifecycleContext } from '../../commands/ledger.js';
import { allowedActions, isEnrolledUnpaid, isOpen, isOverdue } from '../../domain/invoice-lifecycle.js';
import { toCreditorReference } from '../../domain/payment-reference.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { sendEInvoice } from '../e-invoice-download.js';
import { render } from '../render.js';
import { noticeText, staffText } from './staff-text.js';
import { field, idParam, loadInvoiceParam, optionalField } from './forms.js';

/** The notice shown after an action, by the `notice` the action redirects with: its message key. */
const NOTICES: Record<string, string> = {
  payment: 'invoice.notice.payment',
  'payment-complete': 'invoice.notice.paymentComplete',
  'payment-duplicate': 'invoice.notice.paymentDuplicate',
  'payment-reinstated': 'invoice.notice.paymentReinstated',
  overpaid: 'invoice.notice.overpaid',
  retry: 'invoice.notice.retry',
  enrolled: 'invoice.notice.enrolled',
  resent: 'invoice.notice.resent',
  cancelled: 'invoice.notice.cancelled',
  reversed: 'invoice.notice.reversed',
  'written-off': 'invoice.notice.writtenOff',
  refund: 'invoice.notice.refund',
  withdrawn: 'invoice.notice.withdrawn',
};

export function registerInvoicePageRoutes(router: Router, deps: Deps): void {
  const { db, config, clock } = deps;
  const today = () => calendarDate(clock.now(), config.timeZone);
  const loadInvoice = (ctx: Context) => loadInvoiceParam(db, ctx);

  router.get('invoice', '/invoices/:id', function showInvoice(ctx) {
    const invoice = loadInvoice(ctx);
    render(ctx, 'admin/invoice.njk', {
      title: staffText('invoice.title', { number: invoice.number }),
      section: 'invoices',
      invoice,
      notice: noticeText(NOTICES, ctx.query.notice),
      links: invoiceLinks(config.publicUrl, invoice),
      amountDueMinor: amountDueMinor(invoice),
      overdue: isOverdue(invoice, today()),
      actions: allowedActions(invoice, ctx.state.staff!.role, lifecycleContext(config, invoice)),
      balanceMinor: balanceMinor(invoice),
      refundableMinor: refundableMinor(invoice),
      enrolledUnpaid: isEnrolledUnpaid(invoice),
      creditNote: creditNoteForInvoice(db, invoice.id),
      writeOffLimitMinor: lifecycleContext(config, invoice).writeOffLimitMinor,
      formKey: () => deps.randomBytes(18).toString('base64url'),
      today: today(),
      reverseError: idParam(typeof ctx.query.reverse_error === 'string' ? ctx.query.reverse_error : undefined),
      writeOffError: ctx.query.write_off_error === '1',
      creditorReference: invoice.currency === 'EUR' ? toCreditorReference(invoice.paymentReference) : undefined,
      ledger: ledgerForInvoice(db, invoice.id),
      attempts: attemptsForInvoice(db, invoice.id),
      job: findEnrolmentJob(db, invoice.id),
      emails: emailsForInvoice(db, invoice.id),
      timeline: invoiceTimeline(db, invoice.id),
      open: isOpen(invoice.status),
      paidInFull: balanceMinor(invoice) <= 0,
    });
  });

  router.get('invoice-pdf', '/invoices/:id/pdf', async function downloadPdf(ctx) {
    const invoice = loadInvoice(ctx);
    ctx.body = await ensureInvoicePdf(deps, invoice);
    ctx.type = 'application/pdf';
    ctx.set('Content-Disposition', `inline; filename="${invoice.number}.pdf"`);
  });

  // The e-invoice of the invoice (or of its credit note, by the note's number): ?format=cii for Factur-X.
  router.get('invoice-einvoice', '/invoices/:id/einvoice/:number.xml', async function downloadEInvoice(ctx) {
    const invoice = loadInvoice(ctx);
    const note = ctx.params.number === invoice.number ? undefined : creditNoteForInvoice(db, invoice.id);
    if (ctx.params.number !== invoice.number && ctx.params.number !== note?.number) throw new AppError('admin.not_found', `no e-invoice ${ctx.params.number}`);
    await sendEInvoice(ctx, config, invoice, note);
  });

  router.post('invoice-retry-enrolment', '/invoices/:id/retry-enrolment', function retry(ctx) {
    const invoice = loadInvoice(ctx);
    retryEnrolment(deps, staffActor(ctx.state.staff!), invoice.id);
    ctx.status = 303;
    ctx.redirect(`/admin/invoices/${invoice.id}?notice=retry`);
  });

  router.post('invoice-mark-enrolled', '/invoices/:id/mark-enrolled', function manuallyEnrolled(ctx) {
    const invoice = loadInvoice(ctx);
    markEnrolled(deps, staffActor(ctx.state.staff!), invoice.id, optionalField((ctx.request.body ?? {}) as Record<string, unknown>, 'note', 500));
    ctx.status = 303;
    ctx.redirect(`/admin/invoices/${invoice.id}?notice=enrolled`);
  });

  router.post('invoice-resend', '/invoices/:id/resend', function resend(ctx) {
    const invoice = loadInvoice(ctx);
    resendInvoiceEmail(deps, staffActor(ctx.state.staff!), invoice.id);
    ctx.status = 303;
    ctx.redirect(`/admin/invoices/${invoice.id}?notice=resent`);
  });

  router.post('invoice-cancel', '/invoices/:id/cancel', function cancel(ctx) {
    const invoice = loadInvoice(ctx);
    const reason = field((ctx.request.body ?? {}) as Record<string, unknown>, 'reason', 500);
    if (reason.length < 3) {
      ctx.status = 303;
      return ctx.redirect(`/admin/invoices/${invoice.id}?cancel_error=1#cancel`);
    }
    cancelInvoice(deps, staffActor(ctx.state.staff!), invoice.id, reason);
    ctx.status = 303;
    ctx.redirect(`/admin/invoices/${invoice.id}?notice=cancelled`);
  });
}
