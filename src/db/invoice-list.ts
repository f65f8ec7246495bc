/**
 * The finance desk's invoice list: tabs, search, filters, sort and keyset pagination, written so
 * every common query is answered from an index even with a million invoices. `npm run bench`
 * (bench/invoice-list.bench.ts) measures each case and checks the results against a plain
 * reference query.
 *
 * A search always means the same union (exact lookups + text match); only the way to the page
 * depends on how many invoices match:
 *  - few (up to CANDIDATE_LIMIT): fetch those invoices by id, filter, sort them;
 *  - many, full-text, sorted by a date: look for the page in id windows (searchByIdWindows);
 *  - otherwise: walk the sort index and test each row against the search.
 */
import { addCalendarDays } from '../clock.js';
import { normalizeReferenceInput } from '../domain/payment-reference.js';
import type { Invoice, InvoiceStatus } from '../domain/invoice.js';
import { sql, type Db } from './connection.js';
import { INVOICE_COLUMNS, NOT_EXPIRED, toInvoice, type InvoiceRow } from './invoices.js';
import { lastPaymentDate } from './ledger.js';

export const TABS = ['awaiting', 'overdue', 'partially_paid', 'paid', 'enrolment_failed', 'attention', 'enrolled', 'expired', 'cancelled', 'all'] as const;
export type Tab = (typeof TABS)[number];

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

/**
 * How many ids a search may collect before it stops driving the query by them. Up to this many,
 * the candidates are fetched by id and sorted (a few milliseconds); above it, matches are common
 * enough (at least 1 in 1,000 at a million invoices) that walking the list's order finds a page soon.
 */
const CANDIDATE_LIMIT = 1000;

/**
 * A status tab with at most this many invoices is small enough to read whole: a short (LIKE)
 * search walks it instead of the whole table, and a full-text search is limited to its id range.
 */
const SMALL_TAB = 20_000;

/** Calendar days of margin between issue_date and the UTC date of issued_at (see issuedAtBounds). */
const ISSUE_DATE_MARGIN_DAYS = 2;

/** Many matches: the query walks its sort index and tests each row against `condition`. */
interface TestSearch {
  kind: 'test';
  condition: string;
  params: Record<string, unknown>;
  /** For a full-text search, what searchByIdWindows needs to try first. */
  windows?: IdWindows;
}

interface IdWindows {
  /** Every exact match (there are few). */
  exact: number[];
  /** The FTS5 query. */
  fts: string;
  /** The id range of a small tab, if the tab is small. */
  tabRange: { lowId: number; highId: number } | undefined;
}

type Search =
  /** Every matching id is known (few): the query is driven by them. */
  { kind: 'ids'; ids: number[] } | TestSearch;

