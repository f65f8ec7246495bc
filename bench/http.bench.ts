/**
 * The learner's steps and the finance desk's list page over real HTTP on loopback, each against
 * GET /healthz (one SQLite read, the same middleware stack) measured alongside.
 */
import { randomUUID } from 'node:crypto';
import { row, type BenchContext, type BenchResult, type BenchRow } from './harness.js';
import { compareAsync, startPortalFixture } from './portal-fixture.js';

export const name = 'http';
export const description = 'learner flow and finance desk pages over HTTP, against GET /healthz';

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const runs = Number(ctx.env.BENCH_HTTP_RUNS) || ctx.size(40, 10);
  const fixture = await startPortalFixture(ctx.tmpDir);
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fixture.url}${path}`, { headers, redirect: 'manual' });
    await response.arrayBuffer();
    return response;
  };
  const post = async (path: string, form: Record<string, string>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fixture.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    await response.arrayBuffer();
    return response;
  };
  let n = 0;
  const claims = () => ({
    jti: randomUUID(),
    sub: `user-${++n}`,
    title: 'Introduction to Marine Biology',
    course: 'course-1',
    class: `class-${n}`,
    currency: 'AUD',
    price: '1100.00',
    redirect_url: 'https://www.openlearning.com/c/',
  });
  const enrol = async () => new URL((await post('/enrol', { jwt: await fixture.sign(claims()) })).headers.get('location')!).pathname;
  const baseline = () => get('/healthz');
  const rows: BenchRow[] = [];
  const measure = async (caseName: string, subject: () => Promise<unknown>, note?: string) => {
    rows.push(row(caseName, await compareAsync(baseline, subject, runs), note));
  };
  try {
    await measure('POST /enrol (verify RS256 token, spend jti, store request)', enrol);
    const billingPages: string[] = [];
    for (let i = 0; i < runs + 2; i++) billingPages.push(await enrol());
    let page = 0;
    await measure('GET billing page', () => get(billingPages[page++ % billingPages.length]!));
    page = 0;
    await measure(
      'POST billing form (issue invoice, render and store PDF)',
      () => post(billingPages[page++]!, { name: 'Zoë Ωμέγα', email: 'zoe@example.com' }),
      'includes the PDF render',
    );
    const status = (await post(await enrol(), { name: 'Status Page', email: 's@example.com' })).headers.get('location')!.replace(/\/confirmation$/, '');
    await measure('GET invoice status page', () => get(new URL(status).pathname));
    // Staff: sign in once through the form, then time the list page.
    const login = await get('/admin/login');
    const loginCookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    // The sign-in form's token is the value of its cookie (double submit).
    const token = loginCookie.split('=')[1]!;
    const signedIn = await post(
      '/admin/login',
      { email: 'admin@example.edu', password: 'bench admin password', _csrf: token },
      { cookie: loginCookie, origin: fixture.url },
    );
    const cookie = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .filter((c) => !c!.endsWith('='))
      .join('; ');
    await measure('GET /admin (invoice list, tab counts)', () => get('/admin?tab=all', { cookie }));
    await measure('GET /admin search by name', () => get('/admin?tab=all&q=Zo%C3%AB', { cookie }));
    return { baseline: 'GET /healthz (same server, same middleware, one SQLite read)', rows };
  } finally {
    await fixture.close();
  }
}
