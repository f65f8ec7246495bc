import { describe, expect, test } from 'vitest';
import { validateTaxId } from '../../src/domain/tax-ids.js';
import { computeTax, parseTaxRate, type TaxRate } from '../../src/domain/tax.js';
import { taxTreatment, type TaxTreatmentInput } from '../../src/domain/tax-treatment.js';

function rate(percent: string): TaxRate {
  const parsed = parseTaxRate(percent);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.rate;
}

const germanSeller = { country: 'DE', taxId: validateTaxId('DE136695976', 'DE'), registered: true };
const frenchCompany = { country: 'FR', taxId: validateTaxId('FR40303265045', 'FR'), organisation: 'Exemple Formation SARL' };

/** Germany, VAT added at 19%. */
function germany(buyer: TaxTreatmentInput['buyer'], overrides: Partial<TaxTreatmentInput> = {}): TaxTreatmentInput {
  return { seller: germanSeller, buyer, rate: rate('19'), reverseChargeEnabled: true, exemptionReason: null, ...overrides };
}

describe('a German seller adding 19% VAT', () => {
  test('a French company with a valid VAT id: reverse charge at 0%, with the legend and both VAT ids', () => {
    const treatment = taxTreatment(germany(frenchCompany));
    expect(treatment).toEqual({
      category: 'AE',
      rate: expect.objectContaining({ percent: '0' }),
      legend: 'Reverse charge',
      legalReference: 'Article 196 of Council Directive 2006/112/EC',
      showBuyerTaxId: true,
    });
    // EUR 500.00 course: the company pays 500.00, not 595.00.
    expect(computeTax(50_000, treatment.rate, false)).toEqual({ netMinor: 50_000, taxMinor: 0, totalMinor: 50_000 });
  });

  test('a French consumer (no VAT id) pays 19%', () => {
    const treatment = taxTreatment(germany({ country: 'FR', taxId: null, organisation: null }));
    expect(treatment).toMatchObject({ category: 'S', legend: null, legalReference: null, showBuyerTaxId: false });
    expect(computeTax(50_000, treatment.rate, false)).toEqual({ netMinor: 50_000, taxMinor: 9_500, totalMinor: 59_500 });
  });

  test('a German company with a German VAT id pays 19% (same country), its VAT id still shown', () => {
    const treatment = taxTreatment(germany({ country: 'DE', taxId: validateTaxId('DE136695976', 'DE'), organisation: 'Beispiel GmbH' }));
    expect(treatment).toMatchObject({ category: 'S', rate: { percent: '19' }, showBuyerTaxId: true });
  });

  test('a French VAT id without an organisation name pays 19%', () => {
    expect(taxTreatment(germany({ ...frenchCompany, organisation: '  ' })).category).toBe('S');
    expect(taxTreatment(germany({ ...frenchCompany, organisation: null })).category).toBe('S');
  });

  test('an invalid French VAT id pays 19%', () => {
    const invalid = validateTaxId('FR41303265045', 'FR');
    expect(invalid.ok).toBe(false);
    expect(taxTreatment(germany({ ...frenchCompany, taxId: invalid })).category).toBe('S');
  });

  test('with TAX_REVERSE_CHARGE=false the French company pays 19%', () => {
    expect(taxTreatment(germany(frenchCompany, { reverseChargeEnabled: false }))).toMatchObject({ category: 'S', rate: { percent: '19' } });
  });

  test("the VAT id's country decides, not the billing address", () => {
    // A French registration with a German address is still another member state...
    expect(taxTreatment(germany({ ...frenchCompany, country: 'DE' })).category).toBe('AE');
    // ...and a German registration with a French address is the seller's own country.
    const germanId = validateTaxId('DE136695976', 'FR');
    expect(taxTreatment(germany({ country: 'FR', taxId: germanId, organisation: 'Beispiel GmbH' })).category).toBe('S');
  });

  test('numbers that are not EU VAT ids never reverse the charge', () => {
    for (const [id, country] of [
      ['XI980780684', 'GB'],
      ['GB980780684', 'GB'],
      ['CHE-123.456.788 MWST', 'CH'],
    ] as const) {
      expect(taxTreatment(germany({ country, taxId: validateTaxId(id, country), organisation: 'Example Ltd' })).category, id).toBe('S');
    }
  });

  test('a seller without an EU VAT id of its own cannot issue a reverse-charge invoice', () => {
    const withSteuernummer = { ...germanSeller, taxId: validateTaxId('21/815/08150', 'DE') };
    expect(taxTreatment(germany(frenchCompany, { seller: withSteuernummer })).category).toBe('S');
  });

  test('an exempt German course sold to a French company is still reverse charged (the place of supply is France)', () => {
    expect(taxTreatment(germany(frenchCompany, { rate: rate('0'), exemptionReason: 'Steuerfrei nach § 4 Nr. 21 UStG' })).category).toBe('AE');
  });
});

