/**
 * axe-core on every page a learner or a staff member can reach, in a real browser (Debian's
 * Chromium, driven by playwright-core), at a desk (1280 px) and on a phone (390 px). Learner pages
 * are checked in every language the portal speaks. The invoices behind the pages are put in each
 * state through the front door (test/helpers/factories.ts) before the browser opens anything, so
 * the browser only visits and checks. The test fails listing every violation: page, width, rule,
 * element.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { COMMAND_LINE_ACTOR } from '../../src/commands/actors.js';
import { importStatement } from '../../src/commands/statements.js';
import { LANGUAGES } from '../../src/i18n.js';
import { FakeOpenLearning } from '../helpers/fake-openlearning.js';
import { issuedInvoice, joinClass, learnerClaims, paidInvoice, paymentForm, recordPaymentAsStaff, type IssuedInvoice } from '../helpers/factories.js';
import { startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { ADMIN, signIn, type StaffBrowser } from '../helpers/staff.js';
import { FakeClock } from '../helpers/clock.js';

const CHROMIUM = '/usr/bin/chromium';
const WIDTHS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
];
// WCAG 2.1 A and AA, and axe's best practices (landmarks, one main heading, heading order...).
const RULE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  page: string;
  width: number;
  rule: string;
  impact: string;
  help: string;
  target: string;
}

let t: TestPortal;
let ol: FakeOpenLearning;
let staff: StaffBrowser;
let browser: BrowserContext;
/** Two tabs of the one browser check pages side by side. */
let pages: Page[];
const violations: Violation[] = [];

/** Learner URLs by what they show; filled before the browser starts. */
const learner: Record<string, string> = {};
/** Staff URLs by what they show. */
const desk: Record<string, string> = {};

function withLanguage(path: string, language: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(language)}`;
}

/** Runs axe on the page as it is now, at each width; every violation is kept with where it was seen. */
async function check(page: Page, label: string): Promise<void> {
  for (const viewport of WIDTHS) {
    await page.setViewportSize(viewport);
    const found = (await page.evaluate(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(RULE_TAGS)} }, resultTypes: ['violations'] })
        .then((r) => r.violations.map((v) => ({ rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`,
    )) as { rule: string; impact: string; help: string; targets: string[] }[];
    for (const v of found)
      for (const target of v.targets) violations.push({ page: label, width: viewport.width, rule: v.rule, impact: v.impact, help: v.help, target });
  }
}

async function visit(page: Page, path: string, label: string, expectedStatus = 200): Promise<void> {
  const response = await page.goto(`${t.url}${path}`);
  const logged = () => JSON.stringify(t.logs.filter((l) => l.msg === 'request failed').at(-1)?.err);
  expect(response?.status(), `${label}: ${path} (last error logged: ${logged()})`).toBe(expectedStatus);
  await check(page, label);
}

/** Submits a form built in the page (for pages that only a POST shows), then checks the result. */
async function postAndCheck(page: Page, action: string, fields: Record<string, string>, label: string): Promise<void> {
  await Promise.all([
    page.waitForNavigation(),
    page.evaluate(
      `(() => { const f = document.createElement('form'); f.method = 'post'; f.action = ${JSON.stringify(action)};
        for (const [k, v] of Object.entries(${JSON.stringify(fields)})) { const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.append(i); }
        document.body.append(f); f.submit(); })()`,
    ),
  ]);
  await check(page, label);
}

/** Runs the jobs on the browser's tabs, each tab taking the next job when it is free. */
async function inTabs(jobs: ((page: Page) => Promise<void>)[]): Promise<void> {
  const queue = [...jobs];
  await Promise.all(
    pages.map(async (page) => {
      for (let job = queue.shift(); job; job = queue.shift()) await job(page);
    }),
  );
}

