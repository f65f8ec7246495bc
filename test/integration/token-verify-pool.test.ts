/**
 * The verification pool as the running portal uses it: the built module (dist/, made by `npm test`'s
 * build step), whose workers load their compiled file. What a caller gets must be what
 * TokenVerifier.verify gives: the same claims, the same refusals, at the caller's clock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseTaxRate, type TaxRate } from '../../src/domain/tax.js';
import type { TokenVerification } from '../../src/clients/token-verify-pool.js';
import { TokenVerifier } from '../../src/clients/openlearning-token.js';
import { enrolmentClaims, makeRsaKey, signEnrolmentToken, testKey, TEST_AUDIENCE } from '../helpers/tokens.js';

const BUILT = path.resolve(import.meta.dirname, '../../dist/clients/token-verify-pool.js');

const clockAt = { t: Date.parse('2026-11-26T01:00:00Z') };
const clock = { now: () => new Date(clockAt.t) };
const options = {
  publicKeysPem: [testKey().publicPem],
  audience: TEST_AUDIENCE,
  redirectHosts: [],
  maxLifetimeSeconds: 86_400,
  tax: { rate: (parseTaxRate('10') as { ok: true; rate: TaxRate }).rate, inclusive: true },
  clock,
};
let pool: TokenVerification;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` (npm test does it for you)`);
  const built = (await import(BUILT)) as typeof import('../../src/clients/token-verify-pool.js');
  pool = new built.TokenVerifyPool(options, 2);
});
afterAll(async () => pool?.close());

const sign = (claims: Record<string, unknown>, extra: { key?: ReturnType<typeof makeRsaKey>['privateKey']; now?: Date } = {}) =>
  signEnrolmentToken(claims, { now: extra.now ?? clock.now(), ...(extra.key ? { key: extra.key } : {}) });

describe('verification on worker threads', () => {
  test('accepted tokens give the same claims as the verifier in-process, many at once', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => sign(enrolmentClaims({ sub: `pool-user-${i}`, price: '99.95' }))));
    const inProcess = new TokenVerifier(options);
    const fromPool = await Promise.all(tokens.map((jwt) => pool.verify(jwt)));
    expect(fromPool).toEqual(await Promise.all(tokens.map((jwt) => inProcess.verify(jwt))));
    expect(fromPool[3]).toMatchObject({ olUserId: 'pool-user-3', priceMinor: 9995, currency: 'AUD' });
    expect(fromPool[3]!.expiresAt).toBeInstanceOf(Date);
  });

  test('refusals keep their error id, status and page data, and do not touch the good tokens sent with them', async () => {
    const wrongKey = await sign(enrolmentClaims(), { key: makeRsaKey().privateKey });
    const foreign = await sign(enrolmentClaims({ redirect_url: 'https://evil.example/' }));
    const good = await sign(enrolmentClaims({ sub: 'between-refusals' }));
    // Asked in one event-loop turn, so they travel to a worker in one message.
    const outcomes = await Promise.allSettled([
      pool.verify(wrongKey),
      pool.verify(good),
      pool.verify(foreign),
      pool.verify(undefined),
      pool.verify('not.a.jwt!'),
    ]);
    expect(outcomes[1]).toMatchObject({ status: 'fulfilled', value: { olUserId: 'between-refusals' } });
    const refusals = outcomes.filter((_, i) => i !== 1).map((o) => (o.status === 'rejected' ? (o.reason as { id: string; status: number }) : undefined));
    expect(refusals.map((r) => r?.id)).toEqual(['token.bad_signature', 'token.redirect_url', 'token.missing', 'token.malformed']);
    expect(refusals.map((r) => r?.status)).toEqual([400, 400, 400, 400]);
  });

  test("expiry is judged by the caller's clock, not the worker's", async () => {
    const jwt = await sign(enrolmentClaims());
    await expect(pool.verify(jwt)).resolves.toMatchObject({ olUserId: 'ol-user-1001' });
    clockAt.t += 2 * 3600_000; // the token lives 10 minutes (+60 s tolerance)
    try {
      await expect(pool.verify(jwt)).rejects.toMatchObject({ id: 'token.expired' });
    } finally {
      clockAt.t -= 2 * 3600_000;
    }
  });
});
