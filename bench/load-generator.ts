/**
 * The load generator for the landing benchmark, a separate process (child_process.fork) so its
 * own work does not run on the event loop of the server it measures. It signs distinct RS256
 * tokens ahead of time (signing is not part of any measured time) and drives autocannon against
 * POST /enrol with one token per request, as fast as the server answers. At a fixed rate it uses
 * its own paced client instead: autocannon's rate limit lets each connection send its share of a
 * second back to back and then wait for the next second, which measures bursts, not a steady
 * 1,000 requests/s.
 *
 * Messages in: { type: 'sign', count } then any number of { type: 'run', ... }; each is answered
 * with one message.
 */
import { type KeyObject, createPrivateKey } from 'node:crypto';
import http from 'node:http';
import autocannon from 'autocannon';
import { signEnrolmentTokens } from './tokens.js';

export interface SignRequest {
  type: 'sign';
  privateKeyPem: string;
  audience: string;
  count: number;
}

export interface RunRequest {
  type: 'run';
  url: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections; absent: as fast as the server answers. */
  rate?: number;
  /**
   * true: every request gets a token never sent before (the portal spends each jti once);
   * false: the signed pool is cycled (baselines keep no state, so any valid token will do).
   */
  fresh: boolean;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers that were not the expected 303 (a replayed token, an error page), plus socket errors. */
  unexpected: number;
  errors: number;
  timeouts: number;
  /** Fresh tokens were exhausted and reused: the portal refused those as replays. */
  poolExhausted: boolean;
}

const pool: string[] = [];
let freshCursor = 0;
let serial = 0;

function signTokens(key: KeyObject, audience: string, count: number): void {
  for (const token of signEnrolmentTokens(key, audience, count, serial)) pool.push(token);
  serial += count;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * Open-loop load at a steady rate: a request is due every 1/rate s whether or not earlier ones
 * were answered, over at most `connections` keep-alive sockets, and its latency counts from when
 * it was due (so time spent waiting for a free socket counts too, as a user would feel it).
 */
async function runPaced(request: RunRequest, nextToken: () => string): Promise<Omit<LoadResult, 'poolExhausted'>> {
  const rate = request.rate!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: request.connections });
  const url = new URL('/enrol', request.url);
  const latencies: number[] = [];
  let unexpected = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (dueAt: number) => {
    const body = `jwt=${nextToken()}`;
    const done = new Promise<void>((resolve) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - dueAt);
            if (res.statusCode !== 303 && res.statusCode !== 200) unexpected++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const started = performance.now();
  const total = Math.round(rate * request.durationSeconds);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (sent < due) send(started + (sent++ * 1000) / rate);
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: sorted.length,
    perSecond: sorted.length / ((performance.now() - started) / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    unexpected: unexpected + errors,
    errors,
    timeouts: 0,
  };
}

async function runLoad(request: RunRequest): Promise<LoadResult> {
  let exhausted = false;
  let cycle = 0;
  const nextToken = (): string => {
    if (!request.fresh) return pool[cycle++ % pool.length]!;
    if (freshCursor >= pool.length) exhausted = true;
    return pool[freshCursor++ % pool.length]!;
  };
  if (request.rate) return { ...(await runPaced(request, nextToken)), poolExhausted: exhausted };
  const result = await autocannon({
    url: request.url,
    connections: request.connections,
    duration: request.durationSeconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/enrol',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (req) => ({ ...req, body: `jwt=${nextToken()}` }),
      },
    ],
  });
  const redirects = result.statusCodeStats?.['303']?.count ?? 0;
  const ok = result['2xx'];
  // The gateway baseline answers 200 (its form); the others 303.
  const expected = Math.max(redirects, ok);
  return {
    requests: result.requests.total,
    perSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    unexpected: result.requests.total - expected + result.errors,
    errors: result.errors,
    timeouts: result.timeouts,
    poolExhausted: exhausted,
  };
}

let key: KeyObject | undefined;
process.on('message', (message: SignRequest | RunRequest) => {
  void (async () => {
    try {
      if (message.type === 'sign') {
        key ??= createPrivateKey(message.privateKeyPem);
        const started = performance.now();
        signTokens(key, message.audience, message.count);
        process.send?.({ ok: true, signed: pool.length - freshCursor, ms: performance.now() - started });
      } else {
        process.send?.({ ok: true, result: await runLoad(message) });
      }
    } catch (error) {
      process.send?.({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
