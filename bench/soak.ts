/**
 * Soak test: the real server (`dist/cli.js serve`, production mode, its own process) under mixed
 * traffic at a fixed rate for several minutes. Reports 5xx answers, latency percentiles per kind
 * of request, and the server's memory (RSS) after warm-up against the end of the run.
 *
 *   npm run soak                       10 minutes at 200 requests/s
 *   npm run soak -- --minutes 2        a shorter run
 *   npm run soak -- --rate 100 --json soak.json
 *
 * Not part of `npm test`: it takes minutes and wants the machine to itself. Traffic goes only to
 * the server it starts on 127.0.0.1, and the run stops by itself.
 *
 * The load is open-loop: a request is started every 1/rate seconds whether or not earlier ones
 * have answered, so a slow server shows as latency instead of quietly lowering the rate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    'warmup-seconds': { type: 'string' },
    json: { type: 'string' },
  },
});
const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
if (!(MINUTES > 0) || !(RATE > 0)) throw new Error('--minutes and --rate must be positive numbers');
const DURATION_MS = MINUTES * 60_000;
// Warm-up: JIT, SQLite page cache, the first PDF fonts. A fifth of the run, at most a minute.
const WARMUP_MS = args['warmup-seconds'] !== undefined ? Number(args['warmup-seconds']) * 1000 : Math.min(60_000, DURATION_MS / 5);
const MAX_IN_FLIGHT = 2000;
const ADMIN = { email: 'soak-admin@example.edu', password: 'soak admin password' };

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && path.basename(dir) !== 'dist-bench') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found');
    dir = parent;
  }
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident memory of a process in MiB, from /proc (Linux). */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