describe('sellers outside the EU never reverse the charge', () => {
  test('Australia, GST 10% included: a French company pays the price including GST', () => {
    const treatment = taxTreatment({
      seller: { country: 'AU', taxId: validateTaxId('51 824 753 556', 'AU'), registered: true },
      buyer: frenchCompany,
      rate: rate('10'),
      reverseChargeEnabled: true,
      exemptionReason: null,
    });
    expect(treatment).toMatchObject({ category: 'S', rate: { percent: '10' }, legend: null });
    // AUD 1,100.00 including GST: 100.00 of it is GST.
    expect(computeTax(110_000, treatment.rate, true)).toEqual({ netMinor: 100_000, taxMinor: 10_000, totalMinor: 110_000 });
  });

  test('Malaysia, service tax 8%', () => {
    const treatment = taxTreatment({
      seller: { country: 'MY', taxId: validateTaxId('W10-1808-31000002', 'MY'), registered: true },
      buyer: { country: 'MY', taxId: validateTaxId('C2584563202', 'MY'), organisation: 'Contoh Sdn Bhd' },
      rate: rate('8'),
      reverseChargeEnabled: true,
      exemptionReason: null,
    });
    expect(treatment).toMatchObject({ category: 'S', rate: { percent: '8' }, showBuyerTaxId: true });
  });
});

describe('no tax', () => {
  test('a seller not registered for tax charges none, whatever TAX_RATE says', () => {
    const treatment = taxTreatment(germany(frenchCompany, { seller: { country: 'DE', taxId: null, registered: false } }));
    expect(treatment).toMatchObject({ category: 'O', rate: { percent: '0' }, legend: null, legalReference: null });
  });

  test("a seller not registered prints the exemption reason when it has one (Germany's § 19 UStG)", () => {
    const reason = 'Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.';
    const treatment = taxTreatment(germany(frenchCompany, { seller: { country: 'DE', taxId: null, registered: false }, exemptionReason: reason }));
    expect(treatment).toMatchObject({ category: 'O', legend: reason });
  });

  test('rate 0 with an exemption reason is exempt, and the reason is printed', () => {
    const reason = 'Exempt from VAT: education (Article 132(1)(i) of Directive 2006/112/EC)';
    const treatment = taxTreatment(germany({ country: 'DE', taxId: null, organisation: null }, { rate: rate('0'), exemptionReason: reason }));
    expect(treatment).toEqual({ category: 'E', rate: expect.objectContaining({ percent: '0' }), legend: reason, legalReference: null, showBuyerTaxId: false });
  });

  test('rate 0 without an exemption reason is zero rated', () => {
    const treatment = taxTreatment(germany({ country: 'DE', taxId: null, organisation: null }, { rate: rate('0'), exemptionReason: ' ' }));
    expect(treatment).toMatchObject({ category: 'Z', legend: null });
  });
});
