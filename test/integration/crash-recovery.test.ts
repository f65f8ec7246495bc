/**
 * After a kill, a restarted portal takes back at once the work its dead run had leased (queued
 * email, an enrolment call in flight), while two live processes on one database still never take
 * each other's work.
 */
import Database from 'better-sqlite3';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { FakeOpenLearning, hang } from '../helpers/fake-openlearning.js';
import { baseEnv, locationPath, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { freePort, httpClient, startServer, type ServerProcess } from '../helpers/server-process.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, hiddenField, signIn } from '../helpers/staff.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

/** An SMTP server that accepts connections and never says a word: a sender waits on it. */
async function silentSmtp(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let smtp: TestSmtpServer;
let silent: Awaited<ReturnType<typeof silentSmtp>>;
let ol: FakeOpenLearning;
beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  silent = await silentSmtp();
  ol = await new FakeOpenLearning().start();
});
afterAll(async () => {
  await smtp?.stop();
  await silent?.close();
  await ol?.stop();
});

describe('after a kill', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => server?.kill9());

  test('the restarted server sends the queued email and reports the interrupted enrolment within seconds', async () => {
    const port = await freePort();
    const dataDir = tempDir();
    const env = (smtpUrl: string) =>
      baseEnv(port, dataDir, {
        SMTP_URL: smtpUrl,
        OPENLEARNING_API_URL: ol.apiUrl,
        OPENLEARNING_API_TIMEOUT: '60',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      });
    server = await startServer(env(silent.url), port);
    const web = httpClient(server.url);
    const enrol = await web.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'crash-1', class: 'crash-class' }), { now: new Date() }) });
    expect((await web.post(locationPath(enrol), { name: 'Crash Learner', email: 'crash@example.com' })).status).toBe(303);
    ol.respondWith(hang);
    const staff = await signIn(web);
    const payment = await (await staff.get('/admin/invoices/1/payment')).text();
    const paid = await staff.post('/admin/invoices/1/payments', {
      amount: '1100.00',
      receivedOn: new Date().toISOString().slice(0, 10),
      bankReference: '',
      note: '',
      idempotencyKey: hiddenField(payment, 'idempotencyKey'),
      expectedPaid: hiddenField(payment, 'expectedPaid'),
    });
    expect(paid.status).toBe(303);
    const db = new Database(`${dataDir}/portal.db`, { readonly: true });
    try {
      // The invoice email is leased by a sender waiting on the silent SMTP server; the enrolment
      // call is in flight to an OpenLearning that does not answer.
      await waitFor(
        () => (db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'invoice' AND locked_by IS NOT NULL").get() as { n: number }).n === 1 || undefined,
      );
      await waitFor(() => ol.enrolmentCalls().length === 1 || undefined);
      await server.kill9();
      const restartedAt = Date.now();
      server = await startServer(env(smtp.url), port);
      await smtp.waitFor((m) => addressesOf(m).includes('crash@example.com') && /^Invoice /.test(m.subject ?? ''), 15_000);
      await waitFor(
        () => (db.prepare('SELECT status FROM invoices WHERE id = 1').get() as { status: string }).status === 'enrolment_failed' || undefined,
        15_000,
      );
      expect(Date.now() - restartedAt).toBeLessThan(15_000);
      expect(ol.enrolmentCalls()).toHaveLength(1);
    } finally {
      db.close();
    }
  });
});

describe('two live processes on one database', () => {
  const portals: TestPortal[] = [];
  afterAll(async () => {
    for (const t of portals) await t.close();
  });

  test('a second process does not take the email the first is still sending', async () => {
    const dataDir = tempDir();
    const first = await startTestPortal({ dataDir, env: { SMTP_URL: silent.url } });
    portals.push(first);
    const enrol = await first.post('/enrol', {
      jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'live-1', class: 'live-class' }), { now: first.clock.now() }),
    });
    expect((await first.post(locationPath(enrol), { name: 'Live Learner', email: 'live@example.com' })).status).toBe(303);
    const db = first.portal.deps.db;
    await waitFor(() => (db.prepare('SELECT locked_by AS owner FROM outbox WHERE locked_by IS NOT NULL').get() as { owner: string } | undefined)?.owner);
    const second = await startTestPortal({ dataDir, clock: first.clock, env: { SMTP_URL: smtp.url } });
    portals.push(second);
    const run = await second.portal.runner.run('deliver-mail');
    expect(run.counts.sent ?? 0).toBe(0);
    expect(smtp.to('live@example.com')).toHaveLength(0);
  });
});
