import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';

/** Long opaque path segments are credentials (billing and invoice links): never log them. */
export function redactPath(path: string): string {
  return path.replace(/\/[A-Za-z0-9_-]{20,}(?=\/|$)/g, '/:token');
}

let idPrefix = randomBytes(3).toString('hex');
let idCounter = 0;

/**
 * 12 hex characters, unique within the process and very likely across restarts: a random prefix
 * and a counter (random bytes per request cost a call into the system's generator every time).
 */
function nextRequestId(): string {
  if (++idCounter > 0xffffff) {
    idPrefix = randomBytes(3).toString('hex');
    idCounter = 1;
  }
  return idPrefix + idCounter.toString(16).padStart(6, '0');
}

/** One line per request: id, method, path (tokens removed), status and milliseconds. */
export function requestLog(logger: Logger): Middleware {
  // Without the logger's key redaction, which cost as much as the rest of the line: these lines hold
  // only the fields below and what routes put in logFields (ids and numbers, never secrets). The
  // scrubbing of configured secrets, applied to every written line, still applies.
  const lines = logger.child({}, { redact: [] });
  return async function logRequest(ctx, next) {
    const started = performance.now();
    const id = nextRequestId();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    try {
      await next();
    } finally {
      const fields = {
        id,
        method: ctx.method,
        path: redactPath(ctx.path),
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(ctx.state.logFields as object | undefined),
      };
      if (ctx.status >= 500) lines.error(fields, 'request');
      else lines.info(fields, 'request');
    }
  };
}
