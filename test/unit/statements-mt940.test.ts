import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { balanceProblems, parseStatement, StatementParseError, type StatementLine } from '../../src/clients/statements/index.js';

const source = readFileSync('test/fixtures/statements/mt940-two-statements.sta', 'latin1');
const parse = (text: string) => parseStatement(Buffer.from(text, 'latin1'));

function parseError(text: string): StatementParseError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof StatementParseError) return error;
    throw error;
  }
  throw new Error('expected a StatementParseError');
}

describe('MT940 with two statements inside SWIFT blocks', () => {
  const statement = parse(source);
  const lines = statement.lines;
  const at = (where: string) => lines.find((line) => line.where === where) as StatementLine;

  it('identifies the file and chains the balances across both statements', () => {
    expect(statement.format).toBe('mt940');
    expect(statement.fileId).toBe('STARTUMSE/00001/001');
    expect(statement.account).toEqual({ iban: 'DE89370400440532013000', other: null, currency: 'EUR' });
    expect(statement.statements.map((section) => [section.where, section.sequence, section.lineCount])).toEqual([
      ['statement at line 2', '00001/001', 3],
      ['statement at line 18', '00002/001', 2],
    ]);
    expect(statement.openingBalance).toEqual({ amountMinor: 100000, currency: 'EUR', date: '2025-12-30' });
    expect(statement.closingBalance).toEqual({ amountMinor: 233450, currency: 'EUR', date: '2026-01-05' });
    expect(balanceProblems(statement)).toEqual([]);
  });

  it('reads free-text :86: lines as they are', () => {
    expect(at('line 6')).toMatchObject({
      direction: 'credit',
      amountMinor: 25000,
      bookingDate: '2025-12-31',
      bankReference: 'BANKREF0001',
      remittanceParts: ['Invoice INV-000777', 'Jane Doe'],
      remittance: 'Invoice INV-000777 Jane Doe',
    });
  });

  it('reads the ?20-structured :86:, and books a January entry date in the next year', () => {
    expect(at('line 9')).toMatchObject({
      amountMinor: 110000,
      valueDate: '2025-12-31',
      bookingDate: '2026-01-02',
      endToEndId: 'E2E-0001',
      remittanceParts: ['EREF+E2E-0001', 'SVWZ+Rechnung INV-00', '0123 Kurs'],
      remittance: 'Rechnung INV-000123 Kurs GUTSCHR. UEBERWEISUNG',
      payerName: 'Maximilian Alexander Mustermann',
      payerAccount: { iban: 'AT611904300234573201', bic: 'BKAUATWWXXX', other: null },
    });
  });

  it('reads the /NAME/ /REMI/ /EREF/ style, an amount written "300," and an RC reversal with its return code', () => {
    expect(at('line 22')).toMatchObject({
      direction: 'credit',
      amountMinor: 30000,
      payerName: 'J. Jansen',
      payerAccount: { iban: 'NL91ABNA0417164300', bic: 'ABNANL2A', other: null },
      remittanceParts: ['INV-000888 training'],
      endToEndId: null,
    });
    expect(at('line 25')).toMatchObject({ direction: 'debit', reversal: true, returnReason: 'MD06', endToEndId: 'E2E-RET-1' });
  });

  it('keys lines by bank reference, and by content when the bank gives none', () => {
    expect(at('line 6').dedupeKey).toBe('DE89370400440532013000|ref:BANKREF0001|2025-12-31|25000');
    expect(at('line 13')).toMatchObject({ direction: 'debit', amountMinor: 1550, bankReference: null });
    expect(at('line 13').dedupeKey).toMatch(/^DE89370400440532013000\|sha256:[0-9a-f]{64}$/);
  });

  it('reads the same statement without SWIFT blocks and with bare line feeds', () => {
    const plain = source
      .replace(/\{1:[^\n]*\{4:\r\n/g, '')
      .replace(/-\}\r\n/g, '-\r\n')
      .replace(/\r\n/g, '\n');
    const again = parse(plain);
    expect(again.lines.map((line) => [line.amountMinor, line.direction, line.remittance])).toEqual(
      lines.map((line) => [line.amountMinor, line.direction, line.remittance]),
    );
  });
});

describe('MT940 files that must be refused or questioned', () => {
  it('names the line where a truncated file stops', () => {
    const cut = source.slice(0, source.indexOf(':62F:C251231'));
    expect(parseError(cut).message).toMatch(
      /^line \d+: the file ends inside the statement at line 2, before its closing balance \(:62F:\): is it truncated\?$/,
    );
  });

  it('names the line of a statement line cut in the middle of its amount', () => {
    const cut = source.slice(0, source.indexOf('C1100,00') + 3);
    expect(parseError(cut).message).toBe('line 9: :61: "2512310102C11" is not a statement line (YYMMDD[MMDD]C/D amount type reference)');
  });

  it('names the line of an amount with a point instead of the decimal comma', () => {
    expect(parseError(source.replace(':61:251231D15,50NCHG', ':61:251231D15.50NCHG')).message).toBe(
      'line 13: :61: "251231D15.50NCHGNONREF" is not a statement line (YYMMDD[MMDD]C/D amount type reference)',
    );
    expect(parseError(source.replace(':60F:C251230EUR1000,00', ':60F:C251230EUR1000.00')).message).toBe(
      'line 5: amount "1000.00" is not an MT940 amount (digits with a decimal comma)',
    );
  });

  it('reports a closing balance that does not add up, per statement', () => {
    const wrong = source.replace(':62F:C251231EUR2334,50', ':62F:C251231EUR2350,00');
    const problems = balanceProblems(parse(wrong));
    expect(problems[0]).toBe(
      'statement at line 2: opening balance EUR 1000.00 plus credits EUR 1350.00 minus debits EUR 15.50 is EUR 2334.50, but the closing balance is EUR 2350.00 (a difference of EUR 15.50): lines may be missing from the file',
    );
    expect(problems[1]).toBe(
      'statement at line 18 opens with EUR 2334.50 but statement at line 2 closed with EUR 2350.00: a statement may be missing between them',
    );
  });
});
