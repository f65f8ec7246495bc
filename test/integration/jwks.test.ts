/**
 * OpenLearning's institution-level gateway publishes its keys as a JWKS. The portal caches the
 * set, refetches when a token names an unknown kid (key rotation), and rate-limits refetches.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestPortal, type TestPortal } from '../helpers/portal.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

interface Published {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: 'RS256' | 'EdDSA';
}

let t: TestPortal;
let jwksServer: http.Server;
let published: Published[] = [];
let fetches = 0;
const COOLDOWN_MS = 1500;
const pastCooldown = () => new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));

function rsa(kid: string): Published {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey, alg: 'RS256' };
}

beforeAll(async () => {
  published = [rsa('rsa-2026')];
  jwksServer = http.createServer(
    (_req, res) =>
      void (async () => {
        fetches++;
        const keys = await Promise.all(published.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' })));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys }));
      })(),
  );
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', () => resolve()));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  t = await startTestPortal({
    env: { OPENLEARNING_PUBLIC_KEY: undefined, OPENLEARNING_JWKS_URL: jwksUrl },
    configure: (c) => (c.openlearning.jwksCooldownMs = COOLDOWN_MS),
  });
});

afterAll(async () => {
  await t?.close();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

const sign = (key: Published, claims = enrolmentClaims()) =>
  signEnrolmentToken(claims, { now: t.clock.now(), key: key.privateKey, header: { alg: key.alg, kid: key.kid } });

test('an RS256 token whose kid is in the JWKS is accepted', async () => {
  const response = await t.post('/enrol', { jwt: await sign(published[0]!) });
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toMatch(/\/billing\//);
});

test('an EdDSA token from an OKP key in the JWKS is accepted; the key set is refetched for its new kid', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const ed: Published = { kid: 'ed-2026', privateKey, publicKey, alg: 'EdDSA' };
  published.push(ed);
  await pastCooldown();
  const before = fetches;
  const response = await t.post('/enrol', { jwt: await sign(ed, enrolmentClaims({ sub: 'ed-learner' })) });
  expect(response.status).toBe(303);
  expect(fetches).toBe(before + 1);
});

test('a token whose kid is not published is refused as signed with an unknown key, and refetches are rate-limited', async () => {
  const stranger = rsa('not-published');
  await pastCooldown();
  const before = fetches;
  for (let i = 0; i < 5; i++) {
    const response = await t.post('/enrol', { jwt: await sign(stranger, enrolmentClaims({ sub: `u${i}` })) });
    expect(response.status).toBe(400);
  }
  const reasons = t.logs.filter((l) => l.msg === 'request refused').map((l) => l.error);
  expect(reasons.slice(-5)).toEqual(Array(5).fill('token.unknown_key'));
  // Five unknown kids within the cooldown cost at most one fetch of the key set.
  expect(fetches - before).toBeLessThanOrEqual(1);
  expect(t.count('used_tokens')).toBe(2);
});

test('a published kid with a forged signature is refused as a bad signature', async () => {
  const forger = rsa(published[0]!.kid);
  const response = await t.post('/enrol', { jwt: await sign(forger, enrolmentClaims({ sub: 'forged' })) });
  expect(response.status).toBe(400);
  expect(t.logs.filter((l) => l.msg === 'request refused').at(-1)?.error).toBe('token.bad_signature');
});
