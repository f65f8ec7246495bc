/**
 * Invoice PDF renderer: checks on the produced PDF with real PDF tools.
 *
 * Needs poppler-utils (pdftotext, pdftoppm, pdffonts, pdfinfo) and zbar-tools
 * (zbarimg). A missing tool fails the test that needs it, with the package to install.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { familyFor, loadedFontFiles, visualRuns } from '../../src/clients/pdf/fonts.js';
import { renderInvoicePdf, SANDBOX_TEXT, type InvoicePdfModel } from '../../src/clients/pdf/invoice-pdf.js';
import { EPC_PAYLOAD, latinModel, multiScriptModel } from '../fixtures/invoice-pdf-models.js';

const TOOL_PACKAGES: Record<string, string> = {
  pdftotext: 'poppler-utils',
  pdftoppm: 'poppler-utils',
  pdffonts: 'poppler-utils',
  pdfinfo: 'poppler-utils',
  zbarimg: 'zbar-tools',
};

function run(cmd: string, args: string[], okStatus: number[] = [0]): { stdout: Buffer; status: number } {
  const pkg = TOOL_PACKAGES[cmd] ?? 'the package providing it';
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`'${cmd}' is not installed; install the Debian package '${pkg}' (apt-get install -y ${pkg})`);
  }
  if (r.error) throw r.error;
  const status = r.status ?? -1;
  if (!okStatus.includes(status)) throw new Error(`${cmd} ${args.join(' ')} exited with ${status}: ${r.stderr.toString()}`);
  return { stdout: r.stdout, status };
}

const dir = mkdtempSync(join(tmpdir(), 'invoice-pdf-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

async function renderToFile(model: InvoicePdfModel): Promise<{ path: string; pdf: Buffer }> {
  const pdf = await renderInvoicePdf(model);
  const path = join(dir, `invoice-${++fileNo}.pdf`);
  writeFileSync(path, pdf);
  return { path, pdf };
}

/**
 * `pdftotext -layout`, normalised for comparison: poppler wraps right-to-left runs in
 * U+202B/U+202C embedding marks, which are dropped, and the text is NFKC-normalised
 * (the expected strings too) so that Arabic presentation forms, should a viewer or
 * poppler version report those, compare equal to the base letters.
 */
function extractText(path: string): string {
  const raw = run('pdftotext', ['-layout', '-enc', 'UTF-8', path, '-']).stdout.toString('utf8');
  return nfkc(raw).replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
}
const nfkc = (s: string): string => s.normalize('NFKC');

interface Word {
  page: number;
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}
function words(path: string): { pageWidth: number; pageHeight: number; pages: number; words: Word[] } {
  const html = run('pdftotext', ['-bbox', '-enc', 'UTF-8', path, '-']).stdout.toString('utf8');
  const out: Word[] = [];
  let page = 0;
  let pageWidth = 0;
  let pageHeight = 0;
  const re = /<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const m of html.matchAll(re)) {
    if (m[1]) {
      page++;
      pageWidth = Number(m[1]);
      pageHeight = Number(m[2]);
    } else {
      out.push({ page, text: m[7]!, xMin: Number(m[3]), yMin: Number(m[4]), xMax: Number(m[5]), yMax: Number(m[6]) });
    }
  }
  return { pageWidth, pageHeight, pages: page, words: out };
}

