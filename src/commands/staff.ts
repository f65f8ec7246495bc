/**
 * Staff accounts, passwords, sign-in (throttled) and sessions. Passwords are hashed with argon2id
 * using OWASP's recommended parameters (19 MiB memory, 2 iterations, 1 lane).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Options } from '@node-rs/argon2';
import { addSeconds, toDbTime } from '../clock.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import {
  clearSignInFailures,
  countActiveAdmins,
  countStaff,
  deleteSignInFailures,
  findSession,
  findStaffByEmail,
  findStaffById,
  insertSession,
  insertStaff,
  recordSignIn,
  recordSignInFailure,
  revokeSession,
  revokeStaffSessions,
  setStaffDisabled,
  signInFailuresSince,
  touchSession,
  updateStaffPassword,
  type Role,
  type Staff,
} from '../db/staff.js';
import type { Deps } from '../deps.js';
import { staffActor, type Actor } from './actors.js';

// Algorithm is a const enum the compiler cannot inline across packages here: 2 is Argon2id.
const ARGON2: Options = { algorithm: 2 as Options['algorithm'], memoryCost: 19_456, timeCost: 2, parallelism: 1 };
export const PASSWORD_MIN_LENGTH = 12;
export const ACCOUNT_FAILURE_LIMIT = 5;
export const ADDRESS_FAILURE_LIMIT = 20;
export const THROTTLE_WINDOW_SECONDS = 15 * 60;

export class StaffError extends Error {}

// The native argon2 binding is loaded at the first hash or check, not with the server: most
// starts never hash a password, and every start used to pay for loading it.
const require = createRequire(import.meta.url);
let argon2Module: typeof import('@node-rs/argon2') | undefined;
function argon2(): typeof import('@node-rs/argon2') {
  argon2Module ??= require('@node-rs/argon2') as typeof import('@node-rs/argon2');
  return argon2Module;
}

export function passwordProblem(password: string, email: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`;
  if (password.length > 256) return 'The password must be at most 256 characters long.';
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return 'The password must not be the email address.';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return argon2().hash(password, ARGON2);
}

// Verifying against this when the account does not exist takes as long as a real check, so
// response times do not reveal which emails have accounts.
let dummyHash: string | undefined;
function timingDummy(): string {
  dummyHash ??= argon2().hashSync('not a real password, only for timing', ARGON2);
  return dummyHash;
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2().verify(passwordHash, password);
  } catch {
    return false;
  }
}

export async function createStaff(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  input: { email: string; name?: string | null; role: Role; password: string },
): Promise<Staff> {
  const email = input.email.trim();
  const problem = passwordProblem(input.password, email);
  if (problem) throw new StaffError(problem);
  const passwordHash = await hashPassword(input.password);
  const at = toDbTime(deps.clock.now());
  return writeTransaction(deps.db, () => {
    if (findStaffByEmail(deps.db, email)) throw new StaffError(`A staff account for ${email} already exists.`);
    const id = insertStaff(deps.db, { email, name: input.name ?? null, role: input.role, passwordHash, at });
    appendAudit(deps.db, {
      at,
      ...actor,
      action: 'staff.created',
      summary: `Staff account ${email} (${input.role}) created`,
      after: { email, role: input.role },
      data: { staffId: id },
    });
    return findStaffById(deps.db, id)!;
  });
}

/** Sets a new password and signs the account out everywhere (except, optionally, this session). */
export async function setStaffPassword(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  staff: Staff,
  password: string,
  keepSessionHash?: string,
): Promise<void> {
  const problem = passwordProblem(password, staff.email);
  if (problem) throw new StaffError(problem);
  const passwordHash = await hashPassword(password);
  const at = toDbTime(deps.clock.now());
  writeTransaction(deps.db, () => {
    updateStaffPassword(deps.db, staff.id, passwordHash, at);
    const revoked = revokeStaffSessions(deps.db, staff.id, at, keepSessionHash);
    appendAudit(deps.db, {
      at,
      ...actor,
      action: 'staff.password_changed',
      summary: `Password of ${staff.email} changed; ${revoked} other session(s) signed out`,
      data: { staffId: staff.id },
    });
  });
}

