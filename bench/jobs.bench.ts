/**
 * Does the web server stay responsive while a scheduled job works through 100,000 invoices?
 * expire-invoices expires each one (status change, timeline entry, rendered email in the outbox)
 * in time-budgeted batches. Meanwhile a client asks GET /healthz back to back, and the event loop's
 * delay is sampled. Baseline: the same client and sampler with no job running.
 *
 *   BENCH_JOB_INVOICES=20000   a smaller run
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seedInvoices } from '../test/helpers/seed.js';
import { stats, type BenchContext, type BenchResult } from './harness.js';
import { startPortalFixture } from './portal-fixture.js';

export const name = 'jobs';
export const description = 'event-loop delay and HTTP latency while expire-invoices works through 100,000 invoices';

interface Window {
  latencies: number[];
  delayMaxMs: number;
  delayP99Ms: number;
  ms: number;
}

/** GET /healthz back to back until `until` resolves, sampling the event loop meanwhile. */
async function measure(url: string, until: Promise<unknown>): Promise<Window> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  const started = performance.now();
  histogram.enable();
  while (!done) {
    const t = performance.now();
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    latencies.push(performance.now() - t);
  }
  histogram.disable();
  return { latencies, delayMaxMs: histogram.max / 1e6, delayP99Ms: histogram.percentile(99) / 1e6, ms: performance.now() - started };
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = Number(ctx.env.BENCH_JOB_INVOICES) || 100_000;
  const fixture = await startPortalFixture(ctx.tmpDir);
  try {
    const seeding = performance.now();
    seedInvoices(fixture.portal.deps, count);
    ctx.log(`jobs: seeded ${count} invoices in ${Math.round(performance.now() - seeding)} ms`);
    fixture.clock.advanceDays(31);

    const job = fixture.portal.runner.run('expire-invoices');
    const during = await measure(fixture.url, job);
    const run = await job;
    await fixture.portal.runner.stop(); // the job kicked deliver-mail; not part of this measurement
    const idle = await measure(fixture.url, new Promise((resolve) => setTimeout(resolve, Math.min(during.ms, 5_000))));

    const busy = stats(during.latencies);
    const quiet = stats(idle.latencies);
    const expired = run.counts.expired ?? 0;
    return {
      baseline: 'GET /healthz with no job running (same client, same process)',
      rows: [
        {
          case: `GET /healthz while expire-invoices expires ${count.toLocaleString('en')} invoices`,
          medianMs: busy.medianMs,
          p95Ms: busy.p95Ms,
          baselineMs: quiet.medianMs,
          ratio: busy.medianMs / quiet.medianMs,
          runs: busy.runs,
          note: `max ${Math.max(...during.latencies).toFixed(1)} ms vs ${Math.max(...idle.latencies).toFixed(1)} ms idle`,
        },
        {
          case: 'event-loop delay during the job: max (p99)',
          medianMs: during.delayMaxMs,
          p95Ms: during.delayP99Ms,
          baselineMs: idle.delayMaxMs,
          ratio: during.delayMaxMs / idle.delayMaxMs,
          runs: 1,
          note: `${during.delayMaxMs < 100 ? 'under' : 'OVER'} the 100 ms limit; idle max ${idle.delayMaxMs.toFixed(1)} ms`,
        },
        {
          case: 'the job itself',
          medianMs: run.ms,
          p95Ms: run.ms,
          baselineMs: quiet.medianMs,
          ratio: run.ms / quiet.medianMs,
          runs: 1,
          note: `${expired.toLocaleString('en')} expired, ${Math.round((expired / run.ms) * 1000).toLocaleString('en')} invoices/s, ${busy.runs} requests answered meanwhile`,
        },
      ],
      notes: ['"median ms" of the event-loop row is the maximum delay seen, "p95 ms" its 99th percentile.'],
    };
  } finally {
    await fixture.close();
  }
}
