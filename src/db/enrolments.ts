import { claimDue, sql, type Db } from './connection.js';

export type EnrolmentJobStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

export interface EnrolmentJob {
  id: number;
  invoiceId: number;
  status: EnrolmentJobStatus;
  attempts: number;
  nextAttemptAt: string;
  giveUpAt: string;
  lastHttpStatus: number | null;
  lastMessage: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EnrolmentAttempt {
  id: number;
  jobId: number;
  invoiceId: number;
  startedAt: string;
  finishedAt: string | null;
  outcome: 'enrolled' | 'retry' | 'rejected' | 'unknown' | null;
  httpStatus: number | null;
  message: string | null;
}

const JOB_COLUMNS = `id, invoice_id AS invoiceId, status, attempts, next_attempt_at AS nextAttemptAt, give_up_at AS giveUpAt,
  last_http_status AS lastHttpStatus, last_message AS lastMessage, created_at AS createdAt, updated_at AS updatedAt`;
const ATTEMPT_COLUMNS = `id, job_id AS jobId, invoice_id AS invoiceId, started_at AS startedAt, finished_at AS finishedAt, outcome,
  http_status AS httpStatus, message`;

/** Queues (or re-arms) the one enrolment job of an invoice. */
export function queueEnrolmentJob(db: Db, invoiceId: number, at: string, giveUpAt: string): void {
  sql(
    db,
    `INSERT INTO enrolment_jobs (invoice_id, status, next_attempt_at, give_up_at, created_at, updated_at)
    VALUES (?, 'pending', ?, ?, ?, ?)
    ON CONFLICT (invoice_id) DO UPDATE SET status = 'pending', next_attempt_at = excluded.next_attempt_at,
      give_up_at = excluded.give_up_at, locked_until = NULL, locked_by = NULL, updated_at = excluded.updated_at
    WHERE enrolment_jobs.status <> 'succeeded'`,
  ).run(invoiceId, at, giveUpAt, at, at);
}

export function findEnrolmentJob(db: Db, invoiceId: number): EnrolmentJob | undefined {
  return sql<[number], EnrolmentJob>(db, `SELECT ${JOB_COLUMNS} FROM enrolment_jobs WHERE invoice_id = ?`).get(invoiceId);
}

export function claimDueEnrolmentJobs(db: Db, claim: { now: string; leaseUntil: string; owner: string; limit: number }): EnrolmentJob[] {
  return claimDue<EnrolmentJob>(db, 'enrolment_jobs', JOB_COLUMNS, claim);
}

export function updateEnrolmentJob(
  db: Db,
  id: number,
  owner: string | null,
  change: { status: EnrolmentJobStatus; nextAttemptAt?: string; attemptsIncrement: number; httpStatus: number | null; message: string | null; at: string },
): void {
  sql(
    db,
    `UPDATE enrolment_jobs SET status = @status, next_attempt_at = COALESCE(@nextAttemptAt, next_attempt_at), attempts = attempts + @attemptsIncrement,
      last_http_status = @httpStatus, last_message = @message, locked_until = NULL, locked_by = NULL, updated_at = @at
    WHERE id = @id AND (@owner IS NULL OR locked_by = @owner)`,
  ).run({ id, owner, nextAttemptAt: change.nextAttemptAt ?? null, ...change });
}

export function startEnrolmentAttempt(db: Db, jobId: number, invoiceId: number, at: string): number {
  return Number(sql(db, 'INSERT INTO enrolment_attempts (job_id, invoice_id, started_at) VALUES (?, ?, ?)').run(jobId, invoiceId, at).lastInsertRowid);
}

export function finishEnrolmentAttempt(
  db: Db,
  id: number,
  result: { at: string; outcome: NonNullable<EnrolmentAttempt['outcome']>; httpStatus: number | null; message: string | null },
): void {
  sql(db, 'UPDATE enrolment_attempts SET finished_at = @at, outcome = @outcome, http_status = @httpStatus, message = @message WHERE id = @id').run({
    id,
    ...result,
  });
}

/** An attempt started but never finished: the process stopped while OpenLearning was being called. */
export function unfinishedAttempt(db: Db, jobId: number): EnrolmentAttempt | undefined {
  return sql<[number], EnrolmentAttempt>(db, `SELECT ${ATTEMPT_COLUMNS} FROM enrolment_attempts WHERE job_id = ? AND finished_at IS NULL`).get(jobId);
}

export function attemptsForInvoice(db: Db, invoiceId: number): EnrolmentAttempt[] {
  return sql<[number], EnrolmentAttempt>(db, `SELECT ${ATTEMPT_COLUMNS} FROM enrolment_attempts WHERE invoice_id = ? ORDER BY id`).all(invoiceId);
}

export function hasSuccessfulAttempt(db: Db, invoiceId: number): boolean {
  return sql(db, "SELECT 1 FROM enrolment_attempts WHERE invoice_id = ? AND outcome = 'enrolled'").get(invoiceId) !== undefined;
}

/** Stops the job for good (staff enrolled the learner by hand): it must never call OpenLearning now. */
export function cancelEnrolmentJob(db: Db, invoiceId: number, message: string, at: string): void {
  sql(
    db,
    `UPDATE enrolment_jobs SET status = 'cancelled', locked_until = NULL, locked_by = NULL, last_message = ?, updated_at = ?
    WHERE invoice_id = ? AND status <> 'succeeded'`,
  ).run(message, at, invoiceId);
}
