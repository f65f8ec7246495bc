/** Recording a payment by hand: the form, its validation, and the command. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { calendarDate } from '../../clock.js';
import { staffActor } from '../../commands/actors.js';
import { recordPayment } from '../../commands/ledger.js';
import { amountDueMinor, type Invoice } from '../../domain/invoice.js';
import { minorToDecimalString, parseTypedAmount } from '../../domain/money.js';
import { parseCalendarDate } from '../../domain/calendar-date.js';
import { refusal } from '../../domain/invoice-lifecycle.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { render } from '../render.js';
import { staffText } from './staff-text.js';
import { field, loadInvoiceParam, optionalField } from './forms.js';

/**
 * The last "date received" the clerk entered, for this browser session: a bank statement's
 * payments usually share a day, so the next form starts from it instead of today.
 */
const RECEIVED_ON_COOKIE = 'portal_received_on';

export function registerPaymentRoutes(router: Router, deps: Deps): void {
  const { db, config, clock } = deps;
  const today = () => calendarDate(clock.now(), config.timeZone);
  const lastReceivedOn = (ctx: Context) => {
    const remembered = ctx.cookies.get(RECEIVED_ON_COOKIE);
    return remembered && parseCalendarDate(remembered) && remembered <= today() ? remembered : today();
  };
  const loadInvoice = (ctx: Context) => loadInvoiceParam(db, ctx);

  function paymentForm(ctx: Context, invoice: Invoice, values: Record<string, string>, errors: Record<string, string>) {
    render(ctx, 'admin/payment.njk', {
      title: staffText('payment.pageTitle', { number: invoice.number }),
      section: 'invoices',
      invoice,
      values,
      errors,
      amountDueMinor: amountDueMinor(invoice),
      paidInFull: invoice.paidMinor >= invoice.totalMinor,
      today: today(),
    });
  }

  router.get('invoice-payment', '/invoices/:id/payment', function showPaymentForm(ctx) {
    const invoice = loadInvoice(ctx);
    paymentForm(
      ctx,
      invoice,
      {
        amount: minorToDecimalString(amountDueMinor(invoice), invoice.currency),
        receivedOn: lastReceivedOn(ctx),
        bankReference: '',
        note: '',
        idempotencyKey: deps.randomBytes(18).toString('base64url'),
        expectedPaid: String(invoice.paidMinor),
      },
      {},
    );
  });

  router.post('invoice-payment-submit', '/invoices/:id/payments', function submitPayment(ctx) {
    const invoice = loadInvoice(ctx);
    // A payment the lifecycle refuses (a cancelled invoice) is refused before its fields are checked.
    const refused = refusal(invoice, 'pay', ctx.state.staff!.role);
    if (refused) throw new AppError(refused, `payment on invoice ${invoice.number} (${invoice.status})`);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const values = {
      amount: field(body, 'amount', 40),
      receivedOn: field(body, 'receivedOn', 10),
      bankReference: field(body, 'bankReference', 200),
      note: field(body, 'note', 1000),
      idempotencyKey: field(body, 'idempotencyKey', 100),
      expectedPaid: field(body, 'expectedPaid', 20),
    };
    const errors: Record<string, string> = {};
    const amount = parseTypedAmount(values.amount, invoice.currency);
    if (!amount.ok || amount.minor <= 0)
      errors.amount = staffText('payment.error.amount', {
        currency: invoice.currency,
        example: minorToDecimalString(amountDueMinor(invoice) || invoice.totalMinor, invoice.currency),
      });
    if (!parseCalendarDate(values.receivedOn)) errors.receivedOn = staffText('payment.error.receivedOn');
    else if (values.receivedOn > today()) errors.receivedOn = staffText('payment.error.future');
    if (!/^[A-Za-z0-9_-]{16,100}$/.test(values.idempotencyKey) || !/^\d+$/.test(values.expectedPaid))
      throw new AppError('request.bad_form', 'payment form without its hidden fields');
    if (Object.keys(errors).length > 0) {
      ctx.status = 422;
      return paymentForm(ctx, invoice, values, errors);
    }
    const staff = ctx.state.staff!;
    const outcome = recordPayment(deps, staffActor(staff), invoice.id, {
      amountMinor: (amount as { minor: number }).minor,
      receivedOn: values.receivedOn,
      bankReference: optionalField(body, 'bankReference', 200),
      note: optionalField(body, 'note', 1000),
      idempotencyKey: values.idempotencyKey,
      expectedPaidMinor: Number(values.expectedPaid),
    });
    // A session cookie (no maxAge): forgotten when the browser closes.
    ctx.cookies.set(RECEIVED_ON_COOKIE, values.receivedOn, {
      httpOnly: true,
      sameSite: 'strict',
      secure: config.secureCookies,
      path: '/admin',
      overwrite: true,
    });
    const notice = outcome.duplicate
      ? 'payment-duplicate'
      : outcome.overpaidMinor > 0
        ? 'overpaid'
        : outcome.reinstated
          ? 'payment-reinstated'
          : outcome.paidInFull
            ? 'payment-complete'
            : 'payment';
    ctx.status = 303;
    ctx.redirect(`/admin/invoices/${invoice.id}?notice=${notice}`);
  });
}
