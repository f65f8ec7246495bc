import { sql, type Db } from './connection.js';

export type Role = 'admin' | 'finance';
export const ROLES: readonly Role[] = ['admin', 'finance'];

export interface Staff {
  id: number;
  email: string;
  name: string | null;
  role: Role;
  passwordHash: string;
  createdAt: string;
  passwordChangedAt: string;
  disabledAt: string | null;
  lastSignInAt: string | null;
}

const COLUMNS = `id, email, name, role, password_hash AS passwordHash, created_at AS createdAt, password_changed_at AS passwordChangedAt,
  disabled_at AS disabledAt, last_sign_in_at AS lastSignInAt`;

export function countStaff(db: Db): number {
  return (sql(db, 'SELECT COUNT(*) AS n FROM staff').get() as { n: number }).n;
}

export function findStaffByEmail(db: Db, email: string): Staff | undefined {
  return sql<[string], Staff>(db, `SELECT ${COLUMNS} FROM staff WHERE email = ?`).get(email.trim());
}

export function findStaffById(db: Db, id: number): Staff | undefined {
  return sql<[number], Staff>(db, `SELECT ${COLUMNS} FROM staff WHERE id = ?`).get(id);
}

export function listStaff(db: Db): Staff[] {
  return sql<[], Staff>(db, `SELECT ${COLUMNS} FROM staff ORDER BY disabled_at IS NOT NULL, email`).all();
}

export function insertStaff(db: Db, row: { email: string; name: string | null; role: Role; passwordHash: string; at: string }): number {
  return Number(
    sql(db, `INSERT INTO staff (email, name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
      row.email.trim(),
      row.name,
      row.role,
      row.passwordHash,
      row.at,
      row.at,
    ).lastInsertRowid,
  );
}

export function updateStaffPassword(db: Db, id: number, passwordHash: string, at: string): void {
  sql(db, 'UPDATE staff SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(passwordHash, at, id);
}

export function setStaffDisabled(db: Db, id: number, disabledAt: string | null): void {
  sql(db, 'UPDATE staff SET disabled_at = ? WHERE id = ?').run(disabledAt, id);
}

export function recordSignIn(db: Db, id: number, at: string): void {
  sql(db, 'UPDATE staff SET last_sign_in_at = ? WHERE id = ?').run(at, id);
}

export function countActiveAdmins(db: Db): number {
  return (sql(db, "SELECT COUNT(*) AS n FROM staff WHERE role = 'admin' AND disabled_at IS NULL").get() as { n: number }).n;
}

// ---- Sessions ----------------------------------------------------------------------------

export interface SessionRow {
  idHash: string;
  staffId: number;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export function insertSession(db: Db, row: Omit<SessionRow, 'revokedAt'> & { ip: string | null; userAgent: string | null }): void {
  sql(
    db,
    `INSERT INTO sessions (id_hash, staff_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
    VALUES (@idHash, @staffId, @csrfToken, @createdAt, @lastSeenAt, @expiresAt, @ip, @userAgent)`,
  ).run(row);
}

export function findSession(db: Db, idHash: string): SessionRow | undefined {
  return sql<[string], SessionRow>(
    db,
    `SELECT id_hash AS idHash, staff_id AS staffId, csrf_token AS csrfToken, created_at AS createdAt,
    last_seen_at AS lastSeenAt, expires_at AS expiresAt, revoked_at AS revokedAt FROM sessions WHERE id_hash = ?`,
  ).get(idHash);
}

export function touchSession(db: Db, idHash: string, at: string): void {
  sql(db, 'UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(at, idHash);
}

export function revokeSession(db: Db, idHash: string, at: string): void {
  sql(db, 'UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL').run(at, idHash);
}

export function revokeStaffSessions(db: Db, staffId: number, at: string, exceptIdHash?: string): number {
  return sql(db, 'UPDATE sessions SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL AND id_hash <> ?').run(at, staffId, exceptIdHash ?? '').changes;
}

export function purgeSessions(db: Db, before: string, limit: number): number {
  return sql(db, `DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE expires_at < ? OR revoked_at < ? LIMIT ?)`).run(
    before,
    before,
    limit,
  ).changes;
}

// ---- Sign-in throttling ------------------------------------------------------------------

/** Inserts one failure per key; returns the new rows' ids (so a reservation can be taken back). */
export function recordSignInFailure(db: Db, keys: string[], at: string): number[] {
  const insert = sql(db, 'INSERT INTO sign_in_failures (key, at) VALUES (?, ?)');
  return keys.map((key) => Number(insert.run(key, at).lastInsertRowid));
}

export function deleteSignInFailures(db: Db, ids: number[]): void {
  const remove = sql(db, 'DELETE FROM sign_in_failures WHERE id = ?');
  for (const id of ids) remove.run(id);
}

export function signInFailuresSince(db: Db, key: string, since: string): string[] {
  return (sql(db, 'SELECT at FROM sign_in_failures WHERE key = ? AND at >= ? ORDER BY at').all(key, since) as { at: string }[]).map((r) => r.at);
}

export function clearSignInFailures(db: Db, key: string): void {
  sql(db, 'DELETE FROM sign_in_failures WHERE key = ?').run(key);
}

export function purgeSignInFailures(db: Db, before: string, limit: number): number {
  return sql(db, 'DELETE FROM sign_in_failures WHERE id IN (SELECT id FROM sign_in_failures WHERE at < ? LIMIT ?)').run(before, limit).changes;
}
