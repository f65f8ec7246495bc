/** The tax id on the billing form: checked with the country chosen next to it. */
import { describe, expect, test } from 'vitest';
import { parseBillingForm } from '../../src/domain/billing-details.js';

const person = { name: 'Camille Martin', email: 'camille@example.fr' };

describe('parseBillingForm: tax id', () => {
  test('a valid EU VAT id is kept in its canonical form, with what the check found', () => {
    const result = parseBillingForm({ ...person, country: 'FR', taxId: ' fr 403 032 650 45 ' });
    expect(result.ok && result.details.taxId).toBe('FR40303265045');
    expect(result.ok && result.details.checkedTaxId).toMatchObject({ scheme: 'eu_vat', country: 'FR', label: 'VAT' });
  });

  test('a VAT id that fails its check digits is a field error with the reason, the value kept as typed', () => {
    const result = parseBillingForm({ ...person, country: 'FR', taxId: 'FR40303265046' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.taxId).toEqual({
      code: 'tax_id',
      detail: 'This French VAT number does not pass its check digits: check it against your VAT registration.',
    });
    expect(result.values.taxId).toBe('FR40303265046');
  });

  test('the tax id error is reported together with errors in other fields', () => {
    const result = parseBillingForm({ name: '', email: 'camille@example.fr', country: 'FR', taxId: 'FR40303265046' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['name', 'taxId']);
  });

  test('an ABN is read with the Australian country and printed in groups; a number of unknown format is free text', () => {
    const abn = parseBillingForm({ ...person, country: 'AU', taxId: '51824753556' });
    expect(abn.ok && abn.details.taxId).toBe('51 824 753 556');
    const free = parseBillingForm({ ...person, country: 'FR', taxId: 'HRB 12345' });
    expect(free.ok && free.details.checkedTaxId).toMatchObject({ scheme: 'free_text', display: 'HRB 12345' });
  });

  test('no tax id: nothing to check', () => {
    const result = parseBillingForm({ ...person, taxId: '  ' });
    expect(result.ok && result.details).toMatchObject({ taxId: null, checkedTaxId: null });
  });
});
