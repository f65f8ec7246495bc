/** Enrolment tokens as OpenLearning signs them (RS256), many at once, for the HTTP benchmarks. */
import { randomUUID, sign, type KeyObject } from 'node:crypto';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `count` distinct tokens (own jti, learner and class each), valid for an hour from now. */
export function signEnrolmentTokens(key: KeyObject, audience: string, count: number, firstSerial = 0): string[] {
  const header = base64url({ alg: 'RS256', typ: 'JWT' });
  const iat = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = firstSerial + i + 1;
    const payload = base64url({
      jti: randomUUID(),
      sub: `bench-user-${n}`,
      course: 'bench-course',
      class: `bench-class-${n}`,
      title: 'Introduction to Marine Biology',
      currency: 'AUD',
      price: '1100.00',
      redirect_url: 'https://www.openlearning.com/marine-biology/',
      aud: audience,
      iat,
      exp: iat + 3600,
    });
    const input = `${header}.${payload}`;
    tokens.push(`${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`);
  }
  return tokens;
}
