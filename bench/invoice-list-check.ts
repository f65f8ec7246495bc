/**
 * A benchmark of wrong answers proves nothing: before timing anything, the invoice list is checked
 * against a reference implementation on a smaller database, page by page, for a spread of tabs,
 * searches, filters and sorts. The reference is the list's original query, written for clarity
 * rather than speed (one statement: the search as `id IN (... UNION ...)`, OR-shaped keyset).
 */
import type { Db } from '../src/db/connection.js';
import { iterateInvoices, listInvoices, SORTS, TABS, type InvoiceListQuery, type Sort } from '../src/db/invoice-list.js';
import { normalizeReferenceInput } from '../src/domain/payment-reference.js';
import { random } from './seed.js';

type Query = Omit<InvoiceListQuery, 'after' | 'limit'>;

/** Every matching id in order, the straightforward way. */
export function referenceIds(db: Db, query: Query): { ids: number[]; referenceTypo: boolean } {
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
      params.status = query.tab;
  }
  const q = query.q?.trim().slice(0, 200);
  if (q) {
    const matches = [
      'SELECT id FROM invoices WHERE number = @q COLLATE NOCASE',
      'SELECT id FROM invoices WHERE ol_user_id = @q',
      'SELECT id FROM invoices WHERE buyer_email = @q COLLATE NOCASE',
    ];
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
      matches.push(
        `SELECT id FROM invoices WHERE buyer_name LIKE @like ESCAPE '\\' OR buyer_organisation LIKE @like ESCAPE '\\' OR course_title LIKE @like ESCAPE '\\'`,
      );
      params.like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    conditions.push(`invoices.id IN (${matches.join(' UNION ')})`);
  }
  for (const [column, value, op] of [
    ['course_id', query.course, '='],
    ['class_id', query.classId, '='],
    ['currency', query.currency, '='],
    ['issue_date', query.from, '>='],
    ['issue_date', query.to, '<='],
  ] as const) {
    if (!value) continue;
    const name = `p${Object.keys(params).length}`;
    conditions.push(`${column} ${op} @${name}`);
    params[name] = value;
  }
  const column = SORTS[query.sort];
  const direction = query.dir === 'desc' ? 'DESC' : 'ASC';
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const ids = (
    db.prepare(`SELECT invoices.id FROM invoices ${where} ORDER BY ${column} ${direction}, invoices.id ${direction}`).all(params) as { id: number }[]
  ).map((r) => r.id);
  return { ids, referenceTypo };
}

export interface CheckResult {
  queries: number;
  pages: number;
  rows: number;
  failures: string[];
}

function describe(query: Query): string {
  return JSON.stringify(Object.fromEntries(Object.entries(query).filter(([k, v]) => v !== undefined && k !== 'today')));
}

/**
 * Pages through listInvoices (small pages, so keyset cursors are exercised) and compares each page
 * with the reference; also runs iterateInvoices to the end for some queries.
 */
export function checkInvoiceList(db: Db, today: string, searches: string[]): CheckResult {
  const rand = random(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const target = db
    .prepare('SELECT course_id AS courseId, class_id AS classId, currency, issue_date AS issueDate FROM invoices ORDER BY id DESC LIMIT 1 OFFSET 500')
    .get() as {
    courseId: string;
    classId: string;
    currency: string;
    issueDate: string;
  };
  const minusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
  const filters: Partial<Query>[] = [
    {},
    {},
    { currency: target.currency },
    { course: target.courseId, classId: target.classId },
    { from: minusDays(target.issueDate, 200), to: minusDays(target.issueDate, 20) },
    { currency: 'EUR', from: minusDays(target.issueDate, 60) },
    { to: minusDays(target.issueDate, 400) },
  ];
  const result: CheckResult = { queries: 0, pages: 0, rows: 0, failures: [] };
  const sorts = Object.keys(SORTS) as Sort[];
  for (const q of [undefined, ...searches]) {
    for (const tab of TABS) {
      const sort = pick(sorts);
      const query: Query = { tab, q, sort, dir: rand() < 0.5 ? 'asc' : 'desc', today, ...pick(filters) };
      const expected = referenceIds(db, query);
      result.queries++;
      const limit = 1 + Math.floor(rand() * 12);
      const got: number[] = [];
      let after: InvoiceListQuery['after'];
      let typo = false;
      for (let p = 0; p < 8; p++) {
        const page = listInvoices(db, { ...query, after, limit });
        result.pages++;
        typo = page.referenceTypo;
        got.push(...page.rows.map((r) => r.id));
        after = page.next;
        if (!after) break;
      }
      result.rows += got.length;
      const want = expected.ids.slice(0, got.length);
      const complete = after === undefined;
      if (typo !== expected.referenceTypo) result.failures.push(`${describe(query)}: referenceTypo ${typo}, expected ${expected.referenceTypo}`);
      if (got.join() !== want.join() || (complete && got.length !== expected.ids.length) || (!complete && got.length !== 8 * limit)) {
        result.failures.push(
          `${describe(query)} limit ${limit}: got ${got.length} ids [${got.slice(0, 8).join(', ')}...], expected ${expected.ids.length} [${expected.ids.slice(0, 8).join(', ')}...]`,
        );
      }
      if (expected.ids.length <= 3000 && rand() < 0.25) {
        const all = [...iterateInvoices(db, query, 1 + Math.floor(rand() * 700))].map((r) => r.id);
        if (all.join() !== expected.ids.join())
          result.failures.push(`${describe(query)}: iterateInvoices gave ${all.length} ids, expected ${expected.ids.length}`);
      }
    }
  }
  return result;
}
