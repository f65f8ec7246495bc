/**
 * Sandbox mode: no OpenLearning key configured, so the portal plays OpenLearning itself. The whole
 * flow over HTTP, and the guarantees that sandbox data cannot pass for production data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pdfText } from '../helpers/pdf.js';
import { locationPath, pageText, SANDBOX_ENV, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { httpClient } from '../helpers/server-process.js';
import { hiddenField, signIn } from '../helpers/staff.js';

let t: TestPortal;
let adminPassword: string;

beforeAll(async () => {
  t = await startTestPortal({ env: { ...SANDBOX_ENV } });
  const line = t.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('staff account created'));
  adminPassword = String(line?.msg).match(/with password (\S+) \(shown once\)/)![1]!;
});
afterAll(async () => t?.close());

/** "Join now" on the demo course page for a class, as the chosen learner. */
async function joinDemoClass(classId: string, learner = 'demo-learner-zoe'): Promise<Response> {
  const page = await (await t.get(`/sandbox?learner=${learner}`)).text();
  const form = page.match(new RegExp(`<article class="class-card" aria-labelledby="class-${classId}">[\\s\\S]*?name="jwt" value="([^"]+)"`));
  if (!form) throw new Error(`no Join now form for ${classId}`);
  return t.post('/enrol', { jwt: form[1]! });
}

