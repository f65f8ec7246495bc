/**
 * Money after the invoice, as a finance clerk meets it: a payment on the wrong invoice reversed, a
 * bank-fee shortfall written off, an overpayment refunded through a bank file, a cancelled invoice
 * with its credit note, and the exports for the accountant. Real server, SMTP and OpenLearning fake.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { validateAbaFile } from '../../src/clients/bank-files/aba.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { issuedInvoice, paidInvoice, paymentForm, recordPaymentAsStaff } from '../helpers/factories.js';
import { FakeOpenLearning } from '../helpers/fake-openlearning.js';
import { pdfText } from '../helpers/pdf.js';
import { pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, addStaff, hiddenField, signIn, type StaffBrowser } from '../helpers/staff.js';
import { xmlSchemaErrors } from '../helpers/xml-schema.js';

let t: TestPortal;
let ol: FakeOpenLearning;
let smtp: TestSmtpServer;
let admin: StaffBrowser;
let finance: StaffBrowser;

beforeAll(async () => {
  ol = await new FakeOpenLearning().start();
  smtp = await new TestSmtpServer().start();
  t = await startTestPortal({
    env: {
      OPENLEARNING_API_URL: ol.apiUrl,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SMTP_URL: smtp.url,
      PAYMENT_TOLERANCE: '1.00',
      BANK_EUR_IBAN: 'DE89 3704 0044 0532 0130 00',
      BANK_EUR_BIC: 'COBADEFFXXX',
      ABA_BANK_ABBREVIATION: 'CBA',
      ABA_USER_NAME: 'EXAMPLE ACADEMY',
      ABA_APCA_NUMBER: '301500',
      ABA_REMITTER_NAME: 'EXAMPLE ACADEMY',
      ABA_ACCOUNT_BSB: '062-000',
      ABA_ACCOUNT_NUMBER: '12345678',
    },
  });
  await signIn(t).then((s) => (admin = s));
  await addStaff(t, 'clerk@example.edu', 'finance');
  finance = await signIn(t, 'clerk@example.edu', 'a long enough password');
});

afterAll(async () => {
  await t?.close();
  await ol?.stop();
  await smtp?.stop();
});

beforeEach(() => ol.reset());

const row = (id: number) =>
  t.portal.deps.db
    .prepare(
      'SELECT status, paid_minor AS paid, written_off_minor AS writtenOff, refunded_minor AS refunded, credited_minor AS credited FROM invoices WHERE id = ?',
    )
    .get(id) as { status: string; paid: number; writtenOff: number; refunded: number; credited: number };
const entries = (id: number) =>
  t.portal.deps.db.prepare('SELECT id, kind, amount_minor AS amount FROM ledger_entries WHERE invoice_id = ? ORDER BY id').all(id) as {
    id: number;
    kind: string;
    amount: number;
  }[];
const invoicePage = async (staff: StaffBrowser, id: number) => (await staff.get(`/admin/invoices/${id}`)).text();
const formKey = (html: string) => hiddenField(html, 'idempotencyKey');

describe('reversing a payment', () => {
  test('a payment recorded against the wrong invoice: reversed with a reason, the enrolled learner is listed under Needs attention until withdrawn', async () => {
    const wrong = await paidInvoice(t, finance);
    expect(row(wrong.id).status).toBe('enrolled');
    const payment = entries(wrong.id).find((e) => e.kind === 'payment')!;

    // Without a reason nothing is written.
    let html = await invoicePage(finance, wrong.id);
    expect(pageText(html)).toContain('Reverse payment');
    const noReason = await finance.post(`/admin/invoices/${wrong.id}/payments/${payment.id}/reverse`, { reason: '', idempotencyKey: formKey(html) });
    expect(noReason.status).toBe(303);
    expect(entries(wrong.id)).toHaveLength(1);

    const key = formKey(html);
    const reversed = await finance.post(`/admin/invoices/${wrong.id}/payments/${payment.id}/reverse`, {
      reason: 'Paid by another learner: belongs to INV-X',
      idempotencyKey: key,
    });
    expect(reversed.headers.get('location')).toMatch(/notice=reversed/);
    // A double click records one reversal.
    await finance.post(`/admin/invoices/${wrong.id}/payments/${payment.id}/reverse`, { reason: 'again', idempotencyKey: key });
    expect(entries(wrong.id).map((e) => e.kind)).toEqual(['payment', 'reversal']);
    expect(row(wrong.id)).toMatchObject({ status: 'enrolled', paid: 0 });

    html = await invoicePage(finance, wrong.id);
    expect(pageText(html)).toMatch(/Needs attention: enrolled, not paid/);
    expect(pageText(html)).toContain('Mark as withdrawn');
    const list = pageText(await (await finance.get('/admin?tab=attention')).text());
    expect(list).toContain(wrong.number);
    expect(list).toMatch(/Needs attention 1/);

    // A reversed payment cannot be reversed again.
    const again = await finance.post(`/admin/invoices/${wrong.id}/payments/${payment.id}/reverse`, {
      reason: 'twice',
      idempotencyKey: 'another-key-0123456789',
    });
    expect(again.status).toBe(409);
    expect(entries(wrong.id)).toHaveLength(2);

    await finance.post(`/admin/invoices/${wrong.id}/mark-withdrawn`, { note: 'Removed from the class on OpenLearning' });
    expect(row(wrong.id).status).toBe('awaiting_payment');
    expect(pageText(await (await finance.get('/admin?tab=attention')).text())).not.toContain(wrong.number);
    const timeline = pageText(await invoicePage(finance, wrong.id));
    expect(timeline).toMatch(/reversed the payment of AUD\s1,100\.00 .*: Paid by another learner/);
    expect(timeline).toMatch(/withdrew the learner on OpenLearning/);
  });

  test('before enrolment: a part payment reversed takes the invoice back to awaiting payment', async () => {
    const invoice = await issuedInvoice(t);
    await recordPaymentAsStaff(finance, invoice.id, { amount: '100.00' });
    expect(row(invoice.id)).toMatchObject({ status: 'partially_paid', paid: 10000 });
    const payment = entries(invoice.id)[0]!;
    const html = await invoicePage(finance, invoice.id);
    await finance.post(`/admin/invoices/${invoice.id}/payments/${payment.id}/reverse`, { reason: 'Bank returned it (MD06)', idempotencyKey: formKey(html) });
    expect(row(invoice.id)).toMatchObject({ status: 'awaiting_payment', paid: 0 });
  });
});

describe('writing off a shortfall', () => {
  test('HUF 14,690.55: the invoice asks for whole forints; 1 forint short is written off by finance, the invoice is paid and the learner enrolled', async () => {
    const invoice = await issuedInvoice(t, { claims: { currency: 'HUF', price: '14690.55' } });
    const status = pageText(await (await t.get(invoice.statusPath)).text());
    expect(status).toMatch(/HUF\s14,691\.00/);
    await recordPaymentAsStaff(finance, invoice.id, { amount: '14690' });
    expect(row(invoice.id).status).toBe('partially_paid');
    const html = await invoicePage(finance, invoice.id);
    expect(pageText(html)).toContain('Write off the difference');
    const noReason = await finance.post(`/admin/invoices/${invoice.id}/write-off`, {
      reason: '',
      expectedBalance: hiddenField(html, 'expectedBalance'),
      idempotencyKey: formKey(html),
    });
    expect(noReason.headers.get('location')).toMatch(/write_off_error/);
    await finance.post(`/admin/invoices/${invoice.id}/write-off`, {
      reason: 'Bank paid whole forints',
      expectedBalance: hiddenField(html, 'expectedBalance'),
      idempotencyKey: formKey(html),
    });
    await t.idle();
    expect(row(invoice.id)).toMatchObject({ status: 'enrolled', writtenOff: 100 });
    expect(ol.enrolmentCalls()).toHaveLength(1);
  });

  test('beyond PAYMENT_TOLERANCE only an administrator may write off; a write-off on a paid invoice is refused', async () => {
    const invoice = await issuedInvoice(t);
    await recordPaymentAsStaff(finance, invoice.id, { amount: '1000.00' });
    let html = await invoicePage(finance, invoice.id);
    expect(pageText(html)).not.toContain('Write off the difference');
    const refused = await finance.post(`/admin/invoices/${invoice.id}/write-off`, {
      reason: 'Discount',
      expectedBalance: '10000',
      idempotencyKey: 'finance-write-off-key-01',
    });
    expect(refused.status).toBe(409);
    expect(entries(invoice.id).map((e) => e.kind)).toEqual(['payment']);
    html = await invoicePage(admin, invoice.id);
    await admin.post(`/admin/invoices/${invoice.id}/write-off`, {
      reason: 'Agreed discount',
      expectedBalance: hiddenField(html, 'expectedBalance'),
      idempotencyKey: formKey(html),
    });
    await t.idle();
    expect(row(invoice.id).status).toBe('enrolled');
    const paidAgain = await admin.post(`/admin/invoices/${invoice.id}/write-off`, {
      reason: 'again',
      expectedBalance: '0',
      idempotencyKey: 'admin-write-off-key-0002',
    });
    expect(paidAgain.status).toBe(409);
  });
});

describe('refunds and bank files', () => {
  test('an overpaid EUR invoice: refund to the payer’s IBAN, at most what is refundable; the SEPA file passes the schema and marks it sent', async () => {
    const invoice = await issuedInvoice(t, { claims: { currency: 'EUR', price: '250.00' } });
    await recordPaymentAsStaff(finance, invoice.id, { amount: '300.00' });
    expect(pageText(await invoicePage(finance, invoice.id))).toMatch(/Overpaid by EUR\s50\.00/);
    const form = await (await finance.get(`/admin/invoices/${invoice.id}/refund`)).text();
    expect(form).toMatch(/id="amount"[^>]*value="50\.00"/);
    const base = {
      effectiveOn: '2026-11-27',
      method: 'bank_transfer',
      payeeName: 'Zoë Müller',
      payeeIban: 'FR14 2004 1010 0505 0001 3M02 606',
      payeeBic: '',
      payeeBsb: '',
      payeeAccount: '',
      reason: 'Overpayment',
    };
    const tooMuch = await finance.post(`/admin/invoices/${invoice.id}/refunds`, { ...base, amount: '50.01', idempotencyKey: formKey(form) });
    expect(tooMuch.status).toBe(422);
    expect(pageText(await tooMuch.text())).toContain('At most 50.00 can be refunded');
    expect(entries(invoice.id).map((e) => e.kind)).toEqual(['payment']);
    await finance.post(`/admin/invoices/${invoice.id}/refunds`, { ...base, amount: '50.00', idempotencyKey: formKey(form) });
    expect(row(invoice.id).refunded).toBe(5000);

    const refunds = pageText(await (await finance.get('/admin/refunds')).text());
    expect(refunds).toContain(invoice.number);
    expect(refunds).toMatch(/Make the EUR bank file \(pain\.001\.001\.09, 1 refund\)/);
    const made = await finance.post('/admin/refunds/export', { currency: 'EUR' });
    const fileId = new URL(made.headers.get('location')!, t.url).searchParams.get('file');
    const xml = await (await finance.get(`/admin/refunds/files/${fileId}`)).text();
    expect(xml).toContain('<Nm>Zoe Muller</Nm>');
    expect(xml).toContain('FR1420041010050500013M02606');
    expect(xmlSchemaErrors(xml, path.join(PROJECT_ROOT, 'test/fixtures/xsd/pain.001.001.09.subset.xsd'))).toEqual([]);
    const sent = t.portal.deps.db.prepare("SELECT refund_status AS s FROM ledger_entries WHERE kind = 'refund' AND invoice_id = ?").get(invoice.id) as {
      s: string;
    };
    expect(sent.s).toBe('sent');
    const refundId = (t.portal.deps.db.prepare("SELECT id FROM ledger_entries WHERE kind = 'refund' AND invoice_id = ?").get(invoice.id) as { id: number }).id;
    await finance.post(`/admin/refunds/${refundId}/paid`, { paidOn: '2026-11-28' });
    expect((t.portal.deps.db.prepare('SELECT refund_status AS s FROM ledger_entries WHERE id = ?').get(refundId) as { s: string }).s).toBe('paid');
  });

  test('an AUD refund to a BSB account goes into an ABA file that keeps the format’s fixed-width rules and totals', async () => {
    const invoice = await issuedInvoice(t);
    await recordPaymentAsStaff(finance, invoice.id, { amount: '1150.00' });
    const form = await (await finance.get(`/admin/invoices/${invoice.id}/refund`)).text();
    await finance.post(`/admin/invoices/${invoice.id}/refunds`, {
      amount: '50.00',
      effectiveOn: '2026-11-27',
      method: 'bank_transfer',
      payeeName: 'Jordan Lee',
      payeeIban: '',
      payeeBic: '',
      payeeBsb: '062-001',
      payeeAccount: '87654321',
      reason: 'Overpayment',
      idempotencyKey: formKey(form),
    });
    const made = await finance.post('/admin/refunds/export', { currency: 'AUD' });
    const fileId = new URL(made.headers.get('location')!, t.url).searchParams.get('file');
    const aba = await (await finance.get(`/admin/refunds/files/${fileId}`)).text();
    expect(validateAbaFile(aba)).toEqual([]);
    expect(aba).toMatch(/^1062-001 87654321 500000005000JORDAN LEE/m);
  });
});

describe('credit notes', () => {
  test('cancelling an issued invoice issues a credit note in its own series, emailed and linked; the invoice PDF never changes', async () => {
    const invoice = await issuedInvoice(t, { claims: { currency: 'EUR', price: '250.00' } });
    const before = Buffer.from(await (await t.get(`${invoice.statusPath}/${invoice.number}.pdf`)).arrayBuffer());
    await recordPaymentAsStaff(finance, invoice.id, { amount: '100.00' });
    await finance.post(`/admin/invoices/${invoice.id}/cancel`, { reason: 'Class withdrawn by the institution' });
    await t.idle();
    expect(row(invoice.id)).toMatchObject({ status: 'cancelled', credited: 25000 });
    const note = t.portal.deps.db
      .prepare('SELECT number, total_minor AS total, net_minor AS net, tax_minor AS tax FROM credit_notes WHERE invoice_id = ?')
      .get(invoice.id) as {
      number: string;
      total: number;
      net: number;
      tax: number;
    };
    expect(note.number).toMatch(/^CN-\d{6}$/);
    expect(note.total).toBe(-25000);
    expect(note.net + note.tax).toBe(note.total);

    const mail = await smtp.waitFor((m) => addressesOf(m).includes(invoice.email) && m.subject === `Invoice ${invoice.number} has been cancelled`);
    expect(mail.text).toContain(`Credit note ${note.number} cancels the invoice in full`);
    const attachment = mail.attachments.find((a) => a.filename === `${note.number}.pdf`)!;
    const text = pdfText(attachment.content).replace(/\s+/g, ' ');
    expect(text).toContain('Credit Note');
    expect(text).toContain(invoice.number);
    expect(text).toContain('Class withdrawn by the institution');
    expect(text).toMatch(/-EUR\s?250\.00|EUR\s?-250\.00/);

    const status = await (await t.get(invoice.statusPath)).text();
    expect(pageText(status)).toContain(`Download credit note ${note.number}`);
    const fromLink = Buffer.from(await (await t.get(`${invoice.statusPath}/${note.number}.pdf`)).arrayBuffer());
    expect(fromLink.equals(attachment.content)).toBe(true);
    const after = Buffer.from(await (await t.get(`${invoice.statusPath}/${invoice.number}.pdf`)).arrayBuffer());
    expect(after.equals(before)).toBe(true);
    // The 100.00 paid is now refundable.
    expect(pageText(await invoicePage(finance, invoice.id))).toMatch(/EUR\s100\.00 was paid on this cancelled invoice/);
  });

  test('credit note numbers are gapless and separate from invoice numbers', async () => {
    const numbers = [];
    for (let i = 0; i < 3; i++) {
      const invoice = await issuedInvoice(t);
      await finance.post(`/admin/invoices/${invoice.id}/cancel`, { reason: `Duplicate ${i}` });
      numbers.push((t.portal.deps.db.prepare('SELECT seq FROM credit_notes WHERE invoice_id = ?').get(invoice.id) as { seq: number }).seq);
    }
    expect(numbers[1]! - numbers[0]!).toBe(1);
    expect(numbers[2]! - numbers[1]!).toBe(1);
  });
});

describe('exports for the accountant', () => {
  test('payments by date received and the journal, column by column', async () => {
    const invoice = await issuedInvoice(t, { billing: { organisation: 'Acme Pty Ltd', country: 'AU' } });
    const form = await paymentForm(finance, invoice.id);
    await finance.post(`/admin/invoices/${invoice.id}/payments`, { ...form, amount: '1100.00', receivedOn: '2026-11-20', bankReference: 'NPP-77', note: '' });
    const payments = (await (await finance.get('/admin/exports/payments.csv?from=2026-11-20&to=2026-11-20')).text())
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n');
    expect(payments[0]).toBe(
      'Date,Entry type,Invoice number,Payment reference,Payer,Amount,Currency,Bank reference,Statement line,Reason or note,Recorded by,Recorded at',
    );
    expect(payments.some((l) => l.startsWith(`2026-11-20,payment,${invoice.number},${invoice.reference},Acme Pty Ltd,1100.00,AUD,NPP-77,`))).toBe(true);
    const journal = (await (await finance.get('/admin/exports/journal.csv?from=2026-01-01&to=2026-12-31')).text())
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n');
    expect(journal[0]).toBe(
      'Date,Document type,Document number,Invoice number,Buyer,Organisation,Buyer country,Buyer tax ID,Currency,Net,Tax,Total,Tax rate,Tax label,Description',
    );
    expect(
      journal.some((l) => l.includes(`,invoice,${invoice.number},${invoice.number},${invoice.name},Acme Pty Ltd,AU,,AUD,1000.00,100.00,1100.00,10,GST,`)),
    ).toBe(true);
    expect(journal.some((l) => /,credit_note,CN-\d{6},/.test(l))).toBe(true);
    expect(journal.some((l) => l.startsWith('2026-11-20,payment,E-') && l.includes(',1100.00,'))).toBe(true);
    const bad = await finance.get('/admin/exports/journal.csv?from=2026-02-30&to=2026-03-01');
    expect(bad.status).toBe(400);
  });
});
