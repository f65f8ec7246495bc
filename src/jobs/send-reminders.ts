/**
 * Payment reminders, REMINDER_DAYS before the due date (0 = on the due date), each at most once per
 * invoice (the outbox dedupe key makes a second run a no-op), never for paid, cancelled or
 * expired invoices. If the server was down on a reminder day, the most recent reminder that
 * still applies is sent; older ones are skipped rather than sent late in a burst.
 */
import { addCalendarDays, calendarDate, daysBetween, toDbTime } from '../clock.js';
import { queueInvoiceEmail } from '../commands/emails.js';
import { findInvoiceById, reminderCandidates, type ReminderCandidate } from '../db/invoices.js';
import type { Deps } from '../deps.js';
import { inBatches, type JobContext, type JobCounts } from './job.js';

/** Which reminder (days before due) is due today for an invoice, if any. */
export function reminderDue(reminderDays: readonly number[], issueDate: string, dueDate: string, today: string): number | undefined {
  const daysLeft = daysBetween(today, dueDate);
  if (daysLeft < 0) return undefined;
  const applicable = reminderDays.filter((n) => n >= daysLeft).sort((a, b) => a - b)[0];
  if (applicable === undefined) return undefined;
  // An invoice issued on or after its reminder day has just been emailed: no reminder yet.
  if (issueDate >= addCalendarDays(dueDate, -applicable)) return undefined;
  return applicable;
}

export async function sendReminders(deps: Deps, context: JobContext): Promise<JobCounts> {
  const { db, config } = deps;
  const nowDate = deps.clock.now();
  const now = toDbTime(nowDate);
  const today = calendarDate(nowDate, config.timeZone);
  const days = config.jobs.reminderDays;
  if (days.length === 0) return { queued: 0 };
  const lastDue = addCalendarDays(today, Math.max(...days));
  let queued = 0;
  const considered = await inBatches<ReminderCandidate>(
    deps,
    context,
    (after, limit) => reminderCandidates(db, today, lastDue, now, after, limit),
    (row) => {
      const daysBefore = reminderDue(days, row.issueDate, row.dueDate, today);
      if (daysBefore === undefined) return;
      const invoice = findInvoiceById(db, row.id)!;
      if (queueInvoiceEmail(deps, invoice, 'reminder', { at: now, dedupeKey: `reminder:${row.id}:${daysBefore}`, extra: { daysBefore } })) queued++;
    },
  );
  return { considered, queued };
}
