/**
 * The one rule for text people or OpenLearning hand us (billing form fields, token claims): kept
 * exactly as given in any script, but invisible control characters are refused, because no real
 * name or title contains them and they can break a PDF line, an email header or a log line.
 */

// C0/C1 controls except tab and line breaks (addresses are multi-line), plus the bidi overrides and
// isolates that can make text display differently from what it is.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;
const LINE_BREAKS_AND_TABS = /[\r\n\t]/;

/** True when `value` holds a control character (or, for single-line text, a tab or line break). */
export function hasControlCharacters(value: string, options: { multiline?: boolean } = {}): boolean {
  return CONTROL_CHARACTERS.test(value) || (!options.multiline && LINE_BREAKS_AND_TABS.test(value));
}
