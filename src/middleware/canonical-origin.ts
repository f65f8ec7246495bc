import type { Middleware } from 'koa';

export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Sandbox only: a page opened at another loopback name (127.0.0.1 where PUBLIC_URL says localhost)
 * is sent to PUBLIC_URL first. Otherwise the forms it shows would be posted from an origin the
 * checks refuse ("This form has expired") and "Join now" would land on the other name. Only page
 * requests (GET, HEAD) move; the health check and the sandbox's own API stay where they are.
 */
export function sandboxCanonicalOrigin(publicUrl: string): Middleware {
  const canonical = new URL(publicUrl);
  return async function toCanonicalOrigin(ctx, next) {
    const moves =
      (ctx.method === 'GET' || ctx.method === 'HEAD') &&
      ctx.host !== canonical.host &&
      isLoopbackHostname(ctx.hostname) &&
      isLoopbackHostname(canonical.hostname) &&
      ctx.path !== '/healthz' &&
      !ctx.path.startsWith('/sandbox/api/');
    if (!moves) return next();
    ctx.redirect(`${canonical.origin}${ctx.originalUrl}`);
  };
}
