/**
 * E-invoices on request: the EN 16931 data of an invoice or credit note as Peppol UBL or Factur-X
 * CII, built from the stored documents (like their PDFs) and refused when a business rule fails.
 */
import { writeCii } from '../clients/einvoice/cii.js';
import { checkBusinessRules } from '../clients/einvoice/rules.js';
import { writeUbl } from '../clients/einvoice/ubl.js';
import type { Config } from '../config.js';
import { findCreditNoteByNumber, type CreditNote } from '../db/credit-notes.js';
import { findInvoiceById, findInvoiceByNumber } from '../db/invoices.js';
import { eInvoiceFromCreditNote, eInvoiceFromInvoice, type EInvoiceDocument, type EInvoiceSettings } from '../domain/e-invoice.js';
import type { Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';

export const E_INVOICE_FORMATS = ['ubl', 'cii'] as const;
export type EInvoiceFormat = (typeof E_INVOICE_FORMATS)[number];

/** The address in MAIL_FROM ('Example Academy <billing@example.edu>' or a bare address). */
function mailAddress(from: string): string | null {
  const match = /<([^<>\s]+@[^<>\s]+)>/.exec(from) ?? /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(from);
  return match ? match[1]! : null;
}

export function eInvoiceSettings(config: Pick<Config, 'seller' | 'mail' | 'tax'>): EInvoiceSettings {
  return {
    sellerCountry: config.seller.country,
    sellerElectronicAddress: config.seller.electronicAddress ?? null,
    sellerEmail: mailAddress(config.mail.from),
    exemptionReason: config.tax.exemptionReason ?? null,
    reverseChargeEnabled: config.tax.reverseCharge,
  };
}

export function eInvoiceDocument(config: Pick<Config, 'seller' | 'mail' | 'tax'>, invoice: Invoice, note?: CreditNote): EInvoiceDocument {
  const settings = eInvoiceSettings(config);
  return note ? eInvoiceFromCreditNote(invoice, note, settings) : eInvoiceFromInvoice(invoice, settings);
}

/** The XML of a document, or einvoice.invalid naming the rules it breaks. */
export function eInvoiceXml(document: EInvoiceDocument, format: EInvoiceFormat): string {
  const { broken } = checkBusinessRules(document);
  if (broken.length > 0) throw new AppError('einvoice.invalid', `${document.number}: ${broken.map((rule) => `${rule.id} ${rule.text}`).join('; ')}`);
  return format === 'ubl' ? writeUbl(document) : writeCii(document);
}

/** The Factur-X XML for a PDF, or undefined (the PDF is still issued, without it) when a rule fails. */
export function facturXmlFor(deps: Pick<Deps, 'config' | 'logger'>, invoice: Invoice, note?: CreditNote): string | undefined {
  try {
    return eInvoiceXml(eInvoiceDocument(deps.config, invoice, note), 'cii');
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    deps.logger.warn(
      { document: note?.number ?? invoice.number, problem: error.detail },
      'PDF issued without Factur-X data: the e-invoice breaks an EN 16931 rule',
    );
    return undefined;
  }
}

export interface FoundEInvoice {
  invoice: Invoice;
  note: CreditNote | undefined;
  document: EInvoiceDocument;
}

/** An invoice or a credit note by its number (both series have their own prefix). */
export function findEInvoice(deps: Pick<Deps, 'db' | 'config'>, number: string): FoundEInvoice | undefined {
  const invoice = findInvoiceByNumber(deps.db, number);
  if (invoice) return { invoice, note: undefined, document: eInvoiceDocument(deps.config, invoice) };
  const note = findCreditNoteByNumber(deps.db, number);
  if (!note) return undefined;
  const credited = findInvoiceById(deps.db, note.invoiceId)!;
  return { invoice: credited, note, document: eInvoiceDocument(deps.config, credited, note) };
}

/** The file name a download gets: the document number and the syntax. */
export function eInvoiceFileName(number: string, format: EInvoiceFormat): string {
  return `${number}.${format === 'ubl' ? 'ubl' : 'cii'}.xml`;
}
