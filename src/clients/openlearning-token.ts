/**
 * Verifies the token OpenLearning's "Join now" button posts to /enrol. Nothing here writes
 * anything: a refusal is an AppError whose id names the reason and whose detail goes to the log.
 *
 * Two OpenLearning set-ups send these tokens: the course-level payment gateway (classes: `course`
 * and `class`) and the institution-level External Gateway (classes as above, possibly with an
 * `access_code`, or programs: `program` and no course or class). Which claims arrive is not fully
 * documented, so unknown claims are tolerated and their names reported for the log.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
// jose's entry point loads all of JOSE (encryption, signing, key generation: some fifty modules);
// the subpaths load only what verifying a token needs, on every start and in each verify worker.
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import * as errors from 'jose/errors';
import { createRemoteJWKSet } from 'jose/jwks/remote';
import { jwtVerify } from 'jose/jwt/verify';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { checkInvoiceTotal } from '../domain/amount-limits.js';
import { isCurrencyCode } from '../domain/currencies.js';
import { parseDecimalAmount } from '../domain/money.js';
import type { TaxRate } from '../domain/tax.js';
import { hasControlCharacters } from '../domain/text.js';
import { parseCalendarDate } from '../domain/calendar-date.js';
import { AppError } from '../errors.js';

export const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_TOKEN_LENGTH = 8 * 1024;

/** What the learner buys: a class of a course, or an institution's program. */
export type Offering = { kind: 'class'; courseId: string; classId: string } | { kind: 'program'; programId: string };

export interface EnrolmentClaims {
  /** A class start date if the token carried one (an undocumented claim; see classStartDateOf). */
  classStartDate: string | null;
  jti: string;
  olUserId: string;
  audience: string;
  expiresAt: Date;
  offering: Offering;
  title: string;
  currency: string;
  priceMinor: number;
  redirectUrl: string;
  /** Names of every claim the token carried, for the log (the gateway's claims are not all documented). */
  claimNames: string[];
}

export interface TokenVerifierOptions {
  publicKeysPem: readonly string[];
  jwksUrl?: string | undefined;
  audience: string;
  /** Hosts besides openlearning.com allowed in redirect_url ('*.example.edu' allows subdomains). */
  redirectHosts: readonly string[];
  /** Hosts for which a plain-http redirect_url is accepted (only the sandbox's own host). */
  plainHttpHosts?: readonly string[];
  /** Minimum time between two fetches of the key set (jose's cooldown); 30 s unless a test says otherwise. */
  jwksCooldownMs?: number;
  /** Longest validity (exp minus iat, or minus now without iat) a token may have. */
  maxLifetimeSeconds: number;
  /** The tax the invoice will add or include, so a price whose total cannot be invoiced is refused here. */
  tax: { rate: TaxRate; inclusive: boolean };
  clock: Clock;
}

/** Claim names that, posted as plain form fields without a jwt, mean "Signed Data Transfer" is off. */
const UNSIGNED_FIELD_NAMES = ['sub', 'aud', 'title', 'program', 'course', 'class', 'currency', 'price', 'jti', 'redirect_url', 'access_code', 'exp'];

// Token text is treated like form text: one line, no control characters or bidi overrides, which
// would otherwise reach the PDF, email subjects and log lines.
const nonEmpty = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !hasControlCharacters(v), { error: 'contains control characters or bidi overrides' });
const claimsSchema = z.object({
  jti: nonEmpty(256),
  sub: nonEmpty(256),
  course: nonEmpty(256).optional(),
  class: nonEmpty(256).optional(),
  // The type of a program id is not documented: a string, or a whole number taken as its digits.
  program: z.union([nonEmpty(256), z.number().int().nonnegative().transform(String)]).optional(),
  title: nonEmpty(500),
  currency: z.string().min(1).max(8),
  price: z.union([z.string().max(40), z.number()]),
  redirect_url: z.string().min(1).max(2048),
  // Not documented by OpenLearning: a class start date, if a gateway sends one (the date of supply).
  class_start_date: z.string().max(40).optional(),
  start_date: z.string().max(40).optional(),
  class_start: z.string().max(40).optional(),
});

/** The class start date from whichever of the tolerated claims carries a real date (YYYY-MM-DD, or the date part of a timestamp). */
function classStartDateOf(c: { class_start_date?: string | undefined; start_date?: string | undefined; class_start?: string | undefined }): string | null {
  for (const value of [c.class_start_date, c.start_date, c.class_start]) {
    const date = value === undefined ? undefined : parseCalendarDate(value.trim().slice(0, 10));
    if (date) return date;
  }
  return null;
}

