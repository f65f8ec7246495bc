/** 32 random bytes, base64url: the learner's only credential for their billing and invoice pages. */
export function newSecretToken(randomBytes: (size: number) => Buffer): string {
  return randomBytes(32).toString('base64url');
}

/** Shape check before touching the database, so junk in a URL never reaches a query. */
export function looksLikeSecretToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
