/**
 * The OpenLearning API calls the portal makes: enrol a user in what they bought.
 * - A class, as the course-level help page documents (`form`, the default):
 *   POST {api}/enrolments/?api_key=KEY, form body class=<class>&user=<sub>.
 * - A class, as the institution External Gateway does (`json`):
 *   POST {api}/enrolments/submit-json/ with {user, course, class, send_welcome_email, ignore_course_prereqs}.
 * - A program (External Gateway only): POST {api}/institutions/{institution}/programs/{program}/enrolments/ with {user}.
 * Every call carries the key in the X-API-Key header; only the documented form call also puts it in
 * the query string. The key is a secret: what this returns and logs is scrubbed of it.
 */
import type { EnrolApi } from '../config.js';
import type { Invoice } from '../domain/invoice.js';
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';

export type EnrolOutcome =
  /** Enrolled now, or OpenLearning says the learner already was (the message says which). */
  | { kind: 'enrolled'; status: number; message: string }
  /** Worth retrying later: 5xx, 429, timeout, network error. */
  | { kind: 'retry'; status: number | null; message: string }
  /** OpenLearning said no (other 4xx): retrying will not help; staff must look. */
  | { kind: 'rejected'; status: number; message: string };

export type EnrolmentTarget = { kind: 'class'; courseId: string; classId: string; userId: string } | { kind: 'program'; programId: string; userId: string };

/** What to enrol the learner of this invoice in. */
export function enrolmentTargetOf(invoice: Pick<Invoice, 'olUserId' | 'courseId' | 'classId' | 'programId'>): EnrolmentTarget {
  return invoice.programId !== null
    ? { kind: 'program', programId: invoice.programId, userId: invoice.olUserId }
    : { kind: 'class', courseId: invoice.courseId, classId: invoice.classId, userId: invoice.olUserId };
}

/** 'program P' or 'class C', for audit lines. */
export function describeEnrolmentTarget(target: EnrolmentTarget): string {
  return target.kind === 'program' ? `program ${target.programId}` : `class ${target.classId}`;
}

export interface OpenLearningClient {
  enrol(target: EnrolmentTarget): Promise<EnrolOutcome>;
}

export interface OpenLearningClientOptions {
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** How class enrolments are sent (programs always use the JSON program call). */
  enrolApi: EnrolApi;
  /** The institution id (the tokens' audience), part of the program enrolment URL. */
  institution: string;
  /** Each answer's status and body are logged: the External Gateway's replies are not documented. */
  logger?: Pick<Logger, 'info'>;
}

const MAX_MESSAGE = 500;
const MAX_LOGGED_BODY = 2000;
// Exactly this: plain "application/json" has been seen to answer 405 on the program route.
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const ALREADY_ENROLLED =
  /\balready\s+(?:been\s+)?(?:enrolled|enroled|registered|a\s+member|in\s+(?:this|the)\s+(?:class|course|program))|\benrolment\s+already\s+exists/i;

interface PreparedCall {
  /** The URL as logged and shown: never the key. */
  path: string;
  query: string;
  contentType: string;
  body: string;
}

export function createOpenLearningClient(options: OpenLearningClientOptions): OpenLearningClient {
  const secrets = [options.apiKey];
  const clean = (text: string) => scrubSecrets(text, secrets).slice(0, MAX_MESSAGE);

  function prepare(target: EnrolmentTarget): PreparedCall {
    if (target.kind === 'program') {
      const path = `/institutions/${encodeURIComponent(options.institution)}/programs/${encodeURIComponent(target.programId)}/enrolments/`;
      return { path, query: '', contentType: JSON_CONTENT_TYPE, body: JSON.stringify({ user: target.userId }) };
    }
    if (options.enrolApi === 'json') {
      const body = { user: target.userId, course: target.courseId, class: target.classId, send_welcome_email: true, ignore_course_prereqs: false };
      return { path: '/enrolments/submit-json/', query: '', contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body) };
    }
    return {
      path: '/enrolments/',
      // The documented course-level call asks for the key here; it stays out of everything logged.
      query: `?api_key=${encodeURIComponent(options.apiKey)}`,
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ class: target.classId, user: target.userId }).toString(),
    };
  }

  return {
    async enrol(target) {
      const call = prepare(target);
      let response: Response;
      try {
        response = await fetch(`${options.apiUrl}${call.path}${call.query}`, {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': call.contentType, 'X-API-Key': options.apiKey },
          body: call.body,
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
      const answer = await readAnswer(response);
      options.logger?.info(
        { openlearning: { call: call.path, status: response.status, body: scrubSecrets(answer.raw, secrets).slice(0, MAX_LOGGED_BODY) } },
        'OpenLearning answered',
      );
      const message = clean(answer.message);
      // Some replies carry their real status in meta.status; trust whichever says it failed.
      const failedWith = !response.ok ? response.status : answer.metaStatus !== null && answer.metaStatus >= 400 ? answer.metaStatus : null;
      if (failedWith === null) return { kind: 'enrolled', status: response.status, message };
      if (failedWith >= 400 && failedWith < 500 && ALREADY_ENROLLED.test(answer.raw)) {
        return { kind: 'enrolled', status: response.status, message: clean(`Already enrolled, OpenLearning said: ${answer.message}`) };
      }
      if (failedWith >= 500 || failedWith === 429 || failedWith === 408) return { kind: 'retry', status: response.status, message };
      return { kind: 'rejected', status: response.status, message };
    },
  };
}

interface Answer {
  raw: string;
  /** OpenLearning's own words: meta.error, detail, message, error, or the body itself. */
  message: string;
  metaStatus: number | null;
}

async function readAnswer(response: Response): Promise<Answer> {
  let raw: string;
  try {
    raw = await response.text();
  } catch {
    return { raw: '', message: `HTTP ${response.status}`, metaStatus: null };
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { raw, message: raw.trim() || `HTTP ${response.status}`, metaStatus: null };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { raw, message: wordsOf(body) || raw.trim() || `HTTP ${response.status}`, metaStatus: null };
  const record = body as Record<string, unknown>;
  const meta = typeof record.meta === 'object' && record.meta !== null ? (record.meta as Record<string, unknown>) : {};
  const metaStatus =
    typeof meta.status === 'number' ? meta.status : typeof meta.status === 'string' && /^\d{3}$/.test(meta.status) ? Number(meta.status) : null;
  for (const value of [meta.error, record.detail, record.message, record.error, record.non_field_errors, record.errors]) {
    const text = wordsOf(value);
    if (text) return { raw, message: text, metaStatus };
  }
  // A refusal's field errors at the top level ({"user": ["This field is required."]}); a success keeps its body as sent.
  const fieldErrors = response.ok || 'meta' in record || 'data' in record ? '' : wordsOf(record);
  return { raw, message: fieldErrors || raw.trim() || `HTTP ${response.status}`, metaStatus };
}

/** Strings as they are; arrays and field-error objects ({"user": ["..."]}) flattened to their words. */
function wordsOf(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) return value.map(wordsOf).filter(Boolean).join(' ');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([field, v]) => {
        const words = wordsOf(v);
        return words ? `${field}: ${words}` : '';
      })
      .filter(Boolean)
      .join('; ');
  }
  return '';
}
