import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInvoiceNumber } from '../../src/domain/invoice.js';
import { formatMoney } from '../../src/domain/money.js';
import { parsePaymentTolerance, toleranceMinor, type PaymentTolerance } from '../../src/domain/payment-tolerance.js';
import {
  buildMatchIndex,
  matchLine,
  nameTokens,
  referencesIn,
  referencesInLine,
  type LineMatch,
  type MatchableLine,
  type OpenInvoice,
} from '../../src/domain/statement-matching.js';

/** A valid reference for a 9-digit body, computed independently of the code under test (BigInt). */
function reference(body: string | number): string {
  const text = String(body);
  return text + String(98n - (BigInt(`${text}00`) % 97n)).padStart(2, '0');
}

const PREFIX = 'INV-';
const REF_42 = reference('123456789'); // 12345678978, printed '1234 5678 978', RF form 'RF74 1234 5678 978'

function invoice(id: number, fields: Partial<OpenInvoice> = {}): OpenInvoice {
  return {
    id,
    number: formatInvoiceNumber(PREFIX, id),
    paymentReference: id === 42 ? REF_42 : reference(300_000_000 + id * 7919),
    currency: 'EUR',
    totalMinor: 50_000,
    balanceMinor: 50_000,
    buyerName: `Learner Number${id}`,
    buyerOrganisation: null,
    issueDate: '2026-03-01',
    ...fields,
  };
}

function line(fields: Partial<MatchableLine> = {}): MatchableLine {
  return {
    amountMinor: 50_000,
    currency: 'EUR',
    remittance: '',
    remittanceParts: [],
    structuredReference: null,
    endToEndId: null,
    payerName: null,
    bookingDate: '2026-03-10',
    ...fields,
  };
}

