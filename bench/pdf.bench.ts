/**
 * Rendering an invoice PDF (pdfkit, embedded Noto subsets, EPC QR code), Latin-only and with text
 * in several scripts. Baseline: the smallest useful PDF, one line in a standard font, timed
 * alongside. Rendering happens once per invoice (the bytes are stored), so this is the cost of
 * issuing, not of downloading.
 */
import PDFDocument from 'pdfkit';
import { renderInvoicePdf, type InvoicePdfModel } from '../src/clients/pdf/invoice-pdf.js';
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

function model(buyerName: string, organisation: string, address: string, epc: boolean): InvoicePdfModel {
  return {
    title: 'Tax Invoice',
    sandbox: false,
    seller: { name: 'Example Academy Pty Ltd', address: '1 Harbour Street\nSydney NSW 2000\nAustralia', taxId: '51 824 753 556', taxIdLabel: 'ABN' },
    buyer: { name: buyerName, email: 'learner@example.com', organisation, address, country: 'Australia', taxId: 'VAT-1', purchaseOrder: 'PO-7781' },
    number: 'INV-000042',
    issueDate: '26 Nov 2026',
    dueDate: '10 Dec 2026',
    currency: epc ? 'EUR' : 'AUD',
    line: { description: 'Introduction to Marine Biology', detail: 'OpenLearning class class-2027-s1', quantity: '1', unitPrice: '1,100.00', taxRate: '10%', taxAmount: '100.00', amount: '1,100.00' },
    totals: [
      { label: 'Subtotal (excluding GST)', value: 'AUD 1,000.00' },
      { label: 'GST 10%', value: 'AUD 100.00' },
      { label: 'Total AUD', value: 'AUD 1,100.00', strong: true },
    ],
    payment: {
      amountDue: 'AUD 1,100.00',
      accountName: 'Example Academy Pty Ltd',
      iban: 'DE89 3704 0044 0532 0130 00',
      bic: 'COBADEFFXXX',
      reference: '1234 5678 978',
      ...(epc ? { creditorReference: 'RF74 1234 5678 978', epcPayload: 'BCD\n002\n1\nSCT\nCOBADEFFXXX\nExample Academy Pty Ltd\nDE89370400440532013000\nEUR1100.00\n\nRF7412345678978' } : {}),
    },
    statusUrl: 'https://pay.example.edu/i/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
    createdAt: new Date('2026-11-26T01:00:00Z'),
  };
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const runs = Number(ctx.env.BENCH_PDF_RUNS) || 30;
  const cases: [string, InvoicePdfModel][] = [
    ['invoice, Latin text only', model('Jane Citizen', 'Example Pty Ltd', '12 George Street\nSydney NSW 2000', false)],
    ['invoice, Greek/Cyrillic/CJK/Arabic text + EPC QR', model('Zoë Ωμέγα Иван 张伟', '山田商事株式会社', 'شارع الملك فهد 12\n서울 강남구', true)],
  ];
  const rows: BenchRow[] = [];
  for (const [caseName, m] of cases) {
    const first = performance.now();
    const bytes = await renderInvoicePdf(m);
    const firstMs = performance.now() - first;
    const timed = await compareAsync(minimalPdf, () => renderInvoicePdf(m), runs);
    const s = stats(timed.subject);
    const b = stats(timed.baseline);
    rows.push({ case: caseName, medianMs: s.medianMs, p95Ms: s.p95Ms, baselineMs: b.medianMs, ratio: s.medianMs / b.medianMs, runs: s.runs, note: `${Math.round(bytes.length / 1024)} kB; first render in the process ${Math.round(firstMs)} ms (font loading)` });
    ctx.log(`pdf: ${caseName} done`);
  }
  return { baseline: 'a one-line PDF in a standard font (pdfkit)', rows };
}
