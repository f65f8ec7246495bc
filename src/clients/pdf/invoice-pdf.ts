/**
 * The invoice and credit note layout (A4, pdfkit): header, parties, line item, totals, payment
 * box and status link, as sections that the typesetter (typesetter.ts) places down the page; a
 * section that does not fit moves to the next page, one taller than a page is split line by line.
 * Banner, watermark, footer and page numbers are drawn on every page at the end. Text in any
 * script is the typesetter's and fonts.ts's business (font runs, right-to-left reordering).
 *
 * Output is deterministic: CreationDate/ModDate come from the model, pdfkit's file ID is an MD5 of
 * the info dictionary, and nothing else in the file depends on time, randomness or what was
 * rendered before in the same process.
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { probeFont } from './fonts.js';
import {
  BANNER_H,
  CAP,
  CONTENT_W,
  COLOR,
  Flow,
  LEFT,
  MARGIN_BOTTOM,
  MARGIN_TOP,
  PAGE_H,
  PAGE_W,
  QR_SIZE,
  RIGHT,
  Section,
  Typesetter,
  type Align,
  type Block,
  type Doc,
  type Style,
} from './typesetter.js';

export interface InvoicePdfModel {
  /** 'Tax Invoice' or 'Invoice' (decided by the caller) */
  title: string;
  /** draws a banner and a diagonal watermark: SANDBOX – NOT A REAL INVOICE, DO NOT PAY */
  sandbox: boolean;
  /** taxIdLabel e.g. 'ABN', default 'Tax ID'; address may be multi-line */
  seller: { name: string; address: string; taxId?: string; taxIdLabel?: string };
  buyer: {
    name: string;
    email: string;
    organisation?: string;
    address?: string;
    country?: string;
    taxId?: string;
    /** printed before taxId, e.g. 'VAT' (default 'Tax ID') */
    taxIdLabel?: string;
    purchaseOrder?: string;
    /** The reference the buyer's accounts department asked to be quoted. */
    reference?: string;
  };
  /** 'INV-000042' */
  number: string;
  /** already formatted, e.g. '26 Nov 2026' */
  issueDate: string;
  dueDate: string;
  /** 'AUD' */
  currency: string;
  /** all preformatted strings */
  line: {
    description: string;
    detail?: string;
    quantity: string;
    unitPrice: string;
    /** column heading, default 'UNIT PRICE' (e.g. 'NET UNIT PRICE' where tax is added) */
    unitPriceLabel?: string;
    taxRate: string;
    taxAmount: string;
    amount: string;
  };
  /** e.g. Subtotal / GST 10% / Total AUD (strong) */
  totals: { label: string; value: string; strong?: boolean }[];
  /** Lines printed under the totals about the tax: 'Reverse charge – Article 196 …', an exemption reason, 'Total includes GST …'. */
  taxNotes?: string[];
  /** Replaces the invoice's number/dates block (a credit note names its own number and the invoice it credits). */
  meta?: [label: string, value: string, emphasis?: 'strong'][];
  /** A paragraph after the parties, e.g. a credit note's reason. */
  notice?: string;
  /** Absent on a credit note: there is nothing to pay. */
  payment?: {
    /** 'AUD 1,100.00' */
    amountDue: string;
    accountName?: string;
    /** already grouped in fours */
    iban?: string;
    bic?: string;
    /** free text, multi-line (e.g. 'BSB 062-000\nAccount 1234 5678') */
    details?: string;
    /** plain reference, already grouped, e.g. '1234 5678 901' */
    reference: string;
    /** 'RF71 1234 5678 901' (EUR only) */
    creditorReference?: string;
    /** when set, an EPC QR code of exactly this string is drawn (error correction M) */
    epcPayload?: string;
  };
  /** the learner's status page; printed and clickable */
  statusUrl: string;
  footer?: string;
  /** the PDF's CreationDate and ModDate (the output is deterministic) */
  createdAt: Date;
  /** The words of the layout, in the learner's language (with a second language under it where configured); English when absent. */
  labels?: Partial<PdfLabels>;
  /** The document's language (BCP 47), for screen readers and text extraction; 'en' when absent. */
  language?: string;
  /**
   * The same document as Factur-X CII XML: when set, the PDF is a PDF/A-3b carrying it as
   * factur-x.xml, the hybrid e-invoice a buyer's accounting software reads without retyping.
   */
  facturXml?: string;
}

