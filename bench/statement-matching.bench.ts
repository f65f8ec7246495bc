/**
 * Matching a bank statement: 10,000 credit lines against 100,000 open invoices, index build
 * included, must take at most 3 s on a small shared machine (src/domain/statement-matching.ts).
 *
 * Baseline: the least any matcher must do, on the same data in the same run: build a Map of the
 * 100,000 invoices by payment reference, then for each of the 10,000 lines take the digits of its
 * remittance text and look them up once. The ratio reads "the real matcher costs N of those".
 *
 * The data set is deterministic (seeded): invoices in five currencies at a few course prices
 * (so thousands share an amount, as in real life), names in many scripts (bench/seed.ts), a third
 * with an organisation; lines with exact references in every written form, mistyped references,
 * invoice numbers, no reference at all (learners and employers), partial payments, split payments,
 * payments in another currency and references cut by the bank. Lines whose outcome is certain by
 * construction are checked: a fast wrong answer is not a result.
 *
 *   BENCH_MATCH_INVOICES=20000 BENCH_MATCH_LINES=2000   a smaller run (the --quick size)
 */
import { formatInvoiceNumber } from '../src/domain/invoice.js';
import { formatCreditorReference, formatPaymentReference, toCreditorReference } from '../src/domain/payment-reference.js';
import { parsePaymentTolerance, type PaymentTolerance } from '../src/domain/payment-tolerance.js';
import { buildMatchIndex, matchLine, type LineMatch, type MatchableLine, type OpenInvoice } from '../src/domain/statement-matching.js';
import { compare, goal, row, type BenchContext, type BenchResult } from './harness.js';
import { organisations, person, random, seedReference, type Rand } from './seed.js';

export const name = 'statement-matching';
export const description = 'matching 10,000 statement lines against 100,000 open invoices, index build included';

const PREFIX = 'INV-';
const BUDGET_MS = 3_000;
const PRICES: Record<string, number[]> = {
  EUR: [19_900, 59_900, 99_000],
  AUD: [49_500, 110_000, 189_000],
  USD: [29_900, 79_900, 149_900],
  MYR: [45_000, 120_000, 250_000],
  JPY: [30_000, 85_000, 150_000],
};
const CURRENCY_WEIGHTS: [string, number][] = [
  ['EUR', 0.4],
  ['AUD', 0.25],
  ['USD', 0.15],
  ['MYR', 0.12],
  ['JPY', 0.08],
];

const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

function pickCurrency(rand: Rand): string {
  let r = rand();
  for (const [code, weight] of CURRENCY_WEIGHTS) if ((r -= weight) < 0) return code;
  return 'EUR';
}

export function openInvoices(count: number, rand: Rand): OpenInvoice[] {
  const orgs = organisations(rand);
  const invoices: OpenInvoice[] = [];
  for (let id = 1; id <= count; id++) {
    const currency = pickCurrency(rand);
    const totalMinor = pick(rand, PRICES[currency]!);
    // One in six has been partly paid already.
    const balanceMinor = rand() < 1 / 6 ? totalMinor - Math.floor(rand() * (totalMinor / 2)) - 1 : totalMinor;
    const day = 1 + Math.floor(rand() * 28);
    invoices.push({
      id,
      number: formatInvoiceNumber(PREFIX, id),
      paymentReference: seedReference(id),
      currency,
      totalMinor,
      balanceMinor,
      buyerName: person(rand).name,
      buyerOrganisation: rand() < 0.3 ? pick(rand, orgs) : null,
      issueDate: `2026-0${1 + Math.floor(rand() * 6)}-${String(day).padStart(2, '0')}`,
    });
  }
  return invoices;
}

type Kind = 'reference' | 'mistyped' | 'number' | 'learner' | 'employer' | 'partial' | 'split' | 'currency' | 'cut';

