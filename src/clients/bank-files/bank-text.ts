/**
 * Text for bank files. Banks take a small Latin character set (EPC's for SEPA, a safe subset of
 * BECS's for ABA), while refund names come in any script. We transliterate what has an obvious
 * Latin form (accents dropped, ß → ss, Æ → AE, typographic quotes and dashes to ASCII) and refuse
 * what has none (Chinese, Arabic, emoji...): a name invented by dropping characters would not match
 * the account holder's name at the bank, so staff must type the Latin name the bank holds.
 * Every change is reported so the finance desk can show it before the file is sent.
 */
import { AppError } from '../../errors.js';

/** Letters whose Latin form is not their base letter plus marks, so NFKD alone would not find it. */
const SPECIAL_LETTERS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'SS',
  Æ: 'AE',
  æ: 'ae',
  Ø: 'O',
  ø: 'o',
  Œ: 'OE',
  œ: 'oe',
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ð: 'D',
  ð: 'd',
  Þ: 'TH',
  þ: 'th',
  Ħ: 'H',
  ħ: 'h',
  Ŧ: 'T',
  ŧ: 't',
  Ŋ: 'N',
  ŋ: 'n',
  ı: 'i',
  // Typographic punctuation that word processors and phones put in names and references.
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  '\u2032': "'",
  '`': "'",
  '\u00B4': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u00AB': '"',
  '\u00BB': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
};

/** Drops accents and compatibility forms (ﬁ → fi, full-width Ａ → A) but leaves other scripts alone. */
export function transliterateToLatin(text: string): string {
  let out = '';
  for (const char of text.normalize('NFC')) {
    const special = SPECIAL_LETTERS[char];
    if (special !== undefined) {
      out += special;
      continue;
    }
    out += char.normalize('NFKD').replace(/\p{Mn}/gu, '');
  }
  // Tabs, new lines and no-break spaces would break a fixed-width record or a one-line XML field.
  return out.replace(/\s+/gu, ' ').trim();
}

export interface TextChange {
  /** Which value, in words, e.g. 'refund 3 account name'. */
  field: string;
  from: string;
  to: string;
  /** Why it changed: 'transliterated', 'shortened to 32 characters', or both. */
  how: string;
}

export interface TextRule {
  /** Characters allowed in the output (tested one by one, after transliteration and case change). */
  allowed: RegExp;
  upperCase: boolean;
  maxLength: number;
  /** Cut long values (names: the account number routes the money) or refuse them (references, settings). */
  tooLong: 'truncate' | 'refuse';
}

/** Collects the problems of a whole file so staff can fix them all at once, and the changes to show them. */
export class BankTextEncoder {
  readonly problems: string[] = [];
  readonly changes: TextChange[] = [];

  constructor(private readonly fileKind: string) {}

  /** Returns the encoded text, or '' after recording a problem. Empty input is a problem too. */
  encode(value: string, field: string, rule: TextRule): string {
    const latin = transliterateToLatin(value);
    const cased = rule.upperCase ? latin.toUpperCase() : latin;
    const unencodable = [...new Set(Array.from(cased).filter((char) => !rule.allowed.test(char)))];
    if (unencodable.length > 0) {
      const shown = unencodable.map((char) => `'${char}'`).join(', ');
      this.problems.push(
        `${field} ${JSON.stringify(value)} has characters that cannot be written in the ${this.fileKind} (${shown}): enter it in Latin letters`,
      );
      return '';
    }
    if (cased === '') {
      this.problems.push(`${field} is empty`);
      return '';
    }
    let text = cased;
    const how: string[] = [];
    if (latin !== value.normalize('NFC').replace(/\s+/gu, ' ').trim()) how.push('transliterated');
    if (text.length > rule.maxLength) {
      if (rule.tooLong === 'refuse') {
        this.problems.push(`${field} ${JSON.stringify(text)} is ${text.length} characters long; the ${this.fileKind} allows ${rule.maxLength}`);
        return '';
      }
      text = text.slice(0, rule.maxLength).trimEnd();
      how.push(`shortened to ${rule.maxLength} characters`);
    }
    if (how.length > 0) this.changes.push({ field, from: value, to: text, how: how.join(' and ') });
    return text;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws every problem found so far, in one error. */
  throwIfProblems(): void {
    if (this.problems.length > 0) throw new BankFileError(this.fileKind, this.problems);
  }
}

/** A bank file could not be made from these refunds; `problems` says which value and why, one per line. */
export class BankFileError extends AppError {
  constructor(
    readonly fileKind: string,
    readonly problems: readonly string[],
  ) {
    super('bank_file.invalid', `${fileKind}: ${problems.join('; ')}`, { problems });
    this.name = 'BankFileError';
  }
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
