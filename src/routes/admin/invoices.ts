import type Router from '@koa/router';
import { stringify } from 'csv-stringify/sync';
import type { Context } from 'koa';
import { Readable } from 'node:stream';
import { calendarDate } from '../../clock.js';
import { markEnrolled, retryEnrolment } from '../../commands/enrolment.js';
import { cancelInvoice, resendInvoiceEmail } from '../../commands/invoice-actions.js';
import { ensureInvoicePdf } from '../../commands/invoice-pdf.js';
import { invoiceLinks } from '../../commands/links.js';
import { recordPayment } from '../../commands/payments.js';
import { staffActor } from '../../commands/staff.js';
import { invoiceTimeline } from '../../db/audit.js';
import { attemptsForInvoice, findEnrolmentJob } from '../../db/enrolments.js';
import {
  filterOptions,
  iterateInvoices,
  listInvoices,
  SORTS,
  TAB_LABELS,
  TABS,
  tabCounts,
  type InvoiceListQuery,
  type Sort,
  type Tab,
} from '../../db/invoice-list.js';
import { countHeldPastExpiry, findInvoiceById } from '../../db/invoices.js';
import { emailsForInvoice } from '../../db/outbox.js';
import { paymentsForInvoice } from '../../db/payments.js';
import { amountDueMinor, isOverdue, isUnpaid, STATUS_LABELS, type Invoice } from '../../domain/invoice.js';
import { minorToDecimalString, parseDecimalAmount } from '../../domain/money.js';
import { toCreditorReference } from '../../domain/payment-reference.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { render } from '../render.js';
import { field, idParam, optionalField } from './forms.js';

const PAGE_SIZE = 50;

const NOTICES: Record<string, string> = {
  payment: 'Payment recorded.',
  'payment-complete': 'Payment recorded: the invoice is paid in full and the enrolment is under way.',
  'payment-duplicate': 'This payment form was already submitted: the payment was recorded once.',
  'payment-reinstated': 'Payment recorded on an expired invoice: the invoice is reinstated.',
  overpaid: 'Payment recorded. The invoice is overpaid: refund or credit the difference.',
  retry: 'Enrolment queued again.',
  enrolled: 'Marked as enrolled. The learner has been emailed the course link.',
  resent: 'The invoice email is on its way to the learner.',
  cancelled: 'Invoice cancelled. The learner has been told.',
};

type ListParams = Omit<InvoiceListQuery, 'limit' | 'today'>;

function parseListParams(query: Record<string, unknown>): ListParams {
  const text = (name: string, max = 200) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string).slice(0, max) : undefined);
  const date = (name: string) => {
    const v = text(name, 10);
    return v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
  };
  const tab = TABS.includes(query.tab as Tab) ? (query.tab as Tab) : 'awaiting';
  const sort = Object.hasOwn(SORTS, query.sort as string) ? (query.sort as Sort) : tab === 'overdue' || tab === 'awaiting' ? 'due' : 'issued';
  const dir = query.dir === 'asc' || query.dir === 'desc' ? query.dir : sort === 'due' ? 'asc' : 'desc';
  const [course, classId] = (text('class', 520) ?? '').split('\u001f');
  let after: ListParams['after'];
  const cursor = text('after', 300);
  if (cursor) {
    try {
      const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v: unknown; i: unknown };
      if ((typeof parsed.v === 'string' || typeof parsed.v === 'number') && Number.isSafeInteger(parsed.i)) after = { value: parsed.v, id: parsed.i as number };
    } catch {
      after = undefined;
    }
  }
  return {
    tab,
    q: text('q'),
    course: course || undefined,
    classId: classId || undefined,
    currency: text('currency', 3),
    from: date('from'),
    to: date('to'),
    sort,
    dir,
    after,
  };
}

