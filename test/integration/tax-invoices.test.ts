/**
 * Invoices that satisfy the tax office, over HTTP and read back from the PDF (pdftotext): one
 * portal per region (Australian GST included, German VAT added with the EU reverse charge,
 * Malaysian SST, a seller not registered for tax, an exempt seller), and one bank account per
 * currency.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { issuedInvoice, joinClass, learnerClaims } from '../helpers/factories.js';
import { pdfQrCodes, pdfText } from '../helpers/pdf.js';
import { pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, signIn } from '../helpers/staff.js';

const REVERSE_CHARGE = 'Reverse charge – Article 196 of Council Directive 2006/112/EC';
const RC_HINT = 'EU businesses with a VAT number from another member state are invoiced without VAT (reverse charge)';
const GERMAN_IBAN = 'DE89 3704 0044 0532 0130 00';
const NOTES = 'Amtsgericht Berlin HRB 12345\\nManaging director: A. Example';

const portals: TestPortal[] = [];
let smtp: TestSmtpServer | undefined;
async function portal(env: Record<string, string | undefined>): Promise<TestPortal> {
  const started = await startTestPortal({ env });
  portals.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(portals.map((p) => p.close()));
  await smtp?.stop();
});

interface InvoiceRow {
  id: number;
  access_token: string;
  net_minor: number;
  tax_minor: number;
  total_minor: number;
  tax_rate: string;
  tax_category: string;
  buyer_tax_id: string | null;
  buyer_tax_id_scheme: string | null;
}

function row(t: TestPortal, id: number): InvoiceRow {
  return t.portal.deps.db
    .prepare('SELECT id, access_token, net_minor, tax_minor, total_minor, tax_rate, tax_category, buyer_tax_id, buyer_tax_id_scheme FROM invoices WHERE id = ?')
    .get(id) as InvoiceRow;
}

async function pdfOf(t: TestPortal, statusPath: string, number: string): Promise<Buffer> {
  const response = await t.get(`${statusPath}/${number}.pdf`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** A learner buys a course and gets an invoice: its row, the PDF and the PDF's text. */
async function buy(t: TestPortal, claims: Record<string, unknown>, billing: Record<string, string> = {}) {
  const invoice = await issuedInvoice(t, { claims, billing });
  const pdf = await pdfOf(t, invoice.statusPath, invoice.number);
  return { invoice, row: row(t, invoice.id), pdf, text: pdfText(pdf) };
}

describe('Australia: GST included, ABN', () => {
  let t: TestPortal;
  beforeAll(async () => {
    t = await portal({ BANK_IBAN: undefined, BANK_BIC: undefined, BANK_AUD_BSB: '062-000', BANK_AUD_ACCOUNT_NUMBER: '1234 5678' });
  });

  test('a Tax Invoice with the ABN, total including GST 10%, paid to the BSB account; a French company pays GST too', async () => {
    const billingPage = pageText(await (await t.get(await joinClass(t, learnerClaims({ price: '1100.00', currency: 'AUD' })))).text());
    expect(billingPage).toMatch(/GST 10% AUD\s100\.00/);
    expect(billingPage).not.toContain('reverse charge');

    const { row: r, text } = await buy(
      t,
      { price: '1100.00', currency: 'AUD' },
      { organisation: 'Exemple Formation SARL', country: 'FR', taxId: 'FR40303265045' },
    );
    expect(r).toMatchObject({ net_minor: 100000, tax_minor: 10000, total_minor: 110000, tax_category: 'S' });
    expect(text).toContain('Tax Invoice');
    expect(text).toContain('ABN 51 824 753 556');
    expect(text).toMatch(/GST 10%\s+AUD 100\.00/);
    expect(text).toContain('Total includes GST of AUD 100.00');
    expect(text).not.toContain('Reverse charge');
    expect(text).not.toContain('NET UNIT');
    expect(text).toContain('BSB 062-000');
    expect(text).toContain('Account 1234 5678');
    expect(text).not.toContain('IBAN');
  });
});

