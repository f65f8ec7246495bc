/**
 * OpenLearning's institution-level External Gateway: programs bought end to end, the JSON and the
 * program enrolment calls, the API key in the X-API-Key header, "already enrolled", OpenLearning's
 * own error text for staff, and the refusal of unsigned posts. Tokens come from both key sources:
 * the PEM keys (portal `form`) and a JWKS (portal `json`).
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { alreadyEnrolled, answer, FakeOpenLearning, JSON_CONTENT_TYPE } from '../helpers/fake-openlearning.js';
import { pdfText } from '../helpers/pdf.js';
import { locationPath, pageText, startTestPortal, TEST_API_KEY, type TestPortal } from '../helpers/portal.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { hiddenField, signIn, ADMIN, type StaffBrowser } from '../helpers/staff.js';
import { enrolmentClaims, gatewayClassClaims, programClaims, signEnrolmentToken, TEST_AUDIENCE } from '../helpers/tokens.js';

let smtp: TestSmtpServer;
let ol: FakeOpenLearning;
let pem: TestPortal;
let jwks: TestPortal;
let jwksServer: http.Server;
const jwksKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  ol = await new FakeOpenLearning().start();
  jwksServer = http.createServer(
    (_req, res) =>
      void (async () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [{ ...(await exportJWK(jwksKey.publicKey)), kid: 'gateway-2026', alg: 'RS256', use: 'sig' }] }));
      })(),
  );
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', () => resolve()));
  const common = {
    SMTP_URL: smtp.url,
    OPENLEARNING_API_URL: ol.apiUrl,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    FINANCE_EMAIL: 'finance-team@example.edu',
  };
  pem = await startTestPortal({ env: { ...common } });
  jwks = await startTestPortal({
    env: {
      ...common,
      OPENLEARNING_PUBLIC_KEY: undefined,
      OPENLEARNING_JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`,
      OPENLEARNING_ENROL_API: 'json',
      INVOICE_PREFIX: 'GW-',
    },
  });
});
afterAll(async () => {
  await pem?.close();
  await jwks?.close();
  await ol?.stop();
  await smtp?.stop();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});
beforeEach(() => ol.reset());

let n = 0;
interface Bought {
  id: number;
  number: string;
  statusPath: string;
  email: string;
  staff: StaffBrowser;
}

/** "Join now" with these claims, billing details, then staff record the full payment. */
async function buy(t: TestPortal, claims: Record<string, unknown>, options: { pay?: boolean } = {}): Promise<Bought> {
  n++;
  const signOptions = t === jwks ? { key: jwksKey.privateKey, header: { kid: 'gateway-2026' } } : {};
  const enrol = await t.post('/enrol', { jwt: await signEnrolmentToken(claims, { now: t.clock.now(), ...signOptions }) });
  expect(enrol.status).toBe(303);
  const email = `gateway${n}@example.com`;
  const issued = await t.post(locationPath(enrol), { name: `Gateway Learner ${n}`, email });
  expect(issued.status).toBe(303);
  const statusPath = locationPath(issued).replace(/\/confirmation$/, '');
  const row = t.portal.deps.db.prepare('SELECT id, number FROM invoices WHERE access_token = ?').get(statusPath.split('/')[2]) as {
    id: number;
    number: string;
  };
  const staff = await signIn(t);
  if (options.pay !== false) {
    const form = await (await staff.get(`/admin/invoices/${row.id}/payment`)).text();
    const amount = form.match(/name="amount"[^>]*value="([^"]*)"/)![1]!;
    const paid = await staff.post(`/admin/invoices/${row.id}/payments`, {
      amount,
      receivedOn: '2026-11-26',
      idempotencyKey: hiddenField(form, 'idempotencyKey'),
      expectedPaid: '0',
    });
    expect(paid.status).toBe(303);
  }
  await t.idle();
  return { ...row, statusPath, email, staff };
}

const statusOf = (t: TestPortal, id: number) => (t.portal.deps.db.prepare('SELECT status FROM invoices WHERE id = ?').get(id) as { status: string }).status;

