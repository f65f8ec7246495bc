/**
 * Invoice PDFs rendered on the worker thread, as the running portal renders them: the built module
 * (dist/, made by `npm test`'s build step), whose worker loads its compiled file. The learner must
 * get the same PDF, byte for byte, as the renderer gives in-process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderInvoicePdf } from '../../src/clients/pdf/invoice-pdf.js';
import { latinModel, multiScriptModel } from '../fixtures/invoice-pdf-models.js';

const BUILT = path.resolve(import.meta.dirname, '../../dist/clients/pdf/render-worker.js');
let renderOffThread: (typeof import('../../src/clients/pdf/render-worker.js'))['renderInvoicePdfOffThread'];

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` (npm test does it for you)`);
  renderOffThread = ((await import(BUILT)) as typeof import('../../src/clients/pdf/render-worker.js')).renderInvoicePdfOffThread;
});

describe('PDF rendering on a worker thread', () => {
  test('gives the same bytes as rendering in-process, for many invoices at once', async () => {
    const models = [latinModel(), multiScriptModel(), latinModel({ number: 'INV-000043', facturXml: '<x/>' }), multiScriptModel({ sandbox: true })];
    const offThread = await Promise.all(models.map((model) => renderOffThread(model)));
    const inProcess = await Promise.all(models.map((model) => renderInvoicePdf(model)));
    offThread.forEach((bytes, i) => {
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      expect(bytes.equals(inProcess[i]!)).toBe(true);
    });
    expect(offThread[0]!.equals(offThread[2]!)).toBe(false);
  });

  test('a render that fails is refused, and the next one still renders', async () => {
    const broken = { ...latinModel(), totals: null } as unknown as Parameters<typeof renderOffThread>[0];
    await expect(renderOffThread(broken)).rejects.toThrow(/PDF rendering failed/);
    expect((await renderOffThread(latinModel())).equals(await renderInvoicePdf(latinModel()))).toBe(true);
  });
});
