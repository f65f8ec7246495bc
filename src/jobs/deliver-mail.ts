import { addSeconds, toDbTime } from '../clock.js';
import { isPermanentMailError } from '../clients/mailer.js';
import { emailAttachments, renderQueuedEmail } from '../commands/emails.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { claimDueEmails, markEmailFailed, markEmailRetry, markEmailSent, type OutboxMessage } from '../db/outbox.js';
import type { Deps } from '../deps.js';
import { backoffSeconds, workClaim, yieldToEventLoop, type JobContext, type JobCounts } from './job.js';

const BATCH = 10;
const LEASE_SECONDS = 5 * 60;
const MAX_DELAY_SECONDS = 60 * 60;

/** 1, 2, 4, 8 ... minutes, then hourly: an SMTP outage of any length is ridden out. */
export function mailRetryDelaySeconds(attempts: number): number {
  return backoffSeconds(attempts, MAX_DELAY_SECONDS);
}

/** Delivers every outbox email that is due. Transient failures are retried; 5xx refusals are final. */
export async function deliverMail(deps: Deps, context: JobContext): Promise<JobCounts> {
  const counts = { sent: 0, retrying: 0, failed: 0 };
  while (!context.stopping()) {
    const batch = claimDueEmails(deps.db, workClaim(deps, context, LEASE_SECONDS, BATCH));
    if (batch.length === 0) break;
    for (const message of batch) counts[await deliverOne(deps, context.owner, message)]++;
    // A mailer that answers at once (the .eml capture) would otherwise never give the loop back.
    context.heartbeat();
    await yieldToEventLoop();
  }
  return counts;
}

async function deliverOne(deps: Deps, owner: string, message: OutboxMessage): Promise<'sent' | 'retrying' | 'failed'> {
  const { db, logger } = deps;
  const messageId = `<outbox-${message.id}.${message.createdAt.replace(/\D/g, '')}@${new URL(deps.config.publicUrl).hostname}>`;
  try {
    const attachments = message.attachInvoicePdf ? await emailAttachments(deps, message) : [];
    const email = renderQueuedEmail(deps, message);
    await deps.mailer.send({ to: message.toAddress, ...email, attachments, messageId });
  } catch (error) {
    const reason = (error as Error).message?.slice(0, 500) ?? String(error);
    const attempts = message.attempts + 1;
    if (isPermanentMailError(error)) {
      writeTransaction(db, () => {
        markEmailFailed(db, message.id, owner, reason);
        appendAudit(db, {
          at: toDbTime(deps.clock.now()),
          actor: 'system',
          action: 'email.failed',
          invoiceId: message.invoiceId,
          summary: `Email "${message.subject}" to ${message.toAddress} was refused by the mail server: ${reason}`,
          data: { outboxId: message.id, kind: message.kind },
        });
      });
      logger.error({ outboxId: message.id, kind: message.kind, reason }, 'email refused permanently');
      return 'failed';
    }
    const next = addSeconds(deps.clock.now(), mailRetryDelaySeconds(attempts));
    markEmailRetry(db, message.id, owner, toDbTime(next), reason);
    logger.warn({ outboxId: message.id, kind: message.kind, attempts, next: toDbTime(next), reason }, 'email not delivered; will retry');
    return 'retrying';
  }
  writeTransaction(db, () => {
    if (!markEmailSent(db, message.id, owner, toDbTime(deps.clock.now()), messageId)) return;
    appendAudit(db, {
      at: toDbTime(deps.clock.now()),
      actor: 'system',
      action: 'email.sent',
      invoiceId: message.invoiceId,
      summary: `Emailed "${message.subject}" to ${message.toAddress}`,
      data: { outboxId: message.id, kind: message.kind },
    });
  });
  logger.info({ outboxId: message.id, kind: message.kind }, 'email sent');
  return 'sent';
}
