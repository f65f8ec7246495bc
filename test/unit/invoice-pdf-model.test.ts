/**
 * What the invoice PDF says about tax, the date of supply, legal notes and the bank account, from
 * the stored invoice alone (buildInvoicePdfModel), including invoices stored before migration 013.
 */
import { describe, expect, test } from 'vitest';
import { buildCreditNotePdfModel, buildInvoicePdfModel } from '../../src/commands/invoice-pdf.js';
import type { CreditNote } from '../../src/db/credit-notes.js';
import type { Invoice } from '../../src/domain/invoice.js';
import { formatMoney } from '../../src/domain/money.js';
import { referenceFor } from '../helpers/seed.js';

const config = { publicUrl: 'https://pay.example.edu', timeZone: 'Europe/Berlin' };

function invoice(overrides: Partial<Invoice> = {}): Invoice {
  return {
    id: 7,
    seq: 7,
    number: 'INV-000007',
    language: 'en',
    secondLanguage: null,
    accessToken: 'a'.repeat(43),
    paymentReference: referenceFor(7),
    status: 'awaiting_payment',
    olUserId: 'ol-1',
    audience: 'test',
    courseId: 'course-1',
    classId: 'class-1',
    programId: null,
    courseTitle: 'Data Science',
    redirectUrl: 'https://www.openlearning.com/ds/',
    buyerName: 'Camille Martin',
    buyerEmail: 'camille@example.fr',
    buyerOrganisation: 'Exemple Formation SARL',
    buyerAddress: null,
    buyerCountry: 'FR',
    buyerTaxId: 'FR40303265045',
    buyerPoNumber: null,
    buyerReference: null,
    buyerTaxIdScheme: 'eu_vat',
    buyerTaxIdNormalized: 'FR40303265045',
    buyerTaxIdCountry: 'FR',
    buyerTaxIdLabel: 'VAT',
    currency: 'EUR',
    netMinor: 50000,
    taxMinor: 0,
    totalMinor: 50000,
    paidMinor: 0,
    writtenOffMinor: 0,
    refundedMinor: 0,
    creditedMinor: 0,
    taxRate: '0',
    taxLabel: 'VAT',
    taxInclusive: false,
    taxCategory: 'AE',
    taxLegend: 'Reverse charge',
    taxLegalReference: 'Article 196 of Council Directive 2006/112/EC',
    issueDate: '2026-11-26',
    supplyDate: null,
    notes: 'Amtsgericht Berlin HRB 12345',
    dueDate: '2026-12-10',
    issuedAt: '2026-11-26T09:00:00.000Z',
    expiresAt: '2026-12-26T09:00:00.000Z',
    paidAt: null,
    enrolledAt: null,
    expiredAt: null,
    cancelledAt: null,
    cancelReason: null,
    expiryHeldAt: null,
    withdrawnAt: null,
    issuer: {
      sandbox: false,
      seller: { name: 'Example Akademie GmbH', address: 'Berlin', taxId: 'DE136695976', taxIdLabel: 'VAT', country: 'DE', registered: true },
      bank: { accountName: 'Example Akademie GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', bsb: null, accountNumber: null, details: null },
    },
    pdfSha256: null,
    updatedAt: '2026-11-26T09:00:00.000Z',
    ...overrides,
  };
}

