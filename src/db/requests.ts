import { sql, type Db } from './connection.js';

export interface EnrolmentRequest {
  id: number;
  token: string;
  jti: string;
  olUserId: string;
  audience: string;
  /** For a class; both '' when the request is for a program (see migration 007). */
  courseId: string;
  classId: string;
  /** For a program; null for a class. */
  programId: string | null;
  classStartDate: string | null;
  title: string;
  currency: string;
  priceMinor: number;
  redirectUrl: string;
  createdAt: string;
  expiresAt: string;
  invoiceId: number | null;
  /** The language the learner switched the billing page to; null until they do. */
  language: string | null;
}

const COLUMNS = `id, token, jti, ol_user_id AS olUserId, audience, course_id AS courseId, class_id AS classId, program_id AS programId, title,
  currency, price_minor AS priceMinor, redirect_url AS redirectUrl, class_start_date AS classStartDate, created_at AS createdAt, expires_at AS expiresAt,
  invoice_id AS invoiceId, language`;

/** Records a token id as used. Returns false when it was already used (a replay). */
export function markTokenUsed(db: Db, row: { jti: string; audience: string; usedAt: string; tokenExpiresAt: string }): boolean {
  const result = sql(
    db,
    `INSERT INTO used_tokens (jti, audience, used_at, token_expires_at) VALUES (@jti, @audience, @usedAt, @tokenExpiresAt)
    ON CONFLICT (jti) DO NOTHING`,
  ).run(row);
  return result.changes === 1;
}

export function insertEnrolmentRequest(db: Db, row: Omit<EnrolmentRequest, 'id' | 'invoiceId' | 'language'>): number {
  return Number(
    sql(
      db,
      `INSERT INTO enrolment_requests (token, jti, ol_user_id, audience, course_id, class_id, program_id, title, currency, price_minor, redirect_url, class_start_date, created_at, expires_at)
      VALUES (@token, @jti, @olUserId, @audience, @courseId, @classId, @programId, @title, @currency, @priceMinor, @redirectUrl, @classStartDate, @createdAt, @expiresAt)`,
    ).run(row).lastInsertRowid,
  );
}

export function findRequestByToken(db: Db, token: string): EnrolmentRequest | undefined {
  return sql<[string], EnrolmentRequest>(db, `SELECT ${COLUMNS} FROM enrolment_requests WHERE token = ?`).get(token);
}

/** Remembers which billing request a spent token created (see findRequestByJti). */
export function linkTokenToRequest(db: Db, jti: string, requestId: number): void {
  sql<[number, string]>(db, 'UPDATE used_tokens SET request_id = ? WHERE jti = ?').run(requestId, jti);
}

/** The billing request a token created (its jti is spent once, so there is at most one). */
export function findRequestByJti(db: Db, jti: string): EnrolmentRequest | undefined {
  return sql<[string], EnrolmentRequest>(db, `SELECT ${COLUMNS} FROM enrolment_requests WHERE id = (SELECT request_id FROM used_tokens WHERE jti = ?)`).get(
    jti,
  );
}

export function setRequestLanguage(db: Db, requestId: number, language: string): void {
  sql<[string, number]>(db, 'UPDATE enrolment_requests SET language = ? WHERE id = ?').run(language, requestId);
}

export function linkRequestToInvoice(db: Db, requestId: number, invoiceId: number): void {
  sql(db, 'UPDATE enrolment_requests SET invoice_id = ? WHERE id = ? AND invoice_id IS NULL').run(invoiceId, requestId);
}

/** Token ids whose token has expired can be forgotten: the token would be refused as expired anyway. */
export function purgeUsedTokens(db: Db, expiredBefore: string, limit: number): number {
  return sql(db, `DELETE FROM used_tokens WHERE jti IN (SELECT jti FROM used_tokens WHERE token_expires_at < ? LIMIT ?)`).run(expiredBefore, limit).changes;
}

/** Billing requests that never became an invoice and whose link has expired. */
export function purgeAbandonedRequests(db: Db, expiredBefore: string, limit: number): number {
  return sql(
    db,
    `DELETE FROM enrolment_requests WHERE id IN (
      SELECT id FROM enrolment_requests WHERE invoice_id IS NULL AND expires_at < ? LIMIT ?)`,
  ).run(expiredBefore, limit).changes;
}
