import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_CSV_PROFILES, csvProfileSchema, parseStatement, StatementParseError, type CsvProfile } from '../../src/clients/statements/index.js';

const fixture = (name: string): Buffer => readFileSync(`test/fixtures/statements/${name}`);
const profile = (name: string): CsvProfile => BUILT_IN_CSV_PROFILES[name] as CsvProfile;

function parseError(run: () => unknown): StatementParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatementParseError) return error;
    throw error;
  }
  throw new Error('expected a StatementParseError');
}

describe('CommBank CSV (no header row)', () => {
  const statement = parseStatement(fixture('commbank.csv'), { csvProfile: profile('commbank') });

  it('reads signed amounts, day-first dates and AUD', () => {
    expect(statement.formatDetail).toBe('CSV (profile commbank)');
    expect(statement.lines.map((line) => [line.where, line.bookingDate, line.direction, line.amountMinor, line.currency])).toEqual([
      ['line 1', '2026-04-16', 'debit', 1550, 'AUD'],
      ['line 2', '2026-04-15', 'credit', 110000, 'AUD'],
      ['line 3', '2026-04-15', 'credit', 55000, 'AUD'],
      ['line 4', '2026-04-15', 'credit', 55000, 'AUD'],
      ['line 5', '2026-04-14', 'debit', 125000, 'AUD'],
    ]);
    expect(statement.lines[1]?.remittance).toBe('Direct Credit 301500 J SMITH INV-000123');
  });

  it('keeps two identical payments on one day as two lines with different, repeatable keys', () => {
    const [third, fourth] = [statement.lines[2], statement.lines[3]];
    expect(third?.dedupeKey).not.toBe(fourth?.dedupeKey);
    expect(fourth?.dedupeKey).toBe(`${third?.dedupeKey}#2`);
    const again = parseStatement(fixture('commbank.csv'), { csvProfile: profile('commbank') });
    expect(again.lines.map((line) => line.dedupeKey)).toEqual(statement.lines.map((line) => line.dedupeKey));
  });

  it('names the line of a broken amount', () => {
    const broken = Buffer.from(fixture('commbank.csv').toString('utf8').replace('"+1100.00"', '"+11OO.00"'));
    expect(parseError(() => parseStatement(broken, { csvProfile: profile('commbank') })).message).toBe('line 2: amount "+11OO.00" is not an amount');
  });

  it('says so when a header profile is used on a file without that header', () => {
    expect(parseError(() => parseStatement(fixture('commbank.csv'), { csvProfile: profile('westpac') })).message).toMatch(
      /^line 1: no header row has column "Bank Account", column "Date", column "Narrative", column "Debit Amount", column "Credit Amount" \(first row: .*\); is this the right profile\?$/,
    );
  });
});

describe('Westpac CSV', () => {
  it('reads separate debit and credit columns and the account column (UTF-8 with BOM)', () => {
    const statement = parseStatement(fixture('westpac.csv'), { csvProfile: profile('westpac') });
    expect(statement.account).toEqual({ iban: null, other: '032000123456', currency: 'AUD' });
    expect(statement.lines.map((line) => [line.direction, line.amountMinor, line.bookingDate])).toEqual([
      ['credit', 110000, '2026-04-15'],
      ['credit', 220000, '2026-04-15'],
      ['debit', 25000, '2026-04-16'],
      ['debit', 8000, '2026-04-17'],
    ]);
    expect(statement.lines[1]?.remittanceParts).toEqual(['DEPOSIT-OSKO PAYMENT 7723411 ACME TRAINING PTY LTD SANDBOX-INV-000125']);
    expect(statement.lines[0]?.dedupeKey.startsWith('032000123456|sha256:')).toBe(true);
  });

  it.each(['utf-16le', 'utf-16be'])('reads the same file saved as %s with a BOM', (encoding) => {
    const utf8 = fixture('westpac.csv')
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const bytes = iconv.encode(utf8, encoding, { addBOM: true });
    const statement = parseStatement(bytes, { csvProfile: profile('westpac') });
    expect(statement.lines.map((line) => line.amountMinor)).toEqual([110000, 220000, 25000, 8000]);
    expect(statement.lines[0]?.remittance).toBe('DEPOSIT ONLINE 2345678 TFR J SMITH INV-000124');
  });

  it('refuses a row with both a debit and a credit amount', () => {
    const both = Buffer.from(fixture('westpac.csv').toString('utf8').replace('BPAY ORIGIN",250.00,,', 'BPAY ORIGIN",250.00,1.00,'));
    expect(parseError(() => parseStatement(both, { csvProfile: profile('westpac') })).message).toBe('line 4: the row has both a credit and a debit amount');
  });
});

describe('Wise balance statement CSV', () => {
  const statement = parseStatement(fixture('wise-eur-statement.csv'), { csvProfile: profile('wise') });

  it('reads the currency column, the payer, the payment reference and the Wise id as bank reference', () => {
    expect(statement.lines[0]).toMatchObject({
      direction: 'credit',
      amountMinor: 110000,
      currency: 'EUR',
      bookingDate: '2026-04-15',
      payerName: 'Maria Müller',
      bankReference: 'TRANSFER-1234567890',
      remittanceParts: ['Received money from Maria Müller with reference INV-000126', 'INV-000126'],
      dedupeKey: '|ref:TRANSFER-1234567890',
    });
    expect(statement.lines.map((line) => [line.direction, line.amountMinor])).toEqual([
      ['credit', 110000],
      ['debit', 1250],
      ['debit', 50000],
    ]);
  });

  it('accepts the newer "ID" and "Date Time" headers', () => {
    const renamed = fixture('wise-eur-statement.csv')
      .toString('utf8')
      .replace('"TransferWise ID",Date,', 'ID,"Date Time",')
      .replace('15-04-2026', '15-04-2026 09:12:44');
    const again = parseStatement(Buffer.from(renamed), { csvProfile: profile('wise') });
    expect(again.lines[0]).toMatchObject({ bankReference: 'TRANSFER-1234567890', bookingDate: '2026-04-15' });
  });
});