export class TokenVerifier {
  private readonly pemKeys: KeyObject[];
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(private readonly options: TokenVerifierOptions) {
    this.pemKeys = options.publicKeysPem.map((pem) => createPublicKey(pem));
    // jose caches the key set, refetches when a token names an unknown kid, and waits
    // cooldownDuration between fetches, so a flood of bad kids cannot hammer OpenLearning.
    this.jwks = options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: options.jwksCooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 })
      : undefined;
  }

  /**
   * The form OpenLearning posted to /enrol. Without "Signed Data Transfer" the External Gateway
   * posts the claims as plain fields: those are refused on their own, since anyone can type them.
   */
  async verifyPost(form: Record<string, unknown>): Promise<EnrolmentClaims> {
    refuseUnsignedPost(form);
    return this.verify(form.jwt);
  }

  async verify(jwt: unknown): Promise<EnrolmentClaims> {
    if (typeof jwt !== 'string' || jwt.trim() === '') throw new AppError('token.missing', 'no jwt form field');
    const token = jwt.trim();
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token)) {
      throw new AppError('token.malformed', `not a compact JWS (length ${token.length})`);
    }
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AppError('token.malformed', 'the header is not base64url JSON');
    }
    // RS256 is what OpenLearning signs with. EdDSA only from the JWKS, where jose also checks
    // that the key is an OKP key. 'none', HS256 (e.g. "signed" with our public key) and the rest: no.
    const pemAlgorithms = ['RS256'];
    const jwksAlgorithms = ['RS256', 'EdDSA'];
    const allowed = this.jwks ? jwksAlgorithms : pemAlgorithms;
    if (typeof alg !== 'string' || !allowed.includes(alg)) throw new AppError('token.algorithm', `alg ${JSON.stringify(alg)} is not accepted`);

    const payload = await this.verifySignatureAndTimes(token, alg, pemAlgorithms, jwksAlgorithms);
    this.checkAudienceShape(payload);
    this.checkLifetime(payload);
    return this.checkClaims(payload);
  }

  /** jose accepts the configured audience as a string or inside an array; anything else in the array is wrong too. */
  private checkAudienceShape(payload: JWTPayload): void {
    const aud: unknown = payload.aud;
    if (typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) return;
    throw new AppError('token.wrong_audience', `aud ${JSON.stringify(aud)} is not a string or an array of strings`);
  }

  /** OpenLearning's tokens live about 10 minutes; one valid for years is a leaked or forged set-up. */
  private checkLifetime(payload: JWTPayload): void {
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : this.options.clock.now().getTime() / 1000;
    const lifetime = (payload.exp as number) - issuedAt;
    if (lifetime > this.options.maxLifetimeSeconds + CLOCK_TOLERANCE_SECONDS) {
      throw new AppError(
        'token.lifetime',
        `the token is valid for ${Math.round(lifetime)} s${typeof payload.iat === 'number' ? ' (exp minus iat)' : ' from now (no iat)'}, more than the ${this.options.maxLifetimeSeconds} s allowed by OPENLEARNING_TOKEN_MAX_AGE`,
      );
    }
  }

  private async verifySignatureAndTimes(token: string, alg: string, pemAlgorithms: string[], jwksAlgorithms: string[]): Promise<JWTPayload> {
    const now = this.options.clock.now();
    const common = {
      audience: this.options.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
      requiredClaims: ['exp'],
    };
    // Built only when needed: an AppError captures a stack trace, which every accepted token paid for.
    let lastSignatureError: AppError | undefined;
    if (pemAlgorithms.includes(alg)) {
      for (const key of this.pemKeys) {
        try {
          return checkIssuedAt((await jwtVerify(token, key, { ...common, algorithms: pemAlgorithms })).payload, now);
        } catch (error) {
          const refusal = classify(error);
          // A signature that does not match this key may match the next one; any other problem is final.
          if (refusal.id !== 'token.bad_signature') throw refusal;
          lastSignatureError = refusal;
        }
      }
    }
    if (this.jwks) {
      try {
        return checkIssuedAt((await jwtVerify(token, this.jwks, { ...common, algorithms: jwksAlgorithms })).payload, now);
      } catch (error) {
        const refusal = classify(error);
        if (refusal.id === 'token.unknown_key' && this.pemKeys.length > 0) throw lastSignatureError ?? new AppError('token.bad_signature', 'no key configured');
        throw refusal;
      }
    }
    throw lastSignatureError ?? new AppError('token.bad_signature', 'no key configured');
  }

  private checkClaims(payload: JWTPayload): EnrolmentClaims {
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new AppError('token.claims', issues);
    }
    const c = parsed.data;
    const offering = offeringOf(c);
    if (!isCurrencyCode(c.currency)) throw new AppError('token.currency', `currency ${JSON.stringify(c.currency)} is not an ISO 4217 code`);
    const price = parseDecimalAmount(c.price, c.currency);
    if (!price.ok) throw new AppError('token.price', `price ${JSON.stringify(c.price)} ${c.currency}: ${price.error}`);
    // A bank-transfer invoice for nothing helps no one: a free class is set up without this gateway.
    if (price.minor === 0) throw new AppError('token.zero_price', `price ${JSON.stringify(c.price)} ${c.currency} is zero`);
    const total = checkInvoiceTotal(price.minor, c.currency, this.options.tax);
    if (!total.ok) throw new AppError('token.price', `price ${JSON.stringify(c.price)} ${c.currency}: ${total.reason}`);
    const redirectProblem = this.redirectUrlProblem(c.redirect_url);
    if (redirectProblem) throw new AppError('token.redirect_url', `redirect_url ${JSON.stringify(c.redirect_url)}: ${redirectProblem}`);
    return {
      jti: c.jti,
      olUserId: c.sub,
      audience: this.options.audience,
      expiresAt: new Date((payload.exp as number) * 1000),
      offering,
      title: c.title,
      currency: c.currency,
      priceMinor: price.minor,
      redirectUrl: new URL(c.redirect_url).href,
      classStartDate: classStartDateOf(c),
      claimNames: Object.keys(payload).slice(0, 50),
    };
  }

  /** The link we later send the learner to must lead back to OpenLearning, not to a look-alike. */
  private redirectUrlProblem(value: string): string | undefined {
    if (!URL.canParse(value)) return 'not an absolute URL';
    const url = new URL(value);
    const host = url.hostname.toLowerCase();
    const plainHttpAllowed = url.protocol === 'http:' && (this.options.plainHttpHosts ?? []).includes(host);
    if (url.protocol !== 'https:' && !plainHttpAllowed) return 'not https';
    if (url.username || url.password) return 'carries credentials';
    if (isAllowedCourseHost(host, this.options.redirectHosts)) return undefined;
    return `host ${host} is not openlearning.com or an allowed course host`;
  }
}

