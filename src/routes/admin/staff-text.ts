import { translator, type MessageValues } from '../../i18n.js';

/**
 * Text the finance desk's routes write themselves (page titles, notices, form errors), from the
 * staff catalogue like the templates' t(). Every account reads English: choosing a staff language
 * per account is not built, and would be decided here.
 */
const staffMessages = translator('staff', 'en');

export function staffText(key: string, values?: MessageValues): string {
  return staffMessages.text(key, values);
}

/** The notice an action redirected with (`?notice=…`), from its page's map of notice → message key. */
export function noticeText(notices: Readonly<Record<string, string>>, notice: unknown): string | undefined {
  return typeof notice === 'string' && Object.hasOwn(notices, notice) ? staffText(notices[notice]!) : undefined;
}