async function signInInBrowser(page: Page): Promise<void> {
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Fails listing every violation seen since the last call. */
function expectNoViolations(): void {
  const report = violations.splice(0).map((v) => `${v.page} @ ${v.width}px: ${v.rule} (${v.impact}: ${v.help}) at ${v.target}`);
  expect(report, `${report.length} accessibility violations:\n${report.join('\n')}`).toEqual([]);
}

async function cancelAsStaff(invoice: IssuedInvoice, reason = 'Duplicate order'): Promise<void> {
  const response = await staff.post(`/admin/invoices/${invoice.id}/cancel`, { reason });
  expect(response.status, 'cancel').toBe(303);
  await t.idle();
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  ol = await new FakeOpenLearning().start();
  // No SMTP_URL: emails are captured and shown under Emails (and every desk page warns about it).
  t = await startTestPortal({
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, OPENLEARNING_API_URL: ol.apiUrl },
    clock: new FakeClock('2026-11-02T01:00:00.000Z'),
  });

  // Pages from the past first: an invoice left to expire and a billing link left unused.
  const expired = await issuedInvoice(t);
  const staleBilling = await joinClass(t, learnerClaims());
  t.clock.advanceDays(t.config.invoice.expiryDays + 1);
  await t.portal.runner.run('expire-invoices');
  staff = await signIn(t);

  const awaiting = await issuedInvoice(t, { billing: { organisation: 'Exemple Formation SARL', address: '1 rue de la Paix\n75002 Paris', country: 'FR' } });
  const partial = await issuedInvoice(t);
  expect((await recordPaymentAsStaff(staff, partial.id, { amount: '500.00' })).status).toBe(303);
  const enrolled = await paidInvoice(t, staff);
  ol.respondWith({ kind: 'answer', status: 503, body: { detail: 'Service unavailable' } });
  const enrolling = await paidInvoice(t, staff);
  ol.respondWith({ kind: 'answer', status: 400, body: { detail: 'Class is full' } });
  const failed = await paidInvoice(t, staff);
  const cancelled = await issuedInvoice(t);
  await cancelAsStaff(cancelled);
  // Cancelled after a payment: a credit note, and money to refund.
  const cancelledPaid = await issuedInvoice(t);
  expect((await recordPaymentAsStaff(staff, cancelledPaid.id, { amount: '200.00' })).status).toBe(303);
  await cancelAsStaff(cancelledPaid, 'Course moved to next year');
  const overpaid = await issuedInvoice(t);
  expect((await recordPaymentAsStaff(staff, overpaid.id, { amount: '1150.00' })).status).toBe(303);
  const refund = await staff.post(`/admin/invoices/${overpaid.id}/refunds`, {
    amount: '50.00',
    effectiveOn: t.clock.now().toISOString().slice(0, 10),
    method: 'bank_transfer',
    payeeName: 'Zoë Müller',
    payeeIban: '',
    payeeBic: '',
    payeeBsb: '062-000',
    payeeAccount: '12345678',
    reason: 'Overpayment',
    idempotencyKey: (await (await staff.get(`/admin/invoices/${overpaid.id}/refund`)).text()).match(/name="idempotencyKey" value="([^"]+)"/)![1]!,
  });
  expect(refund.status, await refund.clone().text()).toBe(303);
  await t.idle();
  const unpaid = await issuedInvoice(t);

  // A bank statement: one credit quoting a reference, one with nothing to match, one debit.
  const csv = [
    'Buchungstag;Valutadatum;Buchungstext;Verwendungszweck;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;Betrag;Waehrung',
    `11.11.2026;11.11.2026;GUTSCHRIFT;Course fee ${unpaid.reference};Jane Payer;DE89370400440532013000;1.100,00;AUD`,
    `11.11.2026;11.11.2026;GUTSCHRIFT;Transfer;Someone Else;DE02120300000000202051;250,00;AUD`,
    `11.11.2026;11.11.2026;LASTSCHRIFT;Rent;Landlord Pty;DE02120300000000202051;-500,00;AUD`,
  ].join('\r\n');
  const { summary } = importStatement(t.portal.deps, COMMAND_LINE_ACTOR, {
    bytes: Buffer.from(csv),
    fileName: 'statement.csv',
    format: 'csv',
    csvProfile: 'generic',
  });
  expect(summary).toMatchObject({ credits: 2, exact: 1, unmatched: 1 });
  const statementId = summary.statement;
  const unmatchedLine = (
    t.portal.deps.db.prepare("SELECT id FROM statement_lines WHERE statement_id = ? AND remittance LIKE '%Transfer%'").get(statementId) as { id: number }
  ).id;
  await t.idle();

  const billing = await joinClass(t, learnerClaims());
  Object.assign(learner, {
    'billing form': billing,
    confirmation: `${awaiting.statusPath}/confirmation`,
    'invoice awaiting payment (organisation)': awaiting.statusPath,
    'invoice partially paid': partial.statusPath,
    'invoice enrolled': enrolled.statusPath,
    'invoice paid, enrolling': enrolling.statusPath,
    'invoice paid, enrolment failed': failed.statusPath,
    'invoice expired': expired.statusPath,
    'invoice cancelled': cancelled.statusPath,
    'invoice cancelled with credit note': cancelledPaid.statusPath,
    'error: expired billing link': staleBilling,
    'error: unknown invoice link': '/i/this-link-does-not-exist',
    'error: enrolment URL opened directly': '/enrol',
  });
  Object.assign(desk, {
    'invoice partially paid': `/admin/invoices/${partial.id}`,
    'invoice enrolled': `/admin/invoices/${enrolled.id}`,
    'invoice enrolment failed': `/admin/invoices/${failed.id}`,
    'invoice cancelled with money to refund': `/admin/invoices/${cancelledPaid.id}`,
    'invoice overpaid and refunded': `/admin/invoices/${overpaid.id}`,
    'payment form': `/admin/invoices/${unpaid.id}/payment`,
    'refund form': `/admin/invoices/${cancelledPaid.id}/refund`,
    refunds: '/admin/refunds',
    exports: '/admin/exports',
    statements: '/admin/statements',
    statement: `/admin/statements/${statementId}`,
    'statement line': `/admin/statements/${statementId}/lines/${unmatchedLine}`,
    staff: '/admin/staff',
    account: '/admin/account',
    audit: '/admin/audit',
    emails: '/admin/mail',
  });
  expect((await paymentForm(staff, unpaid.id)).amount).toBe('1100.00');

  browser = await chromium.launchPersistentContext(tempDir('chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: WIDTHS[0],
  });
  // axe-core in every document the browser opens, before the page's own code (CSP does not apply to it).
  await browser.addInitScript({ content: AXE_SOURCE });
  pages = [browser.pages()[0] ?? (await browser.newPage()), await browser.newPage()];
  for (const page of pages) page.setDefaultTimeout(15_000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await ol?.stop();
});

