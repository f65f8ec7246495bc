/**
 * The finance desk's invoice list at scale (default 1,000,000 invoices): every tab's first page,
 * keyset paging, tab counts, filter options, each kind of search, filters, sorts and the CSV export,
 * each as median / p95 ms and as a ratio to a primary-key lookup of one invoice timed alongside it.
 *
 *   BENCH_INVOICES=100000   a smaller database for a quick run
 *   BENCH_DB=/path/file.db  keep the seeded database there and reuse it next time (pending
 *                           migrations are applied to it, so a new index can be tried without reseeding)
 *   BENCH_ANALYZE=1         run ANALYZE first (the portal itself never does)
 *   BENCH_SEED=triggers     seed through the real insert triggers instead of bulk load + rebuild
 *   BENCH_SLOW_MS=20        print the query plan of cases slower than this
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../src/db/connection.js';
import { filterOptions, iterateInvoices, listInvoices, tabCounts, TABS, type InvoiceListQuery, type Tab } from '../src/db/invoice-list.js';
import { findInvoiceById } from '../src/db/invoices.js';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from '../src/domain/payment-reference.js';
import { compare, row, type BenchContext, type BenchResult, type BenchRow } from './harness.js';
import { checkInvoiceList } from './invoice-list-check.js';
import { isFullScan, planRecorder, usesTempSort } from './plans.js';
import { random, RARE_SURNAME, seedDatabase } from './seed.js';

export const name = 'invoice-list';
export const description = 'finance desk invoice list: tabs, search, filters, keyset pages, counts, CSV export';

/** "Today" in the seeded data: the newest invoices were issued the day before. */
const TODAY = '2026-06-30';
const PAGE = 50;

interface Case {
  name: string;
  run: (db: Db) => unknown;
  /** Words for the note column, from the last result (rows found, rows/s, ...). */
  describe?: (result: unknown, medianMs: number) => string;
  budgetMs?: number;
  minRuns?: number;
}

function list(overrides: Partial<InvoiceListQuery> & { tab: Tab }): (db: Db) => ReturnType<typeof listInvoices> {
  const sort = overrides.sort ?? (overrides.tab === 'awaiting' || overrides.tab === 'overdue' ? 'due' : 'issued');
  const query: InvoiceListQuery = { sort, dir: sort === 'due' ? 'asc' : 'desc', limit: PAGE, today: TODAY, ...overrides };
  return (db) => listInvoices(db, query);
}

const pageRows = (result: unknown) => {
  const page = result as ReturnType<typeof listInvoices>;
  return `${page.rows.length} rows${page.next ? ', more' : ''}`;
};

