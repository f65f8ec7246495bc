import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { staffActor } from '../../commands/actors.js';
import { createStaff, setStaffEnabled, setStaffPassword, StaffError } from '../../commands/staff.js';
import { findStaffById, listStaff, ROLES, type Role, type Staff } from '../../db/staff.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { render } from '../render.js';
import { noticeText, staffText } from './staff-text.js';
import { field, idParam } from './forms.js';

/** Staff accounts are managed by administrators only. */
export const onlyAdmins: Middleware = async function onlyAdmins(ctx, next) {
  if (ctx.state.staff?.role !== 'admin') throw new AppError('auth.forbidden', `${ctx.state.staff?.email} is not an administrator`);
  await next();
};

/** The notice shown after an action, by the `notice` it redirects with: its message key. */
const NOTICES: Record<string, string> = {
  added: 'staff.notice.added',
  disabled: 'staff.notice.disabled',
  enabled: 'staff.notice.enabled',
  password: 'staff.notice.password',
};

export function registerStaffRoutes(router: Router, deps: Deps): void {
  function page(ctx: Context, extra: Record<string, unknown> = {}) {
    render(ctx, 'admin/staff.njk', {
      title: staffText('staff.title'),
      section: 'staff',
      accounts: listStaff(deps.db),
      roles: ROLES,
      notice: noticeText(NOTICES, ctx.query.notice),
      values: {},
      ...extra,
    });
  }

  function loadStaff(ctx: Context): Staff {
    const id = idParam(ctx.params.id);
    const staff = id === undefined ? undefined : findStaffById(deps.db, id);
    if (!staff) throw new AppError('admin.not_found', `staff ${ctx.params.id}`);
    return staff;
  }

  router.get('staff', '/staff', onlyAdmins, function showStaff(ctx) {
    page(ctx);
  });

  router.post('staff-add', '/staff', onlyAdmins, async function addStaff(ctx) {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const values = { email: field(body, 'email', 254), name: field(body, 'name', 200), role: field(body, 'role', 20) };
    const password = typeof body.password === 'string' ? body.password : '';
    let error: string | undefined;
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) error = staffText('staff.error.email');
    else if (!ROLES.includes(values.role as Role)) error = staffText('staff.error.role');
    else {
      try {
        await createStaff(deps, staffActor(ctx.state.staff!), { email: values.email, name: values.name || null, role: values.role as Role, password });
      } catch (e) {
        if (!(e instanceof StaffError)) throw e;
        error = e.message;
      }
    }
    if (error) {
      ctx.status = 422;
      return page(ctx, { error, values });
    }
    ctx.status = 303;
    ctx.redirect('/admin/staff?notice=added');
  });

  router.post('staff-disable', '/staff/:id/disable', onlyAdmins, function disableStaff(ctx) {
    const staff = loadStaff(ctx);
    if (staff.id === ctx.state.staff!.id) {
      ctx.status = 422;
      return page(ctx, { error: staffText('staff.error.disableSelf') });
    }
    try {
      setStaffEnabled(deps, staffActor(ctx.state.staff!), staff, false);
    } catch (e) {
      if (!(e instanceof StaffError)) throw e;
      ctx.status = 422;
      return page(ctx, { error: e.message });
    }
    ctx.status = 303;
    ctx.redirect('/admin/staff?notice=disabled');
  });

  router.post('staff-enable', '/staff/:id/enable', onlyAdmins, function enableStaff(ctx) {
    setStaffEnabled(deps, staffActor(ctx.state.staff!), loadStaff(ctx), true);
    ctx.status = 303;
    ctx.redirect('/admin/staff?notice=enabled');
  });

  router.post('staff-password', '/staff/:id/password', onlyAdmins, async function resetPassword(ctx) {
    const staff = loadStaff(ctx);
    const password =
      typeof (ctx.request.body as Record<string, unknown>)?.password === 'string' ? ((ctx.request.body as Record<string, unknown>).password as string) : '';
    try {
      await setStaffPassword(deps, staffActor(ctx.state.staff!), staff, password);
    } catch (e) {
      if (!(e instanceof StaffError)) throw e;
      ctx.status = 422;
      return page(ctx, { error: `${staff.email}: ${e.message}` });
    }
    ctx.status = 303;
    ctx.redirect('/admin/staff?notice=password');
  });
}
