/**
 * How much tax an invoice charges: the treatment (src/domain/tax-treatment.ts) for this seller and
 * buyer, applied to the OpenLearning price.
 */
import type { Config } from '../config.js';
import { computeTax, invoiceAmounts, type TaxBreakdown } from '../domain/tax.js';
import { isEuMemberState, taxTreatment, type TaxTreatment, type TaxTreatmentInput } from '../domain/tax-treatment.js';

export interface InvoiceTax {
  treatment: TaxTreatment;
  amounts: TaxBreakdown;
}

type TaxConfig = Pick<Config, 'seller' | 'tax'>;

export function decideInvoiceTax(config: TaxConfig, priceMinor: number, currency: string, buyer: TaxTreatmentInput['buyer']): InvoiceTax {
  const treatment = taxTreatment({
    seller: { country: config.seller.country, taxId: config.seller.validatedTaxId ?? null, registered: !config.seller.taxIdNone },
    buyer,
    rate: config.tax.rate,
    reverseChargeEnabled: config.tax.reverseCharge,
    exemptionReason: config.tax.exemptionReason ?? null,
  });
  return { treatment, amounts: amountsFor(treatment, priceMinor, currency, config.tax) };
}

/**
 * A reverse-charge buyer pays the net price: when prices include tax, the OpenLearning price less
 * the tax it includes at the normal rate (EUR 119.00 at 19% → EUR 100.00), since the business
 * accounts for the VAT itself in its own country. Charging it the full price at 0% would make the
 * same course dearer for a business than for a consumer once the business pays its own VAT on top.
 */
function amountsFor(treatment: TaxTreatment, priceMinor: number, currency: string, tax: Config['tax']): TaxBreakdown {
  if (treatment.category === 'AE' && tax.inclusive) {
    const { netMinor } = computeTax(priceMinor, tax.rate, true);
    // At 0 % "included": the net is the total (rounded to whole units where transfers need them).
    return invoiceAmounts(netMinor, currency, treatment.rate, true);
  }
  return invoiceAmounts(priceMinor, currency, treatment.rate, tax.inclusive);
}

/** True when some buyer could be invoiced with the reverse charge: the billing form says so. */
export function reverseChargeOffered(config: TaxConfig): boolean {
  return (
    config.tax.reverseCharge &&
    !config.seller.taxIdNone &&
    isEuMemberState(config.seller.country) &&
    config.seller.validatedTaxId?.scheme === 'eu_vat' &&
    config.tax.rate.numerator > 0n
  );
}
