import type { Middleware } from 'koa';
import { AppError, type ErrorId, type ErrorSpec } from '../errors.js';
import { chooseLanguage, translator, type Language, type Translator } from '../i18n.js';
import type { Logger } from '../logger.js';
import type { Views } from '../views.js';

const STATUS_IDS: Record<number, ErrorId> = {
  400: 'request.bad_form',
  401: 'auth.required',
  403: 'auth.forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'request.too_large',
  415: 'request.bad_form',
};

/**
 * The one error handler. Known errors (AppError) become their page with their status; Koa HTTP
 * errors map onto the catalogue; anything else is a 500 with a reference id. People never see a
 * stack trace; the log always says why.
 */
export function errorPages(views: Views, logger: Logger, languages: readonly Language[]): Middleware {
  return async function renderErrors(ctx, next) {
    let error: unknown;
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) error = new AppError('not_found', `no route for ${ctx.method} ${ctx.path}`);
    } catch (caught) {
      error = caught;
    }
    if (error === undefined) return;
    const appError = toAppError(error);
    const requestId = ctx.state.requestId as string | undefined;
    if (appError.id === 'storage.full') {
      logger.error(
        { err: error, id: requestId, error: appError.id },
        'request failed: storage is full (disk or database size limit); nothing was saved. Free space in DATA_DIR; the portal recovers by itself',
      );
      ctx.set('Retry-After', '300');
    } else if (appError.status >= 500) logger.error({ err: error, id: requestId, error: appError.id }, 'request failed');
    else logger.warn({ id: requestId, error: appError.id, reason: appError.detail }, 'request refused');
    ctx.state.logFields = { ...(ctx.state.logFields as object | undefined), error: appError.id };
    ctx.status = appError.status;
    if (appError.status === 405) ctx.set('Allow', (error as { headers?: { Allow?: string } }).headers?.Allow ?? '');
    ctx.type = 'html';
    // Learners read the page in their language (`?lang=` or their browser's); the staff area stays English.
    const i18n = isStaffPage(ctx.path)
      ? undefined
      : translator('learner', chooseLanguage(languages, { asked: ctx.query.lang, accepted: ctx.acceptsLanguages() }));
    ctx.body = views.page('errors/error.njk', {
      i18n,
      error: i18n ? localisedSpec(appError, i18n) : appError.spec,
      errorId: appError.id,
      requestId,
      staff: ctx.state.staff,
      ...appError.pageData,
    });
  };
}

function isStaffPage(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

/** The error's words in the learner's language where the catalogue has them (English is ERROR_CATALOGUE itself). */
export function localisedSpec(error: AppError, i18n: Translator): ErrorSpec {
  const spec = error.spec;
  const key = `error.${error.id}`;
  if (i18n.language === 'en' || !i18n.has(`${key}.title`)) return spec;
  return {
    ...spec,
    title: i18n.text(`${key}.title`),
    message: i18n.text(`${key}.message`),
    ...(spec.action ? { action: i18n.text(`${key}.action`) } : {}),
  };
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { status?: number; expose?: boolean }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const id = STATUS_IDS[status] ?? 'request.bad_form';
    return new AppError(id, (error as Error).message);
  }
  if (isStorageFull(error)) return new AppError('storage.full', (error as Error).message);
  return new AppError('internal', (error as Error)?.message ?? String(error));
}

/** SQLite's "database or disk is full", and the file system's "no space" or "quota exceeded". */
export function isStorageFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}