describe('German semicolon CSV in Latin-1 with the generic profile', () => {
  const bytes = fixture('german-latin1.csv');
  const statement = parseStatement(bytes);

  it('is really Latin-1 (not UTF-8) on disk', () => {
    expect(bytes.includes(Buffer.from('Jürgen', 'latin1'))).toBe(true);
    expect(bytes.includes(Buffer.from('Jürgen', 'utf8'))).toBe(false);
  });

  it('skips the preamble, guesses the columns, decimal commas with grouping and dd.mm.yy dates', () => {
    expect(statement.formatDetail).toBe('CSV (profile generic)');
    expect(statement.lines.map((line) => [line.where, line.direction, line.amountMinor, line.bookingDate])).toEqual([
      ['line 6', 'credit', 123456, '2026-04-15'],
      ['line 7', 'credit', 45000, '2026-04-15'],
      ['line 8', 'debit', 990, '2026-04-16'],
    ]);
    expect(statement.lines[0]).toMatchObject({
      payerName: 'Jürgen Müller',
      payerAccount: { iban: 'AT611904300234573201', bic: null, other: null },
      endToEndId: 'JM-2026-04',
      remittanceParts: ['GUTSCHR. UEBERWEISUNG', 'Rechnung INV-000127 Kurs Datenanalyse'],
      valueDate: '2026-04-15',
    });
    expect(statement.lines[1]).toMatchObject({ payerName: 'Bäckerei Größ & Söhne', endToEndId: null });
    expect(statement.lines[2]?.remittance).toBe('ENTGELTABSCHLUSS Gebühren März');
  });

  it('says clearly when it cannot find the date and amount columns', () => {
    const unknown = Buffer.from('Wann,Wieviel,Was\n15/04/2026,10.00,x\n');
    expect(parseError(() => parseStatement(unknown)).message).toBe(
      'line 1: cannot tell which columns hold the date and the amount (first row: "Wann", "Wieviel", "Was"); choose a bank profile or map the columns',
    );
  });

  it('asks for a currency when the file has no currency column', () => {
    const noCurrency = Buffer.from('Date,Amount,Description\n15/04/2026,10.00,INV-1\n');
    expect(parseError(() => parseStatement(noCurrency)).message).toBe('file: the file has no currency column; the profile "generic" must state the currency');
    const withCurrency = parseStatement(noCurrency, { csvProfile: { ...profile('generic'), currency: 'SGD' } });
    expect(withCurrency.lines[0]).toMatchObject({ amountMinor: 1000, currency: 'SGD', bookingDate: '2026-04-15' });
  });
});

describe('CSV profiles saved by staff', () => {
  it('accepts a JSON profile with column indexes, a date format and a decimal comma', () => {
    const saved = JSON.parse(
      '{"name":"maybank","header":false,"delimiter":"\\t","decimal":",","dateFormat":"d/m/yy","currency":"MYR","columns":{"date":0,"description":[1,2],"amount":3}}',
    ) as unknown;
    const custom = csvProfileSchema.parse(saved);
    const file = Buffer.from('5/4/26\tIBG CREDIT\tINV-000900 TAN\t1.250,00\n6/4/26\tSERVICE CHARGE\t\t-0,50\n');
    const statement = parseStatement(file, { csvProfile: custom });
    expect(statement.lines.map((line) => [line.bookingDate, line.direction, line.amountMinor, line.remittance])).toEqual([
      ['2026-04-05', 'credit', 125000, 'IBG CREDIT INV-000900 TAN'],
      ['2026-04-06', 'debit', 50, 'SERVICE CHARGE'],
    ]);
  });

  it('refuses profiles that could not be applied, saying why', () => {
    const problems = (input: unknown) => csvProfileSchema.safeParse(input).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(problems({ name: 'x', header: false, columns: { date: 'Date', amount: 1 } })).toEqual([
      'columns.date: without a header row, columns are given by 0-based index',
    ]);
    expect(problems({ name: 'x', header: true, columns: { date: 'Date', amount: 'Amount', credit: 'Credit' } })).toEqual([
      'columns: map either "amount" (signed) or "credit" and/or "debit", not both and not neither',
    ]);
    expect(problems({ name: 'x', header: true, currency: 'XYZ', columns: 'auto' })).toEqual(['currency: not an ISO 4217 currency code']);
    expect(problems({ name: 'x', header: true, dateFormat: 'dd/yyyy', columns: 'auto' })?.length).toBeGreaterThan(0);
    for (const builtIn of Object.values(BUILT_IN_CSV_PROFILES)) expect(csvProfileSchema.parse(builtIn)).toEqual(builtIn);
  });

  it('names the line of a date that does not fit the format', () => {
    const file = Buffer.from('15/04/2026,"+10.00","A","+10.00"\n31/04/2026,"+5.00","B","+15.00"\n');
    expect(parseError(() => parseStatement(file, { csvProfile: profile('commbank') })).message).toBe(
      'line 2: date "31/04/2026" is not a date in the format dd/mm/yyyy',
    );
  });
});
