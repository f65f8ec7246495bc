/**
 * The landing: OpenLearning's "Join now" posts a signed token to POST /enrol; the portal verifies
 * it, spends its jti and stores a billing request in one transaction, and redirects (303).
 *
 * Measured from the outside, like a load balancer would see it: the portal runs as `npm start`
 * runs it (its own process, production mode, request logs written), and so does each baseline
 * (bench/baseline-servers.ts); an autocannon load generator in a third process posts a distinct
 * RS256 token per request over 32 connections on loopback. Targets are loaded one after the other,
 * in rounds (bare, jose, portal, gateway, bare, jose, ...), so a noisy moment on the machine hits
 * all of them alike; the ratios are medians over rounds.
 *
 * Baselines: a bare Koa route answering 303; Koa + jose verifying the same tokens + 303 (no
 * database); an Express + jsonwebtoken gateway that verifies and renders its form, the shape of
 * OpenLearning's own example. And the SQLite transaction of a landing alone (no HTTP), committed
 * one per landing and in groups, which bounds what the portal can reach on this disk.
 *
 *   BENCH_LANDING_SECONDS=5    seconds per target per round (quick: 1)
 *   BENCH_LANDING_ROUNDS=3     rounds (quick: 1)
 */
import { BENCH_PORTAL_ENV } from './portal-env.js';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { writeTransaction, openDatabase } from '../src/db/connection.js';
import { findLiveInvoiceForLearnerClass } from '../src/db/invoices.js';
import { migrate } from '../src/db/migrate.js';
import { insertEnrolmentRequest, linkTokenToRequest, markTokenUsed } from '../src/db/requests.js';
import { newSecretToken } from '../src/commands/secret-token.js';
import { goal, stats, type BenchContext, type BenchResult, type BenchRow } from './harness.js';
import type { LoadResult } from './load-generator.js';
import { LoadGenerator, startBaseline, startPortalProcess, type PortalProcess, type ServerProcess } from './processes.js';

export const name = 'landing';
export const description = 'POST /enrol under load (autocannon, 32 connections, distinct RS256 tokens) against Koa, Koa + jose and an Express gateway';

const AUDIENCE = 'bench';
const CONNECTIONS = 32;

/** The portal's environment for production mode with the bench's key (everything else minimal). */
export function portalEnv(dataDir: string, publicKeyPem: string): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    OPENLEARNING_PUBLIC_KEY: publicKeyPem,
    ...BENCH_PORTAL_ENV,
    SMTP_URL: 'smtp://127.0.0.1:9',
    JOBS_ENABLED: 'false',
    ADMIN_EMAIL: 'admin@example.edu',
    ADMIN_PASSWORD: 'bench admin password',
  };
}

interface TransactionRate {
  perSecond: number;
  perCommit: number;
}

/**
 * The landing's transaction alone (spend the jti, look for a live invoice, insert the request)
 * on the portal's schema and settings, in this process, committed `perCommit` landings at a time.
 */
