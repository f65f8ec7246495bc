import Router from '@koa/router';
import { schemaVersion } from '../db/migrate.js';
import type { Deps } from '../deps.js';

export function healthRoutes(deps: Deps): Router {
  const router = new Router();
  /** For load balancers and monitoring: 200 when the database answers, 503 when it does not. */
  router.get('health', '/healthz', function checkHealth(ctx) {
    ctx.set('Cache-Control', 'no-store');
    try {
      ctx.body = { status: 'ok', mode: deps.config.mode, schema: schemaVersion(deps.db) };
    } catch (err) {
      deps.logger.error({ err }, 'health check: database unavailable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'database' };
    }
  });
  return router;
}
