/** The finance desk's invoice list (tabs, search, filters, keyset pages) and its CSV export. */
import type Router from '@koa/router';
import { Readable } from 'node:stream';
import { calendarDate } from '../../clock.js';
import { filterOptions, iterateInvoices, listInvoices, SORTS, TABS, tabCounts, type InvoiceListQuery, type Sort, type Tab } from '../../db/invoice-list.js';
import { countHeldPastExpiry } from '../../db/invoices.js';
import { amountDueMinor, type Invoice } from '../../domain/invoice.js';
import { isOverdue, refusal } from '../../domain/invoice-lifecycle.js';
import { minorToDecimalString } from '../../domain/money.js';
import { parseCalendarDate } from '../../domain/calendar-date.js';
import { AppError } from '../../errors.js';
import type { Deps } from '../../deps.js';
import { csvRecords, csvText } from '../../commands/accounting-exports.js';
import { render } from '../render.js';
import { staffText } from './staff-text.js';

const PAGE_SIZE = 50;

type ListParams = Omit<InvoiceListQuery, 'limit' | 'today'>;

function parseListParams(query: Record<string, unknown>): ListParams {
  const text = (name: string, max = 200) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string).slice(0, max) : undefined);
  const date = (name: string) => {
    const v = text(name, 20);
    if (v === undefined) return undefined;
    const parsed = parseCalendarDate(v);
    if (!parsed) throw new AppError('admin.bad_date', `${name}=${v}`);
    return parsed;
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

/** Each tab's name: its message key. */
const TAB_MESSAGES: Record<Tab, string> = {
  awaiting: 'invoices.tab.awaiting',
  attention: 'invoices.tab.attention',
  overdue: 'invoices.tab.overdue',
  partially_paid: 'invoices.tab.partiallyPaid',
  paid: 'invoices.tab.paid',
  enrolment_failed: 'invoices.tab.enrolmentFailed',
  enrolled: 'invoices.tab.enrolled',
  expired: 'invoices.tab.expired',
  cancelled: 'invoices.tab.cancelled',
  all: 'invoices.tab.all',
};

export function registerInvoiceListRoutes(router: Router, deps: Deps): void {
  const { db, config, clock } = deps;
  const today = () => calendarDate(clock.now(), config.timeZone);

  router.get('invoices', '/', function listInvoicePage(ctx) {
    let params = parseListParams(ctx.query);
    const started = performance.now();
    let page = listInvoices(db, { ...params, limit: PAGE_SIZE, today: today() });
    // A search finds the invoice whatever tab is open: nothing in this tab, so look in all of them.
    let searchedAllTabsFrom: string | undefined;
    if (page.rows.length === 0 && params.q && params.tab !== 'all' && !params.after) {
      const everywhere = listInvoices(db, { ...params, tab: 'all', limit: PAGE_SIZE, today: today() });
      if (everywhere.rows.length > 0) {
        searchedAllTabsFrom = staffText(TAB_MESSAGES[params.tab]);
        params = { ...params, tab: 'all' };
        page = everywhere;
      }
    }
    const counts = tabCounts(db, today());
    ctx.state.logFields = { ...(ctx.state.logFields as object | undefined), queryMs: Math.round(performance.now() - started) };
    const nextCursor = page.next ? Buffer.from(JSON.stringify({ v: page.next.value, i: page.next.id })).toString('base64url') : undefined;
    render(ctx, 'admin/invoices.njk', {
      title: staffText('invoices.title'),
      section: 'invoices',
      params,
      page,
      today: today(),
      tabs: TABS.map((tab) => ({
        tab,
        label: staffText(TAB_MESSAGES[tab]),
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
      searchedAllTabsFrom,
      // A link straight to the payment form, so the clerk reaches it from the search with the keyboard alone.
      payable: (invoice: Invoice) => amountDueMinor(invoice) > 0 && refusal(invoice, 'pay', ctx.state.staff!.role) === undefined,
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
      'Tax rate',
      'Buyer country',
      'Payment reference',
    ];
    function* lines() {
      yield `\ufeff${csvRecords([header])}`;
      for (const i of rows) {
        const money = (minor: number) => minorToDecimalString(minor, i.currency);
        yield csvRecords([
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
            staffText('common.invoiceStatus', { status: i.status }),
            i.taxRate,
            i.buyerCountry ?? '',
            i.paymentReference,
          ],
        ]);
      }
    }
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="invoices-${params.tab}-${today()}.csv"`);
    ctx.body = Readable.from(lines());
  });
}
