import { staffText } from '../../i18n.js';

export { staffText };

/** The notice an action redirected with (`?notice=…`), from its page's map of notice → message key. */
export function noticeText(notices: Readonly<Record<string, string>>, notice: unknown): string | undefined {
  return typeof notice === 'string' && Object.hasOwn(notices, notice) ? staffText(notices[notice]!) : undefined;
}
