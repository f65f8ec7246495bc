/**
 * Every way the External Enrolment URL refuses a token: one test each. Each asserts the learner
 * sees a 4xx page in plain words, the log names the precise reason, and nothing was written.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startTestPortal, pageText, type TestPortal } from '../helpers/portal.js';
import { enrolmentClaims, makeRsaKey, signEnrolmentToken, testKey, TEST_AUDIENCE } from '../helpers/tokens.js';

let t: TestPortal;
const TABLES = ['used_tokens', 'enrolment_requests', 'invoices', 'outbox', 'audit_log'];

beforeAll(async () => {
  t = await startTestPortal();
});
afterAll(async () => t?.close());

let logMark = 0;
beforeEach(() => {
  logMark = t.logs.length;
});

function rowCounts(): Record<string, number> {
  return Object.fromEntries(TABLES.map((table) => [table, t.count(table)]));
}

/** Posts the form and checks the refusal: status, page words, log reason, and no writes. */
async function expectRefusal(form: Record<string, string>, expected: { status: number; id: string; words: RegExp; detail?: RegExp }) {
  const before = rowCounts();
  const response = await t.post('/enrol', form);
  const html = await response.text();
  expect(response.status).toBe(expected.status);
  expect(response.headers.get('content-type')).toMatch(/text\/html/);
  const text = pageText(html);
  expect(text).toMatch(expected.words);
  expect(text).not.toMatch(/at \w+ \(|Error:|stack/i);
  const refusal = t.logs.slice(logMark).find((line) => line.msg === 'request refused');
  expect(refusal?.error).toBe(expected.id);
  if (expected.detail) expect(String(refusal?.reason)).toMatch(expected.detail);
  expect(rowCounts()).toEqual(before);
  return text;
}

const now = () => t.clock.now();
const sign = (claims: Record<string, unknown> = enrolmentClaims(), options: Partial<Parameters<typeof signEnrolmentToken>[1]> = {}) =>
  signEnrolmentToken(claims, { now: now(), ...options });

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

describe('the token is missing or unreadable', () => {
  test('no jwt field', async () => {
    await expectRefusal({}, { status: 400, id: 'token.missing', words: /did not receive your enrolment details.*Join now/ });
  });

  test('an empty jwt field', async () => {
    await expectRefusal({ jwt: '   ' }, { status: 400, id: 'token.missing', words: /Join now/ });
  });

  test('not a JWT', async () => {
    await expectRefusal({ jwt: 'hello world' }, { status: 400, id: 'token.malformed', words: /enrolment link is damaged/ });
  });

  test('three parts that are not base64url JSON', async () => {
    await expectRefusal({ jwt: 'abc.def.ghi' }, { status: 400, id: 'token.malformed', words: /damaged/ });
  });

  test('a body over the size limit', async () => {
    const before = rowCounts();
    const response = await t.post('/enrol', { jwt: 'x'.repeat(70 * 1024) });
    expect(response.status).toBe(413);
    expect(pageText(await response.text())).toMatch(/too much data/);
    expect(t.logs.slice(logMark).find((l) => l.msg === 'request refused')?.error).toBe('request.too_large');
    expect(rowCounts()).toEqual(before);
  });

  test('a JSON body instead of a form', async () => {
    const before = rowCounts();
    const jwt = await sign();
    const response = await fetch(`${t.url}/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jwt }),
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(rowCounts()).toEqual(before);
  });
});

describe('the signature is not OpenLearning’s', () => {
  test('bad signature: the payload was changed after signing', async () => {
    const jwt = await sign();
    const [header, , signature] = jwt.split('.');
    const forged = `${header}.${b64url({ ...enrolmentClaims({ price: '1.00' }), aud: TEST_AUDIENCE, exp: Math.floor(now().getTime() / 1000) + 600 })}.${signature}`;
    await expectRefusal(
      { jwt: forged },
      { status: 400, id: 'token.bad_signature', words: /could not confirm that the enrolment details come from OpenLearning/, detail: /signature/ },
    );
  });

  test('wrong key: signed with a key that is not configured', async () => {
    const jwt = await sign(enrolmentClaims(), { key: makeRsaKey().privateKey });
    await expectRefusal({ jwt }, { status: 400, id: 'token.bad_signature', words: /could not be verified/ });
  });

  test('alg none', async () => {
    const jwt = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...enrolmentClaims(), aud: TEST_AUDIENCE, exp: Math.floor(now().getTime() / 1000) + 600 })}.`;
    await expectRefusal({ jwt }, { status: 400, id: 'token.algorithm', words: /not signed the way OpenLearning signs/, detail: /"none"/ });
  });

  test('HS256 "signed" with the public key as the secret', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ ...enrolmentClaims(), aud: TEST_AUDIENCE, exp: Math.floor(now().getTime() / 1000) + 600 });
    const signature = createHmac('sha256', testKey().publicPem).update(`${header}.${payload}`).digest('base64url');
    await expectRefusal({ jwt: `${header}.${payload}.${signature}` }, { status: 400, id: 'token.algorithm', words: /could not be verified/, detail: /HS256/ });
  });

  test('RS512 or PS256 with the right key are still refused (algorithm pinned to RS256)', async () => {
    const jwt = await sign(enrolmentClaims(), { header: { alg: 'PS256' } });
    await expectRefusal({ jwt }, { status: 400, id: 'token.algorithm', words: /could not be verified/, detail: /PS256/ });
  });

  test('EdDSA with a PEM-configured portal', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwt = await sign(enrolmentClaims(), { key: privateKey, header: { alg: 'EdDSA' } });
    await expectRefusal({ jwt }, { status: 400, id: 'token.algorithm', words: /could not be verified/, detail: /EdDSA/ });
  });
});

