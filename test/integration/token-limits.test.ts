/**
 * What a signed token may carry, beyond its signature: a price the portal can invoice (not zero,
 * not past the largest total the PDF and the EPC QR code hold, with tax added or included), text
 * without control characters, a short lifetime, and an audience as a string or an array holding it.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pdfQrCodes, pdfText } from '../helpers/pdf.js';
import { locationPath, pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { enrolmentClaims, programClaims, signEnrolmentToken, testKey, TEST_AUDIENCE } from '../helpers/tokens.js';

let inclusive: TestPortal;
let exclusive: TestPortal;
const TABLES = ['used_tokens', 'enrolment_requests', 'invoices', 'outbox', 'audit_log'];

beforeAll(async () => {
  inclusive = await startTestPortal();
  exclusive = await startTestPortal({ env: { TAX_INCLUSIVE: 'false', OPENLEARNING_TOKEN_MAX_AGE: '10m' } });
});
afterAll(async () => {
  await inclusive?.close();
  await exclusive?.close();
});

const sign = (t: TestPortal, claims: Record<string, unknown>, options: Partial<Parameters<typeof signEnrolmentToken>[1]> = {}) =>
  signEnrolmentToken(claims, { now: t.clock.now(), ...options });

async function expectRefusal(t: TestPortal, jwt: string, expected: { id: string; words: RegExp; detail?: RegExp }) {
  const before = TABLES.map((table) => t.count(table));
  const mark = t.logs.length;
  const response = await t.post('/enrol', { jwt });
  expect(response.status).toBe(400);
  expect(pageText(await response.text())).toMatch(expected.words);
  const refusal = t.logs.slice(mark).find((line) => line.msg === 'request refused');
  expect(refusal?.error).toBe(expected.id);
  if (expected.detail) expect(String(refusal?.reason)).toMatch(expected.detail);
  expect(TABLES.map((table) => t.count(table))).toEqual(before);
}

let n = 0;
const learner = () => `limits-learner-${++n}`;

describe('amounts', () => {
  test('a price that overflows once tax is added is refused at /enrol, not with a 500 on the billing page', async () => {
    await expectRefusal(exclusive, await sign(exclusive, enrolmentClaims({ price: '90071992547409.91' })), {
      id: 'token.price',
      words: /price we cannot invoice/,
      detail: /largest invoice total/,
    });
  });

  test('the largest total is 999,999,999.99: with tax added a price just under it is refused, with tax included it is accepted', async () => {
    await expectRefusal(exclusive, await sign(exclusive, enrolmentClaims({ sub: learner(), price: '999999999.99' })), {
      id: 'token.price',
      words: /price we cannot invoice/,
      detail: /total with tax, AUD\s1,099,999,999\.99, is above the largest invoice total, AUD\s999,999,999\.99/,
    });
    const accepted = await exclusive.post('/enrol', { jwt: await sign(exclusive, enrolmentClaims({ sub: learner(), price: '909090909.08' })) });
    expect(accepted.status).toBe(303);
    await expectRefusal(inclusive, await sign(inclusive, enrolmentClaims({ sub: learner(), price: '1000000000.00' })), {
      id: 'token.price',
      words: /price we cannot invoice/,
    });
    await expectRefusal(inclusive, await sign(inclusive, enrolmentClaims({ sub: learner(), currency: 'JPY', price: '100000000000' })), {
      id: 'token.price',
      words: /price we cannot invoice/,
    });
  });

  test('an invoice at the largest total renders: the PDF shows it and the EPC QR code carries it', async () => {
    const enrol = await inclusive.post('/enrol', { jwt: await sign(inclusive, enrolmentClaims({ sub: learner(), currency: 'EUR', price: '999999999.99' })) });
    expect(enrol.status).toBe(303);
    const issued = await inclusive.post(locationPath(enrol), { name: 'Largest Payer', email: 'largest@example.com' });
    const page = await (await inclusive.get(locationPath(issued))).text();
    const pdf = Buffer.from(await (await inclusive.get(page.match(/href="(\/i\/[^"]+\.pdf)"/)![1]!)).arrayBuffer());
    expect(pdfText(pdf)).toMatch(/EUR 999,999,999\.99/);
    const [qr] = pdfQrCodes(pdf);
    expect(qr!.split('\n')).toContain('EUR999999999.99');
    await inclusive.idle();
  });

  test('a zero price is refused with its own message: there is nothing to invoice', async () => {
    for (const price of ['0', '0.00', 0]) {
      await expectRefusal(inclusive, await sign(inclusive, enrolmentClaims({ price })), {
        id: 'token.zero_price',
        words: /This class is free: there is nothing to invoice.*without the external payment gateway/,
      });
    }
    await expectRefusal(inclusive, await sign(inclusive, programClaims({ price: '0.00' })), { id: 'token.zero_price', words: /nothing to invoice/ });
  });
});

describe('text from the token is treated like form text', () => {
  const controls: [string, string][] = [
    ['NUL', 'Marine\u0000Biology'],
    ['ESC', 'Marine \u001b[31mBiology'],
    ['CR/LF', 'Marine Biology\r\nBcc: someone@example.com'],
    ['right-to-left override', 'Marine \u202eygoloiB'],
    ['bidi isolate', 'Marine \u2066Biology\u2069'],
  ];
  for (const [name, title] of controls) {
    test(`a title with ${name} is refused`, async () => {
      await expectRefusal(inclusive, await sign(inclusive, enrolmentClaims({ title })), {
        id: 'token.claims',
        words: /incomplete/,
        detail: /title: contains control characters/,
      });
    });
  }

  test('identifiers too: a sub or program with a control character is refused', async () => {
    await expectRefusal(inclusive, await sign(inclusive, enrolmentClaims({ sub: 'user\u0007' })), { id: 'token.claims', words: /incomplete/, detail: /sub/ });
    await expectRefusal(inclusive, await sign(inclusive, programClaims({ program: 'p\n1' })), { id: 'token.claims', words: /incomplete/, detail: /program/ });
  });

  test('titles in any script are accepted as they are', async () => {
    const response = await inclusive.post('/enrol', {
      jwt: await sign(inclusive, enrolmentClaims({ sub: learner(), title: 'علم الأحياء البحرية – 海洋生物学' })),
    });
    expect(response.status).toBe(303);
  });
});

describe('token lifetime (OPENLEARNING_TOKEN_MAX_AGE, default one day)', () => {
  test('a token valid for years is refused; one valid for a day is accepted', async () => {
    await expectRefusal(inclusive, await sign(inclusive, enrolmentClaims(), { expiresInSeconds: 3 * 365 * 86_400 }), {
      id: 'token.lifetime',
      words: /valid for far longer than an enrolment link should be/,
      detail: /more than the 86400 s allowed by OPENLEARNING_TOKEN_MAX_AGE/,
    });
    const day = await inclusive.post('/enrol', { jwt: await sign(inclusive, enrolmentClaims({ sub: learner() }), { expiresInSeconds: 86_400 }) });
    expect(day.status).toBe(303);
  });

  test('without iat, the lifetime counts from now', async () => {
    const iat = Math.floor(inclusive.clock.now().getTime() / 1000);
    const jwt = await new SignJWT(enrolmentClaims())
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience(TEST_AUDIENCE)
      .setExpirationTime(iat + 400 * 86_400)
      .sign(testKey().privateKey);
    await expectRefusal(inclusive, jwt, { id: 'token.lifetime', words: /far longer/, detail: /from now \(no iat\)/ });
  });

  test('the maximum is configurable: with 10m, a one-hour token is refused', async () => {
    await expectRefusal(exclusive, await sign(exclusive, enrolmentClaims(), { expiresInSeconds: 3600 }), { id: 'token.lifetime', words: /far longer/ });
    const tenMinutes = await exclusive.post('/enrol', { jwt: await sign(exclusive, enrolmentClaims({ sub: learner() }), { expiresInSeconds: 600 }) });
    expect(tenMinutes.status).toBe(303);
  });
});

describe('audience: the configured string, or an array containing it', () => {
  test('an array holding the audience is accepted; one without it, or with a non-string, is refused', async () => {
    const withArray = (aud: unknown[]) => sign(inclusive, { ...enrolmentClaims({ sub: learner() }), aud }, { audience: null });
    expect((await inclusive.post('/enrol', { jwt: await withArray(['other-portal', TEST_AUDIENCE]) })).status).toBe(303);
    await expectRefusal(inclusive, await withArray(['other-portal']), { id: 'token.wrong_audience', words: /another institution/ });
    await expectRefusal(inclusive, await withArray([TEST_AUDIENCE, 42]), {
      id: 'token.wrong_audience',
      words: /another institution/,
      detail: /array of strings/,
    });
  });
});
