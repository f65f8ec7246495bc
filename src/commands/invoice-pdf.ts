import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InvoicePdfModel } from '../clients/pdf/invoice-pdf.js';
import { renderInvoicePdfOffThread } from '../clients/pdf/render-worker.js';
import type { Config } from '../config.js';
import { dataPaths } from '../data-paths.js';
import { recordCreditNotePdfChecksum, type CreditNote } from '../db/credit-notes.js';
import { recordPdfChecksum } from '../db/invoices.js';
import { epcQrAllowed } from '../domain/bank-accounts.js';
import { buildEpcPayload } from '../domain/epc-qr.js';
import { formatIban } from '../domain/iban.js';
import { invoiceTitle, showsTax, type Invoice } from '../domain/invoice.js';
import { formatAmount, formatMoney } from '../domain/money.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from '../domain/payment-reference.js';
import { formatTaxRate, parseTaxRate } from '../domain/tax.js';
import { countryName } from '../domain/countries.js';
import type { Deps } from '../deps.js';
import { formatDate } from '../views.js';
import { invoiceLinks } from './links.js';

/** What the PDF shows, from the stored invoice only (never from today's config), so a re-render is identical. */
export function buildInvoicePdfModel(config: Pick<Config, 'publicUrl' | 'timeZone'>, invoice: Invoice): InvoicePdfModel {
  const { seller, bank } = invoice.issuer;
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const rate = parseTaxRate(invoice.taxRate);
  const rateText = rate.ok ? formatTaxRate(rate.rate) : `${invoice.taxRate}%`;
  const hasTax = showsTax(invoice);
  const isEur = invoice.currency === 'EUR';
  const creditorReference = isEur ? toCreditorReference(invoice.paymentReference) : undefined;
  // A SEPA credit transfer exists only in euro to an account in a SEPA country.
  const epcPayload =
    bank.iban && epcQrAllowed(invoice.currency, bank.iban) && invoice.totalMinor > 0
      ? buildEpcPayload({
          bic: bank.bic ?? undefined,
          name: bank.accountName ?? seller.name,
          iban: bank.iban,
          // The invoice as issued: the PDF never changes after issue, even after a part payment.
          amountMinor: invoice.totalMinor,
          creditorReference,
        })
      : undefined;
  const totals: InvoicePdfModel['totals'] = hasTax
    ? [
        { label: `Subtotal (excluding ${invoice.taxLabel})`, value: money(invoice.netMinor) },
        { label: `${invoice.taxLabel} ${rateText}`, value: money(invoice.taxMinor) },
        { label: `Total ${invoice.currency}`, value: money(invoice.totalMinor), strong: true },
      ]
    : [{ label: `Total ${invoice.currency}`, value: money(invoice.totalMinor), strong: true }];
  const bankDetails = [bank.bsb && `BSB ${bank.bsb}`, bank.accountNumber && `Account ${bank.accountNumber}`, bank.details].filter(Boolean).join('\n');
  const issueDate = formatDate(invoice.issueDate, config.timeZone);
  const supplyDate = invoice.supplyDate && invoice.supplyDate !== invoice.issueDate ? formatDate(invoice.supplyDate, config.timeZone) : undefined;
  return {
    title: invoiceTitle(invoice.issuer, invoice.taxCategory),
    sandbox: invoice.issuer.sandbox,
    seller: { name: seller.name, address: seller.address, taxId: seller.taxId ?? undefined, taxIdLabel: seller.taxIdLabel },
    buyer: {
      name: invoice.buyerName,
      email: invoice.buyerEmail,
      organisation: invoice.buyerOrganisation ?? undefined,
      address: invoice.buyerAddress ?? undefined,
      country: invoice.buyerCountry ? countryName(invoice.buyerCountry) : undefined,
      taxId: invoice.buyerTaxId ?? undefined,
      taxIdLabel: invoice.buyerTaxIdLabel ?? undefined,
      purchaseOrder: invoice.buyerPoNumber ?? undefined,
      reference: invoice.buyerReference ?? undefined,
    },
    number: invoice.number,
    issueDate,
    dueDate: formatDate(invoice.dueDate, config.timeZone),
    currency: invoice.currency,
    ...(supplyDate
      ? {
          meta: [
            ['Invoice number', invoice.number, 'strong'],
            ['Issue date', issueDate],
            ['Date of supply', supplyDate],
            ['Due date', formatDate(invoice.dueDate, config.timeZone), 'strong'],
            ['Currency', invoice.currency],
          ],
        }
      : {}),
    line: {
      description: invoice.courseTitle,
      detail: invoice.programId !== null ? `OpenLearning program ${invoice.programId}` : `OpenLearning class ${invoice.classId}`,
      quantity: '1',
      unitPrice: formatAmount(invoice.taxInclusive ? invoice.totalMinor : invoice.netMinor, invoice.currency),
      // Where tax is added, the unit price is the price before tax (EU VAT Directive, Article 226(8)).
      ...(hasTax && !invoice.taxInclusive ? { unitPriceLabel: 'NET UNIT PRICE' } : {}),
      taxRate: hasTax ? rateText : '–',
      // A seller not registered for tax charges none: no amount in the tax column either.
      taxAmount: invoice.taxCategory === 'O' ? '–' : formatAmount(invoice.taxMinor, invoice.currency),
      amount: formatAmount(invoice.totalMinor, invoice.currency),
    },
    totals,
    taxNotes: taxNotes(invoice, money(invoice.taxMinor)),
    payment: {
      amountDue: money(invoice.totalMinor),
      accountName: bank.accountName ?? undefined,
      iban: bank.iban ? formatIban(bank.iban) : undefined,
      bic: bank.bic ?? undefined,
      details: bankDetails || undefined,
      reference: formatPaymentReference(invoice.paymentReference),
      creditorReference: creditorReference ? formatCreditorReference(creditorReference) : undefined,
      epcPayload,
    },
    statusUrl: invoiceLinks(config.publicUrl, invoice).status,
    footer: invoice.notes ?? undefined,
    createdAt: new Date(invoice.issuedAt),
  };
}

