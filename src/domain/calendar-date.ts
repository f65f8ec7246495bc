/**
 * The one parser for calendar dates that come from outside (forms, query strings, files):
 * exactly `YYYY-MM-DD` in the proleptic Gregorian calendar, years 0001–9999, and a day that
 * exists in its month. `Date.parse` is not enough: it rolls 2024-02-30 over to 1 March.
 */

const FORM = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The date itself when it is a real `YYYY-MM-DD` calendar date, otherwise undefined. */
export function parseCalendarDate(text: string): string | undefined {
  const match = FORM.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return text;
}