export function setStaffEnabled(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, staff: Staff, enabled: boolean): void {
  const at = toDbTime(deps.clock.now());
  writeTransaction(deps.db, () => {
    if (!enabled && staff.role === 'admin' && !staff.disabledAt && countActiveAdmins(deps.db) <= 1) {
      throw new StaffError('This is the last active administrator: add another administrator first.');
    }
    setStaffDisabled(deps.db, staff.id, enabled ? null : at);
    if (!enabled) revokeStaffSessions(deps.db, staff.id, at);
    appendAudit(deps.db, {
      at,
      ...actor,
      action: enabled ? 'staff.enabled' : 'staff.disabled',
      summary: `Staff account ${staff.email} ${enabled ? 'enabled' : 'disabled'}`,
      before: { disabledAt: staff.disabledAt },
      after: { disabledAt: enabled ? null : at },
      data: { staffId: staff.id },
    });
  });
}

/**
 * The first administrator comes from ADMIN_EMAIL / ADMIN_PASSWORD when no staff account exists.
 * In sandbox mode without them, one is made with a generated password, returned to be logged once.
 */
export function ensureFirstAdmin(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'randomBytes'>): { email: string; generatedPassword?: string } | undefined {
  if (countStaff(deps.db) > 0) return undefined;
  const { email, password } = deps.config.admin;
  const sandbox = deps.config.mode === 'sandbox';
  if (!email && !sandbox) return undefined;
  const adminEmail = email ?? 'admin@example.com';
  const generated = password ? undefined : deps.randomBytes(12).toString('base64url');
  const at = toDbTime(deps.clock.now());
  writeTransaction(deps.db, () => {
    if (countStaff(deps.db) > 0) return;
    const id = insertStaff(deps.db, {
      email: adminEmail,
      name: 'Administrator',
      role: 'admin',
      passwordHash: argon2().hashSync(password ?? generated!, ARGON2),
      at,
    });
    appendAudit(deps.db, {
      at,
      actor: 'system',
      actorLabel: 'first start',
      action: 'staff.created',
      summary: `First administrator ${adminEmail} created`,
      data: { staffId: id },
    });
  });
  return { email: adminEmail, generatedPassword: generated };
}

// ---- Sign-in ---------------------------------------------------------------------------------

export type SignInResult = { ok: true; staff: Staff; sessionId: string } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; retryAt: Date };

function lockedUntil(deps: Pick<Deps, 'db'>, key: string, limit: number, now: Date): Date | undefined {
  const since = toDbTime(addSeconds(now, -THROTTLE_WINDOW_SECONDS));
  const failures = signInFailuresSince(deps.db, key, since);
  if (failures.length < limit) return undefined;
  // Locked until the oldest failure that still counts leaves the window.
  return addSeconds(new Date(failures[failures.length - limit]!), THROTTLE_WINDOW_SECONDS);
}

function throttleKeys(email: string, ip: string): { account: string; address: string } {
  return { account: `email:${email.trim().toLowerCase().slice(0, 254)}`, address: `ip:${ip}` };
}

function latestLock(deps: Pick<Deps, 'db'>, keys: { account: string; address: string }, now: Date): Date | undefined {
  return [lockedUntil(deps, keys.account, ACCOUNT_FAILURE_LIMIT, now), lockedUntil(deps, keys.address, ADDRESS_FAILURE_LIMIT, now)]
    .filter((d): d is Date => d !== undefined)
    .sort((a, b) => b.getTime() - a.getTime())[0];
}

type Reservation = { ok: true; failureIds: number[] } | { ok: false; retryAt: Date };

/**
 * Counts an attempt as a failure before its password is verified, checking the limits in the same
 * write transaction: attempts that run at once each see the others' reservations, so no more than
 * the limit are ever verified. A right password takes its reservation back.
 */
function reserveAttempt(deps: Pick<Deps, 'db' | 'clock'>, keys: { account: string; address: string }): Reservation {
  return writeTransaction(deps.db, () => {
    const now = deps.clock.now();
    const retryAt = latestLock(deps, keys, now);
    if (retryAt) return { ok: false, retryAt };
    return { ok: true, failureIds: recordSignInFailure(deps.db, [keys.account, keys.address], toDbTime(now)) };
  });
}