/** What the invoice must say about its tax, under the totals. */
function taxNotes(invoice: Invoice, taxAmount: string): string[] {
  const notes: string[] = [];
  if (invoice.taxLegend) notes.push(invoice.taxLegalReference ? `${invoice.taxLegend} – ${invoice.taxLegalReference}` : invoice.taxLegend);
  if (invoice.taxCategory === 'AE') {
    // Both VAT ids are on the invoice (Article 226(3) and (4)); say who accounts for the VAT.
    notes.push(`The customer accounts for the ${invoice.taxLabel}.`);
  }
  if (invoice.taxCategory === 'S' && invoice.taxInclusive && invoice.taxMinor > 0) notes.push(`Total includes ${invoice.taxLabel} of ${taxAmount}`);
  return notes;
}

/**
 * A credit note is drawn like the invoice it cancels, negated: the same seller, buyer and line,
 * every amount with a minus sign, its own number, the invoice's number and date, and the reason.
 * There is nothing to pay, so no payment box.
 */
export function buildCreditNotePdfModel(config: Pick<Config, 'publicUrl' | 'timeZone'>, invoice: Invoice, note: CreditNote): InvoicePdfModel {
  const invoiceModel = buildInvoicePdfModel(config, invoice);
  const money = (minor: number) => formatMoney(minor, note.currency);
  const amount = (minor: number) => formatAmount(minor, note.currency);
  const totals = invoiceModel.totals.map((row, index, all) => {
    const values = all.length === 1 ? [note.totalMinor] : [note.netMinor, note.taxMinor, note.totalMinor];
    return { ...row, value: money(values[index]!) };
  });
  const issueDate = formatDate(note.issueDate, config.timeZone);
  return {
    ...invoiceModel,
    title: 'Credit Note',
    number: note.number,
    issueDate,
    dueDate: issueDate,
    meta: [
      ['Credit note number', note.number, 'strong'],
      ['Issue date', issueDate],
      ['Credits invoice', invoice.number, 'strong'],
      ['Invoice date', formatDate(invoice.issueDate, config.timeZone)],
      ['Currency', note.currency],
    ],
    notice: `This credit note cancels invoice ${invoice.number} of ${formatDate(invoice.issueDate, config.timeZone)} in full. Reason: ${note.reason}`,
    line: {
      ...invoiceModel.line,
      unitPrice: amount(-(invoice.taxInclusive ? invoice.totalMinor : invoice.netMinor)),
      taxAmount: invoice.taxCategory === 'O' ? '–' : amount(note.taxMinor),
      amount: amount(note.totalMinor),
    },
    totals,
    taxNotes: taxNotes(invoice, money(note.taxMinor)),
    payment: undefined,
    createdAt: new Date(note.issuedAt),
  };
}

