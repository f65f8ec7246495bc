import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  canTransition,
  INVOICE_ACTIONS,
  INVOICE_STATUSES,
  isOverdue,
  refusal,
  statusForMoney,
  TRANSITIONS,
  type ActorRole,
  type InvoiceAction,
  type InvoiceStatus,
  type LifecycleView,
} from '../../src/domain/invoice-lifecycle.js';

const money = (paid: number, extra: Partial<LifecycleView> = {}) => ({
  totalMinor: 100,
  paidMinor: paid,
  writtenOffMinor: 0,
  refundedMinor: 0,
  creditedMinor: 0,
  ...extra,
});

/**
 * The whole table, written out by hand: an invoice in each status (with the money such an invoice
 * typically has, and the unusual cases a ledger creates), and what finance staff and the learner
 * may do to it. Any change to the lifecycle must change this table too, on purpose.
 */
const SCENARIOS: { name: string; invoice: LifecycleView; staff: InvoiceAction[]; learner: InvoiceAction[] }[] = [
  { name: 'awaiting payment', invoice: { status: 'awaiting_payment', ...money(0) }, staff: ['pay', 'cancel', 'resend'], learner: ['resend'] },
  {
    name: 'partially paid, the rest within the tolerance',
    invoice: { status: 'partially_paid', ...money(99) },
    staff: ['pay', 'write_off', 'reverse', 'cancel', 'resend'],
    learner: ['resend'],
  },
  {
    name: 'partially paid, the rest beyond the tolerance',
    invoice: { status: 'partially_paid', ...money(50) },
    staff: ['pay', 'reverse', 'cancel', 'resend'],
    learner: ['resend'],
  },
  { name: 'expired unpaid', invoice: { status: 'expired', ...money(0) }, staff: ['pay', 'cancel'], learner: [] },
  { name: 'paid, enrolling', invoice: { status: 'paid', ...money(100) }, staff: ['pay', 'reverse', 'mark_enrolled'], learner: [] },
  { name: 'paid, overpaid', invoice: { status: 'paid', ...money(130) }, staff: ['pay', 'reverse', 'refund', 'mark_enrolled'], learner: [] },
  {
    name: 'enrolment failed',
    invoice: { status: 'enrolment_failed', ...money(100) },
    staff: ['pay', 'reverse', 'retry_enrolment', 'mark_enrolled'],
    learner: [],
  },
  { name: 'enrolled', invoice: { status: 'enrolled', ...money(100) }, staff: ['pay', 'reverse'], learner: [] },
  { name: 'enrolled, the payment reversed', invoice: { status: 'enrolled', ...money(0) }, staff: ['pay', 'mark_withdrawn'], learner: [] },
  {
    name: 'enrolled, part of it reversed',
    invoice: { status: 'enrolled', ...money(98) },
    staff: ['pay', 'write_off', 'reverse', 'mark_withdrawn'],
    learner: [],
  },
  { name: 'cancelled unpaid', invoice: { status: 'cancelled', ...money(0, { creditedMinor: 100 }) }, staff: [], learner: [] },
  { name: 'cancelled with money on it', invoice: { status: 'cancelled', ...money(40, { creditedMinor: 100 }) }, staff: ['reverse', 'refund'], learner: [] },
  {
    name: 'cancelled, already refunded',
    invoice: { status: 'cancelled', ...money(40, { creditedMinor: 100, refundedMinor: 40 }) },
    staff: ['reverse'],
    learner: [],
  },
];

/** Finance users may write off up to 2 (of 100) here; admins any balance. */
const CONTEXT = { writeOffLimitMinor: 2 };

describe('invoice lifecycle: every scenario × action × role', () => {
  for (const scenario of SCENARIOS) {
    for (const action of INVOICE_ACTIONS) {
      for (const role of ['finance', 'learner'] as ActorRole[]) {
        const expected = (role === 'learner' ? scenario.learner : scenario.staff).includes(action);
        it(`${role} ${expected ? 'may' : 'may not'} ${action}: ${scenario.name}`, () => {
          expect(allowedActions(scenario.invoice, role, CONTEXT)[action]).toBe(expected);
          const refused = refusal(scenario.invoice, action, role, CONTEXT);
          if (expected) expect(refused).toBeUndefined();
          else expect(refused).toMatch(/^(admin|auth)\./);
        });
      }
    }
  }

  it('admins may do what finance may, and may write off a balance beyond the tolerance', () => {
    for (const scenario of SCENARIOS) {
      const admin = allowedActions(scenario.invoice, 'admin', CONTEXT);
      for (const action of scenario.staff) expect(admin[action], `${scenario.name}: ${action}`).toBe(true);
    }
    expect(allowedActions({ status: 'partially_paid', ...money(50) }, 'admin', CONTEXT).write_off).toBe(true);
    expect(refusal({ status: 'partially_paid', ...money(50) }, 'write_off', 'finance', CONTEXT)).toBe('admin.cannot_write_off');
  });

  it('refuses with the errors staff already know: a payment on a cancelled invoice, a cancel of a paid one', () => {
    expect(refusal({ status: 'cancelled', ...money(0) }, 'pay', 'finance')).toBe('admin.payment_on_cancelled');
    expect(refusal({ status: 'enrolled', ...money(100) }, 'cancel', 'finance')).toBe('admin.cannot_cancel');
    expect(refusal({ status: 'awaiting_payment', ...money(0) }, 'pay', 'learner')).toBe('auth.forbidden');
  });
});

describe('transitions', () => {
  it('nothing leaves cancelled; every status can be reached from issue', () => {
    expect(TRANSITIONS.cancelled).toEqual([]);
    const reached = new Set<InvoiceStatus>(['awaiting_payment']);
    for (let changed = true; changed;) {
      changed = false;
      for (const from of [...reached]) {
        for (const to of TRANSITIONS[from]) {
          if (reached.has(to)) continue;
          reached.add(to);
          changed = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...INVOICE_STATUSES].sort());
  });

  it('every status money can lead to is an allowed move (payments, reversals, write-offs on any status)', () => {
    for (const status of INVOICE_STATUSES) {
      for (const paid of [0, 50, 100, 150]) {
        for (const writtenOff of [0, 50]) {
          const next = statusForMoney(status, money(paid, { writtenOffMinor: writtenOff }));
          expect(next === status || canTransition(status, next), `${status} with ${paid} paid, ${writtenOff} written off -> ${next}`).toBe(true);
        }
      }
    }
  });

  it('money moves open, expired and not-yet-enrolled invoices; enrolled and cancelled ones stay', () => {
    expect(statusForMoney('awaiting_payment', money(50))).toBe('partially_paid');
    expect(statusForMoney('expired', money(100))).toBe('paid');
    expect(statusForMoney('partially_paid', money(50, { writtenOffMinor: 50 }))).toBe('paid');
    expect(statusForMoney('paid', money(0))).toBe('awaiting_payment');
    expect(statusForMoney('enrolment_failed', money(40))).toBe('partially_paid');
    expect(statusForMoney('enrolled', money(0))).toBe('enrolled');
    expect(statusForMoney('cancelled', money(100))).toBe('cancelled');
  });

  it('overdue is an open invoice past its due date, never a paid or cancelled one', () => {
    expect(isOverdue({ status: 'awaiting_payment', dueDate: '2026-01-01' }, '2026-01-02')).toBe(true);
    expect(isOverdue({ status: 'partially_paid', dueDate: '2026-01-02' }, '2026-01-02')).toBe(false);
    expect(isOverdue({ status: 'paid', dueDate: '2026-01-01' }, '2026-01-02')).toBe(false);
  });
});
