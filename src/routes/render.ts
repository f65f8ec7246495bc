import type { Context } from 'koa';
import type { Views } from '../views.js';

declare module 'koa' {
  interface DefaultContext {
    views: Views;
  }
}

/** Renders a page with what every layout needs (staff user, CSRF token, flash message). */
export function render(ctx: Context, template: string, data: Record<string, unknown>): void {
  ctx.type = 'html';
  ctx.body = ctx.views.page(template, {
    staff: ctx.state.staff,
    csrfToken: ctx.state.csrfToken,
    path: ctx.path,
    ...data,
  });
}
