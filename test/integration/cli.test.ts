/**
 * The portal as the person deploying it runs it: the built CLI in a child process, configured
 * only through its environment.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { FakeClock } from '../helpers/clock.js';
import { baseEnv, locationPath, startTestPortal, tempDir } from '../helpers/portal.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

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
      const health = await waitFor(
        async () => {
          try {
            const response = await fetch(`http://127.0.0.1:${port}/healthz`);
            return response.ok ? await response.json() : undefined;
          } catch {
            return undefined;
          }
        },
        20_000,
        'the server to answer',
      );
      expect(health).toMatchObject({ status: 'ok', mode: 'production' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = child
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['signal received', 'shut down cleanly']));
      expect(lines.find((l) => l.msg === 'request')).toMatchObject({ method: 'GET', path: '/healthz', status: 200 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('portal user', () => {
  test('add, list, reset-password and disable staff accounts from the command line', async () => {
    const env = baseEnv(3125, tempDir());
    const added = await runCli(['user', 'add', 'clerk@example.edu', '--role', 'finance', '--password-stdin'], env, { input: 'a very long password\n' });
    expect(added.stdout).toMatch(/Added clerk@example\.edu \(finance\)/);
    const short = await runCli(['user', 'add', 'short@example.edu', '--role', 'admin', '--password-stdin'], env, { input: 'short\n' });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const noRole = await runCli(['user', 'add', 'x@example.edu'], env);
    expect(noRole.code).not.toBe(0);
    expect(noRole.stderr).toMatch(/--role/);
    const list = await runCli(['user', 'list'], env);
    expect(list.stdout).toMatch(/clerk@example\.edu\s+finance\s+active\s+never signed in/);
    expect(list.stdout).not.toMatch(/short@example/);
    const reset = await runCli(['user', 'reset-password', 'clerk@example.edu', '--password-stdin'], env, { input: 'another long password' });
    expect(reset.stdout).toMatch(/Password of clerk@example\.edu changed/);
    const disabled = await runCli(['user', 'disable', 'clerk@example.edu'], env);
    expect(disabled.code).toBe(0);
    expect((await runCli(['user', 'list'], env)).stdout).toMatch(/clerk@example\.edu\s+finance\s+disabled/);
    const unknown = await runCli(['user', 'disable', 'nobody@example.edu'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No staff account for nobody@example\.edu/);
  });
});

describe('portal jobs', () => {
  test('`jobs list` shows every job with its schedule', async () => {
    const result = await runCli(['jobs', 'list'], { ...baseEnv(3126, tempDir()), SCHEDULE_BACKUP: '30 1 * * *' });
    expect(result.code).toBe(0);
    for (const job of ['expire-invoices', 'send-reminders', 'deliver-mail', 'retry-enrolments', 'purge', 'backup'])
      expect(result.stdout).toMatch(new RegExp(`^${job}\\s`, 'm'));
    expect(result.stdout).toMatch(/^backup\s+30 1 \* \* \*/m);
    expect(result.stdout).toMatch(/last run: never/);
  });

  test('`faketime "+40 days" portal jobs run expire-invoices` expires an invoice issued today', async () => {
    const dataDir = tempDir();
    const env = baseEnv(3127, dataDir);
    const t = await startTestPortal({ dataDir, clock: new FakeClock(new Date()) });
    const enrol = await t.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims(), { now: t.clock.now() }) });
    await t.post(locationPath(enrol), { name: 'Time Traveller', email: 'later@example.com' });
    await t.close();
    const today = await runCli(['jobs', 'run', 'expire-invoices'], env);
    expect(today.stdout).toMatch(/expire-invoices succeeded in \d+ ms: \{"expired":0,"heldPartiallyPaid":0\}/);
    const later = await runCli(['jobs', 'run', 'expire-invoices'], env, { prefix: ['faketime', '+40 days'] });
    expect(later.stderr).toBe('');
    expect(later.stdout).toMatch(/"expired":1/);
    const db = new Database(path.join(dataDir, 'portal.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT status FROM invoices').get()).toEqual({ status: 'expired' });
    } finally {
      db.close();
    }
    // The learner's expiry email went out in the same command (captured to DATA_DIR/mail, no SMTP).
    const mails = fs.readdirSync(path.join(dataDir, 'mail')).map((f) => fs.readFileSync(path.join(dataDir, 'mail', f), 'utf8'));
    expect(mails.some((m) => /Subject: Invoice INV-000001 has expired/.test(m))).toBe(true);
    const listed = await runCli(['jobs', 'list'], env);
    expect(listed.stdout).toMatch(/last run: \S+ succeeded \{"sent":1/);
  });

  test('`portal backup` writes a backup; an unknown job is refused', async () => {
    const dataDir = tempDir();
    const env = baseEnv(3128, dataDir);
    const result = await runCli(['backup'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/backup succeeded/);
    expect(fs.readdirSync(path.join(dataDir, 'backups'))).toEqual([expect.stringMatching(/^portal-\d{8}T\d{6}Z\.db$/)]);
    const unknown = await runCli(['jobs', 'run', 'make-coffee'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown job "make-coffee"/);
  });

  test('`serve` runs jobs on their cron schedules', async () => {
    const port = await freePort();
    const child = startCli(['serve'], { ...baseEnv(port, tempDir()), JOBS_ENABLED: 'true', SCHEDULE_PURGE: '* * * * * *' });
    try {
      await waitFor(() => (/"job":"purge"[^\n]*"msg":"job finished"/.test(child.output()) ? true : undefined), 20_000, 'a scheduled purge run');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
    }
  });
});