interface Condition {
  conditions: string[];
  params: Record<string, unknown>;
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// Exact lookups, each answered by a unique or ordinary index. A parameter left NULL matches nothing.
const EXACT_MATCH = `SELECT id FROM invoices WHERE number = @q COLLATE NOCASE
  UNION ALL SELECT id FROM invoices WHERE ol_user_id = @q
  UNION ALL SELECT id FROM invoices WHERE buyer_email = @q COLLATE NOCASE
  UNION ALL SELECT id FROM invoices WHERE payment_reference = @reference
  UNION ALL SELECT id FROM invoices WHERE seq = @seq`;
const EXACT_IDS = `${EXACT_MATCH} LIMIT @limit`;
const EXACT_TEST = `+invoices.id IN (${EXACT_MATCH})`;
// The id range only narrows the search to where the tab's invoices are (see tabIdRange). The CASTs
// matter: better-sqlite3 binds numbers as REAL, and FTS5 ignores a rowid bound that is not an INTEGER.
const FTS_MATCH = 'SELECT rowid AS id FROM invoices_fts WHERE invoices_fts MATCH @fts AND rowid BETWEEN CAST(@lowId AS INTEGER) AND CAST(@highId AS INTEGER)';
const FTS_IDS = `${FTS_MATCH} LIMIT @limit`;
const FTS_TEST = `+invoices.id IN (${FTS_MATCH})`;
const LIKE_TEST = `(buyer_name LIKE @like ESCAPE '\\' OR buyer_organisation LIKE @like ESCAPE '\\' OR course_title LIKE @like ESCAPE '\\')`;
// Answered from the invoices_search_text covering index (migration 005), not the table.
const LIKE_IDS = `SELECT id FROM invoices WHERE ${LIKE_TEST} LIMIT @limit`;

// Spelled exactly as the partial index's condition (migration 020), or SQLite cannot use it.
const ENROLLED_UNPAID = `status = 'enrolled' AND paid_minor + written_off_minor - total_minor < 0`;

/**
 * The table to read a tab from. The attention tab's few invoices are all in their partial index
 * (migration 020); naming it keeps the planner from reading every enrolled invoice instead, which
 * the statistics of a big database can make it prefer (0.8 s at a million), and a query that could
 * no longer use it fails in the tests rather than slowing down unseen.
 */
function invoicesOf(tab: Tab): string {
  return tab === 'attention' ? 'invoices INDEXED BY invoices_enrolled_unpaid' : 'invoices';
}

function tabCondition(query: Pick<InvoiceListQuery, 'tab' | 'today' | 'sort'>): Condition {
  switch (query.tab) {
    case 'all':
      return { conditions: [], params: {} };
    case 'awaiting':
      return { conditions: [`status = 'awaiting_payment' AND ${NOT_EXPIRED} AND due_date >= @today`], params: { today: query.today } };
    case 'overdue':
      return { conditions: [`status = 'awaiting_payment' AND ${NOT_EXPIRED} AND due_date < @today`], params: { today: query.today } };
    // Enrolled on OpenLearning although the payment behind it was reversed (the partial index of migration 011).
    case 'attention':
      return { conditions: [ENROLLED_UNPAID], params: {} };
    // The status-prefixed amount index leaves expired invoices out (migration 018): sorted by
    // amount, the tab walks (total_minor, id) and keeps the expired rows. The unary + keeps the
    // planner from reading a status index instead and sorting the whole tab.
    case 'expired':
      return { conditions: [query.sort === 'amount' ? `+status = 'expired'` : `status = 'expired'`], params: {} };
    default:
      return { conditions: [`status = @status AND ${NOT_EXPIRED}`], params: { status: query.tab satisfies InvoiceStatus } };
  }
}

/**
 * The lowest and highest id in a small status tab (awaiting payment: recent invoices, a narrow id
 * range), read from a status index; undefined for a big tab or 'all'.
 */
function tabIdRange(db: Db, tab: Tab, condition: Condition): { lowId: number; highId: number } | undefined {
  if (tab === 'all') return undefined;
  const status: InvoiceStatus = tab === 'awaiting' || tab === 'overdue' ? 'awaiting_payment' : tab === 'attention' ? 'enrolled' : tab;
  const size = (sql(db, 'SELECT n FROM invoice_status_counts WHERE status = ?').get(status) as { n: number } | undefined)?.n;
  if (size === undefined || size > SMALL_TAB) return undefined;
  const range = sql(db, `SELECT MIN(invoices.id) AS lowId, MAX(invoices.id) AS highId FROM invoices WHERE ${condition.conditions.join(' AND ')}`).get(
    condition.params,
  ) as {
    lowId: number | null;
    highId: number | null;
  };
  return range.lowId === null || range.highId === null ? { lowId: 1, highId: 0 } : { lowId: range.lowId, highId: range.highId };
}

/**
 * Whatever finance staff paste: a reference with or without spaces or dashes, an RF reference, an
 * invoice number (with or without its prefix), an OpenLearning user id, an email, or part of a
 * name, organisation or course title, in any script. The result is the union of all of those.
 */
function buildSearch(db: Db, q: string, tab: Tab, condition: Condition): { search: Search; referenceTypo: boolean } {
  const exactParams: Record<string, unknown> = { q, reference: null, seq: null };
  let referenceTypo = false;
  const reference = normalizeReferenceInput(q);
  if (reference?.kind === 'reference') exactParams.reference = reference.plain;
  else if (reference?.kind === 'invalid-check') referenceTypo = true;
  const digits = q.match(/^[A-Za-z/_-]*0*(\d{1,9})$/);
  if (digits) exactParams.seq = Number(digits[1]);
  const exact = (sql(db, EXACT_IDS).all({ ...exactParams, limit: CANDIDATE_LIMIT + 1 }) as { id: number }[]).map((r) => r.id);
  // Many matches: the unary + in the tests keeps the planner from driving the query by the
  // matches (it would fetch and sort them all); it walks the sort index and tests each row.
  const test = (text: { test: string; params: Record<string, unknown> }): TestSearch => ({
    kind: 'test',
    condition: `(${EXACT_TEST} OR ${text.test})`,
    params: { ...exactParams, ...text.params },
  });
  const small = tabIdRange(db, tab, condition);

  // Text: a trigram full-text match for three characters or more. Trigrams need three
  // characters; a two-character name (张伟 is a whole name) is matched with LIKE instead: in a
  // small tab by reading the tab, otherwise by reading a narrow covering index of the three
  // columns rather than the table. Slower on a big database, but never wrong.
  let text: { ids: string; test: string; params: Record<string, unknown> };
  let fts: string | undefined;
  if ([...q].length >= 3) {
    fts = `"${q.replace(/"/g, '""')}"`;
    const range = small ?? { lowId: Number.MIN_SAFE_INTEGER, highId: Number.MAX_SAFE_INTEGER };
    text = { ids: FTS_IDS, test: FTS_TEST, params: { fts, ...range } };
  } else {
    text = { ids: LIKE_IDS, test: LIKE_TEST, params: { like: likePattern(q) } };
    if (small) return { search: test(text), referenceTypo };
  }
  const found = (sql(db, text.ids).all({ ...text.params, limit: CANDIDATE_LIMIT + 1 }) as { id: number }[]).map((r) => r.id);
  if (exact.length <= CANDIDATE_LIMIT && found.length <= CANDIDATE_LIMIT) {
    return { search: { kind: 'ids', ids: [...new Set([...exact, ...found])] }, referenceTypo };
  }
  const search = test(text);
  if (fts !== undefined && exact.length <= CANDIDATE_LIMIT) search.windows = { exact, fts, tabRange: small };
  return { search, referenceTypo };
}

/**
 * issue_date is the calendar date of issued_at in the institution's time zone, so it is within a
 * day of issued_at's UTC date (UTC-12 to UTC+14). A bound on issued_at with a margin is implied by
 * the filter on issue_date; it adds nothing to the result, but lets a walk of an issued_at index
 * stop at the end of the range instead of reading to the end of the table.
 */
function issuedAtBounds(query: Pick<InvoiceListQuery, 'from' | 'to'>): Condition {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (query.from) {
    conditions.push('issued_at >= @issuedFrom');
    params.issuedFrom = addCalendarDays(query.from, -ISSUE_DATE_MARGIN_DAYS);
  }
  if (query.to) {
    conditions.push('issued_at < @issuedBefore');
    params.issuedBefore = addCalendarDays(query.to, ISSUE_DATE_MARGIN_DAYS + 1);
  }
  return { conditions, params };
}

/** The tab and filters (conditions, params), and the search, planned separately. */
interface Built extends Condition {
  search: Search | undefined;
  referenceTypo: boolean;
}

function buildWhere(db: Db, query: Omit<InvoiceListQuery, 'after' | 'limit' | 'dir'>): Built {
  const tab = tabCondition(query);
  const conditions = [...tab.conditions];
  const params: Record<string, unknown> = { ...tab.params };
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
  if (query.sort === 'issued') {
    // Only when sorting by issued_at: for another sort a range on issued_at could tempt the
    // planner (which has no statistics) to read the whole range and sort it.
    const bounds = issuedAtBounds(query);
    conditions.push(...bounds.conditions);
    Object.assign(params, bounds.params);
  }
  // SQLite ends LIKE and MATCH patterns at a NUL, so "x\0" would match every row: control
  // characters are never part of a name, number or reference, and become spaces.
  const q = query.q
    ?.replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, 200);
  let search: Search | undefined;
  let referenceTypo = false;
  if (q) ({ search, referenceTypo } = buildSearch(db, q, query.tab, tab));
  return { conditions, params, search, referenceTypo };
}