const renders = new Map<string, Promise<Buffer>>();

interface StoredDocument {
  number: string;
  file: string;
  sha256: string | null;
  render: () => Promise<Buffer>;
  recordChecksum: (sha256: string) => void;
}

/**
 * Invoices and credit notes are rendered once, at issue, and stored; every download serves those
 * bytes. If the file is missing (a restore without the PDF folders, a crash before the first
 * render) it is rendered again from the database, which gives the same bytes.
 */
async function ensureStoredPdf(deps: Pick<Deps, 'config' | 'logger'>, document: StoredDocument): Promise<Buffer> {
  if (fs.existsSync(document.file)) {
    const bytes = fs.readFileSync(document.file);
    if (!document.sha256 || sha256(bytes) === document.sha256) return bytes;
    deps.logger.error({ document: document.number, file: document.file }, 'stored PDF does not match its checksum; rendering it again');
  }
  let pending = renders.get(document.file);
  if (!pending) {
    pending = renderAndStore(deps, document).finally(() => renders.delete(document.file));
    renders.set(document.file, pending);
  }
  return pending;
}

async function renderAndStore(deps: Pick<Deps, 'logger'>, document: StoredDocument): Promise<Buffer> {
  const started = performance.now();
  const bytes = await document.render();
  const checksum = sha256(bytes);
  if (document.sha256 && document.sha256 !== checksum) {
    deps.logger.warn({ document: document.number }, 'PDF re-rendered with different bytes (fonts or renderer changed since issue)');
  }
  fs.mkdirSync(path.dirname(document.file), { recursive: true });
  const temporary = `${document.file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, document.file);
  document.recordChecksum(checksum);
  deps.logger.info({ document: document.number, bytes: bytes.length, ms: Math.round(performance.now() - started) }, 'PDF rendered');
  return bytes;
}

/**
 * Loaded on first render, as the renderer is (on its worker thread, src/clients/pdf/render-worker.ts):
 * the XML writer is only needed to render, and importing it would slow every start.
 */
function loadEInvoices() {
  return import('./e-invoices.js');
}

export function ensureInvoicePdf(deps: Pick<Deps, 'config' | 'db' | 'logger'>, invoice: Invoice): Promise<Buffer> {
  return ensureStoredPdf(deps, {
    number: invoice.number,
    file: dataPaths(deps.config).invoicePdf(invoice.number),
    sha256: invoice.pdfSha256,
    render: async () =>
      renderInvoicePdfOffThread({ ...buildInvoicePdfModel(deps.config, invoice), facturXml: (await loadEInvoices()).facturXmlFor(deps, invoice) }),
    recordChecksum: (checksum) => recordPdfChecksum(deps.db, invoice.id, checksum),
  });
}

export function ensureCreditNotePdf(deps: Pick<Deps, 'config' | 'db' | 'logger'>, invoice: Invoice, note: CreditNote): Promise<Buffer> {
  return ensureStoredPdf(deps, {
    number: note.number,
    file: dataPaths(deps.config).creditNotePdf(note.number),
    sha256: note.pdfSha256,
    render: async () =>
      renderInvoicePdfOffThread({
        ...buildCreditNotePdfModel(deps.config, invoice, note),
        facturXml: (await loadEInvoices()).facturXmlFor(deps, invoice, note),
      }),
    recordChecksum: (checksum) => recordCreditNotePdfChecksum(deps.db, note.id, checksum),
  });
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
