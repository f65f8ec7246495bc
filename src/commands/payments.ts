/**
 * Recording a bank transfer. One transaction records the payment, moves the invoice on, and, when
 * the invoice is now paid in full, queues its enrolment; the OpenLearning call comes after.
 */
import { findPaymentByIdempotencyKey, insertPayment, type Payment } from '../db/payments.js';
import { amountDueMinor, type Invoice } from '../domain/invoice.js';
import { statusAfterPayment } from '../domain/invoice-lifecycle.js';
import { formatMoney } from '../domain/money.js';
import { AppError } from '../errors.js';
import type { InvoiceActor } from './actors.js';
import { changeInvoice, type ChangeDeps } from './invoice-change.js';

export interface PaymentInput {
  amountMinor: number;
  receivedOn: string;
  bankReference: string | null;
  note: string | null;
  /** From the form: the same form submitted twice records one payment. */
  idempotencyKey: string;
  /** What was paid when the form was shown: if it changed, someone else recorded a payment. */
  expectedPaidMinor: number;
}

export interface PaymentOutcome {
  invoice: Invoice;
  payment: Payment;
  duplicate: boolean;
  paidInFull: boolean;
  overpaidMinor: number;
  reinstated: boolean;
}

export function recordPayment(deps: ChangeDeps, actor: InvoiceActor & { staffId: number }, invoiceId: number, input: PaymentInput): PaymentOutcome {
  const { db } = deps;
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'pay' },
    (change): PaymentOutcome => {
      const { invoice, at } = change;
      if (invoice.paidMinor !== input.expectedPaidMinor) {
        throw new AppError('admin.conflict', `invoice ${invoice.number}: paid ${invoice.paidMinor}, form expected ${input.expectedPaidMinor}`);
      }
      const paymentId = insertPayment(db, {
        invoiceId,
        amountMinor: input.amountMinor,
        currency: invoice.currency,
        receivedOn: input.receivedOn,
        bankReference: input.bankReference,
        note: input.note,
        idempotencyKey: input.idempotencyKey,
        recordedBy: actor.staffId,
        recordedAt: at,
      });
      const paidMinor = invoice.paidMinor + input.amountMinor;
      const paidInFull = paidMinor >= invoice.totalMinor;
      const reinstated = invoice.status === 'expired';
      const next = statusAfterPayment(invoice.status, paidMinor, invoice.totalMinor);
      const after = change.transition(next, {
        paid_minor: paidMinor,
        ...(next === 'paid' ? { paid_at: at } : {}),
        ...(reinstated ? { expired_at: null } : {}),
      });
      const money = (minor: number) => formatMoney(minor, invoice.currency);
      const overpaidMinor = Math.max(0, paidMinor - invoice.totalMinor);
      change.audit({
        action: 'payment.recorded',
        summary:
          `Payment of ${money(input.amountMinor)} received ${input.receivedOn} recorded by ${actor.actorLabel}` +
          (paidInFull ? (overpaidMinor > 0 ? `; overpaid by ${money(overpaidMinor)}` : '; paid in full') : `; ${money(amountDueMinor(after))} still to pay`) +
          (reinstated ? '; the expired invoice is reinstated' : ''),
        before: { status: invoice.status, paidMinor: invoice.paidMinor },
        after: { status: next, paidMinor },
        data: { paymentId, bankReference: input.bankReference, note: input.note, overpaidMinor, reinstated },
      });
      if (next === 'paid' && invoice.status !== 'paid') change.enrol();
      else if (next === 'partially_paid') change.email('payment-received', { extra: { receivedMinor: input.amountMinor } });
      return { invoice: after, payment: findPaymentByIdempotencyKey(db, input.idempotencyKey)!, duplicate: false, paidInFull, overpaidMinor, reinstated };
    },
    {
      // The same form submitted twice (a double click, a reload) records one payment.
      alreadyDone: (invoice) => {
        const previous = findPaymentByIdempotencyKey(db, input.idempotencyKey);
        if (!previous) return undefined;
        if (previous.invoiceId !== invoiceId) throw new AppError('admin.conflict', 'idempotency key reused for another invoice');
        return {
          invoice,
          payment: previous,
          duplicate: true,
          paidInFull: invoice.paidMinor >= invoice.totalMinor,
          overpaidMinor: Math.max(0, invoice.paidMinor - invoice.totalMinor),
          reinstated: false,
        };
      },
    },
  );
}
