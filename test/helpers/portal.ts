import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { requestHandler } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createPortal, secretsOf, type Portal, type PortalOverrides } from '../../src/portal.js';
import { FakeClock } from './clock.js';
import { TEST_AUDIENCE, testKey } from './tokens.js';

export const TEST_API_KEY = 'test-api-key-SECRET-3f9a1c';

export interface TestPortal {
  url: string;
  port: number;
  portal: Portal;
  config: Config;
  clock: FakeClock;
  dataDir: string;
  /** Every log line the portal wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  rawLogs: string[];
  /** Waits until background work (mail, enrolments) kicked so far has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
  get(pathname: string, init?: RequestInit): Promise<Response>;
  post(pathname: string, form: Record<string, string>, init?: RequestInit): Promise<Response>;
  count(table: string): number;
}

export function tempDir(prefix = 'portal-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Environment of a production-mode portal talking only to loopback test doubles. */
export function baseEnv(port: number, dataDir: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    OPENLEARNING_PUBLIC_KEY: testKey().publicPem,
    OPENLEARNING_AUDIENCE: TEST_AUDIENCE,
    OPENLEARNING_API_KEY: TEST_API_KEY,
    OPENLEARNING_API_URL: 'http://127.0.0.1:9/v2.2',
    OPENLEARNING_API_TIMEOUT: '2',
    MAIL_FROM: 'Example Academy Billing <billing@example.edu>',
    SELLER_NAME: 'Example Academy Pty Ltd',
    SELLER_ADDRESS: '1 Harbour Street\\nSydney NSW 2000\\nAustralia',
    SELLER_COUNTRY: 'AU',
    SELLER_TAX_ID: '51 824 753 556',
    SELLER_TAX_ID_LABEL: 'ABN',
    BANK_ACCOUNT_NAME: 'Example Academy Pty Ltd',
    BANK_IBAN: 'DE89 3704 0044 0532 0130 00',
    BANK_BIC: 'COBADEFFXXX',
    BANK_DETAILS: 'BSB 062-000\\nAccount 1234 5678',
    TAX_RATE: '10',
    TAX_LABEL: 'GST',
    TAX_INCLUSIVE: 'true',
    TIMEZONE: 'Australia/Sydney',
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Unset everything that identifies a real OpenLearning set-up (and the seller): sandbox mode. */
export const SANDBOX_ENV: Record<string, undefined> = Object.fromEntries(
  [
    'OPENLEARNING_PUBLIC_KEY',
    'OPENLEARNING_AUDIENCE',
    'OPENLEARNING_API_KEY',
    'OPENLEARNING_API_URL',
    'MAIL_FROM',
    'SELLER_NAME',
    'SELLER_ADDRESS',
    'SELLER_COUNTRY',
    'SELLER_TAX_ID',
    'SELLER_TAX_ID_LABEL',
    'BANK_ACCOUNT_NAME',
    'BANK_IBAN',
    'BANK_BIC',
    'BANK_DETAILS',
    'TAX_RATE',
    'TAX_LABEL',
  ].map((k) => [k, undefined]),
);

export interface StartOptions {
  env?: Record<string, string | undefined>;
  clock?: FakeClock;
  overrides?: PortalOverrides;
  dataDir?: string;
  /** Listen on this port if it is free (stable URLs in screenshots); otherwise any free port. */
  port?: number;
  /** Adjust the loaded config before the portal is built. */
  configure?: (config: Config) => void;
}

/**
 * The real app on a real loopback port with a fresh SQLite file. The server listens first so the
 * port (and so PUBLIC_URL) is known before the config is built.
 */
export async function startTestPortal(options: StartOptions = {}): Promise<TestPortal> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' && options.port ? server.listen(0, '127.0.0.1', () => resolve()) : reject(error),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig(baseEnv(port, dataDir, options.env), { readDotEnv: false });
  options.configure?.(config);
  const clock = options.clock ?? new FakeClock();
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        rawLogs.push(line);
        logs.push(JSON.parse(line));
      }
      callback();
    },
  });
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config), destination });
  const portal = createPortal(config, { clock, logger, ...options.overrides });
  server.on('request', requestHandler(portal.app));
  const url = `http://127.0.0.1:${port}`;
  return {
    port,
    portal,
    config,
    clock,
    dataDir,
    logs,
    rawLogs,
    idle: () => portal.runner.idle(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await portal.close();
    },
    ...httpClient(url),
    count: (table) => (portal.deps.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n,
  };
}

/** The HTTP part of a TestPortal: requests to the server at `url`, redirects not followed (also for a server in another process). */
export function httpClient(url: string): Pick<TestPortal, 'url' | 'get' | 'post'> {
  return {
    url,
    get: (pathname, init) => fetch(new URL(pathname, url), { redirect: 'manual', ...init }),
    post: (pathname, form, init) =>
      fetch(new URL(pathname, url), {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams(form).toString(),
        ...init,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(init?.headers as Record<string, string>) },
      }),
  };
}

/** The path part of a redirect Location. */
export function locationPath(response: Response): string {
  const location = response.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location, 'http://x').pathname + new URL(location, 'http://x').search;
}

/** Text content of an HTML page, tags removed, whitespace collapsed (for asserting what people read). */
export function pageText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;|&#160;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}
