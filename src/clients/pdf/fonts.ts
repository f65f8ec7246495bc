/**
 * Fonts for the invoice PDF: loading, per-character font fallback and
 * (simplified) bidirectional ordering.
 *
 * - Font files come from the @expo-google-fonts Noto Sans packages. Each file is
 *   read from disk at most once per process and the Buffer is cached; the big CJK
 *   faces (~10 MB each) are only read when some text actually needs them.
 * - Fallback: for each character the first family in FALLBACK_ORDER whose cmap has
 *   a glyph for it (fontkit `hasGlyphForCodePoint`) wins. Characters of the Common /
 *   Inherited scripts (spaces, digits, punctuation, combining marks, ZWJ...) stay in
 *   the font of the run they sit in when that font has them, so shaping and joining
 *   are not broken up. The regular and bold faces have identical coverage (checked
 *   for all six families), so coverage is probed on the regular face only.
 * - Per document, pdfkit gets its own fontkit instance per face (`documentFont`),
 *   registered with `doc.registerFont(name, font)` (pdfkit accepts a fontkit font in
 *   place of a file or Buffer and embeds a subset of it). A per-document instance is
 *   needed because fontkit caches Glyph objects together with the code points of
 *   their first use and pdfkit writes those into the ToUnicode map: one instance
 *   shared by all documents would make a PDF's bytes (and its extracted text, e.g.
 *   U+00A0 vs U+0020 for the shared space glyph) depend on what was rendered earlier
 *   in the process. Parsing GSUB/GPOS/cmap/hmtx... again for every document is what
 *   made a render slow (~250 ms for Noto Sans alone), so the per-document instance
 *   shares the process-wide instance's decoded tables, exactly as fontkit's own
 *   `getVariation()` does (`font._tables = this._tables`); glyph cache, stream and
 *   layout engine stay per document. If a future fontkit changes that internal,
 *   `documentFont` silently falls back to an unshared (slower, still correct) instance.
 * - The process-wide instances are also used to probe coverage and to draw vector
 *   outlines (the watermark), neither of which involves the ToUnicode map.
 * - Bidi: a compact version of the Unicode Bidirectional Algorithm (UAX #9 rules
 *   P2-P3, W1-W7, N1-N2, I1-I2, L1-L2; no explicit embeddings/isolates, which are
 *   stripped from the input). Runs come back in visual order, prepared so that
 *   pdfkit + fontkit draw them correctly: fontkit reverses a run whose first
 *   non-common character belongs to an RTL script (Arabic, Hebrew...), so such runs
 *   are passed in logical order; any other run that needs reversing (neutrals at an
 *   odd level, Arabic-Indic digits at an even level) is pre-reversed here by grapheme
 *   cluster, with bracket mirroring where the font does not do it (`rtlm`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
// @ts-expect-error fontkit is pdfkit's own font engine (a dependency of pdfkit, installed with it) and ships no type declarations; the small part used here is typed below.
import * as fontkitUntyped from 'fontkit';

/** The subset of fontkit's API used here. */
export interface FontkitPathCommand {
  command: 'moveTo' | 'lineTo' | 'quadraticCurveTo' | 'bezierCurveTo' | 'closePath';
  args: number[];
}
export interface FontkitGlyph {
  id: number;
  advanceWidth: number;
  path: { commands: FontkitPathCommand[] };
}
export interface FontkitGlyphPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
}
export interface FontkitFont {
  postscriptName: string;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  capHeight: number;
  availableFeatures: string[];
  hasGlyphForCodePoint(codePoint: number): boolean;
  layout(text: string, features?: string[]): { glyphs: FontkitGlyph[]; positions: FontkitGlyphPosition[]; advanceWidth: number };
}
interface FontkitModule {
  create(buffer: Uint8Array, postscriptName?: string): FontkitFont;
}
const fontkit = fontkitUntyped as unknown as FontkitModule;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

export type FontWeight = 'regular' | 'bold';
export type FontFamily = 'sans' | 'arabic' | 'hebrew' | 'thai' | 'sc' | 'kr';