export function listInvoices(db: Db, query: InvoiceListQuery): InvoiceListPage {
  // One read transaction: the search's lookups and the page see the same snapshot.
  const { rows, referenceTypo } = db.transaction(() => selectPage(db, query))();
  const hasMore = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(toInvoice),
    next: hasMore && last ? { value: last.sortValue, id: last.id } : undefined,
    referenceTypo,
  };
}

type PageRow = InvoiceRow & { sortValue: string | number };

function selectPage(db: Db, query: InvoiceListQuery): { rows: PageRow[]; referenceTypo: boolean } {
  const built = buildWhere(db, query);
  const { search, referenceTypo } = built;
  const base: Condition = { conditions: [...built.conditions], params: { ...built.params } };
  const column = SORTS[query.sort];
  if (query.after) {
    // A row-value comparison is an index range on (column, id), so page 500 costs what page 1 does.
    base.conditions.push(`(${column}, invoices.id) ${query.dir === 'desc' ? '<' : '>'} (@afterValue, @afterId)`);
    base.params.afterValue = query.after.value;
    base.params.afterId = query.after.id;
  }
  if (search?.kind === 'ids') return { rows: candidatePage(db, query, base, search.ids), referenceTypo };
  if (search?.kind === 'test') {
    const rows = search.windows && query.sort !== 'amount' ? searchByIdWindows(db, query, base, search.windows) : undefined;
    if (rows) return { rows, referenceTypo };
    base.conditions.push(search.condition);
    Object.assign(base.params, search.params);
  }
  const direction = query.dir === 'desc' ? 'DESC' : 'ASC';
  const where = base.conditions.length ? `WHERE ${base.conditions.join(' AND ')}` : '';
  const rows = sql<[Record<string, unknown>], PageRow>(
    db,
    `SELECT ${INVOICE_COLUMNS}, ${column} AS sortValue FROM ${invoicesOf(query.tab)} ${where} ORDER BY ${column} ${direction}, invoices.id ${direction} LIMIT @limit`,
  ).all({ ...base.params, limit: query.limit + 1 });
  return { rows, referenceTypo };
}

