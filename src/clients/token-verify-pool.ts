/**
 * TokenVerifier.verify on worker threads, so verifying landings uses a second core instead of
 * adding to the event loop's work (jose's signature check, the claims schema and the URL checks
 * cost more main-thread time per landing than its database transaction). Each worker builds its
 * own TokenVerifier from the same options and answers with the claims or with the AppError the
 * verifier threw (id, detail, page data), rebuilt here: callers get exactly what
 * TokenVerifier.verify would have given them.
 *
 * The clock stays on the main thread: every request carries "now" from the caller's clock (a fake
 * one in tests), and the worker's verifier reads it through AsyncLocalStorage, so requests
 * verified concurrently in one worker each see their own time.
 *
 * If a worker dies, what it was verifying is refused with an error (a 500 for those few requests)
 * and verification continues on the remaining workers, or in-process when none is left.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Clock } from '../clock.js';
import { AppError, type ErrorId } from '../errors.js';
import { refuseUnsignedPost, TokenVerifier, type EnrolmentClaims, type TokenVerifierOptions } from './openlearning-token.js';

export type TokenVerification = Pick<TokenVerifier, 'verify' | 'verifyPost'> & { close(): Promise<void> };

interface VerifyRequest {
  seq: number;
  jwt: unknown;
  now: number;
}

type VerifyAnswer =
  | { seq: number; ok: true; claims: EnrolmentClaims }
  | { seq: number; ok: false; appError?: { id: ErrorId; detail: string | undefined; pageData: Record<string, unknown> }; message?: string };

interface Waiting {
  resolve(claims: EnrolmentClaims): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  waiting: Map<number, Waiting>;
  /** Requests made in this event-loop turn, posted together when it ends. */
  outbox: VerifyRequest[];
}

/** Workers load this module's compiled file; under a TypeScript loader (vitest) there is none. */
const CAN_START_WORKERS = fileURLToPath(import.meta.url).endsWith('.js');

/**
 * The portal's token verification: a pool of `workers` threads (default: one per core beyond the
 * first) when the compiled module can be loaded in a worker, otherwise the verifier itself.
 */
export function createTokenVerification(options: TokenVerifierOptions, workers = availableParallelism() - 1): TokenVerification {
  if (workers < 1 || !CAN_START_WORKERS) {
    const verifier = new TokenVerifier(options);
    return { verify: (jwt) => verifier.verify(jwt), verifyPost: (form) => verifier.verifyPost(form), close: async () => undefined };
  }
  return new TokenVerifyPool(options, workers);
}

export class TokenVerifyPool implements TokenVerification {
  private readonly workers: PoolWorker[] = [];
  private readonly inProcess: TokenVerifier;
  private readonly clock: Clock;
  private seq = 0;
  private next = 0;

  constructor(options: TokenVerifierOptions, size: number) {
    this.clock = options.clock;
    this.inProcess = new TokenVerifier(options);
    // Only data crosses to a worker; the clock stays here.
    const { clock: _clock, ...data } = options;
    for (let i = 0; i < size; i++) {
      const entry: PoolWorker = {
        worker: new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE, options: data } }),
        waiting: new Map(),
        outbox: [],
      };
      entry.worker.on('message', (answers: VerifyAnswer[]) => {
        for (const answer of answers) settle(entry, answer);
      });
      entry.worker.on('error', (error) => this.retire(entry, error));
      entry.worker.on('exit', (code) => this.retire(entry, new Error(`token verification worker exited with code ${code}`)));
      // Verification is only ever awaited by a request: an idle pool must not keep the process alive.
      entry.worker.unref();
      this.workers.push(entry);
    }
  }

  /** The unsigned-post check is cheap and stays here; the signature check goes to a worker. */
  async verifyPost(form: Record<string, unknown>): Promise<EnrolmentClaims> {
    refuseUnsignedPost(form);
    return this.verify(form.jwt);
  }

  verify(jwt: unknown): Promise<EnrolmentClaims> {
    if (this.workers.length === 0) return this.inProcess.verify(jwt);
    const entry = this.workers[this.next++ % this.workers.length]!;
    const seq = ++this.seq;
    return new Promise<EnrolmentClaims>((resolve, reject) => {
      entry.waiting.set(seq, { resolve, reject });
      // A form field is a string (or absent); anything else is refused as missing by the verifier either way.
      const request: VerifyRequest = { seq, jwt: typeof jwt === 'string' ? jwt : null, now: this.clock.now().getTime() };
      // Each message to a thread costs more than verifying a token on it: the landings that arrive
      // in one event-loop turn go in one message, and their answers come back together.
      if (entry.outbox.push(request) === 1) setImmediate(() => entry.worker.postMessage(entry.outbox.splice(0)));
    });
  }

  async close(): Promise<void> {
    const entries = this.workers.splice(0);
    await Promise.all(entries.map((e) => e.worker.terminate()));
    for (const e of entries) rejectAll(e, new Error('token verification pool closed'));
  }

  private retire(entry: PoolWorker, error: unknown): void {
    const index = this.workers.indexOf(entry);
    if (index >= 0) this.workers.splice(index, 1);
    rejectAll(entry, error);
  }
}

function settle(entry: PoolWorker, answer: VerifyAnswer): void {
  const waiting = entry.waiting.get(answer.seq);
  if (!waiting) return;
  entry.waiting.delete(answer.seq);
  if (answer.ok) waiting.resolve(answer.claims);
  else if (answer.appError) waiting.reject(new AppError(answer.appError.id, answer.appError.detail, answer.appError.pageData));
  else waiting.reject(new Error(`token verification failed: ${answer.message}`));
}

function rejectAll(entry: PoolWorker, error: unknown): void {
  for (const waiting of entry.waiting.values()) waiting.reject(error);
  entry.waiting.clear();
}

const WORKER_ROLE = 'token-verify-pool';

// In a worker started above (and only there: another worker that merely imports this module is left alone).
if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  const requestTime = new AsyncLocalStorage<Date>();
  const clock: Clock = { now: () => requestTime.getStore() ?? new Date() };
  const verifier = new TokenVerifier({ ...(workerData as { options: Omit<TokenVerifierOptions, 'clock'> }).options, clock });
  const answers: VerifyAnswer[] = [];
  const answer = (settled: VerifyAnswer) => {
    if (answers.push(settled) === 1) setImmediate(() => port.postMessage(answers.splice(0)));
  };
  port.on('message', (requests: VerifyRequest[]) => {
    for (const request of requests) {
      requestTime.run(new Date(request.now), () => {
        verifier.verify(request.jwt).then(
          (claims) => answer({ seq: request.seq, ok: true, claims }),
          (error: unknown) =>
            answer(
              error instanceof AppError
                ? { seq: request.seq, ok: false, appError: { id: error.id, detail: error.detail, pageData: error.pageData } }
                : { seq: request.seq, ok: false, message: error instanceof Error ? error.message : String(error) },
            ),
        );
      });
    }
  });
}
