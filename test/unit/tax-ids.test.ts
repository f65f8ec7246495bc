import { describe, expect, test } from 'vitest';
import { EU_VAT_COUNTRIES, validateTaxId, type TaxIdResult } from '../../src/domain/tax-ids.js';
import { EU_MEMBER_STATES } from '../../src/domain/tax-treatment.js';

function accepted(input: string, country: string | null): Extract<TaxIdResult, { ok: true }> {
  const result = validateTaxId(input, country);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(input)} to be accepted, got: ${result.message}`);
  return result;
}

function refused(input: string, country: string | null): string {
  const result = validateTaxId(input, country);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got scheme ${result.scheme}`);
  return result.message;
}

describe('EU VAT numbers', () => {
  test.each([
    // [typed, country on the form, normalized, country of the registration]
    ['FR 40 303 265 045', 'FR', 'FR40303265045', 'FR'],
    ['fr40303265045', null, 'FR40303265045', 'FR'],
    ['DE136695976', 'DE', 'DE136695976', 'DE'],
    ['DE 136.695.976', null, 'DE136695976', 'DE'],
    ['IT00743110157', 'IT', 'IT00743110157', 'IT'],
    ['NL004495445B01', 'NL', 'NL004495445B01', 'NL'],
    ['EL094259216', 'GR', 'EL094259216', 'GR'],
    ['ATU13585627', 'AT', 'ATU13585627', 'AT'],
    ['BE 0403.019.261', 'BE', 'BE0403019261', 'BE'],
    ['ESA13585625', 'ES', 'ESA13585625', 'ES'],
    ['ESX2482300W', 'ES', 'ESX2482300W', 'ES'],
    ['IE8D79739I', 'IE', 'IE8D79739I', 'IE'],
    ['IE6433435F', 'IE', 'IE6433435F', 'IE'],
    ['IE6433435OA', 'IE', 'IE6433435OA', 'IE'],
  ])('%s (form country %s) is the EU VAT id %s of %s', (input, country, normalized, registration) => {
    const result = accepted(input, country);
    expect(result).toMatchObject({ scheme: 'eu_vat', normalized, display: normalized, country: registration, label: 'VAT' });
  });

  test('Greece is written EL even when typed with its ISO code GR', () => {
    expect(accepted('GR094259216', 'GR').normalized).toBe('EL094259216');
  });

  test('a Belgian number typed with 9 digits gets its leading 0 back', () => {
    expect(accepted('BE403019261', null).normalized).toBe('BE0403019261');
  });

  test('a VAT id typed without its prefix takes the prefix of the form country', () => {
    expect(accepted('40303265045', 'FR').normalized).toBe('FR40303265045');
    expect(accepted('094259216', 'GR').normalized).toBe('EL094259216');
    expect(accepted('U13585627', 'AT').normalized).toBe('ATU13585627');
  });

  test("the VAT id's own prefix decides its country, whatever the form says", () => {
    expect(accepted('FR40303265045', 'DE')).toMatchObject({ scheme: 'eu_vat', country: 'FR' });
    expect(accepted('DE136695976', 'AU')).toMatchObject({ scheme: 'eu_vat', country: 'DE' });
  });

  test.each([
    ['FR41303265045', 'FR', 'This French VAT number does not pass its check digits: check it against your VAT registration.'],
    ['DE136695975', 'DE', 'This German VAT number does not pass its check digits: check it against your VAT registration.'],
    ['IT00743110158', 'IT', 'This Italian VAT number does not pass its check digits: check it against your VAT registration.'],
    ['NL004495446B01', 'NL', 'This Dutch VAT number does not pass its check digits: check it against your VAT registration.'],
    ['EL094259217', 'GR', 'This Greek VAT number does not pass its check digits: check it against your VAT registration.'],
    ['ATU13585628', 'AT', 'This Austrian VAT number does not pass its check digits: check it against your VAT registration.'],
    ['BE0403019262', 'BE', 'This Belgian VAT number does not pass its check digits: check it against your VAT registration.'],
    ['ESA13585626', 'ES', 'This Spanish VAT number does not pass its check digits: check it against your VAT registration.'],
    ['IE6433435G', 'IE', 'This Irish VAT number does not pass its check digits: check it against your VAT registration.'],
  ])('%s is refused: %s', (input, country, message) => {
    expect(refused(input, country)).toBe(message);
  });

  test('a number of the wrong length says what the country expects', () => {
    expect(refused('DE13669597', null)).toBe('A German VAT number has 9 digits after DE.');
    expect(refused('AT13585627', 'AT')).toBe('An Austrian VAT number has U and 8 digits after AT.');
    expect(refused('1366959', 'DE')).toBe('A German VAT number has 9 digits after DE.');
  });

  test('every one of the 27 member states has its VAT prefix, and only they do', () => {
    const countries = [...EU_VAT_COUNTRIES.values()].map((v) => v.country).sort();
    expect(countries).toEqual([...EU_MEMBER_STATES].sort());
    expect([...EU_VAT_COUNTRIES.keys()]).toContain('EL');
    expect([...EU_VAT_COUNTRIES.keys()]).not.toContain('GR');
    // Each country's check is loaded from stdnum on first use: every one must exist there.
    for (const { validator } of EU_VAT_COUNTRIES.values()) expect(validator.name).toMatch(/\w/);
  });
});