/** Every word lies inside the page's margins and no two words overlap. */
function expectClean(path: string): { pages: number; words: Word[] } {
  const w = words(path);
  expect(w.pageWidth).toBeCloseTo(595.28, 1);
  expect(w.pageHeight).toBeCloseTo(841.89, 1);
  for (const word of w.words) {
    expect.soft(word.xMin, `left edge of '${word.text}'`).toBeGreaterThanOrEqual(40);
    expect.soft(word.xMax, `right edge of '${word.text}'`).toBeLessThanOrEqual(w.pageWidth - 40);
    expect.soft(word.yMin, `top of '${word.text}'`).toBeGreaterThanOrEqual(10);
    expect.soft(word.yMax, `bottom of '${word.text}'`).toBeLessThanOrEqual(w.pageHeight - 20);
  }
  const overlaps: string[] = [];
  for (let i = 0; i < w.words.length; i++) {
    for (let j = i + 1; j < w.words.length; j++) {
      const a = w.words[i]!;
      const b = w.words[j]!;
      if (a.page !== b.page) continue;
      // poppler's word boxes span the font's whole ascent..descent, which is taller
      // than the line height for Arabic (2.1 em) and CJK (1.45 em) faces, so compare
      // the middle 40% of each box: text drawn over other text still collides there.
      const core = (w: Word): [number, number] => {
        const mid = (w.yMin + w.yMax) / 2;
        const half = 0.2 * (w.yMax - w.yMin);
        return [mid - half, mid + half];
      };
      const [a0, a1] = core(a);
      const [b0, b1] = core(b);
      const ox = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
      const oy = Math.min(a1, b1) - Math.max(a0, b0);
      if (ox > 0.5 && oy > 0) overlaps.push(`'${a.text}' / '${b.text}' (page ${a.page})`);
    }
  }
  expect(overlaps).toEqual([]);
  return w;
}

function decodeQr(path: string): string | null {
  const prefix = join(dir, `qr-${++fileNo}`);
  run('pdftoppm', ['-r', '300', '-png', '-f', '1', '-l', '1', path, prefix]);
  const png = `${prefix}-1.png`;
  // -Sbinary: output the symbol's bytes as they are. Without it zbar guesses a
  // character set for non-ASCII data (it took this UTF-8 payload for Shift-JIS).
  // Exit status 4 means no symbol was found.
  const { stdout, status } = run('zbarimg', ['--quiet', '--raw', '-Sbinary', png], [0, 4]);
  return status === 4 ? null : stdout.toString('utf8');
}

describe('fonts', () => {
  // First in the file on purpose (each test file runs in its own process): the big
  // CJK/Hangul fonts must not be read for Latin-only invoices.
  it('renders a Latin-only invoice without loading the CJK and Korean fonts', async () => {
    await renderInvoicePdf(latinModel());
    const loaded = loadedFontFiles();
    expect(loaded).toContain('sans-regular');
    expect(loaded.filter((k) => k.startsWith('sc-') || k.startsWith('kr-'))).toEqual([]);
  });

  it('picks the first Noto face that has the glyph', () => {
    const pick = (ch: string) => familyFor(ch.codePointAt(0)!);
    expect(['é', 'Ω', 'И', 'क', '€'].map(pick)).toEqual(['sans', 'sans', 'sans', 'sans', 'sans']);
    expect(pick('ش')).toBe('arabic');
    expect(pick('ש')).toBe('hebrew');
    expect(pick('ก')).toBe('thai');
    expect(['张', 'あ', 'カ', '山'].map(pick)).toEqual(['sc', 'sc', 'sc', 'sc']);
    expect(pick('서')).toBe('kr');
  });

  /** What a reader sees from left to right (fontkit reverses runs it shapes RTL). */
  const displayed = (line: string, rtl: boolean): string =>
    visualRuns(line, rtl)
      .map((r) => (r.rtlShaping ? Array.from(r.text).reverse().join('') : r.text))
      .join('');

  it('orders right-to-left text visually (simplified UAX #9)', () => {
    // entirely RTL: one run, shaped whole so that fontkit reverses it
    const ar = visualRuns('شارع الملك فهد', true);
    expect(ar).toEqual([{ text: 'شارع الملك فهد', family: 'arabic', level: 1, rtlShaping: true }]);
    expect(displayed('شارع الملك فهد', true)).toBe('دهف كلملا عراش');
    // numbers keep their left-to-right order inside RTL text
    expect(displayed('شارع 12', true)).toBe('12 عراش');
    expect(displayed('abc שלום 123', false)).toBe('abc 123 םולש');
    // brackets are mirrored in RTL runs
    expect(displayed('שלום (עולם)', true)).toBe('(םלוע) םולש');
    // mixed-script LTR line: font runs only, logical order
    expect(visualRuns('Zoë 张伟', false).map((r) => [r.text, r.family])).toEqual([
      ['Zoë ', 'sans'],
      ['张伟', 'sc'],
    ]);
  });
});

