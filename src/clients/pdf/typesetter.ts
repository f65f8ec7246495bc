/**
 * The PDF typesetter behind the invoice and credit note layouts: page geometry and colours, text
 * laid out in any script (runs split by font, right-to-left runs reordered, see fonts.ts), line
 * breaking, and sections placed down the page by a Flow. It knows nothing of invoices.
 *
 * Line breaking: after spaces, between words of scripts written without spaces (CJK, Thai... via
 * Intl.Segmenter word boundaries), after '/', '-', '?', '&' and '=' (URLs), and as a last resort
 * between grapheme clusters. All runs of a line share one alphabetic baseline.
 */
import {
  fontKey,
  isRtlParagraph,
  sanitizeText,
  splitByFont,
  textAdvance,
  typesettingFont,
  visualRuns,
  type FontFamily,
  type FontWeight,
  type VisualRun,
} from './fonts.js';

export type Doc = PDFKit.PDFDocument;
export type Align = 'left' | 'right' | 'center';

// Geometry (points; A4 = 595.28 x 841.89)
export const PAGE_W = 595.28;
export const PAGE_H = 841.89;
export const MARGIN_X = 50;
export const MARGIN_TOP = 48;
export const MARGIN_BOTTOM = 36;
export const CONTENT_W = PAGE_W - 2 * MARGIN_X;
export const LEFT = MARGIN_X;
export const RIGHT = PAGE_W - MARGIN_X;
export const BANNER_H = 24;
export const QR_SIZE = 108; // incl. the 4-module quiet zone: ~38 mm

export const COLOR = {
  ink: '#18202b',
  muted: '#5d6878',
  faint: '#8a94a3',
  rule: '#d6dce4',
  accent: '#0b4f9c',
  band: '#eef2f7',
  boxBg: '#f5f8fc',
  boxBorder: '#c5d3e6',
  warn: '#b3261e',
  white: '#ffffff',
  black: '#000000',
};

/** Cap height of the Noto faces, as a fraction of the font size (0.714 Latin, 0.733 CJK). */
export const CAP = 0.72;

export interface Style {
  size: number;
  weight?: FontWeight;
  color?: string;
  /** line height as a multiple of the size */
  leading?: number;
}
export type FullStyle = Required<Style>;

export interface Line {
  text: string;
  width: number;
  rtl: boolean;
}

export interface Block {
  lines: Line[];
  style: FullStyle;
  lineHeight: number;
  height: number;
  width: number;
}

export interface DrawOptions {
  width?: number;
  align?: Align;
  underline?: boolean;
  link?: string;
}

const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });
const graphemeSegmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const NO_SPACE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const BREAK_AFTER = /[/\-?&=\u2010\u2013]$/u;
const SPACES = /^[ \u3000]+$/u;
const TRAILING_SPACES = /[ \u3000]+$/u;

/** Splits a paragraph into pieces between which a line may break. Each piece keeps its trailing spaces. */
function breakOpportunities(paragraph: string): string[] {
  const pieces: string[] = [];
  let cur = '';
  for (const { segment, isWordLike } of wordSegmenter.segment(paragraph)) {
    if (!cur) {
      cur = segment;
      continue;
    }
    if (SPACES.test(segment)) {
      cur += segment;
      continue;
    }
    const prev = cur.slice(-1);
    const canBreak =
      prev === ' ' ||
      prev === '\u3000' ||
      (isWordLike === true && (NO_SPACE_SCRIPT.test(firstChar(segment)) || NO_SPACE_SCRIPT.test(lastChar(cur)))) ||
      (isWordLike === true && BREAK_AFTER.test(cur) && cur.length > 1);
    if (canBreak) {
      pieces.push(cur);
      cur = segment;
    } else {
      cur += segment;
    }
  }
  if (cur) pieces.push(cur);
  return pieces;
}

function firstChar(s: string): string {
  const cp = s.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

function lastChar(s: string): string {
  if (!s) return '';
  const low = s.charCodeAt(s.length - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && s.length > 1 ? s.length - 2 : s.length - 1;
  return String.fromCodePoint(s.codePointAt(start)!);
}

/**
 * A bounded process-wide memo (oldest entries dropped first). Measuring, wrapping and splitting
 * text into runs depend only on their arguments, and an invoice's labels and most of its values
 * come back document after document.
 */
class Memo<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string, compute: () => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = compute();
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, value);
    }
    return value;
  }
}

