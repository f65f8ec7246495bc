import type { TokenVerification } from './clients/token-verify-pool.js';
import type { Mailer } from './clients/mailer.js';
import type { OpenLearningClient } from './clients/openlearning-api.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/connection.js';
import type { Logger } from './logger.js';
import type { Views } from './views.js';

/** Work that runs after a commit (sending mail, calling OpenLearning). */
export type BackgroundTask = 'deliver-mail' | 'retry-enrolments';

/**
 * Wakes a worker. Only the queues call it (queueInvoiceEmail wakes deliver-mail, queueEnrolment
 * wakes retry-enrolments): whoever queues work never has to remember to wake anyone. The run
 * starts on a later turn of the event loop, so after the queueing transaction has committed.
 */
export interface Background {
  /** Asks for the task to run soon, outside the current request. Safe to call often. */
  kick(task: BackgroundTask): void;
}

/** Everything the portal needs from the outside world, passed in so tests can build it with their own. */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  views: Views;
  mailer: Mailer;
  tokens: TokenVerification;
  openlearning: OpenLearningClient;
  randomBytes: (size: number) => Buffer;
  background: Background;
}