/** Fallback order: Noto Sans (Latin, Greek, Cyrillic, Devanagari), Arabic, Hebrew, Thai, SC (CJK + kana), KR (Hangul). */
export const FALLBACK_ORDER: readonly FontFamily[] = ['sans', 'arabic', 'hebrew', 'thai', 'sc', 'kr'];

const FONT_FILES: Record<FontFamily, { pkg: string; stem: string }> = {
  sans: { pkg: 'noto-sans', stem: 'NotoSans' },
  arabic: { pkg: 'noto-sans-arabic', stem: 'NotoSansArabic' },
  hebrew: { pkg: 'noto-sans-hebrew', stem: 'NotoSansHebrew' },
  thai: { pkg: 'noto-sans-thai', stem: 'NotoSansThai' },
  sc: { pkg: 'noto-sans-sc', stem: 'NotoSansSC' },
  kr: { pkg: 'noto-sans-kr', stem: 'NotoSansKR' },
};

const require = createRequire(import.meta.url);

export function fontFilePath(family: FontFamily, weight: FontWeight): string {
  const { pkg, stem } = FONT_FILES[family];
  const style = weight === 'bold' ? '700Bold' : '400Regular';
  return require.resolve(`@expo-google-fonts/${pkg}/${style}/${stem}_${style}.ttf`);
}

/** Name under which a face is registered in a PDF document. */
export function fontKey(family: FontFamily, weight: FontWeight): string {
  return `${family}-${weight}`;
}

const buffers = new Map<string, Buffer>();
const fontkitFonts = new Map<string, FontkitFont>();

/** The font file's bytes, read from disk once per process. */
export function fontBuffer(family: FontFamily, weight: FontWeight): Buffer {
  const key = fontKey(family, weight);
  let buf = buffers.get(key);
  if (!buf) {
    buf = readFileSync(fontFilePath(family, weight));
    buffers.set(key, buf);
  }
  return buf;
}

/**
 * A process-wide fontkit instance, for coverage probes and glyph outlines only
 * (not for text that pdfkit embeds; see the module comment).
 */
export function probeFont(family: FontFamily, weight: FontWeight = 'regular'): FontkitFont {
  const key = fontKey(family, weight);
  let font = fontkitFonts.get(key);
  if (!font) {
    font = fontkit.create(fontBuffer(family, weight));
    fontkitFonts.set(key, font);
  }
  return font;
}

/**
 * A fresh fontkit instance of the face for one PDF document (own glyph cache),
 * sharing the decoded font tables of the process-wide instance.
 */
export function documentFont(family: FontFamily, weight: FontWeight): FontkitFont {
  const shared = probeFont(family, weight) as FontkitFont & { _tables?: unknown };
  const font = fontkit.create(fontBuffer(family, weight)) as FontkitFont & { _tables?: unknown };
  if (isPlainObject(shared._tables) && isPlainObject(font._tables)) font._tables = shared._tables;
  return font;
}

/**
 * documentFont() whose shaping (fontkit's `layout`, which pdfkit calls for every word of every
 * document) is remembered across documents; see `shareShaping`.
 */
