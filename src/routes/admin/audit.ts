import type Router from '@koa/router';
import { listAudit } from '../../db/audit.js';
import type { Deps } from '../../deps.js';
import { render } from '../render.js';
import { staffText } from './staff-text.js';
import { idParam } from './forms.js';

const PAGE = 100;

export function registerAuditRoutes(router: Router, deps: Deps): void {
  router.get('audit', '/audit', function showAuditLog(ctx) {
    const before = idParam(typeof ctx.query.before === 'string' ? ctx.query.before : undefined);
    const rows = listAudit(deps.db, { beforeId: before, limit: PAGE + 1 });
    const page = rows.slice(0, PAGE);
    render(ctx, 'admin/audit.njk', {
      title: staffText('audit.title'),
      section: 'audit',
      rows: page,
      nextUrl: rows.length > PAGE ? `/admin/audit?before=${page[page.length - 1]!.id}` : undefined,
      json: (value: unknown) => (value === null || value === undefined ? '' : JSON.stringify(value)),
    });
  });
}