describe('Germany: VAT 19% added, EU reverse charge, a EUR account and an AUD default account', () => {
  let t: TestPortal;
  beforeAll(async () => {
    smtp = await new TestSmtpServer().start();
    t = await portal({
      SMTP_URL: smtp.url,
      SELLER_NAME: 'Example Akademie GmbH',
      SELLER_ADDRESS: 'Beispielstraße 1\\n10115 Berlin\\nGermany',
      SELLER_COUNTRY: 'DE',
      SELLER_TAX_ID: 'DE136695976',
      SELLER_TAX_ID_LABEL: undefined,
      TAX_RATE: '19',
      TAX_LABEL: 'VAT',
      TAX_INCLUSIVE: 'false',
      BANK_IBAN: undefined,
      BANK_BIC: undefined,
      BANK_DETAILS: 'BSB 062-000\\nAccount 1234 5678',
      BANK_EUR_IBAN: GERMAN_IBAN,
      BANK_EUR_BIC: 'COBADEFFXXX',
      INVOICE_NOTES: NOTES,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    });
  });
  const course = { price: '500.00', currency: 'EUR' };

  test('the billing page shows the normal price and says EU businesses are invoiced without VAT', async () => {
    const text = pageText(await (await t.get(await joinClass(t, learnerClaims(course)))).text());
    expect(text).toMatch(/VAT 19% EUR\s95\.00/);
    expect(text).toMatch(/Total EUR\s595\.00/);
    expect(text).toContain(RC_HINT);
  });

  test('(a) a French company with a valid FR VAT id pays 0% with "Reverse charge", both VAT ids on the PDF, only the EUR account and its QR code', async () => {
    const {
      invoice,
      row: r,
      pdf,
      text,
    } = await buy(t, course, {
      organisation: 'Exemple Formation SARL',
      country: 'FR',
      taxId: 'fr 403 032 650 45',
    });
    expect(r).toMatchObject({ net_minor: 50000, tax_minor: 0, total_minor: 50000, tax_rate: '0', tax_category: 'AE' });
    expect(r).toMatchObject({ buyer_tax_id: 'FR40303265045', buyer_tax_id_scheme: 'eu_vat' });
    expect(text).toContain('Tax Invoice');
    expect(text).toContain(REVERSE_CHARGE);
    expect(text).toContain('The customer accounts for the VAT.');
    expect(text).toContain('VAT DE136695976');
    expect(text).toMatch(/VAT\s+FR40303265045/);
    expect(text).toMatch(/VAT 0%\s+EUR 0\.00/);
    expect(text).toMatch(/Total EUR\s+EUR 500\.00/);
    expect(text).toContain(GERMAN_IBAN);
    expect(text).not.toContain('BSB');
    expect(pdfQrCodes(pdf)[0]).toContain('DE89370400440532013000');

    const page = pageText(await (await t.get(invoice.statusPath)).text());
    expect(page).toContain(REVERSE_CHARGE);
    expect(page).toContain('Buyer’s VAT FR40303265045');
    expect(page).toContain(GERMAN_IBAN);
    expect(page).not.toContain('BSB');

    const mail = await smtp!.waitFor((m) => addressesOf(m).includes(invoice.email));
    expect(mail.text).toContain(`VAT: ${REVERSE_CHARGE}`);
    expect(mail.text).toContain('IBAN: DE89 3704 0044 0532 0130 00');
    expect(mail.text).not.toContain('BSB');

    const staff = await signIn(t);
    const admin = pageText(await (await staff.get(`/admin/invoices/${invoice.id}`)).text());
    expect(admin).toContain(REVERSE_CHARGE);
    expect(admin).toContain('Seller’s VAT DE136695976');
    expect(admin).toContain(`Pays into Example Academy Pty Ltd IBAN ${GERMAN_IBAN}`);
  });

  test('(b) a French consumer pays 19% VAT, shown with the net unit price', async () => {
    const { row: r, text } = await buy(t, course, { country: 'FR' });
    expect(r).toMatchObject({ net_minor: 50000, tax_minor: 9500, total_minor: 59500, tax_category: 'S' });
    // The column heading wraps: 'NET UNIT' over 'PRICE'.
    expect(text).toMatch(/NET UNIT\s[\s\S]*?PRICE/);
    expect(text).toMatch(/VAT 19%\s+EUR 95\.00/);
    expect(text).toMatch(/Total EUR\s+EUR 595\.00/);
    expect(text).not.toContain('Reverse charge');
    expect(text).not.toContain('Total includes');
  });

  test('(c) a German company with a valid DE VAT id pays 19% VAT', async () => {
    const { row: r, text } = await buy(t, course, { organisation: 'Beispiel GmbH', country: 'DE', taxId: 'DE811907980' });
    expect(r).toMatchObject({ tax_minor: 9500, total_minor: 59500, tax_category: 'S', buyer_tax_id: 'DE811907980' });
    expect(text).not.toContain('Reverse charge');
  });

  test('a company without an organisation name, or with a tax id of unknown format, pays 19% VAT', async () => {
    const noOrganisation = await buy(t, course, { country: 'FR', taxId: 'FR40303265045' });
    expect(noOrganisation.row).toMatchObject({ tax_minor: 9500, tax_category: 'S' });
    const freeText = await buy(t, course, { organisation: 'Exemple Formation SARL', country: 'FR', taxId: 'HRB 12345' });
    expect(freeText.row).toMatchObject({ tax_minor: 9500, tax_category: 'S', buyer_tax_id: 'HRB 12345', buyer_tax_id_scheme: 'free_text' });
    expect(freeText.text).toMatch(/Tax ID\s+HRB 12345/);
  });

  test('(d) an FR VAT id that fails its check digits is a field error on the billing form, and no invoice is issued', async () => {
    const billingPath = await joinClass(t, learnerClaims(course));
    const before = t.count('invoices');
    const response = await t.post(billingPath, {
      name: 'Camille Martin',
      email: 'camille@example.fr',
      organisation: 'Exemple Formation SARL',
      country: 'FR',
      taxId: 'FR40303265046',
    });
    expect(response.status).toBe(422);
    const html = await response.text();
    expect(html).toMatch(/id="f-taxId-error">This French VAT number does not pass its check digits/);
    expect(html).toContain('value="FR40303265046"');
    expect(t.count('invoices')).toBe(before);
  });

  test('an AUD invoice shows only the default account (BSB), without a QR code', async () => {
    const { pdf, text, invoice } = await buy(t, { price: '1000.00', currency: 'AUD' }, { country: 'AU' });
    expect(text).toContain('BSB 062-000');
    expect(text).not.toContain('IBAN');
    expect(pdfQrCodes(pdf)).toEqual([]);
    const page = pageText(await (await t.get(invoice.statusPath)).text());
    expect(page).toContain('Bank details BSB 062-000');
    expect(page).not.toContain('IBAN');
  });

  test('INVOICE_NOTES are at the foot of the invoice and of the credit note that cancels it', async () => {
    const { invoice, text } = await buy(t, course, { country: 'DE' });
    expect(text).toContain('Amtsgericht Berlin HRB 12345');
    expect(text).toContain('Managing director: A. Example');

    const staff = await signIn(t);
    const cancelled = await staff.post(`/admin/invoices/${invoice.id}/cancel`, { reason: 'Booked the wrong class' });
    expect(cancelled.headers.get('location')).toMatch(/notice=cancelled/);
    const note = t.portal.deps.db.prepare('SELECT number FROM credit_notes WHERE invoice_id = ?').get(invoice.id) as { number: string };
    const credit = pdfText(await pdfOf(t, invoice.statusPath, note.number));
    expect(credit).toContain('Credit Note');
    expect(credit).toContain('Booked the wrong class');
    expect(credit).toContain('Amtsgericht Berlin HRB 12345');
    expect(credit).toContain('Managing director: A. Example');
  });
});