export function typesettingFont(family: FontFamily, weight: FontWeight): FontkitFont {
  const font = documentFont(family, weight);
  return hasGlyphInternals(font) ? shareShaping(font, fontKey(family, weight)) : font;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const advanceCache = new Map<string, number>();
const ADVANCE_CACHE_MAX = 20_000;

/**
 * Advance width of a single-font run in 1/1000 em, shaped as one string. Widths
 * depend only on the face and the text, so they are computed on the process-wide
 * instance and cached (bounded, oldest entries dropped first).
 */
export function textAdvance(family: FontFamily, weight: FontWeight, text: string): number {
  const key = `${family}\u0000${weight}\u0000${text}`;
  let w = advanceCache.get(key);
  if (w === undefined) {
    const font = probeFont(family, weight);
    // Through the shaping cache: a word measured here is usually drawn next (and vice versa).
    const run = hasGlyphInternals(font) ? shape(font, fontKey(family, weight), text, []) : font.layout(text, []);
    w = (run.advanceWidth * 1000) / font.unitsPerEm;
    if (advanceCache.size >= ADVANCE_CACHE_MAX) advanceCache.delete(advanceCache.keys().next().value!);
    advanceCache.set(key, w);
  }
  return w;
}

// ---------------------------------------------------------------------------
// Shaping shared across documents
//
// Shaping a word (GSUB/GPOS lookups) was most of a render, and every document shaped every word
// again on its own font instance. The result of fontkit's layout depends on the font's tables,
// the text and features, and on one piece of per-instance state: the code points a glyph object
// was first created with (a glyph reached from U+0020 and U+00A0 is one object, and its first
// code points go into the document's ToUnicode map and into the shaper's mark detection). So a
// layout is recorded with every glyph it touched (creating or reusing) and the code points each
// glyph had when touched; it is replayed on another document's instance only when each of those
// glyphs there has, or would be created with, the same code points. Replaying creates the same
// glyph objects the real layout would have created, so the document's bytes are the same as
// without the cache. Otherwise the real layout runs.

interface GlyphObject {
  id: number;
  codePoints: number[];
}
/** fontkit internals the replay needs (present in fontkit 2; checked before use). */
interface FontkitInternals {
  _glyphs: Record<number, GlyphObject | undefined>;
  getGlyph(id: number, codePoints?: number[]): GlyphObject | null;
  _getBaseGlyph(id: number, codePoints?: number[]): GlyphObject | null;
}
type InternalFont = FontkitFont & FontkitInternals;

interface GlyphTouch {
  id: number;
  /** the code points the call passed (what a new glyph object gets) */
  codePoints: number[];
  /** reached through _getBaseGlyph rather than getGlyph */
  base: boolean;
  /** the code points the glyph had when the layout touched it */
  seen: number[];
}
interface RecordedLayout {
  touches: GlyphTouch[];
  glyphIds: number[];
  /** xAdvance, yAdvance, xOffset, yOffset per glyph, in font units */
  positions: number[];
}

/** What fontkit's GlyphRun gives pdfkit: glyphs, positions (scaled in place by pdfkit) and their sum. */
class ReplayedRun {
  constructor(
    readonly glyphs: GlyphObject[],
    readonly positions: { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number }[],
  ) {}

  get advanceWidth(): number {
    let width = 0;
    for (const position of this.positions) width += position.xAdvance;
    return width;
  }
}

const shapingCache = new Map<string, RecordedLayout[]>();
const SHAPING_CACHE_MAX = 20_000;
const SHAPING_VARIANTS_MAX = 4;

function hasGlyphInternals(font: FontkitFont): font is InternalFont {
  const f = font as Partial<FontkitInternals>;
  return isPlainObject(f._glyphs) && typeof f.getGlyph === 'function' && typeof f._getBaseGlyph === 'function';
}

const sameCodePoints = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((cp, i) => cp === b[i]);

function recordLayout(font: InternalFont, text: string, features: string[] | undefined): { run: ReturnType<FontkitFont['layout']>; recorded: RecordedLayout } {
  const touches: GlyphTouch[] = [];
  const touched = new Set<number>();
  const touch = (id: number, codePoints: number[], base: boolean): void => {
    if (touched.has(id)) return;
    touched.add(id);
    const existing = font._glyphs[id];
    touches.push({ id, codePoints: [...codePoints], base, seen: [...(existing ? existing.codePoints : codePoints)] });
  };
  const { getGlyph, _getBaseGlyph: getBaseGlyph } = font;
  font.getGlyph = function (id: number, codePoints: number[] = []) {
    touch(id, codePoints, false);
    return getGlyph.call(this, id, codePoints);
  };
  font._getBaseGlyph = function (id: number, codePoints: number[] = []) {
    touch(id, codePoints, true);
    return getBaseGlyph.call(this, id, codePoints);
  };
  let run: ReturnType<FontkitFont['layout']>;
  try {
    run = Object.getPrototypeOf(font).layout.call(font, text, features) as ReturnType<FontkitFont['layout']>;
  } finally {
    // Back to the prototype's methods.
    delete (font as Partial<FontkitInternals>).getGlyph;
    delete (font as Partial<FontkitInternals>)._getBaseGlyph;
  }
  const positions: number[] = [];
  for (const p of run.positions) positions.push(p.xAdvance, p.yAdvance, p.xOffset, p.yOffset);
  return { run, recorded: { touches, glyphIds: run.glyphs.map((g) => g.id), positions } };
}

function replayLayout(font: InternalFont, recorded: RecordedLayout): ReplayedRun | null {
  for (const t of recorded.touches) {
    const existing = font._glyphs[t.id];
    if (!sameCodePoints(existing ? existing.codePoints : t.codePoints, t.seen)) return null;
  }
  for (const t of recorded.touches) {
    if (font._glyphs[t.id]) continue;
    if (t.base) font._getBaseGlyph(t.id, t.codePoints.slice());
    else font.getGlyph(t.id, t.codePoints.slice());
  }
  const glyphs: GlyphObject[] = [];
  for (const id of recorded.glyphIds) {
    const glyph = font._glyphs[id];
    if (!glyph) return null;
    glyphs.push(glyph);
  }
  const p = recorded.positions;
  const positions = glyphs.map((_, i) => ({ xAdvance: p[4 * i]!, yAdvance: p[4 * i + 1]!, xOffset: p[4 * i + 2]!, yOffset: p[4 * i + 3]! }));
  return new ReplayedRun(glyphs, positions);
}

/**
 * fontkit's layout of `text` on `font` (an instance of `face`), replayed from an earlier layout of
 * the same text on any instance of the face when that gives the same result here. No features and
 * an empty list are the same to fontkit (both shape with the defaults), so they share entries.
 */
function shape(font: InternalFont, face: string, text: string, features: string[] | undefined): ReturnType<FontkitFont['layout']> {
  const key = `${face}\u0000${features ? features.join(',') : ''}\u0000${text}`;
  const variants = shapingCache.get(key);
  for (const recorded of variants ?? []) {
    const replayed = replayLayout(font, recorded);
    if (replayed) return replayed as unknown as ReturnType<FontkitFont['layout']>;
  }
  const { run, recorded } = recordLayout(font, text, features);
  if (variants) {
    if (variants.length >= SHAPING_VARIANTS_MAX) variants.shift();
    variants.push(recorded);
  } else {
    if (shapingCache.size >= SHAPING_CACHE_MAX) shapingCache.delete(shapingCache.keys().next().value!);
    shapingCache.set(key, [recorded]);
  }
  return run;
}

/** Makes `font.layout` (one document's instance) reuse layouts recorded on other instances of the same face. */
function shareShaping(font: InternalFont, face: string): FontkitFont {
  font.layout = (text: string, features?: string[]) =>
    features === undefined || Array.isArray(features)
      ? shape(font, face, text, features)
      : (Object.getPrototypeOf(font).layout.call(font, text, features) as ReturnType<FontkitFont['layout']>);
  return font;
}

/** Which font files have been read so far (for diagnostics and tests). */
export function loadedFontFiles(): string[] {
  return [...buffers.keys()];
}

// ---------------------------------------------------------------------------
// Coverage

const coverage = new Map<number, FontFamily | null>();

/** The first family in the fallback order with a glyph for `cp`, or null. */
export function familyFor(cp: number): FontFamily | null {
  const cached = coverage.get(cp);
  if (cached !== undefined) return cached;
  let found: FontFamily | null = null;
  for (const family of FALLBACK_ORDER) {
    if (probeFont(family).hasGlyphForCodePoint(cp)) {
      found = family;
      break;
    }
  }
  coverage.set(cp, found);
  return found;
}

export function hasGlyph(family: FontFamily, cp: number): boolean {
  return probeFont(family).hasGlyphForCodePoint(cp);
}

const COMMON_OR_INHERITED = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const isCommon = (ch: string): boolean => COMMON_OR_INHERITED.test(ch);

/**
 * Clean user text for drawing: NFC, tabs and other spaces to ' ', CRLF and line /
 * paragraph separators to '\n', explicit bidi embeddings/isolates, invisible
 * formatting characters and control characters removed, and any
 * grapheme cluster with a character that no font can draw (emoji...) replaced by
 * U+FFFD, so it shows as a visible replacement mark instead of an empty .notdef
 * box that extracts as NUL.
 */
export function sanitizeText(text: string): string {
  const normalized = text
    .normalize('NFC')
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(/[\t\v\f\u1680\u2000-\u200a\u205f]/g, ' ')
    // explicit embeddings/isolates (not supported by the bidi code), soft hyphen,
    // zero-width space, word joiner, BOM
    .replace(/[\u202a-\u202e\u2066-\u2069\u00ad\u200b\u2060\ufeff]/g, '')
    // C0/C1 controls except \n
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '');
  let out = '';
  for (const { segment } of graphemes.segment(normalized)) {
    let drawable = true;
    for (const ch of segment) {
      const cp = ch.codePointAt(0)!;
      if (ch !== '\n' && !isDefaultIgnorable(cp) && familyFor(cp) === null) drawable = false;
    }
    out += drawable ? segment : '\ufffd';
  }
  return out;
}

