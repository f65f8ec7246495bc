/**
 * ABA (Cemtex, BECS Direct Entry) files for AUD refunds: the records are compared with records
 * written out by hand from the format's layout, and every file is checked by validateAbaFile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAbaFile, buildAbaFileWithChanges, validateAbaFile, type AbaInput, type AbaPayment } from '../../src/clients/bank-files/aba.js';
import { BankFileError } from '../../src/clients/bank-files/bank-text.js';

const CRLF = '\r\n';
const blanks = (n: number): string => ' '.repeat(n);

function payment(overrides: Partial<AbaPayment> = {}): AbaPayment {
  return {
    bsb: '082001',
    accountNumber: '987654321',
    accountName: 'Zoë Smith',
    amountMinor: 12_345,
    currency: 'AUD',
    lodgementReference: 'INV-000042',
    ...overrides,
  };
}

function input(payments: AbaPayment[] = [payment()], overrides: Partial<AbaInput> = {}): AbaInput {
  return {
    userName: 'Example Academy Pty Ltd',
    apcaNumber: '301500',
    bankAbbreviation: 'CBA',
    description: 'Refunds',
    processDate: '2026-03-06',
    remitter: { bsb: '062-000', accountNumber: '12345678', name: 'Example Academy' },
    payments,
    ...overrides,
  };
}

/** Characters start..end of a record, 1-based and inclusive like the specification. */
function at(record: string, start: number, end: number): string {
  return record.slice(start - 1, end);
}

function recordsOf(file: string): string[] {
  expect(file.endsWith(CRLF)).toBe(true);
  return file.slice(0, -CRLF.length).split(CRLF);
}

function problemsOf(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof BankFileError) return error.problems;
    throw error;
  }
  throw new Error('expected a BankFileError, but the file was built');
}