export const SANDBOX_TEXT = 'SANDBOX – NOT A REAL INVOICE, DO NOT PAY';

/** Every fixed word the layout prints; the caller gives them in the learner's language. Plain data, so a model can cross to a worker thread. */
export const ENGLISH_LABELS = {
  taxId: 'Tax ID',
  billTo: 'BILL TO',
  poNumber: 'PO number',
  reference: 'Reference',
  invoiceNumber: 'Invoice number',
  issueDate: 'Issue date',
  dueDate: 'Due date',
  currency: 'Currency',
  description: 'DESCRIPTION',
  quantity: 'QTY',
  unitPrice: 'UNIT PRICE',
  taxRate: 'TAX RATE',
  tax: 'TAX',
  amount: 'AMOUNT',
  howToPay: 'How to pay',
  payByTransfer: 'Pay by bank transfer to the account below.',
  amountDue: 'Amount due',
  accountName: 'Account name',
  otherDetails: 'Other details',
  bankDetails: 'Bank details',
  useReference: 'Use this reference in your bank transfer so we can match your payment:',
  creditorReference: 'Creditor reference',
  creditorReferenceHint: 'Structured creditor reference (ISO 11649), if your bank asks for one.',
  qrCaption: 'Scan with your banking app (SEPA)',
  statusLink: 'Check the status of your enrolment and payment at any time:',
  /** {number}, {page} and {pages} are filled in per page. */
  pageOf: '{number} · Page {page} of {pages}',
};
export type PdfLabels = typeof ENGLISH_LABELS;
export const QR_CAPTION = ENGLISH_LABELS.qrCaption;

// ---------------------------------------------------------------------------

/** Draws `payload` as an EPC QR code (error correction M) from vector rectangles, quiet zone included. */
function drawQr(doc: Doc, payload: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const m = size / (n + 8);
  doc.save();
  doc.rect(x, y, size, size).fill(COLOR.white);
  for (let r = 0; r < n; r++) {
    let c = 0;
    while (c < n) {
      if (!qr.modules.get(r, c)) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && qr.modules.get(r, c)) c++;
      doc.rect(x + (4 + start) * m, y + (4 + r) * m, (c - start) * m, m);
    }
  }
  doc.fill(COLOR.black);
  doc.restore();
}

/** Draws text as filled glyph outlines (not extractable), centred on (cx, cy). */
function drawOutlinedText(doc: Doc, text: string, cx: number, cy: number, width: number): void {
  const font = probeFont('sans', 'bold');
  const run = font.layout(text);
  const scale = width / run.advanceWidth;
  let pen = cx - width / 2;
  const baseY = cy + (font.capHeight * scale) / 2;
  run.glyphs.forEach((glyph, i) => {
    const pos = run.positions[i]!;
    const gx = pen + pos.xOffset * scale;
    const gy = baseY - pos.yOffset * scale;
    const px = (v: number): number => gx + v * scale;
    const py = (v: number): number => gy - v * scale;
    for (const { command, args: a } of glyph.path.commands) {
      if (command === 'moveTo') doc.moveTo(px(a[0]!), py(a[1]!));
      else if (command === 'lineTo') doc.lineTo(px(a[0]!), py(a[1]!));
      else if (command === 'quadraticCurveTo') doc.quadraticCurveTo(px(a[0]!), py(a[1]!), px(a[2]!), py(a[3]!));
      else if (command === 'bezierCurveTo') doc.bezierCurveTo(px(a[0]!), py(a[1]!), px(a[2]!), py(a[3]!), px(a[4]!), py(a[5]!));
      else doc.closePath();
    }
    pen += pos.xAdvance * scale;
  });
}

