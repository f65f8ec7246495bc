/**
 * Issuing invoices over HTTP: learners submit the billing form (POST /billing/:token) and each
 * gets a numbered invoice, its PDF rendered and stored, and a redirect to the confirmation page
 * that links to the PDF. The portal runs as `npm start` runs it (its own process); the landings
 * that create the billing links are made first and are not timed. Timed: from the first form post
 * until every confirmation page has been fetched and every PDF it links to has been downloaded and
 * checked to be a PDF, 8 learners at a time: the PDF is rendered on a worker thread after the
 * redirect, so "issued" means the learner has it, not only the link.
 *
 * Goal: at least 100 invoices a second. Baseline: GET /healthz over the same connections.
 *
 *   BENCH_ISSUANCE_INVOICES=600   invoices to issue (quick: 40)
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { goal, stats, type BenchContext, type BenchResult } from './harness.js';
import { portalEnv } from './landing.bench.js';
import { cpuTimeOf, startPortalProcess } from './processes.js';
import { signEnrolmentTokens } from './tokens.js';

export const name = 'issuance';
export const description = 'invoices issued per second through the billing form over HTTP, PDF included';

const CONCURRENCY = 8;

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = Number(ctx.env.BENCH_ISSUANCE_INVOICES) || ctx.size(600, 40);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const portal = await startPortalProcess(
    path.join(ctx.tmpDir, 'cwd'),
    portalEnv(path.join(ctx.tmpDir, 'data'), publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  );
  try {
    const form = (body: Record<string, string>) => ({
      method: 'POST',
      redirect: 'manual' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    const billingLinks: string[] = [];
    await inParallel(signEnrolmentTokens(privateKey, 'bench', count + 5), CONCURRENCY, async (jwt) => {
      const response = await fetch(`${portal.url}/enrol`, form({ jwt }));
      await response.arrayBuffer();
      if (response.status !== 303) throw new Error(`landing answered ${response.status}`);
      billingLinks.push(new URL(response.headers.get('location')!).pathname);
    });
    const issue = async (link: string) => {
      const response = await fetch(`${portal.url}${link}`, form({ name: 'Zoë Ωμέγα', email: 'zoe@example.com', country: 'AU' }));
      await response.arrayBuffer();
      if (response.status !== 303) throw new Error(`billing form answered ${response.status}`);
      return new URL(response.headers.get('location')!).pathname;
    };
    // Warm-up (the first PDF starts the render worker, which loads the renderer and fonts): not
    // timed, and over only when those PDFs can be downloaded.
    const warm = billingLinks.splice(0, 5);
    for (const link of warm) {
      const html = await (await fetch(`${portal.url}${await issue(link)}`)).text();
      const href = /href="([^"]+\.pdf)"/.exec(html)?.[1];
      if (!href) throw new Error(`no PDF link on the warm-up confirmation page`);
      await (await fetch(`${portal.url}${href}`)).arrayBuffer();
    }

    const confirmations: string[] = [];
    const latencies: number[] = [];
    const cpuBefore = cpuTimeOf(portal.pid);
    const started = performance.now();
    await inParallel(billingLinks, CONCURRENCY, async (link) => {
      const t = performance.now();
      confirmations.push(await issue(link));
      latencies.push(performance.now() - t);
    });
    // Each confirmation page links to its PDF; a PDF still rendering is awaited by its download.
    const pdfLinks: string[] = [];
    await inParallel(confirmations, CONCURRENCY, async (confirmation) => {
      const html = await (await fetch(`${portal.url}${confirmation}`)).text();
      const href = /href="([^"]+\.pdf)"/.exec(html)?.[1];
      if (!href) throw new Error(`no PDF link on ${confirmation}`);
      pdfLinks.push(href);
    });
    let bytes = 0;
    await inParallel(pdfLinks, CONCURRENCY, async (href) => {
      const pdf = Buffer.from(await (await fetch(`${portal.url}${href}`)).arrayBuffer());
      if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new Error(`${href} is not a PDF`);
      bytes += pdf.length;
    });
    const issuedMs = performance.now() - started;
    const cpuAfter = cpuTimeOf(portal.pid);
    // Portal CPU per invoice, whatever else the machine ran: what a core each would allow.
    const mainCpuMs = (cpuAfter.mainMs - cpuBefore.mainMs) / billingLinks.length;
    const otherCpuMs = (cpuAfter.otherMs - cpuBefore.otherMs) / billingLinks.length;
    const health: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await (await fetch(`${portal.url}/healthz`)).arrayBuffer();
      health.push(performance.now() - t);
    }
    const perSecond = (billingLinks.length / issuedMs) * 1000;
    const s = stats(latencies);
    const h = stats(health);
    return {
      baseline: 'GET /healthz on the same server',
      rows: [
        {
          case: `POST billing form, ${CONCURRENCY} at a time (invoice + PDF)`,
          medianMs: s.medianMs,
          p95Ms: s.p95Ms,
          baselineMs: h.medianMs,
          ratio: s.medianMs / h.medianMs,
          runs: s.runs,
          note: `${Math.round(perSecond)} invoices/s to the last PDF downloaded; ${Math.round(bytes / pdfLinks.length / 1024)} kB a PDF`,
        },
      ],
      notes: [
        `Portal CPU per invoice during the timed part: ${mainCpuMs.toFixed(1)} ms on the event loop's thread, ${otherCpuMs.toFixed(1)} ms on its other threads ` +
          `(PDF render worker, token verification, checkpoints, GC helpers); with a core for each, the portal alone could issue about ` +
          `${Math.round(1000 / Math.max(mainCpuMs, otherCpuMs, 0.1))} a second (the load generator shares the same cores).`,
      ],
      goals: [
        goal(
          'invoices issued per second over HTTP, PDF included',
          perSecond,
          'min',
          100,
          '/s',
          `${billingLinks.length} invoices in ${Math.round(issuedMs)} ms`,
        ),
      ],
    };
  } finally {
    await portal.close();
  }
}