/** The page among these invoices: each is fetched by id, filtered, and the few left sorted. */
function candidatePage(db: Db, query: InvoiceListQuery, base: Condition, ids: number[]): PageRow[] {
  if (ids.length === 0) return [];
  const column = SORTS[query.sort];
  const direction = query.dir === 'desc' ? 'DESC' : 'ASC';
  const where = base.conditions.length ? `WHERE ${base.conditions.join(' AND ')}` : '';
  // CROSS JOIN keeps this join order: the candidates drive, whatever indexes the filters have.
  return sql<[Record<string, unknown>], PageRow>(
    db,
    `SELECT ${INVOICE_COLUMNS}, ${column} AS sortValue FROM json_each(@ids) AS candidate CROSS JOIN invoices ON invoices.id = candidate.value
     ${where} ORDER BY ${column} ${direction}, invoices.id ${direction} LIMIT @limit`,
  ).all({ ...base.params, ids: JSON.stringify(ids), limit: query.limit + 1 });
}

/** At most this many full-text matches are fetched in one id window before giving up on windows. */
const WINDOW_CANDIDATES = 2000;

/** Ids on the far side of the cursor still included in a window (for invoices issued in the same instant, say). */
const WINDOW_MARGIN = 256;

/**
 * A common full-text match (thousands of invoices) sorted by issue or due date, without reading
 * every match. Invoices are numbered in the order they are issued, so the page usually lies in a
 * narrow id range: newest first, just below the highest id (or the cursor's id). So: take the
 * matches in an id window there (FTS5 seeks to a rowid range), find the page among them, then
 * prove that no invoice of the tab outside the window sorts between the page's start and its last
 * row, which is one index range read; widen the window (x4) until the page is full. When the proof
 * fails (ids out of date order) or a window holds too many matches, this returns undefined and the
 * caller tests every row instead: the order of ids only ever affects speed, never the result.
 */