describe('Germany with prices including VAT: what a reverse-charge buyer pays', () => {
  test('the company pays the net price (EUR 119.00 at 19% → EUR 100.00), a consumer the full price', async () => {
    const t = await portal({
      SELLER_COUNTRY: 'DE',
      SELLER_TAX_ID: 'DE136695976',
      SELLER_TAX_ID_LABEL: undefined,
      TAX_RATE: '19',
      TAX_LABEL: 'VAT',
      TAX_INCLUSIVE: 'true',
    });
    const course = { price: '119.00', currency: 'EUR' };
    const company = await buy(t, course, { organisation: 'Exemple Formation SARL', country: 'FR', taxId: 'FR40303265045' });
    expect(company.row).toMatchObject({ net_minor: 10000, tax_minor: 0, total_minor: 10000, tax_category: 'AE' });
    expect(company.text).toContain(REVERSE_CHARGE);
    expect(company.text).not.toContain('Total includes');
    const consumer = await buy(t, course, { country: 'FR' });
    expect(consumer.row).toMatchObject({ net_minor: 10000, tax_minor: 1900, total_minor: 11900, tax_category: 'S' });
    expect(consumer.text).toContain('Total includes VAT of EUR 19.00');
  });
});

describe('Malaysia: SST 8% added', () => {
  test('MYR 1,000.00 gives 1,000.00 + SST 80.00 = 1,080.00, paid to the MYR account; a buyer TIN is printed in full', async () => {
    const t = await portal({
      SELLER_COUNTRY: 'MY',
      SELLER_TAX_ID: 'W10-1808-31000002',
      SELLER_TAX_ID_LABEL: undefined,
      TAX_RATE: '8',
      TAX_LABEL: 'SST',
      TAX_INCLUSIVE: 'false',
      BANK_MYR_ACCOUNT_NUMBER: '5140 1234 5678',
      BANK_MYR_DETAILS: 'Maybank, Kuala Lumpur',
    });
    const { row: r, text } = await buy(t, { price: '1000.00', currency: 'MYR' }, { organisation: 'Contoh Sdn Bhd', country: 'MY', taxId: 'C2584563202' });
    expect(r).toMatchObject({ net_minor: 100000, tax_minor: 8000, total_minor: 108000, tax_category: 'S', buyer_tax_id: 'C25845632020' });
    expect(text).toContain('Tax Invoice');
    expect(text).toContain('SST W10-1808-31000002');
    expect(text).toMatch(/TIN\s+C25845632020/);
    expect(text).toMatch(/SST 8%\s+MYR 80\.00/);
    expect(text).toMatch(/Total MYR\s+MYR 1,080\.00/);
    expect(text).toContain('Account 5140 1234 5678');
    expect(text).toContain('Maybank, Kuala Lumpur');
    expect(text).not.toContain('IBAN');
  });
});

