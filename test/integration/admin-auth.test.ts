/**
 * Staff sign-in, sessions and the guard on every admin route. The route list is read from the
 * router itself, so a route added later is covered without anyone remembering to add it here.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { addStaff, ADMIN, cookieHeader, hiddenField, signIn, type StaffBrowser } from '../helpers/staff.js';
import { PUBLIC_PATHS } from '../../src/routes/admin/index.js';

let t: TestPortal;
let admin: StaffBrowser;

beforeAll(async () => {
  t = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
  admin = await signIn(t);
  await addStaff(t, 'finance@example.edu', 'finance');
});
afterAll(async () => t?.close());

interface RouteInfo {
  method: string;
  path: string;
  adminOnly: boolean;
}

/** Every method + path of the admin router, with ':id'-style params filled in. */
function adminRouteList(): RouteInfo[] {
  const router = t.portal.routers.find((r) => r.opts.prefix === '/admin')!;
  const routes: RouteInfo[] = [];
  for (const layer of router.stack) {
    if (layer.methods.length === 0 || typeof layer.path !== 'string') continue;
    const path = layer.path.replace(':id', '1').replace(':name', 'x.eml').replace(':index', '0');
    const adminOnly = layer.stack.some((fn) => fn.name === 'onlyAdmins');
    for (const method of layer.methods.filter((m) => m !== 'HEAD')) routes.push({ method, path, adminOnly });
  }
  return routes;
}

describe('the route guard', () => {
  test('the router has the routes we expect to guard', () => {
    const routes = adminRouteList();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.method === 'POST').length).toBeGreaterThan(10);
  });

  test('every admin GET sends anonymous visitors to the sign-in page', async () => {
    for (const route of adminRouteList().filter((r) => r.method === 'GET' && !PUBLIC_PATHS.includes(r.path))) {
      const response = await t.get(route.path);
      expect(response.status, route.path).toBe(302);
      expect(response.headers.get('location'), route.path).toBe(`/admin/login?next=${encodeURIComponent(route.path)}`);
    }
  });

  test('every admin POST refuses anonymous requests with 401 and changes nothing', async () => {
    const auditBefore = t.count('audit_log');
    for (const route of adminRouteList().filter((r) => r.method === 'POST' && !PUBLIC_PATHS.includes(r.path))) {
      const response = await t.post(route.path, { _csrf: 'guess' }, { headers: { origin: t.url } });
      expect(response.status, route.path).toBe(401);
      expect(pageText(await response.text())).toMatch(/Please sign in/);
    }
    expect(t.count('audit_log')).toBe(auditBefore);
  });

  test('every admin POST refuses a signed-in request without the CSRF token, or from another origin', async () => {
    for (const route of adminRouteList().filter((r) => r.method === 'POST' && !PUBLIC_PATHS.includes(r.path))) {
      const noToken = await admin.post(route.path, {}, { csrf: null });
      expect(noToken.status, `${route.path} without token`).toBe(403);
      const wrongToken = await admin.post(route.path, {}, { csrf: 'x'.repeat(43) });
      expect(wrongToken.status, `${route.path} wrong token`).toBe(403);
      const crossSite = await admin.post(route.path, {}, { origin: 'https://evil.example' });
      expect(crossSite.status, `${route.path} cross-origin`).toBe(403);
      const noOrigin = await admin.post(route.path, {}, { origin: null });
      expect(noOrigin.status, `${route.path} without Origin`).toBe(403);
    }
  });

  test('a browser that sends "Origin: null" is judged by Sec-Fetch-Site', async () => {
    const session = await signIn(t);
    const post = (headers: Record<string, string>) =>
      t.post(
        '/admin/account/password',
        { _csrf: session.csrf, current: 'wrong', password: 'x', confirm: 'y' },
        { headers: { cookie: session.cookie, ...headers } },
      );
    expect((await post({ origin: 'null', 'sec-fetch-site': 'same-origin' })).status).toBe(422);
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-site', origin: t.url })).status).toBe(403);
  });

  test('the sign-in form itself needs its form token and the same origin', async () => {
    const page = await t.get('/admin/login');
    const cookie = cookieHeader(page);
    const token = hiddenField(await page.text(), '_csrf');
    const crossSite = await t.post(
      '/admin/login',
      { email: ADMIN.email, password: ADMIN.password, _csrf: token },
      { headers: { cookie, origin: 'https://evil.example' } },
    );
    expect(crossSite.status).toBe(403);
    const noToken = await t.post('/admin/login', { email: ADMIN.email, password: ADMIN.password }, { headers: { cookie, origin: t.url } });
    expect(noToken.status).toBe(403);
  });

  test('finance staff are refused every admin-only route', async () => {
    const finance = await signIn(t, 'finance@example.edu', 'a long enough password');
    const adminOnly = adminRouteList().filter((r) => r.adminOnly);
    expect(adminOnly.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /admin/staff', 'POST /admin/staff']));
    for (const route of adminOnly) {
      const response =
        route.method === 'GET'
          ? await finance.get(route.path)
          : await finance.post(route.path, { email: 'x@example.edu', role: 'admin', password: 'p'.repeat(20) });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
    }
    expect((await finance.get('/admin')).status).toBe(200);
  });
});