interface GeneratedLine {
  kind: Kind;
  line: MatchableLine;
  /** The outcome certain by construction, checked after the run. */
  expect?: (result: LineMatch) => boolean;
  /** For lines that can only be suggested: the invoices the payer meant (sorted ids). */
  meant?: number[];
}

function writtenReference(rand: Rand, plain: string): string {
  const forms = [
    () => formatPaymentReference(plain),
    () => plain,
    () => plain.replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1-$2-$3-$4'),
    () => formatCreditorReference(toCreditorReference(plain)).toLowerCase(),
    () => `REF:${plain}`,
  ];
  return pick(rand, forms)();
}

export function statementLines(invoices: OpenInvoice[], count: number, rand: Rand): GeneratedLine[] {
  const byOrganisation = new Map<string, OpenInvoice[]>();
  for (const invoice of invoices) {
    if (invoice.buyerOrganisation === null) continue;
    const key = `${invoice.currency}|${invoice.buyerOrganisation}`;
    byOrganisation.set(key, [...(byOrganisation.get(key) ?? []), invoice]);
  }
  const employers = [...byOrganisation.values()].filter((list) => list.length >= 3);
  const base = (amountMinor: number, currency: string, remittance: string, payerName: string | null): MatchableLine => ({
    amountMinor,
    currency,
    remittance,
    remittanceParts: remittance.length > 35 ? [remittance.slice(0, 35), remittance.slice(35)] : [remittance],
    structuredReference: null,
    endToEndId: 'NOTPROVIDED',
    payerName,
    bookingDate: '2026-07-01',
  });
  const exactFor = (ids: number[]) => (result: LineMatch) => result.kind === 'exact' && result.allocations.map((a) => a.invoiceId).join() === ids.join();

  const lines: GeneratedLine[] = [];
  for (let i = 0; i < count; i++) {
    const invoice = pick(rand, invoices);
    const r = rand();
    if (r < 0.32) {
      lines.push({
        kind: 'reference',
        line: base(
          invoice.balanceMinor,
          invoice.currency,
          `${invoice.buyerName} course fee ${writtenReference(rand, invoice.paymentReference)}`,
          invoice.buyerName,
        ),
        expect: exactFor([invoice.id]),
      });
    } else if (r < 0.4) {
      const at = Math.floor(rand() * 11);
      const digits = invoice.paymentReference;
      const typo = digits.slice(0, at) + String((Number(digits[at]) + 1 + Math.floor(rand() * 9)) % 10) + digits.slice(at + 1);
      lines.push({
        kind: 'mistyped',
        line: base(invoice.balanceMinor, invoice.currency, `Payment ${formatPaymentReference(typo)}`, invoice.buyerName),
        expect: (result) => result.kind === 'suggested' || result.kind === 'unmatched',
        meant: [invoice.id],
      });
    } else if (r < 0.52) {
      const seq = String(invoice.id);
      const written = pick(rand, [`INV-${seq.padStart(6, '0')}`, `inv ${seq}`, `INV${seq}`, seq.padStart(6, '0')]);
      lines.push({ kind: 'number', line: base(invoice.balanceMinor, invoice.currency, `Fees ${written}`, invoice.buyerName), expect: exactFor([invoice.id]) });
    } else if (r < 0.66) {
      lines.push({ kind: 'learner', line: base(invoice.balanceMinor, invoice.currency, 'course fees', invoice.buyerName.toUpperCase()), meant: [invoice.id] });
    } else if (r < 0.72) {
      const members = pick(rand, employers);
      const chosen = members.slice(0, 2 + Math.floor(rand() * Math.min(3, members.length - 1)));
      const amount = chosen.reduce((sum, m) => sum + m.balanceMinor, 0);
      lines.push({
        kind: 'employer',
        line: base(amount, chosen[0]!.currency, 'STAFF TRAINING', (chosen[0]!.buyerOrganisation ?? '').toUpperCase()),
        meant: chosen.map((m) => m.id).sort((a, b) => a - b),
      });
    } else if (r < 0.8) {
      const paid = Math.max(1, Math.floor(invoice.balanceMinor / 2));
      lines.push({
        kind: 'partial',
        line: base(paid, invoice.currency, `first instalment ${formatPaymentReference(invoice.paymentReference)}`, invoice.buyerName),
        expect: (result) => result.kind === 'amount_differs' && result.invoiceId === invoice.id && result.differenceMinor === paid - invoice.balanceMinor,
      });
    } else if (r < 0.87) {
      const group = [invoice];
      while (group.length < 2 + Math.floor(rand() * 3)) {
        const other = pick(rand, invoices);
        if (other.currency === invoice.currency && !group.includes(other)) group.push(other);
      }
      const amount = group.reduce((sum, m) => sum + m.balanceMinor, 0);
      const remittance = `Group booking ${group.map((m) => formatPaymentReference(m.paymentReference)).join(', ')}`;
      lines.push({ kind: 'split', line: base(amount, invoice.currency, remittance, 'ACME TRAINING'), expect: exactFor(group.map((m) => m.id)) });
    } else if (r < 0.93) {
      const currency = invoice.currency === 'USD' ? 'EUR' : 'USD';
      lines.push({
        kind: 'currency',
        line: base(invoice.balanceMinor, currency, `Ref ${invoice.paymentReference}`, invoice.buyerName),
        expect: (result) => result.kind === 'suggested' && result.suggestions[0]?.invoiceIds.join() === String(invoice.id),
      });
    } else {
      // Cut at 18 characters, as one UK bank does: 'COURSE 1234 5678 9'.
      const remittance = `COURSE ${formatPaymentReference(invoice.paymentReference)}`.slice(0, 18);
      lines.push({
        kind: 'cut',
        line: base(invoice.balanceMinor, invoice.currency, remittance, null),
        expect: (result) => result.kind !== 'exact',
        meant: [invoice.id],
      });
    }
  }
  return lines;
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  // Quick: a fifth of each; every certain outcome is still checked.
  const invoiceCount = Number(ctx.env.BENCH_MATCH_INVOICES) || ctx.size(100_000, 20_000);
  const lineCount = Number(ctx.env.BENCH_MATCH_LINES) || ctx.size(10_000, 2_000);
  const rand = random(20260701);
  const started = performance.now();
  const invoices = openInvoices(invoiceCount, rand);
  const generated = statementLines(invoices, lineCount, rand);
  const lines = generated.map((g) => g.line);
  ctx.log(`generated ${invoiceCount} invoices and ${lineCount} lines in ${Math.round(performance.now() - started)} ms`);
  const parsed = parsePaymentTolerance('0.50');
  if (!parsed.ok) throw new Error(parsed.error);
  const tolerance: PaymentTolerance = parsed.tolerance;

  // Correctness first: every line whose outcome is certain must come out that way.
  const index = buildMatchIndex(invoices, { invoicePrefix: PREFIX });
  const outcomes = new Map<string, number>();
  const wrong: string[] = [];
  // How often the invoices the payer meant are the first suggestion, or among them at all.
  const found = new Map<Kind, { lines: number; first: number; listed: number }>();
  generated.forEach((g, i) => {
    const result = matchLine(index, g.line, tolerance);
    outcomes.set(`${g.kind} -> ${result.kind}`, (outcomes.get(`${g.kind} -> ${result.kind}`) ?? 0) + 1);
    if (g.expect && !g.expect(result)) wrong.push(`line ${i} (${g.kind}, "${g.line.remittance}"): ${JSON.stringify(result).slice(0, 300)}`);
    if (g.meant) {
      const tally = found.get(g.kind) ?? { lines: 0, first: 0, listed: 0 };
      const meant = g.meant.join();
      const suggested = result.kind === 'suggested' ? result.suggestions.map((s) => [...s.invoiceIds].sort((a, b) => a - b).join()) : [];
      tally.lines++;
      if (suggested[0] === meant) tally.first++;
      if (suggested.includes(meant)) tally.listed++;
      found.set(g.kind, tally);
    }
  });
  if (wrong.length > 0) throw new Error(`${wrong.length} lines matched wrongly, e.g.\n${wrong.slice(0, 5).join('\n')}`);

  let sink = 0;
  const baselineMap = (): Map<string, OpenInvoice> => new Map(invoices.map((invoice) => [invoice.paymentReference, invoice]));
  const baseline = () => {
    const byReference = baselineMap();
    for (const line of lines) if (byReference.get(line.remittance.replace(/\D/g, '').slice(0, 11)) !== undefined) sink++;
  };
  const matchAll = (built: ReturnType<typeof buildMatchIndex>) => {
    for (const line of lines) if (matchLine(built, line, tolerance).kind === 'exact') sink++;
  };
  const noReference = lines.filter((_, i) => generated[i]!.kind === 'learner' || generated[i]!.kind === 'employer');

  const whole = compare(baseline, () => matchAll(buildMatchIndex(invoices, { invoicePrefix: PREFIX })), { minRuns: ctx.size(5, 3) });
  const build = compare(baselineMap, () => buildMatchIndex(invoices, { invoicePrefix: PREFIX }), { minRuns: ctx.size(5, 3) });
  const matching = compare(baseline, () => matchAll(index), { minRuns: ctx.size(5, 3) });
  const suggesting = compare(baseline, () => {
    for (const line of noReference) if (matchLine(index, line, tolerance).kind === 'suggested') sink++;
  });
  if (sink < 0) ctx.log('unreachable');

  const percent = (part: number, whole: number) => `${Math.round((100 * part) / Math.max(1, whole))}%`;
  const perSecond = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en')} lines/s`;
  const within = whole.subject.medianMs <= BUDGET_MS ? 'within' : 'OVER';
  const counts = [...outcomes.entries()].sort().map(([key, n]) => `${key}: ${n}`);
  return {
    baseline: `Map of ${invoiceCount.toLocaleString('en')} invoices by reference + one lookup per line (build rows: the Map alone)`,
    rows: [
      row(
        `build index + match ${lineCount.toLocaleString('en')} lines`,
        whole,
        `${perSecond(lineCount, whole.subject.medianMs)}; ${within} the ${BUDGET_MS / 1000} s budget (p95 ${(whole.subject.p95Ms / 1000).toFixed(2)} s)`,
      ),
      row(`build the index of ${invoiceCount.toLocaleString('en')} open invoices`, build, 'ratio to building the Map alone'),
      row(`match ${lineCount.toLocaleString('en')} lines, index built`, matching, perSecond(lineCount, matching.subject.medianMs)),
      row(
        `${noReference.length.toLocaleString('en')} lines without reference (suggestions)`,
        suggesting,
        perSecond(noReference.length, suggesting.subject.medianMs),
      ),
    ],
    goals: [
      goal(
        `match ${lineCount.toLocaleString('en')} statement lines against ${invoiceCount.toLocaleString('en')} open invoices, index build included`,
        whole.subject.medianMs / 1000,
        'max',
        BUDGET_MS / 1000,
        's',
        `${(whole.subject.medianMs / whole.baseline.medianMs).toFixed(1)}x a Map lookup per line`,
      ),
    ],
    notes: [
      `Outcomes by kind of line (tolerance 0.50): ${counts.join(', ')}.`,
      `Suggestions holding what the payer meant (first / among the ${10}): ${[...found.entries()]
        .map(([kind, t]) => `${kind} ${percent(t.first, t.lines)} / ${percent(t.listed, t.lines)}`)
        .join(', ')}. Many open invoices share a name and a course price, so a learner paying without a reference often cannot be told apart.`,
    ],
  };
}
