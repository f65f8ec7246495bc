import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InvoicePdfModel, PdfLabels } from '../clients/pdf/invoice-pdf.js';
import { renderInvoicePdfOffThread } from '../clients/pdf/render-worker.js';
import type { Config } from '../config.js';
import { dataPaths } from '../data-paths.js';
import { recordCreditNotePdfChecksum, type CreditNote } from '../db/credit-notes.js';
import { recordPdfChecksum } from '../db/invoices.js';
import { epcQrAllowed } from '../domain/bank-accounts.js';
import { buildEpcPayload } from '../domain/epc-qr.js';
import { formatIban } from '../domain/iban.js';
import { isTaxInvoice, showsTax, type Invoice } from '../domain/invoice.js';
import { formatAmount, formatMoney } from '../domain/money.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from '../domain/payment-reference.js';
import { formatTaxRate, parseTaxRate } from '../domain/tax.js';
import { countryName } from '../domain/countries.js';
import type { Deps } from '../deps.js';
import { isLanguage, translator, type MessageValues } from '../i18n.js';
import { formatDate } from '../views.js';
import { invoiceLinks } from './links.js';

/**
 * The PDF's words: the learner's language, with the second language (INVOICE_SECOND_LANGUAGE at
 * issue) on the line under each where one was set. Dates and amounts follow the learner's language.
 */
function pdfWords(invoice: Pick<Invoice, 'language' | 'secondLanguage'>) {
  const primary = translator('learner', isLanguage(invoice.language) ? invoice.language : 'en');
  const second = isLanguage(invoice.secondLanguage) && invoice.secondLanguage !== primary.language ? translator('learner', invoice.secondLanguage) : undefined;
  const word = (key: string, values?: MessageValues): string => {
    const text = primary.text(key, values);
    return second ? `${text}\n${second.text(key, values)}` : text;
  };
  const labels: PdfLabels = {
    taxId: word('pdf.tax_id'),
    billTo: word('pdf.bill_to'),
    poNumber: word('pdf.po_number'),
    reference: word('pdf.reference'),
    invoiceNumber: word('pdf.invoice_number'),
    issueDate: word('pdf.issue_date'),
    dueDate: word('pdf.due_date'),
    currency: word('pdf.currency'),
    description: word('pdf.col.description'),
    quantity: word('pdf.col.quantity'),
    unitPrice: word('pdf.col.unit_price'),
    taxRate: word('pdf.col.tax_rate'),
    tax: word('pdf.col.tax'),
    amount: word('pdf.col.amount'),
    howToPay: word('pdf.how_to_pay'),
    payByTransfer: word('pdf.pay_by_transfer'),
    amountDue: word('pdf.amount_due'),
    accountName: word('pdf.account_name'),
    otherDetails: word('pdf.other_details'),
    bankDetails: word('pdf.bank_details'),
    useReference: word('pdf.use_reference'),
    creditorReference: word('pdf.creditor_reference'),
    creditorReferenceHint: word('pdf.creditor_reference_hint'),
    qrCaption: word('pdf.qr_caption'),
    statusLink: word('pdf.status_link'),
    // One line at the foot of each page: the learner's language only.
    pageOf: primary.text('pdf.page', { number: '{number}', page: '{page}', pages: '{pages}' }),
  };
  return { primary, word, labels, locale: primary.locale };
}