function isDefaultIgnorable(cp: number): boolean {
  return (
    cp === 0x00ad || (cp >= 0x200b && cp <= 0x200f) || cp === 0x2060 || cp === 0xfeff || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}

export interface FontRun {
  text: string;
  family: FontFamily;
}

/**
 * Split text (logical order) into maximal runs drawable with one font. Common /
 * inherited characters stick to the preceding run's font when it has them (else to
 * the following run's font, else their own first-covering font).
 */
export function splitByFont(text: string): FontRun[] {
  const chars = Array.from(text);
  const fams: (FontFamily | null)[] = chars.map((ch) => (isCommon(ch) ? null : (familyFor(ch.codePointAt(0)!) ?? 'sans')));
  // neutrals: previous font if it has the glyph, else next font, else own.
  for (let i = 0; i < chars.length; i++) {
    if (fams[i] !== null) continue;
    const cp = chars[i]!.codePointAt(0)!;
    const prev = i > 0 ? fams[i - 1] : null;
    if (prev && (hasGlyph(prev, cp) || isDefaultIgnorable(cp))) {
      fams[i] = prev;
      continue;
    }
    let next: FontFamily | null = null;
    for (let j = i + 1; j < chars.length; j++) {
      if (fams[j] !== null) {
        next = fams[j]!;
        break;
      }
    }
    if (next && (hasGlyph(next, cp) || isDefaultIgnorable(cp))) fams[i] = next;
    else fams[i] = familyFor(cp) ?? prev ?? next ?? 'sans';
  }
  const runs: FontRun[] = [];
  for (let i = 0; i < chars.length; i++) {
    const family = fams[i]!;
    const last = runs[runs.length - 1];
    if (last && last.family === family) last.text += chars[i];
    else runs.push({ text: chars[i]!, family });
  }
  return runs;
}

// ---------------------------------------------------------------------------
// Bidi

type BidiClass = 'L' | 'R' | 'AL' | 'EN' | 'AN' | 'ES' | 'ET' | 'CS' | 'NSM' | 'WS' | 'ON';

const RE_NSM = /^[\p{Mn}\p{Me}]$/u;
const RE_R = /^[\p{Script=Hebrew}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Nko}\p{Script=Adlam}]$/u;
const RE_AL = /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}]$/u;
const RE_L = /^[\p{L}\p{Mc}\p{Nl}]$/u;
const RE_ET = /^[\p{Sc}#%\u00b0\u00b1\u2030\u2031\u2032-\u2034\u2052\u066a]$/u;
const RE_WS = /^\s$/u;

function bidiClass(ch: string): BidiClass {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x6f0 && cp <= 0x6f9) || cp === 0xb2 || cp === 0xb3 || cp === 0xb9 || (cp >= 0xff10 && cp <= 0xff19)) return 'EN';
  if ((cp >= 0x660 && cp <= 0x669) || cp === 0x66b || cp === 0x66c || (cp >= 0x600 && cp <= 0x605) || cp === 0x6dd) return 'AN';
  if (cp === 0x200e) return 'L';
  if (cp === 0x200f) return 'R';
  if (cp === 0x61c) return 'AL';
  if (cp === 0x2b || cp === 0x2d || cp === 0x2212 || cp === 0xfb29 || cp === 0xfe62 || cp === 0xfe63 || cp === 0xff0b || cp === 0xff0d) return 'ES';
  if (
    cp === 0x2c ||
    cp === 0x2e ||
    cp === 0x2f ||
    cp === 0x3a ||
    cp === 0xa0 ||
    cp === 0x60c ||
    cp === 0x202f ||
    cp === 0x2044 ||
    cp === 0xfe50 ||
    cp === 0xfe52 ||
    cp === 0xfe55 ||
    cp === 0xff0c ||
    cp === 0xff0e ||
    cp === 0xff0f ||
    cp === 0xff1a
  )
    return 'CS';
  if (RE_NSM.test(ch)) return 'NSM';
  if (RE_WS.test(ch)) return 'WS';
  if (RE_ET.test(ch)) return 'ET';
  if (RE_R.test(ch)) return 'R';
  if (RE_AL.test(ch)) return 'AL';
  if (RE_L.test(ch)) return 'L';
  return 'ON';
}

