import { describe, expect, it } from 'vitest';
import { buildEpcPayload, type EpcPayment } from '../../src/domain/epc-qr.js';

const BASE: EpcPayment = {
  name: 'OpenLearning Pty Ltd',
  iban: 'DE89 3704 0044 0532 0130 00',
  amountMinor: 25000,
};

const byteLength = (text: string): number => new TextEncoder().encode(text).length;

describe('buildEpcPayload', () => {
  it('builds the hand-checked payload with BIC and creditor reference', () => {
    const payload = buildEpcPayload({
      ...BASE,
      bic: 'COBADEFFXXX',
      creditorReference: 'RF74 1234 5678 978',
    });
    expect(payload).toBe(
      'BCD\n' + // service tag
        '002\n' + // version
        '1\n' + // character set: UTF-8
        'SCT\n' + // SEPA Credit Transfer
        'COBADEFFXXX\n' +
        'OpenLearning Pty Ltd\n' +
        'DE89370400440532013000\n' +
        'EUR250.00\n' +
        '\n' + // purpose: none
        'RF7412345678978', // structured remittance; trailing empty elements omitted
    );
    expect(payload.split('\n')).toHaveLength(10);
  });

  it('leaves the BIC line empty when there is no BIC (allowed in version 002)', () => {
    expect(buildEpcPayload(BASE)).toBe('BCD\n002\n1\nSCT\n\nOpenLearning Pty Ltd\nDE89370400440532013000\nEUR250.00');
  });

  it('keeps empty elements that come before a non-empty one', () => {
    expect(buildEpcPayload({ ...BASE, remittanceText: 'Invoice INV-0042', information: 'Thank you' })).toBe(
      'BCD\n002\n1\nSCT\n\nOpenLearning Pty Ltd\nDE89370400440532013000\nEUR250.00\n\n\nInvoice INV-0042\nThank you',
    );
    expect(buildEpcPayload({ ...BASE, information: 'Thank you' })).toBe(
      'BCD\n002\n1\nSCT\n\nOpenLearning Pty Ltd\nDE89370400440532013000\nEUR250.00\n\n\n\nThank you',
    );
  });

  it('uses LF only and never ends with a newline', () => {
    const payload = buildEpcPayload({ ...BASE, bic: 'COBADEFF', remittanceText: 'x' });
    expect(payload).not.toMatch(/\r/);
    expect(payload.endsWith('\n')).toBe(false);
  });

  it('normalises BIC, IBAN, reference and surrounding spaces', () => {
    const payload = buildEpcPayload({
      bic: ' cobade ffxxx ',
      name: '  OpenLearning  ',
      iban: 'de89 3704 0044 0532 0130 00',
      amountMinor: 1,
      creditorReference: 'rf74 1234 5678 978',
    });
    expect(payload).toBe('BCD\n002\n1\nSCT\nCOBADEFFXXX\nOpenLearning\nDE89370400440532013000\nEUR0.01\n\nRF7412345678978');
  });

  it.each([
    [1, 'EUR0.01'],
    [10, 'EUR0.10'],
    [100, 'EUR1.00'],
    [123456, 'EUR1234.56'], // no grouping
    [99_999_999_999, 'EUR999999999.99'],
  ])('writes %i cents as %s', (amountMinor, expected) => {
    expect(buildEpcPayload({ ...BASE, amountMinor }).split('\n')[7]).toBe(expected);
  });

  it.each([[0], [-1], [100_000_000_000], [1.5], [Number.NaN]])('rejects an amount of %d cents', (amountMinor) => {
    expect(() => buildEpcPayload({ ...BASE, amountMinor })).toThrow(/amount/);
  });

  it('truncates a long name to 70 code points without splitting a surrogate pair', () => {
    const name = `${'A'.repeat(69)}😀😀tail`;
    const line = buildEpcPayload({ ...BASE, name }).split('\n')[5];
    expect(line).toBe(`${'A'.repeat(69)}😀`);
    expect(Array.from(line ?? '')).toHaveLength(70);
  });

  it('keeps a name of exactly 70 characters and UTF-8 text as is', () => {
    const name = 'Ü'.repeat(70);
    expect(buildEpcPayload({ ...BASE, name }).split('\n')[5]).toBe(name);
    expect(buildEpcPayload({ ...BASE, name: 'Université de Genève' }).split('\n')[5]).toBe('Université de Genève');
  });

  it('rejects a missing name or one with a line break', () => {
    expect(() => buildEpcPayload({ ...BASE, name: '   ' })).toThrow(/name is required/);
    expect(() => buildEpcPayload({ ...BASE, name: 'Open\nLearning' })).toThrow(/line breaks/);
    expect(() => buildEpcPayload({ ...BASE, remittanceText: 'a\r\nb' })).toThrow(/line breaks/);
    expect(() => buildEpcPayload({ ...BASE, information: 'a\nb' })).toThrow(/line breaks/);
  });

  it('rejects an invalid IBAN or BIC', () => {
    expect(() => buildEpcPayload({ ...BASE, iban: 'DE88370400440532013000' })).toThrow(/IBAN/);
    expect(() => buildEpcPayload({ ...BASE, iban: '' })).toThrow(/IBAN/);
    expect(() => buildEpcPayload({ ...BASE, bic: 'COBADEF' })).toThrow(/BIC/);
  });

  it('rejects an invalid creditor reference', () => {
    expect(() => buildEpcPayload({ ...BASE, creditorReference: 'RF7512345678978' })).toThrow(/creditor reference/);
    expect(() => buildEpcPayload({ ...BASE, creditorReference: '12345678978' })).toThrow(/creditor reference/);
  });

  it('allows a creditor reference or remittance text, not both', () => {
    expect(() => buildEpcPayload({ ...BASE, creditorReference: 'RF7412345678978', remittanceText: 'Invoice 42' })).toThrow(/not both/);
    // Empty strings count as absent.
    expect(buildEpcPayload({ ...BASE, creditorReference: 'RF7412345678978', remittanceText: '' })).toMatch(/\nRF7412345678978$/);
  });

  it('enforces the remittance text and information lengths', () => {
    expect(buildEpcPayload({ ...BASE, remittanceText: 'r'.repeat(140) }).split('\n')[10]).toBe('r'.repeat(140));
    expect(() => buildEpcPayload({ ...BASE, remittanceText: 'r'.repeat(141) })).toThrow(/140/);
    expect(buildEpcPayload({ ...BASE, information: 'i'.repeat(70) }).split('\n')[11]).toBe('i'.repeat(70));
    expect(() => buildEpcPayload({ ...BASE, information: 'i'.repeat(71) })).toThrow(/70/);
  });

  it('allows exactly 331 bytes and rejects 332', () => {
    // 15 bytes of header lines + 141 (70 two-byte 'ü' + LF) + 23 (IBAN + LF) + 9 (amount)
    // + 3 LFs for purpose / structured / remittance + 140 bytes of text = 331.
    const name = 'ü'.repeat(70);
    const exact = buildEpcPayload({ ...BASE, name, remittanceText: 'r'.repeat(140) });
    expect(byteLength(exact)).toBe(331);
    expect(() => buildEpcPayload({ ...BASE, name, remittanceText: `${'r'.repeat(139)}é` })).toThrow(/332 bytes/);
  });
});
