import helmet from 'koa-helmet';
import type { Middleware } from 'koa';

/**
 * Strict defaults for every response: no inline scripts, no framing by other sites, no referrer to
 * other sites (our URLs carry the learner's credential token), HSTS when served over https.
 */
export function securityHeaders(options: { https: boolean }): Middleware {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // same-origin: our URLs carry the learner's token, so no Referer ever goes to another site, while
    // our own forms still send a real Origin header (with no-referrer browsers send "Origin: null").
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  }) as unknown as Middleware;
  // These options make helmet's headers the same for every response, so helmet runs once, here,
  // and each request only copies its headers (helmet per request cost a CSP string, a promise and
  // a dozen closures on every landing).
  const headers = recordHeaders(middleware);
  return async function setSecurityHeaders(ctx, next) {
    // Set before the route runs, so error pages on these paths carry it too.
    if (isLearnerCredentialPath(ctx.path)) ctx.set('Cache-Control', 'no-store');
    for (const [name, value] of headers) ctx.set(name, value);
    await next();
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  };
}

/**
 * Paths whose URL is (or carries, or mints) a learner's credential token: no browser or proxy
 * cache may keep them, whatever the route remembers to set.
 */
export function isLearnerCredentialPath(path: string): boolean {
  return path === '/enrol' || path.startsWith('/enrol/') || path.startsWith('/billing/') || path.startsWith('/i/');
}

/** The headers a Koa middleware sets on a response, in order (it must set them synchronously). */
function recordHeaders(middleware: Middleware): [string, string | string[]][] {
  const headers = new Map<string, string | string[]>();
  const res = {
    setHeader: (name: string, value: string | number | string[]) => headers.set(name, typeof value === 'number' ? String(value) : value),
    removeHeader: (name: string) => headers.delete(name),
  };
  void (middleware as unknown as (ctx: unknown, next: () => Promise<void>) => Promise<unknown>)({ req: { headers: {} }, res }, () => Promise.resolve());
  if (headers.size === 0) throw new Error('security headers: helmet set no header synchronously');
  return [...headers];
}
