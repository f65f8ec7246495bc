import type { JobName } from '../config.js';
import type { JobFunction } from './job.js';
import { enrolLearners } from './enrol-learners.js';
import { backup } from './backup.js';
import { deliverMail } from './deliver-mail.js';
import { expireInvoices } from './expire-invoices.js';
import { purge } from './purge.js';
import { sendReminders } from './send-reminders.js';

export interface JobDefinition {
  run: JobFunction;
  description: string;
}

export const JOBS: Record<JobName, JobDefinition> = {
  'expire-invoices': {
    run: expireInvoices,
    description: 'Expire unpaid invoices past INVOICE_EXPIRY_DAYS (learner emailed); hold partially paid ones for staff.',
  },
  'send-reminders': { run: sendReminders, description: 'Email payment reminders REMINDER_DAYS before the due date, once each, with the amount still owed.' },
  'deliver-mail': { run: deliverMail, description: 'Send queued emails that are due (retries with backoff while SMTP is down).' },
  'retry-enrolments': { run: enrolLearners, description: 'Enrol paid learners through the OpenLearning API; retry what failed for about a day.' },
  purge: { run: purge, description: 'Delete spent token ids, abandoned billing requests, ended sessions; never invoices, payments or audit rows.' },
  backup: { run: backup, description: 'Online SQLite backup into DATA_DIR/backups/, keeping the newest BACKUP_KEEP.' },
};

export function jobFunctions(): Record<JobName, JobFunction> {
  return Object.fromEntries(Object.entries(JOBS).map(([name, job]) => [name, job.run])) as Record<JobName, JobFunction>;
}
