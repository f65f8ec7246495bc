import type { Context } from 'koa';
import type { EInvoiceFormat } from '../commands/e-invoices.js';
import type { Config } from '../config.js';
import type { CreditNote } from '../db/credit-notes.js';
import type { Invoice } from '../domain/invoice.js';

/**
 * Answers with the e-invoice of an invoice or credit note: Peppol UBL, or Factur-X CII with ?format=cii.
 * The XML writers (xmlbuilder2) are loaded on the first download, not at every start of the portal.
 */
export async function sendEInvoice(ctx: Context, config: Config, invoice: Invoice, note: CreditNote | undefined): Promise<void> {
  const { eInvoiceDocument, eInvoiceFileName, eInvoiceXml } = await import('../commands/e-invoices.js');
  const format: EInvoiceFormat = ctx.query.format === 'cii' ? 'cii' : 'ubl';
  const number = note?.number ?? invoice.number;
  ctx.body = eInvoiceXml(eInvoiceDocument(config, invoice, note), format);
  ctx.type = 'application/xml';
  ctx.set('Content-Disposition', `attachment; filename="${eInvoiceFileName(number, format)}"`);
}