/** A token sells either a program or a class of a course, never both. */
function offeringOf(c: { course?: string | undefined; class?: string | undefined; program?: string | undefined }): Offering {
  if (c.program !== undefined) {
    const alsoClass = (['course', 'class'] as const).filter((name) => c[name] !== undefined);
    if (alsoClass.length > 0)
      throw new AppError('token.claims', `program together with ${alsoClass.join(' and ')}: a token is for a program or a class, not both`);
    return { kind: 'program', programId: c.program };
  }
  if (c.course === undefined || c.class === undefined) {
    const missing = (['course', 'class'] as const).filter((name) => c[name] === undefined);
    throw new AppError('token.claims', `${missing.join(', ')}: required (or program, for a program)`);
  }
  return { kind: 'class', courseId: c.course, classId: c.class };
}

export function isAllowedCourseHost(host: string, extraHosts: readonly string[]): boolean {
  const matches = (pattern: string) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern);
  return host === 'openlearning.com' || host.endsWith('.openlearning.com') || extraHosts.some(matches);
}

function checkIssuedAt(payload: JWTPayload, now: Date): JWTPayload {
  // jose only checks iat against a maximum age; a token "issued" in the future is also wrong.
  if (typeof payload.iat === 'number' && payload.iat > now.getTime() / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw new AppError('token.not_yet_valid', `iat ${payload.iat} is in the future`);
  }
  return payload;
}

function classify(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired) return new AppError('token.expired', error.message);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new AppError('token.wrong_audience', error.message);
    if (error.claim === 'nbf') return new AppError('token.not_yet_valid', error.message);
    return new AppError('token.claims', `${error.claim}: ${error.message}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AppError('token.bad_signature', error.message);
  if (error instanceof errors.JWKSNoMatchingKey) return new AppError('token.unknown_key', error.message);
  if (error instanceof errors.JOSEAlgNotAllowed) return new AppError('token.algorithm', error.message);
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return new AppError('token.malformed', error.message);
  if (error instanceof errors.JOSENotSupported) return new AppError('token.algorithm', error.message);
  // The key set could not be fetched or read: not the learner's fault, worth a retry.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError)
    return new AppError('token.keys_unavailable', `${error.name}: ${error.message}`);
  if (error instanceof TypeError) return new AppError('token.keys_unavailable', `key set could not be fetched: ${error.message}`);
  throw error;
}

/** Plain fields instead of a jwt: the institution turned "Signed Data Transfer" off. Refused, with what arrived in the log. */
export function refuseUnsignedPost(form: Record<string, unknown>): void {
  const jwt = form.jwt;
  if (typeof jwt === 'string' && jwt.trim() !== '') return;
  const plain = Object.keys(form).filter((name) => UNSIGNED_FIELD_NAMES.includes(name));
  if (plain.length > 0) {
    const received = Object.keys(form).slice(0, 30).join(', ');
    throw new AppError('token.unsigned', `unsigned fields instead of a jwt (Signed Data Transfer is off); fields received: ${received}`);
  }
}
