/**
 * Bank statements through the finance desk and the command line: upload a statement (multipart,
 * with the CSRF token), review each credit beside its invoice, record the exact matches in one
 * click, settle the rest by hand. The statements are written here from templates shaped like the
 * banks' files (camt.053 in several versions and namespaces, MT940, a Latin-1 CSV), with the
 * references of invoices this test issues.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeOpenLearning } from '../helpers/fake-openlearning.js';
import { baseEnv, pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { runCli } from '../helpers/cli.js';
import { ADMIN, addStaff, signIn, type StaffBrowser } from '../helpers/staff.js';
import { issuedInvoice, recordPaymentAsStaff, type IssuedInvoice } from '../helpers/factories.js';

let ol: FakeOpenLearning;
let t: TestPortal;
let staff: StaffBrowser;
let env: Record<string, string | undefined>;

const EXTRA_ENV = { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PAYMENT_TOLERANCE: '1.00' };

beforeAll(async () => {
  ol = await new FakeOpenLearning().start();
  t = await startTestPortal({ env: { ...EXTRA_ENV, OPENLEARNING_API_URL: ol.apiUrl } });
  env = baseEnv(t.port, t.dataDir, { ...EXTRA_ENV, OPENLEARNING_API_URL: ol.apiUrl });
  staff = await signIn(t);
});
afterAll(async () => {
  await t?.close();
  await ol?.stop();
});

// ---- Statement templates -------------------------------------------------------------------------

interface Entry {
  amount: string;
  currency?: string;
  debit?: boolean;
  reversal?: boolean;
  ref?: string;
  text?: string[];
  structured?: string;
  payer?: string;
  payerIban?: string;
  /** A batch booking: one entry, one TxDtls per payment. */
  batch?: { amount: string; text: string; payer: string }[];
}

let fileCounter = 0;