function landingTransactions(file: string, perCommit: number, seconds: number): TransactionRate {
  const db = openDatabase(file);
  migrate(db);
  const now = new Date().toISOString();
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    writeTransaction(db, () => {
      for (let i = 0; i < perCommit; i++) {
        const n = done++;
        const jti = randomUUID();
        markTokenUsed(db, { jti, audience: AUDIENCE, usedAt: now, tokenExpiresAt: now });
        findLiveInvoiceForLearnerClass(db, `user-${n}`, `class-${n}`);
        const requestId = insertEnrolmentRequest(db, {
          token: newSecretToken(randomBytes, new Date()),
          jti,
          olUserId: `user-${n}`,
          audience: AUDIENCE,
          courseId: 'course',
          classId: `class-${n}`,
          programId: null,
          classStartDate: null,
          title: 'Introduction to Marine Biology',
          currency: 'AUD',
          priceMinor: 110000,
          redirectUrl: 'https://www.openlearning.com/c/',
          createdAt: now,
          expiresAt: now,
        });
        linkTokenToRequest(db, jti, requestId);
      }
    });
  }
  const perSecond = done / ((performance.now() - started) / 1000);
  db.close();
  return { perSecond, perCommit };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const seconds = Number(ctx.env.BENCH_LANDING_SECONDS) || ctx.size(5, 1);
  const rounds = Number(ctx.env.BENCH_LANDING_ROUNDS) || ctx.size(3, 1);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const baselineEnv = { BENCH_PUBLIC_KEY: publicKeyPem, BENCH_AUDIENCE: AUDIENCE };

  const servers: ServerProcess[] = [];
  const load = new LoadGenerator();
  try {
    // Enough fresh tokens for the portal at up to ~6,000 req/s (quick: ~3,000, it runs well below
    // that); baselines cycle the same pool. The first batch (warm-up, first round and the steady
    // rate) is signed in the load generator's process while the servers start.
    const perRun = ctx.size(6_000, 3_000) * seconds;
    const signTokens = async (count: number) => {
      const signed = await load.sign(privateKeyPem, AUDIENCE, count);
      ctx.log(`signed ${fmt(count)} tokens in ${Math.round(signed.ms)} ms`);
    };
    const firstTokens = signTokens(perRun + 2_000 * seconds + ctx.size(3_000, 1_000));
    firstTokens.catch(() => undefined);
    // The servers start together (the portal's start time is measured in the jobs module, alone).
    const starting = await Promise.allSettled([
      startBaseline('bare', baselineEnv),
      startBaseline('jose', baselineEnv),
      startPortalProcess(path.join(ctx.tmpDir, 'cwd'), portalEnv(path.join(ctx.tmpDir, 'portal-data'), publicKeyPem)),
      startBaseline('gateway', baselineEnv),
    ]);
    for (const started of starting) if (started.status === 'fulfilled') servers.push(started.value);
    for (const started of starting) if (started.status === 'rejected') throw started.reason;
    const [bare, jose, portal, gateway] = servers as [ServerProcess, ServerProcess, PortalProcess, ServerProcess];
    const targets = { bare, jose, portal, gateway };
    ctx.log(`servers up; the portal answered /healthz ${Math.round(targets.portal.startMs)} ms after spawn`);

    await firstTokens;

    const order = ['bare', 'jose', 'portal', 'gateway'] as const;
    const runs: Record<(typeof order)[number], LoadResult[]> = { bare: [], jose: [], portal: [], gateway: [] };
    // Warm-up: JIT, statement preparation, connection pools.
    const warmUpSeconds = ctx.size(1, 0.5);
    for (const target of order)
      await load.run({ url: targets[target].url, connections: CONNECTIONS, durationSeconds: warmUpSeconds, fresh: target === 'portal' });
    for (let round = 0; round < rounds; round++) {
      if (round > 0) await signTokens(perRun);
      for (const target of order) {
        const result = await load.run({ url: targets[target].url, connections: CONNECTIONS, durationSeconds: seconds, fresh: target === 'portal' });
        runs[target].push(result);
        ctx.log(
          `round ${round + 1}: ${target} ${fmt(result.perSecond)} req/s, p99 ${result.p99Ms} ms${result.unexpected ? `, ${result.unexpected} unexpected answers` : ''}`,
        );
      }
    }
    // Latency at a steady 1,000 requests/s, the portal and Koa + jose.
    const steadySeconds = ctx.size(seconds, Math.min(seconds, 0.5));
    const steadyPortal = await load.run({ url: targets.portal.url, connections: CONNECTIONS, durationSeconds: steadySeconds, rate: 1_000, fresh: true });
    const steadyJose = await load.run({ url: targets.jose.url, connections: CONNECTIONS, durationSeconds: steadySeconds, rate: 1_000, fresh: false });
    const portalRss = targets.portal.rssBytes();

    // The transaction alone, one landing per commit and grouped as the portal groups them.
    const txSeconds = ctx.size(2, 0.25);
    const single = landingTransactions(path.join(ctx.tmpDir, 'tx-single.db'), 1, txSeconds);
    const grouped = landingTransactions(path.join(ctx.tmpDir, 'tx-grouped.db'), CONNECTIONS, txSeconds);

    const median = (xs: number[]) => stats(xs).medianMs;
    const rate = (t: (typeof order)[number]) => median(runs[t].map((r) => r.perSecond));
    const ratioPerRound = (a: (typeof order)[number], b: (typeof order)[number]) => median(runs[a].map((r, i) => r.perSecond / runs[b][i]!.perSecond));
    const portalVsJose = ratioPerRound('portal', 'jose');
    const portalVsGateway = ratioPerRound('portal', 'gateway');
    const unexpected = runs.portal.reduce((sum, r) => sum + r.unexpected, 0) + steadyPortal.unexpected;

    const throughputRow = (caseName: string, target: (typeof order)[number], note: string): BenchRow => {
      const p50s = runs[target].map((r) => r.p50Ms);
      return {
        case: caseName,
        // As time per request at saturation, so that the ratio column reads "costs N x Koa + jose".
        medianMs: 1000 / rate(target),
        p95Ms: median(runs[target].map((r) => r.p99Ms)),
        baselineMs: 1000 / rate('jose'),
        ratio: rate('jose') / rate(target),
        runs: runs[target].length,
        note: `${fmt(rate(target))} req/s, latency p50 ${median(p50s)} ms, p99 ${median(runs[target].map((r) => r.p99Ms))} ms; ${note}`,
      };
    };
    // What SQLite leaves reachable: Koa + jose's time per request plus the grouped transaction's,
    // both on the event loop's thread. The portal's throughput against that is the share of the
    // gap that is ours (the issue: "close the rest").
    const boundRate = 1000 / (1000 / rate('jose') + 1000 / grouped.perSecond);
    const portalVsBound = rate('portal') / boundRate;
    const rows: BenchRow[] = [
      throughputRow('bare Koa route, 303', 'bare', 'floor of HTTP + Koa'),
      throughputRow('Koa + jose verifying the token, 303 (the baseline)', 'jose', 'no database'),
      throughputRow('portal POST /enrol', 'portal', unexpected ? `${unexpected} answers other than 303` : 'every answer a 303 to a billing page'),
      throughputRow('Express + jsonwebtoken gateway rendering its form', 'gateway', "OpenLearning's example's shape"),
      {
        case: 'portal POST /enrol at 1,000 req/s',
        medianMs: steadyPortal.p50Ms,
        p95Ms: steadyPortal.p99Ms,
        baselineMs: steadyJose.p50Ms,
        ratio: steadyPortal.p50Ms / steadyJose.p50Ms,
        runs: 1,
        note: `p99 ${steadyPortal.p99Ms.toFixed(1)} ms (Koa + jose at the same rate: p99 ${steadyJose.p99Ms.toFixed(1)} ms), max ${steadyPortal.maxMs.toFixed(1)} ms`,
      },
      {
        case: 'the landing transaction alone, one commit per landing',
        medianMs: 1000 / single.perSecond,
        p95Ms: Number.NaN,
        baselineMs: 1000 / rate('jose'),
        ratio: rate('jose') / single.perSecond,
        runs: 1,
        note: `${fmt(single.perSecond)} landings/s on this disk (WAL, synchronous=NORMAL), one thread`,
      },
      {
        case: `the landing transaction alone, ${CONNECTIONS} landings per commit`,
        medianMs: 1000 / grouped.perSecond,
        p95Ms: Number.NaN,
        baselineMs: 1000 / rate('jose'),
        ratio: rate('jose') / grouped.perSecond,
        runs: 1,
        note: `${fmt(grouped.perSecond)} landings/s`,
      },
    ];
    return {
      baseline: 'Koa + jose verifying the same tokens and answering 303, its own process (rows: ms per request at saturation = 1 / throughput)',
      rows,
      goals: [
        goal(
          'landing throughput / Koa + jose',
          portalVsJose,
          'min',
          0.8,
          'x',
          `${fmt(rate('portal'))} vs ${fmt(rate('jose'))} req/s (bare Koa ${fmt(rate('bare'))})`,
        ),
        goal('landing p99 at 1,000 req/s', steadyPortal.p99Ms, 'max', 25, 'ms', `Koa + jose at the same rate: ${steadyJose.p99Ms.toFixed(1)} ms`),
        goal(
          'landing throughput / Express + jsonwebtoken gateway',
          portalVsGateway,
          'min',
          2.5,
          'x',
          `${fmt(rate('portal'))} vs ${fmt(rate('gateway'))} req/s; the bound above allows ${(boundRate / rate('gateway')).toFixed(2)}x`,
        ),
        goal(
          'landing throughput / (Koa + jose + the landing transaction alone)',
          portalVsBound,
          'min',
          0.8,
          'x',
          `${fmt(rate('portal'))} vs ${fmt(boundRate)} req/s: with the transaction's ${(1000 / grouped.perSecond).toFixed(3)} ms a landing on the event loop, ` +
            `${(boundRate / rate('jose')).toFixed(2)}x Koa + jose is the most SQLite on this disk leaves`,
        ),
        goal('landing answers a 303 to every distinct token', unexpected, 'max', 0, 'answers'),
      ],
      notes: [
        `${rounds} round(s) of ${seconds} s per target, ${CONNECTIONS} connections; ratios are medians of per-round ratios. ` +
          `Load generator, servers and anything else on the machine share its ${os.cpus().length} cores.`,
        `portal RSS after the runs: ${Math.round(portalRss / 1048576)} MB`,
      ],
    };
  } finally {
    await load.close();
    await Promise.all(servers.map((s) => s.close()));
  }
}
