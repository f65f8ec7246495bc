/**
 * Promises about what the portal sends back that no single feature test owns: caching of the
 * pages whose URL is the learner's credential, and the storage-full answer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { locationPath, startTestPortal, type TestPortal } from '../helpers/portal.js';
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