describe('a program bought through the External Gateway', () => {
  test('billing page, invoice, PDF and emails say Program; payment enrols through the program endpoint; the learner gets the link', async () => {
    const claims = programClaims({ sub: 'ol-program-learner' });
    const enrol = await pem.post('/enrol', { jwt: await signEnrolmentToken(claims, { now: pem.clock.now() }) });
    expect(enrol.status).toBe(303);
    const billing = pageText(await (await pem.get(locationPath(enrol))).text());
    expect(billing).toMatch(/Enrol in Ocean Science Program.*Program Ocean Science Program/);
    expect(billing).not.toMatch(/\bClass\b/);

    const issued = await pem.post(locationPath(enrol), { name: 'Program Learner', email: 'program.learner@example.com' });
    const statusPath = locationPath(issued).replace(/\/confirmation$/, '');
    const invoicePage = await (await pem.get(statusPath)).text();
    expect(pageText(invoicePage)).toMatch(/Program Ocean Science Program/);
    const pdf = Buffer.from(await (await pem.get(invoicePage.match(/href="(\/i\/[^"]+\.pdf)"/)![1]!)).arrayBuffer());
    const text = pdfText(pdf);
    expect(text).toContain('Ocean Science Program');
    // Learners read what they bought; the program id is for staff (the admin page, the e-invoice).
    expect(text).toContain('Program enrolment');
    expect(text).not.toMatch(/program-ocean-science|Course enrolment/);
    await pem.idle();
    const invoiceMail = await smtp.waitFor((m) => addressesOf(m).includes('program.learner@example.com'));
    expect(invoiceMail.subject).toMatch(/^Invoice INV-\d{6}: Ocean Science Program$/);

    const id = (pem.portal.deps.db.prepare('SELECT id FROM invoices WHERE buyer_email = ?').get('program.learner@example.com') as { id: number }).id;
    const staff = await signIn(pem);
    const adminPage = pageText(await (await staff.get(`/admin/invoices/${id}`)).text());
    expect(adminPage).toMatch(/Program Ocean Science Program program-ocean-science/);
    const form = await (await staff.get(`/admin/invoices/${id}/payment`)).text();
    expect(pageText(form)).toMatch(/Program Ocean Science Program \(program-ocean-science\)/);
    await staff.post(`/admin/invoices/${id}/payments`, {
      amount: '2400.00',
      receivedOn: '2026-11-26',
      idempotencyKey: hiddenField(form, 'idempotencyKey'),
      expectedPaid: '0',
    });
    await pem.idle();

    expect(ol.enrolmentCalls()).toHaveLength(0);
    const [call, ...more] = ol.programEnrolmentCalls();
    expect(more).toHaveLength(0);
    expect(call!.institution).toBe(TEST_AUDIENCE);
    expect(call!.program).toBe('program-ocean-science');
    expect(call!.headers['content-type']).toBe(JSON_CONTENT_TYPE);
    expect(call!.headers['x-api-key']).toBe(TEST_API_KEY);
    expect(call!.query).toEqual({});
    expect(call!.json).toEqual({ user: 'ol-program-learner' });
    expect(statusOf(pem, id)).toBe('enrolled');

    const enrolled = await smtp.waitFor((m) => addressesOf(m).includes('program.learner@example.com') && (m.subject ?? '').startsWith('Payment received'));
    expect(enrolled.subject).toBe('Payment received: you are enrolled in Ocean Science Program');
    expect(enrolled.text).toContain(`${pem.url}${statusPath}/course`);
    const follow = await pem.get(`${statusPath}/course`);
    expect(follow.headers.get('location')).toBe('https://www.openlearning.com/programs/ocean-science/');
  });

  test('"Join now" again on the same program shows the open invoice instead of a second one', async () => {
    const claims = programClaims({ sub: 'ol-program-twice', program: 'program-twice' });
    const first = await buy(pem, claims, { pay: false });
    const again = await pem.post('/enrol', { jwt: await signEnrolmentToken({ ...claims, jti: 'another-jti-program' }, { now: pem.clock.now() }) });
    expect(locationPath(again)).toBe(first.statusPath);
    // A class with the program's id is something else: it gets its own billing page.
    const classToken = enrolmentClaims({ sub: 'ol-program-twice', class: 'program-twice' });
    expect(locationPath(await pem.post('/enrol', { jwt: await signEnrolmentToken(classToken, { now: pem.clock.now() }) }))).toMatch(/^\/billing\//);
  });

  test('"already enrolled" from OpenLearning counts as enrolled, and says so on the invoice', async () => {
    ol.respondWith(alreadyEnrolled('program'));
    const bought = await buy(pem, programClaims({ sub: 'ol-already', program: 'program-already' }));
    expect(ol.programEnrolmentCalls()).toHaveLength(1);
    expect(statusOf(pem, bought.id)).toBe('enrolled');
    const page = pageText(await (await bought.staff.get(`/admin/invoices/${bought.id}`)).text());
    expect(page).toMatch(/Already enrolled, OpenLearning said: User is already enrolled in this program\./);
    await smtp.waitFor((m) => addressesOf(m).includes(bought.email) && (m.subject ?? '').startsWith('Payment received: you are enrolled'));
  });

  test('a refusal shows staff OpenLearning’s own words from meta.error, on the invoice page and in the alert email', async () => {
    ol.respondWith(answer(403, { meta: { status: 403, error: 'Program enrolment is closed for this institution.' }, data: null }));
    const bought = await buy(pem, programClaims({ sub: 'ol-refused', program: 'program-closed' }));
    expect(statusOf(pem, bought.id)).toBe('enrolment_failed');
    const page = pageText(await (await bought.staff.get(`/admin/invoices/${bought.id}`)).text());
    expect(page).toMatch(/OpenLearning said: Program enrolment is closed for this institution\./);
    const alert = await smtp.waitFor((m) => addressesOf(m).includes('finance-team@example.edu') && (m.subject ?? '').includes(bought.number));
    expect(alert.text).toContain('Program enrolment is closed for this institution.');
    expect(alert.text).toMatch(/Program: Ocean Science Program \/ program-closed/);
  });
});

describe('class enrolment calls', () => {
  test('form (default): the documented call, with the key in the X-API-Key header as well as the query', async () => {
    await buy(pem, enrolmentClaims({ sub: 'ol-form', class: 'class-form' }));
    const [call] = ol.enrolmentCalls();
    expect(call!.headers['x-api-key']).toBe(TEST_API_KEY);
    expect(call!.query).toEqual({ api_key: TEST_API_KEY });
    expect(call!.form).toEqual({ class: 'class-form', user: 'ol-form' });
  });

  test('json: submit-json with course and class, the exact content type, the key only in the header, no access code', async () => {
    const bought = await buy(jwks, gatewayClassClaims({ sub: 'ol-json', course: 'course-json', class: 'class-json' }));
    expect(ol.enrolmentCalls()).toHaveLength(0);
    const [call, ...more] = ol.jsonEnrolmentCalls();
    expect(more).toHaveLength(0);
    expect(call!.headers['content-type']).toBe(JSON_CONTENT_TYPE);
    expect(call!.headers['x-api-key']).toBe(TEST_API_KEY);
    expect(call!.query).toEqual({});
    expect(call!.json).toEqual({ user: 'ol-json', course: 'course-json', class: 'class-json', send_welcome_email: true, ignore_course_prereqs: false });
    expect(call!.body).not.toContain('ACCESS-7731');
    expect(statusOf(jwks, bought.id)).toBe('enrolled');
  });

  test('a program token verified with the JWKS enrols through the program endpoint', async () => {
    const bought = await buy(jwks, programClaims({ sub: 'ol-jwks-program', program: 'program-jwks' }));
    const [call] = ol.programEnrolmentCalls();
    expect(call!.program).toBe('program-jwks');
    expect(call!.json).toEqual({ user: 'ol-jwks-program' });
    expect(statusOf(jwks, bought.id)).toBe('enrolled');
  });

  test('the JSON error shape {"detail"} reaches staff too; the key is in no log line, stored message or page', async () => {
    ol.respondWith(answer(400, { detail: `User does not exist (key ${TEST_API_KEY})` }));
    const bought = await buy(jwks, gatewayClassClaims({ sub: 'ol-missing', class: 'class-missing' }));
    expect(statusOf(jwks, bought.id)).toBe('enrolment_failed');
    const page = await (await bought.staff.get(`/admin/invoices/${bought.id}`)).text();
    expect(pageText(page)).toMatch(/OpenLearning said: User does not exist \(key \[redacted\]\)/);
    const db = jwks.portal.deps.db;
    const stored = JSON.stringify([db.prepare('SELECT * FROM enrolment_attempts').all(), db.prepare('SELECT * FROM audit_log').all()]);
    expect(stored).not.toContain(TEST_API_KEY);
    expect(page).not.toContain(TEST_API_KEY);
    // What OpenLearning answered is logged (scrubbed), since its replies are not documented.
    const logged = jwks.logs.filter((l) => l.msg === 'OpenLearning answered');
    expect(logged.length).toBeGreaterThan(0);
    expect(jwks.rawLogs.join('\n')).not.toContain(TEST_API_KEY);
  });
});

describe('what /enrol refuses from the External Gateway', () => {
  const tables = ['used_tokens', 'enrolment_requests', 'invoices', 'outbox', 'audit_log'];
  const counts = () => tables.map((table) => pem.count(table));

  test('plain fields without a signed token: its own error, a page saying to switch on Signed Data Transfer, nothing stored', async () => {
    const before = counts();
    const mark = pem.logs.length;
    const response = await pem.post('/enrol', {
      sub: 'ol-unsigned',
      aud: TEST_AUDIENCE,
      title: 'Ocean Science Program',
      program: 'program-ocean-science',
      currency: 'AUD',
      price: '1.00',
      redirect_url: 'https://www.openlearning.com/',
    });
    expect(response.status).toBe(400);
    expect(pageText(await response.text())).toMatch(/without a signature.*Institution Settings > External Gateway, "Signed Data Transfer" must be switched on/);
    const refusal = pem.logs.slice(mark).find((l) => l.msg === 'request refused');
    expect(refusal?.error).toBe('token.unsigned');
    expect(String(refusal?.reason)).toMatch(/fields received: sub, aud, title, program/);
    expect(counts()).toEqual(before);
  });

  test('a token with program and class is refused as token.claims; one with an access code is accepted', async () => {
    const before = counts();
    const mark = pem.logs.length;
    const both = await pem.post('/enrol', { jwt: await signEnrolmentToken(programClaims({ class: 'class-too' }), { now: pem.clock.now() }) });
    expect(both.status).toBe(400);
    expect(pageText(await both.text())).toMatch(/incomplete/);
    const refusal = pem.logs.slice(mark).find((l) => l.msg === 'request refused');
    expect(refusal?.error).toBe('token.claims');
    expect(String(refusal?.reason)).toMatch(/program together with class/);
    expect(counts()).toEqual(before);

    const withCode = await pem.post('/enrol', { jwt: await signEnrolmentToken(gatewayClassClaims({ sub: 'ol-code' }), { now: pem.clock.now() }) });
    expect(withCode.status).toBe(303);
    const accepted = pem.logs.find((l) => l.msg === 'request' && l.path === '/enrol' && (l.claims as string[] | undefined)?.includes('access_code'));
    expect(accepted?.offering).toBe('class');
    expect(JSON.stringify(pem.portal.deps.db.prepare('SELECT * FROM enrolment_requests').all())).not.toContain('ACCESS-7731');
  });

  test('a numeric program id is taken as its digits', async () => {
    const response = await pem.post('/enrol', { jwt: await signEnrolmentToken(programClaims({ sub: 'ol-numeric', program: 4711 }), { now: pem.clock.now() }) });
    expect(response.status).toBe(303);
    const row = pem.portal.deps.db.prepare("SELECT program_id AS programId FROM enrolment_requests WHERE ol_user_id = 'ol-numeric'").get() as {
      programId: string;
    };
    expect(row.programId).toBe('4711');
  });
});
