/**
 * Money after the invoice, in the finance desk: reversing a payment, writing off a difference,
 * refunds (recorded on the invoice, then paid through a bank file or by hand), withdrawing a
 * learner whose payment was reversed, the credit note, and the accounting exports.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { Readable } from 'node:stream';
import { calendarDate } from '../../clock.js';
import { staffActor } from '../../commands/actors.js';
import { ensureCreditNotePdf } from '../../commands/invoice-pdf.js';
import { markRefundPaid, markWithdrawn, recordRefund, reversePayment, writeOffBalance } from '../../commands/ledger.js';
import { creditNoteForInvoice } from '../../db/credit-notes.js';
import { findLedgerEntry, findRefundFile, ledgerForInvoice, listRefundFiles, listRefunds, type RefundStatus } from '../../db/ledger.js';
import { refundableMinor, type Invoice } from '../../domain/invoice.js';
import { isValidBic, isValidIban, normalizeBic, normalizeIban } from '../../domain/iban.js';
import { minorToDecimalString, parseDecimalAmount } from '../../domain/money.js';
import { parseCalendarDate } from '../../domain/calendar-date.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { csvRecords, journalRows, JOURNAL_COLUMNS, paymentRows, PAYMENT_COLUMNS } from '../../commands/accounting-exports.js';
import { render } from '../render.js';
import { noticeText, staffText } from './staff-text.js';
import { field, idParam, loadInvoiceParam, optionalField } from './forms.js';

function formKeyOf(body: Record<string, unknown>): string {
  const key = field(body, 'idempotencyKey', 100);
  if (!/^[A-Za-z0-9_-]{16,100}$/.test(key)) throw new AppError('request.bad_form', 'form without its idempotency key');
  return key;
}

/** The notice on the refunds page after an action, by the `notice` it redirects with: its message key. */
const REFUND_NOTICES: Record<string, string> = {
  exported: 'refunds.notice.exported',
  paid: 'refunds.notice.paid',
};

