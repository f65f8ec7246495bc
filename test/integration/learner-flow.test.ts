/**
 * The learner's path end to end over HTTP: "Join now" → billing form → numbered invoice (PDF,
 * email) → confirmation and status pages, with a real SMTP server and a real SQLite file.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Views } from '../../src/views.js';
import { createViews } from '../../src/views.js';
import { pdfQrCodes, pdfText } from '../helpers/pdf.js';
import { locationPath, pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { TestSmtpServer, addressesOf } from '../helpers/smtp.js';
import { joinClass } from '../helpers/factories.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

let smtp: TestSmtpServer;
let t: TestPortal;

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  t = await startTestPortal({ env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

let learnerSeq = 0;
function learner(overrides: Record<string, unknown> = {}) {
  learnerSeq++;
  return enrolmentClaims({ sub: `learner-${learnerSeq}`, class: `class-${learnerSeq}`, ...overrides });
}

const join = joinClass;

async function submitBilling(portal: TestPortal, billingPath: string, form: Record<string, string>) {
  const response = await portal.post(billingPath, form);
  return response;
}

const ZOE = 'Zoë Ωμέγα Иван 张伟';

describe('the happy path', () => {
  let statusPath: string;
  let pdfPath: string;

  test('the billing page shows the course, the price in its currency and the tax, with a labelled field for each detail', async () => {
    const billing = await join(t, learner({ title: 'Marine Biology 101', price: '1100.00', currency: 'AUD' }));
    expect(billing).toMatch(/^\/billing\/[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
    const response = await t.get(billing);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control') ?? '').not.toMatch(/public/);
    const html = await response.text();
    const text = pageText(html);
    expect(text).toContain('Marine Biology 101');
    expect(text).toMatch(/Price \(excluding GST\) AUD\s1,000\.00/);
    expect(text).toMatch(/GST 10% AUD\s100\.00/);
    expect(text).toMatch(/Total AUD\s1,100\.00/);
    for (const [id, label] of [
      ['name', 'Full name'],
      ['email', 'Email'],
      ['organisation', 'Organisation'],
      ['address', 'Billing address'],
      ['country', 'Country'],
      ['taxId', 'Tax or VAT ID'],
      ['poNumber', 'Purchase order number'],
    ]) {
      expect(html).toMatch(new RegExp(`<label for="f-${id}">${label}`));
      expect(html).toContain(`id="f-${id}"`);
    }
  });

  test('errors re-render the form with a message beside each field and the values kept exactly', async () => {
    const billing = await join(t, learner());
    const response = await submitBilling(t, billing, {
      name: '',
      email: 'not-an-email',
      organisation: '山田商事株式会社',
      address: 'شارع الملك فهد\nالرياض',
      country: 'ZZ',
    });
    expect(response.status).toBe(422);
    const html = await response.text();
    expect(html).toMatch(/id="f-name-error">Please enter your full name/);
    expect(html).toMatch(/id="f-email-error">Please enter a valid email address/);
    expect(html).toMatch(/id="f-country-error">Please choose a country/);
    expect(html).toContain('value="not-an-email"');
    expect(html).toContain('value="山田商事株式会社"');
    expect(html).toContain('شارع الملك فهد\nالرياض</textarea>');
    expect(t.count('invoices')).toBe(0);
  });

  test('a valid submission issues invoice INV-000001 and redirects (303) to a confirmation page that is safe to refresh', async () => {
    const billing = await join(t, learner({ title: 'Marine Biology 101', class: 'mb-2027' }));
    const response = await submitBilling(t, billing, {
      name: ZOE,
      email: 'zoe@example.com',
      organisation: '山田商事株式会社',
      address: 'شارع الملك فهد 12\nالرياض',
      country: 'SA',
      taxId: 'VAT-300012345600003',
      poNumber: 'PO-7781',
    });
    expect(response.status).toBe(303);
    const confirmation = locationPath(response);
    expect(confirmation).toMatch(/^\/i\/[0-9a-z]{9}[A-Za-z0-9_-]{43}\/confirmation$/);
    statusPath = confirmation.replace(/\/confirmation$/, '');
    for (let i = 0; i < 2; i++) {
      const page = await t.get(confirmation);
      expect(page.status).toBe(200);
      const text = pageText(await page.text());
      expect(text).toContain('Your invoice INV-000001 is ready');
      expect(text).toContain('We emailed it to zoe@example.com');
      expect(text).toMatch(/Total AUD\s1,100\.00/);
      expect(text).toMatch(/Due 10 Dec 2026/);
      expect(text).toMatch(/Use this reference \d{4} \d{4} \d{3}/);
      expect(text).toContain('IBAN DE89 3704 0044 0532 0130 00');
    }
    expect(t.count('invoices')).toBe(1);
    const html = await (await t.get(confirmation)).text();
    pdfPath = html.match(/href="(\/i\/[^"]+\/INV-000001\.pdf)"/)![1]!;
    const row = t.portal.deps.db
      .prepare('SELECT buyer_name, buyer_organisation, buyer_address, total_minor, tax_minor, net_minor FROM invoices')
      .get() as Record<string, unknown>;
    expect(row).toEqual({
      buyer_name: ZOE,
      buyer_organisation: '山田商事株式会社',
      buyer_address: 'شارع الملك فهد 12\nالرياض',
      total_minor: 110000,
      tax_minor: 10000,
      net_minor: 100000,
    });
  });

  test('the PDF is a Tax Invoice with every block, any script rendered, and is byte-identical on every download', async () => {
    const first = await t.get(pdfPath);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await first.arrayBuffer());
    const again = Buffer.from(await (await t.get(pdfPath)).arrayBuffer());
    expect(again.equals(bytes)).toBe(true);
    const text = pdfText(bytes);
    expect(text).toContain('Tax Invoice');
    expect(text).toContain('INV-000001');
    expect(text).toContain('Example Academy Pty Ltd');
    expect(text).toContain('51 824 753 556');
    expect(text).toContain(ZOE);
    expect(text).toContain('山田商事株式会社');
    expect(text).toContain('PO-7781');
    expect(text).toContain('VAT-300012345600003');
    expect(text).toContain('Marine Biology 101');
    expect(text).toMatch(/1,100\.00/);
    expect(text).toMatch(/100\.00/);
    expect(text).toContain('DE89 3704 0044 0532 0130 00');
    expect(text).toContain('COBADEFFXXX');
    expect(text).toMatch(/Use this reference/i);
    expect(text).toContain(statusPath.split('/').pop());
    // AUD: no SEPA QR code.
    expect(pdfQrCodes(bytes)).toEqual([]);
  });

  test('the learner receives the invoice by email: subject with number and course, PDF attached, how to pay, status link', async () => {
    await t.idle();
    const mail = await smtp.waitFor((m) => addressesOf(m).includes('zoe@example.com'));
    expect(mail.subject).toBe('Invoice INV-000001: Marine Biology 101');
    expect(mail.from?.text).toContain('billing@example.edu');
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([['INV-000001.pdf', 'application/pdf']]);
    const attached = mail.attachments[0]!.content;
    const downloaded = Buffer.from(await (await t.get(pdfPath)).arrayBuffer());
    expect(attached.equals(downloaded)).toBe(true);
    expect(mail.text).toContain(`Dear ${ZOE}`);
    expect(mail.text).toContain(`${t.url}${statusPath}`);
    expect(mail.text).toMatch(/USE THIS REFERENCE: \d{4} \d{4} \d{3}/);
    expect(mail.html).toContain(`href="${t.url}${statusPath}"`);
    const timeline = t.portal.deps.db
      .prepare('SELECT action FROM audit_log ORDER BY id')
      .all()
      .map((r) => (r as { action: string }).action);
    expect(timeline).toEqual(['enrolment.requested', 'invoice.issued', 'email.sent']);
  });

  test('the status page (from the email link) shows status, amounts, dates, the PDF and how to pay', async () => {
    const response = await t.get(statusPath);
    expect(response.status).toBe(200);
    const text = pageText(await response.text());
    expect(text).toContain('Status: Awaiting payment');
    expect(text).toMatch(/Issued 26 Nov 2026/);
    expect(text).toContain('How to pay');
    expect(text).toContain('Download invoice (PDF)');
    expect(text).not.toContain('Go to the course');
  });
});

describe('one invoice per learner and class', () => {
  test('submitting the form twice at once (double click) yields one invoice', async () => {
    const billing = await join(t, learner());
    const form = { name: 'Double Clicker', email: 'double@example.com' };
    const before = t.count('invoices');
    const [a, b] = await Promise.all([submitBilling(t, billing, form), submitBilling(t, billing, form)]);
    expect([a.status, b.status]).toEqual([303, 303]);
    expect(locationPath(a)).toBe(locationPath(b));
    expect(t.count('invoices')).toBe(before + 1);
    // Back button + resubmit later: still the same invoice.
    const again = await submitBilling(t, billing, form);
    expect(locationPath(again)).toBe(locationPath(a));
    expect(t.count('invoices')).toBe(before + 1);
    await t.idle();
    expect(smtp.to('double@example.com')).toHaveLength(1);
  });

  test('clicking "Join now" again while an invoice is open shows that invoice, which can be emailed again', async () => {
    const claims = learner();
    const billing = await join(t, claims);
    const issued = await submitBilling(t, billing, { name: 'Repeat Visitor', email: 'repeat@example.com' });
    const statusPath = locationPath(issued).replace(/\/confirmation$/, '');
    const rejoin = await t.post('/enrol', { jwt: await signEnrolmentToken({ ...claims, jti: `again-${claims.jti}` }, { now: t.clock.now() }) });
    expect(rejoin.status).toBe(303);
    expect(locationPath(rejoin)).toBe(statusPath);
    const page = pageText(await (await t.get(statusPath)).text());
    expect(page).toContain('Email the invoice to me again');

    await t.idle();
    const resend = await t.post(`${statusPath}/resend`, {});
    expect(resend.status).toBe(429);
    expect(pageText(await resend.text())).toMatch(/We have just sent it/);
    t.clock.advance(6 * 60_000);
    const later = await t.post(`${statusPath}/resend`, {});
    expect(later.status).toBe(303);
    expect(locationPath(later)).toBe(`${statusPath}?resent=1`);
    await t.idle();
    expect(smtp.to('repeat@example.com').map((m) => m.subject)).toEqual([expect.stringMatching(/^Invoice INV-/), expect.stringMatching(/^Invoice INV-/)]);
  });

  test('two billing pages for the same class (two clicks, two tabs) give one invoice', async () => {
    const claims = learner();
    const first = await join(t, claims);
    const second = await join(t, { ...claims, jti: `tab2-${claims.jti}` });
    const a = await submitBilling(t, first, { name: 'Two Tabs', email: 'tabs@example.com' });
    const b = await submitBilling(t, second, { name: 'Two Tabs', email: 'tabs@example.com' });
    expect(locationPath(a)).toBe(locationPath(b));
  });
});

describe('numbering and amounts', () => {
  test('numbers are consecutive, with no gap when issuing fails half way', async () => {
    const clock = t.clock;
    let fail = true;
    const real = createViews({ timeZone: 'Australia/Sydney', publicUrl: 'http://x', sandbox: false });
    const failingViews: Views = {
      page: (name, context) => real.page(name, context),
      text: (name, context) => {
        if (fail && name === 'email/invoice.subject.njk') throw new Error('simulated failure while issuing');
        return real.text(name, context);
      },
    };
    const other = await startTestPortal({ env: { SMTP_URL: smtp.url }, clock, overrides: { views: failingViews } });
    try {
      const billing = await join(other, learner());
      const failed = await submitBilling(other, billing, { name: 'First Try', email: 'first@example.com' });
      expect(failed.status).toBe(500);
      expect(pageText(await failed.text())).toMatch(/Something went wrong on our side/);
      expect(other.count('invoices')).toBe(0);
      fail = false;
      const retried = await submitBilling(other, billing, { name: 'First Try', email: 'first@example.com' });
      expect(retried.status).toBe(303);
      const next = await submitBilling(other, await join(other, learner()), { name: 'Second', email: 'second@example.com' });
      expect(next.status).toBe(303);
      const numbers = other.portal.deps.db
        .prepare('SELECT number FROM invoices ORDER BY id')
        .all()
        .map((r) => (r as { number: string }).number);
      expect(numbers).toEqual(['INV-000001', 'INV-000002']);
    } finally {
      await other.close();
    }
  });

  test.each([
    ['JPY', '30000', 'JPY 30,000', 'JPY 2,727'],
    ['KWD', '12.500', 'KWD 12.500', 'KWD 1.136'],
    ['EUR', 250, 'EUR 250.00', 'EUR 22.73'],
    ['HUF', '9990.00', 'HUF 9,990.00', 'HUF 908.18'],
  ])('%s price %s is shown as %s with tax %s', async (currency, price, shown, tax) => {
    const billing = await join(t, learner({ currency, price }));
    const text = pageText(await (await t.get(billing)).text()).replace(/\u00a0/g, ' ');
    expect(text).toContain(`Total ${shown}`);
    expect(text).toContain(`GST 10% ${tax}`);
  });

  test('with TAX_INCLUSIVE=false the tax is added to the OpenLearning price', async () => {
    const other = await startTestPortal({ env: { SMTP_URL: smtp.url, TAX_INCLUSIVE: 'false', TAX_RATE: '7.5', TAX_LABEL: 'VAT' } });
    try {
      const billing = await join(other, learner({ currency: 'EUR', price: '99.99' }));
      const issued = await submitBilling(other, billing, { name: 'Excl', email: 'excl@example.com' });
      expect(issued.status).toBe(303);
      const row = other.portal.deps.db.prepare('SELECT net_minor, tax_minor, total_minor FROM invoices').get();
      expect(row).toEqual({ net_minor: 9999, tax_minor: 750, total_minor: 10749 });
    } finally {
      await other.close();
    }
  });
});

describe('EUR invoices', () => {
  test('carry an RF creditor reference and an EPC QR code that a banking app can scan', async () => {
    const billing = await join(t, learner({ currency: 'EUR', price: '250.00', title: 'Kurs Ωμέγα' }));
    const issued = await submitBilling(t, billing, { name: 'Jürgen Müller', email: 'juergen@example.de' });
    const page = await (await t.get(locationPath(issued))).text();
    const pdf = Buffer.from(await (await t.get(page.match(/href="(\/i\/[^"]+\.pdf)"/)![1]!)).arrayBuffer());
    const reference = (t.portal.deps.db.prepare("SELECT payment_reference AS r FROM invoices WHERE buyer_email = 'juergen@example.de'").get() as { r: string })
      .r;
    const text = pdfText(pdf);
    expect(text).toMatch(/RF\d{2} \d{4} \d{4} \d{3}/);
    const [qr] = pdfQrCodes(pdf);
    const lines = qr!.split('\n');
    expect(lines.slice(0, 4)).toEqual(['BCD', '002', '1', 'SCT']);
    expect(lines[4]).toBe('COBADEFFXXX');
    expect(lines[5]).toBe('Example Academy Pty Ltd');
    expect(lines[6]).toBe('DE89370400440532013000');
    expect(lines[7]).toBe('EUR250.00');
    expect(lines[9]).toMatch(new RegExp(`^RF\\d{2}${reference}$`));
    expect(pageText(page)).toMatch(/SEPA structured reference: RF\d{2}/);
  });
});

describe('links that expire or do not exist', () => {
  test('the billing page expires after 24 hours with a clear page and a way back to the course', async () => {
    const billing = await join(t, learner({ redirect_url: 'https://www.openlearning.com/courses/expiring/' }));
    t.clock.advance(24 * 3600_000 - 1000);
    expect((await t.get(billing)).status).toBe(200);
    t.clock.advance(2000);
    const expired = await t.get(billing);
    expect(expired.status).toBe(410);
    const html = await expired.text();
    expect(pageText(html)).toMatch(/This payment page has expired.*Join now/);
    expect(html).toContain('href="https://www.openlearning.com/courses/expiring/"');
    const submit = await submitBilling(t, billing, { name: 'Late', email: 'late@example.com' });
    expect(submit.status).toBe(410);
  });

  test('unknown billing and invoice links answer 404 pages', async () => {
    expect((await t.get('/billing/not-a-real-token')).status).toBe(404);
    expect((await t.get(`/billing/${'A'.repeat(43)}`)).status).toBe(404);
    const invoice = await t.get(`/i/${'B'.repeat(43)}`);
    expect(invoice.status).toBe(404);
    expect(pageText(await invoice.text())).toMatch(/cannot find this invoice/);
  });
});

describe('running it', () => {
  test('GET /healthz checks the database', async () => {
    const response = await t.get('/healthz');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ status: 'ok', mode: 'production' });
  });

  test('security headers are set and token URLs are never logged', async () => {
    const response = await t.get('/healthz');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const requestLines = t.logs.filter((l) => l.msg === 'request');
    expect(requestLines.length).toBeGreaterThan(10);
    for (const line of requestLines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['id', 'method', 'path', 'status', 'ms']));
      expect(String(line.path)).not.toMatch(/[A-Za-z0-9_-]{43}/);
    }
    expect(t.rawLogs.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  test('an unknown path answers a 404 page, a wrong method a 405', async () => {
    const missing = await t.get('/nope');
    expect(missing.status).toBe(404);
    expect(pageText(await missing.text())).toMatch(/Page not found/);
    const wrong = await fetch(`${t.url}/healthz`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
  });
});
