/**
 * A real portal (production mode, real migrations, real HTTP server on loopback) for the bench
 * modules that measure the app itself. Mail goes nowhere; logs are silent; the clock is settable.
 */
import { stats, type Comparison } from './harness.js';
import { BENCH_PORTAL_ENV } from './portal-env.js';
import { requestHandler } from '../src/app.js';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import type { Mailer } from '../src/clients/mailer.js';
import type { Clock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createPortal, type Portal } from '../src/portal.js';

export class SettableClock implements Clock {
  constructor(private t = Date.parse('2026-11-26T01:00:00Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advanceDays(days: number): void {
    this.t += days * 86_400_000;
  }
}

export interface PortalFixture {
  portal: Portal;
  url: string;
  clock: SettableClock;
  sign(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const nullMailer: Mailer = { kind: 'smtp', send: async () => undefined, close: () => undefined };

export async function startPortalFixture(
  dir: string,
  options: { dataDir?: string; keys?: ReturnType<typeof generateKeyPairSync> } = {},
): Promise<PortalFixture> {
  const { privateKey, publicKey } = options.keys ?? generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const config = loadConfig(
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: options.dataDir ?? path.join(dir, `portal-${port}`),
      OPENLEARNING_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ...BENCH_PORTAL_ENV,
      SMTP_URL: 'smtp://127.0.0.1:9',
      JOBS_ENABLED: 'false',
      ADMIN_EMAIL: 'admin@example.edu',
      ADMIN_PASSWORD: 'bench admin password',
    },
    { readDotEnv: false },
  );
  const clock = new SettableClock();
  const portal = createPortal(config, { clock, mailer: nullMailer, logger: createLogger({ level: 'silent' }) });
  server.on('request', requestHandler(portal.app));
  return {
    portal,
    url: `http://127.0.0.1:${port}`,
    clock,
    sign: (claims) => {
      const iat = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256' })
        .setAudience('bench')
        .setIssuedAt(iat)
        .setExpirationTime(iat + 600)
        .sign(privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await portal.close();
    },
  };
}

/** Times an async case and an async baseline interleaved, n times each (the async twin of harness.compare). */
export async function compareAsync(baseline: () => Promise<unknown>, subject: () => Promise<unknown>, runs: number): Promise<Comparison> {
  const result = { subject: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < 2; i++) {
    await baseline();
    await subject();
  }
  for (let i = 0; i < runs; i++) {
    let start = performance.now();
    await baseline();
    result.baseline.push(performance.now() - start);
    start = performance.now();
    await subject();
    result.subject.push(performance.now() - start);
  }
  const s = stats(result.subject);
  const b = stats(result.baseline);
  return { subject: s, baseline: b, ratio: s.medianMs / b.medianMs };
}