interface Server {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function startServer(root: string, dataDir: string, publicPem: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    OPENLEARNING_PUBLIC_KEY: publicPem,
    OPENLEARNING_AUDIENCE: 'soak',
    OPENLEARNING_API_KEY: 'soak-api-key-0000000000',
    OPENLEARNING_API_URL: 'http://127.0.0.1:9/v2.2',
    MAIL_FROM: 'Soak Academy <billing@example.edu>',
    SELLER_NAME: 'Soak Academy Pty Ltd',
    SELLER_ADDRESS: '1 Harbour Street\\nSydney NSW 2000',
    SELLER_COUNTRY: 'AU',
    SELLER_TAX_ID: '51 824 753 556',
    BANK_ACCOUNT_NAME: 'Soak Academy Pty Ltd',
    BANK_IBAN: 'DE89 3704 0044 0532 0130 00',
    TAX_RATE: '10',
    TIMEZONE: 'Australia/Sydney',
    JOBS_ENABLED: 'true',
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
  const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'serve'], { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      if (i > 200) throw new Error('the server did not start within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function tokenSigner(privateKey: KeyObject, validForSeconds: number) {
  let n = 0;
  return () => {
    n++;
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({
      jti: randomUUID(),
      sub: `soak-user-${n}`,
      title: 'Introduction to Marine Biology',
      course: 'soak-course',
      class: `soak-class-${n}`,
      currency: 'AUD',
      price: '1100.00',
      redirect_url: 'https://www.openlearning.com/soak/',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience('soak')
      .setIssuedAt(iat)
      .setExpirationTime(iat + validForSeconds)
      .sign(privateKey);
  };
}

interface Sample {
  kind: string;
  ms: number;
  status: number;
  at: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const root = projectRoot();
  if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm run soak does)');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-soak-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = await startServer(root, dataDir, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const pid = server.child.pid!;
  const base = server.url;
  const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', origin: base };
  const sign = tokenSigner(privateKey, Math.ceil(DURATION_MS / 1000) + 900);

  try {
    // ---- Set-up: billing links, issued invoices and a signed-in staff member ----------------
    console.log(`soak: server pid ${pid} at ${base}; seeding…`);
    const billingLinks: string[] = [];
    const statusLinks: string[] = [];
    const pdfLinks: string[] = [];
    const enrol = async () => {
      const response = await fetch(`${base}/enrol`, { method: 'POST', redirect: 'manual', headers: formHeaders, body: form({ jwt: await sign() }) });
      await response.arrayBuffer();
      return { status: response.status, billing: new URL(response.headers.get('location') ?? '/', base).pathname };
    };
    const issue = async (billing: string, n: number) => {
      const response = await fetch(`${base}${billing}`, {
        method: 'POST',
        redirect: 'manual',
        headers: formHeaders,
        body: form({ name: `Soak Learner ${n}`, email: `soak${n}@example.com`, organisation: 'Soak Pty Ltd' }),
      });
      await response.arrayBuffer();
      const status = new URL(response.headers.get('location') ?? '/', base).pathname.replace(/\/confirmation$/, '');
      return { code: response.status, status };
    };
    for (let i = 0; i < 300; i++) billingLinks.push((await enrol()).billing);
    for (let i = 0; i < 150; i++) {
      const issued = await issue(billingLinks.pop()!, i);
      statusLinks.push(issued.status);
    }
    for (const link of statusLinks.slice(0, 30)) {
      const html = await (await fetch(`${base}${link}`)).text();
      const pdf = /href="(\/i\/[^"]+\.pdf)"/.exec(html)?.[1];
      if (pdf) pdfLinks.push(pdf);
    }
    const loginPage = await fetch(`${base}/admin/login`);
    const loginCookie = loginPage.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const loginToken = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
    const login = await fetch(`${base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...formHeaders, cookie: loginCookie },
      body: form({ email: ADMIN.email, password: ADMIN.password, _csrf: loginToken }),
    });
    if (login.status !== 303) throw new Error(`staff sign-in failed: ${login.status}`);
    const staffCookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .filter((c) => !c!.endsWith('='))
      .join('; ');
    // Tokens for the landing requests are signed before the clock starts: RSA signing in the load
    // generator would compete with the server for the same two cores.
    const landingShare = 0.12;
    const tokens: string[] = [];
    for (let i = 0; i < Math.ceil(RATE * landingShare * (DURATION_MS / 1000) * 1.2) + 100; i++) tokens.push(await sign());

    // ---- The mix ---------------------------------------------------------------------------
    const deskPages = ['/admin', '/admin?tab=all', '/admin?tab=paid', '/admin?tab=all&q=Soak+Learner+7', '/admin?tab=all&sort=amount'];
    let seq = 1000;
    const kinds: { kind: string; weight: number; request: () => Promise<Response> }[] = [
      {
        kind: 'landing: POST /enrol',
        weight: landingShare,
        request: async () => {
          const response = await fetch(`${base}/enrol`, { method: 'POST', redirect: 'manual', headers: formHeaders, body: form({ jwt: tokens.pop()! }) });
          const billing = response.headers.get('location');
          if (billing && billingLinks.length < 5000) billingLinks.push(new URL(billing).pathname);
          return response;
        },
      },
      {
        kind: 'GET /billing/:token',
        weight: 0.25,
        request: () => fetch(`${base}${billingLinks[Math.floor(Math.random() * billingLinks.length)]}`, { redirect: 'manual' }),
      },
      {
        kind: 'POST /billing/:token (issue)',
        weight: 0.01,
        request: async () => {
          const billing = billingLinks.shift()!;
          const response = await fetch(`${base}${billing}`, {
            method: 'POST',
            redirect: 'manual',
            headers: formHeaders,
            body: form({ name: `Soak Learner ${++seq}`, email: `soak${seq}@example.com` }),
          });
          const location = response.headers.get('location');
          if (location) statusLinks.push(new URL(location).pathname.replace(/\/confirmation$/, ''));
          return response;
        },
      },
      { kind: 'GET /i/:token (status)', weight: 0.34, request: () => fetch(`${base}${statusLinks[Math.floor(Math.random() * statusLinks.length)]}`) },
      { kind: 'GET /i/:token/:number.pdf', weight: 0.04, request: () => fetch(`${base}${pdfLinks[Math.floor(Math.random() * pdfLinks.length)]}`) },
      {
        kind: 'GET /admin (finance desk)',
        weight: 0.24,
        request: () => fetch(`${base}${deskPages[Math.floor(Math.random() * deskPages.length)]}`, { headers: { cookie: staffCookie }, redirect: 'manual' }),
      },
    ];
    const totalWeight = kinds.reduce((sum, k) => sum + k.weight, 0);
    const pick = () => {
      let r = Math.random() * totalWeight;
      for (const k of kinds) if ((r -= k.weight) <= 0) return k;
      return kinds[kinds.length - 1]!;
    };

    // ---- Run -------------------------------------------------------------------------------
    const samples: Sample[] = [];
    const failures: string[] = [];
    const memory: { at: number; rss: number }[] = [];
    let inFlight = 0;
    let dropped = 0;
    let maxLagMs = 0;
    const started = performance.now();
    const interval = 1000 / RATE;
    const memoryTimer = setInterval(() => memory.push({ at: performance.now() - started, rss: rssMiB(pid) }), 5_000);
    console.log(`soak: ${RATE} requests/s for ${MINUTES} min (warm-up ${Math.round(WARMUP_MS / 1000)} s)…`);
    const progress = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      const last = memory[memory.length - 1];
      console.log(
        `  ${elapsed.toFixed(0)} s: ${samples.length} answered, ${failures.length} failed, in flight ${inFlight}, RSS ${last?.rss.toFixed(1) ?? '?'} MiB`,
      );
    }, 30_000);
    const pending = new Set<Promise<void>>();
    for (let i = 0; ; i++) {
      const due = i * interval;
      if (due >= DURATION_MS) break;
      const wait = due - (performance.now() - started);
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      maxLagMs = Math.max(maxLagMs, -wait);
      if (inFlight >= MAX_IN_FLIGHT) {
        dropped++;
        continue;
      }
      const kind = pick();
      inFlight++;
      const t0 = performance.now();
      const request: Promise<void> = kind
        .request()
        .then(async (response) => {
          await response.arrayBuffer();
          samples.push({ kind: kind.kind, ms: performance.now() - t0, status: response.status, at: t0 - started });
        })
        .catch((error: unknown) => {
          failures.push(`${kind.kind}: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          inFlight--;
          pending.delete(request);
        });
      pending.add(request);
    }
    await Promise.allSettled([...pending]);
    clearInterval(memoryTimer);
    clearInterval(progress);
    memory.push({ at: performance.now() - started, rss: rssMiB(pid) });