describe('buildInvoicePdfModel', () => {
  test('a reverse charge shows VAT 0%, the legend with its article, the buyer VAT id labelled VAT and the net unit price', () => {
    const model = buildInvoicePdfModel(config, invoice());
    expect(model.title).toBe('Tax Invoice');
    expect(model.totals.map((t) => t.label)).toEqual(['Subtotal (excluding VAT)', 'VAT 0%', 'Total EUR']);
    expect(model.taxNotes).toEqual(['Reverse charge – Article 196 of Council Directive 2006/112/EC', 'The customer accounts for the VAT.']);
    expect(model.buyer).toMatchObject({ taxId: 'FR40303265045', taxIdLabel: 'VAT' });
    expect(model.line.unitPriceLabel).toBe('NET UNIT PRICE');
    expect(model.footer).toBe('Amtsgericht Berlin HRB 12345');
    expect(model.payment?.epcPayload).toContain('DE89370400440532013000');
  });

  test('the date of supply is printed only when it differs from the issue date', () => {
    expect(buildInvoicePdfModel(config, invoice()).meta).toBeUndefined();
    expect(buildInvoicePdfModel(config, invoice({ supplyDate: '2026-11-26' })).meta).toBeUndefined();
    const meta = buildInvoicePdfModel(config, invoice({ supplyDate: '2027-01-12' })).meta!;
    expect(meta.map(([label]) => label)).toEqual(['Invoice number', 'Issue date', 'Date of supply', 'Due date', 'Currency']);
    expect(meta[2]![1]).toBe('12 Jan 2027');
  });

  test('a seller not registered for tax issues an "Invoice" without tax lines', () => {
    const model = buildInvoicePdfModel(
      config,
      invoice({
        taxCategory: 'O',
        taxLegend: null,
        taxLegalReference: null,
        issuer: { ...invoice().issuer, seller: { ...invoice().issuer.seller, taxId: null, registered: false } },
      }),
    );
    expect(model.title).toBe('Invoice');
    expect(model.totals.map((t) => t.label)).toEqual(['Total EUR']);
    expect(model.line).toMatchObject({ taxRate: '–', taxAmount: '–' });
    expect(model.taxNotes).toEqual([]);
  });

  test('an AUD account is printed as BSB and account number, with no EPC QR code; nor for a EUR account outside SEPA', () => {
    const bsb = buildInvoicePdfModel(
      config,
      invoice({
        currency: 'AUD',
        issuer: {
          ...invoice().issuer,
          bank: { accountName: 'Example Pty Ltd', iban: null, bic: null, bsb: '062-000', accountNumber: '1234 5678', details: null },
        },
      }),
    );
    expect(bsb.payment).toMatchObject({ details: 'BSB 062-000\nAccount 1234 5678', iban: undefined });
    expect(bsb.payment?.epcPayload).toBeUndefined();
    const turkish = buildInvoicePdfModel(
      config,
      invoice({ issuer: { ...invoice().issuer, bank: { ...invoice().issuer.bank, iban: 'TR330006100519786457841326' } } }),
    );
    expect(turkish.payment?.iban).toBe('TR33 0006 1005 1978 6457 8413 26');
    expect(turkish.payment?.epcPayload).toBeUndefined();
  });

  test('an invoice stored before the tax categories (old issuer snapshot, category from the migration) keeps its title, labels and account text', () => {
    const old = invoice({
      buyerTaxId: 'VAT-300012345600003',
      buyerTaxIdScheme: null,
      buyerTaxIdNormalized: null,
      buyerTaxIdCountry: null,
      buyerTaxIdLabel: null,
      currency: 'AUD',
      netMinor: 100000,
      taxMinor: 10000,
      totalMinor: 110000,
      taxRate: '10',
      taxLabel: 'GST',
      taxInclusive: true,
      taxCategory: 'S',
      taxLegend: null,
      taxLegalReference: null,
      notes: null,
      issuer: {
        sandbox: false,
        seller: { name: 'Example Academy Pty Ltd', address: 'Sydney', taxId: '51 824 753 556', taxIdLabel: 'ABN' },
        bank: { accountName: 'Example Academy Pty Ltd', iban: null, bic: null, details: 'BSB 062-000\nAccount 1234 5678' },
      },
    });
    const model = buildInvoicePdfModel(config, old);
    expect(model.title).toBe('Tax Invoice');
    expect(model.buyer.taxIdLabel).toBeUndefined();
    expect(model.line.unitPriceLabel).toBeUndefined();
    expect(model.footer).toBeUndefined();
    expect(model.payment?.details).toBe('BSB 062-000\nAccount 1234 5678');
    expect(model.taxNotes).toEqual([`Total includes GST of ${formatMoney(10000, 'AUD')}`]);
  });
});

describe('buildCreditNotePdfModel', () => {
  test('keeps the legal notes and the tax legend of the invoice it cancels', () => {
    const note: CreditNote = {
      id: 1,
      seq: 1,
      number: 'CN-000001',
      invoiceId: 7,
      issueDate: '2026-11-30',
      issuedAt: '2026-11-30T09:00:00.000Z',
      reason: 'Booked the wrong class',
      currency: 'EUR',
      netMinor: -50000,
      taxMinor: 0,
      totalMinor: -50000,
      issuer: invoice().issuer,
      pdfSha256: null,
    };
    const model = buildCreditNotePdfModel(config, invoice(), note);
    expect(model.title).toBe('Credit Note');
    expect(model.footer).toBe('Amtsgericht Berlin HRB 12345');
    expect(model.taxNotes?.[0]).toBe('Reverse charge – Article 196 of Council Directive 2006/112/EC');
    expect(model.payment).toBeUndefined();
  });
});