function drawSandboxMarks(doc: Doc, ts: Typesetter): void {
  // Diagonal watermark, as outlines so that it does not interleave with the extracted text.
  doc.save();
  const angle = (-Math.atan2(PAGE_H, PAGE_W) * 180) / Math.PI;
  doc.rotate(angle, { origin: [PAGE_W / 2, PAGE_H / 2] });
  drawOutlinedText(doc, 'SANDBOX', PAGE_W / 2, PAGE_H / 2 - 40, 480);
  drawOutlinedText(doc, 'NOT A REAL INVOICE – DO NOT PAY', PAGE_W / 2, PAGE_H / 2 + 36, 470);
  doc.fillColor(COLOR.warn).fillOpacity(0.08).fill('nonzero');
  doc.restore();
  // Top banner, as real text.
  const top = 14;
  doc.save().roundedRect(LEFT, top, CONTENT_W, BANNER_H, 3).fill(COLOR.warn).restore();
  const block = ts.layout(SANDBOX_TEXT, { size: 10.5, weight: 'bold', color: COLOR.white, leading: 1.2 }, CONTENT_W - 16);
  const y = top + (BANNER_H - block.height) / 2;
  block.lines.forEach((line, i) => ts.drawLine(line, block, LEFT + 8, y + i * block.lineHeight, { width: CONTENT_W - 16, align: 'center' }));
}

// ---------------------------------------------------------------------------

function labelsOf(m: InvoicePdfModel): PdfLabels {
  return m.labels ? { ...ENGLISH_LABELS, ...m.labels } : ENGLISH_LABELS;
}

function headerSection(ts: Typesetter, m: InvoicePdfModel): Section {
  const s = new Section(ts);
  const titleW = 210;
  const sellerW = CONTENT_W - titleW - 20;
  let y = 0;
  y += s.text(ts.layout(m.seller.name, { size: 13, weight: 'bold', leading: 1.25 }, sellerW), LEFT, y);
  y += 3;
  y += s.text(ts.layout(m.seller.address, { size: 9, color: COLOR.muted }, sellerW), LEFT, y);
  if (m.seller.taxId) {
    s.text(ts.layout(`${m.seller.taxIdLabel || labelsOf(m).taxId} ${m.seller.taxId}`, { size: 9, color: COLOR.muted }, sellerW), LEFT, y);
  }
  const title = ts.layout(m.title, { size: 24, weight: 'bold', color: COLOR.accent, leading: 1.15 }, titleW);
  s.text(title, RIGHT - titleW, -4, { width: titleW, align: 'right' });
  const number = ts.layout(m.number, { size: 11, weight: 'bold', color: COLOR.muted }, titleW);
  s.text(number, RIGHT - titleW, title.height - 2, { width: titleW, align: 'right' });
  const h = s.height + 14;
  s.rule(h, LEFT, RIGHT, COLOR.rule, 1);
  return s;
}

function labelled(
  ts: Typesetter,
  s: Section,
  rows: [string, string | undefined, Style?][],
  x: number,
  y: number,
  labelW: number,
  valueW: number,
  labelStyle: Style = { size: 9, color: COLOR.muted },
  gap = 3,
): number {
  for (const [label, value, valueStyle] of rows) {
    if (value === undefined || value === '') continue;
    const l = ts.layout(label, { ...labelStyle, leading: 1.4 }, labelW - 8);
    const v = ts.layout(value, { size: 9.5, leading: 1.4, ...valueStyle }, valueW);
    // align the label's first baseline with the value's first baseline
    const dl = (v.lineHeight - l.lineHeight) / 2 + ((v.style.size - l.style.size) * CAP) / 2;
    s.text(l, x, y + dl);
    s.text(v, x + labelW, y);
    y += Math.max(l.height + dl, v.height) + gap;
  }
  return y;
}

