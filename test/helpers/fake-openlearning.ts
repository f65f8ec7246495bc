import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  form: Record<string, string>;
}

export type Behaviour =
  | { kind: 'answer'; status: number; body?: unknown }
  /** Never answers (until the client gives up). */
  | { kind: 'hang' };

/**
 * A fake OpenLearning API: a real HTTP server on loopback that records every request and answers
 * as the test says (a queue of behaviours, then the default).
 */
export class FakeOpenLearning {
  readonly requests: RecordedRequest[] = [];
  private queue: Behaviour[] = [];
  fallback: Behaviour = { kind: 'answer', status: 201, body: { id: 'enrolment-1', status: 'enrolled' } };
  private server: http.Server | undefined;
  private hanging = new Set<http.ServerResponse>();
  port = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        this.requests.push({
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
          form: Object.fromEntries(new URLSearchParams(body)),
        });
        const behaviour = this.queue.shift() ?? this.fallback;
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

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v2.2`;
  }

  /** The next responses, in order; after them the fallback answers. */
  respondWith(...behaviours: Behaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  enrolmentCalls(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/api/v2.2/enrolments/');
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

export const answer = (status: number, body?: unknown): Behaviour => ({ kind: 'answer', status, body });
export const hang: Behaviour = { kind: 'hang' };
