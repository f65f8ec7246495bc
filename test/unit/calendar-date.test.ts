import { describe, expect, test } from 'vitest';
import { parseCalendarDate } from '../../src/domain/calendar-date.js';

describe('parseCalendarDate', () => {
  test.each(['2024-02-29', '2000-02-29', '2026-12-31', '1999-01-01', '0001-01-01', '9999-12-31'])('%s is a date', (text) => {
    expect(parseCalendarDate(text)).toBe(text);
  });

  test.each(['2024-02-30', '2023-02-29', '1900-02-29', '2024-99-99', '2024-13-45', '2024-00-10', '2024-04-31', '2024-01-00', '0000-01-01'])(
    '%s does not exist',
    (text) => {
      expect(parseCalendarDate(text)).toBeUndefined();
    },
  );

  test.each(['', '2024-2-3', '2024/02/03', ' 2024-02-03', '2024-02-03 ', '2024-02-03T00:00', '+02024-02-03', '２０２４-02-03', '2024-02-03\u0000'])(
    '%j is not in YYYY-MM-DD form',
    (text) => {
      expect(parseCalendarDate(text)).toBeUndefined();
    },
  );
});
