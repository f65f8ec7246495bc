import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, type Config, type ConfigProblem } from '../../src/config.js';
import { bankAccountFor, epcQrAllowed } from '../../src/domain/bank-accounts.js';
import { baseEnv, SANDBOX_ENV, tempDir } from '../helpers/portal.js';

type Env = Record<string, string | undefined>;

/** A complete production configuration (an Australian seller) with `extra` on top. */
function production(extra: Env = {}): Config {
  return loadConfig(baseEnv(3000, tempDir(), extra), { readDotEnv: false, cwd: tempDir() });
}

function problemsOf(extra: Env, cwd?: string): ConfigProblem[] {
  try {
    loadConfig(baseEnv(3000, tempDir(), extra), { readDotEnv: false, cwd: cwd ?? tempDir() });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const germanSeller: Env = {
  SELLER_COUNTRY: 'DE',
  SELLER_TAX_ID: 'de 136 695 976',
  SELLER_TAX_ID_LABEL: undefined,
  TAX_RATE: '19',
  TAX_LABEL: 'VAT',
  TAX_INCLUSIVE: 'false',
};

describe('sandbox defaults', () => {
  test('with nothing configured the seller is Australian, with an ABN that passes the ABN check, and reverse charge is on', () => {
    const config = loadConfig({ ...SANDBOX_ENV, DATA_DIR: tempDir() }, { readDotEnv: false, cwd: tempDir() });
    expect(config.mode).toBe('sandbox');
    expect(config.seller).toMatchObject({ country: 'AU', taxId: '91 345 678 901', taxIdLabel: 'ABN', taxIdNone: false });
    expect(config.seller.validatedTaxId).toMatchObject({ scheme: 'au_abn', normalized: '91345678901' });
    expect(config.tax).toMatchObject({ rate: { percent: '10' }, reverseCharge: true, exemptionReason: undefined });
    expect(config.invoice).toMatchObject({ notes: undefined, supplyDate: 'issue' });
  });

  test('an AUD invoice shows the BSB account, a EUR invoice the IBAN account with its QR code', () => {
    const config = loadConfig({ ...SANDBOX_ENV, DATA_DIR: tempDir() }, { readDotEnv: false, cwd: tempDir() });
    const aud = bankAccountFor(config.bank.accounts, 'AUD');
    const eur = bankAccountFor(config.bank.accounts, 'EUR');
    expect(aud).toMatchObject({ bsb: '062-000', accountNumber: '1234 5678' });
    expect(aud?.iban).toBeUndefined();
    expect(eur).toMatchObject({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' });
    expect(eur?.bsb).toBeUndefined();
    expect(epcQrAllowed('EUR', eur?.iban)).toBe(true);
  });
});

describe('seller country and tax id', () => {
  test('a German seller: the VAT id is checked and printed in its canonical form, labelled VAT', () => {
    const config = production(germanSeller);
    expect(config.seller).toMatchObject({ country: 'DE', taxId: 'DE136695976', taxIdLabel: 'VAT' });
    expect(config.seller.validatedTaxId).toMatchObject({ scheme: 'eu_vat', country: 'DE' });
  });

  test('a VAT id with wrong check digits stops the start with the reason', () => {
    expect(problemsOf({ ...germanSeller, SELLER_TAX_ID: 'DE136695975' })).toContainEqual({
      variable: 'SELLER_TAX_ID',
      message: '"DE136695975": This German VAT number does not pass its check digits: check it against your VAT registration.',
      hint: expect.stringContaining('ABN'),
    });
  });

  test('the old sandbox ABN 12 345 678 901 is refused for a real Australian seller', () => {
    const [problem] = problemsOf({ SELLER_TAX_ID: '12 345 678 901' });
    expect(problem).toMatchObject({ variable: 'SELLER_TAX_ID', message: expect.stringContaining('does not pass its check digits') });
  });

  test('SELLER_COUNTRY is required in production and must be a country code', () => {
    expect(problemsOf({ SELLER_COUNTRY: undefined }).map((p) => p.variable)).toContain('SELLER_COUNTRY');
    expect(problemsOf({ SELLER_COUNTRY: 'Germany' })).toContainEqual(
      expect.objectContaining({ variable: 'SELLER_COUNTRY', message: '"Germany" is not an ISO 3166-1 alpha-2 country code' }),
    );
  });

  test('a tax rate without a seller tax id refuses to start in production, saying why', () => {
    const problems = problemsOf({ SELLER_TAX_ID: undefined, TAX_RATE: '10' });
    expect(problems).toEqual([
      {
        variable: 'SELLER_TAX_ID',
        message: "is required with TAX_RATE=10: an invoice that charges tax is a tax invoice, and a tax invoice must show the seller's tax registration number",
        hint: expect.stringContaining('SELLER_TAX_ID_NONE=true'),
      },
    ]);
  });

  test('SELLER_TAX_ID_NONE=true: a seller not registered for tax may start without one', () => {
    const config = production({ SELLER_TAX_ID: undefined, SELLER_TAX_ID_LABEL: undefined, SELLER_TAX_ID_NONE: 'true', TAX_RATE: '10' });
    expect(config.seller).toMatchObject({ taxIdNone: true, taxId: undefined, validatedTaxId: undefined, taxIdLabel: 'Tax ID' });
  });

  test('SELLER_TAX_ID_NONE=true next to a SELLER_TAX_ID is a contradiction', () => {
    expect(problemsOf({ SELLER_TAX_ID_NONE: 'true' }).map((p) => p.variable)).toEqual(['SELLER_TAX_ID_NONE']);
  });

  test('without a tax rate no seller tax id is needed', () => {
    expect(production({ SELLER_TAX_ID: undefined, TAX_RATE: '0' }).seller.taxId).toBeUndefined();
  });
});

describe('tax and invoice text', () => {
  test('reverse charge can be switched off; exemption reason, notes and supply date are read', () => {
    const config = production({
      TAX_REVERSE_CHARGE: 'false',
      TAX_EXEMPTION_REASON: ' Exempt from GST: education course ',
      INVOICE_NOTES: 'Registered office: Sydney\\nCompany number 123',
      SUPPLY_DATE: 'class_start',
    });
    expect(config.tax).toMatchObject({ reverseCharge: false, exemptionReason: 'Exempt from GST: education course' });
    expect(config.invoice).toMatchObject({ notes: 'Registered office: Sydney\nCompany number 123', supplyDate: 'class_start' });
  });

  test('an unknown SUPPLY_DATE and overlong notes are listed', () => {
    const problems = problemsOf({ SUPPLY_DATE: 'start', INVOICE_NOTES: 'x'.repeat(2001) });
    expect(problems.map((p) => [p.variable, p.message])).toEqual([
      ['SUPPLY_DATE', 'must be issue or class_start'],
      ['INVOICE_NOTES', 'is 2001 characters long; at most 2000 fit at the foot of an invoice'],
    ]);
  });
});

describe('bank accounts per currency', () => {
  test('the old single-account variables stay the default for every currency', () => {
    const config = production();
    expect(config.bank).toMatchObject({ accountName: 'Example Academy Pty Ltd', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' });
    expect(bankAccountFor(config.bank.accounts, 'JPY')).toMatchObject({ currency: '*', iban: 'DE89370400440532013000' });
  });

  test('BANK_<CURRENCY>_* variables give a currency its own account', () => {
    const config = production({
      BANK_EUR_IBAN: 'FR14 2004 1010 0505 0001 3M02 606',
      BANK_EUR_BIC: 'PSSTFRPPXXX',
      BANK_AUD_BSB: '062000',
      BANK_AUD_ACCOUNT_NUMBER: '1234 5678',
    });
    expect(bankAccountFor(config.bank.accounts, 'EUR')).toEqual({
      currency: 'EUR',
      accountName: 'Example Academy Pty Ltd',
      iban: 'FR1420041010050500013M02606',
      bic: 'PSSTFRPPXXX',
    });
    expect(bankAccountFor(config.bank.accounts, 'AUD')).toEqual({
      currency: 'AUD',
      accountName: 'Example Academy Pty Ltd',
      bsb: '062-000',
      accountNumber: '1234 5678',
    });
  });

  test('bad per-currency variables are listed under their own names', () => {
    const problems = problemsOf({ BANK_EUR_IBAN: 'DE89 3704 0044 0532 0130 01', BANK_AUD_BSB: '062000', BANK_EUX_IBAN: 'DE89370400440532013000' });
    expect(problems.map((p) => [p.variable, p.message])).toEqual([
      ['BANK_EUX_IBAN', 'EUX is not an ISO 4217 currency code'],
      ['BANK_EUR_IBAN', 'is not a valid IBAN (length or check digits are wrong)'],
      ['BANK_AUD_ACCOUNT_NUMBER', 'is required next to BANK_AUD_BSB'],
    ]);
    expect(problems[1]!.hint).toContain('BANK_EUR_ACCOUNT_NAME');
  });

  test('BANK_ACCOUNTS_FILE names a JSON file of accounts; its problems are listed with the file', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'accounts.json'),
      JSON.stringify([
        { currency: 'EUR', accountName: 'Example Academy GmbH', iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX' },
        { currency: 'MYR', accountName: 'Example Academy Sdn Bhd', accountNumber: '5140 1234 5678', details: 'Maybank' },
      ]),
    );
    const config = loadConfig(baseEnv(3000, tempDir(), { BANK_ACCOUNTS_FILE: 'accounts.json' }), { readDotEnv: false, cwd: dir });
    expect(bankAccountFor(config.bank.accounts, 'MYR')).toMatchObject({ accountNumber: '5140 1234 5678' });
    expect(bankAccountFor(config.bank.accounts, 'AUD')).toMatchObject({ currency: '*' });

    fs.writeFileSync(path.join(dir, 'bad.json'), '[{"currency": "EUR", "accountName": "X", "iban": "DE00"}]');
    const problems = problemsOf({ BANK_ACCOUNTS_FILE: 'bad.json' }, dir);
    expect(problems).toEqual([
      expect.objectContaining({
        variable: 'BANK_ACCOUNTS_FILE',
        message: `${path.join(dir, 'bad.json')}: account 1 (EUR): iban is not a valid IBAN (length or check digits are wrong)`,
      }),
    ]);
    expect(problemsOf({ BANK_ACCOUNTS_FILE: 'missing.json' }, dir)[0]!.message).toMatch(/missing\.json does not exist$/);
  });

  test('a default account in the file replaces the old variables, which must then be left out', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'accounts.json'), JSON.stringify([{ currency: '*', accountName: 'Example', bsb: '062-000', accountNumber: '1234' }]));
    const legacyUnset = {
      BANK_ACCOUNTS_FILE: 'accounts.json',
      BANK_IBAN: undefined,
      BANK_BIC: undefined,
      BANK_DETAILS: undefined,
      BANK_ACCOUNT_NAME: undefined,
    };
    const config = loadConfig(baseEnv(3000, tempDir(), legacyUnset), { readDotEnv: false, cwd: dir });
    expect(config.bank).toMatchObject({ accountName: 'Example', iban: undefined, details: 'BSB 062-000\nAccount 1234' });
    expect(problemsOf({ BANK_ACCOUNTS_FILE: 'accounts.json' }, dir).map((p) => p.variable)).toEqual(['BANK_ACCOUNTS_FILE']);
  });
});

describe('SELLER_ELECTRONIC_ADDRESS', () => {
  test('a scheme and an id joined by a colon is kept for e-invoices', () => {
    expect(production({ SELLER_ELECTRONIC_ADDRESS: ' 0088:5790000435975 ' }).seller.electronicAddress).toBe('0088:5790000435975');
    expect(production().seller.electronicAddress).toBeUndefined();
  });

  test('anything else stops the start with what is wrong and an example', () => {
    const problems = problemsOf({ SELLER_ELECTRONIC_ADDRESS: 'billing@example.edu' });
    expect(problems).toEqual([
      expect.objectContaining({ variable: 'SELLER_ELECTRONIC_ADDRESS', message: expect.stringContaining('not a scheme code and an id joined by a colon') }),
    ]);
    expect(problems[0]!.hint).toMatch(/0088:5790000435975/);
  });
});
