import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { minorToDecimalString } from '../../src/domain/money.js';
import { detectStatementFormat, parseStatement } from '../../src/clients/statements/index.js';

const fixture = (name: string): Buffer => readFileSync(`test/fixtures/statements/${name}`);

describe('detectStatementFormat', () => {
  it.each([
    ['camt053-v02-westpac.xml', 'camt'],
    ['camt053-v04-prefixed-batch.xml', 'camt'],
    ['camt053-no-namespace.xml', 'camt'],
    ['camt054-v08.xml', 'camt'],
    ['mt940-two-statements.sta', 'mt940'],
    ['commbank.csv', 'csv'],
    ['westpac.csv', 'csv'],
    ['german-latin1.csv', 'csv'],
  ])('%s is %s, from its content', (name, format) => {
    expect(detectStatementFormat(fixture(name))).toBe(format);
  });

  it('sees MT940 without SWIFT blocks, camt behind a BOM, and a UTF-16 CSV', () => {
    expect(detectStatementFormat(Buffer.from('\r\n:20:STARTUMSE\r\n:25:DE89370400440532013000\r\n'))).toBe('mt940');
    expect(detectStatementFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture('camt054-v04.xml')]))).toBe('camt');
    expect(detectStatementFormat(iconv.encode('Date,Amount\n15/04/2026,1.00\n', 'utf-16le', { addBOM: true }))).toBe('csv');
  });
});

describe('parseStatement', () => {
  it('follows an explicit format over detection', () => {
    expect(() => parseStatement(fixture('camt054-v04.xml'), { format: 'mt940' })).toThrow(/not inside an MT940 field/);
  });

  it('reads camt declared as ISO-8859-1', () => {
    const utf8 = fixture('camt054-v04.xml')
      .toString('utf8')
      .replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
      .replace('Julia Klein</Nm>', 'Jürgen Groß</Nm>');
    const statement = parseStatement(iconv.encode(utf8, 'latin1'));
    expect(statement.lines[0]?.payerName).toBe('Jürgen Groß');
  });

  it('converts every camt amount exactly to minor units, in currencies with 0, 2 and 3 decimals', () => {
    const template = fixture('camt054-v04.xml').toString('utf8');
    fc.assert(
      fc.property(fc.constantFrom('JPY', 'EUR', 'BHD'), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.nat(2), (currency, minor, extraZeros) => {
        // Trailing zeros beyond the minor units are allowed ("1200.00" JPY, "12.34000" EUR).
        const zeros = '0'.repeat(extraZeros);
        const text = minorToDecimalString(minor, currency) + (currency === 'JPY' && extraZeros > 0 ? `.${zeros}` : zeros);
        const xml = template.replaceAll('Ccy="EUR">349.00<', `Ccy="${currency}">${text}<`);
        const line = parseStatement(Buffer.from(xml)).lines[0];
        expect(line?.amountMinor).toBe(minor);
        expect(line?.currency).toBe(currency);
      }),
      { numRuns: 200 },
    );
  });
});
