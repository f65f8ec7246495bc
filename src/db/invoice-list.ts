/**
 * The finance desk's invoice list: tabs, search, filters, sort and keyset pagination, written so
 * every common query is answered from an index even with a million invoices.
 */
import { normalizeReferenceInput } from '../domain/payment-reference.js';
import type { Invoice, InvoiceStatus } from '../domain/invoice.js';
import { sql, type Db } from './connection.js';
import { INVOICE_COLUMNS, toInvoice, type InvoiceRow } from './invoices.js';
import { lastPaymentDate } from './payments.js';

export const TABS = ['awaiting', 'overdue', 'partially_paid', 'paid', 'enrolment_failed', 'enrolled', 'expired', 'cancelled', 'all'] as const;
export type Tab = (typeof TABS)[number];

export const TAB_LABELS: Record<Tab, string> = {
  awaiting: 'Awaiting payment',
  overdue: 'Overdue',
  partially_paid: 'Partially paid',
  paid: 'Paid (enrolling)',
  enrolment_failed: 'Enrolment failed',
  enrolled: 'Enrolled',
  expired: 'Expired',
  cancelled: 'Cancelled',
  all: 'All',
};

export const SORTS = { issued: 'issued_at', due: 'due_date', amount: 'total_minor' } as const;
export type Sort = keyof typeof SORTS;

export interface InvoiceListQuery {
  tab: Tab;
  q?: string | undefined;
  course?: string | undefined;
  classId?: string | undefined;
  currency?: string | undefined;
  /** Issue date range, inclusive, YYYY-MM-DD. */
  from?: string | undefined;
  to?: string | undefined;
  sort: Sort;
  dir: 'asc' | 'desc';
  /** Keyset cursor: the sort value and id of the last row of the previous page. */
  after?: { value: string | number; id: number } | undefined;
  limit: number;
  /** Today's date in the institution's time zone (for overdue). */
  today: string;
}

export interface InvoiceListPage {
  rows: Invoice[];
  next: { value: string | number; id: number } | undefined;
  /** Set when the search text looked like a payment reference with wrong check digits. */
  referenceTypo: boolean;
}

interface Built {
  where: string;
  params: Record<string, unknown>;
  referenceTypo: boolean;
}

function buildWhere(query: Omit<InvoiceListQuery, 'after' | 'limit' | 'sort' | 'dir'>): Built {
  const conditions: string[] = [];
  const params: Record<string, unknown> = { today: query.today };
  let referenceTypo = false;
  switch (query.tab) {
    case 'all':
      break;
    case 'awaiting':
      conditions.push(`status = 'awaiting_payment' AND due_date >= @today`);
      break;
    case 'overdue':
      conditions.push(`status = 'awaiting_payment' AND due_date < @today`);
      break;
    default:
      conditions.push('status = @status');
      params.status = query.tab satisfies InvoiceStatus;
  }
  const q = query.q?.trim().slice(0, 200);
  if (q) {
    // Whatever finance staff paste: a reference with or without spaces or dashes, an RF
    // reference, an invoice number (with or without its prefix), an OpenLearning user id, an
    // email, or part of a name, organisation or course title, in any script.
    const matches = ['SELECT id FROM invoices WHERE number = @q COLLATE NOCASE', 'SELECT id FROM invoices WHERE ol_user_id = @q', 'SELECT id FROM invoices WHERE buyer_email = @q COLLATE NOCASE'];
    params.q = q;
    const reference = normalizeReferenceInput(q);
    if (reference?.kind === 'reference') {
      matches.push('SELECT id FROM invoices WHERE payment_reference = @reference');
      params.reference = reference.plain;
    } else if (reference?.kind === 'invalid-check') {
      referenceTypo = true;
    }
    const digits = q.match(/^[A-Za-z/_-]*0*(\d{1,9})$/);
    if (digits) {
      matches.push('SELECT id FROM invoices WHERE seq = @seq');
      params.seq = Number(digits[1]);
    }
    if ([...q].length >= 3) {
      matches.push('SELECT rowid AS id FROM invoices_fts WHERE invoices_fts MATCH @fts');
      params.fts = `"${q.replace(/"/g, '""')}"`;
    } else {
      // Trigrams need three characters; a two-character name (张伟 is a whole name) is matched by
      // a scan instead, slower on a big database but never wrong.
      matches.push(`SELECT id FROM invoices WHERE buyer_name LIKE @like ESCAPE '\\' OR buyer_organisation LIKE @like ESCAPE '\\' OR course_title LIKE @like ESCAPE '\\'`);
      params.like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    conditions.push(`invoices.id IN (${matches.join(' UNION ')})`);
  }
  if (query.course) {
    conditions.push('course_id = @course');
    params.course = query.course;
  }
  if (query.classId) {
    conditions.push('class_id = @classId');
    params.classId = query.classId;
  }
  if (query.currency) {
    conditions.push('currency = @currency');
    params.currency = query.currency;
  }
  if (query.from) {
    conditions.push('issue_date >= @from');
    params.from = query.from;
  }
  if (query.to) {
    conditions.push('issue_date <= @to');
    params.to = query.to;
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params, referenceTypo };
}

export function listInvoices(db: Db, query: InvoiceListQuery): InvoiceListPage {
  const built = buildWhere(query);
  const column = SORTS[query.sort];
  const comparator = query.dir === 'desc' ? '<' : '>';
  let where = built.where;
  if (query.after) {
    const keyset = `(${column} ${comparator} @afterValue OR (${column} = @afterValue AND invoices.id ${comparator} @afterId))`;
    where = where ? `${where} AND ${keyset}` : `WHERE ${keyset}`;
    built.params.afterValue = query.after.value;
    built.params.afterId = query.after.id;
  }
  const direction = query.dir === 'desc' ? 'DESC' : 'ASC';
  const rows = sql<[Record<string, unknown>], InvoiceRow & { sortValue: string | number }>(
    db,
    `SELECT ${INVOICE_COLUMNS}, ${column} AS sortValue FROM invoices ${where} ORDER BY ${column} ${direction}, invoices.id ${direction} LIMIT @limit`,
  ).all({ ...built.params, limit: query.limit + 1 });
  const hasMore = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(toInvoice),
    next: hasMore && last ? { value: last.sortValue, id: last.id } : undefined,
    referenceTypo: built.referenceTypo,
  };
}