const isStrongRtl = (c: BidiClass): boolean => c === 'R' || c === 'AL';

/** P2/P3: true when the first strong character of the paragraph is right-to-left. */
export function isRtlParagraph(text: string): boolean {
  for (const ch of text) {
    const c = bidiClass(ch);
    if (c === 'L') return false;
    if (isStrongRtl(c)) return true;
  }
  return false;
}

export function hasRtl(text: string): boolean {
  for (const ch of text) {
    const c = bidiClass(ch);
    if (isStrongRtl(c) || c === 'AN') return true;
  }
  return false;
}

/** Resolved embedding level per code point (rules W1-W7, N1-N2, I1-I2, L1). */
export function bidiLevels(chars: string[], baseRtl: boolean): number[] {
  const n = chars.length;
  const e = baseRtl ? 1 : 0;
  const sos: BidiClass = baseRtl ? 'R' : 'L';
  const types = chars.map(bidiClass);
  const original = types.slice();
  // W1
  for (let i = 0; i < n; i++) if (types[i] === 'NSM') types[i] = i === 0 ? sos : types[i - 1]!;
  // W2 + W3
  let lastStrong: BidiClass = sos;
  for (let i = 0; i < n; i++) {
    const t = types[i]!;
    if (t === 'EN' && lastStrong === 'AL') types[i] = 'AN';
    if (t === 'L' || t === 'R' || t === 'AL') lastStrong = t;
  }
  for (let i = 0; i < n; i++) if (types[i] === 'AL') types[i] = 'R';
  // W4
  for (let i = 1; i < n - 1; i++) {
    const t = types[i];
    const a = types[i - 1];
    const b = types[i + 1];
    if (t === 'ES' && a === 'EN' && b === 'EN') types[i] = 'EN';
    else if (t === 'CS' && a === b && (a === 'EN' || a === 'AN')) types[i] = a;
  }
  // W5
  for (let i = 0; i < n; i++) {
    if (types[i] !== 'ET') continue;
    let j = i;
    while (j < n && types[j] === 'ET') j++;
    const adjacentEN = (i > 0 && types[i - 1] === 'EN') || (j < n && types[j] === 'EN');
    if (adjacentEN) for (let k = i; k < j; k++) types[k] = 'EN';
    i = j - 1;
  }
  // W6
  for (let i = 0; i < n; i++) {
    const t = types[i];
    if (t === 'ES' || t === 'ET' || t === 'CS') types[i] = 'ON';
  }
  // W7
  lastStrong = sos;
  for (let i = 0; i < n; i++) {
    const t = types[i]!;
    if (t === 'EN' && lastStrong === 'L') types[i] = 'L';
    if (t === 'L' || t === 'R') lastStrong = t;
  }
  // N1 + N2
  const dirOf = (t: BidiClass): 'L' | 'R' | null => (t === 'L' ? 'L' : t === 'R' || t === 'EN' || t === 'AN' ? 'R' : null);
  for (let i = 0; i < n; i++) {
    if (dirOf(types[i]!) !== null) continue;
    let j = i;
    while (j < n && dirOf(types[j]!) === null) j++;
    const before = i === 0 ? sos : dirOf(types[i - 1]!)!;
    const after = j === n ? sos : dirOf(types[j]!)!;
    const resolved: BidiClass = before === after ? before : baseRtl ? 'R' : 'L';
    for (let k = i; k < j; k++) types[k] = resolved;
    i = j - 1;
  }
  // I1 / I2
  const levels = types.map((t) => {
    if (e === 0) return t === 'R' ? 1 : t === 'AN' || t === 'EN' ? 2 : 0;
    return t === 'L' || t === 'AN' || t === 'EN' ? 2 : 1;
  });
  // L1: trailing whitespace goes back to the paragraph level.
  for (let i = n - 1; i >= 0 && original[i] === 'WS'; i--) levels[i] = e;
  return levels;
}