describe('renderInvoicePdf', () => {
  it('extracts the invoice text in every script', async () => {
    const model = multiScriptModel();
    const { path } = await renderToFile(model);
    const text = extractText(path);
    for (const expected of [
      'Invoice',
      'INV-000043',
      'Zoë Ωμέγα Training GmbH',
      'Friedrichstraße 123',
      'USt-IdNr. DE123456789',
      'Zoë Ωμέγα Иван 张伟',
      '山田商事株式会社',
      'شارع الملك فهد',
      '서울 강남구',
      'Saudi Arabia',
      'PO-ようこそ-1',
      'SA300000000000003',
      'Datenwissenschaft',
      '250.00',
      'Total EUR',
      'EUR 250.00',
      'DE89 3704 0044 0532 0130 00',
      'COBADEFFXXX',
      '5390 0754 7034',
      'Use this reference',
      'RF18 5390 0754 7034',
      'Scan with your banking app',
      'https://pay.example.com/status/8d1e44c0a9',
      'Amtsgericht Berlin',
    ]) {
      expect.soft(text, expected).toContain(nfkc(expected));
    }
    expect(text).not.toContain('SANDBOX');
  });

  it('lays out a Latin AUD tax invoice cleanly', async () => {
    const { path } = await renderToFile(latinModel());
    const text = extractText(path);
    for (const expected of [
      'Tax Invoice',
      'INV-000042',
      'OpenLearning Demo Pty Ltd',
      'ABN 12 345 678 901',
      'Jane Citizen',
      'PO number',
      'PO-7781',
      'GST 10%',
      '1,100.00',
      'AUD 1,100.00',
      'BSB 062-000',
      'Account 1234 5678',
      '1234 5678 901',
      'Use this reference',
    ]) {
      expect.soft(text, expected).toContain(expected);
    }
    const { pages } = expectClean(path);
    expect(pages).toBe(1);
  });

  it('has no overlapping or out-of-page text with many scripts', async () => {
    const { path } = await renderToFile(multiScriptModel());
    expect(expectClean(path).pages).toBe(1);
  });

  it('embeds subset fonts only', async () => {
    const { path } = await renderToFile(multiScriptModel());
    const lines = run('pdffonts', [path]).stdout.toString('utf8').trim().split('\n').slice(2);
    const fonts = lines.map((l) => {
      const m = /^(\S+)\s+.+?\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$/.exec(l.trim());
      if (!m) throw new Error(`unexpected pdffonts line: ${l}`);
      return { name: m[1]!, emb: m[2], sub: m[3], uni: m[4] };
    });
    expect(fonts.length).toBeGreaterThanOrEqual(5);
    for (const f of fonts) expect(f, f.name).toMatchObject({ emb: 'yes', sub: 'yes', uni: 'yes' });
    const families = new Set(fonts.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')));
    for (const name of [
      'NotoSans-Regular',
      'NotoSans-Bold',
      'NotoSansArabic-Regular',
      'NotoSansHebrew-Regular',
      'NotoSansThai-Regular',
      'NotoSansSC-Regular',
      'NotoSansSC-Bold',
      'NotoSansKR-Regular',
    ]) {
      expect(families, name).toContain(name);
    }
    // subsets really are subsets: the whole PDF is far smaller than one CJK font (~10 MB)
    expect(readFileSync(path).length).toBeLessThan(200_000);
  });

  it('draws an EPC QR code that decodes to exactly the payload', async () => {
    const { path } = await renderToFile(multiScriptModel());
    expect(decodeQr(path)).toBe(EPC_PAYLOAD);
  });

  it('draws no QR code without an EPC payload', async () => {
    const { path } = await renderToFile(latinModel());
    expect(decodeQr(path)).toBeNull();
    expect(extractText(path)).not.toContain('Scan with your banking app');
  });

  it('is deterministic: the same model renders to identical bytes', async () => {
    const a = await renderInvoicePdf(multiScriptModel());
    const b = await renderInvoicePdf(multiScriptModel());
    expect(b.equals(a)).toBe(true);
    const c = await renderInvoicePdf(multiScriptModel({ createdAt: new Date('2027-01-01T00:00:00Z') }));
    expect(c.equals(a)).toBe(false);
  });

  it('does not depend on what was rendered before in the process', async () => {
    // Fresh copies of the renderer and its font caches, as in a new process.
    vi.resetModules();
    const fresh = (await import('../../src/clients/pdf/invoice-pdf.js')).renderInvoicePdf;
    const reference = await fresh(multiScriptModel());
    vi.resetModules();
    const other = (await import('../../src/clients/pdf/invoice-pdf.js')).renderInvoicePdf;
    // Noto Sans Arabic (and SC) draw U+0020 and U+00A0 with the same glyph; fontkit
    // remembers the code point of a glyph's first use, which ends up in the
    // ToUnicode map unless every document has its own font instance.
    await other(multiScriptModel({ buyer: { name: 'X', email: 'x@example.com', address: 'شارع\u00a0الملك\u00a0فهد' } }));
    const later = await other(multiScriptModel());
    expect(later.equals(reference)).toBe(true);
    const path = join(dir, 'later.pdf');
    writeFileSync(path, later);
    const text = run('pdftotext', ['-enc', 'UTF-8', path, '-']).stdout.toString('utf8');
    expect(text).toContain('الملك');
    expect(text).not.toContain('\u00a0');
  });

  it('renders the same bytes when its words were shaped before for other documents', async () => {
    // Words shaped for one document are replayed for the next (fonts.ts); a glyph shared by
    // U+0020 and U+00A0 (Arabic, SC) or by a ligature's parts must still get the code points of
    // its first use in *this* document.
    const tricky = (): InvoicePdfModel =>
      multiScriptModel({
        buyer: { name: 'Office ﬁ\u00a0fl Y', email: 'x@example.com', address: 'شارع\u00a0الملك فهد\n中文\u00a0字 中文 字\nشارع الملك\u00a0فهد' },
      });
    const renderFresh = async (model: InvoicePdfModel): Promise<Buffer> => {
      vi.resetModules();
      return (await import('../../src/clients/pdf/invoice-pdf.js')).renderInvoicePdf(model);
    };
    const trickyAlone = await renderFresh(tricky());
    const multiAlone = await renderFresh(multiScriptModel());
    vi.resetModules();
    const render = (await import('../../src/clients/pdf/invoice-pdf.js')).renderInvoicePdf;
    expect((await render(multiScriptModel())).equals(multiAlone)).toBe(true);
    expect((await render(tricky())).equals(trickyAlone)).toBe(true);
    expect((await render(multiScriptModel())).equals(multiAlone)).toBe(true);
    expect((await render(tricky())).equals(trickyAlone)).toBe(true);
  });

  it('sets the document info from the model', async () => {
    const { path, pdf } = await renderToFile(latinModel());
    const info = run('pdfinfo', ['-isodates', path]).stdout.toString('utf8');
    expect(info).toMatch(/^Title:\s+Tax Invoice INV-000042$/m);
    expect(info).toMatch(/^Author:\s+OpenLearning Demo Pty Ltd$/m);
    expect(info).toMatch(/^CreationDate:\s+2026-11-26T09:30:00Z$/m);
    expect(info).toMatch(/^ModDate:\s+2026-11-26T09:30:00Z$/m);
    expect(info).toMatch(/^Page size:\s+595\.28 x 841\.89 pts \(A4\)$/m);
    // the status page link is a real link annotation
    expect(pdf.toString('latin1')).toContain('/URI (https://pay.example.com/status/3f9c1a7e2b)');
  });

  it('shows the sandbox warning when sandbox is set', async () => {
    const { path } = await renderToFile(multiScriptModel({ sandbox: true }));
    const text = extractText(path);
    expect(text).toContain(SANDBOX_TEXT);
    expect(SANDBOX_TEXT).toBe('SANDBOX – NOT A REAL INVOICE, DO NOT PAY');
    expect(expectClean(path).pages).toBe(1);
    // the diagonal watermark is drawn as outlines on top: the QR code must still scan
    expect(decodeQr(path)).toBe(EPC_PAYLOAD);
  });

  it('wraps long values without overflowing the page', async () => {
    const longWord = 'Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft';
    const model = multiScriptModel({
      buyer: {
        name: 'Maximiliane Alexandra Konstantinopoulou-Papadimitriou von und zu Hohenberg-Wittelsbach',
        email: 'maximiliane.alexandra.konstantinopoulou-papadimitriou@a-very-long-subdomain.example-university.edu.au',
        organisation: `${longWord} 山田商事株式会社東京本社国際事業部海外営業第二課`,
        address: `Unit 1234, Level 56, The Extraordinarily Long Building Name Tower, 789 Some Incredibly Long Street Name Boulevard, ${longWord}\nشارع الملك فهد، حي العليا، الرياض ١٢٢١٤، المملكة العربية السعودية\n서울특별시 강남구 테헤란로 152 강남파이낸스센터 30층`,
        country: 'Saudi Arabia',
        taxId: 'SA300000000000003',
        purchaseOrder: 'PO-2026-000000000000000000000000000000000000000000000000000001',
      },
      line: {
        description: `Advanced Professional Certificate in Sustainable Infrastructure, Data-Driven Urban Planning and Climate Adaptation Strategies for Coastal Cities (${longWord})`,
        detail: 'Enrolment for Maximiliane Alexandra Konstantinopoulou-Papadimitriou · 12 months access · includes assessment and certificate',
        quantity: '1',
        unitPrice: '1,234,567.89',
        taxRate: '10%',
        taxAmount: '123,456.79',
        amount: '1,358,024.68',
      },
      statusUrl: `https://pay.example.com/status/${'a1b2c3d4e5'.repeat(12)}?utm_source=invoice&utm_medium=pdf`,
    });
    const { path } = await renderToFile(model);
    const text = extractText(path);
    for (const expected of [
      'Konstantinopoulou-Papadimitriou',
      'Sustainable Infrastructure',
      'شارع الملك فهد',
      'العربية السعودية',
      '강남파이낸스센터',
      '1,358,024.68',
      'Use this reference',
      '5390 0754 7034',
    ]) {
      expect.soft(text, expected).toContain(nfkc(expected));
    }
    expectClean(path);
  });

  it('continues on a second page when the content does not fit on one', async () => {
    const para = 'This course includes weekly live sessions, graded assignments, peer review and a final capstone project. ';
    const model = latinModel({
      line: { ...latinModel().line, detail: para.repeat(45) },
      payment: { ...latinModel().payment!, details: Array.from({ length: 12 }, (_, i) => `Instruction line ${i + 1}`).join('\n') },
    });
    const { path } = await renderToFile(model);
    const { pages } = expectClean(path);
    expect(pages).toBeGreaterThanOrEqual(2);
    const text = extractText(path);
    expect(text).toContain('Page 1 of');
    expect(text).toContain('Use this reference');
    expect(text).toContain('1234 5678 901');
    expect(text).toContain('Instruction line 12');
  });
});