describe('sandbox mode', () => {
  test('starts with sandbox defaults, separate data, and a generated staff password printed once', () => {
    expect(t.config.mode).toBe('sandbox');
    expect(t.config.dataDir).toBe(path.join(t.config.rootDataDir, 'sandbox'));
    expect(fs.existsSync(path.join(t.config.dataDir, 'portal.db'))).toBe(true);
    expect(fs.existsSync(path.join(t.config.rootDataDir, 'portal.db'))).toBe(false);
    expect(adminPassword.length).toBeGreaterThanOrEqual(16);
    expect(t.rawLogs.filter((l) => l.includes(adminPassword))).toHaveLength(1);
  });

  test('the demo course page shows classes in four currencies and a Join now button for each', async () => {
    const text = pageText(await (await t.get('/sandbox')).text()).replace(/\u00a0/g, ' ');
    expect(text).toContain('Introduction to Marine Biology');
    for (const price of ['AUD 1,100.00', 'EUR 250.00', 'JPY 30,000', 'MYR 450.00']) expect(text).toContain(price);
    expect(text).toMatch(/Sandbox: no real payments or enrolments/);
    expect(text.match(/Join now/g)!.length).toBeGreaterThanOrEqual(5);
  });

  test('the whole flow: join, invoice, pay, enrolled through the sandbox API, shown on the course page', async () => {
    const enrol = await joinDemoClass('demo-class-eur');
    expect(enrol.status).toBe(303);
    const billing = await t.get(locationPath(enrol));
    expect(pageText(await billing.text())).toMatch(/Sandbox: no real payments or enrolments.*Enrol in Introduction to Marine Biology/);
    const issued = await t.post(locationPath(enrol), { name: 'Zoë Ωμέγα', email: 'zoe@example.com' });
    const confirmation = await (await t.get(locationPath(issued))).text();
    expect(pageText(confirmation)).toMatch(/Your invoice SANDBOX-INV-000001 is ready/);
    const pdf = Buffer.from(await (await t.get(confirmation.match(/href="(\/i\/[^"]+\.pdf)"/)![1]!)).arrayBuffer());
    expect(pdfText(pdf)).toMatch(/SANDBOX/);
    await t.idle();

    // The learner's email is captured and readable in the finance desk.
    const staff = await signIn(t, 'admin@example.com', adminPassword);
    const mail = pageText(await (await staff.get('/admin/mail')).text());
    expect(mail).toMatch(/zoe@example\.com Invoice SANDBOX-INV-000001: Introduction to Marine Biology/);

    const id = (t.portal.deps.db.prepare("SELECT id FROM invoices WHERE number = 'SANDBOX-INV-000001'").get() as { id: number }).id;
    const form = await (await staff.get(`/admin/invoices/${id}/payment`)).text();
    await staff.post(`/admin/invoices/${id}/payments`, {
      amount: '250.00',
      receivedOn: '2026-11-26',
      idempotencyKey: hiddenField(form, 'idempotencyKey'),
      expectedPaid: '0',
    });
    await t.idle();
    expect((t.portal.deps.db.prepare('SELECT status FROM invoices WHERE id = ?').get(id) as { status: string }).status).toBe('enrolled');
    const classPage = pageText(await (await t.get('/sandbox/course/demo-class-eur')).text());
    expect(classPage).toMatch(/Enrolled learners demo-learner-zoe/);
    const coursePage = pageText(await (await t.get('/sandbox?learner=demo-learner-zoe')).text());
    expect(coursePage).toMatch(/Go to class \(demo-learner-zoe is enrolled\)/);
  });

  test('the refusing demo class shows staff a failed enrolment', async () => {
    const enrol = await joinDemoClass('demo-class-refused', 'demo-learner-amira');
    await t.post(locationPath(enrol), { name: 'أميرة', email: 'amira@example.com' });
    const id = (t.portal.deps.db.prepare("SELECT id FROM invoices WHERE buyer_email = 'amira@example.com'").get() as { id: number }).id;
    const staff = await signIn(t, 'admin@example.com', adminPassword);
    const form = await (await staff.get(`/admin/invoices/${id}/payment`)).text();
    await staff.post(`/admin/invoices/${id}/payments`, {
      amount: '99.00',
      receivedOn: '2026-11-26',
      idempotencyKey: hiddenField(form, 'idempotencyKey'),
      expectedPaid: '0',
    });
    await t.idle();
    const page = pageText(await (await staff.get(`/admin/invoices/${id}`)).text());
    expect(page).toMatch(/OpenLearning said: Sandbox: this class refuses every enrolment/);
  });

  test('the sandbox enrolment API checks the API key', async () => {
    const response = await t.post('/sandbox/api/v2.2/enrolments/?api_key=wrong', { class: 'demo-class-aud', user: 'x' });
    expect(response.status).toBe(401);
    const jsonCall = (headers: Record<string, string>) =>
      t.get('/sandbox/api/v2.2/enrolments/submit-json/', {
        method: 'POST',
        headers,
        body: JSON.stringify({ user: 'x', course: 'c', class: 'demo-class-aud' }),
      });
    expect((await jsonCall({ 'content-type': 'application/json; charset=utf-8', 'x-api-key': 'wrong' })).status).toBe(401);
    // Like OpenLearning, the JSON routes want the exact content type.
    expect((await jsonCall({ 'content-type': 'application/json', 'x-api-key': 'sandbox-api-key' })).status).toBe(405);
  });

  test('the demo program: Join now, an invoice for the program, payment, enrolled through the program API', async () => {
    const page = await (await t.get('/sandbox?learner=demo-learner-yamada')).text();
    const jwt = page.match(/aria-labelledby="program-demo-program-ocean-science">[\s\S]*?name="jwt" value="([^"]+)"/)![1]!;
    const enrol = await t.post('/enrol', { jwt });
    expect(pageText(await (await t.get(locationPath(enrol))).text())).toMatch(/Program Ocean Science Program/);
    await t.post(locationPath(enrol), { name: '山田 花子', email: 'yamada@example.com' });
    const id = (t.portal.deps.db.prepare("SELECT id FROM invoices WHERE buyer_email = 'yamada@example.com'").get() as { id: number }).id;
    const staff = await signIn(t, 'admin@example.com', adminPassword);
    const form = await (await staff.get(`/admin/invoices/${id}/payment`)).text();
    await staff.post(`/admin/invoices/${id}/payments`, {
      amount: '2400.00',
      receivedOn: '2026-11-26',
      idempotencyKey: hiddenField(form, 'idempotencyKey'),
      expectedPaid: '0',
    });
    await t.idle();
    expect((t.portal.deps.db.prepare('SELECT status FROM invoices WHERE id = ?').get(id) as { status: string }).status).toBe('enrolled');
    expect(pageText(await (await t.get('/sandbox/program/demo-program-ocean-science')).text())).toMatch(/Enrolled learners demo-learner-yamada/);
    expect(pageText(await (await t.get('/sandbox?learner=demo-learner-yamada')).text())).toMatch(/Go to program \(demo-learner-yamada is enrolled\)/);
  });
});

describe('production mode', () => {
  test('every sandbox route is a 404, and sandbox-signed tokens are refused', async () => {
    const sandboxPage = await (await t.get('/sandbox')).text();
    const jwt = sandboxPage.match(/name="jwt" value="([^"]+)"/)![1]!;
    const dataDir = tempDir();
    fs.mkdirSync(path.join(dataDir, 'sandbox'));
    const production = await startTestPortal({ dataDir });
    try {
      for (const p of ['/sandbox', '/sandbox/course/demo-class-aud']) expect((await production.get(p)).status, p).toBe(404);
      expect((await production.post('/sandbox/api/v2.2/enrolments/?api_key=sandbox-api-key', { class: 'demo-class-aud', user: 'x' })).status).toBe(404);
      const enrol = await production.post('/enrol', { jwt });
      expect(enrol.status).toBe(400);
      // Starting in production next to old sandbox data says so.
      expect(production.logs.some((l) => /sandbox data in .* is kept apart and never used here/.test(String(l.msg)))).toBe(true);
    } finally {
      await production.close();
    }
  });

  test('starting in sandbox mode next to a production database says so loudly', async () => {
    const dataDir = tempDir();
    const production = await startTestPortal({ dataDir });
    await production.close();
    const sandbox = await startTestPortal({ dataDir, env: { ...SANDBOX_ENV } });
    try {
      const line = sandbox.logs.find((l) => /SANDBOX MODE although a production database exists/.test(String(l.msg)));
      expect(line?.level).toBe(50);
    } finally {
      await sandbox.close();
    }
  });
});