function partiesSection(ts: Typesetter, m: InvoicePdfModel): Section {
  const s = new Section(ts);
  const words = labelsOf(m);
  const leftW = 270;
  const metaX = LEFT + 290;
  const metaW = RIGHT - metaX;
  let y = 0;
  y += s.text(ts.layout(words.billTo, { size: 8, weight: 'bold', color: COLOR.faint }, leftW), LEFT, y);
  y += 2;
  y += s.text(ts.layout(m.buyer.name, { size: 11.5, weight: 'bold', leading: 1.3 }, leftW), LEFT, y);
  if (m.buyer.organisation) y += s.text(ts.layout(m.buyer.organisation, { size: 10 }, leftW), LEFT, y);
  if (m.buyer.address) y += s.text(ts.layout(m.buyer.address, { size: 9.5, color: COLOR.muted }, leftW), LEFT, y);
  if (m.buyer.country) y += s.text(ts.layout(m.buyer.country, { size: 9.5, color: COLOR.muted }, leftW), LEFT, y);
  y += s.text(ts.layout(m.buyer.email, { size: 9.5, color: COLOR.muted }, leftW), LEFT, y);
  const extra: [string, string | undefined][] = [
    [m.buyer.taxIdLabel || words.taxId, m.buyer.taxId],
    [words.poNumber, m.buyer.purchaseOrder],
    [words.reference, m.buyer.reference],
  ];
  if (extra.some(([, v]) => v)) {
    y += 4;
    labelled(ts, s, extra, LEFT, y, 70, leftW - 70, { size: 9, color: COLOR.muted }, 1);
  }

  labelled(
    ts,
    s,
    m.meta?.map(([label, value, emphasis]): [string, string, Style?] => [label, value, emphasis ? { size: 9.5, weight: 'bold' } : undefined]) ?? [
      [words.invoiceNumber, m.number, { size: 9.5, weight: 'bold' }],
      [words.issueDate, m.issueDate],
      [words.dueDate, m.dueDate, { size: 9.5, weight: 'bold' }],
      [words.currency, m.currency],
    ],
    metaX,
    12,
    95,
    metaW - 95,
  );
  return s;
}

const COLS = (() => {
  const widths = { qty: 34, unit: 70, rate: 54, tax: 62, amount: 76 };
  const desc = CONTENT_W - widths.qty - widths.unit - widths.rate - widths.tax - widths.amount;
  let x = LEFT;
  const col = (w: number): { x: number; w: number } => {
    const c = { x, w };
    x += w;
    return c;
  };
  return { desc: col(desc), qty: col(widths.qty), unit: col(widths.unit), rate: col(widths.rate), tax: col(widths.tax), amount: col(widths.amount) };
})();
const CELL_PAD = 8;

function lineItemSection(ts: Typesetter, m: InvoicePdfModel): Section {
  const s = new Section(ts);
  const words = labelsOf(m);
  const heads: [string, { x: number; w: number }, Align][] = [
    [words.description, COLS.desc, 'left'],
    [words.quantity, COLS.qty, 'right'],
    [m.line.unitPriceLabel ?? words.unitPrice, COLS.unit, 'right'],
    [words.taxRate, COLS.rate, 'right'],
    [words.tax, COLS.tax, 'right'],
    [words.amount, COLS.amount, 'right'],
  ];
  const blocks = heads.map(([text, col, align]) =>
    ts.layout(text, { size: 8, weight: 'bold', color: COLOR.muted, leading: 1.2 }, col.w - 2 * CELL_PAD + (align === 'right' ? 4 : 0)),
  );
  // The band grows when a heading wraps (longer words, or a second language under the first).
  const headH = Math.max(22, ...blocks.map((b) => b.height + 8));
  s.add(0, headH, (top) => ts.doc.save().rect(LEFT, top, CONTENT_W, headH).fill(COLOR.band).restore());
  heads.forEach(([, col, align], i) => {
    const b = blocks[i]!;
    s.text(b, col.x + CELL_PAD, (headH - b.height) / 2, { width: col.w - 2 * CELL_PAD, align });
  });

  const rowTop = headH + 9;
  let y = rowTop;
  const descW = COLS.desc.w - 2 * CELL_PAD;
  y += s.text(ts.layout(m.line.description, { size: 10, weight: 'bold', leading: 1.3 }, descW), COLS.desc.x + CELL_PAD, y);
  if (m.line.detail) {
    y += 1;
    y += s.text(ts.layout(m.line.detail, { size: 8.5, color: COLOR.muted }, descW), COLS.desc.x + CELL_PAD, y);
  }
  let numBottom = rowTop;
  const num = (text: string, col: { x: number; w: number }, bold = false): void => {
    const w = col.w - 2 * CELL_PAD;
    const b = ts.fit(text, { size: 9.5, weight: bold ? 'bold' : 'regular', leading: 1.3 * (10 / 9.5) }, w);
    s.text(b, col.x + CELL_PAD, rowTop, { width: w, align: 'right' });
    numBottom = Math.max(numBottom, rowTop + b.height);
  };
  num(m.line.quantity, COLS.qty);
  num(m.line.unitPrice, COLS.unit);
  num(m.line.taxRate, COLS.rate);
  num(m.line.taxAmount, COLS.tax);
  num(m.line.amount, COLS.amount, true);
  y = Math.max(y, numBottom) + 9;
  s.rule(y, LEFT, RIGHT);
  return s;
}

