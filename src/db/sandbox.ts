import { sql, type Db } from './connection.js';

export interface SandboxEnrolment {
  classId: string;
  userId: string;
  enrolledAt: string;
}

export function sandboxEnrolments(db: Db): SandboxEnrolment[] {
  return sql<[], SandboxEnrolment>(
    db,
    'SELECT class_id AS classId, user_id AS userId, enrolled_at AS enrolledAt FROM sandbox_enrolments ORDER BY enrolled_at',
  ).all();
}

export function recordSandboxEnrolment(db: Db, classId: string, userId: string, at: string): void {
  sql(db, 'INSERT INTO sandbox_enrolments (class_id, user_id, enrolled_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(classId, userId, at);
}