describe('UK and Northern Ireland VAT numbers', () => {
  test('GB with 9 or 12 digits, and without prefix for a UK buyer', () => {
    expect(accepted('GB 980 7806 84', null)).toMatchObject({ scheme: 'gb_vat', country: 'GB', normalized: 'GB980780684' });
    expect(accepted('GB980780684001', null)).toMatchObject({ scheme: 'gb_vat', normalized: 'GB980780684001' });
    expect(accepted('980780684', 'GB')).toMatchObject({ scheme: 'gb_vat', normalized: 'GB980780684' });
  });

  test('XI is a UK registration of its own scheme, not an EU VAT id', () => {
    expect(accepted('XI980780684', 'GB')).toMatchObject({ scheme: 'xi_vat', country: 'GB', normalized: 'XI980780684' });
  });

  test('wrong check digits are refused', () => {
    expect(refused('GB980780685', 'GB')).toBe('This UK VAT number does not pass its check digits: check it against your VAT registration.');
    expect(refused('XI980780685', null)).toBe('This Northern Ireland VAT number does not pass its check digits: check it against your VAT registration.');
    expect(refused('GB98078068', null)).toBe('A UK VAT number has 9 or 12 digits after GB (or GD or HA and 3 digits).');
  });
});

describe('Australian ABN', () => {
  test('a valid ABN is printed in its 2-3-3-3 groups', () => {
    expect(accepted('51824753556', 'AU')).toMatchObject({
      scheme: 'au_abn',
      country: 'AU',
      normalized: '51824753556',
      display: '51 824 753 556',
      label: 'ABN',
    });
  });

  test('one digit changed fails the check digits', () => {
    expect(refused('51 824 753 557', 'AU')).toBe(
      'This ABN does not pass its check digits: check it on the Australian Business Register (abr.business.gov.au).',
    );
  });

  test('a number that is not 11 digits is not an ABN', () => {
    expect(refused('123 456 789', 'AU')).toBe('An Australian Business Number (ABN) has 11 digits, e.g. 51 824 753 556.');
  });
});

describe('New Zealand GST (IRD) number', () => {
  test('8 and 9 digit numbers are accepted and printed with dashes', () => {
    expect(accepted('49091850', 'NZ')).toMatchObject({ scheme: 'nz_gst', country: 'NZ', normalized: '49091850', display: '49-091-850', label: 'GST' });
    expect(accepted('136-410-132', 'NZ')).toMatchObject({ scheme: 'nz_gst', normalized: '136410132', display: '136-410-132' });
  });

  test('one digit changed fails the check digit', () => {
    expect(refused('49-091-851', 'NZ')).toMatch(/^This NZ GST number does not pass its check digits/);
  });
});

describe('Malaysian SST registration number and TIN', () => {
  test('an SST number keeps its dashed form', () => {
    expect(accepted('W10-1808-31000002', 'MY')).toMatchObject({ scheme: 'my_sst', country: 'MY', normalized: 'W10-1808-31000002', label: 'SST' });
    expect(accepted('w10 1808 31000002', 'MY').normalized).toBe('W10-1808-31000002');
  });

  test('a company TIN is written the way MyInvois takes it: ending in 0, no zeros after the prefix', () => {
    expect(accepted('C2584563202', 'MY')).toMatchObject({ scheme: 'my_tin', country: 'MY', normalized: 'C25845632020', label: 'TIN' });
    expect(accepted('C01234567890', 'MY').normalized).toBe('C1234567890');
    expect(accepted('PT1234567890', 'MY').normalized).toBe('PT1234567890');
  });

  test('a personal TIN has the IG prefix, replacing the old SG and OG', () => {
    expect(accepted('IG115002000', 'MY').normalized).toBe('IG115002000');
    expect(accepted('SG 10234567020', 'MY').normalized).toBe('IG10234567020');
  });

  test('numbers meant as SST or TIN but of the wrong shape are refused with the expected shape', () => {
    expect(refused('W10-1808-3100002', 'MY')).toBe(
      'A Malaysian SST registration number looks like W10-1808-31000002: a letter and 2 digits, 4 digits, then 8 digits.',
    );
    expect(refused('C12345', 'MY')).toMatch(/^A Malaysian TIN is its prefix and 10 or 11 digits ending in 0/);
  });

  test('a Malaysian business registration number is kept as free text', () => {
    expect(accepted('201901234567', 'MY')).toMatchObject({ scheme: 'free_text', country: 'MY', normalized: '201901234567' });
  });
});

describe('other numbers', () => {
  test('a German Steuernummer is recognised for a German seller or buyer, but is no VAT id', () => {
    expect(accepted('21/815/08150', 'DE')).toMatchObject({ scheme: 'de_stnr', country: 'DE', normalized: '2181508150', display: '21/815/08150' });
  });

  test('a format we do not know is free text, printed as typed', () => {
    expect(accepted('  EIN 12-3456789 ', 'US')).toEqual({
      ok: true,
      scheme: 'free_text',
      country: 'US',
      normalized: 'EIN 12-3456789',
      display: 'EIN 12-3456789',
      label: 'Tax ID',
    });
    expect(accepted('CHE-123.456.788 MWST', null)).toMatchObject({ scheme: 'free_text', country: null });
    expect(accepted('HRB 12345', 'DE')).toMatchObject({ scheme: 'free_text', country: 'DE' });
  });

  test('an empty number is refused', () => {
    expect(refused('   ', 'FR')).toBe('Enter a tax or VAT number, or leave the field empty.');
  });
});