function totalsSection(ts: Typesetter, m: InvoicePdfModel): Section {
  const s = new Section(ts);
  const w = 250;
  const x = RIGHT - w;
  const valueW = 110;
  let y = 6;
  for (const t of m.totals) {
    const style: Style = t.strong ? { size: 11, weight: 'bold' } : { size: 9.5, color: COLOR.muted };
    if (t.strong) {
      y += 3;
      s.rule(y, x + CELL_PAD, RIGHT, COLOR.ink, 0.8);
      y += 5;
    }
    const label = ts.layout(t.label, { ...style, leading: 1.45 }, w - valueW - CELL_PAD);
    const value = ts.fit(t.value, { ...style, color: COLOR.ink, leading: 1.45 }, valueW - CELL_PAD);
    s.text(label, x + CELL_PAD, y);
    s.text(value, RIGHT - valueW, y, { width: valueW - CELL_PAD, align: 'right' });
    y += Math.max(label.height, value.height);
  }
  return s;
}

function paymentSection(ts: Typesetter, m: InvoicePdfModel, p: NonNullable<InvoicePdfModel['payment']>): Section {
  const s = new Section(ts);
  const words = labelsOf(m);
  const pad = 16;
  const hasQr = Boolean(p.epcPayload);
  const innerX = LEFT + pad;
  const qrColW = hasQr ? QR_SIZE + 12 : 0;
  const innerW = CONTENT_W - 2 * pad - (hasQr ? qrColW + 16 : 0);
  const labelW = 100;
  let y = pad - 2;
  y += s.text(ts.layout(words.howToPay, { size: 13, weight: 'bold', color: COLOR.accent, leading: 1.3 }, innerW), innerX, y);
  y += s.text(ts.layout(words.payByTransfer, { size: 8.5, color: COLOR.muted }, innerW), innerX, y);
  y += 8;
  y = labelled(
    ts,
    s,
    [
      [words.amountDue, p.amountDue, { size: 11, weight: 'bold' }],
      [words.accountName, p.accountName],
      ['IBAN', p.iban, { size: 9.5, weight: 'bold' }],
      ['BIC', p.bic],
      [p.iban || p.bic ? words.otherDetails : words.bankDetails, p.details],
    ],
    innerX,
    y,
    labelW,
    innerW - labelW,
  );
  y += 6;
  s.rule(y, innerX, innerX + innerW, COLOR.boxBorder, 0.75);
  y += 9;
  y += s.text(ts.layout(words.useReference, { size: 9, weight: 'bold', leading: 1.35 }, innerW), innerX, y);
  y += 2;
  y += s.text(ts.layout(p.reference, { size: 22, weight: 'bold', color: COLOR.accent, leading: 1.25 }, innerW), innerX, y);
  if (p.creditorReference) {
    y += 4;
    y = labelled(ts, s, [[words.creditorReference, p.creditorReference, { size: 10.5, weight: 'bold' }]], innerX, y, labelW, innerW - labelW);
    y += s.text(ts.layout(words.creditorReferenceHint, { size: 8, color: COLOR.faint }, innerW), innerX, y);
  }
  let bottom = y + pad - 4;
  if (hasQr) {
    const qx = RIGHT - pad - QR_SIZE - 6;
    const qy = pad + 2;
    const payload = p.epcPayload!;
    s.add(qy, QR_SIZE, (top) => drawQr(ts.doc, payload, qx, top, QR_SIZE));
    const caption = ts.layout(words.qrCaption, { size: 7.5, color: COLOR.muted, leading: 1.3 }, QR_SIZE + 12);
    s.text(caption, qx - 6, qy + QR_SIZE + 4, { width: QR_SIZE + 12, align: 'center' });
    bottom = Math.max(bottom, qy + QR_SIZE + 4 + caption.height + pad);
  }
  const boxH = bottom;
  s.add(0, boxH, (top) => ts.doc.save().roundedRect(LEFT, top, CONTENT_W, boxH, 6).lineWidth(1).fillAndStroke(COLOR.boxBg, COLOR.boxBorder).restore(), true);
  // backgrounds first
  s.atoms.unshift(s.atoms.pop()!);
  return s;
}

