/**
 * Rendering an invoice PDF (pdfkit, embedded Noto subsets, EPC QR code), Latin-only and with text
 * in several scripts. Baseline: the smallest useful PDF, one line in a standard font, timed
 * alongside. Rendering happens once per invoice (the bytes are stored), so this is the cost of
 * issuing, not of downloading.
 */
import PDFDocument from 'pdfkit';
import { renderInvoicePdf, type InvoicePdfModel } from '../src/clients/pdf/invoice-pdf.js';
import { latinModel, multiScriptModel } from '../test/fixtures/invoice-pdf-models.js';
import { stats, type BenchContext, type BenchResult, type BenchRow } from './harness.js';
import { compareAsync } from './portal-fixture.js';

export const name = 'pdf';
export const description = 'invoice PDF rendering, Latin and multi-script, against a one-line PDF';

function minimalPdf(): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ size: 'A4' });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.font('Helvetica').text('Invoice');
    doc.end();
  });
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const runs = Number(ctx.env.BENCH_PDF_RUNS) || 30;
  // The same invoices the PDF tests check (test/fixtures/invoice-pdf-models.ts).
  const cases: [string, InvoicePdfModel][] = [
    ['invoice, Latin text only', latinModel()],
    ['invoice, Greek/Cyrillic/CJK/Korean/Arabic/Hebrew/Thai text + EPC QR', multiScriptModel()],
  ];
  const rows: BenchRow[] = [];
  for (const [caseName, m] of cases) {
    const first = performance.now();
    const bytes = await renderInvoicePdf(m);
    const firstMs = performance.now() - first;
    const timed = await compareAsync(minimalPdf, () => renderInvoicePdf(m), runs);
    const s = stats(timed.subject);
    const b = stats(timed.baseline);
    rows.push({
      case: caseName,
      medianMs: s.medianMs,
      p95Ms: s.p95Ms,
      baselineMs: b.medianMs,
      ratio: s.medianMs / b.medianMs,
      runs: s.runs,
      note: `${Math.round(bytes.length / 1024)} kB; first render in the process ${Math.round(firstMs)} ms (font loading)`,
    });
    ctx.log(`pdf: ${caseName} done`);
  }
  return { baseline: 'a one-line PDF in a standard font (pdfkit)', rows };
}
