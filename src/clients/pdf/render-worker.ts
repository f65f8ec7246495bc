/**
 * Invoice PDFs rendered on a worker thread, so that issuing an invoice does not hold the event loop
 * for the render (layout, font subsetting and compression were most of an issue's main-thread
 * time) and the render uses a second core. The worker runs the same renderer on the same model,
 * and the renderer's bytes depend only on the model (fonts.ts), so the PDF is byte for byte the one
 * rendered in-process.
 *
 * A worker per core, at most four: the first starts on the first render, and another only when a
 * render arrives while every running worker is busy, so a quiet portal keeps one (each holds its
 * own fonts, about 35 MB) and a burst of issuing uses every core. A worker keeps the process alive
 * only while a render is pending (a command-line run that awaits a PDF must not exit under it; an
 * idle server's worker must not hold it open). If a worker dies, the renders it held are refused
 * with an error and later renders go to the others, or run in-process when none is left. Under a TypeScript loader (vitest) there is no compiled file for a
 * worker to load, so rendering stays in-process there.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { InvoicePdfModel } from './invoice-pdf.js';

interface RenderRequest {
  seq: number;
  model: InvoicePdfModel;
}

type RenderAnswer = { seq: number; ok: true; bytes: Uint8Array } | { seq: number; ok: false; message: string };

interface Waiting {
  resolve(bytes: Buffer): void;
  reject(error: unknown): void;
}

const CAN_START_WORKERS = fileURLToPath(import.meta.url).endsWith('.js');
const WORKER_ROLE = 'pdf-render-worker';
const MAX_WORKERS = Math.max(1, Math.min(availableParallelism(), 4));

async function renderInProcess(model: InvoicePdfModel): Promise<Buffer> {
  return (await import('./invoice-pdf.js')).renderInvoicePdf(model);
}

class RenderWorker {
  private readonly worker = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE } });
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  dead = false;

  get busy(): number {
    return this.waiting.size;
  }

  constructor() {
    this.worker.on('message', (answer: RenderAnswer) => this.settle(answer));
    this.worker.on('error', (error) => this.retire(error));
    this.worker.on('exit', (code) => this.retire(new Error(`PDF render worker exited with code ${code}`)));
    this.worker.unref();
  }

  render(model: InvoicePdfModel): Promise<Buffer> {
    const seq = ++this.seq;
    return new Promise<Buffer>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, model } satisfies RenderRequest);
    });
  }

  private settle(answer: RenderAnswer): void {
    const waiting = this.waiting.get(answer.seq);
    if (!waiting) return;
    this.waiting.delete(answer.seq);
    if (this.waiting.size === 0) this.worker.unref();
    if (answer.ok) waiting.resolve(Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength));
    else waiting.reject(new Error(`PDF rendering failed: ${answer.message}`));
  }

  private retire(error: unknown): void {
    this.dead = true;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

const workers: RenderWorker[] = [];

/** An idle worker; else a new one while there is room; else the least busy (dead ones are never reused). */
function chooseWorker(): RenderWorker | undefined {
  const live = workers.filter((worker) => !worker.dead);
  const idle = live.find((worker) => worker.busy === 0);
  if (idle) return idle;
  if (workers.length < MAX_WORKERS) {
    const started = new RenderWorker();
    workers.push(started);
    return started;
  }
  return live.sort((a, b) => a.busy - b.busy)[0];
}

/** Renders on a worker thread where one can be started, otherwise in-process; the same bytes either way. */
export function renderInvoicePdfOffThread(model: InvoicePdfModel): Promise<Buffer> {
  if (!CAN_START_WORKERS) return renderInProcess(model);
  const worker = chooseWorker();
  return worker ? worker.render(model) : renderInProcess(model);
}

// In the worker started above (and only there: another worker that merely imports this module is left alone).
if (!isMainThread && parentPort && (workerData as { role?: unknown } | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  port.on('message', (request: RenderRequest) => {
    renderInProcess(request.model).then(
      (bytes) => {
        // A copy that owns its memory, so it can be transferred rather than copied again.
        const owned = new Uint8Array(bytes);
        port.postMessage({ seq: request.seq, ok: true, bytes: owned } satisfies RenderAnswer, [owned.buffer]);
      },
      (error: unknown) =>
        port.postMessage({ seq: request.seq, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies RenderAnswer),
    );
  });
}
