import { expect } from 'vitest';
import { COMMAND_LINE_ACTOR } from '../../src/commands/actors.js';
import { createStaff } from '../../src/commands/staff.js';
import type { Role } from '../../src/db/staff.js';
import { runCli } from './cli.js';
import type { TestPortal } from './portal.js';

export const ADMIN = { email: 'admin@example.edu', password: 'correct horse battery staple' };

export interface StaffBrowser {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, form: Record<string, string>, options?: { csrf?: string | null; origin?: string | null }): Promise<Response>;
}

/** Extracts the value of the first hidden input with this name. */
export function hiddenField(html: string, name: string): string {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`no hidden field ${name}`);
  return match[1]!;
}

export function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');
}

/** Signs in through the real login form, as a browser would (same-origin POST with the form token). */
export async function signIn(t: Pick<TestPortal, 'get' | 'post' | 'url'>, email = ADMIN.email, password = ADMIN.password): Promise<StaffBrowser> {
  const loginPage = await t.get('/admin/login');
  const loginCookie = cookieHeader(loginPage);
  const token = hiddenField(await loginPage.text(), '_csrf');
  const response = await t.post('/admin/login', { email, password, _csrf: token, next: '/admin' }, { headers: { cookie: loginCookie, origin: t.url } });
  expect(response.status, `sign-in of ${email}`).toBe(303);
  const cookie = cookieHeader(response);
  const account = await t.get('/admin/account', { headers: { cookie } });
  const csrf = hiddenField(await account.text(), '_csrf');
  return {
    cookie,
    csrf,
    get: (path) => t.get(path, { headers: { cookie } }),
    post: (path, form, options = {}) => {
      const headers: Record<string, string> = { cookie };
      if (options.origin !== null) headers.origin = options.origin ?? t.url;
      const body = options.csrf === null ? form : { _csrf: options.csrf ?? csrf, ...form };
      return t.post(path, body, { headers });
    },
  };
}

export async function addStaff(t: TestPortal, email: string, role: Role, password = 'a long enough password'): Promise<void> {
  await createStaff(t.portal.deps, COMMAND_LINE_ACTOR, { email, role, password });
}

/** Adds a staff account with the command line, as an administrator would (works next to a running server). */
export async function addStaffViaCli(
  env: Record<string, string | undefined>,
  email: string,
  role: Role = 'finance',
  password = 'a long enough password',
): Promise<void> {
  const result = await runCli(['user', 'add', email, '--role', role, '--password-stdin'], env, { input: `${password}\n` });
  expect(result.code, result.stderr).toBe(0);
}
