import Router from '@koa/router';
import type { Deps } from '../deps.js';

export function healthRoutes(deps: Deps): Router {
  const router = new Router();
  /** For load balancers and monitoring: 200 when the database answers, 503 when it does not. */
  router.get('health', '/healthz', function checkHealth(ctx) {
    ctx.set('Cache-Control', 'no-store');
    try {
      const row = deps.db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number };
      ctx.body = { status: 'ok', mode: deps.config.mode, schema: row.version };
    } catch (err) {
      deps.logger.error({ err }, 'health check: database unavailable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'database' };
    }
  });
  return router;
}