function check(ctx: BenchContext, migrationsDir: string): string {
  const count = Number(ctx.env.BENCH_CHECK_INVOICES ?? ctx.size(30_000, 3_000));
  const started = performance.now();
  const seeded = seedDatabase(path.join(ctx.tmpDir, `check-${count}.db`), { count, today: TODAY, migrationsDir, mode: 'triggers' });
  const db = openDatabase(seeded.file);
  try {
    const t = db
      .prepare(`SELECT number, seq, payment_reference AS reference, buyer_email AS email, ol_user_id AS olUserId FROM invoices WHERE id = ?`)
      .get(Math.floor(count / 2)) as { number: string; seq: number; reference: string; email: string; olUserId: string };
    const shared = db.prepare(`SELECT buyer_email AS email FROM invoices GROUP BY buyer_email ORDER BY COUNT(*) DESC LIMIT 1`).get() as { email: string };
    const searches = [
      t.reference,
      `${formatPaymentReference(t.reference)}`,
      `${t.reference.slice(0, 4)}-${t.reference.slice(4, 8)}-${t.reference.slice(8)}`,
      formatCreditorReference(toCreditorReference(t.reference)).toLowerCase(),
      t.reference.slice(0, 10) + String((Number(t.reference[10]) + 1) % 10),
      t.number,
      t.number.toLowerCase(),
      String(t.seq),
      `INV-${t.seq}`,
      t.olUserId,
      t.email.toUpperCase(),
      shared.email,
      RARE_SURNAME,
      'gmail',
      'yahoo',
      'outlook',
      '.com',
      'mail',
      'Smith',
      'nguyen',
      'Nguyễn',
      '张伟',
      '张',
      'Li',
      'zz',
      'a',
      '%',
      '_',
      'Ωμέγα',
      '山田商事',
      '"quoted"',
    ];
    const result = checkInvoiceList(db, TODAY, searches);
    // Again with ids no longer in date order (1 invoice in 37 back- or forward-dated), which
    // the list must not rely on for correctness.
    db.prepare(
      `UPDATE invoices SET issued_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || ((id * 7919) % 1090) || ' days', '+' || (id % 86400) || ' seconds') WHERE id % 37 = 0`,
    ).run(`${TODAY}T00:00:00Z`);
    db.exec(`UPDATE invoices SET issue_date = substr(issued_at, 1, 10), due_date = date(substr(issued_at, 1, 10), '+14 days') WHERE id % 37 = 0`);
    const shuffled = checkInvoiceList(db, TODAY, searches);
    const failures = [...result.failures, ...shuffled.failures.map((f) => `(dates shuffled) ${f}`)];
    const queries = result.queries + shuffled.queries;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (failures.length > 0) {
      throw new Error(`invoice list differs from the reference on ${failures.length} of ${queries} queries:\n${failures.slice(0, 10).join('\n')}`);
    }
    ctx.log(`check passed: ${queries} queries in ${seconds} s`);
    return (
      `Correctness: ${queries} queries (${(result.pages + shuffled.pages).toLocaleString('en')} pages, ${(result.rows + shuffled.rows).toLocaleString('en')} rows; ` +
      `tabs x searches x filters x sorts, keyset pages and iterateInvoices; ids in date order, then with 1 in 37 invoices re-dated) gave the same invoices ` +
      `in the same order as the reference query, on ${count.toLocaleString('en')} invoices seeded through the triggers (${seconds} s).`
    );
  } finally {
    db.close();
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = Number(ctx.env.BENCH_INVOICES ?? ctx.size(1_000_000, 10_000));
  if (!Number.isSafeInteger(count) || count < 1000) throw new Error(`BENCH_INVOICES must be a whole number >= 1000, got ${ctx.env.BENCH_INVOICES}`);
  const migrationsDir = path.join(ctx.root, 'src', 'db', 'migrations');
  const notes: string[] = [];

  // ---- correctness first, on a smaller database seeded through the real triggers --------------
  if (ctx.env.BENCH_CHECK !== '0') notes.push(check(ctx, migrationsDir));

  // ---- the database ------------------------------------------------------------------------
  const reuse = ctx.env.BENCH_DB;
  const file = reuse ? path.resolve(reuse) : path.join(ctx.tmpDir, `invoices-${count}.db`);
  let setup: string;
  const startedSetup = performance.now();
  if (reuse && fs.existsSync(file)) {
    setup = `reused ${file}`;
  } else {
    ctx.log(`seeding ${count.toLocaleString('en')} invoices into ${file}`);
    const seeded = seedDatabase(file, { count, today: TODAY, migrationsDir, log: ctx.log, mode: ctx.env.BENCH_SEED === 'triggers' ? 'triggers' : 'bulk' });
    setup =
      `seeded ${seeded.invoices.toLocaleString('en')} invoices and ${seeded.payments.toLocaleString('en')} payments in ${(seeded.seedMs / 1000).toFixed(1)} s ` +
      `(${seeded.mode}; migrations ${seeded.migrateMs.toFixed(0)} ms; file ${(seeded.bytes / 2 ** 20).toFixed(0)} MiB); ` +
      `by status: ${Object.entries(seeded.byStatus)
        .map(([s, n]) => `${s} ${n.toLocaleString('en')}`)
        .join(', ')}`;
  }
  const db = openDatabase(file);
  const migrated = migrate(db, readMigrations(migrationsDir));
  if (migrated.applied.length > 0) setup += `; applied ${migrated.applied.join(', ')}`;
  const actual = (db.prepare('SELECT COUNT(*) AS n FROM invoices').get() as { n: number }).n;
  if (actual !== count) throw new Error(`${file} has ${actual} invoices, BENCH_INVOICES is ${count}: delete it or change BENCH_INVOICES`);
  if (ctx.env.BENCH_ANALYZE === '1') {
    const t = performance.now();
    db.exec('ANALYZE');
    setup += `; ANALYZE took ${((performance.now() - t) / 1000).toFixed(1)} s`;
  } else {
    const stats = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'`).get();
    setup += stats ? '; the database has ANALYZE statistics' : '; no ANALYZE statistics (as in the portal)';
  }
  notes.push(`Setup: ${setup}; ${((performance.now() - startedSetup) / 1000).toFixed(0)} s in all.`);
  ctx.log(setup);

  // ---- what to look for --------------------------------------------------------------------
  const target = db
    .prepare(
      `SELECT id, number, seq, payment_reference AS reference, buyer_email AS email, ol_user_id AS olUserId, course_id AS courseId, class_id AS classId, currency FROM invoices WHERE id = ?`,
    )
    .get(Math.floor(count * 0.6) + 123) as {
    id: number;
    number: string;
    seq: number;
    reference: string;
    email: string;
    olUserId: string;
    courseId: string;
    classId: string;
    currency: string;
  };
  const reference = target.reference;
  const spaced = `${formatPaymentReference(reference).slice(0, 9)}-${reference.slice(8)}`; // '1234 5678-978'
  const creditor = formatCreditorReference(toCreditorReference(reference)); // 'RF74 1234 5678 978'
  // The class with the most invoices (a big course sells thousands of seats a year), and a quarter of dates.
  const popular = db
    .prepare(`SELECT course_id AS courseId, class_id AS classId, currency, COUNT(*) AS n FROM invoices GROUP BY course_id, class_id ORDER BY n DESC LIMIT 1`)
    .get() as { courseId: string; classId: string; currency: string; n: number };
  const lastIssue = (db.prepare('SELECT MAX(issue_date) AS d FROM invoices').get() as { d: string }).d;
  const minusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
  // The CSV export: one currency over as many recent days as make ~10,000 invoices.
  const exportCurrency = 'EUR';
  const exportFrom =
    (
      db.prepare(`SELECT issue_date AS d FROM invoices WHERE currency = ? ORDER BY issued_at DESC LIMIT 1 OFFSET ?`).get(exportCurrency, 9_999) as
        { d: string } | undefined
    )?.d ?? '2000-01-01';

  // Keyset cursors for page 50, found by paging like a person would.
  const cursorFor = (query: InvoiceListQuery, page: number) => {
    let after: InvoiceListQuery['after'];
    for (let p = 1; p < page; p++) after = listInvoices(db, { ...query, after }).next;
    return after;
  };
  const base = (tab: Tab, sort: InvoiceListQuery['sort'] = 'issued'): InvoiceListQuery => ({
    tab,
    sort,
    dir: sort === 'due' ? 'asc' : 'desc',
    limit: PAGE,
    today: TODAY,
  });
  const page50All = cursorFor(base('all'), 50);
  const page50Enrolled = cursorFor(base('enrolled'), 50);
  const page50Amount = cursorFor(base('all', 'amount'), 50);
  const page20Gmail = cursorFor({ ...base('all'), q: 'gmail' }, 20);

  // ---- the cases ---------------------------------------------------------------------------
  const cases: Case[] = [
    { name: 'default: awaiting tab, page 1 (due asc)', run: list({ tab: 'awaiting' }), describe: pageRows },
    ...TABS.filter((t) => t !== 'awaiting').map((tab): Case => ({
      name: `${tab} tab, page 1${tab === 'all' ? ' (newest first)' : ''}`,
      run: list({ tab }),
      describe: pageRows,
    })),
    { name: 'all tab, page 50 (keyset cursor)', run: list({ tab: 'all', after: page50All }), describe: pageRows },
    { name: 'enrolled tab, page 50 (keyset cursor)', run: list({ tab: 'enrolled', after: page50Enrolled }), describe: pageRows },
    { name: 'all tab by amount desc, page 1', run: list({ tab: 'all', sort: 'amount', dir: 'desc' }), describe: pageRows },
    { name: 'all tab by amount desc, page 50', run: list({ tab: 'all', sort: 'amount', dir: 'desc', after: page50Amount }), describe: pageRows },
    { name: 'overdue tab by amount asc', run: list({ tab: 'overdue', sort: 'amount', dir: 'asc' }), describe: pageRows },
    { name: 'enrolled tab by due date desc', run: list({ tab: 'enrolled', sort: 'due', dir: 'desc' }), describe: pageRows },
    { name: 'tabCounts', run: (d) => tabCounts(d, TODAY), describe: (r) => `overdue ${(r as Record<Tab, number>).overdue.toLocaleString('en')}` },
    { name: 'filterOptions', run: (d) => filterOptions(d), describe: (r) => `${(r as ReturnType<typeof filterOptions>).courses.length} classes` },
    { name: 'search: reference, plain', run: list({ tab: 'all', q: reference }), describe: pageRows },
    { name: 'search: reference with spaces/dashes', run: list({ tab: 'all', q: spaced }), describe: pageRows },
    { name: 'search: RF creditor reference', run: list({ tab: 'all', q: creditor }), describe: pageRows },
    {
      name: 'search: reference typo (check digits)',
      run: list({ tab: 'all', q: reference.slice(0, 10) + String((Number(reference[10]) + 1) % 10) }),
      describe: pageRows,
    },
    { name: 'search: invoice number', run: list({ tab: 'all', q: target.number }), describe: pageRows },
    { name: 'search: invoice number, lower case', run: list({ tab: 'all', q: target.number.toLowerCase() }), describe: pageRows },
    { name: 'search: invoice number without prefix', run: list({ tab: 'all', q: String(target.seq) }), describe: pageRows },
    { name: 'search: OpenLearning user id', run: list({ tab: 'all', q: target.olUserId }), describe: pageRows },
    { name: 'search: email (other case)', run: list({ tab: 'all', q: target.email.toUpperCase() }), describe: pageRows },
    { name: `search: rare name '${RARE_SURNAME}' (FTS)`, run: list({ tab: 'all', q: RARE_SURNAME }), describe: pageRows },
    { name: "search: 'gmail' (~35% match, FTS)", run: list({ tab: 'all', q: 'gmail' }), describe: pageRows },
    { name: "search: 'gmail', page 20 (keyset cursor)", run: list({ tab: 'all', q: 'gmail', after: page20Gmail }), describe: pageRows },
    { name: "search: 'gmail' on awaiting tab", run: list({ tab: 'awaiting', q: 'gmail' }), describe: pageRows },
    { name: "search: 'gmail' on enrolled tab", run: list({ tab: 'enrolled', q: 'gmail' }), describe: pageRows },
    { name: "search: 'Smith' (common surname, FTS)", run: list({ tab: 'all', q: 'Smith' }), describe: pageRows },
    { name: "search: 'Nguyen' (matches Nguyễn, FTS)", run: list({ tab: 'all', q: 'Nguyen' }), describe: pageRows },
    { name: "search: 'Smith' on awaiting tab", run: list({ tab: 'awaiting', q: 'Smith' }), describe: pageRows },
    { name: "search: '张伟' (2 chars, LIKE)", run: list({ tab: 'all', q: '张伟' }), describe: pageRows },
    { name: "search: '张伟' on awaiting tab", run: list({ tab: 'awaiting', q: '张伟' }), describe: pageRows },
    { name: "search: 'zz' (2 chars, no match)", run: list({ tab: 'all', q: 'zz' }), describe: pageRows },
    {
      name: `filter: biggest class (${popular.n.toLocaleString('en')} invoices)`,
      run: list({ tab: 'all', course: popular.courseId, classId: popular.classId }),
      describe: pageRows,
    },
    {
      name: 'filter: biggest class + currency + 3 months',
      run: list({
        tab: 'all',
        course: popular.courseId,
        classId: popular.classId,
        currency: popular.currency,
        from: minusDays(lastIssue, 180),
        to: minusDays(lastIssue, 90),
      }),
      describe: pageRows,
    },
    {
      name: 'filter: currency + 3 months, by amount',
      run: list({ tab: 'all', currency: 'MYR', from: minusDays(lastIssue, 180), to: minusDays(lastIssue, 90), sort: 'amount' }),
      describe: pageRows,
    },
    { name: 'filter: class, expired tab', run: list({ tab: 'expired', course: target.courseId, classId: target.classId }), describe: pageRows },
    {
      name: `CSV export: ${exportCurrency} since ${exportFrom}`,
      run: (d) => {
        let n = 0;
        for (const _ of iterateInvoices(d, { tab: 'all', currency: exportCurrency, from: exportFrom, sort: 'issued', dir: 'desc', today: TODAY })) n++;
        return n;
      },
      describe: (r, ms) => `${(r as number).toLocaleString('en')} rows, ${Math.round(((r as number) / ms) * 1000).toLocaleString('en')} rows/s`,
      budgetMs: 4000,
      minRuns: 3,
    },
  ];

  // ---- measure -----------------------------------------------------------------------------
  const rand = random(7);
  const pkLookup = () => findInvoiceById(db, 1 + Math.floor(rand() * count));
  const rows: BenchRow[] = [];
  const scan = compare(pkLookup, () => db.prepare(`SELECT COUNT(*) FROM invoices WHERE buyer_po_number = 'no such PO'`).get(), {
    minRuns: 3,
    budgetMs: 3000,
    warmup: 1,
  });
  rows.push(row('reference: full table scan', scan, 'upper bound: reads every invoice'));

  const planDb = openDatabase(file);
  const recorder = planRecorder(planDb);
  // Tables big enough for a full scan to matter (a scan of a 300-row lookup table is fine).
  const tables = new Set(
    (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE '%WITHOUT ROWID%' AND name NOT LIKE 'sqlite_%'`).all() as {
        name: string;
      }[]
    )
      .map((r) => r.name)
      .filter((t) => ((db.prepare(`SELECT MAX(rowid) AS n FROM "${t}"`).get() as { n: number | null }).n ?? 0) > 10_000),
  );
  const slowMs = Number(ctx.env.BENCH_SLOW_MS ?? 20);
  const plans: string[] = [];
  for (const c of cases) {
    ctx.log(c.name);
    let last: unknown;
    const comparison = compare(pkLookup, () => (last = c.run(db)), { budgetMs: c.budgetMs, minRuns: c.minRuns });
    const statements = recorder.capture(c.run);
    const explained = statements.map((s) => ({ source: s.source, plan: recorder.explain(s) }));
    const lines = explained.flatMap((e) => e.plan);
    const flags = [lines.some((l) => isFullScan(l, tables)) ? 'FULL SCAN' : '', lines.some(usesTempSort) ? 'sorts' : ''].filter(Boolean);
    const described = c.describe?.(last, comparison.subject.medianMs) ?? '';
    rows.push(row(c.name, comparison, [described, ...flags].filter(Boolean).join('; ')));
    if (comparison.subject.medianMs > slowMs || flags.includes('FULL SCAN')) {
      plans.push(
        `${c.name}: median ${comparison.subject.medianMs.toFixed(1)} ms\n` +
          explained
            .map(
              (e) =>
                `  ${e.source
                  .replace(/\s+/g, ' ')
                  .replace(/invoices\.id, seq, number, .*? AS updatedAt/, '<invoice columns>')
                  .slice(0, 600)}\n${e.plan.map((l) => `    ${l}`).join('\n')}`,
            )
            .join('\n'),
      );
    }
  }
  planDb.close();
  db.close();
  if (plans.length > 0) notes.push(`Query plans of cases slower than ${slowMs} ms or reading a whole table:\n\n${plans.join('\n\n')}`);
  return { baseline: 'primary-key lookup of one invoice (findInvoiceById, random id), timed interleaved with each case', rows, notes };
}
