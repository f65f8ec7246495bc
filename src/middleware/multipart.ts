/**
 * File uploads (multipart/form-data) on the few routes that take one, e.g. a bank statement. The
 * app's body parser reads only small forms; this one reads up to `limitBytes`, and only for a
 * signed-in staff member posting from this site, so nobody can make the server buffer megabytes without a session. It
 * runs before the staff guard, which then finds `_csrf` in ctx.request.body as for any form.
 *
 * Parsing is Node's own (undici's Request#formData, the WHATWG multipart parser built into Node
 * 20): no extra dependency, and the limit is enforced here while the bytes are read.
 */
import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import { sameOriginProblem } from './staff-auth.js';

export interface UploadedFile {
  fileName: string;
  bytes: Buffer;
}

declare module 'koa' {
  interface DefaultState {
    files?: Record<string, UploadedFile>;
  }
}

export function multipartUploads(options: { paths: readonly string[]; limitBytes: number; publicUrl: string }): Middleware {
  return async function readUpload(ctx, next) {
    if (ctx.method !== 'POST' || !options.paths.includes(ctx.path) || !ctx.is('multipart/form-data') || !ctx.state.session) return next();
    // A cross-site post is refused by the guard: not worth reading first.
    if (sameOriginProblem(ctx, options.publicUrl)) return next();
    const declared = Number(ctx.get('Content-Length') || '0');
    if (declared > options.limitBytes) throw new AppError('request.too_large', `upload of ${declared} bytes, limit ${options.limitBytes}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.limitBytes) throw new AppError('request.too_large', `upload over ${options.limitBytes} bytes`);
      chunks.push(chunk);
    }
    let form: FormData;
    try {
      form = await new Request('http://upload.invalid/', {
        method: 'POST',
        headers: { 'content-type': ctx.get('Content-Type') },
        body: Buffer.concat(chunks),
      }).formData();
    } catch (error) {
      throw new AppError('request.bad_form', `multipart body: ${(error as Error).message}`);
    }
    const fields: Record<string, string> = {};
    const files: Record<string, UploadedFile> = {};
    for (const [name, value] of form) {
      if (typeof value === 'string') fields[name] = value;
      else files[name] = { fileName: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
    }
    ctx.request.body = fields;
    ctx.state.files = files;
    await next();
  };
}