    // ---- Report ----------------------------------------------------------------------------
    const measured = samples.filter((s) => s.at >= WARMUP_MS);
    const serverErrors = samples.filter((s) => s.status >= 500);
    const unexpected = samples.filter((s) => s.status >= 400 && s.status < 500);
    const rows = [...new Set(kinds.map((k) => k.kind)), 'all'].map((kind) => {
      const ms = measured
        .filter((s) => kind === 'all' || s.kind === kind)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      return { kind, count: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: ms[ms.length - 1] ?? NaN };
    });
    const afterWarmup = memory.filter((m) => m.at >= WARMUP_MS);
    const window = Math.max(1, Math.min(3, Math.floor(afterWarmup.length / 3)));
    const mean = (xs: { rss: number }[]) => xs.reduce((sum, m) => sum + m.rss, 0) / xs.length;
    const rssStart = mean(afterWarmup.slice(0, window));
    const rssEnd = mean(afterWarmup.slice(-window));
    const growth = (rssEnd / rssStart - 1) * 100;
    const achieved = samples.length / (DURATION_MS / 1000);
    const all = rows[rows.length - 1]!;

    console.log(`\nsoak: ${MINUTES} min at ${RATE}/s target, ${achieved.toFixed(1)}/s answered; measured after ${Math.round(WARMUP_MS / 1000)} s warm-up`);
    console.log('kind                                 count     p50 ms   p95 ms   p99 ms   max ms');
    for (const r of rows)
      console.log(
        `${r.kind.padEnd(34)} ${String(r.count).padStart(7)} ${r.p50.toFixed(2).padStart(9)} ${r.p95.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.max.toFixed(1).padStart(8)}`,
      );
    console.log(
      `5xx answers: ${serverErrors.length}; 4xx answers: ${unexpected.length}; failed requests: ${failures.length}; dropped (over ${MAX_IN_FLIGHT} in flight): ${dropped}`,
    );
    console.log(`generator lag (latest start behind schedule): ${maxLagMs.toFixed(1)} ms`);
    console.log(`server RSS after warm-up ${rssStart.toFixed(1)} MiB, at the end ${rssEnd.toFixed(1)} MiB: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %`);
    const verdicts = {
      'zero 5xx': serverErrors.length === 0 && failures.length === 0 && dropped === 0,
      'p99 under 50 ms': all.p99 < 50,
      'memory growth under 10 %': growth < 10,
    };
    for (const [what, ok] of Object.entries(verdicts)) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
    if (failures.length) console.log(`first failures:\n  ${failures.slice(0, 5).join('\n  ')}`);
    if (unexpected.length) {
      const byKind = new Map<string, number>();
      for (const s of unexpected) byKind.set(`${s.kind} ${s.status}`, (byKind.get(`${s.kind} ${s.status}`) ?? 0) + 1);
      console.log(`4xx by kind: ${JSON.stringify(Object.fromEntries(byKind))}`);
    }
    if (args.json) {
      fs.writeFileSync(
        args.json,
        JSON.stringify(
          {
            minutes: MINUTES,
            rate: RATE,
            achieved,
            warmupMs: WARMUP_MS,
            rows,
            serverErrors: serverErrors.length,
            failures: failures.length,
            dropped,
            maxLagMs,
            memory,
            rssStart,
            rssEnd,
            growth,
            verdicts,
          },
          null,
          2,
        ),
      );
    }
    process.exitCode = Object.values(verdicts).every(Boolean) ? 0 : 1;
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
