/**
 * The portal as the person deploying it runs it: the built CLI in a child process, configured
 * only through its environment.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { baseEnv, tempDir } from '../helpers/portal.js';

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('portal --help', () => {
  test('lists the commands', async () => {
    const result = await runCli(['--help'], {});
    expect(result.code).toBe(0);
    for (const command of ['serve', 'migrate', 'config']) expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });
});

describe('configuration errors', () => {
  test('every bad variable is listed with how to fix it, and the process exits 1', async () => {
    const result = await runCli(['serve'], {
      DATA_DIR: tempDir(),
      OPENLEARNING_API_KEY: 'key-only',
      PORT: 'eighty',
      TAX_RATE: 'ten',
      BANK_IBAN: 'DE00 1234',
      PUBLIC_URL: 'pay.example.edu/portal',
      SMTP_URL: 'http://mail.example.edu',
      INVOICE_DUE_DAYS: '40',
      INVOICE_EXPIRY_DAYS: '30',
      TIMEZONE: 'Mars/Olympus',
    });
    expect(result.code).toBe(1);
    const variables = [
      'PORT',
      'TAX_RATE',
      'BANK_IBAN',
      'PUBLIC_URL',
      'SMTP_URL',
      'INVOICE_EXPIRY_DAYS',
      'TIMEZONE',
      'OPENLEARNING_PUBLIC_KEY',
      'OPENLEARNING_AUDIENCE',
      'SELLER_NAME',
      'SELLER_ADDRESS',
      'MAIL_FROM',
      'BANK_ACCOUNT_NAME',
    ];
    for (const variable of variables) expect(result.stderr, variable).toMatch(new RegExp(`- ${variable}: .+\\n\\s+fix: .+`));
    expect(result.stderr).toMatch(/configuration problems/);
    expect(result.stderr).not.toMatch(/at .+\.js:\d+/);
  });

  test('`portal config` prints the effective configuration without secrets', async () => {
    const env = baseEnv(3123, tempDir());
    const result = await runCli(['config', '--json'], env);
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout);
    expect(shown.mode).toBe('production');
    expect(shown.openlearning.apiKey).toBe('(set)');
    expect(result.stdout).not.toContain(env.OPENLEARNING_API_KEY);
  });
});

describe('portal migrate', () => {
  test('creates the database and reports it up to date the second time', async () => {
    const env = baseEnv(3124, tempDir());
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied: 001_learner_flow/);
    const second = await runCli(['migrate'], env);
    expect(second.stdout).toMatch(/up to date/);
  });
});

describe('portal serve', () => {
  test('answers /healthz and shuts down gracefully on SIGTERM', async () => {
    const port = await freePort();
    const child = startCli(['serve'], baseEnv(port, tempDir()));
    try {
      const health = await waitFor(async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          return response.ok ? await response.json() : undefined;
        } catch {
          return undefined;
        }
      }, 20_000, 'the server to answer');
      expect(health).toMatchObject({ status: 'ok', mode: 'production' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = child.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['signal received', 'shut down cleanly']));
      expect(lines.find((l) => l.msg === 'request')).toMatchObject({ method: 'GET', path: '/healthz', status: 200 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
