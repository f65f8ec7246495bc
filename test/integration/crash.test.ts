/**
 * The crash test: learners issue invoices and staff record payments, all at once, while the real
 * server (dist/cli.js serve) is killed with SIGKILL several times and started again. Afterwards
 * the database must be as if nothing had happened: numbers unique and gapless, each completed
 * payment enrolled once (or still queued, or reported to staff when a call was cut off), each
 * email sent (a second copy only with the same Message-ID), and no row pointing at nothing.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { FakeOpenLearning } from '../helpers/fake-openlearning.js';
import { baseEnv, locationPath, tempDir } from '../helpers/portal.js';
import { freePort, httpClient, startServer, type ServerProcess } from '../helpers/server-process.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, addStaffViaCli, hiddenField, signIn, type StaffBrowser } from '../helpers/staff.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

const LEARNERS = 36;
const LEARNER_WORKERS = 6;
const KILLS = 3;

let smtp: TestSmtpServer;
let ol: FakeOpenLearning;
let server: ServerProcess | undefined;
beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  ol = await new FakeOpenLearning().start();
});
afterAll(async () => {
  await server?.kill9();
  await smtp?.stop();
  await ol?.stop();
});

/** Retries a request through restarts: a refused or cut connection is tried again, an answer is returned. */
async function retrying(request: () => Promise<Response>, deadline: number): Promise<Response> {
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

test(`${LEARNERS} learners and two staff members at work while the server is killed ${KILLS} times: nothing is lost, doubled or left dangling`, async () => {
  const port = await freePort();
  const dataDir = tempDir();
  const env = baseEnv(port, dataDir, { SMTP_URL: smtp.url, OPENLEARNING_API_URL: ol.apiUrl, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
  server = await startServer(env, port);
  await addStaffViaCli(env, 'second@example.edu');
  const web = httpClient(server.url);
  const deadline = Date.now() + 45_000;
  const staff: StaffBrowser[] = [await signIn(web), await signIn(web, 'second@example.edu', 'a long enough password')];
  const serverErrors: string[] = [];
  const check = (what: string, response: Response) => {
    if (response.status >= 500) serverErrors.push(`${what}: ${response.status}`);
    return response;
  };

  // Learners: "Join now" (a fresh token per try: a used one is refused by design), then the
  // billing form, retried with the same link until it answers.
  const issued: number[] = [];
  let nextLearner = 0;
  async function learnerWorker() {
    while (nextLearner < LEARNERS) {
      const n = nextLearner++;
      let billing: string | undefined;
      while (!billing) {
        const claims = enrolmentClaims({ sub: `crash-user-${n}`, class: `crash-class-${n}` });
        const enrol = check('enrol', await retrying(async () => web.post('/enrol', { jwt: await signEnrolmentToken(claims, { now: new Date() }) }), deadline));
        if (enrol.status === 303) billing = locationPath(enrol);
      }
      for (;;) {
        const response = check('billing', await retrying(() => web.post(billing, { name: `Crash Learner ${n}`, email: `crash${n}@example.com` }), deadline));
        if (response.status === 303) break;
      }
      issued.push(n);
    }
  }

  // Staff: each records full payments on invoices awaiting payment, retrying a form whose answer was lost.
  const db = () => new Database(`${dataDir}/portal.db`, { readonly: true, fileMustExist: true });
  const taken = new Set<number>();
  let learnersDone = false;
  async function staffWorker(browser: StaffBrowser) {
    for (;;) {
      const reader = db();
      const open = (reader.prepare("SELECT id FROM invoices WHERE status = 'awaiting_payment' ORDER BY id").all() as { id: number }[])
        .map((r) => r.id)
        .filter((id) => !taken.has(id));
      reader.close();
      if (open.length === 0) {
        if (learnersDone) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const id = open[0]!;
      taken.add(id);
      const form = await (await retrying(() => browser.get(`/admin/invoices/${id}/payment`), deadline)).text();
      const fields = {
        amount: '1100.00',
        receivedOn: new Date().toISOString().slice(0, 10),
        bankReference: `BANK-${id}`,
        note: '',
        idempotencyKey: hiddenField(form, 'idempotencyKey'),
        expectedPaid: hiddenField(form, 'expectedPaid'),
      };
      for (;;) {
        const response = check('payment', await retrying(() => browser.post(`/admin/invoices/${id}/payments`, fields), deadline));
        if (response.status === 303 || response.status === 409) break;
      }
    }
  }

  // The killer: SIGKILL at points spread over the busy part (by progress, not by the clock, so a
  // fast or a slow machine both see kills while learners are at work), then start again at once.
  const issuedAtKill: number[] = [];
  async function killer() {
    for (let i = 0; i < KILLS; i++) {
      const threshold = Math.floor(((i + 1) * LEARNERS) / (KILLS + 2)) + Math.floor(Math.random() * 3);
      while (issued.length < threshold && !learnersDone) await new Promise((resolve) => setTimeout(resolve, 20));
      issuedAtKill.push(issued.length);
      await server!.kill9();
      server = await startServer(env, port);
    }
  }

  const learners = Promise.all(Array.from({ length: LEARNER_WORKERS }, () => learnerWorker())).then(() => {
    learnersDone = true;
  });
  await Promise.all([learners, killer(), ...staff.map((s) => staffWorker(s))]);
  expect(issued).toHaveLength(LEARNERS);
  // The kills came while learners were still at work (not after everything was done).
  expect(issuedAtKill.filter((n) => n < LEARNERS).length).toBeGreaterThanOrEqual(2);

  // Let the last run drain its queues (mail and enrolments), then stop it cleanly.
  const reader = db();
  try {
    await waitFor(
      () => {
        const pending = reader
          .prepare("SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending') + (SELECT COUNT(*) FROM enrolment_jobs WHERE status = 'pending') AS n")
          .get() as { n: number };
        return pending.n === 0 || undefined;
      },
      20_000,
      'mail and enrolments to drain',
    );
    expect(serverErrors).toEqual([]);

    // Numbers: unique and gapless.
    const invoices = reader.prepare('SELECT id, seq, number, status, ol_user_id AS user, class_id AS classId FROM invoices ORDER BY seq').all() as {
      id: number;
      seq: number;
      number: string;
      status: string;
      user: string;
      classId: string;
    }[];
    expect(invoices.map((i) => i.seq)).toEqual(invoices.map((_, i) => i + 1));
    expect(new Set(invoices.map((i) => i.number)).size).toBe(invoices.length);
    // One invoice per learner: a retried billing form never issued a second one.
    expect(invoices).toHaveLength(LEARNERS);

    // Payments: one per invoice (retried forms were recorded once), every invoice paid in full.
    const payments = reader.prepare("SELECT invoice_id AS invoiceId, COUNT(*) AS n FROM ledger_entries WHERE kind = 'payment' GROUP BY invoice_id").all() as {
      invoiceId: number;
      n: number;
    }[];
    expect(payments.every((p) => p.n === 1)).toBe(true);
    expect(payments).toHaveLength(LEARNERS);

    // Enrolment: each paid invoice was enrolled by exactly one call, or (a call cut off by a
    // kill) reported to staff after at most one call; never called twice.
    for (const invoice of invoices) {
      const calls = ol.enrolmentCalls().filter((c) => c.form.class === invoice.classId && c.form.user === invoice.user).length;
      expect(['enrolled', 'enrolment_failed'], invoice.number).toContain(invoice.status);
      if (invoice.status === 'enrolled') expect(calls, invoice.number).toBe(1);
      else {
        expect(calls, invoice.number).toBeLessThanOrEqual(1);
        const attempt = reader.prepare('SELECT outcome FROM enrolment_attempts WHERE invoice_id = ? ORDER BY id DESC').get(invoice.id) as { outcome: string };
        expect(attempt.outcome, invoice.number).toBe('unknown');
      }
    }

    // Email: every queued email sent; each delivered copy belongs to one outbox row by its
    // Message-ID; a second copy only where a kill came between SMTP's acceptance and our record.
    const outbox = reader.prepare('SELECT id, status, message_id AS messageId FROM outbox').all() as { id: number; status: string; messageId: string }[];
    expect(outbox.filter((m) => m.status !== 'sent')).toEqual([]);
    const copies = new Map<string, number>();
    for (const mail of smtp.messages) copies.set(mail.messageId ?? '', (copies.get(mail.messageId ?? '') ?? 0) + 1);
    const known = new Set(outbox.map((m) => m.messageId));
    expect([...copies.keys()].filter((id) => !known.has(id))).toEqual([]);
    for (const m of outbox) expect(copies.get(m.messageId), `outbox ${m.id}`).toBeGreaterThanOrEqual(1);
    const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(KILLS);

    // No row refers to a missing row, the file is sound, and the tab counts are exact.
    expect(reader.pragma('foreign_key_check')).toEqual([]);
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok');
    const counts = reader.prepare('SELECT status, n FROM invoice_status_counts').all() as { status: string; n: number }[];
    for (const { status, n } of counts) expect(n, status).toBe(invoices.filter((i) => i.status === status).length);
  } finally {
    reader.close();
  }
  expect(await server.stop()).toBe(0);
  server = undefined;
}, 60_000);