function statusSection(ts: Typesetter, m: InvoicePdfModel): Section {
  const s = new Section(ts);
  let y = 0;
  y += s.text(ts.layout(labelsOf(m).statusLink, { size: 9, color: COLOR.muted }, CONTENT_W), LEFT, y);
  s.text(ts.layout(m.statusUrl, { size: 9, color: COLOR.accent }, CONTENT_W), LEFT, y, { underline: true, link: m.statusUrl });
  return s;
}

function footerBlock(ts: Typesetter, m: InvoicePdfModel): Block | null {
  return m.footer ? ts.layout(m.footer, { size: 8, color: COLOR.faint, leading: 1.35 }, CONTENT_W) : null;
}

function build(doc: Doc, m: InvoicePdfModel): void {
  const ts = new Typesetter(doc);
  const footer = footerBlock(ts, m);
  // A very long footer is flowed after the content instead of repeated on every page.
  const fixedFooter = footer && footer.height <= 60 ? footer : null;
  const pageNumberH = 12;
  const footerTop = PAGE_H - MARGIN_BOTTOM - pageNumberH - (fixedFooter ? fixedFooter.height + 2 : 0);
  const top = MARGIN_TOP + (m.sandbox ? BANNER_H : 0);
  const flow = new Flow(doc, top, footerTop - 14);

  flow.place(headerSection(ts, m));
  flow.gap(16);
  flow.place(partiesSection(ts, m));
  if (m.notice) {
    flow.gap(14);
    const notice = new Section(ts);
    notice.text(ts.layout(m.notice, { size: 10, leading: 1.4 }, CONTENT_W), LEFT, 0);
    flow.place(notice);
  }
  flow.gap(22);
  flow.place(lineItemSection(ts, m));
  flow.place(totalsSection(ts, m));
  if (m.taxNotes?.length) {
    flow.gap(8);
    const notes = new Section(ts);
    notes.text(ts.layout(m.taxNotes.join('\n'), { size: 9, leading: 1.4 }, CONTENT_W), LEFT, 0);
    flow.place(notes);
  }
  flow.gap(22);
  if (m.payment) {
    flow.place(paymentSection(ts, m, m.payment));
    flow.gap(14);
  }
  flow.place(statusSection(ts, m));
  if (footer && !fixedFooter) {
    flow.gap(14);
    const s = new Section(ts);
    s.text(footer, LEFT, 0, { width: CONTENT_W, align: 'center' });
    flow.place(s);
  }

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    if (fixedFooter) {
      doc
        .save()
        .moveTo(LEFT, footerTop - 6)
        .lineTo(RIGHT, footerTop - 6)
        .lineWidth(0.5)
        .strokeColor(COLOR.rule)
        .stroke()
        .restore();
      fixedFooter.lines.forEach((line, j) =>
        ts.drawLine(line, fixedFooter, LEFT, footerTop + j * fixedFooter.lineHeight, { width: CONTENT_W, align: 'center' }),
      );
    }
    if (range.count > 1) {
      const pageOf = labelsOf(m)
        .pageOf.replaceAll('{number}', m.number)
        .replaceAll('{page}', String(i - range.start + 1))
        .replaceAll('{pages}', String(range.count));
      const label = ts.layout(pageOf, { size: 7.5, color: COLOR.faint }, CONTENT_W);
      ts.drawLine(label.lines[0]!, label, LEFT, PAGE_H - MARGIN_BOTTOM - pageNumberH, { width: CONTENT_W, align: 'right' });
    }
    if (m.sandbox) drawSandboxMarks(doc, ts);
  }
}

