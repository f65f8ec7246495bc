/**
 * Properties that must hold for every input, checked with fast-check on generated cases: money in
 * every ISO 4217 currency, tax rounding, payment reference check digits, calendar dates, and every
 * parser of outside input (token claims, billing form, payment amount, dates, configuration).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TokenVerifier } from '../../src/clients/openlearning-token.js';
import { addCalendarDays, daysBetween } from '../../src/clock.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseBillingForm } from '../../src/domain/billing-details.js';
import { parseCalendarDate } from '../../src/domain/calendar-date.js';
import { CURRENCIES } from '../../src/domain/currencies.js';
import { isValidIban } from '../../src/domain/iban.js';
import { formatAmount, minorToDecimalString, parseDecimalAmount } from '../../src/domain/money.js';
import {
  formatPaymentReference,
  generatePaymentReference,
  isValidPaymentReference,
  normalizeReferenceInput,
  toCreditorReference,
} from '../../src/domain/payment-reference.js';
import { computeTax, parseTaxRate, type TaxRate } from '../../src/domain/tax.js';
import { AppError } from '../../src/errors.js';
import { FakeClock } from '../helpers/clock.js';
import { baseEnv, tempDir } from '../helpers/portal.js';
import { enrolmentClaims, signEnrolmentToken, TEST_AUDIENCE, testKey } from '../helpers/tokens.js';

const currencies = [...CURRENCIES.values()];
const currency = fc.constantFrom(...currencies);
const safeMinor = fc.maxSafeNat();

describe('money in every ISO 4217 currency', () => {
  test('every currency has a valid minor unit count', () => {
    for (const c of currencies) expect([0, 2, 3, 4]).toContain(c.minorUnits);
  });

  test('the decimal form of any amount parses back to the same minor units, in every currency', () => {
    for (const c of currencies) {
      fc.assert(
        fc.property(safeMinor, (minor) => {
          const text = minorToDecimalString(minor, c.code);
          expect(text.split('.')[1]?.length ?? 0).toBe(c.minorUnits);
          expect(parseDecimalAmount(text, c.code)).toEqual({ ok: true, minor });
        }),
        { numRuns: 30 },
      );
    }
  });

  test('display shows exactly the digits of the amount (grouping aside)', () => {
    fc.assert(
      fc.property(currency, safeMinor, (c, minor) => {
        expect(formatAmount(minor, c.code).replace(/,/g, '')).toBe(minorToDecimalString(minor, c.code));
      }),
    );
  });

  test('trailing zeros and surrounding spaces do not change a parsed amount; a minus sign is always "negative"', () => {
    fc.assert(
      fc.property(currency, safeMinor, fc.integer({ min: 0, max: 5 }), (c, minor, zeros) => {
        const text = minorToDecimalString(minor, c.code);
        const padded = ` ${c.minorUnits === 0 ? `${text}.` : text}${'0'.repeat(zeros)}\t`;
        if (c.minorUnits === 0 && zeros === 0) return; // "100." is refused as a typo
        expect(parseDecimalAmount(padded, c.code)).toEqual({ ok: true, minor });
        expect(parseDecimalAmount(`-${text}`, c.code)).toEqual({ ok: false, error: 'negative' });
      }),
    );
  });

  test('any text or number: never throws, and an accepted amount is a safe non-negative integer that prints back to the same value', () => {
    const input = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.stringMatching(/^-?\d{0,25}(\.\d{0,8})?$/));
    fc.assert(
      fc.property(input, currency, (value, c) => {
        const result = parseDecimalAmount(value, c.code);
        if (!result.ok) return;
        expect(Number.isSafeInteger(result.minor) && result.minor >= 0).toBe(true);
        expect(parseDecimalAmount(minorToDecimalString(result.minor, c.code), c.code)).toEqual(result);
      }),
      { numRuns: 500 },
    );
  });
});

describe('tax rounding', () => {
  const rate = fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.nat())
    .map(([decimals, n]) => {
      const denominator = 10 ** decimals;
      return `${Math.floor((n % (100 * denominator)) / denominator)}${decimals ? `.${String(n % denominator).padStart(decimals, '0')}` : ''}`;
    })
    .map((text) => {
      const parsed = parseTaxRate(text);
      if (!parsed.ok) throw new Error(`generated rate ${text} refused`);
      return parsed.rate;
    });
  const price = fc.nat({ max: 1e12 });

  test('inclusive: net + tax is the price, and the tax is the exact share rounded half up', () => {
    fc.assert(
      fc.property(price, rate, (p, r) => {
        const { netMinor, taxMinor, totalMinor } = computeTax(p, r, true);
        expect(netMinor + taxMinor).toBe(totalMinor);
        expect(totalMinor).toBe(p);
        // exact tax = p·n / (100d + n); half up: 2·tax - 1 ≤ 2·exact < 2·tax + 1
        const divisor = 100n * r.denominator + r.numerator;
        const twiceExact = 2n * BigInt(p) * r.numerator;
        expect(twiceExact >= (2n * BigInt(taxMinor) - 1n) * divisor && twiceExact < (2n * BigInt(taxMinor) + 1n) * divisor).toBe(true);
      }),
    );
  });

  test('exclusive: the total is price + tax, the tax rounded half up, and a higher price never has less tax', () => {
    fc.assert(
      fc.property(price, rate, (p, r) => {
        const { netMinor, taxMinor, totalMinor } = computeTax(p, r, false);
        expect(netMinor).toBe(p);
        expect(totalMinor).toBe(p + taxMinor);
        const divisor = 100n * r.denominator;
        const twiceExact = 2n * BigInt(p) * r.numerator;
        expect(twiceExact >= (2n * BigInt(taxMinor) - 1n) * divisor && twiceExact < (2n * BigInt(taxMinor) + 1n) * divisor).toBe(true);
        expect(computeTax(p + 1, r, false).taxMinor).toBeGreaterThanOrEqual(taxMinor);
        expect(computeTax(p + 1, r, true).taxMinor).toBeGreaterThanOrEqual(computeTax(p, r, true).taxMinor);
      }),
    );
  });

  test('a tax rate printed back parses to the same rate; anything else is refused, never thrown', () => {
    fc.assert(
      fc.property(rate, (r) => {
        expect(parseTaxRate(`${r.percent} %`)).toEqual({ ok: true, rate: r });
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseTaxRate(text);
        if (parsed.ok) expect(parsed.rate.numerator < 100n * parsed.rate.denominator).toBe(true);
      }),
    );
  });
});

describe('payment references', () => {
  // A pool of random bytes with at least one usable digit byte, served in turn.
  const randomSource = fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 32, maxLength: 64 })
    .filter((bytes) => bytes.some((b) => b > 0 && b < 250 && b % 10 !== 0))
    .map((bytes) => {
      let i = 0;
      return (n: number) => Uint8Array.from({ length: n }, () => bytes[i++ % bytes.length]!);
    });
  const reference = randomSource.map((source) => generatePaymentReference(source));

  test('every generated reference is 11 digits, starts non-zero and checks out, also in its RF form', () => {
    fc.assert(
      fc.property(reference, (ref) => {
        expect(ref).toMatch(/^[1-9]\d{10}$/);
        expect(isValidPaymentReference(ref)).toBe(true);
        expect(normalizeReferenceInput(toCreditorReference(ref))).toEqual({ kind: 'reference', plain: ref });
      }),
    );
  });

  test('any single wrong digit and any swap of two different neighbouring digits is caught', () => {
    fc.assert(
      fc.property(reference, fc.nat({ max: 10 }), fc.integer({ min: 1, max: 9 }), (ref, at, shift) => {
        const digits = [...ref];
        digits[at] = String((Number(digits[at]) + shift) % 10);
        expect(isValidPaymentReference(digits.join(''))).toBe(false);
        if (at < 10 && ref[at] !== ref[at + 1]) {
          const swapped = [...ref];
          [swapped[at], swapped[at + 1]] = [swapped[at + 1]!, swapped[at]!];
          expect(isValidPaymentReference(swapped.join(''))).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('staff may type a reference with any spacing, dashes or lower case', () => {
    const separator = fc.constantFrom('', ' ', '-', '  ', '.', '/');
    fc.assert(
      fc.property(reference, separator, fc.boolean(), (ref, sep, asRf) => {
        const printed = asRf ? toCreditorReference(ref).toLowerCase() : formatPaymentReference(ref);
        expect(normalizeReferenceInput(printed.replace(/ /g, sep))).toEqual({ kind: 'reference', plain: ref });
      }),
    );
  });

  test('any search text: never throws, and only 11 digits count as a reference', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = normalizeReferenceInput(text);
        if (result) expect(result.plain).toMatch(/^\d{11}$/);
        expect(typeof isValidIban(text)).toBe('boolean');
      }),
    );
  });
});

describe('calendar dates', () => {
  const parts = fc.record({ year: fc.integer({ min: 0, max: 10000 }), month: fc.integer({ min: 0, max: 13 }), day: fc.integer({ min: 0, max: 32 }) });
  const pad = (n: number, width: number) => String(n).padStart(width, '0');

  test('a YYYY-MM-DD text is accepted exactly when that day exists in the Gregorian calendar', () => {
    fc.assert(
      fc.property(parts, ({ year, month, day }) => {
        const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
        const date = new Date(0);
        date.setUTCFullYear(year, month - 1, day);
        const exists = year >= 1 && year <= 9999 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
        expect(parseCalendarDate(text) !== undefined, text).toBe(exists);
      }),
      { numRuns: 2000 },
    );
  });

  test('any text: never throws; whatever is accepted is the canonical form', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\d{4}-\d{2}-\d{2}$/)), (text) => {
        const parsed = parseCalendarDate(text);
        if (parsed !== undefined) expect(parsed).toMatch(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/);
      }),
    );
  });

  test('adding days and counting them back agree', () => {
    const validDate = fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(validDate, fc.integer({ min: -3650, max: 3650 }), (start, days) => {
        const end = addCalendarDays(start, days);
        expect(parseCalendarDate(end)).toBe(end);
        expect(daysBetween(start, end)).toBe(days);
      }),
    );
  });
});

describe('the billing form', () => {
  const field = fc.option(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 300 })), { nil: undefined });
  const form = fc.record({ name: field, email: field, organisation: field, address: field, country: field, taxId: field, poNumber: field });
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

  test('any submission: never throws; accepted details are trimmed, within their lengths and free of control characters', () => {
    fc.assert(
      fc.property(form, (body) => {
        const result = parseBillingForm(body);
        if (!result.ok) {
          expect(Object.keys(result.errors).length).toBeGreaterThan(0);
          return;
        }
        const d = result.details;
        expect(d.name.length).toBeGreaterThan(0);
        for (const [name, value] of Object.entries(d)) {
          if (value === null) continue;
          expect(value, name).toBe(value.trim());
          expect(control.test(value), name).toBe(false);
          if (name !== 'address') expect(/[\r\n\t]/.test(value), name).toBe(false);
        }
        expect([...d.name].length).toBeLessThanOrEqual(200);
        expect([...(d.address ?? '')].length).toBeLessThanOrEqual(1000);
      }),
      { numRuns: 300 },
    );
  });

  test('any printable name with a plain email address is accepted as typed', () => {
    const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== '' && !control.test(s) && !/[\r\n\t]/.test(s));
    const email = fc.tuple(fc.stringMatching(/^[a-z0-9_+]{1,20}$/), fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.constantFrom('com', 'edu', 'au', 'museum'));
    fc.assert(
      fc.property(printable, email, (name, [local, domain, tld]) => {
        const result = parseBillingForm({ name, email: `${local}@${domain}.${tld}` });
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.details.name).toBe(name.trim());
      }),
      { numRuns: 300 },
    );
  });
});

describe('enrolment token claims', () => {
  const clock = new FakeClock();
  const verifier = new TokenVerifier({
    publicKeysPem: [testKey().publicPem],
    jwksUrl: undefined,
    audience: TEST_AUDIENCE,
    redirectHosts: [],
    maxLifetimeSeconds: 86_400,
    tax: { rate: (parseTaxRate('10') as { ok: true; rate: TaxRate }).rate, inclusive: true },
    clock,
  });

  test('any form field value: refused with a known error id, never an unexpected exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}$/), fc.constant(undefined)),
        async (jwt) => {
          await expect(verifier.verify(jwt)).rejects.toBeInstanceOf(AppError);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('any signed claims: either refused with a known error id, or accepted with a safe price in a known currency and an OpenLearning https link', async () => {
    const anyValue = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const claims = fc.record(
      {
        sub: anyValue,
        course: anyValue,
        class: anyValue,
        title: anyValue,
        currency: fc.oneof(anyValue, fc.constantFrom(...currencies.map((c) => c.code))),
        price: fc.oneof(anyValue, fc.stringMatching(/^\d{1,20}(\.\d{1,5})?$/)),
        redirect_url: fc.oneof(
          anyValue,
          fc.constantFrom('https://www.openlearning.com/x/', 'http://www.openlearning.com/', 'https://evil.example/', 'javascript:alert(1)'),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(claims, async (overrides) => {
        const payload = { ...enrolmentClaims(), ...overrides };
        const jwt = await signEnrolmentToken(payload, { now: clock.now() });
        try {
          const accepted = await verifier.verify(jwt);
          expect(Number.isSafeInteger(accepted.priceMinor) && accepted.priceMinor >= 0).toBe(true);
          expect(CURRENCIES.has(accepted.currency)).toBe(true);
          expect(new URL(accepted.redirectUrl).protocol).toBe('https:');
          expect(new URL(accepted.redirectUrl).hostname).toMatch(/(^|\.)openlearning\.com$/);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('configuration values', () => {
  const dataDir = tempDir();
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^\d{1,6}$/), fc.constant(''));
  const variables = fc.record(
    {
      PORT: text,
      PUBLIC_URL: fc.oneof(text, fc.webUrl()),
      TAX_RATE: text,
      INVOICE_DUE_DAYS: text,
      INVOICE_EXPIRY_DAYS: text,
      REMINDER_DAYS: text,
      TIMEZONE: fc.oneof(text, fc.constantFrom('UTC', 'Australia/Sydney', 'Mars/Olympus')),
      BANK_IBAN: text,
      SMTP_URL: fc.oneof(text, fc.webUrl()),
      OPENLEARNING_API_URL: fc.oneof(text, fc.webUrl()),
      SESSION_IDLE_MINUTES: text,
      SCHEDULE_PURGE: text,
      TRUST_PROXY: text,
    },
    { requiredKeys: [] },
  );

  test('any values: a working configuration or a ConfigError listing the problems, never a crash', () => {
    fc.assert(
      fc.property(variables, (values) => {
        try {
          const config = loadConfig(baseEnv(3000, dataDir, values), { readDotEnv: false });
          expect(config.port).toBeGreaterThan(0);
          expect(config.publicUrl).toMatch(/^https?:\/\/[^/]+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