export function registerLedgerRoutes(router: Router, deps: Deps): void {
  const { db, config, clock } = deps;
  const today = () => calendarDate(clock.now(), config.timeZone);
  const loadInvoice = (ctx: Context) => loadInvoiceParam(db, ctx);
  const back = (ctx: Context, invoice: Invoice, notice: string) => {
    ctx.status = 303;
    ctx.redirect(`/admin/invoices/${invoice.id}?notice=${notice}`);
  };
  const body = (ctx: Context) => (ctx.request.body ?? {}) as Record<string, unknown>;

  router.post('invoice-reverse-payment', '/invoices/:id/payments/:entryId/reverse', function reverse(ctx) {
    const invoice = loadInvoice(ctx);
    const form = body(ctx);
    const reason = field(form, 'reason', 500);
    const entryId = idParam(ctx.params.entryId);
    if (entryId === undefined || !findLedgerEntry(db, entryId)) throw new AppError('admin.not_found', `entry ${ctx.params.entryId}`);
    if (reason.length < 3) {
      ctx.status = 303;
      return ctx.redirect(`/admin/invoices/${invoice.id}?reverse_error=${entryId}#entry-${entryId}`);
    }
    reversePayment(deps, staffActor(ctx.state.staff!), invoice.id, { paymentEntryId: entryId, reason, effectiveOn: today(), idempotencyKey: formKeyOf(form) });
    back(ctx, invoice, 'reversed');
  });

  router.post('invoice-write-off', '/invoices/:id/write-off', function writeOff(ctx) {
    const invoice = loadInvoice(ctx);
    const form = body(ctx);
    const reason = field(form, 'reason', 500);
    const expected = field(form, 'expectedBalance', 20);
    if (!/^\d+$/.test(expected)) throw new AppError('request.bad_form', 'write-off form without its balance');
    if (reason.length < 3) {
      ctx.status = 303;
      return ctx.redirect(`/admin/invoices/${invoice.id}?write_off_error=1#write-off`);
    }
    writeOffBalance(deps, staffActor(ctx.state.staff!), invoice.id, { reason, idempotencyKey: formKeyOf(form), expectedBalanceMinor: Number(expected) });
    back(ctx, invoice, 'written-off');
  });

  router.post('invoice-mark-withdrawn', '/invoices/:id/mark-withdrawn', function withdrawn(ctx) {
    const invoice = loadInvoice(ctx);
    markWithdrawn(deps, staffActor(ctx.state.staff!), invoice.id, optionalField(body(ctx), 'note', 500));
    back(ctx, invoice, 'withdrawn');
  });

  router.get('invoice-credit-note', '/invoices/:id/credit-note.pdf', async function creditNotePdf(ctx) {
    const invoice = loadInvoice(ctx);
    const note = creditNoteForInvoice(db, invoice.id);
    if (!note) throw new AppError('admin.not_found', `invoice ${invoice.number} has no credit note`);
    ctx.body = await ensureCreditNotePdf(deps, invoice, note);
    ctx.type = 'application/pdf';
    ctx.set('Content-Disposition', `inline; filename="${note.number}.pdf"`);
  });

  // ---- Refunds ----------------------------------------------------------------------------------

  function refundForm(ctx: Context, invoice: Invoice, values: Record<string, string>, errors: Record<string, string>) {
    render(ctx, 'admin/refund.njk', {
      title: staffText('refund.pageTitle', { number: invoice.number }),
      section: 'invoices',
      invoice,
      values,
      errors,
      refundableMinor: refundableMinor(invoice),
      today: today(),
    });
  }

  router.get('invoice-refund', '/invoices/:id/refund', function showRefundForm(ctx) {
    const invoice = loadInvoice(ctx);
    // Prefilled from the last payment that carries a payer (a statement line, or a name typed in).
    const payer = ledgerForInvoice(db, invoice.id)
      .reverse()
      .find((e) => e.kind === 'payment' && e.payerName);
    // An Australian account arrives as BSB and number together ("062-000 12345678").
    const bsbAccount = /^(\d{3})-?(\d{3})[\s/-]*(\d{1,9})$/.exec(payer?.payerAccount?.trim() ?? '');
    refundForm(
      ctx,
      invoice,
      {
        amount: minorToDecimalString(refundableMinor(invoice), invoice.currency),
        effectiveOn: today(),
        method: 'bank_transfer',
        payeeName: payer?.payerName ?? invoice.buyerOrganisation ?? invoice.buyerName,
        payeeIban: payer?.payerIban ?? '',
        payeeBic: payer?.payerBic ?? '',
        payeeBsb: bsbAccount ? `${bsbAccount[1]}-${bsbAccount[2]}` : '',
        payeeAccount: bsbAccount?.[3] ?? '',
        reason:
          invoice.status === 'cancelled' ? staffText('refund.defaultReason.cancelled', { number: invoice.number }) : staffText('refund.defaultReason.overpaid'),
        idempotencyKey: deps.randomBytes(18).toString('base64url'),
      },
      {},
    );
  });

  router.post('invoice-refund-submit', '/invoices/:id/refunds', function submitRefund(ctx) {
    const invoice = loadInvoice(ctx);
    const form = body(ctx);
    const values = {
      amount: field(form, 'amount', 40),
      effectiveOn: field(form, 'effectiveOn', 10),
      method: field(form, 'method', 20),
      payeeName: field(form, 'payeeName', 140),
      payeeIban: field(form, 'payeeIban', 50),
      payeeBic: field(form, 'payeeBic', 20),
      payeeBsb: field(form, 'payeeBsb', 10),
      payeeAccount: field(form, 'payeeAccount', 20),
      reason: field(form, 'reason', 500),
      idempotencyKey: formKeyOf(form),
    };
    const errors: Record<string, string> = {};
    const amount = parseDecimalAmount(values.amount.replace(/,/g, ''), invoice.currency);
    const refundable = refundableMinor(invoice);
    if (!amount.ok || amount.minor <= 0) errors.amount = staffText('refund.error.amount', { currency: invoice.currency });
    else if (amount.minor > refundable) errors.amount = staffText('refund.error.tooMuch', { refundable: minorToDecimalString(refundable, invoice.currency) });
    const date = parseCalendarDate(values.effectiveOn);
    if (!date) errors.effectiveOn = staffText('refund.error.date');
    if (values.method !== 'bank_transfer' && values.method !== 'other') errors.method = staffText('refund.error.method');
    if (values.payeeName.length < 2) errors.payeeName = staffText('refund.error.payeeName');
    if (values.reason.length < 3) errors.reason = staffText('refund.error.reason');
    let iban: string | null = null;
    let bsb: string | null = null;
    let account: string | null = null;
    if (values.method === 'bank_transfer') {
      if (values.payeeIban) {
        if (!isValidIban(values.payeeIban)) errors.payeeIban = staffText('refund.error.iban');
        else iban = normalizeIban(values.payeeIban);
      } else if (values.payeeBsb || values.payeeAccount) {
        if (!/^\d{3}-?\d{3}$/.test(values.payeeBsb)) errors.payeeBsb = staffText('refund.error.bsb');
        else bsb = values.payeeBsb.replace(/^(\d{3})-?(\d{3})$/, '$1-$2');
        if (!/^\d{1,9}$/.test(values.payeeAccount.replace(/[ -]/g, ''))) errors.payeeAccount = staffText('refund.error.account');
        else account = values.payeeAccount.replace(/[ -]/g, '');
      } else {
        errors.payeeIban = staffText('refund.error.noAccount');
      }
      if (values.payeeBic && !isValidBic(values.payeeBic)) errors.payeeBic = staffText('refund.error.bic');
    }
    if (Object.keys(errors).length > 0) {
      ctx.status = 422;
      return refundForm(ctx, invoice, values, errors);
    }
    recordRefund(deps, staffActor(ctx.state.staff!), invoice.id, {
      amountMinor: (amount as { minor: number }).minor,
      effectiveOn: date!,
      method: values.method as 'bank_transfer' | 'other',
      payeeName: values.payeeName,
      payeeIban: iban,
      payeeBic: values.payeeBic ? normalizeBic(values.payeeBic) : null,
      payeeBsb: bsb,
      payeeAccount: account,
      reason: values.reason,
      idempotencyKey: values.idempotencyKey,
    });
    back(ctx, invoice, 'refund');
  });

  // The bank file writers (xmlbuilder2) are loaded when the refunds page is first used, not at every start.
  const refundFiles = () => import('../../commands/refund-files.js');

  router.get('refunds', '/refunds', async function showRefunds(ctx) {
    const { refundFileFormats } = await refundFiles();
    const status = (['to_pay', 'sent', 'paid', 'all'] as const).find((s) => s === ctx.query.status) ?? 'to_pay';
    const refunds = listRefunds(db, status as RefundStatus | 'all');
    const toPay = status === 'to_pay' ? refunds : listRefunds(db, 'to_pay');
    const currencies = [...new Set(toPay.filter((r) => r.method === 'bank_transfer').map((r) => r.currency))];
    render(ctx, 'admin/refunds.njk', {
      title: staffText('refunds.title'),
      section: 'refunds',
      status,
      refunds,
      files: listRefundFiles(db),
      exports: currencies.map((currency) => ({
        currency,
        formats: refundFileFormats(config, currency),
        count: toPay.filter((r) => r.currency === currency).length,
      })),
      notice: noticeText(REFUND_NOTICES, ctx.query.notice),
      today: today(),
    });
  });

  router.post('refunds-export', '/refunds/export', async function exportFile(ctx) {
    const { exportRefundFile } = await refundFiles();
    const currency = field(body(ctx), 'currency', 3);
    const file = exportRefundFile(deps, staffActor(ctx.state.staff!), currency);
    ctx.status = 303;
    ctx.redirect(`/admin/refunds?notice=exported&file=${file.id}`);
  });

  router.get('refunds-file', '/refunds/files/:fileId', function downloadFile(ctx) {
    const id = idParam(ctx.params.fileId);
    const file = id === undefined ? undefined : findRefundFile(db, id);
    if (!file) throw new AppError('admin.not_found', `refund file ${ctx.params.fileId}`);
    ctx.type = file.format === 'aba' ? 'text/plain; charset=us-ascii' : 'application/xml; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${file.fileName}"`);
    ctx.body = file.content;
  });

  router.post('refund-paid', '/refunds/:entryId/paid', function refundPaid(ctx) {
    const id = idParam(ctx.params.entryId);
    if (id === undefined) throw new AppError('admin.not_found', `refund ${ctx.params.entryId}`);
    const date = parseCalendarDate(field(body(ctx), 'paidOn', 10) || today());
    if (!date) throw new AppError('admin.bad_date', 'refund paid date');
    markRefundPaid(deps, staffActor(ctx.state.staff!), id, date);
    ctx.status = 303;
    ctx.redirect('/admin/refunds?notice=paid');
  });

  // ---- Accounting exports ---------------------------------------------------------------------------

  function range(ctx: Context): { from: string; to: string } {
    const from = parseCalendarDate(typeof ctx.query.from === 'string' && ctx.query.from ? ctx.query.from : `${today().slice(0, 7)}-01`);
    const to = parseCalendarDate(typeof ctx.query.to === 'string' && ctx.query.to ? ctx.query.to : today());
    if (!from || !to) throw new AppError('admin.bad_date', `export range ${String(ctx.query.from)}..${String(ctx.query.to)}`);
    return { from, to };
  }

  router.get('exports', '/exports', function showExports(ctx) {
    render(ctx, 'admin/exports.njk', { title: staffText('exports.pageTitle'), section: 'exports', from: `${today().slice(0, 7)}-01`, to: today() });
  });

  function csv(ctx: Context, name: string, header: readonly string[], rows: Iterable<unknown[]>) {
    function* lines() {
      yield `\ufeff${csvRecords([header as string[]])}`;
      for (const row of rows) yield csvRecords([row]);
    }
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${name}"`);
    ctx.body = Readable.from(lines());
  }

  router.get('exports-payments', '/exports/payments.csv', function exportPayments(ctx) {
    const r = range(ctx);
    csv(ctx, `payments-${r.from}-${r.to}.csv`, PAYMENT_COLUMNS, paymentRows(db, r));
  });

  router.get('exports-journal', '/exports/journal.csv', function exportJournal(ctx) {
    const r = range(ctx);
    csv(ctx, `journal-${r.from}-${r.to}.csv`, JOURNAL_COLUMNS, journalRows(db, r));
  });
}
