/**
 * The first-run walk-through in a real browser (Debian's Chromium, driven by playwright-core)
 * against a sandbox server: join a class, fill the billing form by its labels, read the emailed
 * link, sign in as staff, find and pay the invoice, see the enrolment on the course page, and
 * follow the course link from the learner's email. Also checks phone width (375 px) and, with
 * `npm run screenshots`, saves the README screenshots. Clock and random bytes are fixed, so the screenshots come out the same.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { FakeClock } from '../helpers/clock.js';
import { SANDBOX_ENV, startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';

const CHROMIUM = '/usr/bin/chromium';
// `npm test` must never change tracked files: screenshots go to a scratch folder unless
// `npm run screenshots` asks for the README's (docs/screenshots) by setting SCREENSHOTS_DIR.
const SCREENSHOTS = process.env.SCREENSHOTS_DIR ? path.resolve(PROJECT_ROOT, process.env.SCREENSHOTS_DIR) : tempDir('screenshots-');
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };

/** Deterministic "random" bytes: the same references and passwords on every run. */
function seededRandomBytes(seed: string): (size: number) => Buffer {
  let counter = 0;
  return (size) => {
    const chunks: Buffer[] = [];
    while (Buffer.concat(chunks).length < size) chunks.push(createHash('sha256').update(`${seed}:${counter++}`).digest());
    return Buffer.concat(chunks).subarray(0, size);
  };
}