describe('the sandbox opened at another loopback name', () => {
  test('pages opened at 127.0.0.1 go to the PUBLIC_URL host first, so Join now and staff sign-in work', async () => {
    // Listen first to learn the port, then say PUBLIC_URL is localhost on that port.
    const probe = await startTestPortal({ env: { ...SANDBOX_ENV } });
    const port = probe.port;
    await probe.close();
    const other = await startTestPortal({ env: { ...SANDBOX_ENV, PUBLIC_URL: `http://localhost:${port}` }, port });
    try {
      expect(other.port).toBe(port);
      for (const pathname of ['/sandbox', '/admin/login?next=%2Fadmin', `/billing/${'x'.repeat(43)}`]) {
        const response = await other.get(pathname);
        expect(response.status, pathname).toBe(302);
        expect(response.headers.get('location'), pathname).toBe(`http://localhost:${port}${pathname}`);
      }
      expect((await other.get('/healthz')).status).toBe(200);
      // At the canonical name the sign-in form is accepted.
      const canonical = httpClient(`http://localhost:${port}`);
      const line = other.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('staff account created'));
      const password = String(line?.msg).match(/with password (\S+) \(shown once\)/)![1]!;
      const staff = await signIn(canonical, 'admin@example.com', password);
      expect((await staff.get('/admin')).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  test('in production nothing is redirected (the reverse proxy owns host names)', async () => {
    const production = await startTestPortal({ env: { PUBLIC_URL: 'http://localhost:1' } });
    try {
      expect((await production.get('/admin/login')).status).toBe(200);
    } finally {
      await production.close();
    }
  });
});
