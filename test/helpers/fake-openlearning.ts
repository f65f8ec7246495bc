import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_API_KEY } from './portal.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  form: Record<string, string>;
  /** The parsed body of a JSON call (undefined when it is not JSON). */
  json: unknown;
}

export type Behaviour =
  | { kind: 'answer'; status: number; body?: unknown }
  /** Never answers (until the client gives up). */
  | { kind: 'hang' };

const PREFIX = '/api/v2.2';
const FORM_PATH = `${PREFIX}/enrolments/`;
const JSON_PATH = `${PREFIX}/enrolments/submit-json/`;
const PROGRAM_PATH = new RegExp(`^${PREFIX}/institutions/([^/]+)/programs/([^/]+)/enrolments/$`);
/** What OpenLearning's JSON routes accept; anything else has been seen to answer 405. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A fake OpenLearning API: a real HTTP server on loopback that records every request and answers
 * as the test says (a queue of behaviours, then the default). Like OpenLearning it knows three
 * enrolment calls (the form call, the JSON call and the program call), wants the API key in the
 * X-API-Key header, and refuses a JSON call whose content type is not exactly JSON_CONTENT_TYPE.
 * A request failing those checks is recorded and answered 401/405/404 without using the queue.
 */
export class FakeOpenLearning {
  readonly requests: RecordedRequest[] = [];
  private queue: Behaviour[] = [];
  fallback: Behaviour = { kind: 'answer', status: 201, body: { id: 'enrolment-1', status: 'enrolled' } };
  private server: http.Server | undefined;
  private hanging = new Set<http.ServerResponse>();
  port = 0;

  constructor(readonly apiKey: string = TEST_API_KEY) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
          form: Object.fromEntries(new URLSearchParams(body)),
          json: parseJson(body),
        };
        this.requests.push(recorded);
        const refusal = this.refusal(recorded);
        const behaviour = refusal ?? this.queue.shift() ?? this.fallback;
        if (behaviour.kind === 'hang') {
          this.hanging.add(res);
          return;
        }
        res.statusCode = behaviour.status;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(behaviour.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The answer OpenLearning gives a call that is not one it accepts, or undefined when the call is fine. */
  private refusal(request: RecordedRequest): Behaviour | undefined {
    const isForm = request.path === FORM_PATH;
    const isJson = request.path === JSON_PATH || PROGRAM_PATH.test(request.path);
    if (request.method !== 'POST' || (!isForm && !isJson)) return answer(404, { detail: 'Not found.' });
    if (request.headers['x-api-key'] !== this.apiKey) return answer(401, { detail: 'Authentication credentials were not provided.' });
    const contentType = request.headers['content-type'];
    if (isJson && contentType !== JSON_CONTENT_TYPE) return answer(405, { detail: 'Method "POST" not allowed.' });
    if (isForm && contentType !== 'application/x-www-form-urlencoded') return answer(415, { detail: `Unsupported media type "${contentType}".` });
    return undefined;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}${PREFIX}`;
  }

  /** The next responses, in order; after them the fallback answers. */
  respondWith(...behaviours: Behaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  /** Calls of the documented form enrolment (POST /enrolments/). */
  enrolmentCalls(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === FORM_PATH);
  }

  /** Calls of the JSON class enrolment (POST /enrolments/submit-json/). */
  jsonEnrolmentCalls(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === JSON_PATH);
  }

  /** Calls of the program enrolment, with the institution and program from the path. */
  programEnrolmentCalls(): (RecordedRequest & { institution: string; program: string })[] {
    return this.requests.flatMap((r) => {
      const match = PROGRAM_PATH.exec(r.path);
      return match ? [{ ...r, institution: decodeURIComponent(match[1]!), program: decodeURIComponent(match[2]!) }] : [];
    });
  }

  reset(): void {
    this.requests.length = 0;
    this.queue = [];
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export const answer = (status: number, body?: unknown): Behaviour => ({ kind: 'answer', status, body });
export const hang: Behaviour = { kind: 'hang' };
/** OpenLearning's answer when the learner is enrolled already, in its {meta, data} shape. */
export const alreadyEnrolled = (what = 'class'): Behaviour =>
  answer(400, { meta: { status: 400, error: `User is already enrolled in this ${what}.` }, data: null });