function listUrl(params: ListParams, changes: Partial<Record<string, string | undefined>>): string {
  const base: Record<string, string | undefined> = {
    tab: params.tab,
    q: params.q,
    class: params.course ? `${params.course}\u001f${params.classId ?? ''}` : undefined,
    currency: params.currency,
    from: params.from,
    to: params.to,
    sort: params.sort,
    dir: params.dir,
  };
  const merged = { ...base, ...changes };
  const search = new URLSearchParams(Object.entries(merged).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
  return `/admin?${search.toString()}`;
}

/** Spreadsheets run cells that start with = + - @ as formulas: text cells are defused. */
function csvText(value: string | null | undefined): string {
  if (!value) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function registerInvoiceRoutes(router: Router, deps: Deps): void {
  const { db, config, clock } = deps;
  const today = () => calendarDate(clock.now(), config.timeZone);

  function loadInvoice(ctx: Context): Invoice {
    const id = idParam(ctx.params.id);
    const invoice = id === undefined ? undefined : findInvoiceById(db, id);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${ctx.params.id}`);
    return invoice;
  }

  router.get('invoices', '/', function listInvoicePage(ctx) {
    const params = parseListParams(ctx.query);
    const started = performance.now();
    const page = listInvoices(db, { ...params, limit: PAGE_SIZE, today: today() });
    const counts = tabCounts(db, today());
    ctx.state.logFields = { ...(ctx.state.logFields as object | undefined), queryMs: Math.round(performance.now() - started) };
    const nextCursor = page.next ? Buffer.from(JSON.stringify({ v: page.next.value, i: page.next.id })).toString('base64url') : undefined;
    render(ctx, 'admin/invoices.njk', {
      title: 'Invoices',
      section: 'invoices',
      params,
      page,
      today: today(),
      tabs: TABS.map((tab) => ({
        tab,
        label: TAB_LABELS[tab],
        count: counts[tab],
        url: listUrl({ ...params, after: undefined }, { tab, sort: undefined, dir: undefined }),
        current: tab === params.tab,
      })),
      options: (() => {
        const options = filterOptions(db);
        return { ...options, courses: options.courses.map((c) => ({ ...c, value: `${c.courseId}\u001f${c.classId}` })) };
      })(),
      classValue: params.course ? `${params.course}\u001f${params.classId ?? ''}` : '',
      nextUrl: nextCursor ? listUrl(params, { after: nextCursor }) : undefined,
      firstUrl: params.after ? listUrl(params, {}) : undefined,
      csvUrl: listUrl(params, {}).replace('/admin?', '/admin/invoices.csv?'),
      sortUrl: (sort: Sort) => listUrl(params, { sort, dir: params.sort === sort && params.dir === 'desc' ? 'asc' : 'desc' }),
      overdue: (invoice: Invoice) => isOverdue(invoice, today()),
      amountDue: amountDueMinor,
      heldPastExpiry: countHeldPastExpiry(db),
    });
  });

  router.get('invoices-csv', '/invoices.csv', function exportCsv(ctx) {
    const params = parseListParams(ctx.query);
    const rows = iterateInvoices(db, { ...params, today: today() });
    const header = [
      'Invoice number',
      'Issue date',
      'Due date',
      'Learner',
      'Email',
      'Organisation',
      'Tax ID',
      'Course',
      'Class',
      'Currency',
      'Net',
      'Tax',
      'Total',
      'Amount paid',
      'Date paid',
      'Status',
    ];
    function* lines() {
      yield `\ufeff${stringify([header])}`;
      for (const i of rows) {
        const money = (minor: number) => minorToDecimalString(minor, i.currency);
        yield stringify([
          [
            i.number,
            i.issueDate,
            i.dueDate,
            csvText(i.buyerName),
            csvText(i.buyerEmail),
            csvText(i.buyerOrganisation),
            csvText(i.buyerTaxId),
            csvText(i.courseTitle),
            csvText(i.programId !== null ? `program ${i.programId}` : i.classId),
            i.currency,
            money(i.netMinor),
            money(i.taxMinor),
            money(i.totalMinor),
            money(i.paidMinor),
            i.lastPaymentOn ?? '',
            STATUS_LABELS[i.status],
          ],
        ]);
      }
    }
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="invoices-${params.tab}-${today()}.csv"`);
    ctx.body = Readable.from(lines());
  });

  router.get('invoice', '/invoices/:id', function showInvoice(ctx) {
    const invoice = loadInvoice(ctx);
    const notice = typeof ctx.query.notice === 'string' ? NOTICES[ctx.query.notice] : undefined;
    render(ctx, 'admin/invoice.njk', {
      title: `Invoice ${invoice.number}`,
      section: 'invoices',
      invoice,
      notice,
      links: invoiceLinks(config.publicUrl, invoice),
      amountDueMinor: amountDueMinor(invoice),
      overdue: isOverdue(invoice, today()),
      unpaid: isUnpaid(invoice.status),
      creditorReference: invoice.currency === 'EUR' ? toCreditorReference(invoice.paymentReference) : undefined,
      payments: paymentsForInvoice(db, invoice.id),
      attempts: attemptsForInvoice(db, invoice.id),
      job: findEnrolmentJob(db, invoice.id),
      emails: emailsForInvoice(db, invoice.id),
      timeline: invoiceTimeline(db, invoice.id),
      canCancel: ['awaiting_payment', 'partially_paid', 'expired'].includes(invoice.status),
      canPay: ['awaiting_payment', 'partially_paid', 'expired'].includes(invoice.status),
    });
  });

  router.get('invoice-pdf', '/invoices/:id/pdf', async function downloadPdf(ctx) {
    const invoice = loadInvoice(ctx);
    ctx.body = await ensureInvoicePdf(deps, invoice);
    ctx.type = 'application/pdf';
    ctx.set('Content-Disposition', `inline; filename="${invoice.number}.pdf"`);
  });

  function paymentForm(ctx: Context, invoice: Invoice, values: Record<string, string>, errors: Record<string, string>) {
    render(ctx, 'admin/payment.njk', {
      title: `Record payment – ${invoice.number}`,
      section: 'invoices',
      invoice,
      values,
      errors,
      amountDueMinor: amountDueMinor(invoice),
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
        receivedOn: today(),
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
    const amount = parseDecimalAmount(values.amount, invoice.currency);
    if (!amount.ok || amount.minor <= 0)
      errors.amount = `Enter the amount received in ${invoice.currency}, e.g. ${minorToDecimalString(amountDueMinor(invoice) || invoice.totalMinor, invoice.currency)}.`;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.receivedOn) || Number.isNaN(Date.parse(values.receivedOn)))
      errors.receivedOn = 'Enter the date the transfer arrived.';
    else if (values.receivedOn > today()) errors.receivedOn = 'The date received cannot be in the future.';
    if (!/^[A-Za-z0-9_-]{16,100}$/.test(values.idempotencyKey) || !/^\d+$/.test(values.expectedPaid))
      throw new AppError('request.bad_form', 'payment form without its hidden fields');
    if (Object.keys(errors).length > 0) {
      ctx.status = 422;
      return paymentForm(ctx, invoice, values, errors);
    }
    const staff = ctx.state.staff!;
    const outcome = recordPayment(deps, { ...staffActor(staff), staffId: staff.id }, invoice.id, {
      amountMinor: (amount as { minor: number }).minor,
      receivedOn: values.receivedOn,
      bankReference: optionalField(body, 'bankReference', 200),
      note: optionalField(body, 'note', 1000),
      idempotencyKey: values.idempotencyKey,
      expectedPaidMinor: Number(values.expectedPaid),
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
