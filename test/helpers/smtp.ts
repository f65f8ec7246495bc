import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

/**
 * A real SMTP server on loopback. Every message is parsed with mailparser. stop() and start()
 * again on the same port simulate an outage.
 */
export class TestSmtpServer {
  readonly messages: ParsedMail[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  private waiters: { predicate: (m: ParsedMail) => boolean; resolve: (m: ParsedMail) => void }[] = [];

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push(mail);
            this.waiters = this.waiters.filter((w) => {
              if (!w.predicate(mail)) return true;
              w.resolve(mail);
              return false;
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves with the first message (already received or arriving) that matches. */
  waitFor(predicate: (m: ParsedMail) => boolean, timeoutMs = 10_000): Promise<ParsedMail> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching email within ${timeoutMs} ms (got ${this.messages.length}: ${this.messages.map((m) => m.subject).join(' | ')})`)),
        timeoutMs,
      );
      this.waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  to(address: string): ParsedMail[] {
    return this.messages.filter((m) => addressesOf(m).includes(address.toLowerCase()));
  }
}

export function addressesOf(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}