let t: TestPortal;
let browser: BrowserContext;
let adminPassword: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  t = await startTestPortal({
    env: { ...SANDBOX_ENV },
    clock: new FakeClock('2026-11-26T01:00:00.000Z'),
    port: 47310,
    overrides: { randomBytes: seededRandomBytes('readme-screenshots') },
  });
  adminPassword = String(t.logs.find((l) => String(l.msg).startsWith('staff account created'))?.msg).match(/with password (\S+) \(shown once\)/)![1]!;
  browser = await chromium.launchPersistentContext(tempDir('chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: PHONE,
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** The page must fit the viewport: nothing wider than the phone (no sideways scrolling). */
async function expectNoHorizontalScroll(page: Page) {
  // Evaluated in the page (a string, since this file is compiled without the DOM types).
  const widths = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as {
    scroll: number;
    client: number;
  };
  expect(widths.scroll, `${page.url()} is wider than the screen`).toBeLessThanOrEqual(widths.client);
}

/** Captured emails (no SMTP in sandbox mode), newest last. */
async function capturedMail(): Promise<ParsedMail[]> {
  const dir = path.join(t.config.dataDir, 'mail');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  return Promise.all(files.map((f) => simpleParser(fs.readFileSync(path.join(dir, f)))));
}

test('a first-time user walks the whole flow in a browser, on a phone and at a desk', async () => {
  const learner = await browser.newPage();
  learner.setDefaultTimeout(15_000);

  // 1. The demo course on "OpenLearning": Join now.
  await learner.goto(`${t.url}/sandbox`);
  await learner.getByText('Sandbox: no real payments or enrolments').first().waitFor();
  await expectNoHorizontalScroll(learner);
  await learner.getByRole('button', { name: 'Join now: Sydney cohort, March' }).click();

  // 2. The billing form, filled by its labels.
  await learner.waitForURL(/\/billing\//);
  await expectNoHorizontalScroll(learner);
  await learner.getByLabel('Full name').fill('Zoë Ωμέγα Иван 张伟');
  await learner.getByLabel('Email').fill('zoe@example.com');
  await learner.getByLabel('Organisation').fill('山田商事株式会社');
  await learner.getByLabel('Billing address').fill('1 Harbour Street\nSydney NSW 2000');
  await learner.getByLabel('Country').selectOption('AU');
  await learner.screenshot({ path: path.join(SCREENSHOTS, 'billing-form.png'), fullPage: true });
  await learner.getByRole('button', { name: 'Get my invoice' }).click();

  // 3. Confirmation.
  await learner.waitForURL(/\/confirmation$/);
  const confirmation = await learner.textContent('main');
  expect(confirmation).toContain('Your invoice SANDBOX-INV-000001 is ready');
  expect(confirmation).toContain('We emailed it to zoe@example.com');
  await expectNoHorizontalScroll(learner);
  const reference = (await learner.locator('.reference__value').textContent())!.trim();
  expect(reference).toMatch(/^\d{4} \d{4} \d{3}$/);

  // The PDF, as a picture for the README (pdftoppm renders page 1).
  const pdfUrl = await learner.getByRole('link', { name: 'Download invoice (PDF)' }).getAttribute('href');
  const pdf = Buffer.from(await (await fetch(`${t.url}${pdfUrl}`)).arrayBuffer());
  const pdfFile = path.join(tempDir('pdf-'), 'invoice.pdf');
  fs.writeFileSync(pdfFile, pdf);
  execFileSync('pdftoppm', ['-r', '80', '-f', '1', '-l', '1', '-png', '-singlefile', pdfFile, path.join(SCREENSHOTS, 'invoice-pdf')]);

  // 4. The emailed status link.
  await t.idle();
  const invoiceMail = (await capturedMail()).find((m) => m.subject?.startsWith('Invoice SANDBOX-INV-000001'))!;
  expect(invoiceMail.attachments.map((a) => a.filename)).toEqual(['SANDBOX-INV-000001.pdf']);
  const statusLink = invoiceMail.text!.match(/Your invoice and its status: (\S+)/)![1]!;
  await learner.goto(statusLink);
  expect(await learner.textContent('main')).toContain('Status: Awaiting payment');
  await expectNoHorizontalScroll(learner);

  // 5. Finance staff sign in, find the invoice by the reference on the bank statement, mark it paid.
  const desk = await browser.newPage();
  desk.setDefaultTimeout(15_000);
  await desk.setViewportSize(DESKTOP);
  await desk.goto(`${t.url}/admin`);
  await desk.waitForURL(/\/admin\/login/);
  await desk.getByLabel('Email').fill('admin@example.com');
  await desk.getByLabel('Password').fill(adminPassword);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.waitForURL(`${t.url}/admin`);
  await desk.screenshot({ path: path.join(SCREENSHOTS, 'finance-desk.png') });
  await desk.getByLabel('Search').fill(reference.replace(/ /g, '-'));
  await desk.getByRole('button', { name: 'Search' }).click();
  await desk.getByRole('link', { name: 'SANDBOX-INV-000001', exact: true }).click();
  await desk.getByRole('link', { name: 'Mark as paid…' }).click();
  expect(await desk.getByLabel('Amount received (AUD)').inputValue()).toBe('1100.00');
  await desk.getByLabel('Bank reference').fill('DEMO-TRANSFER-1');
  await desk.getByRole('button', { name: 'Record payment' }).click();
  await desk.waitForURL(/notice=payment-complete/);
  await t.idle();
  await desk.reload();
  expect(await desk.textContent('main')).toContain('Enrolled in class demo-class-aud on OpenLearning');
  await desk.screenshot({ path: path.join(SCREENSHOTS, 'invoice-timeline.png'), fullPage: true });

  // 6. The enrolment shows on the course page ("OpenLearning").
  await desk.goto(`${t.url}/sandbox/course/demo-class-aud`);
  expect(await desk.locator('#enrolled').textContent()).toContain('demo-learner-zoe');

  // 7. The learner follows the course link in the "you are enrolled" email.
  await t.idle();
  const enrolledMail = (await capturedMail()).find((m) => m.subject?.startsWith('Payment received: you are enrolled'))!;
  const courseLink = enrolledMail.text!.match(/Go to the course: (\S+)/)![1]!;
  await learner.goto(courseLink);
  await learner.waitForURL(`${t.url}/sandbox/course/demo-class-aud`);
  expect(await learner.textContent('main')).toContain('demo-learner-zoe');
  await expectNoHorizontalScroll(learner);

  // Phone width for the staff pages too (finance staff check payments on the go).
  const phoneDesk = await browser.newPage();
  await phoneDesk.goto(`${t.url}/admin/login`);
  await expectNoHorizontalScroll(phoneDesk);

  for (const file of ['billing-form.png', 'invoice-pdf.png', 'finance-desk.png', 'invoice-timeline.png']) {
    expect(fs.statSync(path.join(SCREENSHOTS, file)).size, file).toBeGreaterThan(10_000);
  }
}, 120_000);