/** What the PDF shows, from the stored invoice only (never from today's config), so a re-render is identical. */
export function buildInvoicePdfModel(config: Pick<Config, 'publicUrl' | 'timeZone'>, invoice: Invoice): InvoicePdfModel {
  const { seller, bank } = invoice.issuer;
  const { primary, word, labels, locale } = pdfWords(invoice);
  const money = (minor: number) => formatMoney(minor, invoice.currency, locale);
  const date = (value: string) => formatDate(value, config.timeZone, locale);
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
        { label: word('pdf.subtotal', { tax: invoice.taxLabel }), value: money(invoice.netMinor) },
        { label: `${invoice.taxLabel} ${rateText}`, value: money(invoice.taxMinor) },
        { label: word('pdf.total', { currency: invoice.currency }), value: money(invoice.totalMinor), strong: true },
      ]
    : [{ label: word('pdf.total', { currency: invoice.currency }), value: money(invoice.totalMinor), strong: true }];
  const bankDetails = [
    bank.bsb && primary.text('pdf.bsb', { bsb: bank.bsb }),
    bank.accountNumber && primary.text('pdf.account', { number: bank.accountNumber }),
    bank.details,
  ]
    .filter(Boolean)
    .join('\n');
  const issueDate = date(invoice.issueDate);
  const supplyDate = invoice.supplyDate && invoice.supplyDate !== invoice.issueDate ? date(invoice.supplyDate) : undefined;
  return {
    title: word(isTaxInvoice(invoice.issuer, invoice.taxCategory) ? 'pdf.title.tax_invoice' : 'pdf.title.invoice'),
    labels,
    language: primary.language,
    sandbox: invoice.issuer.sandbox,
    seller: { name: seller.name, address: seller.address, taxId: seller.taxId ?? undefined, taxIdLabel: seller.taxIdLabel },
    buyer: {
      name: invoice.buyerName,
      email: invoice.buyerEmail,
      organisation: invoice.buyerOrganisation ?? undefined,
      address: invoice.buyerAddress ?? undefined,
      country: invoice.buyerCountry ? countryName(invoice.buyerCountry, locale) : undefined,
      taxId: invoice.buyerTaxId ?? undefined,
      taxIdLabel: invoice.buyerTaxIdLabel ?? undefined,
      purchaseOrder: invoice.buyerPoNumber ?? undefined,
      reference: invoice.buyerReference ?? undefined,
    },
    number: invoice.number,
    issueDate,
    dueDate: date(invoice.dueDate),
    currency: invoice.currency,
    ...(supplyDate
      ? {
          meta: [
            [labels.invoiceNumber, invoice.number, 'strong'],
            [labels.issueDate, issueDate],
            [word('pdf.supply_date'), supplyDate],
            [labels.dueDate, date(invoice.dueDate), 'strong'],
            [labels.currency, invoice.currency],
          ],
        }
      : {}),
    line: {
      description: invoice.courseTitle,
      // What was bought, in the learner's words; the class or program id is for staff and is in the e-invoice.
      detail: word(invoice.programId !== null ? 'pdf.line.program' : 'pdf.line.class'),
      quantity: '1',
      unitPrice: formatAmount(invoice.taxInclusive ? invoice.totalMinor : invoice.netMinor, invoice.currency, locale),
      // Where tax is added, the unit price is the price before tax (EU VAT Directive, Article 226(8)).
      ...(hasTax && !invoice.taxInclusive ? { unitPriceLabel: word('pdf.col.net_unit_price') } : {}),
      taxRate: hasTax ? rateText : '–',
      // A seller not registered for tax charges none: no amount in the tax column either.
      taxAmount: invoice.taxCategory === 'O' ? '–' : formatAmount(invoice.taxMinor, invoice.currency, locale),
      amount: formatAmount(invoice.totalMinor, invoice.currency, locale),
    },
    totals,
    taxNotes: taxNotes(invoice, money(invoice.taxMinor), word),
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

/** What the invoice must say about its tax, under the totals. The legend is the legal wording stored at issue. */
function taxNotes(invoice: Invoice, taxAmount: string, word: (key: string, values?: MessageValues) => string): string[] {
  const notes: string[] = [];
  if (invoice.taxLegend) notes.push(invoice.taxLegalReference ? `${invoice.taxLegend} – ${invoice.taxLegalReference}` : invoice.taxLegend);
  if (invoice.taxCategory === 'AE') {
    // Both VAT ids are on the invoice (Article 226(3) and (4)); say who accounts for the VAT.
    notes.push(word('pdf.customer_accounts_for_tax', { tax: invoice.taxLabel }));
  }
  if (invoice.taxCategory === 'S' && invoice.taxInclusive && invoice.taxMinor > 0)
    notes.push(word('pdf.total_includes_tax', { tax: invoice.taxLabel, amount: taxAmount }));
  return notes;
}

/**
 * A credit note is drawn like the invoice it cancels, negated: the same seller, buyer and line,
 * every amount with a minus sign, its own number, the invoice's number and date, and the reason.
 * There is nothing to pay, so no payment box.
 */
export function buildCreditNotePdfModel(config: Pick<Config, 'publicUrl' | 'timeZone'>, invoice: Invoice, note: CreditNote): InvoicePdfModel {
  const invoiceModel = buildInvoicePdfModel(config, invoice);
  const { word, labels, locale } = pdfWords(invoice);
  const money = (minor: number) => formatMoney(minor, note.currency, locale);
  const amount = (minor: number) => formatAmount(minor, note.currency, locale);
  const date = (value: string) => formatDate(value, config.timeZone, locale);
  const totals = invoiceModel.totals.map((row, index, all) => {
    const values = all.length === 1 ? [note.totalMinor] : [note.netMinor, note.taxMinor, note.totalMinor];
    return { ...row, value: money(values[index]!) };
  });
  const issueDate = date(note.issueDate);
  return {
    ...invoiceModel,
    title: word('pdf.title.credit_note'),
    number: note.number,
    issueDate,
    dueDate: issueDate,
    meta: [
      [word('pdf.credit_note_number'), note.number, 'strong'],
      [labels.issueDate, issueDate],
      [word('pdf.credits_invoice'), invoice.number, 'strong'],
      [word('pdf.invoice_date'), date(invoice.issueDate)],
      [labels.currency, note.currency],
    ],
    notice: word('pdf.credit_note_notice', { number: invoice.number, date: date(invoice.issueDate), reason: note.reason }),
    line: {
      ...invoiceModel.line,
      unitPrice: amount(-(invoice.taxInclusive ? invoice.totalMinor : invoice.netMinor)),
      taxAmount: invoice.taxCategory === 'O' ? '–' : amount(note.taxMinor),
      amount: amount(note.totalMinor),
    },
    totals,
    taxNotes: taxNotes(invoice, money(note.taxMinor), word),
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
