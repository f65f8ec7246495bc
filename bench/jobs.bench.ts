/**
 * The expiry job at scale, and the portal starting on a big database.
 *
 * 1. A database of 1,000,000 invoices (the finance desk's data set, bench/seed.ts) plus 100,000
 *    stale unpaid invoices (BENCH_JOB_INVOICES). expire-invoices expires every stale one (status
 *    change, timeline entry, email in the outbox) in batches, while a client posts landings
 *    (POST /enrol, distinct RS256 tokens) back to back and the event loop's delay is sampled.
 *    Baseline: the same client and sampler with no job running.
 * 2. On the same database, the portal as `npm start` runs it (its own process): milliseconds from
 *    spawning it to the first healthy /healthz, and its resident memory while staff page through the
 *    finance desk's list over HTTP.
 *
 *   BENCH_JOB_TOTAL=1000000    invoices in the database (quick: 20,000)
 *   BENCH_JOB_INVOICES=100000  of which stale (quick: 2,000)
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seedInvoices } from '../test/helpers/seed.js';
import { goal, stats, type BenchContext, type BenchResult, type BenchRow } from './harness.js';
import { portalEnv } from './landing.bench.js';
import { startPortalFixture, type PortalFixture } from './portal-fixture.js';
import { startPortalProcess } from './processes.js';
import { seedDatabase, seedReference } from './seed.js';

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
    const response = await fetch(`${fixture.url}/enrol`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `jwt=${jwt}`,
    });
    await response.arrayBuffer();
    latencies.push(performance.now() - t);
    if (response.status !== 303) refused++;
  }
  histogram.disable();
  return { latencies, refused, delayMaxMs: histogram.max / 1e6, delayP99Ms: histogram.percentile(99) / 1e6, ms: performance.now() - started };
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

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const stale = Number(ctx.env.BENCH_JOB_INVOICES) || ctx.size(100_000, 2_000);
  const total = Number(ctx.env.BENCH_JOB_TOTAL) || ctx.size(1_000_000, 20_000);
  const dataDir = path.join(ctx.tmpDir, 'data');
  const seeding = performance.now();
  // The finance desk's data set, dated so that its own few thousand open invoices are recent.
  seedDatabase(path.join(dataDir, 'portal.db'), {
    count: total - stale,
    today: '2026-10-20',
    migrationsDir: path.join(ctx.root, 'src', 'db', 'migrations'),
    log: ctx.log,
  });
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fixture = await startPortalFixture(ctx.tmpDir, { dataDir, keys });
  let closed = false;
  try {
    // References from the same bijection as the bulk seed's, so the two sets never collide.
    seedInvoices(fixture.portal.deps, stale, { reference: seedReference });
    ctx.log(
      `seeded ${total.toLocaleString('en')} invoices (${stale.toLocaleString('en')} to go stale) in ${Math.round((performance.now() - seeding) / 1000)} s`,
    );
    fixture.clock.advanceDays(31);
    const tokens = await signTokens(fixture, ctx.size(6_000, 1_000));
    const toExpire = fixture.portal.deps.db
      .prepare(`SELECT COUNT(*) FROM invoices WHERE status = 'awaiting_payment' AND expires_at <= ?`)
      .pluck()
      .get(fixture.clock.now().toISOString()) as number;

    const job = fixture.portal.runner.run('expire-invoices');
    const during = await measure(fixture, tokens, job);
    const run = await job;
    await fixture.portal.runner.stop(); // the job kicked deliver-mail; not part of this measurement
    const idle = await measure(fixture, tokens, new Promise((resolve) => setTimeout(resolve, Math.min(during.ms, 5_000))));
    await fixture.close();
    closed = true;

    // The same database under `npm start`: start time, then memory while the desk's list is paged.
    const server = await startPortalProcess(
      path.join(ctx.tmpDir, 'cwd'),
      portalEnv(dataDir, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    );
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

    const busy = stats(during.latencies);
    const quiet = stats(idle.latencies);
    const expired = run.counts.expired ?? 0;
    const rows: BenchRow[] = [
      {
        case: `POST /enrol while expire-invoices expires ${expired.toLocaleString('en')} of ${total.toLocaleString('en')}`,
        medianMs: busy.medianMs,
        p95Ms: busy.p95Ms,
        baselineMs: quiet.medianMs,
        ratio: busy.medianMs / quiet.medianMs,
        runs: busy.runs,
        note: `max ${Math.max(...during.latencies).toFixed(1)} ms vs ${Math.max(...idle.latencies).toFixed(1)} ms idle${during.refused ? `; ${during.refused} not 303` : ''}`,
      },
      {
        case: 'event-loop delay during the job: max (p99)',
        medianMs: during.delayMaxMs,
        p95Ms: during.delayP99Ms,
        baselineMs: idle.delayMaxMs,
        ratio: during.delayMaxMs / idle.delayMaxMs,
        runs: 1,
        note: `idle max ${idle.delayMaxMs.toFixed(1)} ms`,
      },
      {
        case: 'the job itself',
        medianMs: run.ms,
        p95Ms: run.ms,
        baselineMs: quiet.medianMs,
        ratio: run.ms / quiet.medianMs,
        runs: 1,
        note: `${expired.toLocaleString('en')} expired, ${Math.round((expired / run.ms) * 1000).toLocaleString('en')} invoices/s, ${busy.runs} landings answered meanwhile`,
      },
    ];
    const fullSize = stale >= 100_000 && total >= 1_000_000;
    return {
      baseline: 'POST /enrol with no job running (same client, same process)',
      rows,
      goals: [
        goal(
          `expire ${stale.toLocaleString('en')} stale among ${total.toLocaleString('en')}`,
          run.ms / 1000,
          'max',
          (10 * stale) / 100_000,
          's',
          `${expired.toLocaleString('en')} expired (${toExpire.toLocaleString('en')} were due)${fullSize ? '' : '; limit scaled to this size'}`,
        ),
        goal(
          'event-loop pause during expiry',
          during.delayMaxMs,
          'max',
          100,
          'ms',
          `p99 ${during.delayP99Ms.toFixed(1)} ms; idle max ${idle.delayMaxMs.toFixed(1)} ms`,
        ),
        goal(`npm start to healthy /healthz, ${total.toLocaleString('en')} invoices`, server.startMs, 'max', 1000, 'ms'),
        goal('server RSS while paging the finance desk', rssMax / 1048576, 'max', 250, 'MB', `${pages} list pages`),
      ],
      notes: ['"median ms" of the event-loop row is the maximum delay seen, "p95 ms" its 99th percentile.'],
    };
  } finally {
    if (!closed) await fixture.close();
  }
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