describe('the token is not valid now or not for us', () => {
  test('expired beyond the 60 s clock tolerance', async () => {
    const jwt = await sign(enrolmentClaims(), { now: new Date(now().getTime() - 10 * 60_000), expiresInSeconds: 9 * 60 - 61 });
    await expectRefusal({ jwt }, { status: 400, id: 'token.expired', words: /enrolment link has expired.*Join now/ });
  });

  test('expired less than 60 s ago is still accepted (clock tolerance)', async () => {
    const jwt = await sign(enrolmentClaims(), { now: new Date(now().getTime() - 10 * 60_000), expiresInSeconds: 10 * 60 - 30 });
    const response = await t.post('/enrol', { jwt });
    expect(response.status).toBe(303);
  });

  test('no exp claim', async () => {
    const jwt = await sign(enrolmentClaims(), { omit: ['exp'] });
    await expectRefusal({ jwt }, { status: 400, id: 'token.claims', words: /incomplete/, detail: /exp/ });
  });

  test('nbf in the future', async () => {
    const jwt = await sign(enrolmentClaims({ nbf: Math.floor(now().getTime() / 1000) + 600 }));
    await expectRefusal({ jwt }, { status: 400, id: 'token.not_yet_valid', words: /not valid yet/ });
  });

  test('iat in the future', async () => {
    const jwt = await sign(enrolmentClaims(), { now: new Date(now().getTime() + 10 * 60_000) });
    await expectRefusal({ jwt }, { status: 400, id: 'token.not_yet_valid', words: /not valid yet/, detail: /iat/ });
  });

  test('wrong audience', async () => {
    const jwt = await sign(enrolmentClaims(), { audience: 'another-institution' });
    await expectRefusal({ jwt }, { status: 400, id: 'token.wrong_audience', words: /for another institution/ });
  });

  test('no audience', async () => {
    const jwt = await sign(enrolmentClaims(), { audience: null });
    await expectRefusal({ jwt }, { status: 400, id: 'token.wrong_audience', words: /another institution/ });
  });
});

describe('claims missing or of the wrong type', () => {
  for (const claim of ['jti', 'sub', 'course', 'class', 'title', 'currency', 'price', 'redirect_url']) {
    test(`missing ${claim}`, async () => {
      const jwt = await sign(enrolmentClaims(), { omit: [claim] });
      await expectRefusal({ jwt }, { status: 400, id: 'token.claims', words: /enrolment link is incomplete/, detail: new RegExp(claim) });
    });
  }

  const mistyped: [string, unknown][] = [
    ['jti', 12345],
    ['sub', 1001],
    ['course', { id: 1 }],
    ['class', ['a']],
    ['title', ''],
    ['currency', 36],
    ['price', true],
    ['price', { amount: 1 }],
    ['redirect_url', 42],
  ];
  for (const [claim, value] of mistyped) {
    test(`${claim} as ${JSON.stringify(value)}`, async () => {
      const jwt = await sign(enrolmentClaims({ [claim]: value }));
      await expectRefusal({ jwt }, { status: 400, id: 'token.claims', words: /incomplete/, detail: new RegExp(claim) });
    });
  }
});

