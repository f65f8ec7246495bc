import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  canTransition,
  INVOICE_ACTIONS,
  INVOICE_STATUSES,
  isOverdue,
  refusal,
  statusAfterPayment,
  TRANSITIONS,
  type ActorRole,
  type InvoiceAction,
  type InvoiceStatus,
} from '../../src/domain/invoice-lifecycle.js';

/**
 * The whole table, written out by hand: for each status, what finance staff may do. Any change to
 * the lifecycle must change this table too, on purpose.
 */
const STAFF_MAY: Record<InvoiceStatus, InvoiceAction[]> = {
  awaiting_payment: ['pay', 'cancel', 'resend'],
  partially_paid: ['pay', 'cancel', 'resend'],
  expired: ['pay', 'cancel'],
  paid: ['pay', 'mark_enrolled'],
  enrolment_failed: ['pay', 'retry_enrolment', 'mark_enrolled'],
  enrolled: ['pay'],
  cancelled: [],
};

const LEARNER_MAY: Record<InvoiceStatus, InvoiceAction[]> = {
  awaiting_payment: ['resend'],
  partially_paid: ['resend'],
  expired: [],
  paid: [],
  enrolment_failed: [],
  enrolled: [],
  cancelled: [],
};

describe('invoice lifecycle: every status × action × role', () => {
  for (const status of INVOICE_STATUSES) {
    for (const action of INVOICE_ACTIONS) {
      for (const role of ['admin', 'finance', 'learner'] as ActorRole[]) {
        const expected = (role === 'learner' ? LEARNER_MAY : STAFF_MAY)[status].includes(action);
        it(`${role} ${expected ? 'may' : 'may not'} ${action} an invoice that is ${status}`, () => {
          expect(allowedActions({ status }, role)[action]).toBe(expected);
          const refused = refusal({ status }, action, role);
          if (expected) expect(refused).toBeUndefined();
          else expect(refused).toMatch(/^(admin|auth)\./);
        });
      }
    }
  }

  it('refuses with the errors staff already know: a payment on a cancelled invoice, a cancel of a paid one', () => {
    expect(refusal({ status: 'cancelled' }, 'pay', 'finance')).toBe('admin.payment_on_cancelled');
    expect(refusal({ status: 'enrolled' }, 'cancel', 'finance')).toBe('admin.cannot_cancel');
    expect(refusal({ status: 'awaiting_payment' }, 'pay', 'learner')).toBe('auth.forbidden');
  });
});

describe('transitions', () => {
  it('nothing leaves enrolled or cancelled; every status can be reached from issue', () => {
    expect(TRANSITIONS.enrolled).toEqual([]);
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

  it('every status a payment can lead to is an allowed move from where the payment may be recorded', () => {
    for (const status of INVOICE_STATUSES) {
      if (!allowedActions({ status }, 'finance').pay) continue;
      for (const [paid, total] of [
        [50, 100],
        [100, 100],
        [150, 100],
      ] as const) {
        const next = statusAfterPayment(status, paid, total);
        expect(next === status || canTransition(status, next), `${status} -> ${next}`).toBe(true);
      }
    }
  });

  it('a partial payment leaves an open or expired invoice partially paid; the full amount makes it paid; paid ones stay', () => {
    expect(statusAfterPayment('awaiting_payment', 50, 100)).toBe('partially_paid');
    expect(statusAfterPayment('expired', 100, 100)).toBe('paid');
    expect(statusAfterPayment('enrolled', 200, 100)).toBe('enrolled');
  });

  it('overdue is an open invoice past its due date, never a paid or cancelled one', () => {
    expect(isOverdue({ status: 'awaiting_payment', dueDate: '2026-01-01' }, '2026-01-02')).toBe(true);
    expect(isOverdue({ status: 'partially_paid', dueDate: '2026-01-02' }, '2026-01-02')).toBe(false);
    expect(isOverdue({ status: 'paid', dueDate: '2026-01-01' }, '2026-01-02')).toBe(false);
  });
});