describe('a seller not registered for tax (SELLER_TAX_ID_NONE=true)', () => {
  test('the document is titled "Invoice" and shows no tax, even with a TAX_RATE set', async () => {
    const t = await portal({ SELLER_TAX_ID: undefined, SELLER_TAX_ID_LABEL: undefined, SELLER_TAX_ID_NONE: 'true' });
    const billingPage = pageText(await (await t.get(await joinClass(t, learnerClaims({ price: '1100.00', currency: 'AUD' })))).text());
    expect(billingPage).not.toContain('GST');
    const { row: r, text } = await buy(t, { price: '1100.00', currency: 'AUD' });
    expect(r).toMatchObject({ net_minor: 110000, tax_minor: 0, total_minor: 110000, tax_category: 'O' });
    expect(text).toMatch(/^\s*Invoice\b/m);
    expect(text).not.toContain('Tax Invoice');
    expect(text).not.toContain('GST');
    expect(text).not.toContain('Subtotal');
    expect(text).toMatch(/Total AUD\s+AUD 1,100\.00/);
  });
});

describe('an exempt seller (TAX_RATE=0 with TAX_EXEMPTION_REASON), paid in euro to a non-SEPA IBAN', () => {
  test('the reason is printed next to 0% VAT, and there is no EPC QR code for an account outside SEPA', async () => {
    const t = await portal({
      SELLER_COUNTRY: 'DE',
      SELLER_TAX_ID: 'DE136695976',
      SELLER_TAX_ID_LABEL: undefined,
      TAX_RATE: '0',
      TAX_LABEL: 'VAT',
      TAX_EXEMPTION_REASON: 'Exempt from VAT under § 4 Nr. 21 UStG (education)',
      BANK_EUR_IBAN: 'TR33 0006 1005 1978 6457 8413 26',
    });
    const { invoice, row: r, pdf, text } = await buy(t, { price: '500.00', currency: 'EUR' }, { country: 'DE' });
    expect(r).toMatchObject({ tax_minor: 0, total_minor: 50000, tax_category: 'E' });
    expect(text).toContain('Exempt from VAT under § 4 Nr. 21 UStG (education)');
    expect(text).toMatch(/VAT 0%\s+EUR 0\.00/);
    expect(text).toContain('TR33 0006 1005 1978 6457 8413 26');
    expect(text).not.toContain('Scan with your banking app');
    expect(pdfQrCodes(pdf)).toEqual([]);
    const page = pageText(await (await t.get(invoice.statusPath)).text());
    expect(page).toContain('Exempt from VAT under § 4 Nr. 21 UStG (education)');
  });
});

describe('the date of supply (SUPPLY_DATE=class_start)', () => {
  test('a class start date in the token is printed as the date of supply; without one, none is printed', async () => {
    const t = await portal({ SUPPLY_DATE: 'class_start' });
    const withStart = await buy(t, { price: '1100.00', currency: 'AUD', class_start_date: '2027-02-01' });
    expect(withStart.text).toMatch(/Date of supply\s+1 Feb 2027/);
    const timestamp = await buy(t, { price: '1100.00', currency: 'AUD', start_date: '2027-03-15T09:00:00+11:00' });
    expect(timestamp.text).toMatch(/Date of supply\s+15 Mar 2027/);
    const without = await buy(t, { price: '1100.00', currency: 'AUD' });
    expect(without.text).not.toContain('Date of supply');
    const ignored = await portal({ SUPPLY_DATE: 'issue' });
    const issueOnly = await buy(ignored, { price: '1100.00', currency: 'AUD', class_start_date: '2027-02-01' });
    expect(issueOnly.text).not.toContain('Date of supply');
  });
});