describe('buildAbaFile', () => {
  it('writes the three records of a one-refund file exactly as the layout says', () => {
    const file = buildAbaFile(input());
    const expected = [
      '0' + blanks(17) + '01' + 'CBA' + blanks(7) + 'EXAMPLE ACADEMY PTY LTD   ' + '301500' + 'REFUNDS     ' + '060326' + blanks(40),
      '1' +
        '082-001' +
        '987654321' +
        ' ' +
        '50' +
        '0000012345' +
        'ZOE SMITH                       ' +
        'INV-000042        ' +
        '062-000' +
        ' 12345678' +
        'EXAMPLE ACADEMY ' +
        '00000000',
      '7' + '999-999' + blanks(12) + '0000012345' + '0000012345' + '0000000000' + blanks(24) + '000001' + blanks(40),
    ];
    expect(recordsOf(file)).toEqual(expected);
    expect(file).toBe(expected.map((record) => record + CRLF).join(''));
    expect(expected.map((record) => record.length)).toEqual([120, 120, 120]);
    expect(validateAbaFile(file)).toEqual([]);
  });

  it('puts each field at its specified positions', () => {
    const [descriptive = '', detail = '', total = ''] = recordsOf(buildAbaFile(input()));
    expect(at(descriptive, 19, 20)).toBe('01');
    expect(at(descriptive, 21, 23)).toBe('CBA');
    expect(at(descriptive, 31, 56).trimEnd()).toBe('EXAMPLE ACADEMY PTY LTD');
    expect(at(descriptive, 57, 62)).toBe('301500');
    expect(at(descriptive, 63, 74).trimEnd()).toBe('REFUNDS');
    expect(at(descriptive, 75, 80)).toBe('060326');
    expect(at(detail, 2, 8)).toBe('082-001');
    expect(at(detail, 9, 17)).toBe('987654321');
    expect(at(detail, 18, 18)).toBe(' ');
    expect(at(detail, 19, 20)).toBe('50');
    expect(at(detail, 21, 30)).toBe('0000012345');
    expect(at(detail, 31, 62).trimEnd()).toBe('ZOE SMITH');
    expect(at(detail, 63, 80).trimEnd()).toBe('INV-000042');
    expect(at(detail, 81, 87)).toBe('062-000');
    expect(at(detail, 88, 96)).toBe(' 12345678');
    expect(at(detail, 97, 112)).toBe('EXAMPLE ACADEMY ');
    expect(at(detail, 113, 120)).toBe('00000000');
    expect(at(total, 2, 8)).toBe('999-999');
    expect([at(total, 21, 30), at(total, 31, 40), at(total, 41, 50)]).toEqual(['0000012345', '0000012345', '0000000000']);
    expect(at(total, 75, 80)).toBe('000001');
  });

  it('writes 500 refunds with the right totals and count, every record 120 characters', () => {
    const amounts = Array.from({ length: 500 }, (_, i) => 1 + ((i * 7919) % 2_500_000));
    const file = buildAbaFile(input(amounts.map((amountMinor, i) => payment({ amountMinor, lodgementReference: `INV-${100000 + i}` }))));
    const records = recordsOf(file);
    expect(records).toHaveLength(502);
    expect(records.every((record) => record.length === 120)).toBe(true);
    const sum = amounts.reduce((a, b) => a + b, 0);
    const total = records[501] ?? '';
    expect(at(total, 31, 40)).toBe(String(sum).padStart(10, '0'));
    expect(at(total, 21, 30)).toBe(String(sum).padStart(10, '0'));
    expect(at(total, 41, 50)).toBe('0000000000');
    expect(at(total, 75, 80)).toBe('000500');
    expect(validateAbaFile(file)).toEqual([]);
  });

  it('adds a self-balancing debit from our account when asked, netting the file to zero', () => {
    const file = buildAbaFile(input([payment(), payment({ amountMinor: 655 })], { balancing: true }));
    const records = recordsOf(file);
    expect(records).toHaveLength(5);
    const balancing = records[3] ?? '';
    expect(at(balancing, 2, 8)).toBe('062-000');
    expect(at(balancing, 9, 17)).toBe(' 12345678');
    expect(at(balancing, 19, 20)).toBe('13');
    expect(at(balancing, 21, 30)).toBe('0000013000');
    expect(at(balancing, 31, 62).trimEnd()).toBe('EXAMPLE ACADEMY PTY LTD');
    expect(at(balancing, 63, 80).trimEnd()).toBe('REFUNDS');
    const total = records[4] ?? '';
    expect([at(total, 21, 30), at(total, 31, 40), at(total, 41, 50), at(total, 75, 80)]).toEqual(['0000000000', '0000013000', '0000013000', '000003']);
    expect(validateAbaFile(file)).toEqual([]);
  });

  it('keeps totals exact and the file valid for any refunds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 99_999_999 }), { minLength: 1, maxLength: 60 }), fc.boolean(), (amounts, balancing) => {
        const file = buildAbaFile(
          input(
            amounts.map((amountMinor) => payment({ amountMinor })),
            { balancing },
          ),
        );
        expect(validateAbaFile(file)).toEqual([]);
        const records = recordsOf(file);
        const total = records[records.length - 1] ?? '';
        expect(BigInt(at(total, 31, 40))).toBe(amounts.reduce((a, b) => a + BigInt(b), 0n));
        expect(Number(at(total, 75, 80))).toBe(amounts.length + (balancing ? 1 : 0));
      }),
      { numRuns: 100 },
    );
  });

  it('upper-cases, transliterates what has a Latin form, and reports each change', () => {
    const { file, changes } = buildAbaFileWithChanges(
      input([payment({ accountName: 'Zoë Ångström-Øberg', lodgementReference: 'Rückzahlung 42' }), payment({ accountName: 'Plain Name' })]),
    );
    const detail = recordsOf(file)[1] ?? '';
    expect(at(detail, 31, 62).trimEnd()).toBe('ZOE ANGSTROM-OBERG');
    expect(at(detail, 63, 80).trimEnd()).toBe('RUCKZAHLUNG 42');
    // Upper-casing alone is the format's convention, not a change worth showing.
    expect(changes).toEqual([
      { field: 'refund 1 lodgement reference', from: 'Rückzahlung 42', to: 'RUCKZAHLUNG 42', how: 'transliterated' },
      { field: 'refund 1 account name', from: 'Zoë Ångström-Øberg', to: 'ZOE ANGSTROM-OBERG', how: 'transliterated' },
    ]);
  });

  it('refuses names and references it cannot encode, saying which and why', () => {
    const problems = problemsOf(() =>
      buildAbaFile(
        input([payment({ accountName: '王芳' }), payment({ lodgementReference: 'INV#42 😀' }), payment({ lodgementReference: 'REFUND FOR INVOICE 42' })]),
      ),
    );
    expect(problems).toEqual([
      `refund 1 account name "王芳" has characters that cannot be written in the ABA file ('王', '芳'): enter it in Latin letters`,
      `refund 2 lodgement reference "INV#42 😀" has characters that cannot be written in the ABA file ('#', '😀'): enter it in Latin letters`,
      'refund 3 lodgement reference "REFUND FOR INVOICE 42" is 21 characters long; the ABA file allows 18',
    ]);
  });

  it('cuts account titles longer than 32 characters and says so', () => {
    const { file, changes } = buildAbaFileWithChanges(input([payment({ accountName: 'The Trustee for the Very Long Family Trust' })]));
    expect(at(recordsOf(file)[1] ?? '', 31, 62)).toBe('THE TRUSTEE FOR THE VERY LONG FA');
    expect(changes).toEqual([
      {
        field: 'refund 1 account name',
        from: 'The Trustee for the Very Long Family Trust',
        to: 'THE TRUSTEE FOR THE VERY LONG FA',
        how: 'shortened to 32 characters',
      },
    ]);
  });

  it('refuses lodgement references that banks would change (leading zero or hyphen)', () => {
    expect(problemsOf(() => buildAbaFile(input([payment({ lodgementReference: '000042' }), payment({ lodgementReference: '-42' })])))).toEqual([
      'refund 1 lodgement reference "000042" must not start with a zero or a hyphen',
      'refund 2 lodgement reference "-42" must not start with a zero or a hyphen',
    ]);
  });

  it('refuses amounts and totals that would overflow their 10-digit fields', () => {
    expect(problemsOf(() => buildAbaFile(input([payment({ amountMinor: 10_000_000_000 })])))).toEqual([
      'refund 1 amount must be between AUD 0.01 and AUD 99,999,999.99 (10 digits of cents), got 10000000000 cents',
    ]);
    const largest = buildAbaFile(input([payment({ amountMinor: 9_999_999_999 })]));
    expect(at(recordsOf(largest)[1] ?? '', 21, 30)).toBe('9999999999');
    expect(validateAbaFile(largest)).toEqual([]);
    expect(problemsOf(() => buildAbaFile(input([payment({ amountMinor: 9_999_999_999 }), payment({ amountMinor: 1 })])))).toEqual([
      'the refunds add up to 10000000000 cents, more than the 10-digit total field holds (AUD 99,999,999.99): split them into several files',
    ]);
  });

  it('refuses refunds in any currency but AUD, and bad settings, all at once', () => {
    const problems = problemsOf(() =>
      buildAbaFile(
        input([payment({ currency: 'EUR' }), payment({ bsb: '06200', accountNumber: '000000' }), payment({ amountMinor: 0 })], {
          userName: 'Example Academy Pty Limited', // 27 characters
          apcaNumber: '30150',
          bankAbbreviation: 'cba',
          description: 'Refunds March',
          processDate: '2026-02-29',
          remitter: { bsb: '062-000', accountNumber: '12345678', name: 'Example Academy Pty' },
        }),
      ),
    );
    expect(problems).toEqual([
      'user name "EXAMPLE ACADEMY PTY LIMITED" is 27 characters long; the ABA file allows 26',
      'APCA user identification number "30150" must be 6 digits',
      'bank abbreviation "cba" must be 3 capital letters, e.g. CBA, WBC, NAB, ANZ',
      'description "REFUNDS MARCH" is 13 characters long; the ABA file allows 12',
      'process date "2026-02-29" is not a YYYY-MM-DD date',
      'remitter name "EXAMPLE ACADEMY PTY" is 19 characters long; the ABA file allows 16',
      'refund 1 is in EUR; an ABA file carries AUD only',
      'refund 2 BSB "06200" must be 6 digits (NNN-NNN)',
      'refund 2 account number "000000" must be 1 to 9 digits (hyphens allowed), not all zeros',
      'refund 3 amount must be between AUD 0.01 and AUD 99,999,999.99 (10 digits of cents), got 0 cents',
    ]);
  });

  it('accepts BSBs written with or without the hyphen, and account numbers with spaces', () => {
    const file = buildAbaFile(input([payment({ bsb: '082 001', accountNumber: '9876 5432' })]));
    const detail = recordsOf(file)[1] ?? '';
    expect(at(detail, 2, 17)).toBe('082-001 98765432');
  });
});

