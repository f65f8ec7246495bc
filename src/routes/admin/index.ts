/**
 * The finance desk under /admin. Every route registered on this router passes the staff guard
 * (see requireStaff) unless it is one of PUBLIC_PATHS; admin-only routes add `onlyAdmins`.
 */
import Router from '@koa/router';
import type { Deps } from '../../deps.js';
import { loadStaffSession, requireStaff } from '../../middleware/staff-auth.js';
import { registerAccountRoutes } from './account.js';
import { registerAuditRoutes } from './audit.js';
import { registerInvoiceListRoutes } from './invoice-list.js';
import { registerInvoicePageRoutes } from './invoice-page.js';
import { registerLedgerRoutes } from './ledger.js';
import { registerPaymentRoutes } from './payment-form.js';
import { registerMailRoutes } from './mail.js';
import { registerStaffRoutes } from './staff.js';
import { registerStatementRoutes, STATEMENT_UPLOAD_LIMIT_BYTES, STATEMENT_UPLOAD_PATH } from './statements.js';
import { multipartUploads } from '../../middleware/multipart.js';

export const PUBLIC_PATHS = ['/admin/login'];

export function adminRoutes(deps: Deps): Router {
  const router = new Router({ prefix: '/admin' });
  router.use(loadStaffSession(deps));
  // Before the guard, so it finds the upload form's _csrf like any other form's.
  router.use(multipartUploads({ paths: [STATEMENT_UPLOAD_PATH], limitBytes: STATEMENT_UPLOAD_LIMIT_BYTES, publicUrl: deps.config.publicUrl }));
  router.use(requireStaff(deps, { publicPaths: PUBLIC_PATHS }));
  registerAccountRoutes(router, deps);
  registerInvoiceListRoutes(router, deps);
  registerInvoicePageRoutes(router, deps);
  registerPaymentRoutes(router, deps);
  registerLedgerRoutes(router, deps);
  registerStatementRoutes(router, deps);
  registerStaffRoutes(router, deps);
  registerMailRoutes(router, deps);
  registerAuditRoutes(router, deps);
  return router;
}