function camt053(
  entries: Entry[],
  options: {
    version?: '02' | '04' | '08';
    prefix?: string;
    noNamespace?: boolean;
    notification?: boolean;
    iban?: string;
    opening?: string;
    closing?: string;
    balanceDates?: [string, string];
  } = {},
): string {
  const version = options.version ?? '08';
  const p = options.prefix ? `${options.prefix}:` : '';
  const ns = options.prefix ? `xmlns:${options.prefix}` : 'xmlns';
  const message = options.notification ? '054' : '053';
  const root = options.noNamespace ? '' : ` ${ns}="urn:iso:std:iso:20022:tech:xsd:camt.${message}.001.${version}"`;
  const iban = options.iban ?? 'DE75512108001245126199';
  const el = (name: string, inner: string, attrs = '') => `<${p}${name}${attrs}>${inner}</${p}${name}>`;
  const tx = (amount: string, currency: string, text: string[], payer: string | undefined, payerIban: string | undefined, structured?: string) =>
    el(
      'TxDtls',
      el('Refs', el('EndToEndId', 'NOTPROVIDED')) +
        el('Amt', amount, ` Ccy="${currency}"`) +
        (payer
          ? el(
              'RltdPties',
              el('Dbtr', version === '02' ? el('Nm', payer) : el('Pty', el('Nm', payer))) + (payerIban ? el('DbtrAcct', el('Id', el('IBAN', payerIban))) : ''),
            )
          : '') +
        el(
          'RmtInf',
          text.map((line) => el('Ustrd', line)).join('') +
            (structured ? el('Strd', el('CdtrRefInf', el('Tp', el('CdOrPrtry', el('Cd', 'SCOR'))) + el('Ref', structured))) : ''),
        ),
    );
  const balance = (code: string, amount: string, date: string) =>
    el('Bal', el('Tp', el('CdOrPrtry', el('Cd', code))) + el('Amt', amount, ' Ccy="AUD"') + el('CdtDbtInd', 'CRDT') + el('Dt', el('Dt', date)));
  const ntry = (entry: Entry, i: number) => {
    const currency = entry.currency ?? 'AUD';
    const details = entry.batch
      ? entry.batch.map((b) => tx(b.amount, currency, [b.text], b.payer, undefined)).join('')
      : tx(entry.amount, currency, entry.text ?? [], entry.payer, entry.payerIban, entry.structured);
    return el(
      'Ntry',
      el('NtryRef', entry.ref ?? `E${fileCounter}-${i}`) +
        el('Amt', entry.amount, ` Ccy="${currency}"`) +
        el('CdtDbtInd', entry.debit ? 'DBIT' : 'CRDT') +
        (entry.reversal ? el('RvslInd', 'true') : '') +
        el('Sts', version === '02' ? 'BOOK' : el('Cd', 'BOOK')) +
        el('BookgDt', el('Dt', '2026-11-25')) +
        el('ValDt', el('Dt', '2026-11-25')) +
        el('AcctSvcrRef', `BANK-${entry.ref ?? `${fileCounter}-${i}`}`) +
        el('NtryDtls', entry.batch ? el('Btch', el('NbOfTxs', String(entry.batch.length))) + details : details),
    );
  };
  fileCounter++;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${p}Document${root}>` +
    el(
      options.notification ? 'BkToCstmrDbtCdtNtfctn' : 'BkToCstmrStmt',
      el('GrpHdr', el('MsgId', `MSG-${fileCounter}`) + el('CreDtTm', '2026-11-26T05:00:00+11:00')) +
        el(
          options.notification ? 'Ntfctn' : 'Stmt',
          el('Id', `STMT-${fileCounter}`) +
            el('CreDtTm', '2026-11-26T05:00:00+11:00') +
            el('Acct', el('Id', el('IBAN', iban)) + el('Ccy', 'AUD')) +
            (options.opening ? balance('OPBD', options.opening, options.balanceDates?.[0] ?? '2026-11-24') : '') +
            (options.closing ? balance('CLBD', options.closing, options.balanceDates?.[1] ?? '2026-11-25') : '') +
            entries.map(ntry).join(''),
        ),
    ) +
    `</${p}Document>`
  );
}

const spaced = (reference: string) => `${reference.slice(0, 4)} ${reference.slice(4, 8)} ${reference.slice(8)}`;

async function upload(
  content: string | Buffer,
  options: { fileName?: string; format?: string; csvProfile?: string; csrf?: string | null } = {},
): Promise<Response> {
  const form = new FormData();
  if (options.csrf !== null) form.set('_csrf', options.csrf ?? staff.csrf);
  form.set('format', options.format ?? 'auto');
  form.set('csvProfile', options.csvProfile ?? 'generic');
  form.set('statement', new Blob([content]), options.fileName ?? 'statement.xml');
  return fetch(`${t.url}/admin/statements`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: staff.cookie, origin: t.url } });
}

async function uploaded(content: string | Buffer, options: Parameters<typeof upload>[1] = {}): Promise<{ id: number; html: string }> {
  const response = await upload(content, options);
  expect(response.status, await response.clone().text()).toBe(303);
  const id = Number(/\/admin\/statements\/(\d+)/.exec(response.headers.get('location')!)![1]);
  return { id, html: await (await staff.get(`/admin/statements/${id}`)).text() };
}

function invoiceRow(id: number) {
  return t.portal.deps.db
    .prepare('SELECT status, paid_minor AS paidMinor, written_off_minor AS writtenOffMinor, total_minor AS totalMinor FROM invoices WHERE id = ?')
    .get(id) as { status: string; paidMinor: number; writtenOffMinor: number; totalMinor: number };
}

function paymentEntries(invoiceId: number) {
  return t.portal.deps.db
    .prepare(
      `SELECT kind, amount_minor AS amountMinor, statement_line_id AS statementLineId, payer_name AS payerName, payer_iban AS payerIban,
         bank_reference AS bankReference, effective_on AS effectiveOn, actor FROM ledger_entries WHERE invoice_id = ? ORDER BY id`,
    )
    .all(invoiceId) as {
    kind: string;
    amountMinor: number;
    statementLineId: number | null;
    payerName: string | null;
    payerIban: string | null;
    bankReference: string | null;
    effectiveOn: string;
    actor: string;
  }[];
}

/** The review page's section for one group, as text. */
function section(html: string, title: string): string {
  const match = new RegExp(`<h2 id="group-[a-z_]+">${title} \\(\\d+\\)</h2>([\\s\\S]*?)</section>`).exec(html);
  return match ? pageText(match[1]!) : '';
}

function lineIdFor(statementId: number, text: string): number {
  return (
    t.portal.deps.db.prepare('SELECT id FROM statement_lines WHERE statement_id = ? AND remittance LIKE ?').get(statementId, `%${text}%`) as { id: number }
  ).id;
}

// ---- Tests ------------------------------------------------------------------------------------------

describe('uploading a camt.053 statement and confirming the exact matches in one click', () => {
  let paid: IssuedInvoice;
  let partial: IssuedInvoice;
  let writeOff: IssuedInvoice;
  let statementId: number;
  let html: string;

  beforeAll(async () => {
    ol.reset();
    paid = await issuedInvoice(t);
    partial = await issuedInvoice(t);
    writeOff = await issuedInvoice(t);
    const statement = camt053(
      [
        { ref: 'A1', amount: '1100.00', text: [`Course fee ${spaced(paid.reference)}`], payer: 'Ada Lovelace', payerIban: 'GB29NWBK60161331926819' },
        { ref: 'A2', amount: '600.00', text: [`Invoice ${partial.number}`], payer: 'Partial Payer' },
        { ref: 'A3', amount: '1099.50', text: [], structured: writeOff.reference, payer: 'Fee Deducted' },
        { ref: 'A4', amount: '1100.00', currency: 'EUR', text: [`${paid.reference}`], payer: 'Euro Payer' },
        { ref: 'A5', amount: '45.00', debit: true, text: ['Bank fees November'] },
        { ref: 'A6', amount: '200.00', reversal: true, text: ['Returned transfer'] },
      ],
      { opening: '1000.00', closing: '4000.00' },
    );
    ({ id: statementId, html } = await uploaded(statement, { fileName: 'camt053-november.xml' }));
  });

  test('the page has the file field labelled "Bank statement file" and the Statements link in the nav', async () => {
    const page = await (await staff.get('/admin/statements')).text();
    expect(page).toMatch(/<label for="statement">Bank statement file<\/label>/);
    expect(page).toContain('enctype="multipart/form-data"');
    expect(page).toMatch(/<a href="\/admin\/statements" aria-current="page">Statements<\/a>/);
  });

  test('the review page groups the lines and shows why each matched', () => {
    const exact = section(html, 'Exact matches');
    expect(exact).toContain(paid.number);
    expect(exact).toContain('Ada Lovelace');
    expect(exact).toContain(writeOff.number);
    expect(exact).toMatch(/Write off AUD\s?0\.50/);
    expect(section(html, 'Amount differs')).toContain(partial.number);
    expect(section(html, 'Amount differs')).toMatch(/500\.00 less than the balance/);
    // The euro transfer names the invoice, but another currency is never matched automatically.
    expect(section(html, 'Exact matches')).not.toContain('Euro Payer');
    expect(pageText(html)).toContain('Euro Payer');
    expect(section(html, 'Ignored')).toContain('Bank fees November');
    expect(section(html, 'Ignored')).toContain('Returned transfer');
    // Opening 1000 + credits − debits does not make the stated closing balance.
    expect(pageText(html)).toContain('The balances do not add up');
    expect(html).toContain('Record all exact matches');
  });

  test('"Record all exact matches" records them with the same command as a manual payment, keeping the line and the payer', async () => {
    const response = await staff.post(`/admin/statements/${statementId}/record-exact`, {});
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/admin/statements/${statementId}?recorded=2&skipped=0`);
    await t.idle();

    expect(invoiceRow(paid.id).status).toBe('enrolled');
    const [payment] = paymentEntries(paid.id);
    expect(payment).toMatchObject({
      kind: 'payment',
      amountMinor: 110000,
      payerName: 'Ada Lovelace',
      payerIban: 'GB29NWBK60161331926819',
      bankReference: 'BANK-A1',
      effectiveOn: '2026-11-25',
    });
    expect(payment!.statementLineId).toBe(lineIdFor(statementId, 'Course fee'));
    expect(payment!.actor).toMatch(/^staff:\d+$/);
    expect(ol.enrolmentCalls().length).toBeGreaterThanOrEqual(2);

    // Short by 0.50, within PAYMENT_TOLERANCE: paid, with the difference written off.
    expect(invoiceRow(writeOff.id)).toMatchObject({ paidMinor: 109950, writtenOffMinor: 50 });
    expect(['paid', 'enrolled']).toContain(invoiceRow(writeOff.id).status);
    // The line whose amount differs waits for a person.
    expect(invoiceRow(partial.id).status).toBe('awaiting_payment');

    const timeline = pageText(await (await staff.get(`/admin/invoices/${paid.id}`)).text());
    expect(timeline).toMatch(/Payment of AUD\s?1,100\.00 received 2026-11-25 recorded by admin@example\.edu/);

    const after = await (await staff.get(`/admin/statements/${statementId}`)).text();
    expect(section(after, 'Recorded')).toContain(paid.number);
    expect(section(after, 'Exact matches')).toBe('');

    // The accountant's payments export names the statement line each payment came from.
    const exported = await (await staff.get('/admin/exports/payments.csv?from=2026-11-25&to=2026-11-25')).text();
    const line = exported.split('\n').find((l) => l.includes(paid.number))!;
    expect(line).toContain('Ada Lovelace');
    expect(line).toContain(`,BANK-A1,"Statement ${statementId}, Stmt 1, Ntry 1",`);
  });

  test('confirming twice records nothing twice', async () => {
    const again = await staff.post(`/admin/statements/${statementId}/record-exact`, {});
    expect(again.headers.get('location')).toBe(`/admin/statements/${statementId}?recorded=0&skipped=0`);
    const lineId = lineIdFor(statementId, 'Course fee');
    expect((await staff.post(`/admin/statements/${statementId}/lines/${lineId}/record`, {})).status).toBe(303);
    expect(paymentEntries(paid.id).filter((e) => e.kind === 'payment')).toHaveLength(1);
  });

  test('"Record payment" on the line whose amount differs records its amount and date on the invoice', async () => {
    const lineId = lineIdFor(statementId, partial.number);
    expect((await staff.post(`/admin/statements/${statementId}/lines/${lineId}/record`, {})).status).toBe(303);
    expect(invoiceRow(partial.id)).toMatchObject({ status: 'partially_paid', paidMinor: 60000 });
    expect(paymentEntries(partial.id)[0]).toMatchObject({ effectiveOn: '2026-11-25', payerName: 'Partial Payer' });
  });

  test('the euro line cannot be recorded on the AUD invoice, and can be marked "Not ours"', async () => {
    const lineId = lineIdFor(statementId, paid.reference);
    const refused = await staff.post(`/admin/statements/${statementId}/lines/${lineId}/assign`, { invoiceIds: String(partial.id) });
    expect(refused.status).toBe(409);
    expect(pageText(await refused.text())).toContain('The payment is in another currency');
    expect((await staff.post(`/admin/statements/${statementId}/lines/${lineId}/not-ours`, {})).status).toBe(303);
    const after = await (await staff.get(`/admin/statements/${statementId}`)).text();
    expect(section(after, 'Not ours')).toContain('Euro Payer');
  });
});

