import { describe, expect, test } from 'vitest';
import { configProblemLines as problemsOf, testConfig as load } from '../helpers/config.js';

describe('OPENLEARNING_ENROL_API', () => {
  test('form by default, json when asked, anything else is a problem with a hint', () => {
    expect(load({}).openlearning.enrolApi).toBe('form');
    expect(load({ OPENLEARNING_ENROL_API: 'json' }).openlearning.enrolApi).toBe('json');
    expect(problemsOf({ OPENLEARNING_ENROL_API: 'xml' })).toEqual(['OPENLEARNING_ENROL_API: must be form or json']);
  });
});

describe('OPENLEARNING_TOKEN_MAX_AGE', () => {
  test('one day by default; seconds or a number with s, m, h or d', () => {
    expect(load({}).openlearning.tokenMaxAgeSeconds).toBe(86_400);
    expect(load({ OPENLEARNING_TOKEN_MAX_AGE: '3600' }).openlearning.tokenMaxAgeSeconds).toBe(3600);
    expect(load({ OPENLEARNING_TOKEN_MAX_AGE: '15m' }).openlearning.tokenMaxAgeSeconds).toBe(900);
    expect(load({ OPENLEARNING_TOKEN_MAX_AGE: '12h' }).openlearning.tokenMaxAgeSeconds).toBe(43_200);
    expect(load({ OPENLEARNING_TOKEN_MAX_AGE: '2d' }).openlearning.tokenMaxAgeSeconds).toBe(172_800);
  });

  test('below a minute, above 30 days, or not a duration: refused at start-up', () => {
    for (const value of ['30s', '31d', 'a day', '-5m', '1.5h']) {
      expect(problemsOf({ OPENLEARNING_TOKEN_MAX_AGE: value }), value).toEqual([`OPENLEARNING_TOKEN_MAX_AGE: "${value}" is not a duration between 1m and 30d`]);
    }
  });
});
