import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
}

export function makeRsaKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

let shared: TestKey | undefined;
/** One RSA key per test worker: generating 2048-bit keys is slow. */
export function testKey(): TestKey {
  shared ??= makeRsaKey();
  return shared;
}

export const TEST_AUDIENCE = 'test-institution';

export function enrolmentClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jti: randomUUID(),
    sub: 'ol-user-1001',
    title: 'Introduction to Marine Biology',
    course: 'course-marine-101',
    class: 'class-2027-s1',
    currency: 'AUD',
    price: '1100.00',
    redirect_url: 'https://www.openlearning.com/marine-biology/?cl=class-2027-s1',
    ...overrides,
  };
}

/** A program token, as the institution External Gateway sends it: a program, no course or class. */
export function programClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jti: randomUUID(),
    sub: 'ol-user-2002',
    title: 'Ocean Science Program',
    program: 'program-ocean-science',
    currency: 'AUD',
    price: '2400.00',
    redirect_url: 'https://www.openlearning.com/programs/ocean-science/',
    ...overrides,
  };
}

/** A class token from the External Gateway: the course-level claims plus an access code. */
export function gatewayClassClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return enrolmentClaims({ access_code: 'ACCESS-7731', ...overrides });
}

export interface SignOptions {
  key?: KeyObject;
  /** Seconds since epoch; defaults to `now`. */
  now: Date;
  expiresInSeconds?: number;
  audience?: string | null;
  header?: Record<string, unknown>;
  omit?: string[];
}

/** Signs a token the way OpenLearning does (RS256). */
export async function signEnrolmentToken(claims: Record<string, unknown>, options: SignOptions): Promise<string> {
  const payload = { ...claims };
  for (const name of options.omit ?? []) delete payload[name];
  const iat = Math.floor(options.now.getTime() / 1000);
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...options.header }).setIssuedAt(iat);
  if (!(options.omit ?? []).includes('exp')) jwt.setExpirationTime(iat + (options.expiresInSeconds ?? 600));
  if (options.audience !== null) jwt.setAudience(options.audience ?? TEST_AUDIENCE);
  return jwt.sign(options.key ?? testKey().privateKey);
}
