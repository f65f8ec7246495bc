/**
 * Rendering an invoice PDF (pdfkit, embedded Noto subsets, EPC QR code), Latin-only and with text
 * in several scripts. Baseline: the smallest useful PDF, one line in a standard font, timed
 * alongside. Rendering happens once per invoice (the bytes are stored), so this is the cost of
 * issuing, not of downloading.
 */
import PDFDocument from 'pdfkit';
import { documentFont } from '../src/clients/pdf/fonts.js';
import { renderInvoicePdf, type InvoicePdfModel } from '../src/clients/pdf/invoice-pdf.js';
import { latinModel, multiScriptModel } from '../test/fixtures/invoice-pdf-models.js';
import { goal, row, type BenchContext, type BenchGoal, type BenchResult, type BenchRow } from './harness.js';
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

/**
 * A one-page document with the invoice's Latin fonts embedded the same way (Noto Sans regular and
 * bold, per-document fontkit instances, subsets), a heading and a dozen lines: what any invoice
 * costs before its own layout. The goal divides the Latin invoice by this.
 */
function sameFontsPdf(): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ size: 'A4', compress: true, info: { CreationDate: new Date(0) } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.registerFont('regular', documentFont('sans', 'regular') as unknown as Buffer);
    doc.registerFont('bold', documentFont('sans', 'bold') as unknown as Buffer);
    doc.font('bold').fontSize(20).text('Tax Invoice INV-000123');
    doc.font('regular').fontSize(10);
    for (let i = 0; i < 12; i++) doc.text(`Line ${i + 1}: Introduction to Marine Biology, AUD 1,100.00, due 10 December 2026`);
    doc.end();
  });
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const runs = Number(ctx.env.BENCH_PDF_RUNS) || ctx.size(30, 8);
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
    rows.push(row(caseName, timed, `${Math.round(bytes.length / 1024)} kB; first render in the process ${Math.round(firstMs)} ms (font loading)`));
    ctx.log(`pdf: ${caseName} done`);
  }
  // The goal's own baseline: the Latin invoice against a page with the same embedded fonts.
  await sameFontsPdf();
  const latin = cases[0]![1];
  const sameFonts = await compareAsync(sameFontsPdf, () => renderInvoicePdf(latin), runs);
  const invoiceMs = sameFonts.subject.medianMs;
  const fontsMs = sameFonts.baseline.medianMs;
  const goals: BenchGoal[] = [
    goal(
      'Latin invoice PDF / one page with the same embedded fonts',
      invoiceMs / fontsMs,
      'max',
      2,
      'x',
      `${invoiceMs.toFixed(1)} vs ${fontsMs.toFixed(1)} ms`,
    ),
  ];
  return { baseline: 'a one-line PDF in a standard font (pdfkit)', rows, goals };
}
