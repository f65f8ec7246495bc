/**
 * Promises about what the portal sends back that no single feature test owns: caching of the
 * pages whose URL is the learner's credential, and the storage-full answer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { locationPath, pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { addressesOf, TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, signIn } from '../helpers/staff.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

let t: TestPortal;

beforeAll(async () => {
  t = await startTestPortal();
});
afterAll(async () => t?.close());

describe('learner pages are never cached', () => {
  test('billing form, status page, confirmation, PDF, resend and /enrol answers all send Cache-Control: no-store', async () => {
    const enrol = await t.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'cache-1', class: 'cache-class' }), { now: t.clock.now() }) });
    const billing = locationPath(enrol);
    const refusedForm = await t.post(billing, { name: '', email: 'not an email' });
    const issued = await t.post(billing, { name: 'Cache Learner', email: 'cache@example.com' });
    const confirmation = locationPath(issued);
    const status = confirmation.replace(/\/confirmation$/, '');
    const statusPage = await t.get(status);
    const pdfPath = (await statusPage.clone().text()).match(/href="(\/i\/[^"]+\.pdf)"/)![1]!;
    const responses: [string, Response][] = [
      ['POST /enrol', enrol],
      ['GET /enrol', await t.get('/enrol')],
      ['GET billing', await t.get(billing)],
      ['POST billing (refused)', refusedForm],
      ['POST billing', issued],
      ['GET confirmation', await t.get(confirmation)],
      ['GET status', statusPage],
      ['GET pdf', await t.get(pdfPath)],
      ['POST resend', await t.post(`${status}/resend`, {})],
      ['GET unknown token', await t.get(`/i/${'x'.repeat(43)}`)],
    ];
    for (const [name, response] of responses) expect(response.headers.get('cache-control'), name).toBe('no-store');
  });

  test('other public pages keep their own caching', async () => {
    const css = await t.get('/static/app.css');
    expect(css.headers.get('cache-control') ?? '').not.toMatch(/no-store/);
  });
});

describe('storage full', () => {
  test('issuing an invoice with no space left answers 503 "try later", logs why, and loses or breaks nothing', async () => {
    const full = await startTestPortal();
    try {
      const join = async (n: number) => {
        const enrol = await full.post('/enrol', {
          jwt: await signEnrolmentToken(enrolmentClaims({ sub: `full-${n}`, class: `full-class-${n}` }), { now: full.clock.now() }),
        });
        expect(enrol.status).toBe(303);
        return locationPath(enrol);
      };
      const billingPaths = await Promise.all(Array.from({ length: 30 }, (_, i) => join(i)));
      const db = full.portal.deps.db;
      // The database may not grow by a single page from here on: SQLite answers SQLITE_FULL,
      // exactly as it does when the disk itself is full.
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      let refused: Response | undefined;
      let refusedPath: string | undefined;
      for (const [i, billing] of billingPaths.entries()) {
        const response = await full.post(billing, { name: `Learner ${i} ${'with a long name '.repeat(8)}`, email: `full${i}@example.com` });
        if (response.status !== 303) {
          refused = response;
          refusedPath = billing;
          break;
        }
      }
      expect(refused?.status).toBe(503);
      expect(refused!.headers.get('retry-after')).toBe('300');
      expect(pageText(await refused!.text())).toMatch(/We cannot save anything right now.*try again later/i);
      const logged = full.logs.find((l) => l.error === 'storage.full');
      expect(logged?.level).toBe(50);
      expect(String(logged?.msg)).toMatch(/storage is full/);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // Space is back: the same billing link works, and the number follows on without a gap.
      db.pragma('max_page_count = 1073741823');
      expect((await full.post(refusedPath!, { name: 'After Space Returned', email: 'after@example.com' })).status).toBe(303);
      const seqs = (db.prepare('SELECT seq FROM invoices ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      await full.close();
    }
  });
});

describe('learner-supplied text', () => {
  test('is shown as text, never markup: escaped on the status page, in the email and on the finance desk; a line break cannot reach a mail header', async () => {
    const smtp = await new TestSmtpServer().start();
    const own = await startTestPortal({ env: { SMTP_URL: smtp.url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    try {
      const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
      const enrol = await own.post('/enrol', {
        jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'xss-1', class: 'xss-class', title: `Course ${hostile}` }), { now: own.clock.now() }),
      });
      const billing = locationPath(enrol);
      const injected = await own.post(billing, { name: 'Eve\r\nBcc: victim@example.com', email: 'eve@example.com' });
      expect(injected.status).toBe(422);
      const issued = await own.post(billing, { name: `Eve ${hostile}`, email: 'eve@example.com', organisation: hostile });
      expect(issued.status).toBe(303);
      const status = await (await own.get(locationPath(issued).replace(/\/confirmation$/, ''))).text();
      const desk = await (await (await signIn(own)).get('/admin/invoices/1')).text();
      const mail = await smtp.waitFor((m) => addressesOf(m).includes('eve@example.com'));
      for (const [where, html] of [
        ['status page', status],
        ['finance desk', desk],
        ['email', String(mail.html)],
      ] as const) {
        expect(html, where).not.toContain('<script>alert(1)</script>');
        expect(html, where).not.toContain('<img src=x');
        expect(html, where).toContain('&lt;script&gt;');
      }
      expect(mail.headers.get('bcc')).toBeUndefined();
    } finally {
      await own.close();
      await smtp.stop();
    }
  });
});
