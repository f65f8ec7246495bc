import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

// pino-pretty is loaded only when a terminal is watching: a service (JSON lines) starts without it.
const require = createRequire(import.meta.url);

export type { Logger } from 'pino';

/**
 * Structured JSON lines (journald, docker and log shippers read them as they are), or readable
 * lines when a person is watching: output to a terminal is pretty-printed unless `pretty` says
 * otherwise. `destination` is a file descriptor (default 1, stdout) or a stream (always JSON unless
 * `pretty` is true). `secrets` are scrubbed from every line as a last line of defence: the code never
 * logs them on purpose, but an error message from a library might quote a URL that carries the API key.
 */
export function createLogger(options: { level: string; secrets?: string[]; destination?: DestinationStream | 1 | 2; pretty?: boolean }): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  const target = options.destination ?? 1;
  const pretty = options.pretty ?? (typeof target === 'number' && isatty(target));
  const stream = typeof target === 'number' ? pino.destination({ dest: target, sync: pretty }) : target;
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'apiKey', '*.apiKey', 'headers.cookie', 'headers.authorization', 'jwt'], censor: '[redacted]' },
      hooks: secrets.length > 0 ? { streamWrite: secretScrubber(secrets) } : {},
    },
    pretty ? prettyStream(stream) : stream,
  );
}

/**
 * Each JSON line (already scrubbed by the hook) turned into pino-pretty's text in the same call, so
 * a line logged just before process.exit is not lost in a transform queue. Writes to a terminal are
 * synchronous, so nothing is gained by a worker thread.
 */
function prettyStream(out: DestinationStream): DestinationStream {
  const { prettyFactory } = require('pino-pretty') as { prettyFactory: (options: PrettyOptions) => (line: string) => string };
  const prettify = prettyFactory({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return { write: (line: string) => out.write(prettify(line)) };
}

/**
 * scrubSecrets for a fixed list, as the logger's per-line hook: the strings to look for (each
 * secret and its URL-encoded form) are worked out once, and a line is copied only when one is in it.
 */
function secretScrubber(secrets: readonly string[]): (line: string) => string {
  const needles = [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s)]))];
  return (line) => (needles.some((n) => line.includes(n)) ? scrubSecrets(line, secrets) : line);
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 6) continue;
    out = out.split(secret).join('[redacted]');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('[redacted]');
  }
  return out;
}