/** The Factur-X XMP namespace and the file name the specification fixes. */
const FACTUR_X_NAMESPACE = 'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#';
export const FACTUR_X_ATTACHMENT = 'factur-x.xml';

function facturXProperty(name: string, description: string): string {
  return `<rdf:li rdf:parseType="Resource">
            <pdfaProperty:name>${name}</pdfaProperty:name>
            <pdfaProperty:valueType>Text</pdfaProperty:valueType>
            <pdfaProperty:category>external</pdfaProperty:category>
            <pdfaProperty:description>${description}</pdfaProperty:description>
          </rdf:li>`;
}

/**
 * Factur-X 1.0 (= ZUGFeRD 2.x), EN 16931 profile: the CII XML as an associated file of the document
 * with relationship Alternative (the XML is the same invoice in another form), and the XMP properties
 * that tell a reader which file to open, with the PDF/A extension schema that declares them.
 */
function embedFacturX(doc: PDFKit.PDFDocument, xml: string, createdAt: Date): void {
  // pdfkit writes /AFRelationship from `relationship`; its type definitions do not list it yet.
  const options: PDFKit.Mixins.PDFAttachmentOptions & { relationship: 'Alternative' } = {
    name: FACTUR_X_ATTACHMENT,
    type: 'text/xml',
    relationship: 'Alternative',
    description: 'Factur-X invoice (EN 16931)',
    creationDate: createdAt,
    modifiedDate: createdAt,
  };
  doc.file(Buffer.from(xml, 'utf8'), options);
  doc.appendXML(`
        <rdf:Description rdf:about="" xmlns:fx="${FACTUR_X_NAMESPACE}">
          <fx:DocumentType>INVOICE</fx:DocumentType>
          <fx:DocumentFileName>${FACTUR_X_ATTACHMENT}</fx:DocumentFileName>
          <fx:Version>1.0</fx:Version>
          <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
        </rdf:Description>
        <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
          <pdfaExtension:schemas>
            <rdf:Bag>
              <rdf:li rdf:parseType="Resource">
                <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
                <pdfaSchema:namespaceURI>${FACTUR_X_NAMESPACE}</pdfaSchema:namespaceURI>
                <pdfaSchema:prefix>fx</pdfaSchema:prefix>
                <pdfaSchema:property>
                  <rdf:Seq>
          ${facturXProperty('DocumentFileName', 'The name of the embedded XML document')}
          ${facturXProperty('DocumentType', 'The type of the hybrid document in capital letters, e.g. INVOICE or ORDER')}
          ${facturXProperty('Version', 'The actual version of the standard applying to the embedded XML document')}
          ${facturXProperty('ConformanceLevel', 'The conformance level of the embedded XML document')}
                  </rdf:Seq>
                </pdfaSchema:property>
              </rdf:li>
            </rdf:Bag>
          </pdfaExtension:schemas>
        </rdf:Description>`);
}

export function renderInvoicePdf(model: InvoicePdfModel): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    try {
      // The document title is one line: a title in two languages is joined with a slash.
      const title = `${model.title.replaceAll('\n', ' / ')} ${model.number}`;
      const doc = new PDFDocument({
        size: 'A4',
        margin: 0,
        // No default font: pdfkit would parse Helvetica's metrics for every document, and the
        // invoice only uses its embedded fonts.
        font: null as unknown as string,
        bufferPages: true,
        compress: true,
        // PDF/A-3 is built on PDF 1.7; without an e-invoice the file stays as it always was.
        ...(model.facturXml === undefined ? { pdfVersion: '1.4' as const } : { pdfVersion: '1.7' as const, subset: 'PDF/A-3b' as const }),
        displayTitle: true,
        lang: model.language ?? 'en',
        info: {
          Title: title,
          Author: model.seller.name,
          Creator: 'OpenLearning invoice portal',
          Producer: 'PDFKit',
          CreationDate: model.createdAt,
          ModDate: model.createdAt,
        },
      });
      const chunks: Buffer[] = [];
      doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
      build(doc, model);
      if (model.facturXml !== undefined) embedFacturX(doc, model.facturXml, model.createdAt);
      doc.end();
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