const sanitized = new Memo<string>(5_000);
const widths = new Memo<number>(20_000);
const wrappedLines = new Memo<readonly Readonly<Line>[]>(5_000);
const runsOfLine = new Memo<readonly Readonly<VisualRun>[]>(5_000);

/** Measures, wraps and draws text in any script (see the module comment). */
export class Typesetter {
  private readonly registered = new Set<string>();

  constructor(readonly doc: Doc) {}

  private useFont(family: FontFamily, weight: FontWeight, size: number): void {
    const key = fontKey(family, weight);
    if (!this.registered.has(key)) {
      // pdfkit takes a fontkit font wherever it takes a font file (PDFFontFactory.open
      // checks for a `layout` method); @types/pdfkit only lists paths and buffers.
      this.doc.registerFont(key, typesettingFont(family, weight) as unknown as Buffer);
      this.registered.add(key);
    }
    this.doc.font(key).fontSize(size);
  }

  /** Advance width of a single-font run, in points. */
  private runWidth(family: FontFamily, weight: FontWeight, text: string, size: number): number {
    return (textAdvance(family, weight, text) * size) / 1000;
  }

  measure(text: string, weight: FontWeight, size: number): number {
    return widths.get(`${weight}\u0000${size}\u0000${text}`, () => {
      let w = 0;
      for (const run of splitByFont(text)) w += this.runWidth(run.family, weight, run.text, size);
      return w;
    });
  }

  layout(text: string, style: Style, maxWidth: number): Block {
    const full: FullStyle = { weight: 'regular', color: COLOR.ink, leading: 1.35, ...style };
    const laidOut = wrappedLines.get(`${full.weight}\u0000${full.size}\u0000${maxWidth}\u0000${text}`, () => {
      const computed: Line[] = [];
      for (const paragraph of sanitized.get(text, () => sanitizeText(text)).split('\n')) {
        const rtl = isRtlParagraph(paragraph);
        for (const t of this.wrap(paragraph, full, maxWidth)) computed.push({ text: t, width: this.measure(t, full.weight, full.size), rtl });
      }
      return computed;
    });
    const lines: Line[] = laidOut.map((line) => ({ ...line }));
    const lineHeight = full.size * full.leading;
    return {
      lines,
      style: full,
      lineHeight,
      height: lines.length * lineHeight,
      width: Math.max(0, ...lines.map((l) => l.width)),
    };
  }

  /**
   * Like layout(), but first shrinks the font (down to `minSize`) so that each
   * paragraph fits on one line; the line height stays that of `style`, so baselines
   * stay aligned with neighbouring cells. For amounts, which should not wrap.
   */
  fit(text: string, style: Style, maxWidth: number, minSize = 7): Block {
    const weight = style.weight ?? 'regular';
    const widest = Math.max(
      0,
      ...sanitized
        .get(text, () => sanitizeText(text))
        .split('\n')
        .map((p) => this.measure(p, weight, style.size)),
    );
    if (widest <= maxWidth) return this.layout(text, style, maxWidth);
    const size = Math.max(minSize, Math.floor(((style.size * maxWidth) / widest) * 10) / 10);
    const lineHeight = style.size * (style.leading ?? 1.35);
    return this.layout(text, { ...style, size, leading: lineHeight / size }, maxWidth);
  }

  private wrap(paragraph: string, style: FullStyle, maxWidth: number): string[] {
    const trimmed = paragraph.replace(TRAILING_SPACES, '');
    if (!trimmed) return [''];
    if (this.measure(trimmed, style.weight, style.size) <= maxWidth) return [trimmed];
    const lines: string[] = [];
    let cur = '';
    let curWidth = 0;
    const start = (piece: string): void => {
      const w = this.measure(piece.replace(TRAILING_SPACES, ''), style.weight, style.size);
      if (w <= maxWidth) {
        cur = piece;
        curWidth = this.measure(piece, style.weight, style.size);
        return;
      }
      // A single piece wider than the line: break between grapheme clusters.
      let part = '';
      let partWidth = 0;
      for (const { segment } of graphemeSegmenter.segment(piece)) {
        const gw = this.measure(segment, style.weight, style.size);
        if (part && partWidth + gw > maxWidth && !SPACES.test(segment)) {
          lines.push(part.replace(TRAILING_SPACES, ''));
          part = '';
          partWidth = 0;
        }
        part += segment;
        partWidth += gw;
      }
      cur = part;
      curWidth = partWidth;
    };
    for (const piece of breakOpportunities(trimmed)) {
      if (!cur) {
        start(piece);
        continue;
      }
      const w = this.measure(piece.replace(TRAILING_SPACES, ''), style.weight, style.size);
      if (curWidth + w <= maxWidth) {
        cur += piece;
        curWidth += this.measure(piece, style.weight, style.size);
      } else {
        lines.push(cur.replace(TRAILING_SPACES, ''));
        cur = '';
        start(piece);
      }
    }
    if (cur) lines.push(cur.replace(TRAILING_SPACES, ''));
    return lines;
  }

