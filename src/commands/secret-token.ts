/**
 * The learner's only credential for their billing and invoice pages: 32 random bytes (base64url),
 * after the time it was made in milliseconds (9 base-36 digits). The prefix carries no secret; it
 * makes new tokens sort after older ones, so the unique index they go into grows at its end instead
 * of having a random page rewritten at every commit (see docs/benchmarks.md, Landing). Links made
 * before the prefix (43 characters) keep working.
 */
export function newSecretToken(randomBytes: (size: number) => Buffer, now: Date): string {
  return now.getTime().toString(36).padStart(9, '0') + randomBytes(32).toString('base64url');
}

/** Shape check before touching the database, so junk in a URL never reaches a query. */
export function looksLikeSecretToken(value: string): boolean {
  return /^(?:[0-9a-z]{9})?[A-Za-z0-9_-]{43}$/.test(value);
}
