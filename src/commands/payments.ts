/**
 * Recording a bank transfer. One transaction records the payment, moves the invoice on, and, when
 * the invoice is now paid in full, queues its enrolment job; the OpenLearning call comes after.
 */
import { addSeconds, toDbTime } from '../clock.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { queueEnrolmentJob } from '../db/enrolments.js';
import { findInvoiceById, transitionInvoice } from '../db/invoices.js';
import { findPaymentByIdempotencyKey, insertPayment, type Payment } from '../db/payments.js';
import { amountDueMinor, type Invoice, type InvoiceStatus } from '../domain/invoice.js';
import { formatMoney } from '../domain/money.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { queueLearnerEmail } from './emails.js';
import type { Actor } from './staff.js';

/** How long enrolment is retried before staff are asked to step in. */
export const ENROLMENT_RETRY_WINDOW_SECONDS = 24 * 3600;

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

export function recordPayment(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'views' | 'background'>,
  actor: Actor & { staffId: number },
  invoiceId: number,
  input: PaymentInput,
): PaymentOutcome {
  const { db } = deps;
  const now = deps.clock.now();
  const at = toDbTime(now);
  const outcome = writeTransaction(db, (): PaymentOutcome => {
    const previous = findPaymentByIdempotencyKey(db, input.idempotencyKey);
    const invoice = findInvoiceById(db, invoiceId);
    if (!invoice) throw new AppError('admin.not_found', `invoice ${invoiceId}`);
    if (previous) {
      if (previous.invoiceId !== invoiceId) throw new AppError('admin.conflict', 'idempotency key reused for another invoice');
      return {
        invoice,
        payment: previous,
        duplicate: true,
        paidInFull: invoice.paidMinor >= invoice.totalMinor,
        overpaidMinor: Math.max(0, invoice.paidMinor - invoice.totalMinor),
        reinstated: false,
      };
    }
    if (invoice.status === 'cancelled') throw new AppError('admin.payment_on_cancelled', `invoice ${invoice.number} is cancelled`);
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
    const stillOpen: InvoiceStatus[] = ['awaiting_payment', 'partially_paid', 'expired'];
    let next: InvoiceStatus = invoice.status;
    if (stillOpen.includes(invoice.status)) next = paidInFull ? 'paid' : 'partially_paid';
    const changed = transitionInvoice(db, invoiceId, [invoice.status], next, at, {
      paid_minor: paidMinor,
      ...(next === 'paid' ? { paid_at: at } : {}),
      ...(reinstated ? { expired_at: null } : {}),
    });
    if (!changed) throw new AppError('admin.conflict', `invoice ${invoice.number} changed during payment`);
    const money = (minor: number) => formatMoney(minor, invoice.currency);
    const overpaidMinor = Math.max(0, paidMinor - invoice.totalMinor);
    const after = findInvoiceById(db, invoiceId)!;
    appendAudit(db, {
      at,
      ...actor,
      action: 'payment.recorded',
      invoiceId,
      summary:
        `Payment of ${money(input.amountMinor)} received ${input.receivedOn} recorded by ${actor.actorLabel}` +
        (paidInFull ? (overpaidMinor > 0 ? `; overpaid by ${money(overpaidMinor)}` : '; paid in full') : `; ${money(amountDueMinor(after))} still to pay`) +
        (reinstated ? '; the expired invoice is reinstated' : ''),
      before: { status: invoice.status, paidMinor: invoice.paidMinor },
      after: { status: next, paidMinor },
      data: { paymentId, bankReference: input.bankReference, note: input.note, overpaidMinor, reinstated },
    });
    if (next === 'paid') {
      queueEnrolmentJob(db, invoiceId, at, toDbTime(addSeconds(now, ENROLMENT_RETRY_WINDOW_SECONDS)));
    } else if (next === 'partially_paid') {
      queueLearnerEmail(deps, after, 'payment-received', { at, extra: { receivedMinor: input.amountMinor } });
    }
    return { invoice: after, payment: findPaymentByIdempotencyKey(db, input.idempotencyKey)!, duplicate: false, paidInFull, overpaidMinor, reinstated };
  });
  if (!outcome.duplicate) {
    deps.background.kick('retry-enrolments');
    deps.background.kick('deliver-mail');
  }
  return outcome;
}
