/**
 * Staff sessions and request checks for the admin area. Secure by default: every route of the
 * admin router needs a signed-in staff member, and every state-changing request needs both a
 * same-origin browser signal and the session's CSRF token, except the few routes listed public.
 */
import type { Context, Middleware, Next } from 'koa';
import { loadSession, tokensEqual, type ActiveSession } from '../commands/staff.js';
import type { Config } from '../config.js';
import type { Role } from '../db/staff.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';

export function sessionCookieName(config: Pick<Config, 'secureCookies'>): string {
  // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and path=/.
  return config.secureCookies ? '__Host-portal_session' : 'portal_session';
}

export function cookieOptions(config: Pick<Config, 'secureCookies'>, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies, path: '/', overwrite: true, ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

export function setSecureTransport(ctx: Context, config: Pick<Config, 'secureCookies'>): void {
  // TLS usually ends at the reverse proxy: PUBLIC_URL says whether browsers use https.
  if (config.secureCookies) (ctx.cookies as unknown as { secure: boolean }).secure = true;
}

declare module 'koa' {
  interface DefaultState {
    staff?: ActiveSession['staff'];
    session?: ActiveSession;
    csrfToken?: string;
  }
}

/** Reads the session cookie, if any, into ctx.state (staff, session, csrfToken). */
export function loadStaffSession(deps: Deps): Middleware {
  return async function readSession(ctx, next) {
    setSecureTransport(ctx, deps.config);
    const session = loadSession(deps, ctx.cookies.get(sessionCookieName(deps.config)));
    if (session) {
      ctx.state.session = session;
      ctx.state.staff = session.staff;
      ctx.state.csrfToken = session.csrfToken;
      ctx.state.logFields = { ...(ctx.state.logFields as object | undefined), staff: session.staff.id };
    }
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}

export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Browsers say where a request comes from; anything but this site is refused. */
export function sameOriginProblem(ctx: Context, publicUrl: string): string | undefined {
  const site = ctx.get('Sec-Fetch-Site');
  const origin = ctx.get('Origin');
  const expected = new URL(publicUrl).origin;
  if (site && site !== 'same-origin') return `Sec-Fetch-Site is ${site}`;
  // "null" is what browsers send when they will not say (privacy settings); then Sec-Fetch-Site decides.
  if (origin && origin !== 'null' && origin !== expected) return `Origin ${origin} is not ${expected} (check PUBLIC_URL)`;
  if (!site && (!origin || origin === 'null')) return 'neither Sec-Fetch-Site nor Origin says where the request comes from';
  return undefined;
}

/**
 * The gate in front of every admin route: anonymous GETs go to the sign-in page, anonymous
 * writes get 401, writes need same-origin and the CSRF token, and `role` (if given) is enforced.
 */
export function requireStaff(deps: Deps, options: { role?: Role; publicPaths?: string[] } = {}): Middleware {
  return async function guard(ctx: Context, next: Next) {
    if (options.publicPaths?.includes(ctx.path)) return next();
    const session = ctx.state.session;
    if (!session) {
      if (isSafeMethod(ctx.method)) {
        return ctx.redirect(`/admin/login?next=${encodeURIComponent(ctx.originalUrl)}`);
      }
      throw new AppError('auth.required', `${ctx.method} ${ctx.path} without a session`);
    }
    if (!isSafeMethod(ctx.method)) {
      const problem = sameOriginProblem(ctx, deps.config.publicUrl);
      if (problem) throw new AppError('auth.csrf', problem);
      const token = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof token !== 'string' || !tokensEqual(token, session.csrfToken)) throw new AppError('auth.csrf', 'missing or wrong CSRF token');
    }
    if (options.role && session.staff.role !== options.role) {
      throw new AppError('auth.forbidden', `${session.staff.email} is ${session.staff.role}, needs ${options.role}`);
    }
    await next();
  };
}
