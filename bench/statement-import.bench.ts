/**
 * Importing a bank statement through the database, as the Statements page and
 * `portal statements import` do: read the file (a 10,000-line Wise CSV), load the open invoices
 * from SQLite, match every line, and store the statement and its lines in one transaction. The
 * budget is the issue's: at most 3 s for 10,000 lines against 100,000 open invoices.
 *
 * The database is the invoice-list bench's seed (bench/seed.ts): about a quarter of its invoices
 * are open (awaiting payment, partially paid, or expired), so 400,000 seeded give about 100,000
 * open ones. Each timed import is a different file (other transfer ids), so no line is skipped as
 * a duplicate. Baseline: parsing the same file alone.
 *
 *   BENCH_IMPORT_INVOICES=40000 BENCH_IMPORT_LINES=1000   a smaller run (the --quick size)
 */
import { generateKeyPairSync } from 'node:crypto';
import { BENCH_PORTAL_ENV } from './portal-env.js';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { BUILT_IN_CSV_PROFILES, parseStatement, type CsvProfile } from '../src/clients/statements/index.js';
import { COMMAND_LINE_ACTOR } from '../src/commands/actors.js';
import { importStatement, type ImportSummary } from '../src/commands/statements.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connection.js';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { openInvoicesForMatching } from '../src/db/statements.js';
import { minorToDecimalString } from '../src/domain/money.js';
import { createViews } from '../src/views.js';
import { compare, goal, row, type BenchContext, type BenchResult } from './harness.js';
import { SettableClock } from './portal-fixture.js';
import { random, seedDatabase } from './seed.js';
import { statementLines } from './statement-matching.bench.js';

export const name = 'statement-import';
export const description = 'importing a 10,000-line statement through the database against about 100,000 open invoices';

const BUDGET_MS = 3_000;
const TODAY = '2026-11-26';

export async function run(ctx: BenchContext): Promise<BenchResult> {
  // Quick: a tenth of each, still a statement through parse, load, match and store.
  const seeded = Number(ctx.env.BENCH_IMPORT_INVOICES) || ctx.size(400_000, 40_000);
  const lineCount = Number(ctx.env.BENCH_IMPORT_LINES) || ctx.size(10_000, 1_000);
  const file = path.join(ctx.tmpDir, `statement-import-${seeded}.db`);
  ctx.log(`seeding ${seeded.toLocaleString('en')} invoices into ${file}`);
  const migrationsDir = path.join(ctx.root, 'src', 'db', 'migrations');
  const seed = seedDatabase(file, { count: seeded, today: TODAY, migrationsDir, log: ctx.log });
  const db = openDatabase(file);
  migrate(db, readMigrations(migrationsDir));
  const config = loadConfig(
    {
      PUBLIC_URL: 'http://127.0.0.1:9',
      DATA_DIR: ctx.tmpDir,
      OPENLEARNING_PUBLIC_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ...BENCH_PORTAL_ENV,
      PAYMENT_TOLERANCE: '0.50',
    },
    { readDotEnv: false },
  );
  const deps = {
    db,
    config,
    clock: new SettableClock(),
    views: createViews({ timeZone: config.timeZone, publicUrl: config.publicUrl, sandbox: false }),
    background: { kick: () => undefined },
  };
  try {
    const open = openInvoicesForMatching(db);
    const lines = statementLines(open, lineCount, random(20261126)).map((g) => g.line);
    const header = ['TransferWise ID', 'Date', 'Amount', 'Currency', 'Description', 'Payment Reference', 'Running Balance', 'Payer Name'];
    let files = 0;
    // A different file each time: other transfer ids, so every line is new to the database.
    const statementFile = () => {
      const n = ++files;
      const rows = lines.map((line, i) => [
        `TRANSFER-${n}-${i}`,
        '01-07-2026',
        minorToDecimalString(line.amountMinor, line.currency),
        line.currency,
        `Received money from ${line.payerName ?? 'someone'}`,
        line.remittance,
        '0.00',
        line.payerName ?? '',
      ]);
      return Buffer.from(stringify([header, ...rows]));
    };
    const wise = BUILT_IN_CSV_PROFILES.wise as CsvProfile;
    const prepared = Array.from({ length: 12 }, statementFile);
    let next = 0;
    let last: ImportSummary | undefined;
    const importNext = () => {
      const bytes = prepared[next++ % prepared.length]!;
      last = importStatement(deps, COMMAND_LINE_ACTOR, { bytes, fileName: `wise-${next}.csv`, format: 'csv', csvProfile: 'wise' }).summary;
    };
    const parseOnly = () => parseStatement(prepared[0]!, { format: 'csv', csvProfile: wise });

    const whole = compare(parseOnly, importNext, { minRuns: 3, maxRuns: 5, warmup: 1, budgetMs: 1 });
    const summary = last!;
    if (summary.credits !== lineCount || summary.duplicates !== 0 || summary.exact === 0) {
      throw new Error(`unexpected import: ${JSON.stringify(summary)}`);
    }
    const within = whole.subject.medianMs <= BUDGET_MS ? 'within' : 'OVER';
    return {
      baseline: `parsing the ${lineCount.toLocaleString('en')}-line CSV alone`,
      rows: [
        row(
          `import ${lineCount.toLocaleString('en')} lines against ${open.length.toLocaleString('en')} open invoices`,
          whole,
          `${within} the ${BUDGET_MS / 1000} s budget (p95 ${(whole.subject.p95Ms / 1000).toFixed(2)} s)`,
        ),
      ],
      goals: [
        goal(
          `import ${lineCount.toLocaleString('en')} statement lines against ${open.length.toLocaleString('en')} open invoices (read, match, store)`,
          whole.subject.medianMs / 1000,
          'max',
          BUDGET_MS / 1000,
          's',
          `p95 ${(whole.subject.p95Ms / 1000).toFixed(2)} s; ${(whole.subject.medianMs / whole.baseline.medianMs).toFixed(1)}x parsing the file alone`,
        ),
      ],
      notes: [
        `Seeded ${seed.invoices.toLocaleString('en')} invoices in ${(seed.seedMs / 1000).toFixed(1)} s, ${open.length.toLocaleString('en')} of them open.`,
        `Last import: ${JSON.stringify(summary)}.`,
      ],
    };
  } finally {
    db.close();
  }
}
