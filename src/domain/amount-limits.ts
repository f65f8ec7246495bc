/**
 * The largest invoice the portal issues. A total must fit in 11 digits of minor units
 * (999,999,999.99 in a two-decimal currency, 99,999,999,999 yen): that is the EPC QR code's
 * ceiling for EUR (999999999.99) and what the PDF's amount columns are laid out for. Checked when
 * OpenLearning's token arrives, so a price that cannot be invoiced is refused before anything is
 * stored, instead of using up an invoice number and failing to render.
 */
import { formatMoney } from './money.js';
import { invoiceAmounts, type TaxRate } from './tax.js';

export const MAX_INVOICE_TOTAL_MINOR = 99_999_999_999;

export type InvoiceTotalCheck = { ok: true; totalMinor: number } | { ok: false; reason: string };

/** The total an invoice for this price would have (tax included or added), if the portal can issue it. */
export function checkInvoiceTotal(priceMinor: number, currency: string, tax: { rate: TaxRate; inclusive: boolean }): InvoiceTotalCheck {
  const largest = formatMoney(MAX_INVOICE_TOTAL_MINOR, currency);
  // Checked before computing tax, so an exclusive rate never pushes the sum past the safe range.
  if (!Number.isSafeInteger(priceMinor) || priceMinor < 0 || priceMinor > MAX_INVOICE_TOTAL_MINOR) {
    return { ok: false, reason: `the price is above the largest invoice total, ${largest}` };
  }
  const { totalMinor } = invoiceAmounts(priceMinor, currency, tax.rate, tax.inclusive);
  if (totalMinor > MAX_INVOICE_TOTAL_MINOR) {
    return { ok: false, reason: `the total with tax, ${formatMoney(totalMinor, currency)}, is above the largest invoice total, ${largest}` };
  }
  return { ok: true, totalMinor };
}
