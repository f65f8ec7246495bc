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
 *   partially_paid --> awaiting_payment: payment reversed
 *   paid --> partially_paid: payment reversed before enrolment
 *   enrolled --> awaiting_payment: payment reversed, learner withdrawn by staff
 * ```
 */
import type { ErrorId } from '../errors.js';
import { balanceMinor, INVOICE_STATUSES, refundableMinor, type InvoiceMoney, type InvoiceStatus } from './invoice.js';

export { INVOICE_STATUSES, type InvoiceStatus };

/** Which status may follow which. Anything else is a bug or a race, and is refused. */
export const TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  awaiting_payment: ['partially_paid', 'paid', 'expired', 'cancelled'],
  // Back to awaiting payment when its only payment is reversed.
  partially_paid: ['paid', 'cancelled', 'awaiting_payment'],
  expired: ['partially_paid', 'paid', 'cancelled'],
  // A reversal before the learner is enrolled takes the invoice back to being paid for.
  paid: ['enrolled', 'enrolment_failed', 'awaiting_payment', 'partially_paid'],
  enrolment_failed: ['paid', 'enrolled', 'awaiting_payment', 'partially_paid'],
  // Enrolled stays enrolled when its payment is reversed (it then needs attention), until staff
  // withdraw the learner on OpenLearning: then the invoice is to be paid again.
  enrolled: ['awaiting_payment', 'partially_paid'],
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

/** Enrolled on OpenLearning although the money behind it was reversed: listed under "Needs attention". */
export function isEnrolledUnpaid(invoice: LifecycleView): boolean {
  return invoice.status === 'enrolled' && balanceMinor(invoice) > 0;
}

/** What people do to an invoice. */
export const INVOICE_ACTIONS = ['pay', 'write_off', 'reverse', 'refund', 'cancel', 'retry_enrolment', 'mark_enrolled', 'mark_withdrawn', 'resend'] as const;
export type InvoiceAction = (typeof INVOICE_ACTIONS)[number];

/** Who is asking: staff by role, the learner through their private link. */
export type ActorRole = 'admin' | 'finance' | 'learner';

export type LifecycleView = { status: InvoiceStatus } & InvoiceMoney;

export interface LifecycleContext {
  /** The largest write-off a finance user may make on this invoice (PAYMENT_TOLERANCE); admins may write off any balance. */
  writeOffLimitMinor?: number;
}

const STAFF: readonly ActorRole[] = ['admin', 'finance'];

/** Each action's rule, with the error a refused request gets. */
const RULES: Record<
  InvoiceAction,
  { roles: readonly ActorRole[]; allowed: (invoice: LifecycleView, role: ActorRole, context: LifecycleContext) => boolean; refusedWith: ErrorId }
> = {
  // Open or expired: the money is what was owed (an expired one is reinstated). Already paid in
  // full: a second transfer is recorded as an overpayment, so no money is ever turned away.
  pay: { roles: STAFF, allowed: (i) => i.status !== 'cancelled', refusedWith: 'admin.payment_on_cancelled' },
  // The rest of a part-paid invoice (a bank fee, a currency paid in whole units) settled without money.
  write_off: {
    roles: STAFF,
    allowed: (i, role, context) => {
      const balance = balanceMinor(i);
      const settles = (i.status === 'partially_paid' || i.status === 'enrolled') && i.paidMinor > 0 && balance > 0;
      return settles && (role === 'admin' || balance <= (context.writeOffLimitMinor ?? 0));
    },
    refusedWith: 'admin.cannot_write_off',
  },
  reverse: { roles: STAFF, allowed: (i) => i.paidMinor > 0, refusedWith: 'admin.cannot_reverse' },
  refund: { roles: STAFF, allowed: (i) => refundableMinor(i) > 0, refusedWith: 'admin.cannot_refund' },
  cancel: { roles: STAFF, allowed: (i) => isOpen(i.status) || i.status === 'expired', refusedWith: 'admin.cannot_cancel' },
  retry_enrolment: { roles: STAFF, allowed: (i) => i.status === 'enrolment_failed', refusedWith: 'admin.conflict' },
  mark_enrolled: { roles: STAFF, allowed: (i) => isEnrolling(i.status), refusedWith: 'admin.conflict' },
  mark_withdrawn: { roles: STAFF, allowed: (i) => isEnrolledUnpaid(i), refusedWith: 'admin.conflict' },
  // Only an invoice still to be paid is worth emailing again.
  resend: { roles: ['admin', 'finance', 'learner'], allowed: (i) => isOpen(i.status), refusedWith: 'admin.conflict' },
};

/** Why `role` may not do `action` to this invoice now, or undefined when it may. */
export function refusal(invoice: LifecycleView, action: InvoiceAction, role: ActorRole, context: LifecycleContext = {}): ErrorId | undefined {
  const rule = RULES[action];
  if (!rule.roles.includes(role)) return 'auth.forbidden';
  return rule.allowed(invoice, role, context) ? undefined : rule.refusedWith;
}

export type AllowedActions = Record<InvoiceAction, boolean>;

/** Every action and whether `role` may do it now: what pages show. */
export function allowedActions(invoice: LifecycleView, role: ActorRole, context: LifecycleContext = {}): AllowedActions {
  return Object.fromEntries(INVOICE_ACTIONS.map((action) => [action, refusal(invoice, action, role, context) === undefined])) as AllowedActions;
}

/**
 * The status the money now on an invoice leads to (after a payment, a reversal or a write-off):
 * open, expired and not-yet-enrolled invoices follow the money; an enrolled one stays enrolled
 * (short of money it needs attention instead), and a cancelled one stays cancelled.
 */
export function statusForMoney(status: InvoiceStatus, money: InvoiceMoney): InvoiceStatus {
  if (status === 'enrolled' || status === 'cancelled') return status;
  const settled = balanceMinor(money) <= 0;
  if (settled) return status === 'enrolment_failed' ? status : status === 'paid' ? status : 'paid';
  if (status === 'expired' && money.paidMinor === 0) return status;
  return money.paidMinor > 0 ? 'partially_paid' : 'awaiting_payment';
}
