import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Koa from 'koa';
import type { Deps } from './deps.js';
import { AppError } from './errors.js';
import { sandboxCanonicalOrigin } from './middleware/canonical-origin.js';
import { errorPages } from './middleware/errors.js';
import { requestLog } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';
import { staticFiles } from './middleware/static-files.js';
import { PUBLIC_DIR } from './paths.js';
import { adminRoutes } from './routes/admin/index.js';
import { healthRoutes } from './routes/health.js';
import { learnerRoutes } from './routes/learner.js';
import { sandboxRoutes } from './routes/sandbox.js';
import type { Sandbox } from './sandbox/sandbox.js';

/** Form bodies only; "Join now" carries a token of a few KB, the billing form a few hundred bytes. */
export const FORM_LIMIT = '64kb';

/**
 * Koa's request handler as Node's http server wants it. Koa settles every request itself (errors
 * go through ctx.onerror), so the promise it returns never rejects and is not awaited.
 */
export function requestHandler(app: Koa): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = app.callback();
  return (req, res) => void handle(req, res);
}

/** Builds the Koa application; it never listens (main.ts and the tests do). */
export function buildApp(deps: Deps, options: { sandbox?: Sandbox | undefined } = {}): { app: Koa; routers: Router[] } {
  const app = new Koa({ proxy: deps.config.trustProxy });
  app.context.views = deps.views;
  app.silent = true; // errors are logged by the error handler, once, with the request id
  app.use(requestLog(deps.logger));
  app.use(errorPages(deps.views, deps.logger, deps.config.invoice.languages));
  app.use(securityHeaders({ https: deps.config.secureCookies }));
  if (deps.config.mode === 'sandbox') app.use(sandboxCanonicalOrigin(deps.config.publicUrl));
  app.use(staticFiles(PUBLIC_DIR));
  app.use(
    bodyParser({
      enableTypes: ['form'],
      formLimit: FORM_LIMIT,
      onError(error) {
        const status = (error as { status?: number }).status;
        throw status === 413 ? new AppError('request.too_large', error.message) : new AppError('request.bad_form', error.message);
      },
    }),
  );
  const routers = [healthRoutes(deps), learnerRoutes(deps), adminRoutes(deps)];
  // The sandbox's routes exist only in sandbox mode: with a real key configured they are 404s.
  if (options.sandbox) routers.push(sandboxRoutes(deps, options.sandbox));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return { app, routers };
}
