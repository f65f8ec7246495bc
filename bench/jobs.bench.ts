/**
 * The expiry job at scale, and the portal starting on a big database.
 *
 * 1. A database of 1,000,000 invoices (the finance desk's data set, bench/seed.ts) plus 100,000
 *    stale unpaid invoices (BENCH_JOB_INVOICES). expire-invoices expires every stale one (status
 *    change, timeline entry, email in the outbox) in batches, while a client posts landings
 *    (POST /enrol, distinct RS256 tokens) back to back and the event loop's delay is sampled.
 *    The same is done with the job as it was when issue #13 was filed and as it was before this
 *    change (expire-invoices-baselines.ts), each on its own copy of the seeded database, in
 *    alternating order (BENCH_JOB_ROUNDS rounds), so the goal is a ratio measured in one run.
 *    Baseline of the landing rows: the same client and sampler with no job running.
 * 2. On the same database, the portal as `npm start` runs it (its own process): milliseconds from
 *    spawning it to the first healthy /healthz, and its resident memory while staff page through the
 *    finance desk's list over HTTP.
 *
 *   BENCH_JOB_TOTAL=1000000    invoices in the database (quick: 20,000)
 *   BENCH_JOB_INVOICES=100000  of which stale (quick: 2,000)
 *   BENCH_JOB_ROUNDS=2         runs of each version of the job (quick: 1)
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seedInvoices } from '../test/helpers/seed.js';
import { goal, stats, type BenchContext, type BenchResult, type BenchRow } from './harness.js';
import { portalEnv } from './landing.bench.js';
import { startPortalFixture, type PortalFixture } from './portal-fixture.js';
import { startPortalProcess } from './processes.js';
import { seedDatabase, seedReference } from './seed.js';
import { expireInvoicesPerInvoice, expireInvoicesReturning, ISSUE_INDEXES_SQL, type ExpiryCounts } from './expire-invoices-baselines.js';
import { openDatabase } from '../src/db/connection.js';
import type { Deps } from '../src/deps.js';
import { expireInvoices } from '../src/jobs/expire-invoices.js';
import { defaultJobContext, type JobContext } from '../src/jobs/job.js';

export const name = 'jobs';
export const description = 'expire-invoices over 100,000 stale invoices among 1,000,000 while landings are answered; start time and memory on that database';

interface Window {
  latencies: number[];
  refused: number;
  delayMaxMs: number;
  delayP99Ms: number;
  ms: number;
}

/** Landings back to back until `until` resolves, sampling the event loop meanwhile. */
async function measure(fixture: PortalFixture, tokens: string[], until: Promise<unknown>): Promise<Window> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  let refused = 0;
  const started = performance.now();
  histogram.enable();
  while (!done) {
    const jwt = tokens.pop();
    if (!jwt) throw new Error('jobs bench: ran out of signed tokens; sign more');
    const t = performance.now();
    const status = await postLanding(fixture, jwt);
    latencies.push(performance.now() - t);
    if (status !== 303) refused++;
  }
  histogram.disable();
  return { latencies, refused, delayMaxMs: histogram.max / 1e6, delayP99Ms: histogram.percentile(99) / 1e6, ms: performance.now() - started };
}

/** Landings posted to each new portal before its job, so the first one's compiling is not timed. */
const WARM_UP_LANDINGS = 20;

async function warmUp(fixture: PortalFixture, tokens: string[]): Promise<void> {
  for (const jwt of tokens) await postLanding(fixture, jwt);
}

/** "Join now": POST /enrol with a signed token; the answer's status (303 when accepted). */
async function postLanding(fixture: PortalFixture, jwt: string): Promise<number> {
  const response = await fetch(`${fixture.url}/enrol`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `jwt=${jwt}`,
  });
  await response.arrayBuffer();
  return response.status;
}

async function signTokens(fixture: PortalFixture, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    tokens.push(
      await fixture.sign({
        jti: randomUUID(),
        sub: `jobs-learner-${i}`,
        course: 'course-1',
        class: `class-${i}`,
        title: 'Introduction to Marine Biology',
        currency: 'AUD',
        price: '1100.00',
        redirect_url: 'https://www.openlearning.com/c/',
      }),
    );
  }
  return tokens;
}

