/**
 * The finance desk end to end: find the invoice, record the transfer, enrol through the
 * OpenLearning API (a fake one, a real HTTP server on loopback), email the learner the course link.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { addCalendarDays, calendarDate } from '../../src/clock.js';
import { deliverMail } from '../../src/jobs/deliver-mail.js';
import { enrolLearners } from '../../src/jobs/enrol-learners.js';
import { defaultJobContext } from '../../src/jobs/job.js';
import { answer, FakeOpenLearning, hang } from '../helpers/fake-openlearning.js';
import { locationPath, pageText, startTestPortal, TEST_API_KEY, type TestPortal } from '../helpers/portal.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, signIn, type StaffBrowser } from '../helpers/staff.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';
import { issuedInvoice, paymentForm as paymentFormOf, recordPaymentAsStaff } from '../helpers/factories.js';

let smtp: TestSmtpServer;
let ol: FakeOpenLearning;
let t: TestPortal;
let staff: StaffBrowser;

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  ol = await new FakeOpenLearning().start();
  t = await startTestPortal({
    env: {
      SMTP_URL: smtp.url,
      OPENLEARNING_API_URL: ol.apiUrl,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      FINANCE_EMAIL: 'finance-team@example.edu',
      OPENLEARNING_API_TIMEOUT: '1',
    },
  });
});
afterAll(async () => {
  await t?.close();
  await ol?.stop();
  await smtp?.stop();
});
beforeEach(async () => {
  ol.reset();
  staff = await signIn(t);
});

const issueInvoice = (claims: Record<string, unknown> = {}, billing: Record<string, string> = {}) => issuedInvoice(t, { claims, billing });
const paymentForm = (id: number) => paymentFormOf(staff, id);
const pay = (id: number, fields: Parameters<typeof recordPaymentAsStaff>[2] = {}) => recordPaymentAsStaff(staff, id, fields);

function invoiceRow(id: number) {
  return t.portal.deps.db.prepare('SELECT status, paid_minor AS paidMinor, total_minor AS totalMinor FROM invoices WHERE id = ?').get(id) as {
    status: string;
    paidMinor: number;
    totalMinor: number;
  };
}

const runEnrolments = () => enrolLearners(t.portal.deps, defaultJobContext);

describe('from payment to enrolment to the learner’s email', () => {
  test('staff find the invoice by its reference typed with spaces or dashes, mark it paid, and the learner is enrolled', async () => {
    const invoice = await issueInvoice({ title: 'Deep Sea Ecology' });
    const typed = `${invoice.reference.slice(0, 4)} ${invoice.reference.slice(4, 8)}-${invoice.reference.slice(8)}`;
    const list = await (await staff.get(`/admin?tab=all&q=${encodeURIComponent(typed)}`)).text();
    expect(pageText(list)).toContain(invoice.number);
    expect(list.match(/href="\/admin\/invoices\/\d+"/g)).toHaveLength(1);

    const form = await paymentForm(invoice.id);
    expect(form.amount).toBe('1100.00');
    const paid = await pay(invoice.id);
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`/admin/invoices/${invoice.id}?notice=payment-complete`);
    await t.idle();

    const calls = ol.enrolmentCalls();
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/api/v2.2/enrolments/');
    expect(call.query).toEqual({ api_key: TEST_API_KEY });
    expect(call.headers.accept).toBe('application/json');
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call.form).toEqual({ class: invoice.classId, user: invoice.sub });
    expect(invoiceRow(invoice.id).status).toBe('enrolled');

    const mail = await smtp.waitFor((m) => addressesOf(m).includes(invoice.email) && (m.subject ?? '').startsWith('Payment received: you are enrolled'));
    expect(mail.subject).toBe('Payment received: you are enrolled in Deep Sea Ecology');
    const courseLink = `${t.url}${invoice.statusPath}/course`;
    expect(mail.text).toContain(courseLink);
    expect(mail.html).toContain(`href="${courseLink}"`);

    const follow = await t.get(`${invoice.statusPath}/course`);
    expect(follow.status).toBe(302);
    expect(follow.headers.get('location')).toBe('https://www.openlearning.com/marine-biology/?cl=class-2027-s1');
    const statusPage = pageText(await (await t.get(invoice.statusPath)).text());
    expect(statusPage).toContain('Status: Enrolled');
    expect(statusPage).toContain('Go to the course');
    expect(statusPage).not.toContain('Email the invoice to me again');
    // A paid invoice is not sent again, even if asked.
    const resend = await t.post(`${invoice.statusPath}/resend`, {});
    expect(resend.headers.get('location')).toBe(`${t.url}${invoice.statusPath}`);
    expect(t.portal.deps.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE invoice_id = ? AND kind = 'invoice'").get(invoice.id)).toEqual({ n: 1 });

    const timeline = pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text());
    for (const entry of [
      /clicked "Join now" for Deep Sea Ecology/,
      /Invoice INV-\d+ issued to Learner \d+/,
      /Emailed "Invoice INV-\d+: Deep Sea Ecology"/,
      /Payment of AUD\s1,100\.00 received 2026-11-26 recorded by admin@example\.edu; paid in full/,
      /Enrolled in class class-\d+ on OpenLearning \(attempt 1, HTTP 201\)/,
      /Emailed "Payment received: you are enrolled in Deep Sea Ecology"/,
      /Learner followed the link to the course/,
    ]) {
      expect(timeline).toMatch(entry);
    }
  });

  test('a part payment leaves the invoice partially paid with its balance, and the second payment completes it', async () => {
    const invoice = await issueInvoice();
    expect((await pay(invoice.id, { amount: '400.00' })).headers.get('location')).toMatch(/notice=payment$/);
    await t.idle();
    expect(invoiceRow(invoice.id)).toEqual({ status: 'partially_paid', paidMinor: 40000, totalMinor: 110000 });
    expect(ol.enrolmentCalls()).toHaveLength(0);
    const page = pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text());
    expect(page).toMatch(/Still due AUD\s700\.00/);
    const learnerPage = pageText(await (await t.get(invoice.statusPath)).text());
    expect(learnerPage).toMatch(/We have received AUD\s400\.00\. AUD\s700\.00 is still to pay/);
    const mail = await smtp.waitFor((m) => addressesOf(m).includes(invoice.email) && (m.subject ?? '').startsWith('Payment received for invoice'));
    expect(mail.subject).toMatch(/AUD\s700\.00 still to pay/);

    const form = await paymentForm(invoice.id);
    expect(form.amount).toBe('700.00');
    await pay(invoice.id);
    await t.idle();
    expect(invoiceRow(invoice.id)).toMatchObject({ status: 'enrolled', paidMinor: 110000 });
    expect(ol.enrolmentCalls()).toHaveLength(1);
  });

  test('an overpayment pays the invoice and is flagged', async () => {
    const invoice = await issueInvoice();
    const response = await pay(invoice.id, { amount: '1150.00' });
    expect(response.headers.get('location')).toMatch(/notice=overpaid/);
    await t.idle();
    expect(invoiceRow(invoice.id)).toMatchObject({ status: 'enrolled', paidMinor: 115000 });
    expect(pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text())).toMatch(/Overpaid by AUD\s50\.00/);
  });

  test('a payment on an expired invoice is accepted with a warning and reinstates it', async () => {
    const invoice = await issueInvoice();
    t.portal.deps.db.prepare("UPDATE invoices SET status = 'expired', expired_at = ? WHERE id = ?").run(t.clock.now().toISOString(), invoice.id);
    const form = await (await staff.get(`/admin/invoices/${invoice.id}/payment`)).text();
    expect(pageText(form)).toMatch(/This invoice expired on .* recording it reinstates the invoice/);
    const response = await pay(invoice.id);
    expect(response.headers.get('location')).toMatch(/notice=payment-reinstated/);
    await t.idle();
    expect(invoiceRow(invoice.id).status).toBe('enrolled');
    expect(pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text())).toMatch(/the expired invoice is reinstated/);
  });

  test('submitting the same payment form twice records one payment', async () => {
    const invoice = await issueInvoice();
    const form = await paymentForm(invoice.id);
    const fields = {
      amount: '1100.00',
      receivedOn: '2026-11-25',
      bankReference: '',
      note: '',
      idempotencyKey: form.idempotencyKey,
      expectedPaid: form.expectedPaid,
    };
    const first = await staff.post(`/admin/invoices/${invoice.id}/payments`, fields);
    const second = await staff.post(`/admin/invoices/${invoice.id}/payments`, fields);
    expect(first.status).toBe(303);
    expect(second.headers.get('location')).toMatch(/notice=payment-duplicate/);
    await t.idle();
    expect(t.portal.deps.db.prepare("SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'payment' AND invoice_id = ?").get(invoice.id)).toEqual({ n: 1 });
    expect(ol.enrolmentCalls()).toHaveLength(1);
  });

  test('two staff confirming the same invoice at once record one payment and make one enrolment call', async () => {
    const invoice = await issueInvoice();
    const other = await signIn(t);
    const [formA, formB] = [await paymentForm(invoice.id), await paymentForm(invoice.id)];
    const submit = (who: StaffBrowser, form: typeof formA) =>
      who.post(`/admin/invoices/${invoice.id}/payments`, {
        amount: '1100.00',
        receivedOn: '2026-11-26',
        bankReference: '',
        note: '',
        idempotencyKey: form.idempotencyKey,
        expectedPaid: form.expectedPaid,
      });
    const [a, b] = await Promise.all([submit(staff, formA), submit(other, formB)]);
    expect([a.status, b.status].sort()).toEqual([303, 409]);
    const conflict = a.status === 409 ? a : b;
    expect(pageText(await conflict.text())).toMatch(/This changed in the meantime/);
    await t.idle();
    expect(t.portal.deps.db.prepare("SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'payment' AND invoice_id = ?").get(invoice.id)).toEqual({ n: 1 });
    expect(ol.enrolmentCalls()).toHaveLength(1);
  });

  test('payment form errors keep the values and explain', async () => {
    const invoice = await issueInvoice({ currency: 'JPY', price: '30000' });
    const response = await pay(invoice.id, { amount: '100.5', receivedOn: '2030-01-01' });
    expect(response.status).toBe(422);
    const html = await response.text();
    // Focus starts at a summary of the problems, each linking to its field.
    expect(html).toMatch(/<div class="alert alert--error" role="alert" tabindex="-1" autofocus id="error-summary">\s*<h2>Please check these 2 fields<\/h2>/);
    expect(html).toContain('<a href="#amount">');
    const text = pageText(html);
    expect(text).toMatch(/Enter the amount received in JPY, e\.g\. 30000/);
    expect(text).toMatch(/cannot be in the future/);
    expect(invoiceRow(invoice.id).paidMinor).toBe(0);
  });
});

describe('when OpenLearning does not enrol', () => {
  test('5xx, 429 and a hung request are retried with backoff, then the enrolment succeeds once', async () => {
    ol.respondWith(answer(503, { detail: 'Service unavailable' }), answer(429, { detail: 'Slow down' }), hang);
    const invoice = await issueInvoice();
    await pay(invoice.id);
    await t.idle();
    expect(ol.enrolmentCalls()).toHaveLength(1);
    expect(invoiceRow(invoice.id).status).toBe('paid');
    // Not before the backoff is over.
    expect(await runEnrolments()).toEqual({ enrolled: 0, retrying: 0, failed: 0 });
    t.clock.advance(61_000);
    expect(await runEnrolments()).toMatchObject({ retrying: 1 });
    t.clock.advance(121_000);
    expect(await runEnrolments()).toMatchObject({ retrying: 1 });
    t.clock.advance(241_000);
    expect(await runEnrolments()).toMatchObject({ enrolled: 1 });
    expect(ol.enrolmentCalls()).toHaveLength(4);
    expect(invoiceRow(invoice.id).status).toBe('enrolled');
    const page = pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text());
    expect(page).toMatch(/retry 503 Service unavailable/);
    expect(page).toMatch(/retry 429 Slow down/);
    expect(page).toMatch(/retry – no answer within 1 s/);
    t.clock.advance(24 * 3600_000);
    await runEnrolments();
    expect(ol.enrolmentCalls()).toHaveLength(4);
  });

  test('a 4xx fails at once: OpenLearning’s message is shown, finance is emailed, and staff can retry', async () => {
    ol.respondWith(answer(400, { detail: 'User is not a member of this institution' }));
    const invoice = await issueInvoice();
    await pay(invoice.id);
    await t.idle();
    expect(invoiceRow(invoice.id).status).toBe('enrolment_failed');
    expect(ol.enrolmentCalls()).toHaveLength(1);
    const page = pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text());
    expect(page).toMatch(/Paid, but the learner is not enrolled\. OpenLearning said: User is not a member of this institution/);
    expect(page).toContain('Retry enrolment');
    expect(page).toContain('Mark as enrolled');
    const alert = await smtp.waitFor((m) => addressesOf(m).includes('finance-team@example.edu') && (m.subject ?? '').includes(invoice.number));
    expect(alert.subject).toBe(`Enrolment failed for invoice ${invoice.number} (${invoice.name})`);
    // The learner paid: they hear that the money arrived and staff are finishing, never "failed".
    const learnerMail = await smtp.waitFor((m) => addressesOf(m).includes(invoice.email) && (m.subject ?? '').startsWith('Payment received: we are finishing'));
    expect(learnerMail.text).toMatch(/staff are finishing it by hand\. You do not need to do anything/);
    const learnerPage = pageText(await (await t.get(invoice.statusPath)).text());
    expect(learnerPage).toMatch(/Status: Paid, enrolling/);
    expect(learnerPage).toMatch(/Our staff are finishing your enrolment/);
    expect(learnerPage).not.toMatch(/Enrolment failed/);
    expect(alert.text).toContain(`${t.url}/admin/invoices/${invoice.id}`);
    // The learner page says the payment arrived and enrolment is under way, not that it failed.
    expect(pageText(await (await t.get(invoice.statusPath)).text())).toMatch(/your payment has arrived/);

    t.clock.advance(24 * 3600_000);
    await runEnrolments();
    expect(ol.enrolmentCalls()).toHaveLength(1);

    staff = await signIn(t);
    const retry = await staff.post(`/admin/invoices/${invoice.id}/retry-enrolment`, {});
    expect(retry.headers.get('location')).toMatch(/notice=retry/);
    const twice = await staff.post(`/admin/invoices/${invoice.id}/retry-enrolment`, {});
    expect(twice.status).toBe(303);
    await t.idle();
    expect(ol.enrolmentCalls()).toHaveLength(2);
    expect(invoiceRow(invoice.id).status).toBe('enrolled');
  });

  test('after about a day of failures the enrolment is marked failed; "Mark as enrolled" finishes it without another call', async () => {
    ol.fallback = answer(502, { detail: 'Bad gateway' });
    try {
      const invoice = await issueInvoice();
      await pay(invoice.id);
      await t.idle();
      let calls = 1;
      for (let hour = 0; hour < 30 && invoiceRow(invoice.id).status === 'paid'; hour++) {
        t.clock.advance(3600_000);
        await runEnrolments();
        calls = ol.enrolmentCalls().length;
      }
      expect(invoiceRow(invoice.id).status).toBe('enrolment_failed');
      expect(calls).toBeGreaterThanOrEqual(10);
      expect(calls).toBeLessThanOrEqual(30);
      staff = await signIn(t);
      const page = pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text());
      expect(page).toMatch(/could not be reached for a day/);

      const marked = await staff.post(`/admin/invoices/${invoice.id}/mark-enrolled`, { note: 'enrolled by hand' });
      expect(marked.headers.get('location')).toMatch(/notice=enrolled/);
      await t.idle();
      expect(invoiceRow(invoice.id).status).toBe('enrolled');
      t.clock.advance(24 * 3600_000);
      await runEnrolments();
      expect(ol.enrolmentCalls()).toHaveLength(calls);
      const mail = await smtp.waitFor((m) => addressesOf(m).includes(invoice.email) && (m.subject ?? '').startsWith('Payment received: you are enrolled'));
      expect(mail.text).toContain('/course');
    } finally {
      ol.fallback = answer(201, {});
    }
  });

  test('a restart in the middle of a call never leads to a second call: staff are asked to check', async () => {
    const invoice = await issueInvoice();
    ol.respondWith(hang);
    await pay(invoice.id);
    // Simulate the process dying mid-call: the attempt row was written, its outcome never was.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ol.enrolmentCalls()).toHaveLength(1);
    const db = t.portal.deps.db;
    await t.idle();
    db.prepare('UPDATE enrolment_attempts SET finished_at = NULL, outcome = NULL, http_status = NULL, message = NULL WHERE invoice_id = ?').run(invoice.id);
    db.prepare("UPDATE enrolment_jobs SET status = 'pending', locked_until = NULL, next_attempt_at = ? WHERE invoice_id = ?").run(
      t.clock.now().toISOString(),
      invoice.id,
    );
    t.clock.advance(10 * 60_000);
    expect(await runEnrolments()).toMatchObject({ failed: 1 });
    expect(ol.enrolmentCalls()).toHaveLength(1);
    expect(invoiceRow(invoice.id).status).toBe('enrolment_failed');
    expect(pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text())).toMatch(/we do not know whether the learner was enrolled/);
  });

  test('the API key appears in no log line, page, stored message or export', async () => {
    ol.respondWith(answer(500, { detail: `internal error for ${ol.apiUrl}/enrolments/?api_key=${TEST_API_KEY}` }));
    const invoice = await issueInvoice();
    await pay(invoice.id);
    await t.idle();
    const db = t.portal.deps.db;
    const stored = JSON.stringify([
      db.prepare('SELECT * FROM enrolment_attempts').all(),
      db.prepare('SELECT * FROM enrolment_jobs').all(),
      db.prepare('SELECT * FROM audit_log').all(),
      db.prepare('SELECT subject, context_json, last_error FROM outbox').all(),
    ]);
    expect(stored).toContain('[redacted]');
    expect(stored).not.toContain(TEST_API_KEY);
    const pages = [
      await (await staff.get(`/admin/invoices/${invoice.id}`)).text(),
      await (await staff.get('/admin?tab=all')).text(),
      await (await staff.get('/admin/invoices.csv?tab=all')).text(),
      await (await staff.get('/admin/audit')).text(),
    ];
    for (const page of pages) expect(page).not.toContain(TEST_API_KEY);
    expect(t.rawLogs.length).toBeGreaterThan(50);
    expect(t.rawLogs.join('\n')).not.toContain(TEST_API_KEY);
  });
});

describe('the invoice desk', () => {
  test('tabs show counts; search finds by number, name in any script, email, organisation, course and OpenLearning id', async () => {
    const zoe = await issueInvoice(
      { title: 'Ωκεανογραφία', sub: 'ol-user-77781' },
      { name: 'Zoë Ωμέγα Иван 张伟', email: 'zoe.search@example.com', organisation: '山田商事株式会社' },
    );
    const page = await (await staff.get('/admin')).text();
    expect(pageText(page)).toMatch(
      /Awaiting payment \d+ Overdue \d+ Partially paid \d+ Paid \(enrolling\) \d+ Enrolment failed \d+ Needs attention \d+ Enrolled \d+ Expired \d+ Cancelled \d+ All \d+/,
    );
    for (const q of [
      zoe.number,
      zoe.number.toLowerCase(),
      String(zoe.id),
      'Ωμέγα',
      'иван',
      '张伟',
      'zoe.search@example.com',
      'ZOE.SEARCH',
      '商事',
      'κεανογρα',
      'ol-user-77781',
      `RF${'74'}${zoe.reference}`,
    ]) {
      const html = await (await staff.get(`/admin?tab=all&q=${encodeURIComponent(q)}`)).text();
      expect(html, q).toContain(`/admin/invoices/${zoe.id}"`);
    }
    const typo = zoe.reference.slice(0, 10) + String((Number(zoe.reference[10]) + 1) % 10);
    expect(pageText(await (await staff.get(`/admin?tab=all&q=${typo}`)).text())).toMatch(/check digits do not match/);
  });

  test('filters by currency and class; keyset pages do not repeat or skip invoices', async () => {
    for (let i = 0; i < 5; i++) await issueInvoice({ currency: 'MYR', price: '450.00', class: 'myr-class', course: 'myr-course', title: 'Malay 101' });
    const seen: string[] = [];
    let url: string | undefined = '/admin?tab=all&currency=MYR&sort=issued&dir=desc';
    const pageSize = 50;
    while (url) {
      const html: string = await (await staff.get(url)).text();
      seen.push(...[...html.matchAll(/href="\/admin\/invoices\/(\d+)"/g)].map((m) => m[1]!));
      url = html.match(/href="(\/admin\?[^"]*after=[^"]*)"/)?.[1]?.replace(/&amp;/g, '&');
      expect(seen.length).toBeLessThanOrEqual(pageSize * 3);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const byClass = await (await staff.get(`/admin?tab=all&class=${encodeURIComponent('myr-course\u001fmyr-class')}`)).text();
    expect([...byClass.matchAll(/href="\/admin\/invoices\/(\d+)"/g)]).toHaveLength(5);
  });

  test('the CSV export has the accounting columns for the filtered list', async () => {
    const invoice = await issueInvoice({ currency: 'KWD', price: '12.500', title: '=cmd|calc' }, { organisation: '+Org', taxId: 'KW-1' });
    await pay(invoice.id, { amount: '5.000', receivedOn: '2026-11-20' });
    const response = await staff.get(`/admin/invoices.csv?tab=all&currency=KWD`);
    expect(response.headers.get('content-type')).toMatch(/text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="invoices-all-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = (await response.text())
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n');
    const issued = calendarDate(t.clock.now(), 'Australia/Sydney');
    const due = addCalendarDays(issued, 14);
    expect(lines[0]).toBe(
      'Invoice number,Issue date,Due date,Learner,Email,Organisation,Tax ID,Course,Class,Currency,Net,Tax,Total,Amount paid,Date paid,Status,Tax rate,Buyer country,Payment reference',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      `${invoice.number},${issued},${due},${invoice.name},${invoice.email},'+Org,KW-1,'=cmd|calc,${invoice.classId},KWD,11.364,1.136,12.500,5.000,2026-11-20,Partially paid,10,,${invoice.reference}`,
    );
  });

  test('cancelling needs a reason; the number stays used, the PDF stays available, the learner is told', async () => {
    const invoice = await issueInvoice();
    const noReason = await staff.post(`/admin/invoices/${invoice.id}/cancel`, { reason: '' });
    expect(noReason.headers.get('location')).toMatch(/cancel_error=1/);
    expect(invoiceRow(invoice.id).status).toBe('awaiting_payment');
    const cancelled = await staff.post(`/admin/invoices/${invoice.id}/cancel`, { reason: 'Duplicate enrolment' });
    expect(cancelled.headers.get('location')).toMatch(/notice=cancelled/);
    expect(invoiceRow(invoice.id).status).toBe('cancelled');
    await t.idle();
    const mail = await smtp.waitFor((m) => addressesOf(m).includes(invoice.email) && m.subject === `Invoice ${invoice.number} has been cancelled`);
    expect(mail.text).toMatch(/cancelled: Duplicate enrolment/);
    expect((await staff.get(`/admin/invoices/${invoice.id}/pdf`)).status).toBe(200);
    expect(pageText(await (await t.get(invoice.statusPath)).text())).toMatch(/cancelled on .*: Duplicate enrolment\. Please do not pay it/);
    const payment = await pay(invoice.id);
    expect(payment.status).toBe(409);
    const next = await issueInvoice();
    expect(Number(next.number.slice(4))).toBe(Number(invoice.number.slice(4)) + 1);
  });

  test('resending the invoice email is recorded on the timeline', async () => {
    const invoice = await issueInvoice();
    await staff.post(`/admin/invoices/${invoice.id}/resend`, {});
    await t.idle();
    expect(smtp.to(invoice.email).filter((m) => m.subject?.startsWith(`Invoice ${invoice.number}`))).toHaveLength(2);
    expect(pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text())).toMatch(/admin@example\.edu emailed the invoice again/);
  });

  test('the mail worker delivers the outbox (nothing left pending)', async () => {
    await deliverMail(t.portal.deps, defaultJobContext);
    expect(t.portal.deps.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").get()).toEqual({ n: 0 });
  });
});

describe('captured email (no SMTP_URL)', () => {
  test('staff can list and read every email the portal wrote', async () => {
    const local = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    try {
      const enrol = await local.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'captured' }), { now: local.clock.now() }) });
      await local.post(locationPath(enrol), { name: 'Captured Learner', email: 'captured@example.com' });
      await local.idle();
      const admin = await signIn(local);
      const list = await (await admin.get('/admin/mail')).text();
      expect(pageText(list)).toMatch(/captured@example\.com Invoice SANDBOX|captured@example\.com Invoice INV-000001/);
      const name = list.match(/href="\/admin\/mail\/([^"]+\.eml)"/)![1]!;
      const message = await (await admin.get(`/admin/mail/${name}`)).text();
      expect(pageText(message)).toContain('Dear Captured Learner');
      expect(message).toContain('INV-000001.pdf');
      const html = await admin.get(`/admin/mail/${name}/body.html`);
      // The email's own HTML runs no script and loads nothing, even inside the finance desk.
      expect(html.headers.get('content-security-policy')).toMatch(/^sandbox/);
      expect(html.headers.get('content-security-policy')).not.toContain('allow-scripts');
      expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(message).toMatch(/<iframe class="mail-html" sandbox="allow-same-origin"/);
      const pdf = await admin.get(`/admin/mail/${name}/attachments/0`);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect((await admin.get('/admin/mail/..%2Fportal.db')).status).toBe(404);
    } finally {
      await local.close();
    }
  });
});