describe('signing in and out', () => {
  test('the sign-in page has labelled Email and Password fields', async () => {
    const html = await (await t.get('/admin/login')).text();
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
  });

  test('the session cookie is HttpOnly and SameSite=Lax, and each sign-in gets a new session id', async () => {
    const page = await t.get('/admin/login');
    const token = hiddenField(await page.text(), '_csrf');
    const response = await t.post(
      '/admin/login',
      { email: ADMIN.email, password: ADMIN.password, _csrf: token },
      { headers: { cookie: cookieHeader(page), origin: t.url } },
    );
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('portal_session='))!;
    expect(setCookie).toMatch(/httponly/i);
    expect(setCookie).toMatch(/samesite=lax/i);
    expect(setCookie).not.toMatch(/secure/i);
    const again = await signIn(t);
    expect(again.cookie).not.toBe(cookieHeader(response));
    // The database holds only a hash of the session id.
    const id = setCookie.split(';')[0]!.split('=')[1]!;
    expect(t.portal.deps.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE id_hash = ?').get(id)).toEqual({ n: 0 });
  });

  test('with an https PUBLIC_URL the cookie is Secure and __Host- prefixed', async () => {
    const https = await startTestPortal({
      env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
      configure: (c) => Object.assign(c, { secureCookies: true }),
    });
    try {
      const page = await https.get('/admin/login');
      const token = hiddenField(await page.text(), '_csrf');
      const response = await https.post(
        '/admin/login',
        { email: ADMIN.email, password: ADMIN.password, _csrf: token },
        { headers: { cookie: cookieHeader(page), origin: https.url } },
      );
      expect(response.status).toBe(303);
      const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-portal_session='));
      expect(setCookie).toMatch(/; secure/i);
      expect(setCookie).toMatch(/path=\//i);
    } finally {
      await https.close();
    }
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    const attempt = async (email: string) => {
      const page = await t.get('/admin/login');
      const token = hiddenField(await page.text(), '_csrf');
      return t.post('/admin/login', { email, password: 'wrong password!!', _csrf: token }, { headers: { cookie: cookieHeader(page), origin: t.url } });
    };
    const wrong = await attempt(ADMIN.email);
    const unknown = await attempt('nobody@example.edu');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(pageText(await wrong.text())).toMatch(/That email and password do not match an active staff account/);
    expect(pageText(await unknown.text())).toMatch(/That email and password do not match an active staff account/);
  });

  test('sign-in is throttled per account: the fifth failure locks it and says when to retry, for unknown emails too', async () => {
    for (const email of ['finance@example.edu', 'ghost@example.edu']) {
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        const page = await t.get('/admin/login');
        last = await t.post(
          '/admin/login',
          { email, password: `wrong-${i}-password`, _csrf: hiddenField(await page.text(), '_csrf') },
          { headers: { cookie: cookieHeader(page), origin: t.url } },
        );
      }
      expect(last!.status).toBe(429);
      expect(pageText(await last!.text())).toMatch(/Too many failed sign-ins .* Try again after \d+ \w+ \d{4}, \d\d:\d\d/);
      // Even the right password is refused while locked.
      const page = await t.get('/admin/login');
      const locked = await t.post(
        '/admin/login',
        { email, password: 'a long enough password', _csrf: hiddenField(await page.text(), '_csrf') },
        { headers: { cookie: cookieHeader(page), origin: t.url } },
      );
      expect(locked.status).toBe(429);
    }
    t.clock.advance(15 * 60_000 + 1000);
    await signIn(t, 'finance@example.edu', 'a long enough password');
  });

  test('sign-in is throttled per address across accounts', async () => {
    const other = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    try {
      let last: Response | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await other.get('/admin/login');
        last = await other.post(
          '/admin/login',
          { email: `user${i}@example.edu`, password: 'wrong password!!', _csrf: hiddenField(await page.text(), '_csrf') },
          { headers: { cookie: cookieHeader(page), origin: other.url } },
        );
      }
      expect(last!.status).toBe(429);
      const page = await other.get('/admin/login');
      const blocked = await other.post(
        '/admin/login',
        { email: ADMIN.email, password: ADMIN.password, _csrf: hiddenField(await page.text(), '_csrf') },
        { headers: { cookie: cookieHeader(page), origin: other.url } },
      );
      expect(blocked.status).toBe(429);
    } finally {
      await other.close();
    }
  });

  test('signing out revokes the session', async () => {
    const session = await signIn(t);
    expect((await session.get('/admin')).status).toBe(200);
    expect((await session.post('/admin/logout', {})).status).toBe(303);
    const after = await session.get('/admin');
    expect(after.status).toBe(302);
  });

  test('an idle session ends after SESSION_IDLE_MINUTES', async () => {
    const session = await signIn(t);
    t.clock.advance(59 * 60_000);
    expect((await session.get('/admin')).status).toBe(200);
    t.clock.advance(59 * 60_000);
    expect((await session.get('/admin')).status).toBe(200);
    t.clock.advance(60 * 60_000 + 1000);
    expect((await session.get('/admin')).status).toBe(302);
  });

  test('staff change their own password; other sessions are signed out, this one stays', async () => {
    await addStaff(t, 'changer@example.edu', 'finance', 'first password 123');
    const here = await signIn(t, 'changer@example.edu', 'first password 123');
    const elsewhere = await signIn(t, 'changer@example.edu', 'first password 123');
    const mismatch = await here.post('/admin/account/password', {
      current: 'first password 123',
      password: 'second password 456',
      confirm: 'different 789 xyz',
    });
    expect(mismatch.status).toBe(422);
    const changed = await here.post('/admin/account/password', {
      current: 'first password 123',
      password: 'second password 456',
      confirm: 'second password 456',
    });
    expect(changed.status).toBe(303);
    expect((await here.get('/admin')).status).toBe(200);
    expect((await elsewhere.get('/admin')).status).toBe(302);
    await signIn(t, 'changer@example.edu', 'second password 456');
  });

  test('a disabled account cannot sign in and its sessions end', async () => {
    await addStaff(t, 'leaver@example.edu', 'finance');
    const leaver = await signIn(t, 'leaver@example.edu', 'a long enough password');
    const id = (t.portal.deps.db.prepare("SELECT id FROM staff WHERE email = 'leaver@example.edu'").get() as { id: number }).id;
    const currentAdmin = await signIn(t);
    expect((await currentAdmin.post(`/admin/staff/${id}/disable`, {})).status).toBe(303);
    expect((await leaver.get('/admin')).status).toBe(302);
    const page = await t.get('/admin/login');
    const attempt = await t.post(
      '/admin/login',
      { email: 'leaver@example.edu', password: 'a long enough password', _csrf: hiddenField(await page.text(), '_csrf') },
      { headers: { cookie: cookieHeader(page), origin: t.url } },
    );
    expect(attempt.status).toBe(401);
  });

  test('after sign-in the visitor returns to the page they asked for, never to another site', async () => {
    const page = await t.get('/admin/login?next=%2Fadmin%2Faudit');
    const token = hiddenField(await page.text(), '_csrf');
    const ok = await t.post(
      '/admin/login',
      { email: ADMIN.email, password: ADMIN.password, _csrf: token, next: '/admin/audit' },
      { headers: { cookie: cookieHeader(page), origin: t.url } },
    );
    expect(ok.headers.get('location')).toBe('/admin/audit');
    const page2 = await t.get('/admin/login');
    const evil = await t.post(
      '/admin/login',
      { email: ADMIN.email, password: ADMIN.password, _csrf: hiddenField(await page2.text(), '_csrf'), next: '//evil.example/admin' },
      { headers: { cookie: cookieHeader(page2), origin: t.url } },
    );
    expect(evil.headers.get('location')).toBe('/admin');
  });
});