/** One expiry run on its own copy of the database: the job's time, its counts, and the landings answered meanwhile. */
interface ExpiryRun {
  variant: Variant;
  ms: number;
  expired: number;
  held: number;
  during: Window;
}

type Variant = 'per-invoice' | 'returning' | 'now';

const VARIANTS: Record<Variant, { label: string; issueIndexes: boolean; job: (deps: Deps, context: JobContext) => Promise<ExpiryCounts> }> = {
  'per-invoice': { label: 'as filed: UPDATE + SELECT per invoice, indexes as they were', issueIndexes: true, job: expireInvoicesPerInvoice },
  returning: { label: 'before this change: UPDATE ... RETURNING, indexes as they were', issueIndexes: true, job: expireInvoicesReturning },
  now: {
    label: 'now (src/jobs/expire-invoices.ts, current migrations)',
    issueIndexes: false,
    job: async (deps, context) => {
      const counts = await expireInvoices(deps, context);
      return { expired: counts.expired ?? 0, held: counts.heldPartiallyPaid ?? 0 };
    },
  },
};

/** Copies the seeded database (closed, so the WAL is folded in) to a fresh data directory. */
function copyDatabase(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const suffix of ['', '-wal']) {
    if (fs.existsSync(path.join(from, `portal.db${suffix}`))) fs.copyFileSync(path.join(from, `portal.db${suffix}`), path.join(to, `portal.db${suffix}`));
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const stale = Number(ctx.env.BENCH_JOB_INVOICES) || ctx.size(100_000, 2_000);
  const total = Number(ctx.env.BENCH_JOB_TOTAL) || ctx.size(1_000_000, 20_000);
  const rounds = Number(ctx.env.BENCH_JOB_ROUNDS) || ctx.size(2, 1);
  const seededDir = path.join(ctx.tmpDir, 'seeded');
  const seeding = performance.now();
  // The finance desk's data set, dated so that its own few thousand open invoices are recent.
  seedDatabase(path.join(seededDir, 'portal.db'), {
    count: total - stale,
    today: '2026-10-20',
    migrationsDir: path.join(ctx.root, 'src', 'db', 'migrations'),
    log: ctx.log,
  });
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const seeder = await startPortalFixture(ctx.tmpDir, { dataDir: seededDir, keys });
  let tokens: string[];
  let toExpire: number;
  try {
    // References from the same bijection as the bulk seed's, so the two sets never collide.
    seedInvoices(seeder.portal.deps, stale, { reference: seedReference });
    seeder.clock.advanceDays(31);
    // Each run gets a fresh copy of the database, so the same tokens are new to each.
    tokens = await signTokens(seeder, ctx.size(4_000, 800));
    toExpire = seeder.portal.deps.db
      .prepare(`SELECT COUNT(*) FROM invoices WHERE status = 'awaiting_payment' AND expires_at <= ?`)
      .pluck()
      .get(seeder.clock.now().toISOString()) as number;
  } finally {
    await seeder.close();
  }
  ctx.log(`seeded ${total.toLocaleString('en')} invoices (${stale.toLocaleString('en')} to go stale) in ${Math.round((performance.now() - seeding) / 1000)} s`);

  // Old, new, new, old, old, new...: each variant on its own copy, alternating so that a slow
  // stretch of the shared machine falls on both alike.
  const order: Variant[] = [];
  for (let round = 0; round < rounds; round++) {
    const pass: Variant[] = ['per-invoice', 'returning', 'now'];
    order.push(...(round % 2 === 0 ? pass : pass.reverse()));
  }
  const runs: ExpiryRun[] = [];
  const dataDir = path.join(ctx.tmpDir, 'data');
  let idle: Window | undefined;
  for (const [index, variant] of order.entries()) {
    copyDatabase(seededDir, dataDir);
    if (VARIANTS[variant].issueIndexes) {
      const db = openDatabase(path.join(dataDir, 'portal.db'));
      db.exec(ISSUE_INDEXES_SQL);
      db.close();
    }
    const fixture = await startPortalFixture(ctx.tmpDir, { dataDir, keys });
    try {
      fixture.clock.advanceDays(31);
      await warmUp(fixture, tokens.slice(0, WARM_UP_LANDINGS));
      // The mail worker is held: the bench's mailer answers at once, so delivering the emails the
      // job queues would take the CPU as no SMTP server would let it, and that is not the expiry.
      await fixture.portal.runner.stop();
      const started = performance.now();
      const job = VARIANTS[variant].job(fixture.portal.deps, defaultJobContext).then((counts) => ({ ...counts, ms: performance.now() - started }));
      const during = await measure(fixture, tokens.slice(WARM_UP_LANDINGS), job);
      const { expired, held, ms } = await job;
      runs.push({ variant, ms, expired, held, during });
      ctx.log(
        `${variant}: ${expired.toLocaleString('en')} expired, ${held.toLocaleString('en')} held, in ${(ms / 1000).toFixed(1)} s, longest pause ${during.delayMaxMs.toFixed(0)} ms`,
      );
      // The landings with no job running, once, on the last copy (its job is done).
      if (index === order.length - 1)
        idle = await measure(fixture, tokens.slice(WARM_UP_LANDINGS), new Promise((resolve) => setTimeout(resolve, Math.min(during.ms, 5_000))));
    } finally {
      await fixture.close();
    }
  }

  // The same database (as the current code left it) under `npm start`: start time, then memory while the desk's list is paged.
  const server = await startPortalProcess(path.join(ctx.tmpDir, 'cwd'), portalEnv(dataDir, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()));
  let rssMax = 0;
  let pages = 0;
  try {
    const cookie = await signIn(server.url);
    const until = performance.now() + ctx.size(10_000, 1_000);
    const tabs = ['all', 'awaiting', 'overdue', 'paid', 'expired', 'enrolled'];
    while (performance.now() < until) {
      const response = await fetch(`${server.url}/admin?tab=${tabs[pages % tabs.length]}${pages % 3 === 0 ? '&q=gmail' : ''}`, { headers: { cookie } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`finance desk answered ${response.status}`);
      pages++;
      rssMax = Math.max(rssMax, server.rssBytes());
    }
  } finally {
    await server.close();
  }

  const of = (variant: Variant) => runs.filter((r) => r.variant === variant);
  const medianMs = (variant: Variant) => stats(of(variant).map((r) => r.ms)).medianMs;
  const nowRuns = of('now');
  for (const r of runs) {
    if (r.expired !== toExpire) throw new Error(`jobs bench: ${r.variant} expired ${r.expired} of the ${toExpire} due`);
    if (r.held !== runs[0]!.held) throw new Error(`jobs bench: ${r.variant} held ${r.held} partially paid invoices, ${runs[0]!.variant} ${runs[0]!.held}`);
  }
  const during: Window = {
    latencies: nowRuns.flatMap((r) => r.during.latencies),
    refused: nowRuns.reduce((n, r) => n + r.during.refused, 0),
    delayMaxMs: Math.max(...nowRuns.map((r) => r.during.delayMaxMs)),
    delayP99Ms: Math.max(...nowRuns.map((r) => r.during.delayP99Ms)),
    ms: nowRuns.reduce((n, r) => n + r.during.ms, 0),
  };
  const quietWindow = idle!;
  const busy = stats(during.latencies);
  const quiet = stats(quietWindow.latencies);
  const nowMs = medianMs('now');
  const perInvoiceMs = medianMs('per-invoice');
  const returningMs = medianMs('returning');
  const perSecond = (ms: number) => `${Math.round((toExpire / ms) * 1000).toLocaleString('en')} invoices/s`;
  const jobRow = (variant: Variant, baselineMs: number): BenchRow => {
    const times = of(variant).map((r) => r.ms);
    const s = stats(times);
    return {
      case: `expiry, ${VARIANTS[variant].label}`,
      medianMs: s.medianMs,
      p95Ms: s.p95Ms,
      baselineMs,
      ratio: s.medianMs / baselineMs,
      runs: s.runs,
      note: `${perSecond(s.medianMs)}; runs ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s; longest pause ${Math.max(...of(variant).map((r) => r.during.delayMaxMs)).toFixed(0)} ms`,
    };
  };
  const rows: BenchRow[] = [
    jobRow('now', perInvoiceMs),
    jobRow('returning', perInvoiceMs),
    jobRow('per-invoice', perInvoiceMs),
    {
      case: `POST /enrol while expire-invoices expires ${toExpire.toLocaleString('en')} of ${total.toLocaleString('en')}`,
      medianMs: busy.medianMs,
      p95Ms: busy.p95Ms,
      baselineMs: quiet.medianMs,
      ratio: busy.medianMs / quiet.medianMs,
      runs: busy.runs,
      note: `max ${Math.max(...during.latencies).toFixed(1)} ms vs ${Math.max(...quietWindow.latencies).toFixed(1)} ms idle${during.refused ? `; ${during.refused} not 303` : ''}`,
    },
    {
      case: 'event-loop delay during the job: max (p99)',
      medianMs: during.delayMaxMs,
      p95Ms: during.delayP99Ms,
      baselineMs: quietWindow.delayMaxMs,
      ratio: during.delayMaxMs / quietWindow.delayMaxMs,
      runs: nowRuns.length,
      note: `idle max ${quietWindow.delayMaxMs.toFixed(1)} ms`,
    },
  ];
  const fullSize = stale >= 100_000 && total >= 1_000_000;
  return {
    baseline: 'expiry rows: the job as filed (per-invoice UPDATE + SELECT) on a copy of the same database; landing rows: POST /enrol with no job running',
    rows,
    goals: [
      goal(
        'expiry now / as filed, same run',
        nowMs / perInvoiceMs,
        'max',
        0.55,
        'x',
        `${(nowMs / 1000).toFixed(1)} s against ${(perInvoiceMs / 1000).toFixed(1)} s; ${(nowMs / returningMs).toFixed(2)}x the UPDATE ... RETURNING version (${(returningMs / 1000).toFixed(1)} s); ${rounds} round(s)`,
      ),
      goal(
        `expire ${stale.toLocaleString('en')} stale among ${total.toLocaleString('en')}`,
        nowMs / 1000,
        'max',
        (10 * stale) / 100_000,
        's',
        `${toExpire.toLocaleString('en')} were due${fullSize ? '' : '; limit scaled to this size'}`,
      ),
      goal(
        'event-loop pause during expiry',
        during.delayMaxMs,
        'max',
        100,
        'ms',
        `p99 ${during.delayP99Ms.toFixed(1)} ms; idle max ${quietWindow.delayMaxMs.toFixed(1)} ms`,
      ),
      goal(`npm start to healthy /healthz, ${total.toLocaleString('en')} invoices`, server.startMs, 'max', 1000, 'ms'),
      goal('server RSS while paging the finance desk', rssMax / 1048576, 'max', 250, 'MB', `${pages} list pages`),
    ],
    notes: [
      "Expiry rows: the ratio divides by the as-filed job's median; each run had its own copy of the seeded database, in alternating order.",
      '"median ms" of the event-loop row is the maximum delay seen, "p95 ms" its 99th percentile.',
    ],
  };
}

/** Signs in to the finance desk through its form (double-submit CSRF token) and returns the session cookie. */
async function signIn(url: string): Promise<string> {
  const login = await fetch(`${url}/admin/login`);
  await login.arrayBuffer();
  const loginCookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = loginCookie.split('=')[1]!;
  const signedIn = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie, origin: url },
    body: new URLSearchParams({ email: 'admin@example.edu', password: 'bench admin password', _csrf: token }).toString(),
  });
  await signedIn.arrayBuffer();
  const cookie = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => !c!.endsWith('='))
    .join('; ');
  if (!cookie) throw new Error(`finance desk sign-in failed (${signedIn.status})`);
  return cookie;
}