  /** Draws one line; `top` is the top of its line box. */
  drawLine(line: Line, block: Block, x: number, top: number, opts: DrawOptions = {}): void {
    const { style, lineHeight } = block;
    const width = opts.width ?? line.width;
    let cx = x;
    if (opts.align === 'right') cx = x + width - line.width;
    else if (opts.align === 'center') cx = x + (width - line.width) / 2;
    const startX = cx;
    const baseline = top + lineHeight / 2 + (CAP * style.size) / 2;
    this.doc.fillColor(style.color);
    for (const run of runsOfLine.get(`${line.rtl ? 1 : 0}\u0000${line.text}`, () => visualRuns(line.text, line.rtl))) {
      const width = this.runWidth(run.family, style.weight, run.text, style.size);
      this.useFont(run.family, style.weight, style.size);
      // Left-to-right runs are shaped word by word through pdfkit's per-document
      // layout cache; right-to-left runs must be shaped whole (`features` set).
      const shaping = run.rtlShaping ? { features: [] } : {};
      this.doc.text(run.text, cx, baseline, { lineBreak: false, baseline: 'alphabetic', ...shaping });
      cx += width;
    }
    if (opts.underline && line.width > 0) {
      const uy = baseline + style.size * 0.14;
      this.doc
        .save()
        .moveTo(startX, uy)
        .lineTo(startX + line.width, uy)
        .lineWidth(0.5)
        .strokeColor(style.color)
        .stroke()
        .restore();
    }
    if (opts.link && line.width > 0) this.doc.link(startX, top, line.width, lineHeight, opts.link);
  }
}

/** A drawable element of a section; `y` is relative to the section top. */
export interface Atom {
  y: number;
  h: number;
  draw: (top: number) => void;
  /** backgrounds and borders: dropped when a section has to be split across pages */
  decoration?: boolean;
}

export class Section {
  readonly atoms: Atom[] = [];
  height = 0;

  constructor(private readonly ts: Typesetter) {}

  add(y: number, h: number, draw: (top: number) => void, decoration = false): void {
    this.atoms.push({ y, h, draw, decoration });
    this.height = Math.max(this.height, y + h);
  }

  /** Adds a text block (one atom per line); returns its height. */
  text(block: Block, x: number, y: number, opts: DrawOptions = {}): number {
    block.lines.forEach((line, i) => {
      this.add(y + i * block.lineHeight, block.lineHeight, (top) => this.ts.drawLine(line, block, x, top, opts));
    });
    return block.height;
  }

  rule(y: number, x1: number, x2: number, color = COLOR.rule, width = 0.75): void {
    this.add(y, width, (top) => {
      this.ts.doc.save().moveTo(x1, top).lineTo(x2, top).lineWidth(width).strokeColor(color).stroke().restore();
    });
  }
}

export class Flow {
  y: number;

  constructor(
    private readonly doc: Doc,
    private readonly top: number,
    private readonly bottom: number,
  ) {
    this.y = top;
  }

  private newPage(): void {
    this.doc.addPage();
    this.y = this.top;
  }

  gap(h: number): void {
    this.y = Math.min(this.y + h, this.bottom);
  }

  place(section: Section): void {
    if (section.height > this.bottom - this.y && this.y > this.top && section.height <= this.bottom - this.top) this.newPage();
    if (section.height <= this.bottom - this.y) {
      const top = this.y;
      for (const atom of section.atoms) atom.draw(top + atom.y);
      this.y += section.height;
      return;
    }
    // Taller than a page: flow the atoms line by line, without backgrounds.
    const atoms = section.atoms.filter((a) => !a.decoration).sort((a, b) => a.y - b.y);
    let shift = this.y;
    let maxBottom = this.y;
    for (const atom of atoms) {
      let top = shift + atom.y;
      if (top + atom.h > this.bottom && top > this.top) {
        this.newPage();
        shift = this.top - atom.y;
        top = this.top;
        maxBottom = top;
      }
      atom.draw(top);
      maxBottom = Math.max(maxBottom, top + atom.h);
    }
    this.y = maxBottom;
  }
}