describe('the audit log', () => {
  test('is append-only: the database refuses updates and deletes', () => {
    const db = t.portal.deps.db;
    expect(t.count('audit_log')).toBeGreaterThan(0);
    expect(() => db.prepare("UPDATE audit_log SET summary = 'edited'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
  });

  test('records staff actions with who and when, and is readable in the admin area', async () => {
    const page = pageText(await (await (await signIn(t)).get('/admin/audit')).text());
    expect(page).toMatch(/staff\.signed_in admin@example\.edu signed in/);
    expect(page).toMatch(/staff\.disabled Staff account leaver@example\.edu disabled/);
  });
});

describe('throttling under concurrency', () => {
  test('40 sign-ins at once for one account verify at most 5 wrong passwords, and the right one that follows is refused', async () => {
    const own = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    try {
      const forms: { cookie: string; token: string }[] = [];
      for (let i = 0; i < 40; i++) {
        const page = await own.get('/admin/login');
        forms.push({ cookie: cookieHeader(page), token: hiddenField(await page.text(), '_csrf') });
      }
      const responses = await Promise.all(
        forms.map((form, i) =>
          own.post(
            '/admin/login',
            { email: ADMIN.email, password: i === 39 ? ADMIN.password : `wrong password ${i}`, _csrf: form.token },
            { headers: { cookie: form.cookie, origin: own.url } },
          ),
        ),
      );
      const verifiedWrong = own.logs.filter((l) => l.msg === 'sign-in failed').length;
      expect(verifiedWrong).toBeLessThanOrEqual(5);
      expect(responses.filter((r) => r.status === 303)).toHaveLength(0);
      expect(responses[39]!.status).toBe(429);
    } finally {
      await own.close();
    }
  });

  test('the current password on the change-password form is throttled like sign-in', async () => {
    const own = await startTestPortal({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    try {
      const session = await signIn(own);
      const attempt = (current: string) => session.post('/admin/account/password', { current, password: 'a new password 123', confirm: 'a new password 123' });
      const wrong = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(`guess number ${i}`)));
      expect(wrong.filter((r) => r.status === 422).length).toBeLessThanOrEqual(5);
      const right = await attempt(ADMIN.password);
      expect(right.status).toBe(429);
      expect(pageText(await right.text())).toMatch(/Too many wrong passwords .* Try again after/);
      own.clock.advance(15 * 60_000 + 1000);
      expect((await attempt(ADMIN.password)).status).toBe(303);
    } finally {
      await own.close();
    }
  });
});