test('every learner page passes axe in every language, at 1280 and 390 px', async () => {
  const jobs = LANGUAGES.flatMap((language) => {
    // Pages reached by a POST have no query string: the browser's language chooses for them.
    const inLanguage = (job: (page: Page) => Promise<void>) => async (page: Page) => {
      await page.setExtraHTTPHeaders({ 'Accept-Language': language });
      await job(page);
    };
    return [
      ...Object.entries(learner).map(([what, path]) =>
        inLanguage(async (page) => {
          const status = what === 'error: unknown invoice link' ? 404 : what === 'error: expired billing link' ? 410 : what.startsWith('error:') ? 400 : 200;
          await visit(page, withLanguage(path, language), `${what} [${language}]`, status);
          if (what === 'billing form') {
            // Sent empty: the form comes back with its error summary.
            await Promise.all([page.waitForNavigation(), page.click('#billing-form .button--primary')]);
            await page.locator('.alert--error').waitFor();
            await check(page, `billing form with errors [${language}]`);
          }
        }),
      ),
      inLanguage(async (page) => {
        await page.goto(`${t.url}${withLanguage('/enrol', language)}`);
        await postAndCheck(page, '/enrol', { jwt: 'not-a-token' }, `error: token refused [${language}]`);
      }),
      inLanguage((page) => visit(page, withLanguage('/no-such-page', language), `error: page not found [${language}]`, 404)),
    ];
  });
  await inTabs(jobs);
  for (const page of pages) await page.setExtraHTTPHeaders({});
  expectNoViolations();
}, 240_000);

test('every staff page passes axe at 1280 and 390 px', async () => {
  const [page] = pages as [Page];
  await visit(page, '/admin/login', 'staff: sign-in');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.locator('.alert--error').waitFor();
  await check(page, 'staff: sign-in refused');
  await signInInBrowser(page);

  const tabs = await page.$$eval('.tabs a', (links) => links.map((a) => a.getAttribute('href')!));
  expect(tabs.length).toBeGreaterThan(5);
  await page.goto(`${t.url}/admin/mail`);
  const invoiceEmail = await firstInvoiceEmailLink(page);
  await inTabs([
    ...tabs.map((tab) => (p: Page) => visit(p, tab, `staff: invoice list ${tab}`)),
    ...Object.entries(desk).map(
      ([what, path]) =>
        (p: Page) =>
          visit(p, path, `staff: ${what}`),
    ),
    (p) => visit(p, invoiceEmail!, 'staff: email'),
    async (p) => {
      await p.goto(`${t.url}${desk['payment form']}`);
      await p.getByLabel(/Amount/).fill('eleven hundred');
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: /Record payment/ }).click()]);
      await p.locator('[aria-invalid=true]').first().waitFor();
      await check(p, 'staff: payment form with errors');
    },
  ]);
  expectNoViolations();
}, 240_000);

test('a captured email is shown whole: its frame grows to the email, at a desk and on a phone', async () => {
  const [page] = pages as [Page];
  await page.goto(`${t.url}/admin/mail`);
  if (page.url().includes('/admin/login')) {
    await signInInBrowser(page);
    await page.goto(`${t.url}/admin/mail`);
  }
  const invoiceEmail = await firstInvoiceEmailLink(page);
  await page.goto(`${t.url}${invoiceEmail!}`);
  const measure = `(() => { const f = document.querySelector('iframe.mail-html'); const root = f.contentDocument.documentElement;
    return { frame: f.clientHeight, email: Math.ceil(root.getBoundingClientRect().height), scrolls: root.scrollHeight > f.clientHeight }; })()`;
  for (const viewport of WIDTHS) {
    await page.setViewportSize(viewport);
    // Nothing scrolls inside the frame: it is exactly as tall as the email.
    await expect
      .poll(
        async () => {
          const { frame, email, scrolls } = (await page.evaluate(measure)) as { frame: number; email: number; scrolls: boolean };
          return { fits: frame === email && !scrolls, frame, email };
        },
        { message: `the email frame at ${viewport.width} px` },
      )
      .toMatchObject({ fits: true });
    // A whole invoice email, taller than the 30rem (480 px) the preview used to stop at.
    expect(((await page.evaluate(measure)) as { email: number }).email, `email height at ${viewport.width} px`).toBeGreaterThan(600);
  }
});

/** The link to the first captured invoice email on the staff mail page the browser is showing. */
function firstInvoiceEmailLink(page: Page): Promise<string | null> {
  return page
    .locator('main')
    .getByRole('link', { name: /^Invoice / })
    .first()
    .getAttribute('href');
}
