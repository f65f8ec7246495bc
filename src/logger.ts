import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout (journald, docker and log shippers read them as they are).
 * `secrets` are scrubbed from every line as a last line of defence: the code never logs them on
 * purpose, but an error message from a library might quote a URL that carries the API key.
 */
export function createLogger(options: { level: string; secrets?: string[]; destination?: DestinationStream }): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'apiKey', '*.apiKey', 'headers.cookie', 'headers.authorization', 'jwt'], censor: '[redacted]' },
      hooks: secrets.length > 0 ? { streamWrite: secretScrubber(secrets) } : {},
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
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
