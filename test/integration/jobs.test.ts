/**
 * Scheduled jobs at their boundaries, run twice (idempotence), crashed half way, and run from two
 * processes on one database at once.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { addDays, calendarDate, toDbTime } from '../../src/clock.js';
import { createViews, type Views } from '../../src/views.js';
import { reminderDue } from '../../src/jobs/send-reminders.js';
import { listBackups } from '../../src/jobs/backup.js';
import { FakeClock } from '../helpers/clock.js';
import { pageText, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { issuedInvoice } from '../helpers/factories.js';
import { seedInvoices } from '../helpers/seed.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, hiddenField, signIn } from '../helpers/staff.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => smtp?.stop());

const portals: TestPortal[] = [];
afterEach(async () => {
  while (portals.length) await portals.pop()!.close();
});

async function portal(options: Parameters<typeof startTestPortal>[0] = {}): Promise<TestPortal> {
  const t = await startTestPortal({ ...options, env: { SMTP_URL: smtp.url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ...options.env } });
  portals.push(t);
  return t;
}

function statusOf(t: TestPortal, id: number): string {
  return (t.portal.deps.db.prepare('SELECT status FROM invoices WHERE id = ?').get(id) as { status: string }).status;
}

function emailsOfKind(t: TestPortal, kind: string): { invoiceId: number; subject: string }[] {
  return t.portal.deps.db.prepare('SELECT invoice_id AS invoiceId, subject FROM outbox WHERE kind = ? ORDER BY id').all(kind) as {
    invoiceId: number;
    subject: string;
  }[];
}

async function issueViaHttp(t: TestPortal, sub: string, email: string) {
  const { id } = await issuedInvoice(t, { claims: { sub, class: `class-${sub}` }, billing: { email, name: `Learner ${sub}` } });
  return t.portal.deps.db.prepare('SELECT id, expires_at AS expiresAt, due_date AS dueDate, issue_date AS issueDate FROM invoices WHERE id = ?').get(id) as {
    id: number;
    expiresAt: string;
    dueDate: string;
    issueDate: string;
  };
}

describe('expire-invoices', () => {
  test('expires an unpaid invoice at its expiry, not a second before; emails the learner once; a second run changes nothing', async () => {
    const t = await portal();
    const invoice = await issueViaHttp(t, 'exp-1', 'expiring@example.com');
    await t.idle();
    t.clock.set(new Date(Date.parse(invoice.expiresAt) - 1000));
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 0, heldPartiallyPaid: 0 });
    expect(statusOf(t, invoice.id)).toBe('awaiting_payment');

    t.clock.set(new Date(Date.parse(invoice.expiresAt) + 1000));
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 1, heldPartiallyPaid: 0 });
    expect(statusOf(t, invoice.id)).toBe('expired');
    await t.idle();
    const mail = await smtp.waitFor((m) => addressesOf(m).includes('expiring@example.com') && (m.subject ?? '').endsWith('has expired'));
    expect(mail.text).toMatch(/open the course and click "Join now"/);
    expect(mail.text).toContain('/course');

    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 0, heldPartiallyPaid: 0 });
    await t.idle();
    expect(smtp.to('expiring@example.com').filter((m) => m.subject?.endsWith('has expired'))).toHaveLength(1);
    const timeline = t.portal.deps.db.prepare("SELECT summary FROM audit_log WHERE invoice_id = ? AND action = 'invoice.expired'").all(invoice.id);
    expect(timeline).toHaveLength(1);
  });

  test('after expiry the desk lists expired and open invoices by amount, each in its own tab, in order both ways', async () => {
    const t = await portal();
    const issue = async (sub: string, price: string) =>
      (await issuedInvoice(t, { claims: { sub, class: `class-${sub}`, price }, billing: { email: `${sub}@example.com`, name: `Learner ${sub}` } })).id;
    const expiring = [await issue('amt-1', '300.00'), await issue('amt-2', '1200.00'), await issue('amt-3', '750.00')];
    const expiresAt = (t.portal.deps.db.prepare('SELECT MAX(expires_at) FROM invoices').pluck().get() as string)!;
    t.clock.set(new Date(Date.parse(expiresAt) + 1000));
    const open = [await issue('amt-4', '900.00'), await issue('amt-5', '100.00')];
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 3, heldPartiallyPaid: 0 });

    const staff = await signIn(t);
    const listed = async (query: string) =>
      [...(await (await staff.get(`/admin?${query}`)).text()).matchAll(/href="\/admin\/invoices\/(\d+)"/g)].map((m) => Number(m[1]));
    const [cheap, dear, middle] = expiring as [number, number, number];
    expect(await listed('tab=expired&sort=amount&dir=asc')).toEqual([cheap, middle, dear]);
    expect(await listed('tab=expired&sort=amount&dir=desc')).toEqual([dear, middle, cheap]);
    expect(await listed('tab=expired&sort=due&dir=asc')).toEqual(expiring);
    expect(await listed('tab=awaiting&sort=amount&dir=desc')).toEqual(open);
    expect(await listed('tab=awaiting&sort=amount&dir=asc')).toEqual([...open].reverse());
  });

  test('partially paid invoices are not expired silently: they are held and listed for staff, once', async () => {
    const t = await portal();
    const invoice = await issueViaHttp(t, 'part-1', 'part@example.com');
    const staff = await signIn(t);
    const form = await (await staff.get(`/admin/invoices/${invoice.id}/payment`)).text();
    await staff.post(`/admin/invoices/${invoice.id}/payments`, {
      amount: '100.00',
      receivedOn: calendarDate(t.clock.now(), 'Australia/Sydney'),
      idempotencyKey: hiddenField(form, 'idempotencyKey'),
      expectedPaid: '0',
    });
    t.clock.set(new Date(Date.parse(invoice.expiresAt) + 1000));
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 0, heldPartiallyPaid: 1 });
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 0, heldPartiallyPaid: 0 });
    expect(statusOf(t, invoice.id)).toBe('partially_paid');
    const held = t.portal.deps.db.prepare("SELECT summary FROM audit_log WHERE action = 'invoice.expiry_held'").all() as { summary: string }[];
    expect(held).toHaveLength(1);
    expect(held[0]!.summary).toMatch(/AUD\s1,000\.00 still due/);
    const desk = pageText(await (await (await signIn(t)).get('/admin?tab=partially_paid')).text());
    expect(desk).toMatch(/1 partially paid invoice passed its expiry date and is waiting for you/);
    expect(desk).toMatch(/AUD\s1,000\.00 Overdue Past expiry/);
  });

  test('more partially paid invoices past their expiry than fit in a batch, all expiring at one instant: each is held once, none expired', async () => {
    const t = await portal();
    const ids = seedInvoices(t.portal.deps, 450);
    t.portal.deps.db.prepare(`UPDATE invoices SET status = 'partially_paid', paid_minor = 10000 WHERE id IN (${ids.join(', ')})`).run();
    t.clock.advanceDays(31);
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 0, heldPartiallyPaid: 450 });
    expect((await t.portal.runner.run('expire-invoices')).counts).toEqual({ expired: 0, heldPartiallyPaid: 0 });
    const held = t.portal.deps.db.prepare("SELECT invoice_id FROM audit_log WHERE action = 'invoice.expiry_held'").pluck().all() as number[];
    expect([...held].sort((a, b) => a - b)).toEqual(ids);
    expect(ids.filter((id) => statusOf(t, id) !== 'partially_paid')).toEqual([]);
  });

  test('a crash in the middle of a batch leaves nothing half done; the next run finishes the job exactly once', async () => {
    let renders = 0;
    let crash = true;
    const real = createViews({ timeZone: 'Australia/Sydney', publicUrl: 'http://x', sandbox: false });
    const crashing: Views = {
      page: (name, context) => real.page(name, context),
      text: (name, context) => {
        if (name === 'email/expired.subject.njk' && crash && ++renders === 30) throw new Error('simulated crash while expiring');
        return real.text(name, context);
      },
    };
    const t = await portal({ overrides: { views: crashing } });
    const ids = seedInvoices(t.portal.deps, 60);
    t.clock.advanceDays(31);
    await expect(t.portal.runner.run('expire-invoices')).rejects.toThrow(/simulated crash/);
    const expiredAfterCrash = ids.filter((id) => statusOf(t, id) === 'expired');
    // Whatever committed is whole: every expired invoice has its email and its timeline entry.
    expect(
      emailsOfKind(t, 'expired')
        .map((e) => e.invoiceId)
        .sort(),
    ).toEqual(expiredAfterCrash.sort());
    expect(expiredAfterCrash.length).toBeLessThan(60);
    crash = false;
    expect((await t.portal.runner.run('expire-invoices')).counts.expired).toBe(60 - expiredAfterCrash.length);
    expect(ids.every((id) => statusOf(t, id) === 'expired')).toBe(true);
    const emails = emailsOfKind(t, 'expired').map((e) => e.invoiceId);
    expect(emails).toHaveLength(60);
    expect(new Set(emails).size).toBe(60);
    const runs = t.portal.deps.db.prepare("SELECT status FROM job_runs WHERE name = 'expire-invoices' ORDER BY id").all();
    expect(runs).toEqual([{ status: 'failed' }, { status: 'succeeded' }]);
  });

  test('two processes on one database expire and email each invoice once', async () => {
    const dataDir = tempDir();
    const clock = new FakeClock();
    const a = await portal({ dataDir, clock });
    const b = await portal({ dataDir, clock });
    seedInvoices(a.portal.deps, 120, { email: (i) => `twice${i}@example.com` });
    clock.advanceDays(31);
    const runs = await Promise.all([a.portal.runner.run('expire-invoices'), b.portal.runner.run('expire-invoices'), a.portal.runner.run('expire-invoices')]);
    expect(runs.reduce((sum, r) => sum + (r.counts.expired ?? 0), 0)).toBe(120);
    await Promise.all([a.portal.runner.run('deliver-mail'), b.portal.runner.run('deliver-mail')]);
    await Promise.all([a.idle(), b.idle()]);
    await smtp.waitFor((m) => addressesOf(m).includes('twice119@example.com'));
    for (let i = 0; i < 120; i += 7) expect(smtp.to(`twice${i}@example.com`), `twice${i}`).toHaveLength(1);
    expect(emailsOfKind(a, 'expired')).toHaveLength(120);
    expect(smtp.messages.filter((m) => (m.subject ?? '').endsWith('has expired') && addressesOf(m)[0]!.startsWith('twice'))).toHaveLength(120);
  });

  test('the web server keeps answering while the job works through thousands of rows', async () => {
    const t = await portal();
    seedInvoices(t.portal.deps, 5000);
    t.clock.advanceDays(31);
    let finished = false;
    const job = t.portal.runner.run('expire-invoices').then((run) => {
      finished = true;
      return run;
    });
    const answeredDuringJob: boolean[] = [];
    while (!finished) {
      const response = await t.get('/healthz');
      expect(response.status).toBe(200);
      answeredDuringJob.push(!finished);
    }
    expect((await job).counts.expired).toBe(5000);
    // Several requests were served between the job's batches, before it finished.
    expect(answeredDuringJob.filter(Boolean).length).toBeGreaterThan(3);
  });

  test('stopping (SIGTERM) lets the running batch finish and the next run carries on', async () => {
    const t = await portal();
    const ids = seedInvoices(t.portal.deps, 3000);
    t.clock.advanceDays(31);
    const run = t.portal.runner.run('expire-invoices');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await t.portal.runner.stop();
    const stopped = await run;
    expect(stopped.status).toBe('stopped');
    const done = ids.filter((id) => statusOf(t, id) === 'expired').length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(3000);
    expect(emailsOfKind(t, 'expired')).toHaveLength(done);
    const next = await startTestPortal({ dataDir: t.dataDir, clock: t.clock, env: { SMTP_URL: smtp.url } });
    portals.push(next);
    expect((await next.portal.runner.run('expire-invoices')).counts.expired).toBe(3000 - done);
  });
});

describe('send-reminders', () => {
  test('which reminder is due: REMINDER_DAYS before the due date, the latest one if a day was missed, none after the due date', () => {
    const days = [3, 0];
    expect(reminderDue(days, '2026-11-26', '2026-12-10', '2026-12-06')).toBeUndefined();
    expect(reminderDue(days, '2026-11-26', '2026-12-10', '2026-12-07')).toBe(3);
    expect(reminderDue(days, '2026-11-26', '2026-12-10', '2026-12-09')).toBe(3);
    expect(reminderDue(days, '2026-11-26', '2026-12-10', '2026-12-10')).toBe(0);
    expect(reminderDue(days, '2026-11-26', '2026-12-10', '2026-12-11')).toBeUndefined();
    // Issued two days before it is due: the invoice email itself was the reminder.
    expect(reminderDue(days, '2026-12-08', '2026-12-10', '2026-12-08')).toBeUndefined();
    expect(reminderDue(days, '2026-12-08', '2026-12-10', '2026-12-10')).toBe(0);
  });

  test('reminders go out on their days in the institution time zone, once each, with the amount still owed', async () => {
    // 10:00 UTC is 21:00 in Sydney: dates are Sydney dates.
    const t = await portal({ env: { REMINDER_DAYS: '3,0' } });
    const owed = await issueViaHttp(t, 'rem-1', 'remind@example.com');
    const paid = await issueViaHttp(t, 'rem-2', 'paid@example.com');
    const cancelled = await issueViaHttp(t, 'rem-3', 'cancelled@example.com');
    const partial = await issueViaHttp(t, 'rem-4', 'partial@example.com');
    expect(owed.dueDate).toBe('2026-12-10');
    const staff = await signIn(t);
    const pay = async (id: number, amount: string) => {
      const form = await (await staff.get(`/admin/invoices/${id}/payment`)).text();
      await staff.post(`/admin/invoices/${id}/payments`, {
        amount,
        receivedOn: '2026-11-26',
        idempotencyKey: hiddenField(form, 'idempotencyKey'),
        expectedPaid: hiddenField(form, 'expectedPaid'),
      });
    };
    await pay(paid.id, '1100.00');
    await pay(partial.id, '600.00');
    await staff.post(`/admin/invoices/${cancelled.id}/cancel`, { reason: 'Changed class' });
    await t.idle();

    const runOn = async (sydneyDate: string) => {
      t.clock.set(`${sydneyDate}T09:00:00+11:00`);
      return (await t.portal.runner.run('send-reminders')).counts;
    };
    expect(await runOn('2026-12-06')).toMatchObject({ queued: 0 });
    expect(await runOn('2026-12-07')).toMatchObject({ queued: 2 });
    expect(await runOn('2026-12-07')).toMatchObject({ queued: 0 });
    expect(await runOn('2026-12-08')).toMatchObject({ queued: 0 });
    expect(await runOn('2026-12-10')).toMatchObject({ queued: 2 });
    expect(await runOn('2026-12-11')).toMatchObject({ queued: 0 });
    await t.idle();
    const subjects = (address: string) =>
      smtp
        .to(address)
        .map((m) => m.subject)
        .filter((s) => /Reminder|Due today/.test(s ?? ''));
    expect(subjects('remind@example.com')).toEqual([
      expect.stringMatching(/^Reminder: invoice INV-\d+, AUD\s1,100\.00 for/),
      expect.stringMatching(/^Due today: invoice INV-\d+/),
    ]);
    expect(subjects('partial@example.com')[0]).toMatch(/AUD\s500\.00/);
    expect(subjects('paid@example.com')).toEqual([]);
    expect(subjects('cancelled@example.com')).toEqual([]);
    const text = smtp.to('partial@example.com').find((m) => m.subject?.startsWith('Reminder'))!.text!;
    expect(text).toMatch(/Still to pay: AUD\s500\.00 \(we have received AUD\s600\.00 of AUD\s1,100\.00\)/);
  });
});

describe('purge', () => {
  test('forgets spent tokens and abandoned billing requests once they are useless; never invoices, payments or audit rows', async () => {
    const t = await portal();
    await issueViaHttp(t, 'kept-1', 'kept@example.com');
    await t.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'abandoned' }), { now: t.clock.now() }) });
    const counts = () => ({
      tokens: t.count('used_tokens'),
      requests: t.count('enrolment_requests'),
      invoices: t.count('invoices'),
      audit: t.count('audit_log'),
    });
    expect(counts()).toMatchObject({ tokens: 2, requests: 2, invoices: 1 });
    const audit = t.count('audit_log');

    expect((await t.portal.runner.run('purge')).counts).toMatchObject({ usedTokens: 0, abandonedRequests: 0 });
    t.clock.advance(13 * 60_000); // tokens expire after 10 minutes (+ tolerance)
    expect((await t.portal.runner.run('purge')).counts).toMatchObject({ usedTokens: 2, abandonedRequests: 0 });
    t.clock.advance(24 * 3600_000);
    expect((await t.portal.runner.run('purge')).counts).toMatchObject({ usedTokens: 0, abandonedRequests: 1 });
    expect((await t.portal.runner.run('purge')).counts).toMatchObject({ usedTokens: 0, abandonedRequests: 0 });
    expect(counts()).toEqual({ tokens: 0, requests: 1, invoices: 1, audit });
    expect(() => t.portal.deps.db.prepare('DELETE FROM invoices').run()).toThrow(/never deleted/);
  });
});

describe('backup', () => {
  test('makes a checked, consistent copy of the database and keeps the newest BACKUP_KEEP', async () => {
    const t = await portal({ env: { BACKUP_KEEP: '2' } });
    await issueViaHttp(t, 'backup-1', 'backup@example.com');
    for (let i = 0; i < 3; i++) {
      expect((await t.portal.runner.run('backup')).status).toBe('succeeded');
      t.clock.advance(3600_000);
    }
    const files = listBackups(t.config);
    expect(files).toHaveLength(2);
    expect(files[1]).toMatch(/portal-20261126T120000Z\.db$/);
    const copy = new Database(files[1]!, { readonly: true });
    try {
      expect(copy.prepare('SELECT COUNT(*) AS n FROM invoices').get()).toEqual({ n: 1 });
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      copy.close();
    }
    expect(fs.readdirSync(`${t.dataDir}/backups`).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe('job runs', () => {
  test('each run is recorded with its counts, and an in-process rerun while running is skipped', async () => {
    const t = await portal();
    seedInvoices(t.portal.deps, 50);
    t.clock.advanceDays(31);
    const [first, second] = await Promise.all([t.portal.runner.run('expire-invoices'), t.portal.runner.run('expire-invoices')]);
    expect(first.counts.expired).toBe(50);
    expect(second).toMatchObject({ status: 'skipped', skipped: 'already-running' });
    const line = t.logs.find((l) => l.msg === 'job finished' && l.job === 'expire-invoices');
    expect(line).toMatchObject({ job: 'expire-invoices', expired: 50, heldPartiallyPaid: 0 });
    expect(typeof line?.ms).toBe('number');
    expect(toDbTime(addDays(t.clock.now(), 0))).toBeTruthy();
  });
});
