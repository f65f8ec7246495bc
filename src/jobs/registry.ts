import type { JobName } from '../config.js';
import type { JobFunction } from './job.js';
import { processEnrolments } from '../commands/enrolment.js';
import { deliverMail } from './deliver-mail.js';

export interface JobDefinition {
  run: JobFunction;
  description: string;
}

export const JOBS: Partial<Record<JobName, JobDefinition>> = {
  'deliver-mail': { run: deliverMail, description: 'Send queued emails that are due (retries with backoff while SMTP is down).' },
  'retry-enrolments': { run: processEnrolments, description: 'Enrol paid learners through the OpenLearning API; retry what failed for about a day.' },
};

export function jobFunctions(): Partial<Record<JobName, JobFunction>> {
  return Object.fromEntries(Object.entries(JOBS).map(([name, job]) => [name, job!.run]));
}