export async function signIn(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'randomBytes' | 'logger'>,
  input: { email: string; password: string; ip: string; userAgent: string | null },
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const keys = throttleKeys(email, input.ip);
  const reservation = reserveAttempt(deps, keys);
  if (!reservation.ok) {
    deps.logger.warn({ email, ip: input.ip }, 'sign-in refused: throttled');
    return { ok: false, reason: 'locked', retryAt: reservation.retryAt };
  }
  const staff = findStaffByEmail(deps.db, email);
  const passwordOk = await verifyPassword(staff?.passwordHash ?? timingDummy(), input.password);
  const at = toDbTime(deps.clock.now());
  if (!staff || !passwordOk || staff.disabledAt) {
    deps.logger.warn({ email, ip: input.ip, known: Boolean(staff), disabled: Boolean(staff?.disabledAt) }, 'sign-in failed');
    const nowLocked = latestLock(deps, keys, deps.clock.now());
    return nowLocked ? { ok: false, reason: 'locked', retryAt: nowLocked } : { ok: false, reason: 'invalid' };
  }
  const sessionId = deps.randomBytes(32).toString('base64url');
  writeTransaction(deps.db, () => {
    deleteSignInFailures(deps.db, reservation.failureIds);
    clearSignInFailures(deps.db, keys.account);
    insertSession(deps.db, {
      idHash: sessionHash(sessionId),
      staffId: staff.id,
      csrfToken: deps.randomBytes(32).toString('base64url'),
      createdAt: at,
      lastSeenAt: at,
      expiresAt: toDbTime(addSeconds(deps.clock.now(), deps.config.session.maxHours * 3600)),
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
    });
    recordSignIn(deps.db, staff.id, at);
    appendAudit(deps.db, { at, ...staffActor(staff), action: 'staff.signed_in', summary: `${staff.email} signed in`, data: { ip: input.ip } });
  });
  return { ok: true, staff, sessionId };
}

export type PasswordCheck = { ok: true } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; retryAt: Date };

/**
 * Checks a signed-in staff member's current password (before a password change) under the same
 * throttle as sign-in, so a borrowed session cannot be used to guess the password.
 */
export async function checkCurrentPassword(deps: Pick<Deps, 'db' | 'clock' | 'logger'>, staff: Staff, password: string, ip: string): Promise<PasswordCheck> {
  const keys = throttleKeys(staff.email, ip);
  const reservation = reserveAttempt(deps, keys);
  if (!reservation.ok) return { ok: false, reason: 'locked', retryAt: reservation.retryAt };
  if (await verifyPassword(staff.passwordHash, password)) {
    writeTransaction(deps.db, () => {
      deleteSignInFailures(deps.db, reservation.failureIds);
      clearSignInFailures(deps.db, keys.account);
    });
    return { ok: true };
  }
  deps.logger.warn({ email: staff.email, ip }, 'current password wrong');
  const retryAt = latestLock(deps, keys, deps.clock.now());
  return retryAt ? { ok: false, reason: 'locked', retryAt } : { ok: false, reason: 'invalid' };
}

export function sessionHash(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

export interface ActiveSession {
  staff: Staff;
  idHash: string;
  csrfToken: string;
}

/** The signed-in staff member for a session cookie, or undefined (expired, idle, revoked, disabled). */
export function loadSession(deps: Pick<Deps, 'db' | 'clock' | 'config'>, sessionId: string | undefined): ActiveSession | undefined {
  if (!sessionId || !/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return undefined;
  const idHash = sessionHash(sessionId);
  const session = findSession(deps.db, idHash);
  if (!session || session.revokedAt) return undefined;
  const now = deps.clock.now();
  if (now.toISOString() >= session.expiresAt) return undefined;
  const idleLimit = addSeconds(new Date(session.lastSeenAt), deps.config.session.idleMinutes * 60);
  if (now >= idleLimit) return undefined;
  const staff = findStaffById(deps.db, session.staffId);
  if (!staff || staff.disabledAt) return undefined;
  // One write a minute at most, not one per request.
  if (now.getTime() - Date.parse(session.lastSeenAt) > 60_000) touchSession(deps.db, idHash, toDbTime(now));
  return { staff, idHash, csrfToken: session.csrfToken };
}

export function signOut(deps: Pick<Deps, 'db' | 'clock'>, session: ActiveSession): void {
  const at = toDbTime(deps.clock.now());
  writeTransaction(deps.db, () => {
    revokeSession(deps.db, session.idHash, at);
    appendAudit(deps.db, { at, ...staffActor(session.staff), action: 'staff.signed_out', summary: `${session.staff.email} signed out` });
  });
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
