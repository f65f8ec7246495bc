/**
 * Mail is written to the outbox with the invoice and delivered after commit, with retries: an SMTP
 * outage delays the email but never loses it, not even across a restart.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { deliverMail } from '../../src/jobs/deliver-mail.js';
import { defaultJobContext } from '../../src/jobs/job.js';
import { locationPath, pageText, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { FakeClock } from '../helpers/clock.js';
import { enrolmentClaims } from '../helpers/tokens.js';
import { joinClass } from '../helpers/factories.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => smtp?.stop());

async function issue(t: TestPortal, email: string, sub: string): Promise<string> {
  const billingPath = await joinClass(t, enrolmentClaims({ sub }));
  const issued = await t.post(billingPath, { name: 'Offline Learner', email });
  expect(issued.status).toBe(303);
  return locationPath(issued);
}

function outbox(t: TestPortal) {
  return t.portal.deps.db.prepare('SELECT status, attempts, last_error AS lastError, next_attempt_at AS nextAttemptAt FROM outbox').all() as {
    status: string;
    attempts: number;
    lastError: string | null;
    nextAttemptAt: string;
  }[];
}

test('SMTP down: the invoice is issued and visible; the email goes out once SMTP is back', async () => {
  const t = await startTestPortal({ env: { SMTP_URL: smtp.url } });
  try {
    await smtp.stop();
    const confirmation = await issue(t, 'outage@example.com', 'outage-1');
    await t.idle();
    const page = await t.get(confirmation);
    expect(page.status).toBe(200);
    expect(pageText(await page.text())).toContain('Your invoice INV-000001 is ready');
    const [pending] = outbox(t);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending!.lastError).toMatch(/ECONNREFUSED|connect/i);

    // Retried with backoff: not before the next attempt is due.
    expect((await deliverMail(t.portal.deps, defaultJobContext)).sent).toBe(0);
    await smtp.start();
    expect((await deliverMail(t.portal.deps, defaultJobContext)).sent).toBe(0);
    t.clock.advance(61_000);
    expect(await deliverMail(t.portal.deps, defaultJobContext)).toEqual({ sent: 1, retrying: 0, failed: 0 });
    const mail = await smtp.waitFor((m) => m.subject?.startsWith('Invoice INV-000001') ?? false);
    expect(mail.attachments[0]?.filename).toBe('INV-000001.pdf');
    expect(outbox(t)[0]).toMatchObject({ status: 'sent', attempts: 2 });
    // Running the worker again sends nothing more.
    expect((await deliverMail(t.portal.deps, defaultJobContext)).sent).toBe(0);
    expect(smtp.to('outage@example.com')).toHaveLength(1);
  } finally {
    await t.close();
    if (smtp.port) await smtp.start().catch(() => undefined);
  }
});

test('nothing is lost across a restart: a queued email is delivered by the next process', async () => {
  const dataDir = tempDir();
  const clock = new FakeClock();
  await smtp.stop();
  const first = await startTestPortal({ env: { SMTP_URL: smtp.url }, dataDir, clock });
  await issue(first, 'restart@example.com', 'restart-1');
  await first.close();
  await smtp.start();

  clock.advance(2 * 3600_000);
  const second = await startTestPortal({ env: { SMTP_URL: smtp.url }, dataDir, clock });
  try {
    second.portal.runner.kick('deliver-mail');
    await second.idle();
    const mail = await smtp.waitFor((m) => m.to !== undefined && JSON.stringify(m.to).includes('restart@example.com'));
    expect(mail.subject).toMatch(/^Invoice INV-000001/);
  } finally {
    await second.close();
  }
});

test('a permanent refusal (5xx) is not retried and shows on the invoice timeline', async () => {
  // A server that refuses every recipient, as for a mailbox that does not exist.
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      const error = Object.assign(new Error('5.1.1 mailbox does not exist'), { responseCode: 550 });
      callback(error);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
  const t = await startTestPortal({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
  try {
    await issue(t, 'nobody@example.com', 'refused-1');
    await t.idle();
    expect(outbox(t)[0]).toMatchObject({ status: 'failed', attempts: 1 });
    const timeline = t.portal.deps.db.prepare("SELECT summary FROM audit_log WHERE action = 'email.failed'").all() as { summary: string }[];
    expect(timeline[0]?.summary).toMatch(/refused by the mail server.*mailbox does not exist/);
    t.clock.advance(24 * 3600_000);
    expect((await deliverMail(t.portal.deps, defaultJobContext)).failed).toBe(0);
  } finally {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