describe('currency and price', () => {
  for (const currency of ['XYZ', 'aud', 'EURO', 'XAU']) {
    test(`unknown currency ${currency}`, async () => {
      const jwt = await sign(enrolmentClaims({ currency }));
      await expectRefusal({ jwt }, { status: 400, id: 'token.currency', words: /currency of the class price is not one we recognise/ });
    });
  }

  const badPrices: [string, unknown][] = [
    ['AUD', '-5.00'],
    ['AUD', '1,100.00'],
    ['AUD', '12.345'],
    ['AUD', '1e3'],
    ['AUD', 'free'],
    ['AUD', ''],
    ['AUD', -1],
    ['AUD', 10.125],
    ['JPY', '100.5'],
    ['KWD', '1.2345'],
  ];
  for (const [currency, price] of badPrices) {
    test(`bad price ${JSON.stringify(price)} ${currency}`, async () => {
      const jwt = await sign(enrolmentClaims({ currency, price }));
      await expectRefusal({ jwt }, { status: 400, id: 'token.price', words: /not a valid amount for its currency/ });
    });
  }
});

describe('redirect_url must lead back to OpenLearning', () => {
  const foreign = [
    'http://www.openlearning.com/course/',
    'https://openlearning.com.evil.example/course/',
    'https://evil.example/?next=openlearning.com',
    'https://evilopenlearning.com/',
    'https://user:pass@www.openlearning.com/',
    'javascript:alert(1)',
    '/relative/path',
  ];
  for (const url of foreign) {
    test(`foreign redirect_url ${url}`, async () => {
      const jwt = await sign(enrolmentClaims({ redirect_url: url }));
      await expectRefusal({ jwt }, { status: 400, id: 'token.redirect_url', words: /does not point to OpenLearning/ });
    });
  }

  test('openlearning.com and its subdomains are accepted', async () => {
    for (const url of ['https://openlearning.com/x', 'https://www.openlearning.com/courses/x?cl=1', 'https://unsw.openlearning.com/y']) {
      const response = await t.post('/enrol', { jwt: await sign(enrolmentClaims({ redirect_url: url, sub: `user-${url.length}` })) });
      expect(response.status, url).toBe(303);
    }
  });
});

describe('single use', () => {
  test('the same token posted again (the Back button) leads back to the same billing page, writing nothing more', async () => {
    const jwt = await sign(enrolmentClaims({ sub: 'replay-learner', class: 'replay-class' }));
    const first = await t.post('/enrol', { jwt });
    expect(first.status).toBe(303);
    const before = rowCounts();
    const again = await t.post('/enrol', { jwt });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(rowCounts()).toEqual(before);
    // Once the learner has their invoice, the same click leads to it.
    const issued = await t.post(new URL(first.headers.get('location')!).pathname, { name: 'Replay Learner', email: 'replay@example.com' });
    expect(issued.status).toBe(303);
    const toInvoice = await t.post('/enrol', { jwt });
    expect(toInvoice.headers.get('location')).toMatch(/\/i\/[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
  });

  test('a spent token with no live invoice or billing page behind it is refused as used', async () => {
    const jwt = await sign(enrolmentClaims({ sub: 'replay-cancelled', class: 'replay-cancelled-class' }));
    const first = await t.post('/enrol', { jwt });
    await t.post(new URL(first.headers.get('location')!).pathname, { name: 'Replay Learner', email: 'replay2@example.com' });
    t.portal.deps.db.prepare("UPDATE invoices SET status = 'cancelled' WHERE ol_user_id = 'replay-cancelled'").run();
    await t.idle();
    logMark = t.logs.length;
    const text = await expectRefusal({ jwt }, { status: 409, id: 'token.replayed', words: /already been used.*Join now/ });
    expect(text).toMatch(/Back to the course/);
  });
});