function searchByIdWindows(db: Db, query: InvoiceListQuery, base: Condition, search: IdWindows): PageRow[] | undefined {
  const column = SORTS[query.sort];
  const desc = query.dir === 'desc';
  const table = sql(db, 'SELECT (SELECT MIN(id) FROM invoices) AS low, (SELECT MAX(id) FROM invoices) AS high').get() as {
    low: number | null;
    high: number | null;
  };
  if (table.low === null || table.high === null) return [];
  const low = Math.max(table.low, search.tabRange?.lowId ?? table.low);
  const high = Math.min(table.high, search.tabRange?.highId ?? table.high);
  const anchor = query.after ? query.after.id : desc ? high : low;
  for (let span = 1024; span < 2 ** 40; span *= 4) {
    // Newest first widens downwards from the anchor, oldest first upwards.
    const lowId = Math.max(low, desc ? anchor - span : anchor - WINDOW_MARGIN);
    const highId = Math.min(high, desc ? anchor + WINDOW_MARGIN : anchor + span);
    const found = (sql(db, FTS_IDS).all({ fts: search.fts, lowId, highId, limit: WINDOW_CANDIDATES + 1 }) as { id: number }[]).map((r) => r.id);
    if (found.length > WINDOW_CANDIDATES) return undefined;
    const rows = candidatePage(db, query, base, [...new Set([...search.exact, ...found])]);
    if (lowId <= low && highId >= high) return rows;
    const full = rows.length > query.limit;
    if (!full && (desc ? lowId > low : highId < high)) continue;
    // Is there an invoice of the tab and filters (matching the search or not) outside the window,
    // after the cursor and before the page's last row? If not, the window held the whole page.
    const conditions = [...base.conditions, '(+invoices.id < @lowId OR +invoices.id > @highId)'];
    const params: Record<string, unknown> = { ...base.params, lowId, highId };
    const last = rows[rows.length - 1];
    if (full && last) {
      conditions.push(`(${column}, invoices.id) ${desc ? '>' : '<'} (@lastValue, @lastId)`);
      Object.assign(params, { lastValue: last.sortValue, lastId: last.id });
    }
    return sql(db, `SELECT 1 FROM ${invoicesOf(query.tab)} WHERE ${conditions.join(' AND ')} LIMIT 1`).get(params) === undefined ? rows : undefined;
  }
  return undefined;
}

/**
 * Every invoice matching the filters, in order (for the CSV export). Read in keyset batches: each
 * batch is one finished query, so a long export never holds the connection busy between batches
 * while other requests use it.
 */
export function* iterateInvoices(
  db: Db,
  query: Omit<InvoiceListQuery, 'after' | 'limit'>,
  batchSize = 1000,
): Generator<Invoice & { lastPaymentOn: string | null }> {
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
  const overdue = (
    sql(db, `SELECT COUNT(*) AS n FROM invoices WHERE status = 'awaiting_payment' AND ${NOT_EXPIRED} AND due_date < ?`).get(today) as { n: number }
  ).n;
  const all = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const attention = (sql(db, `SELECT COUNT(*) AS n FROM ${invoicesOf('attention')} WHERE ${ENROLLED_UNPAID}`).get() as { n: number }).n;
  return {
    attention,
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
