/**
 * Without SMTP, every email is written to DATA_DIR/mail/ as an .eml file; these pages list and
 * show them, so the whole flow can be followed without a mail server.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ParsedMail } from 'mailparser';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { dataPaths } from '../../data-paths.js';
import { render } from '../render.js';
import { staffText } from './staff-text.js';

const PAGE = 30;
const NAME = /^[\w.-]+\.eml$/;

/**
 * mailparser is loaded when a captured email is first read: importing it costs about half a second,
 * which every start of the portal paid before it could answer /healthz.
 */
async function simpleParser(...args: Parameters<typeof import('mailparser').simpleParser>): Promise<ParsedMail> {
  const { simpleParser: parse } = await import('mailparser');
  return parse(...args);
}

export function registerMailRoutes(router: Router, deps: Deps): void {
  const dir = dataPaths(deps.config).mail;

  function requireCapture() {
    if (deps.mailer.kind !== 'capture') throw new AppError('admin.not_found', 'emails are sent by SMTP, none are captured');
  }

  function files(): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((f) => NAME.test(f))
      .sort()
      .reverse();
  }

  async function load(ctx: Context): Promise<{ name: string; mail: ParsedMail }> {
    requireCapture();
    const name = ctx.params.name ?? '';
    if (!NAME.test(name) || !files().includes(name)) throw new AppError('admin.not_found', `no captured email ${name}`);
    return { name, mail: await simpleParser(fs.readFileSync(path.join(dir, name))) };
  }

  router.get('mail', '/mail', async function listCapturedMail(ctx) {
    requireCapture();
    const all = files();
    const page = Math.max(1, Number.parseInt(String(ctx.query.page ?? '1'), 10) || 1);
    const names = all.slice((page - 1) * PAGE, page * PAGE);
    const messages = await Promise.all(
      names.map(async (name) => {
        const mail = await simpleParser(fs.readFileSync(path.join(dir, name)), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
        return {
          name,
          subject: mail.subject ?? '(no subject)',
          to: mail.to ? (Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to.text) : '',
          date: mail.date?.toISOString(),
          attachments: mail.attachments.length,
        };
      }),
    );
    render(ctx, 'admin/mail-list.njk', {
      title: staffText('mail.title'),
      section: 'mail',
      messages,
      total: all.length,
      dir,
      nextUrl: page * PAGE < all.length ? `/admin/mail?page=${page + 1}` : undefined,
      prevUrl: page > 1 ? `/admin/mail?page=${page - 1}` : undefined,
    });
  });

  router.get('mail-message', '/mail/:name', async function showCapturedMail(ctx) {
    const { name, mail } = await load(ctx);
    render(ctx, 'admin/mail-message.njk', {
      title: mail.subject ?? staffText('mailMessage.untitled'),
      section: 'mail',
      name,
      mail,
      to: mail.to ? (Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to.text) : '',
      attachments: mail.attachments.map((a, index) => ({ index, filename: a.filename ?? `attachment-${index + 1}`, size: a.size, contentType: a.contentType })),
    });
  });

  router.get('mail-html', '/mail/:name/body.html', async function showCapturedMailHtml(ctx) {
    const { mail } = await load(ctx);
    // Shown in a sandboxed frame: the email's HTML runs no script, submits no form and cannot
    // navigate the admin page. It keeps the portal's origin only so that the admin page's own script
    // can measure its height (same origin without scripts gives the email nothing to act with).
    ctx.set('Content-Security-Policy', "sandbox allow-same-origin; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
    ctx.type = 'html';
    ctx.body = typeof mail.html === 'string' ? mail.html : '<p>(This email has no HTML part.)</p>';
  });

  router.get('mail-attachment', '/mail/:name/attachments/:index', async function downloadAttachment(ctx) {
    const { mail } = await load(ctx);
    const attachment = mail.attachments[Number(ctx.params.index)];
    if (!/^\d+$/.test(ctx.params.index ?? '') || !attachment) throw new AppError('admin.not_found', 'no such attachment');
    ctx.type = attachment.contentType;
    ctx.set('Content-Disposition', `attachment; filename="${(attachment.filename ?? 'attachment').replace(/["\\\r\n]/g, '_')}"`);
    ctx.body = attachment.content;
  });
}
