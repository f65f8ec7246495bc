import { expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { baseEnv, tempDir } from '../helpers/portal.js';

function timeZoneProblem(zone: string): string | undefined {
  try {
    loadConfig(baseEnv(3000, tempDir(), { TIMEZONE: zone }), { readDotEnv: false, cwd: tempDir() });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.find((p) => p.variable === 'TIMEZONE')?.message;
  }
}

test('TIMEZONE takes IANA names, also the aliases and spellings missing from the canonical list, and refuses the rest', () => {
  for (const zone of ['Australia/Sydney', 'Asia/Kolkata', 'UTC', 'Etc/UTC', 'Asia/Calcutta', 'US/Eastern', 'europe/berlin']) {
    expect(timeZoneProblem(zone), zone).toBeUndefined();
  }
  expect(timeZoneProblem('Mars/Olympus')).toBe('"Mars/Olympus" is not a known IANA time zone');
  expect(timeZoneProblem('Australia/Sydneyy')).toBe('"Australia/Sydneyy" is not a known IANA time zone');
});
