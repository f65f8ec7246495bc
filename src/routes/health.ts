import Router from '@koa/router';
import { schemaVersion } from '../db/migrate.js';
import type { Deps } from '../deps.js';

export function healthRoutes(deps: Deps): Router {
  const router = new Router();
  /** For load balancers and monitoring: 200 when the database answers, 503 when it does not. */
  router.get('health', '/healthz', function checkHealth(ctx) {
    ctx.set('Cache-Control', 'no-store');
    // JSON as text: for an object body koa checks it against Blob, ReadableStream and Response, and
    // the first such check loads Node's fetch implementation (tens of ms) into the time to healthy.
    ctx.type = 'json';
    try {
      ctx.body = JSON.stringify({ status: 'ok', mode: deps.config.mode, schema: schemaVersion(deps.db) });
    } catch (err) {
      deps.logger.error({ err }, 'health check: database unavailable');
      ctx.status = 503;
      ctx.body = JSON.stringify({ status: 'unavailable', reason: 'database' });
    }
  });
  return router;
}