function tolerance(text: string): PaymentTolerance {
  const parsed = parsePaymentTolerance(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.tolerance;
}

const NONE = tolerance('0');
const money = (minor: number, currency = 'EUR') => formatMoney(minor, currency);

/** Invoice 42 with a few neighbours of other amounts, so "same amount" alone cannot explain a match. */
const standard = [invoice(42), invoice(7, { balanceMinor: 12_300, totalMinor: 12_300 }), invoice(8, { balanceMinor: 99_900, totalMinor: 99_900 })];
const index = buildMatchIndex(standard, { invoicePrefix: PREFIX });

function exactIds(result: LineMatch): number[] {
  if (result.kind !== 'exact') throw new Error(`expected an exact match, got ${JSON.stringify(result)}`);
  return result.allocations.map((a) => a.invoiceId);
}

describe('matching by payment reference', () => {
  it.each([
    ['1234 5678 978', 'Reference 1234 5678 978 found in the remittance text'],
    ['1234-5678-978', 'Reference 1234 5678 978 found in the remittance text'],
    ['1234.5678.978', 'Reference 1234 5678 978 found in the remittance text'],
    ['12345678978', 'Reference 1234 5678 978 found in the remittance text'],
    ['REF:12345678978 COURSE FEE', 'Reference 1234 5678 978 found in the remittance text'],
    ['Tel 0412 345 678, ref 1234 5678 978, thank you', 'Reference 1234 5678 978 found in the remittance text'],
    ['Ｒｅｆ １２３４ ５６７８ ９７８', 'Reference 1234 5678 978 found in the remittance text'],
    ['rf74 1234 5678 978', 'Creditor reference RF74 1234 5678 978 found in the remittance text'],
    ['RF7412345678978', 'Creditor reference RF74 1234 5678 978 found in the remittance text'],
  ])('finds %j and settles the invoice when the amount equals the balance', (remittance, sentence) => {
    const result = matchLine(index, line({ remittance }), NONE);
    expect(result).toEqual({
      kind: 'exact',
      allocations: [{ invoiceId: 42, amountMinor: 50_000, writeOffMinor: 0, overpaidMinor: 0 }],
      evidence: [sentence, 'Amount equals the balance due'],
    });
  });

  it('reads the structured reference and the EndToEndId, and ignores NOTPROVIDED', () => {
    expect(matchLine(index, line({ structuredReference: 'RF74 1234 5678 978' }), NONE)).toMatchObject({
      kind: 'exact',
      evidence: ['Creditor reference RF74 1234 5678 978 found in the structured reference', 'Amount equals the balance due'],
    });
    expect(matchLine(index, line({ endToEndId: 'E2E-12345678978' }), NONE)).toMatchObject({
      kind: 'exact',
      evidence: ['Reference 1234 5678 978 found in the EndToEndId', 'Amount equals the balance due'],
    });
    expect(matchLine(index, line({ endToEndId: 'NOTPROVIDED', amountMinor: 1 }), NONE).kind).toBe('unmatched');
  });

  it('rejects an RF reference whose RF check digits are wrong, even though the 11 digits inside are valid', () => {
    expect(referencesIn('RF75 1234 5678 978', PREFIX).references).toEqual([]);
    expect(matchLine(index, line({ remittance: 'RF75 1234 5678 978' }), NONE).kind).not.toBe('exact');
  });

  it('never accepts a mistyped check digit; with the same amount it is only suggested', () => {
    expect(referencesIn('1234 5678 979', PREFIX).references).toEqual([]);
    const result = matchLine(index, line({ remittance: 'Ref 1234 5678 979' }), NONE);
    expect(result.kind).toBe('suggested');
    if (result.kind !== 'suggested') return;
    expect(result.suggestions[0]?.invoiceIds).toEqual([42]);
    expect(result.suggestions[0]?.reasons[0]).toBe(
      '"1234 5678 979" in the remittance text fails its check digits; its first 9 digits are those of reference 1234 5678 978 of INV-000042 (typo?)',
    );
    // Another amount: the typo alone suggests nothing.
    expect(matchLine(index, line({ remittance: 'Ref 1234 5678 979', amountMinor: 40_000 }), NONE).kind).toBe('unmatched');
  });

  it('finds a reference split across two remittance parts, joined with or without a separator', () => {
    for (const parts of [
      ['SCHOOL FEES JANE DOE 12345', '678978'],
      ['SCHOOL FEES JANE DOE 1234 5678', '978 THANK YOU'],
    ]) {
      const result = matchLine(index, line({ remittanceParts: parts, remittance: parts.join(';') }), NONE);
      expect(exactIds(result)).toEqual([42]);
      if (result.kind === 'exact') expect(result.evidence[0]).toBe('Reference 1234 5678 978 found in the remittance text, split across two lines');
    }
  });

  it('offers a reference the bank cut short only as a suggestion, and only for an open invoice of that amount', () => {
    for (const remittance of ['COURSE PAYMENT 123456789', 'COURSE PAY 1234 5678 9', 'COURSE PAY 1234567897', 'RF74 1234 5678 9']) {
      const result = matchLine(index, line({ remittance }), NONE);
      expect(result.kind).toBe('suggested');
      if (result.kind !== 'suggested') continue;
      expect(result.suggestions[0]?.invoiceIds).toEqual([42]);
      expect(result.suggestions[0]?.reasons[0]).toMatch(
        /^the remittance text ends with ".*", the start of reference 1234 5678 978 of INV-000042 \(cut by the bank\?\)$/,
      );
    }
    // The 10th digit is the first check digit and must agree.
    expect(matchLine(index, line({ remittance: 'COURSE PAY 1234567890', amountMinor: 40_000 }), NONE).kind).toBe('unmatched');
    // Visible digits, but another amount: nothing.
    expect(matchLine(index, line({ remittance: 'COURSE PAYMENT 123456789', amountMinor: 40_000 }), NONE).kind).toBe('unmatched');
    // Not at the end of the text, so not cut: nothing from the digits (only "same amount").
    const notCut = matchLine(index, line({ remittance: 'ORDER 123456789 JANE' }), NONE);
    expect(notCut).toEqual({ kind: 'suggested', suggestions: [{ invoiceIds: [42], score: 0.5, reasons: ['same amount'] }] });
  });
});

describe('matching by invoice number', () => {
  it.each([
    ['INV-000042', 'Invoice number INV-000042 found in the remittance text'],
    ['inv-000042', 'Invoice number INV-000042 found in the remittance text'],
    ['INV42', 'Invoice number INV-000042 found in the remittance text (written "INV42")'],
    ['Payment inv 42 Jane', 'Invoice number INV-000042 found in the remittance text (written "INV 42")'],
    ['INV. NO. 42', 'Invoice number INV-000042 found in the remittance text (written "INV. NO. 42")'],
    ['fees 000042', 'Invoice number INV-000042 found in the remittance text (written "000042")'],
  ])('finds %j', (remittance, sentence) => {
    expect(matchLine(index, line({ remittance }), NONE)).toEqual({
      kind: 'exact',
      allocations: [{ invoiceId: 42, amountMinor: 50_000, writeOffMinor: 0, overpaidMinor: 0 }],
      evidence: [sentence, 'Amount equals the balance due'],
    });
  });

  it('does not read the first digits of a reference written after the prefix as an invoice number', () => {
    const both = buildMatchIndex([invoice(42), invoice(1234)], { invoicePrefix: PREFIX });
    expect(exactIds(matchLine(both, line({ remittance: 'INV 1234 5678 978' }), NONE))).toEqual([42]);
  });

  it('does not take a bare small number for an invoice number', () => {
    const amountNobodyOwes = 777;
    for (const remittance of ['42 Wallaby Way Sydney', 'Invoice 42', 'Unit 42/7 Harbour St', 'conv 42', 'Order 123456']) {
      expect(referencesIn(remittance, PREFIX).invoiceNumbers).toEqual([]);
      expect(matchLine(index, line({ remittance, amountMinor: amountNobodyOwes }), NONE).kind).toBe('unmatched');
    }
  });

  it('works with prefixes holding digits and separators, and not with an all-digit prefix', () => {
    const prefix = 'EA-2026-';
    const ea = buildMatchIndex([invoice(42, { number: 'EA-2026-000042' })], { invoicePrefix: prefix });
    for (const remittance of ['EA-2026-000042', 'ea2026 42', 'EA 2026-42']) expect(exactIds(matchLine(ea, line({ remittance }), NONE))).toEqual([42]);
    expect(referencesIn('Paid 2026-04-15', '2026-').invoiceNumbers).toEqual([]);
    const sandbox = buildMatchIndex([invoice(1, { number: 'SANDBOX-INV-000001' })], { invoicePrefix: 'SANDBOX-INV-' });
    expect(exactIds(matchLine(sandbox, line({ remittance: 'sandbox-inv-1' }), NONE))).toEqual([1]);
  });
});

describe('amount and currency', () => {
  const refLine = (amountMinor: number, currency = 'EUR') => line({ remittance: '1234 5678 978', amountMinor, currency });

  it('settles a payment short by no more than the tolerance, proposing a write-off', () => {
    expect(matchLine(index, refLine(49_950), tolerance('1.00'))).toEqual({
      kind: 'exact',
      allocations: [{ invoiceId: 42, amountMinor: 49_950, writeOffMinor: 50, overpaidMinor: 0 }],
      evidence: [
        'Reference 1234 5678 978 found in the remittance text',
        `Amount is ${money(50)} less than the balance due ${money(50_000)}, within the payment tolerance: write off ${money(50)}`,
      ],
    });
    // 0.5% of EUR 500.00 is EUR 2.50.
    expect(matchLine(index, refLine(49_750), tolerance('0.5%'))).toMatchObject({ kind: 'exact', allocations: [{ writeOffMinor: 250 }] });
  });

  it('reports a larger difference as a partial payment or an overpayment', () => {
    expect(matchLine(index, refLine(49_850), tolerance('1.00'))).toEqual({
      kind: 'amount_differs',
      invoiceId: 42,
      amountMinor: 49_850,
      differenceMinor: -150,
      evidence: ['Reference 1234 5678 978 found in the remittance text', `Partial payment: ${money(150)} less than the balance due ${money(50_000)}`],
    });
    expect(matchLine(index, refLine(49_999), NONE)).toMatchObject({ kind: 'amount_differs', differenceMinor: -1 });
    expect(matchLine(index, refLine(60_000), NONE)).toMatchObject({ kind: 'amount_differs', differenceMinor: 10_000 });
  });

  it('settles an overpayment within the tolerance, recording what was overpaid', () => {
    expect(matchLine(index, refLine(50_030), tolerance('1.00'))).toMatchObject({
      kind: 'exact',
      allocations: [{ invoiceId: 42, amountMinor: 50_030, writeOffMinor: 0, overpaidMinor: 30 }],
    });
  });

  it('uses the balance still due, not the total, and the currency of the invoice for the tolerance', () => {
    const jpy = buildMatchIndex([invoice(42, { currency: 'JPY', totalMinor: 30_000, balanceMinor: 10_000 })], { invoicePrefix: PREFIX });
    const jpyLine = (amountMinor: number) => line({ remittance: 'INV-000042', amountMinor, currency: 'JPY' });
    expect(matchLine(jpy, jpyLine(10_000), NONE).kind).toBe('exact');
    expect(matchLine(jpy, jpyLine(9_999), tolerance('1.00'))).toMatchObject({ kind: 'exact', allocations: [{ writeOffMinor: 1 }] });
    expect(matchLine(jpy, jpyLine(9_998), tolerance('1.00'))).toMatchObject({ kind: 'amount_differs', differenceMinor: -2 });
  });

  it('never matches a payment in another currency automatically', () => {
    expect(matchLine(index, refLine(50_000, 'USD'), tolerance('1.00'))).toEqual({
      kind: 'suggested',
      suggestions: [{ invoiceIds: [42], score: 0.8, reasons: ['Reference 1234 5678 978 found in the remittance text', 'paid in USD, invoice in EUR'] }],
    });
  });
});

describe('one transfer for several invoices', () => {
  const three = buildMatchIndex(
    [invoice(42), invoice(43, { balanceMinor: 30_000, totalMinor: 30_000 }), invoice(44, { balanceMinor: 20_000, totalMinor: 40_000 })],
    { invoicePrefix: PREFIX },
  );
  const remittance = `Fees for 3 staff: ${REF_42}, INV-000043 and ${reference(300_000_000 + 44 * 7919)}`;

  it('splits the amount across the named invoices when their balances add up', () => {
    expect(matchLine(three, line({ remittance, amountMinor: 100_000 }), NONE)).toEqual({
      kind: 'exact',
      allocations: [
        { invoiceId: 42, amountMinor: 50_000, writeOffMinor: 0, overpaidMinor: 0 },
        { invoiceId: 44, amountMinor: 20_000, writeOffMinor: 0, overpaidMinor: 0 },
        { invoiceId: 43, amountMinor: 30_000, writeOffMinor: 0, overpaidMinor: 0 },
      ],
      evidence: [
        'Reference 1234 5678 978 found in the remittance text',
        `Reference ${reference(300_000_000 + 44 * 7919).replace(/^(\d{4})(\d{4})(\d{3})$/, '$1 $2 $3')} found in the remittance text`,
        'Invoice number INV-000043 found in the remittance text',
        `3 invoices named, balances due add up to ${money(100_000)}`,
        'Amount equals their total',
      ],
    });
  });

  it('shares a shortfall within the tolerance out as write-offs each within its own invoice tolerance', () => {
    const result = matchLine(three, line({ remittance, amountMinor: 99_880 }), tolerance('1.00'));
    expect(result).toMatchObject({
      kind: 'exact',
      allocations: [
        { invoiceId: 42, amountMinor: 49_900, writeOffMinor: 100 },
        { invoiceId: 44, amountMinor: 19_980, writeOffMinor: 20 },
        { invoiceId: 43, amountMinor: 30_000, writeOffMinor: 0 },
      ],
    });
  });

  it('suggests the named invoices that do add up when the payer named more than they paid', () => {
    const result = matchLine(three, line({ remittance, amountMinor: 70_000 }), NONE);
    expect(result.kind).toBe('suggested');
    if (result.kind !== 'suggested') return;
    expect(result.suggestions[0]).toMatchObject({ invoiceIds: [42, 44], score: 0.85 });
    expect(result.suggestions[0]?.reasons.at(-1)).toBe(`2 of the invoices named add up to ${money(70_000)}`);
  });
});

describe('suggestions without a usable reference', () => {
  it('suggests an open invoice of the same amount, never selecting it', () => {
    expect(matchLine(index, line({ remittance: 'school fees', amountMinor: 12_300 }), NONE)).toEqual({
      kind: 'suggested',
      suggestions: [{ invoiceIds: [7], score: 0.5, reasons: ['same amount'] }],
    });
  });

  it('compares the payer with learner names across case, diacritics and word order', () => {
    const people = buildMatchIndex([invoice(1, { buyerName: 'José Müller' }), invoice(2, { buyerName: 'Joseph Miller' })], { invoicePrefix: PREFIX });
    expect(nameTokens('MULLER, JOSE').sort()).toEqual(nameTokens('José Müller').sort());
    const result = matchLine(people, line({ payerName: 'MULLER JOSE', amountMinor: 20_000 }), NONE);
    expect(result).toEqual({
      kind: 'suggested',
      suggestions: [{ invoiceIds: [1], score: 0.4, reasons: ["payer 'MULLER JOSE' ~ learner 'José Müller'", `balance due ${money(50_000)}`] }],
    });
  });

  it('ranks a same-amount invoice whose learner is the payer first', () => {
    const people = buildMatchIndex([invoice(1, { buyerName: 'Ana Souza' }), invoice(2, { buyerName: 'Wei Zhang' })], { invoicePrefix: PREFIX });
    const result = matchLine(people, line({ payerName: 'ZHANG WEI' }), NONE);
    expect(result).toEqual({
      kind: 'suggested',
      suggestions: [
        { invoiceIds: [2], score: 0.9, reasons: ['same amount', "payer 'ZHANG WEI' ~ learner 'Wei Zhang'"] },
        { invoiceIds: [1], score: 0.5, reasons: ['same amount'] },
      ],
    });
  });

  it('finds the set of invoices of an employer that adds up to the transfer', () => {
    const acme = (id: number, balanceMinor: number) =>
      invoice(id, { balanceMinor, totalMinor: balanceMinor, buyerOrganisation: 'Acme Pty Ltd', buyerName: `Staff Member${id}` });
    const beta = (id: number, balanceMinor: number) => invoice(id, { balanceMinor, totalMinor: balanceMinor, buyerOrganisation: 'Beta Pty Ltd' });
    const employers = buildMatchIndex(
      [acme(1, 40_000), acme(2, 50_000), acme(3, 60_000), acme(4, 12_000), acme(5, 83_000), beta(6, 100_000), beta(7, 50_000)],
      { invoicePrefix: PREFIX },
    );
    const result = matchLine(employers, line({ payerName: 'ACME PTY. LTD.', remittance: 'STAFF TRAINING', amountMinor: 150_000 }), NONE);
    expect(result.kind).toBe('suggested');
    if (result.kind !== 'suggested') return;
    expect(result.suggestions[0]).toEqual({
      invoiceIds: [1, 2, 3],
      score: 0.9,
      reasons: [`3 invoices of Acme Pty Ltd add up to ${money(150_000)}`, "payer 'ACME PTY. LTD.' ~ organisation 'Acme Pty Ltd'"],
    });
    // Beta's invoices also add up to 1,500.00 but Beta did not pay.
    expect(result.suggestions.some((s) => s.invoiceIds.includes(6))).toBe(false);
  });

  it('matches a payer written in Chinese to an organisation and a learner in Chinese', () => {
    const org = '北京华夏教育科技有限公司';
    const chinese = buildMatchIndex(
      [
        invoice(1, { buyerName: '王小明', buyerOrganisation: org, balanceMinor: 30_000, totalMinor: 30_000 }),
        invoice(2, { buyerName: '李华', buyerOrganisation: org, balanceMinor: 45_000, totalMinor: 45_000 }),
        invoice(3, { buyerName: '张伟', buyerOrganisation: '上海明德有限公司', balanceMinor: 75_000, totalMinor: 75_000 }),
      ],
      { invoicePrefix: PREFIX },
    );
    const result = matchLine(chinese, line({ payerName: org, amountMinor: 75_000 }), NONE);
    expect(result.kind).toBe('suggested');
    if (result.kind !== 'suggested') return;
    expect(result.suggestions[0]).toEqual({
      invoiceIds: [1, 2],
      score: 0.9,
      reasons: [`2 invoices of ${org} add up to ${money(75_000)}`, `payer '${org}' ~ organisation '${org}'`],
    });
    // 上海明德有限公司 shares only the legal form 有限公司: its same-amount invoice is not linked to the payer.
    expect(result.suggestions.find((s) => s.invoiceIds.join() === '3')?.reasons).toEqual(['same amount']);

    const learner = matchLine(chinese, line({ payerName: '王小明', amountMinor: 30_000 }), NONE);
    expect(learner).toMatchObject({ kind: 'suggested', suggestions: [{ invoiceIds: [1], reasons: ['same amount', "payer '王小明' ~ learner '王小明'"] }] });
  });

  it('says why nothing matched', () => {
    expect(matchLine(index, line({ remittance: 'thanks', amountMinor: 777, payerName: 'Nobody Known' }), NONE)).toEqual({
      kind: 'unmatched',
      reason: `No payment reference or invoice number of an open invoice, no open invoice of ${money(777)}, and no learner or organisation like the payer`,
    });
    const crowd = buildMatchIndex(
      Array.from({ length: 25 }, (_, i) => invoice(i + 1)),
      { invoicePrefix: PREFIX },
    );
    expect(matchLine(crowd, line({ remittance: 'fees' }), NONE)).toEqual({
      kind: 'unmatched',
      reason: `No payment reference or invoice number; 25 open invoices are of ${money(50_000)} and the payer name matches none of them`,
    });
    expect(matchLine(index, line({ remittance: REF_42, amountMinor: -50_000 }), NONE).kind).toBe('unmatched');
  });
});

describe('referencesIn', () => {
  it('lists every valid reference and invoice number, open or not, and no mistyped one', () => {
    const other = reference(987_654_321);
    expect(referencesIn(`Paid ${other} and RF74 1234 5678 978, also INV-7 and 1234 5678 979`, PREFIX)).toEqual({
      references: [other, REF_42],
      invoiceNumbers: [{ seq: 7, number: 'INV-000007' }],
    });
    expect(referencesInLine(line({ remittanceParts: ['abc 1234 567', '8978'], endToEndId: 'INV-000099' }), PREFIX)).toEqual({
      references: [REF_42],
      invoiceNumbers: [{ seq: 99, number: 'INV-000099' }],
    });
  });
});

describe('properties', () => {
  const body = fc.integer({ min: 100_000_000, max: 999_999_999 }).map(String);
  const separator = fc.constantFrom('', ' ', '-', '.', ' - ', '  ', '/', '\u00a0');
  const text = fc.string({ unit: 'grapheme', maxLength: 30 });

  it('always finds a valid reference embedded in random text with random separators', () => {
    fc.assert(
      fc.property(
        body,
        fc.array(separator, { minLength: 10, maxLength: 10 }),
        fc.boolean(),
        text,
        fc.constantFrom(' ref: ', ' (', ', ref. ', ' #', '\n'),
        fc.constantFrom(')', ' thanks', '. ', ', '),
        text,
        (digits, separators, creditor, before, opening, closing, after) => {
          const plain = reference(digits);
          const spaced = [...plain].map((d, i) => d + (separators[i] ?? '')).join('');
          const written = creditor ? `rf74${separators[0] ?? ''}${spaced}` : spaced;
          const remittance = `${before}${opening}${written}${closing}${after}`;
          expect(referencesIn(remittance, PREFIX).references).toContain(plain);
          const only = buildMatchIndex([invoice(1, { paymentReference: plain })], { invoicePrefix: PREFIX });
          expect(exactIds(matchLine(only, line({ remittance }), NONE))).toEqual([1]);
        },
      ),
    );
  });

  it('never accepts a reference with one digit changed', () => {
    fc.assert(
      fc.property(
        body,
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 60_000 }),
        (digits, at, shift, amountMinor) => {
          const plain = reference(digits);
          const changed = plain.slice(0, at) + String((Number(plain[at]) + shift) % 10) + plain.slice(at + 1);
          expect(referencesIn(`Payment ${changed}`, PREFIX).references).toEqual([]);
          const only = buildMatchIndex([invoice(1, { paymentReference: plain })], { invoicePrefix: PREFIX });
          const kind = matchLine(only, line({ remittance: `Payment ${changed}`, amountMinor }), NONE).kind;
          expect(['suggested', 'unmatched']).toContain(kind);
        },
      ),
    );
  });

  it('never allocates more than the line amount, nor writes off more than each invoice tolerance', () => {
    const currencies = ['EUR', 'JPY', 'KWD'];
    const openInvoice = fc.record({
      currency: fc.constantFrom(...currencies),
      balanceMinor: fc.integer({ min: 1, max: 200_000 }),
      paidMinor: fc.integer({ min: 0, max: 50_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(openInvoice, { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.constantFrom(...currencies),
        fc.integer({ min: -500, max: 500 }),
        fc.constantFrom('0', '1.00', '0.5%', '2%', '0.01', '3'),
        (specs, named, currency, delta, toleranceText) => {
          const invoices = specs.map((spec, i) =>
            invoice(i + 1, { currency: spec.currency, balanceMinor: spec.balanceMinor, totalMinor: spec.balanceMinor + spec.paidMinor }),
          );
          const chosen = invoices.filter((_, i) => named[i]);
          const sum = chosen.filter((inv) => inv.currency === currency).reduce((total, inv) => total + inv.balanceMinor, 0);
          const amountMinor = Math.max(1, sum + delta);
          const remittance = chosen.map((inv, i) => (i % 2 === 0 ? inv.paymentReference : inv.number)).join(' / ');
          const tol = tolerance(toleranceText);
          const result = matchLine(buildMatchIndex(invoices, { invoicePrefix: PREFIX }), line({ remittance, amountMinor, currency }), tol);
          if (result.kind === 'exact') {
            expect(result.allocations.reduce((total, a) => total + a.amountMinor, 0)).toBe(amountMinor);
            for (const allocation of result.allocations) {
              const target = invoices.find((inv) => inv.id === allocation.invoiceId)!;
              expect(target.currency).toBe(currency);
              const limit = toleranceMinor(tol, target.currency, target.totalMinor);
              expect(allocation.writeOffMinor).toBeLessThanOrEqual(limit);
              expect(allocation.overpaidMinor).toBeLessThanOrEqual(limit);
              expect(allocation.amountMinor + allocation.writeOffMinor - allocation.overpaidMinor).toBe(target.balanceMinor);
            }
          }
          if (result.kind === 'amount_differs') expect(result.amountMinor).toBe(amountMinor);
        },
      ),
    );
  });
});
