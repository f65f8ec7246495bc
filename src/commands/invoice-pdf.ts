import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InvoicePdfModel } from '../clients/pdf/invoice-pdf.js';
import type { Config } from '../config.js';
import { recordPdfChecksum } from '../db/invoices.js';
import { buildEpcPayload } from '../domain/epc-qr.js';
import { formatIban } from '../domain/iban.js';
import { invoiceTitle, type Invoice } from '../domain/invoice.js';
import { formatAmount, formatMoney } from '../domain/money.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from '../domain/payment-reference.js';
import { formatTaxRate, parseTaxRate } from '../domain/tax.js';
import { countryName } from '../domain/countries.js';
import type { Deps } from '../deps.js';
import { formatDate } from '../views.js';
import { invoiceLinks } from './links.js';

export function invoicePdfPath(config: Pick<Config, 'dataDir'>, invoice: Pick<Invoice, 'number'>): string {
  return path.join(config.dataDir, 'invoices', `${invoice.number}.pdf`);
}

/** What the PDF shows, from the stored invoice only (never from today's config), so a re-render is identical. */
export function buildInvoicePdfModel(config: Pick<Config, 'publicUrl' | 'timeZone'>, invoice: Invoice): InvoicePdfModel {
  const { seller, bank } = invoice.issuer;
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const rate = parseTaxRate(invoice.taxRate);
  const rateText = rate.ok ? formatTaxRate(rate.rate) : `${invoice.taxRate}%`;
  const hasTax = invoice.taxMinor > 0 || invoice.taxRate !== '0';
  const isEur = invoice.currency === 'EUR';
  const creditorReference = isEur ? toCreditorReference(invoice.paymentReference) : undefined;
  const epcPayload =
    isEur && bank.iban && invoice.totalMinor > 0
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
  return {
    title: invoiceTitle(invoice.issuer),
    sandbox: invoice.issuer.sandbox,
    seller: { name: seller.name, address: seller.address, taxId: seller.taxId ?? undefined, taxIdLabel: seller.taxIdLabel },
    buyer: {
      name: invoice.buyerName,
      email: invoice.buyerEmail,
      organisation: invoice.buyerOrganisation ?? undefined,
      address: invoice.buyerAddress ?? undefined,
      country: invoice.buyerCountry ? countryName(invoice.buyerCountry) : undefined,
      taxId: invoice.buyerTaxId ?? undefined,
      purchaseOrder: invoice.buyerPoNumber ?? undefined,
    },
    number: invoice.number,
    issueDate: formatDate(invoice.issueDate, config.timeZone),
    dueDate: formatDate(invoice.dueDate, config.timeZone),
    currency: invoice.currency,
    line: {
      description: invoice.courseTitle,
      detail: `OpenLearning class ${invoice.classId}`,
      quantity: '1',
      unitPrice: formatAmount(invoice.taxInclusive ? invoice.totalMinor : invoice.netMinor, invoice.currency),
      taxRate: hasTax ? rateText : '–',
      taxAmount: formatAmount(invoice.taxMinor, invoice.currency),
      amount: formatAmount(invoice.totalMinor, invoice.currency),
    },
    totals,
    payment: {
      amountDue: money(invoice.totalMinor),
      accountName: bank.accountName ?? undefined,
      iban: bank.iban ? formatIban(bank.iban) : undefined,
      bic: bank.bic ?? undefined,
      details: bank.details ?? undefined,
      reference: formatPaymentReference(invoice.paymentReference),
      creditorReference: creditorReference ? formatCreditorReference(creditorReference) : undefined,
      epcPayload,
    },
    statusUrl: invoiceLinks(config.publicUrl, invoice).status,
    createdAt: new Date(invoice.issuedAt),
  };
}

const renders = new Map<string, Promise<Buffer>>();

/**
 * The PDF is rendered once, at issue, and stored; every download serves those bytes. If the file
 * is missing (a restore without the invoices folder, a crash before the first render) it is
 * rendered again from the stored invoice, which gives the same bytes.
 */
export async function ensureInvoicePdf(deps: Pick<Deps, 'config' | 'db' | 'logger'>, invoice: Invoice): Promise<Buffer> {
  const file = invoicePdfPath(deps.config, invoice);
  if (fs.existsSync(file)) {
    const bytes = fs.readFileSync(file);
    if (!invoice.pdfSha256 || sha256(bytes) === invoice.pdfSha256) return bytes;
    deps.logger.error({ invoice: invoice.number, file }, 'stored invoice PDF does not match its checksum; rendering it again');
  }
  const key = `${deps.config.dataDir}:${invoice.number}`;
  let pending = renders.get(key);
  if (!pending) {
    pending = renderAndStore(deps, invoice, file).finally(() => renders.delete(key));
    renders.set(key, pending);
  }
  return pending;
}

async function renderAndStore(deps: Pick<Deps, 'config' | 'db' | 'logger'>, invoice: Invoice, file: string): Promise<Buffer> {
  const started = performance.now();
  // Loaded on first use: pdfkit, fontkit and qrcode take about half a second to import, which
  // every start of the portal paid before it could answer /healthz.
  const { renderInvoicePdf } = await import('../clients/pdf/invoice-pdf.js');
  const bytes = await renderInvoicePdf(buildInvoicePdfModel(deps.config, invoice));
  const checksum = sha256(bytes);
  if (invoice.pdfSha256 && invoice.pdfSha256 !== checksum) {
    deps.logger.warn({ invoice: invoice.number }, 'invoice PDF re-rendered with different bytes (fonts or renderer changed since issue)');
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
  recordPdfChecksum(deps.db, invoice.id, checksum);
  deps.logger.info({ invoice: invoice.number, bytes: bytes.length, ms: Math.round(performance.now() - started) }, 'invoice PDF rendered');
  return bytes;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
