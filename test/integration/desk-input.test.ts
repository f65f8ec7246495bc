/**
 * What staff type into the finance desk (filters, search, payment dates) is checked before it
 * reaches the database: a date that does not exist is a 400 with words, never a 500 or a moved date.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { locationPath, pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { ADMIN, hiddenField, signIn, type StaffBrowser } from '../helpers/staff.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

let t: TestPortal;
let staff: StaffBrowser;
let invoiceId: number;

beforeAll(async () => {
  t = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
  staff = await signIn(t);
  for (const n of [1, 2]) {
    const enrol = await t.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: `ol-${n}`, class: `class-${n}` }), { now: t.clock.now() }) });
    expect((await t.post(locationPath(enrol), { name: `Desk Learner ${n}`, email: `desk${n}@example.com` })).status).toBe(303);
  }
  invoiceId = (t.portal.deps.db.prepare('SELECT MIN(id) AS id FROM invoices').get() as { id: number }).id;
});
afterAll(async () => t?.close());

describe('dates in the desk filters', () => {
  test.each([
    ['from', '2024-99-99'],
    ['to', '2024-13-45'],
    ['from', '2023-02-29'],
  ])('the list with %s=%s answers 400 and says the date does not exist', async (name, value) => {
    const response = await staff.get(`/admin?tab=all&${name}=${value}`);
    expect(response.status).toBe(400);
    expect(pageText(await response.text())).toMatch(/not a real date/);
  });

  test('the CSV export with an impossible date answers 400 before any row is sent', async () => {
    const response = await staff.get('/admin/invoices.csv?tab=all&from=2024-99-99&to=2024-13-45');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });

  test('a real leap day is accepted as a filter', async () => {
    const response = await staff.get('/admin/invoices.csv?tab=all&from=2024-02-29');
    expect(response.status).toBe(200);
    expect((await response.text()).split('\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('the date a payment was received', () => {
  test('2024-02-30 is refused with a message, and nothing is recorded', async () => {
    const html = await (await staff.get(`/admin/invoices/${invoiceId}/payment`)).text();
    const response = await staff.post(`/admin/invoices/${invoiceId}/payments`, {
      amount: '1.00',
      receivedOn: '2024-02-30',
      bankReference: '',
      note: '',
      idempotencyKey: hiddenField(html, 'idempotencyKey'),
      expectedPaid: hiddenField(html, 'expectedPaid'),
    });
    expect(response.status).toBe(422);
    expect(pageText(await response.text())).toMatch(/Enter the date the transfer arrived/);
    expect(t.count('ledger_entries')).toBe(0);
  });
});

describe('search text', () => {
  test('a search with a NUL character does not match every invoice', async () => {
    const response = await staff.get(`/admin?tab=all&q=${encodeURIComponent('no such learner\u0000')}`);
    expect(response.status).toBe(200);
    const text = pageText(await response.text());
    expect(text).not.toMatch(/Desk Learner/);
    const short = await staff.get(`/admin?tab=all&q=${encodeURIComponent('zz\u0000')}`);
    expect(pageText(await short.text())).not.toMatch(/Desk Learner/);
  });

  test('a search for a name still finds it when a NUL follows', async () => {
    const response = await staff.get(`/admin?tab=all&q=${encodeURIComponent('Desk Learner 2\u0000')}`);
    const text = pageText(await response.text());
    expect(text).toMatch(/Desk Learner 2/);
    expect(text).not.toMatch(/Desk Learner 1/);
  });
});
