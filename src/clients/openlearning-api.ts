/**
 * The one OpenLearning API call the portal makes: enrol a user in a class, exactly as documented:
 * POST {api}/enrolments/?api_key=KEY, form body class=<class>&user=<sub>. The key is a secret: it
 * never appears in what this returns (messages are scrubbed), so it cannot reach logs or pages.
 */
import { scrubSecrets } from '../logger.js';

export type EnrolOutcome =
  | { kind: 'enrolled'; status: number; message: string }
  /** Worth retrying later: 5xx, 429, timeout, network error. */
  | { kind: 'retry'; status: number | null; message: string }
  /** OpenLearning said no (other 4xx): retrying will not help; staff must look. */
  | { kind: 'rejected'; status: number; message: string };

export interface OpenLearningClient {
  enrol(classId: string, userId: string): Promise<EnrolOutcome>;
}

export interface OpenLearningClientOptions {
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
}

const MAX_MESSAGE = 500;

export function createOpenLearningClient(options: OpenLearningClientOptions): OpenLearningClient {
  const secrets = [options.apiKey];
  const clean = (text: string) => scrubSecrets(text, secrets).slice(0, MAX_MESSAGE);
  return {
    async enrol(classId, userId) {
      const url = `${options.apiUrl}/enrolments/?api_key=${encodeURIComponent(options.apiKey)}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ class: classId, user: userId }).toString(),
          signal: AbortSignal.timeout(options.timeoutMs),
          redirect: 'manual', // a redirect would drop the POST body; report it to staff instead
        });
      } catch (error) {
        const err = error as Error & { cause?: { code?: string; message?: string } };
        const message =
          err.name === 'TimeoutError'
            ? `no answer within ${options.timeoutMs / 1000} s`
            : `network error: ${err.cause?.code ?? err.cause?.message ?? err.message}`;
        return { kind: 'retry', status: null, message: clean(message) };
      }
      const message = clean(await readMessage(response));
      if (response.ok) return { kind: 'enrolled', status: response.status, message };
      if (response.status >= 500 || response.status === 429 || response.status === 408) return { kind: 'retry', status: response.status, message };
      return { kind: 'rejected', status: response.status, message };
    },
  };
}

/** OpenLearning answers JSON; keep its human message (detail / message / error) or the raw text. */
async function readMessage(response: Response): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return `HTTP ${response.status}`;
  }
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['detail', 'message', 'error', 'non_field_errors']) {
      const value = body[key];
      if (typeof value === 'string') return value;
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
    }
    return JSON.stringify(body);
  } catch {
    return text.trim() || `HTTP ${response.status}`;
  }
}
