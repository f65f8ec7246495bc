import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Transporter } from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

export interface Mailer {
  /** 'smtp' sends; 'capture' writes .eml files to a directory (no SMTP_URL configured). */
  readonly kind: 'smtp' | 'capture';
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** An SMTP refusal with a 5xx code will not succeed on retry (e.g. "mailbox does not exist"). */
export function isPermanentMailError(error: unknown): boolean {
  const code = (error as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * nodemailer (some forty modules) is loaded when the first email is sent, not with the server: a
 * start then only pays for what answering requests needs.
 */
function lazyTransport(create: (nodemailer: typeof import('nodemailer').default) => Transporter): { get(): Promise<Transporter>; close(): void } {
  let transport: Promise<Transporter> | undefined;
  return {
    get: () => (transport ??= import('nodemailer').then(({ default: nodemailer }) => create(nodemailer))),
    close: () => void transport?.then((t) => t.close()).catch(() => undefined),
  };
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  // A small pool reuses connections when a job queues many emails; short timeouts because the
  // worker retries later anyway, and a hung server must not hold a lease.
  const url = new URL(smtpUrl);
  for (const [key, value] of Object.entries({
    pool: 'true',
    maxConnections: '2',
    connectionTimeout: '10000',
    greetingTimeout: '10000',
    socketTimeout: '30000',
  })) {
    if (!url.searchParams.has(key)) url.searchParams.set(key, value);
  }
  const transport = lazyTransport((nodemailer) => nodemailer.createTransport(url.href, { from }));
  return {
    kind: 'smtp',
    async send(email) {
      await (await transport.get()).sendMail({ from, ...email, messageId: email.messageId });
    },
    close: () => transport.close(),
  };
}

/** Without SMTP every email is written, complete with attachments, to `dir` as an .eml file. */
export function createCaptureMailer(dir: string, from: string): Mailer {
  const transport = lazyTransport((nodemailer) => nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }));
  return {
    kind: 'capture',
    async send(email) {
      const info = await (await transport.get()).sendMail({ from, ...email, messageId: email.messageId });
      fs.mkdirSync(dir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = path.join(dir, `${stamp}-${randomBytes(4).toString('hex')}.eml`);
      fs.writeFileSync(`${file}.tmp`, info.message as Buffer);
      fs.renameSync(`${file}.tmp`, file);
    },
    close: () => transport.close(),
  };
}
