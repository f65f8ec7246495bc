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
import http from 'node:http';
import path from 'node:path';
import { goal, stats, type BenchContext, type BenchResult } from './harness.js';
import { portalEnv } from './landing.bench.js';
import { cpuTimeOf, startPortalProcess } from './processes.js';
import { signEnrolmentTokens } from './tokens.js';

export const name = 'issuance';
export const description = 'invoices issued per second through the billing form over HTTP, PDF included';

const CONCURRENCY = 8;

interface Answer {
  status: number;
  location: string | undefined;
  body: Buffer;
}

/**
 * The learners' side: node:http over CONCURRENCY keep-alive connections. fetch() cost the bench
 * process about 6 ms of CPU an invoice on the same 2 cores as the portal; this a fraction of it.
 */
function httpClient(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const request = (pathname: string, form?: Record<string, string>) =>
    new Promise<Answer>((resolve, reject) => {
      const body = form ? new URLSearchParams(form).toString() : undefined;
      const req = http.request(
        `${base}${pathname}`,
        {
          agent,
          method: body === undefined ? 'GET' : 'POST',
          headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

/** The path of a 303's Location. */
function redirectPath(answer: Answer, what: string): string {
  if (answer.status !== 303 || !answer.location) throw new Error(`${what} answered ${answer.status}`);
  return new URL(answer.location, 'http://portal').pathname;
}

function pdfLink(html: string, where: string): string {
  const href = /href="([^"]+\.pdf)"/.exec(html)?.[1];
  if (!href) throw new Error(`no PDF link on ${where}`);
  return href;
}

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
  const WARM_UP = ctx.size(80, 10);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const portal = await startPortalProcess(
    path.join(ctx.tmpDir, 'cwd'),
    portalEnv(path.join(ctx.tmpDir, 'data'), publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  );
  const client = httpClient(portal.url);
  try {
    const billingLinks: string[] = [];
    await inParallel(signEnrolmentTokens(privateKey, 'bench', count + WARM_UP), CONCURRENCY, async (jwt) => {
      billingLinks.push(redirectPath(await client.request('/enrol', { jwt }), 'landing'));
    });
    const issue = async (link: string) =>
      redirectPath(await client.request(link, { name: 'Zoë Ωμέγα', email: 'zoe@example.com', country: 'AU' }), 'billing form');
    // Warm-up, not timed: invoices issued CONCURRENCY at a time, as in the timed part, so that every
    // render worker the portal starts under this load has started (loading the renderer and fonts)
    // and its code is compiled; over only when those PDFs can be downloaded.
    const warm = billingLinks.splice(0, WARM_UP);
    await inParallel(warm, CONCURRENCY, async (link) => {
      const confirmation = await issue(link);
      await client.request(pdfLink((await client.request(confirmation)).body.toString(), confirmation));
    });

    const confirmations: string[] = [];
    const latencies: number[] = [];
    const cpuBefore = cpuTimeOf(portal.pid);
    const clientCpuBefore = process.cpuUsage();
    const started = performance.now();
    await inParallel(billingLinks, CONCURRENCY, async (link) => {
      const t = performance.now();
      confirmations.push(await issue(link));
      latencies.push(performance.now() - t);
    });
    // Each confirmation page links to its PDF; a PDF still rendering is awaited by its download.
    const pdfLinks: string[] = [];
    await inParallel(confirmations, CONCURRENCY, async (confirmation) => {
      pdfLinks.push(pdfLink((await client.request(confirmation)).body.toString(), confirmation));
    });
    let bytes = 0;
    await inParallel(pdfLinks, CONCURRENCY, async (href) => {
      const pdf = (await client.request(href)).body;
      if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new Error(`${href} is not a PDF`);
      bytes += pdf.length;
    });
    const issuedMs = performance.now() - started;
    const cpuAfter = cpuTimeOf(portal.pid);
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000 / billingLinks.length;
    // Portal CPU per invoice, whatever else the machine ran: what a core each would allow.
    const mainCpuMs = (cpuAfter.mainMs - cpuBefore.mainMs) / billingLinks.length;
    const otherCpuMs = (cpuAfter.otherMs - cpuBefore.otherMs) / billingLinks.length;
    const health: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await client.request('/healthz');
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
          `${Math.round(1000 / Math.max(mainCpuMs, otherCpuMs, 0.1))} a second (the load generator shares the same cores: ${clientCpuMs.toFixed(1)} ms of CPU per invoice).`,
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
    client.close();
    await portal.close();
  }
}