/**
 * Every invoice matching the filters, in order (for the CSV export). Read in keyset batches: each
 * batch is one finished query, so a long export never holds the connection busy between batches
 * while other requests use it.
 */
export function* iterateInvoices(db: Db, query: Omit<InvoiceListQuery, 'after' | 'limit'>, batchSize = 1000): Generator<Invoice & { lastPaymentOn: string | null }> {
  let after: InvoiceListQuery['after'];
  do {
    const page = listInvoices(db, { ...query, after, limit: batchSize });
    for (const invoice of page.rows) yield { ...invoice, lastPaymentOn: lastPaymentDate(db, invoice.id) ?? null };
    after = page.next;
  } while (after);
}

/** Counts per tab, exact and cheap: status counts are kept by triggers, overdue is an index range. */
export function tabCounts(db: Db, today: string): Record<Tab, number> {
  const byStatus = Object.fromEntries(
    (sql(db, 'SELECT status, n FROM invoice_status_counts').all() as { status: InvoiceStatus; n: number }[]).map((r) => [r.status, r.n]),
  ) as Record<InvoiceStatus, number>;
  const overdue = (sql(db, "SELECT COUNT(*) AS n FROM invoices WHERE status = 'awaiting_payment' AND due_date < ?").get(today) as { n: number }).n;
  const all = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    awaiting: (byStatus.awaiting_payment ?? 0) - overdue,
    overdue,
    partially_paid: byStatus.partially_paid ?? 0,
    paid: byStatus.paid ?? 0,
    enrolment_failed: byStatus.enrolment_failed ?? 0,
    enrolled: byStatus.enrolled ?? 0,
    expired: byStatus.expired ?? 0,
    cancelled: byStatus.cancelled ?? 0,
    all,
  };
}

/** Distinct values for the filter drop-downs (few: courses and classes, not invoices). */
export function filterOptions(db: Db): { courses: { courseId: string; classId: string; title: string }[]; currencies: string[] } {
  const courses = sql(db, 'SELECT course_id AS courseId, class_id AS classId, title FROM known_classes ORDER BY title, class_id LIMIT 500').all() as {
    courseId: string;
    classId: string;
    title: string;
  }[];
  const currencies = (sql(db, 'SELECT DISTINCT currency FROM known_classes ORDER BY currency').all() as { currency: string }[]).map((r) => r.currency);
  return { courses, currencies };
}
