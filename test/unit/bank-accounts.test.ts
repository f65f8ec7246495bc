import { describe, expect, test } from 'vitest';
import {
  bankAccountFor,
  checkBankAccount,
  epcQrAllowed,
  parseBankAccountsJson,
  SEPA_IBAN_COUNTRIES,
  type BankAccount,
} from '../../src/domain/bank-accounts.js';
import { isValidIban } from '../../src/domain/iban.js';
import { EU_MEMBER_STATES } from '../../src/domain/tax-treatment.js';

const FILE = JSON.stringify([
  { currency: 'EUR', accountName: 'Example Academy GmbH', iban: 'de89 3704 0044 0532 0130 00', bic: 'cobadeffxxx' },
  { currency: 'aud', accountName: 'Example Academy Pty Ltd', bsb: '062000', accountNumber: '1234 5678' },
  { currency: 'MYR', accountName: 'Example Academy Sdn Bhd', accountNumber: '5140 1234 5678', details: 'Maybank, Kuala Lumpur\nSWIFT MBBEMYKL' },
]);

describe('a file of accounts per currency', () => {
  test('is read into one checked account per currency, in the printed forms', () => {
    expect(parseBankAccountsJson(FILE)).toEqual({
      ok: true,
      accounts: [
        { currency: 'EUR', accountName: 'Example Academy GmbH', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' },
        { currency: 'AUD', accountName: 'Example Academy Pty Ltd', bsb: '062-000', accountNumber: '1234 5678' },
        { currency: 'MYR', accountName: 'Example Academy Sdn Bhd', accountNumber: '5140 1234 5678', details: 'Maybank, Kuala Lumpur\nSWIFT MBBEMYKL' },
      ],
    });
  });

  test('lists every problem with the account it is in', () => {
    const result = parseBankAccountsJson(
      JSON.stringify([
        { currency: 'EUR', accountName: 'Example', iban: 'DE89 3704 0044 0532 0130 01', bic: 'NOTABIC' },
        { currency: 'AUD', accountName: 'Example', bsb: '06-2000' },
        { currency: 'EURO', iban: 'DE89 3704 0044 0532 0130 00' },
        { currency: 'GBP', accountName: 'Example' },
        { currency: 'AUD', accountName: 'Again', accountNumber: '1' },
      ]),
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        'account 1 (EUR): iban is not a valid IBAN (length or check digits are wrong)',
        'account 1 (EUR): bic is not a valid BIC (8 or 11 characters, e.g. COBADEFFXXX)',
        'account 2 (AUD): bsb is not a BSB: 6 digits written NNN-NNN, e.g. 062-000',
        'account 2 (AUD): bsb needs an accountNumber next to it',
        'account 3 (EURO): currency "EURO" is not an ISO 4217 code (e.g. EUR, AUD) or "*"',
        'account 3 (EURO): accountName is missing: learners need the name of the account they pay into',
        'account 4 (GBP): needs an iban, an accountNumber or details: learners need to know where to pay',
      ],
    });
  });

  test('a second account for the same currency is refused', () => {
    const result = parseBankAccountsJson(
      JSON.stringify([
        { currency: 'AUD', accountName: 'One', accountNumber: '1' },
        { currency: 'aud', accountName: 'Two', accountNumber: '2' },
      ]),
    );
    expect(result).toEqual({ ok: false, problems: ['account 2 (aud): a second account for AUD; keep one per currency'] });
  });

  test('a misspelt field is named instead of being ignored', () => {
    expect(parseBankAccountsJson('[{"currency": "EUR", "accountName": "X", "ibna": "DE89370400440532013000"}]')).toEqual({
      ok: false,
      problems: ['account 1: unknown field "ibna"'],
    });
  });

  test('broken JSON and the wrong shape are explained', () => {
    const broken = parseBankAccountsJson('[{"currency": "EUR",]');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.problems[0]).toMatch(/^is not valid JSON \(/);
    expect(parseBankAccountsJson('{"EUR": {}}')).toEqual({
      ok: false,
      problems: ['must be a JSON array of accounts, e.g. [{"currency": "EUR", "accountName": "...", "iban": "..."}]'],
    });
  });
});

describe('the account an invoice shows', () => {
  const eur: BankAccount = { currency: 'EUR', accountName: 'Example GmbH', iban: 'DE89370400440532013000' };
  const fallback: BankAccount = { currency: '*', accountName: 'Example Pty Ltd', bsb: '062-000', accountNumber: '12345678' };

  test("is the currency's own account", () => {
    expect(bankAccountFor([fallback, eur], 'EUR')).toBe(eur);
    expect(bankAccountFor([fallback, eur], 'eur')).toBe(eur);
  });

  test('else the default account built from the single-account variables', () => {
    expect(bankAccountFor([fallback, eur], 'AUD')).toBe(fallback);
    expect(bankAccountFor([eur], 'AUD')).toBeUndefined();
  });

  test('accounts from variables are checked the same way', () => {
    expect(checkBankAccount({ currency: 'EUR', accountName: ' Example ', iban: 'DE89 3704 0044 0532 0130 00', bic: '', details: '  ' })).toEqual({
      ok: true,
      account: { currency: 'EUR', accountName: 'Example', iban: 'DE89370400440532013000' },
    });
  });
});

describe('the EPC QR code', () => {
  test('is printed for a EUR invoice paid to an IBAN of a SEPA country', () => {
    expect(epcQrAllowed('EUR', 'DE89370400440532013000')).toBe(true);
    expect(epcQrAllowed('EUR', 'GB29 NWBK 6016 1331 9268 19')).toBe(true);
    expect(epcQrAllowed('EUR', 'CH93 0076 2011 6238 5295 7')).toBe(true);
  });

  test('is not printed for another currency, another country, or without a valid IBAN', () => {
    expect(epcQrAllowed('AUD', 'DE89370400440532013000')).toBe(false);
    const turkish = 'TR330006100519786457841326';
    expect(isValidIban(turkish)).toBe(true);
    expect(epcQrAllowed('EUR', turkish)).toBe(false);
    expect(epcQrAllowed('EUR', 'DE89370400440532013001')).toBe(false);
    expect(epcQrAllowed('EUR', undefined)).toBe(false);
  });

  test('every EU member state is a SEPA country', () => {
    for (const country of EU_MEMBER_STATES) expect(SEPA_IBAN_COUNTRIES.has(country), country).toBe(true);
  });
});
