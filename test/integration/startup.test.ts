/**
 * Start-up refuses configurations that would fail later or leak (links to localhost, the API key
 * in clear, a data folder it cannot write), and warns loudly where mail is only being captured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { baseEnv, pageText, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { ADMIN, signIn } from '../helpers/staff.js';
import { TestSmtpServer } from '../helpers/smtp.js';

/** Root writes anywhere: the read-only case runs the portal as "nobody" when the tests run as root. */
const UNPRIVILEGED = process.getuid?.() === 0 ? 65534 : undefined;

describe('refused at start, with the fix', () => {
  test('production without PUBLIC_URL', async () => {
    const result = await runCli(['serve'], baseEnv(0, tempDir(), { PUBLIC_URL: undefined }), { timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PUBLIC_URL: is required in production/);
    expect(result.stderr).toMatch(/fix: .*PUBLIC_URL=https:\/\/pay\.example\.edu/);
  });

  test('an OpenLearning API URL on plain http to another host (the API key would cross the network in clear)', async () => {
    const result = await runCli(['serve'], baseEnv(0, tempDir(), { OPENLEARNING_API_URL: 'http://api.openlearning.com/v2.2' }), { timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/OPENLEARNING_API_URL: must use https/);
  });

  test('a DATA_DIR the portal cannot write', async () => {
    const dataDir = tempDir();
    fs.chmodSync(dataDir, 0o555);
    const result = await runCli(['serve'], baseEnv(0, dataDir), { timeoutMs: 15_000, uid: UNPRIVILEGED, cwd: '/' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATA_DIR: .* is not writable/);
    expect(result.stderr).toMatch(/fix: a writable directory/);
  });

  test('a DATA_DIR that cannot be created', async () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const result = await runCli(['serve'], baseEnv(0, path.join(file, 'data')), { timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATA_DIR: .* cannot be created/);
  });
});

describe('production without SMTP_URL', () => {
  let t: TestPortal | undefined;
  let smtpPortal: TestPortal | undefined;
  let smtp: TestSmtpServer | undefined;
  afterAll(async () => {
    await t?.close();
    await smtpPortal?.close();
    await smtp?.stop();
  });

  test('warns at start and on every finance desk page that learners are not being emailed', async () => {
    t = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SMTP_URL: undefined } });
    const warning = t.logs.find((l) => l.level === 40 && /SMTP_URL is not set/.test(String(l.msg)));
    expect(warning).toBeDefined();
    const desk = pageText(await (await (await signIn(t)).get('/admin')).text());
    expect(desk).toMatch(/Emails are not being sent: SMTP_URL is not set/);
  });

  test('with SMTP_URL set there is no such warning', async () => {
    smtp = await new TestSmtpServer().start();
    smtpPortal = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SMTP_URL: smtp.url } });
    expect(smtpPortal.logs.some((l) => /SMTP_URL is not set/.test(String(l.msg)))).toBe(false);
    const desk = pageText(await (await (await signIn(smtpPortal)).get('/admin')).text());
    expect(desk).not.toMatch(/Emails are not being sent/);
  });
});