const MIRROR: Record<string, string> = {
  '(': ')',
  ')': '(',
  '[': ']',
  ']': '[',
  '{': '}',
  '}': '{',
  '<': '>',
  '>': '<',
  '«': '»',
  '»': '«',
  '‹': '›',
  '›': '‹',
  '（': '）',
  '）': '（',
  '［': '］',
  '］': '［',
};
const RTL_SCRIPT = /^[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}]$/u;

/** Mirrors fontkit's direction detection: the script of the first non-common character. */
function fontkitReverses(text: string): boolean {
  for (const ch of text) {
    if (isCommon(ch)) continue;
    return RTL_SCRIPT.test(ch);
  }
  return false;
}

function reverseGraphemes(text: string): string {
  return Array.from(graphemes.segment(text), (s) => s.segment)
    .reverse()
    .join('');
}

export interface VisualRun extends FontRun {
  /** Resolved bidi level; odd = right-to-left. */
  level: number;
  /**
   * fontkit will shape this run right-to-left (and reverse it): it must be shaped as
   * one string, not word by word, or its words would stay in logical order.
   */
  rtlShaping: boolean;
}

/**
 * One line of text (logical order, no '\n') split into font runs in left-to-right
 * visual order. Each run's text is what to hand to pdfkit (with `features` set, so
 * that pdfkit shapes the run as a whole; see invoice-pdf.ts).
 */
