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
  return async function setSecurityHeaders(ctx, next) {
    // Set before the route runs, so error pages on these paths carry it too.
    if (isLearnerCredentialPath(ctx.path)) ctx.set('Cache-Control', 'no-store');
    await middleware(ctx, next);
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