describe('validateAbaFile', () => {
  const good = buildAbaFile(input([payment(), payment({ amountMinor: 655, accountName: 'Second Person' })]));
  const lines = recordsOf(good);

  function withLine(index: number, record: string): string {
    return lines.map((line, i) => (i === index ? record : line) + CRLF).join('');
  }

  function replaceAt(record: string, start: number, value: string): string {
    return record.slice(0, start - 1) + value + record.slice(start - 1 + value.length);
  }

  it('accepts a file we made, with or without a final line end', () => {
    expect(validateAbaFile(good)).toEqual([]);
    expect(validateAbaFile(good.slice(0, -2))).toEqual([]);
  });

  it('catches a credit total that does not match the detail records', () => {
    const total = lines[3] ?? '';
    const wrong = replaceAt(replaceAt(total, 21, '0000013001'), 31, '0000013001');
    expect(validateAbaFile(withLine(3, wrong))).toEqual([
      'line 4 (file total record): net total (positions 21-30) "0000013001" must equal credits minus debits, 0000013000',
      'line 4 (file total record): credit total (positions 31-40) "0000013001" must equal the sum of the credit records, 0000013000',
    ]);
  });

  it('catches a detail amount changed without the totals', () => {
    const detail = lines[1] ?? '';
    const problems = validateAbaFile(withLine(1, replaceAt(detail, 21, '0000012346')));
    expect(problems).toEqual([
      'line 4 (file total record): net total (positions 21-30) "0000013000" must equal credits minus debits, 0000013001',
      'line 4 (file total record): credit total (positions 31-40) "0000013000" must equal the sum of the credit records, 0000013001',
    ]);
  });

  it('catches a short record', () => {
    const detail = lines[2] ?? '';
    expect(validateAbaFile(withLine(2, detail.slice(0, 119)))).toEqual(['line 3 is 119 characters long; every record must be 120']);
  });

  it('catches a bad BSB, in the account and in the trace', () => {
    const detail = lines[1] ?? '';
    expect(validateAbaFile(withLine(1, replaceAt(replaceAt(detail, 2, '082001 '), 81, '06-2000'))).sort()).toEqual([
      'line 2 (detail record): BSB (positions 2-8) "082001 " must be a BSB written NNN-NNN',
      'line 2 (detail record): trace BSB (positions 81-87) "06-2000" must be a BSB written NNN-NNN',
    ]);
  });

  it('catches a wrong record count, a wrong filler and a left-justified account number', () => {
    const total = lines[3] ?? '';
    const detail = lines[1] ?? '';
    const file = lines
      .map((line, i) => (i === 3 ? replaceAt(replaceAt(total, 75, '000003'), 2, '999999 ') : i === 1 ? replaceAt(detail, 9, '12345678 ') : line) + CRLF)
      .join('');
    expect(validateAbaFile(file)).toEqual([
      'line 2 (detail record): account number (positions 9-17) "12345678 " must be digits (or hyphens), right-justified, not all zeros',
      `line 4 (file total record): BSB format filler (positions 2-8) "999999 " must be '999-999'`,
      'line 4 (file total record): count of type 1 records (positions 75-80) "000003" must equal the number of detail records, 000002',
    ]);
  });

  it('catches LF-only line ends, non-ASCII characters, and a bad date', () => {
    const lfOnly = lines.join('\n') + '\n';
    expect(validateAbaFile(lfOnly)).toEqual([1, 2, 3, 4].map((n) => `line ${n} ends with LF alone; records end with CR LF`));
    const detail = lines[1] ?? '';
    expect(validateAbaFile(withLine(1, replaceAt(detail, 31, 'ZOË')))).toEqual(['line 2 has characters outside the ABA character set (printable ASCII): "Ë"']);
    const descriptive = lines[0] ?? '';
    expect(validateAbaFile(withLine(0, replaceAt(descriptive, 75, '310226')))).toEqual([
      'line 1 (descriptive record): date to be processed (positions 75-80) "310226" must be a date written DDMMYY',
    ]);
  });

  it('catches records in the wrong order or missing', () => {
    const [descriptive = '', first = '', second = '', total = ''] = lines;
    expect(validateAbaFile([first, descriptive, second, total].map((l) => l + CRLF).join(''))).toEqual([
      'line 1 must be the descriptive record (type 0), found record type "1"',
      'line 2 is a descriptive record (type 0); only the first line may be one',
    ]);
    expect(validateAbaFile([descriptive, first, second].map((l) => l + CRLF).join(''))).toEqual([
      'line 3 must be the file total record (type 7), found record type "1"',
    ]);
    expect(validateAbaFile([descriptive, total].map((l) => l + CRLF).join(''))).toEqual([
      'line 2 (file total record): net total (positions 21-30) "0000013000" must equal credits minus debits, 0000000000',
      'line 2 (file total record): credit total (positions 31-40) "0000013000" must equal the sum of the credit records, 0000000000',
      'line 2 (file total record): count of type 1 records (positions 75-80) "000002" must equal the number of detail records, 000000',
      'the file has no detail records (type 1)',
    ]);
    expect(validateAbaFile('')).toEqual(['the file is empty']);
  });
});