describe('uploads are checked', () => {
  test('an upload without the CSRF token is refused and stores nothing', async () => {
    const before = t.count('statements');
    const response = await upload(camt053([{ amount: '10.00', text: ['x'] }]), { csrf: null });
    expect(response.status).toBe(403);
    expect(t.count('statements')).toBe(before);
    const wrong = await upload(camt053([{ amount: '10.00', text: ['x'] }]), { csrf: 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect(t.count('statements')).toBe(before);
  });

  test('an upload from another site is refused, token or not', async () => {
    const form = new FormData();
    form.set('_csrf', staff.csrf);
    form.set('statement', new Blob([camt053([{ amount: '10.00', text: ['x'] }])]), 'x.xml');
    const response = await fetch(`${t.url}/admin/statements`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { cookie: staff.cookie, origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
  });

  test('an upload without a session is refused before the file is read', async () => {
    const form = new FormData();
    form.set('statement', new Blob(['<Document/>']), 'x.xml');
    const response = await fetch(`${t.url}/admin/statements`, { method: 'POST', body: form, redirect: 'manual', headers: { origin: t.url } });
    expect(response.status).toBe(401);
  });

  test('a file over 10 MB is refused', async () => {
    const before = t.count('statements');
    const response = await upload(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    expect(response.status).toBe(413);
    expect(t.count('statements')).toBe(before);
  });

  test('each import is in the audit log', async () => {
    const audit = pageText(await (await staff.get('/admin/audit')).text());
    expect(audit).toMatch(/admin@example\.edu imported the bank statement camt053-november\.xml \(camt\.053\.001\.08\): 6 lines, 4 new credits/);
  });

  test('a damaged file gets a message naming the element and the problem, and nothing of it is stored', async () => {
    const before = { statements: t.count('statements'), lines: t.count('statement_lines') };
    const broken = camt053([{ amount: '11OO.00', text: ['typo in the amount'] }]);
    const response = await upload(broken);
    expect(response.status).toBe(422);
    const text = pageText(await response.text());
    expect(text).toContain('This bank statement could not be read');
    expect(text).toMatch(/Ntry 1.*11OO\.00/);
    expect({ statements: t.count('statements'), lines: t.count('statement_lines') }).toEqual(before);
  });

  test('the same file again is refused, naming the earlier import; an overlapping statement skips the lines already imported', async () => {
    const invoice = await issuedInvoice(t);
    const later = await issuedInvoice(t);
    const first = camt053([{ ref: 'OV1', amount: '1100.00', text: [invoice.reference], payer: 'Overlap One' }], { iban: 'DE02120300000000202051' });
    const { id } = await uploaded(first);
    const again = await upload(first);
    expect(again.status).toBe(409);
    const text = pageText(await again.text());
    expect(text).toContain('This statement was imported before');
    expect(text).toContain(`as statement ${id}`);

    const overlapping = camt053(
      [
        { ref: 'OV1', amount: '1100.00', text: [invoice.reference], payer: 'Overlap One' },
        { ref: 'OV2', amount: '1100.00', text: [later.reference], payer: 'Overlap Two' },
      ],
      { iban: 'DE02120300000000202051' },
    );
    const { id: second } = await uploaded(overlapping);
    const row = t.portal.deps.db.prepare('SELECT lines_in_file AS lines, duplicate_lines AS duplicates FROM statements WHERE id = ?').get(second);
    expect(row).toEqual({ lines: 2, duplicates: 1 });
    await staff.post(`/admin/statements/${id}/record-exact`, {});
    await staff.post(`/admin/statements/${second}/record-exact`, {});
    expect(paymentEntries(invoice.id).filter((e) => e.kind === 'payment')).toHaveLength(1);
    expect(paymentEntries(later.id).filter((e) => e.kind === 'payment')).toHaveLength(1);
  });

  test('a statement that does not open where the account’s previous one closed is reported', async () => {
    const iban = 'FR1420041010050500013M02606';
    await uploaded(camt053([{ amount: '5.00', text: ['interest'] }], { iban, opening: '100.00', closing: '105.00' }));
    const { html } = await uploaded(
      camt053([{ amount: '7.00', text: ['more interest'] }], { iban, opening: '150.00', closing: '157.00', balanceDates: ['2026-11-25', '2026-11-26'] }),
    );
    expect(pageText(html)).toMatch(/a statement may be missing between them/);
  });
});

describe('references, suggestions and picking by hand', () => {
  test('prefixed camt.053.001.04 with a batch booking splits it into one payment per invoice', async () => {
    const one = await issuedInvoice(t);
    const two = await issuedInvoice(t);
    const { id } = await uploaded(
      camt053(
        [
          {
            amount: '2200.00',
            batch: [
              { amount: '1100.00', text: `Ref ${one.reference}`, payer: 'Batch One' },
              { amount: '1100.00', text: `Ref ${two.reference}`, payer: 'Batch Two' },
            ],
          },
        ],
        { version: '04', prefix: 'camt' },
      ),
    );
    await staff.post(`/admin/statements/${id}/record-exact`, {});
    expect(invoiceRow(one.id).paidMinor).toBe(110000);
    expect(invoiceRow(two.id).paidMinor).toBe(110000);
  });

  test('one transfer naming two invoices whose balances add up pays both', async () => {
    const one = await issuedInvoice(t);
    const two = await issuedInvoice(t);
    const { id } = await uploaded(camt053([{ amount: '2200.00', text: [`${one.number} and ${two.number}`], payer: 'Split Payer' }], { version: '02' }));
    await staff.post(`/admin/statements/${id}/record-exact`, {});
    expect(paymentEntries(one.id)[0]).toMatchObject({ amountMinor: 110000, payerName: 'Split Payer' });
    expect(paymentEntries(two.id)[0]).toMatchObject({ amountMinor: 110000, payerName: 'Split Payer' });
  });

  test('a reference of an invoice already paid is said so, and a mistyped one is only a suggestion', async () => {
    const invoice = await issuedInvoice(t);
    await recordPaymentAsStaff(staff, invoice.id);
    const typo = await issuedInvoice(t, { billing: { name: 'Grace Hopper' } });
    // The last check digit changed: not a valid reference, never an exact match.
    const mistyped = typo.reference.slice(0, 10) + String((Number(typo.reference[10]) + 1) % 10);
    const { id, html } = await uploaded(
      camt053([
        { amount: '1100.00', text: [`Paid again ${invoice.reference}`], payer: 'Paid Twice' },
        { amount: '1100.00', text: [`Ref ${spaced(mistyped)}`], payer: 'Grace Hopper' },
      ]),
    );
    expect(pageText(html)).toContain(`The payer gave the reference of ${invoice.number}, which is already paid.`);
    const suggested = section(html, 'Suggestions');
    expect(suggested).toContain(typo.number);
    expect(section(html, 'Exact matches')).toBe('');

    // Never auto-selected: "Record all" leaves it; the clerk confirms the suggestion.
    await staff.post(`/admin/statements/${id}/record-exact`, {});
    expect(invoiceRow(typo.id).paidMinor).toBe(0);
    const lineId = lineIdFor(id, 'Ref ');
    expect(html).toContain(`name="invoiceIds" value="${typo.id}"`);
    expect((await staff.post(`/admin/statements/${id}/lines/${lineId}/assign`, { invoiceIds: String(typo.id) })).status).toBe(303);
    expect(invoiceRow(typo.id).paidMinor).toBe(110000);
  });

  test('camt.054 notifications without a namespace: a reference cut short by the bank is only a suggestion, an expired invoice is reinstated', async () => {
    const cut = await issuedInvoice(t);
    const expired = await issuedInvoice(t);
    t.portal.deps.db.prepare("UPDATE invoices SET status = 'expired', expired_at = ? WHERE id = ?").run(t.clock.now().toISOString(), expired.id);
    const { id, html } = await uploaded(
      camt053(
        [
          { amount: '1100.00', text: [`Enrolment fee ref ${cut.reference.slice(0, 9)}`], payer: 'Cut Short' },
          { amount: '1100.00', text: [`Late payment ${expired.reference}`], payer: 'Late Payer' },
        ],
        { notification: true, noNamespace: true, version: '04' },
      ),
    );
    expect(section(html, 'Suggestions')).toContain(cut.number);
    expect(section(html, 'Suggestions')).toMatch(/cut by the bank/);
    expect(section(html, 'Exact matches')).toContain(expired.number);
    await staff.post(`/admin/statements/${id}/record-exact`, {});
    expect(invoiceRow(cut.id).paidMinor).toBe(0);
    expect(['paid', 'enrolled']).toContain(invoiceRow(expired.id).status);
  });

  test('a payment keeps its statement line: the ledger refuses to change the link or the payer’s account afterwards', () => {
    const entry = t.portal.deps.db.prepare('SELECT id FROM ledger_entries WHERE statement_line_id IS NOT NULL LIMIT 1').get() as { id: number };
    expect(() => t.portal.deps.db.prepare('UPDATE ledger_entries SET statement_line_id = NULL WHERE id = ?').run(entry.id)).toThrow(/never edited/);
    expect(() => t.portal.deps.db.prepare("UPDATE ledger_entries SET payer_iban = 'DE89370400440532013000' WHERE id = ?").run(entry.id)).toThrow(
      /never edited/,
    );
  });

  test('finance staff (not only admins) record all exact matches, with the write-off PAYMENT_TOLERANCE allows', async () => {
    await addStaff(t, 'finance.clerk@example.edu', 'finance');
    const clerk = await signIn(t, 'finance.clerk@example.edu', 'a long enough password');
    const invoice = await issuedInvoice(t);
    const { id } = await uploaded(camt053([{ amount: '1099.25', text: [invoice.reference], payer: 'Fee Taken' }]));
    const response = await clerk.post(`/admin/statements/${id}/record-exact`, {});
    expect(response.headers.get('location')).toBe(`/admin/statements/${id}?recorded=1&skipped=0`);
    expect(invoiceRow(invoice.id)).toMatchObject({ paidMinor: 109925, writtenOffMinor: 75 });
  });

  test('an unmatched line is matched by hand through the desk search, by the learner’s email', async () => {
    const invoice = await issuedInvoice(t, { billing: { name: 'Search Target', email: 'search.target@example.org' } });
    const { id } = await uploaded(camt053([{ amount: '300.00', text: ['transfer'], payer: 'Somebody Else' }]));
    const lineId = lineIdFor(id, 'transfer');
    const page = await (await staff.get(`/admin/statements/${id}/lines/${lineId}?q=${encodeURIComponent('search.target@example.org')}`)).text();
    expect(pageText(page)).toContain(invoice.number);
    expect((await staff.post(`/admin/statements/${id}/lines/${lineId}/assign`, { invoiceIds: String(invoice.id) })).status).toBe(303);
    expect(invoiceRow(invoice.id)).toMatchObject({ status: 'partially_paid', paidMinor: 30000 });
  });

  test('the refund form of an overpaid invoice is prefilled with the payer’s account from the statement', async () => {
    const invoice = await issuedInvoice(t);
    const { id } = await uploaded(camt053([{ amount: '1300.00', text: [invoice.reference], payer: 'Over Payer', payerIban: 'NL91ABNA0417164300' }]));
    const lineId = lineIdFor(id, invoice.reference);
    await staff.post(`/admin/statements/${id}/lines/${lineId}/record`, {});
    const form = await (await staff.get(`/admin/invoices/${invoice.id}/refund`)).text();
    expect(form).toMatch(/name="payeeIban"[^>]*value="NL91ABNA0417164300"/);
    expect(form).toMatch(/name="payeeName"[^>]*value="Over Payer"/);
  });
});

describe('CSV profiles', () => {
  test('a profile is saved by name after validation, and a bad one is refused with its problems', async () => {
    const bad = await staff.post('/admin/statements/profiles', { profileJson: '{"name":"mybank","header":false,"columns":{"date":"Datum","amount":1}}' });
    expect(bad.status).toBe(422);
    expect(pageText(await bad.text())).toMatch(/without a header row, columns are given by 0-based index/);
    const good = await staff.post('/admin/statements/profiles', {
      profileJson: JSON.stringify({
        name: 'mybank',
        header: false,
        delimiter: ';',
        decimal: ',',
        dateFormat: 'dd.mm.yyyy',
        currency: 'AUD',
        columns: { date: 0, description: 1, amount: 2 },
      }),
    });
    expect(good.status).toBe(303);
    const page = await (await staff.get('/admin/statements')).text();
    expect(page).toMatch(/<option value="mybank"[^>]*>mybank \(saved\)<\/option>/);
    const invoice = await issuedInvoice(t);
    const { id } = await uploaded(`25.11.2026;Kurs ${invoice.number};1.100,00\n`, { format: 'csv', csvProfile: 'mybank', fileName: 'mybank.csv' });
    await staff.post(`/admin/statements/${id}/record-exact`, {});
    expect(invoiceRow(invoice.id).paidMinor).toBe(110000);
  });
});

describe('the command line', () => {
  test('`statements import --json --confirm-exact` imports an MT940 file and records its exact matches', async () => {
    const invoice = await issuedInvoice(t);
    const mt940 = [
      '{1:F01COBADEFFAXXX0000000000}{2:O9400500260105COBADEFFAXXX00000000002601050500N}{4:',
      ':20:STARTUMSE',
      ':25:DE89370400440532013000',
      ':28C:00001/001',
      ':60F:C261124AUD1000,00',
      `:61:2611251125C1100,00NTRFNONREF//MT-${invoice.id}`,
      `:86:/EREF/NOTPROVIDED/REMI/USTD//${invoice.reference}/NAME/MT940 PAYER`,
      ':61:261125D15,50NCHGNONREF',
      ':86:Account fee',
      ':62F:C261125AUD2084,50',
      '-}',
    ].join('\r\n');
    const file = `${t.dataDir}/mt940-${invoice.id}.sta`;
    (await import('node:fs')).writeFileSync(file, mt940);
    const result = await runCli(['statements', 'import', file, '--json', '--confirm-exact'], env);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, number>;
    expect(Object.keys(summary)).toEqual([
      'statement',
      'lines',
      'credits',
      'ignored',
      'duplicates',
      'exact',
      'amountDiffers',
      'suggested',
      'unmatched',
      'recorded',
    ]);
    expect(summary).toMatchObject({ lines: 2, credits: 1, ignored: 1, duplicates: 0, exact: 1, amountDiffers: 0, suggested: 0, unmatched: 0, recorded: 1 });
    expect(invoiceRow(invoice.id).paidMinor).toBe(110000);
    expect(paymentEntries(invoice.id)[0]).toMatchObject({ actor: 'cli', payerName: 'MT940 PAYER' });

    const again = await runCli(['statements', 'import', file, '--json'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`This statement was imported before (statement.duplicate_file). The same file was imported on`);
    expect(again.stderr).toContain(`as statement ${summary.statement}`);
  });

  test('a German CSV with semicolons and decimal commas in Latin-1 is read with the generic profile', async () => {
    const invoice = await issuedInvoice(t);
    const csv = [
      'Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;Betrag;Waehrung',
      `25.11.2026;25.11.2026;GUTSCHRIFT;Gebühr ${invoice.reference};Jürgen Müller;DE89370400440532013000;1.100,00;AUD`,
      `25.11.2026;25.11.2026;LASTSCHRIFT;Miete;Vermieter GmbH;DE02120300000000202051;-500,00;AUD`,
    ].join('\r\n');
    const file = `${t.dataDir}/umsaetze-${invoice.id}.csv`;
    (await import('node:fs')).writeFileSync(file, iconv.encode(csv, 'latin1'));
    const result = await runCli(['statements', 'import', file, '--csv-profile', 'generic', '--json', '--confirm-exact'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ lines: 2, credits: 1, ignored: 1, exact: 1, recorded: 1 });
    expect(paymentEntries(invoice.id)[0]).toMatchObject({ payerName: 'Jürgen Müller', amountMinor: 110000 });
  });

  test('`statements profiles` lists the built-in profiles and the saved ones', async () => {
    const result = await runCli(['statements', 'profiles'], env);
    expect(result.code, result.stderr).toBe(0);
    for (const name of ['commbank', 'westpac', 'wise', 'generic']) expect(result.stdout).toMatch(new RegExp(`^${name} +built-in`, 'm'));
    expect(result.stdout).toMatch(/^mybank +saved/m);
  });

  test('a bad file exits 1 naming the line and the problem', async () => {
    const file = `${t.dataDir}/broken.csv`;
    (await import('node:fs')).writeFileSync(file, '01/11/2026,+11OO.00,"Transfer",100.00\n');
    const result = await runCli(['statements', 'import', file, '--csv-profile', 'commbank'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 1: amount "+11OO.00" is not an amount');
  });
});

describe('the manual path', () => {
  test('the desk search finds a partially paid invoice by its reference from the default tab', async () => {
    const invoice = await issuedInvoice(t);
    await recordPaymentAsStaff(staff, invoice.id, { amount: '100.00' });
    const html = await (await staff.get(`/admin?q=${encodeURIComponent(spaced(invoice.reference))}`)).text();
    const text = pageText(html);
    expect(text).not.toContain('No invoices match');
    expect(text).toContain(invoice.number);
    expect(text).toContain('Nothing in “Awaiting payment” matches');
    // Straight to the payment form from the result, without opening the invoice first.
    expect(html).toContain(`href="/admin/invoices/${invoice.id}/payment"`);
  });

  test('the payment amount accepts the format the invoice prints, and the date received defaults to the last one entered', async () => {
    const first = await issuedInvoice(t);
    const second = await issuedInvoice(t);
    const paid = await recordPaymentAsStaff(staff, first.id, { amount: '1,100.00', receivedOn: '2026-11-20' });
    expect(paid.status).toBe(303);
    expect(invoiceRow(first.id).paidMinor).toBe(110000);
    const cookie = paid.headers.getSetCookie().find((c) => c.startsWith('portal_received_on='))!;
    expect(cookie).toContain('portal_received_on=2026-11-20');
    const form = await (await t.get(`/admin/invoices/${second.id}/payment`, { headers: { cookie: `${staff.cookie}; ${cookie.split(';')[0]}` } })).text();
    expect(form).toMatch(/name="receivedOn" type="date" value="2026-11-20"/);
    expect(form).toMatch(/id="amount"[^>]*autofocus/);
    // A comma that is not a thousands separator is still refused.
    const refused = await recordPaymentAsStaff(staff, second.id, { amount: '1,10' });
    expect(refused.status).toBe(422);
  });

  test('a skip link leads past the navigation, and the search is focused on the desk’s first page', async () => {
    const html = await (await staff.get('/admin')).text();
    expect(html).toMatch(/<a class="skip-link" href="#main">Skip to main content<\/a>/);
    expect(html).toContain('<main id="main"');
    expect(html).toMatch(/<input id="q" name="q" type="search" value="" autofocus/);
  });
});