export function visualRuns(line: string, baseRtl: boolean): VisualRun[] {
  if (!line) return [];
  if (!baseRtl && !hasRtl(line)) return splitByFont(line).map((r) => ({ ...r, level: 0, rtlShaping: false }));
  const chars = Array.from(line);
  const levels = bidiLevels(chars, baseRtl);
  // level runs (logical), then font runs inside each
  const items: VisualRun[] = [];
  for (let i = 0; i < chars.length;) {
    let j = i;
    while (j < chars.length && levels[j] === levels[i]) j++;
    const level = levels[i]!;
    for (const r of splitByFont(chars.slice(i, j).join(''))) items.push({ ...r, level, rtlShaping: false });
    i = j;
  }
  // L2
  const max = Math.max(...items.map((r) => r.level));
  const minOdd = Math.min(...items.map((r) => (r.level % 2 === 1 ? r.level : r.level + 1)));
  for (let lvl = max; lvl >= minOdd; lvl--) {
    for (let i = 0; i < items.length;) {
      if (items[i]!.level < lvl) {
        i++;
        continue;
      }
      let j = i;
      while (j < items.length && items[j]!.level >= lvl) j++;
      const reversed = items.slice(i, j).reverse();
      items.splice(i, j - i, ...reversed);
      i = j;
    }
  }
  // Prepare each run's text for pdfkit/fontkit.
  return items.map((run) => {
    const odd = run.level % 2 === 1;
    let text = run.text;
    const fkRev = fontkitReverses(text);
    if (odd && !(fkRev && probeFont(run.family).availableFeatures.includes('rtlm'))) {
      text = Array.from(text, (c) => MIRROR[c] ?? c).join('');
    }
    if (odd !== fkRev) text = reverseGraphemes(text);
    return { ...run, text, rtlShaping: fontkitReverses(text) };
  });
}
