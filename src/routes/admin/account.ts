import type Router from '@koa/router';
import type { Context } from 'koa';
import { staffActor } from '../../commands/actors.js';
import { checkCurrentPassword, setStaffPassword, signIn, signOut, StaffError } from '../../commands/staff.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { cookieOptions, sameOriginProblem, sessionCookieName } from '../../middleware/staff-auth.js';
import { formatDateTime } from '../../views.js';
import { render } from '../render.js';
import { staffText } from './staff-text.js';
import { field } from './forms.js';

const LOGIN_CSRF_COOKIE = 'portal_login_csrf';

/** Only local admin paths: an open redirect after sign-in would be a phishing tool. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(\/|\?|$)/.test(next) && !next.startsWith('//') ? next : '/admin';
}

export function registerAccountRoutes(router: Router, deps: Deps): void {
  const { config } = deps;

  function loginPage(ctx: Context, data: { email?: string; error?: string; next?: string }) {
    // Sign-in has no session yet, so its CSRF token is a cookie matched by a form field.
    const token = deps.randomBytes(24).toString('base64url');
    ctx.cookies.set(LOGIN_CSRF_COOKIE, token, { ...cookieOptions(config, 30 * 60_000), path: '/admin/login' });
    render(ctx, 'admin/login.njk', { title: staffText('login.submit'), loginToken: token, mainClass: 'page login', ...data });
  }

  router.get('login', '/login', function showLogin(ctx) {
    if (ctx.state.staff) return ctx.redirect(safeNext(ctx.query.next));
    loginPage(ctx, { next: safeNext(ctx.query.next) });
  });

  router.post('login-submit', '/login', async function submitLogin(ctx) {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const originProblem = sameOriginProblem(ctx, config.publicUrl);
    const cookieToken = ctx.cookies.get(LOGIN_CSRF_COOKIE);
    if (originProblem || !cookieToken || body._csrf !== cookieToken) throw new AppError('auth.csrf', originProblem ?? 'sign-in form token mismatch');
    const email = field(body, 'email');
    const next = safeNext(body.next);
    const result = await signIn(deps, {
      email,
      password: typeof body.password === 'string' ? body.password : '',
      ip: ctx.ip,
      userAgent: ctx.get('User-Agent') || null,
    });
    if (!result.ok) {
      ctx.status = result.reason === 'locked' ? 429 : 401;
      const error =
        result.reason === 'locked'
          ? staffText('login.error.locked', { retryAt: formatDateTime(result.retryAt, config.timeZone) })
          : staffText('login.error.wrong');
      return loginPage(ctx, { email, error, next });
    }
    // A new session id on every sign-in (no fixation); the old cookie, if any, is replaced.
    ctx.cookies.set(sessionCookieName(config), result.sessionId, cookieOptions(config));
    ctx.cookies.set(LOGIN_CSRF_COOKIE, '', { ...cookieOptions(config), path: '/admin/login', maxAge: 0 });
    ctx.status = 303;
    ctx.redirect(next);
  });

  router.post('logout', '/logout', function submitLogout(ctx) {
    signOut(deps, ctx.state.session!);
    ctx.cookies.set(sessionCookieName(config), '', { ...cookieOptions(config), maxAge: 0 });
    ctx.status = 303;
    ctx.redirect('/admin/login?signed_out=1');
  });

  router.get('account', '/account', function showAccount(ctx) {
    render(ctx, 'admin/account.njk', {
      title: staffText('account.title'),
      notice: ctx.query.changed === '1' ? staffText('account.notice.changed') : undefined,
      section: 'account',
    });
  });

  router.post('account-password', '/account/password', async function changeOwnPassword(ctx) {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const session = ctx.state.session!;
    const current = typeof body.current === 'string' ? body.current : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const confirm = typeof body.confirm === 'string' ? body.confirm : '';
    let error: string | undefined;
    const check = await checkCurrentPassword(deps, session.staff, current, ctx.ip);
    if (!check.ok && check.reason === 'locked') {
      ctx.status = 429;
      error = staffText('account.error.locked', { retryAt: formatDateTime(check.retryAt, config.timeZone) });
      return render(ctx, 'admin/account.njk', { title: staffText('account.title'), error, section: 'account' });
    }
    if (!check.ok) error = staffText('account.error.currentWrong');
    else if (password !== confirm) error = staffText('account.error.mismatch');
    else {
      try {
        await setStaffPassword(deps, staffActor(session.staff), session.staff, password, session.idHash);
      } catch (e) {
        if (!(e instanceof StaffError)) throw e;
        error = e.message;
      }
    }
    if (error) {
      ctx.status = 422;
      return render(ctx, 'admin/account.njk', { title: staffText('account.title'), error, section: 'account' });
    }
    ctx.status = 303;
    ctx.redirect('/admin/account?changed=1');
  });
}
