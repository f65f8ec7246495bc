/**
 * Every change to an invoice takes the same steps, and this helper is the one place that takes
 * them: in one write transaction, load the invoice, ask the lifecycle whether this actor may do
 * this now, move it on, append to the audit log, queue the emails and the enrolment it leads to.
 * Queueing wakes the worker that delivers it, after the commit.
 */
import { toDbTime } from '../clock.js';
import { appendAudit, type AuditEntry } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { findInvoiceById, transitionInvoice, type TransitionColumns } from '../db/invoices.js';
import type { Invoice } from '../domain/invoice.js';
import { refusal, type InvoiceAction, type InvoiceStatus, type LifecycleContext } from '../domain/invoice-lifecycle.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import type { Actor, InvoiceActor } from './actors.js';
import { queueInvoiceEmail, type EmailKind, type QueueEmailOptions } from './emails.js';
import { queueEnrolment } from './enrolment.js';

export type ChangeDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'views' | 'background'>;

export interface InvoiceChange {
  /** The invoice as it was when the change began. */
  readonly invoice: Invoice;
  readonly now: Date;
  readonly at: string;
  readonly actor: Actor;
  /** Moves the invoice on from the status it was read in; admin.conflict if it moved meanwhile. Returns it as it is now. */
  transition(to: InvoiceStatus, columns?: TransitionColumns): Invoice;
  /** The invoice as it is now, inside the transaction. */
  current(): Invoice;
  /** An audit row for this invoice, by this actor, now. */
  audit(entry: Omit<AuditEntry, 'at' | 'actor' | 'actorLabel' | 'invoiceId'>): void;
  /** Queues an email about the invoice as it is now (false when the dedupe key was already used). */
  email(kind: EmailKind, options?: Omit<QueueEmailOptions, 'at'>): boolean;
  /** Queues (or re-arms) the invoice's enrolment on OpenLearning. */
  enrol(): void;
}

export interface ChangeRequest {
  invoiceId: number;
  actor: InvoiceActor | Actor;
  /** The lifecycle action this is (checked for the actor's role), or null for the system's own moves. */
  action: InvoiceAction | null;
  /** What the lifecycle needs to decide besides the invoice (e.g. the write-off limit). */
  context?: (invoice: Invoice) => LifecycleContext;
}

export function changeInvoice<T>(
  deps: ChangeDeps,
  request: ChangeRequest,
  work: (change: InvoiceChange) => T,
  options: {
    /** Runs before the guard: a repeated request (double click, same form twice) answers from here. */
    alreadyDone?: (invoice: Invoice) => T | undefined;
  } = {},
): T {
  const { db } = deps;
  return writeTransaction(db, () => {
    const now = deps.clock.now();
    const at = toDbTime(now);
    const invoice = findInvoiceById(db, request.invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${request.invoiceId}`);
    const repeated = options.alreadyDone?.(invoice);
    if (repeated !== undefined) return repeated;
    if (request.action !== null) {
      const role = 'role' in request.actor ? request.actor.role : undefined;
      const refused = role ? refusal(invoice, request.action, role, request.context?.(invoice)) : 'auth.forbidden';
      if (refused) throw new AppError(refused, `${request.actor.actorLabel} may not ${request.action} invoice ${invoice.number} (${invoice.status})`);
    }
    let status = invoice.status;
    const { actor, actorLabel } = request.actor;
    const change: InvoiceChange = {
      invoice,
      now,
      at,
      actor: { actor, actorLabel },
      transition(to, columns = {}) {
        if (!transitionInvoice(db, invoice.id, status, to, at, columns))
          throw new AppError('admin.conflict', `invoice ${invoice.number} is no longer ${status}`);
        status = to;
        return findInvoiceById(db, invoice.id)!;
      },
      current: () => findInvoiceById(db, invoice.id)!,
      audit: (entry) => appendAudit(db, { ...entry, at, actor, actorLabel, invoiceId: invoice.id }),
      email: (kind, emailOptions = {}) => queueInvoiceEmail(deps, findInvoiceById(db, invoice.id)!, kind, { ...emailOptions, at }),
      enrol: () => queueEnrolment(deps, invoice.id, now),
    };
    return work(change);
  });
}
