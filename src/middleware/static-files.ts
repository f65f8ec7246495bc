import fs from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Serves the handful of files in public/ from memory under /static/. The set is read once at
 * start-up, so no request path ever reaches the file system.
 */
export function staticFiles(dir: string): Middleware {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of fs.readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(`/static/${name}`, { body: fs.readFileSync(path.join(dir, name)), type });
  }
  return async function serveStatic(ctx, next) {
    // Browsers ask for /favicon.ico whatever the page says; answer with the icon, not a logged 404.
    const path = ctx.path === '/favicon.ico' ? '/static/favicon.svg' : ctx.path;
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}
