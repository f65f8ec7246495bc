/**
 * The invoice lifecycle in one place: the statuses, which status may follow which, and what each
 * kind of actor may do to an invoice now. Commands ask `refusal()` before they change anything and
 * `transitionInvoice` refuses a move the table does not allow; pages show the actions of
 * `allowedActions()` (templates read `actions.cancel`, never a list of statuses).
 *
 * ```mermaid
 * stateDiagram-v2
 *   [*] --> awaiting_payment: issued
 *   awaiting_payment --> partially_paid: part payment
 *   awaiting_payment --> paid: full payment
 *   awaiting_payment --> expired: expiry date passed
 *   awaiting_payment --> cancelled
 *   partially_paid --> paid: rest paid
 *   partially_paid --> cancelled
 *   expired --> partially_paid: late part payment
 *   expired --> paid: late payment
 *   expired --> cancelled
 *   paid --> enrolled: OpenLearning enrolled the learner
 *   paid --> enrolment_failed: OpenLearning refused
 *   enrolment_failed --> paid: retry enrolment
 *   enrolment_failed --> enrolled: marked as enrolled by staff
 *   paid --> enrolled: marked as enrolled by staff
 * ```
 */
import type { ErrorId } from '../errors.js';
import { INVOICE_STATUSES, type InvoiceStatus } from './invoice.js';

export { INVOICE_STATUSES, type InvoiceStatus };

/** Which status may follow which. Anything else is a bug or a race, and is refused. */
export const TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  awaiting_payment: ['partially_paid', 'paid', 'expired', 'cancelled'],
  partially_paid: ['paid', 'cancelled'],
  expired: ['partially_paid', 'paid', 'cancelled'],
  paid: ['enrolled', 'enrolment_failed'],
  enrolment_failed: ['paid', 'enrolled'],
  enrolled: [],
  cancelled: [],
};

export function canTransition(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The learner still owes money and may pay; reminders go out; the "email it again" button shows. */
export const OPEN_STATUSES: readonly InvoiceStatus[] = ['awaiting_payment', 'partially_paid'];
/** Money arrived in full: enrolment is under way or done. */
export const PAID_STATUSES: readonly InvoiceStatus[] = ['paid', 'enrolment_failed', 'enrolled'];

export function isOpen(status: InvoiceStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/** Overdue is not a stored status: an open invoice whose due date (a calendar date) has passed. */
export function isOverdue(invoice: { status: InvoiceStatus; dueDate: string }, today: string): boolean {
  return isOpen(invoice.status) && invoice.dueDate < today;
}

/** The money arrived in full and the learner is not enrolled yet (the worker or staff are on it). */
export function isEnrolling(status: InvoiceStatus): boolean {
  return status === 'paid' || status === 'enrolment_failed';
}

/** What people do to an invoice. */
export const INVOICE_ACTIONS = ['pay', 'cancel', 'retry_enrolment', 'mark_enrolled', 'resend'] as const;
export type InvoiceAction = (typeof INVOICE_ACTIONS)[number];

/** Who is asking: staff by role, the learner through their private link. */
export type ActorRole = 'admin' | 'finance' | 'learner';

export type LifecycleView = { status: InvoiceStatus };

/** Each action's rule, with the error a refused request gets. */
const RULES: Record<
  InvoiceAction,
  { roles: readonly ActorRole[]; allowed: (invoice: LifecycleView) => boolean; refusedWith: (invoice: LifecycleView) => ErrorId }
> = {
  // Open or expired: the money is what was owed (an expired one is reinstated). Already paid in
  // full: a second transfer is recorded as an overpayment, so no money is ever turned away.
  pay: {
    roles: ['admin', 'finance'],
    allowed: (i) => i.status !== 'cancelled',
    refusedWith: () => 'admin.payment_on_cancelled',
  },
  cancel: {
    roles: ['admin', 'finance'],
    allowed: (i) => isOpen(i.status) || i.status === 'expired',
    refusedWith: () => 'admin.cannot_cancel',
  },
  retry_enrolment: { roles: ['admin', 'finance'], allowed: (i) => i.status === 'enrolment_failed', refusedWith: () => 'admin.conflict' },
  mark_enrolled: { roles: ['admin', 'finance'], allowed: (i) => i.status === 'paid' || i.status === 'enrolment_failed', refusedWith: () => 'admin.conflict' },
  // Only an invoice still to be paid is worth emailing again.
  resend: { roles: ['admin', 'finance', 'learner'], allowed: (i) => isOpen(i.status), refusedWith: () => 'admin.conflict' },
};

/** Why `role` may not do `action` to this invoice now, or undefined when it may. */
export function refusal(invoice: LifecycleView, action: InvoiceAction, role: ActorRole): ErrorId | undefined {
  const rule = RULES[action];
  if (!rule.roles.includes(role)) return 'auth.forbidden';
  return rule.allowed(invoice) ? undefined : rule.refusedWith(invoice);
}

export type AllowedActions = Record<InvoiceAction, boolean>;

/** Every action and whether `role` may do it now: what pages show. */
export function allowedActions(invoice: LifecycleView, role: ActorRole): AllowedActions {
  return Object.fromEntries(INVOICE_ACTIONS.map((action) => [action, refusal(invoice, action, role) === undefined])) as AllowedActions;
}

/** The status a payment leads to: open and expired invoices follow the money; paid ones stay as they are. */
export function statusAfterPayment(status: InvoiceStatus, paidMinor: number, totalMinor: number): InvoiceStatus {
  if (status === 'awaiting_payment' || status === 'partially_paid' || status === 'expired') return paidMinor >= totalMinor ? 'paid' : 'partially_paid';
  return status;
}
