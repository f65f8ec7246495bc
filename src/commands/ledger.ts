/**
 * Money on an invoice. Every movement is a ledger entry (payment, reversal, write-off, refund),
 * never edited or deleted; the invoice's paid, written-off and refunded sums and its status follow
 * from the entries in the same transaction, and the enrolment and emails they lead to are queued
 * there too. The OpenLearning call and SMTP come after the commit.
 */
import { cancelEnrolmentJob } from '../db/enrolments.js';
import { findLedgerEntry, findLedgerEntryByIdempotencyKey, insertLedgerEntry, ledgerSums, setRefundStatus, type LedgerEntry } from '../db/ledger.js';
import { balanceMinor, refundableMinor, type Invoice, type InvoiceMoney } from '../domain/invoice.js';
import { isEnrolledUnpaid, statusForMoney, type LifecycleContext } from '../domain/invoice-lifecycle.js';
import { formatMoney } from '../domain/money.js';
import { toleranceMinor } from '../domain/payment-tolerance.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { toDbTime } from '../clock.js';
import { writeTransaction } from '../db/connection.js';
import { appendAudit } from '../db/audit.js';
import type { InvoiceActor } from './actors.js';
import { changeInvoice, type ChangeDeps, type InvoiceChange } from './invoice-change.js';

type LedgerDeps = ChangeDeps;

/** What finance staff (not only admins) may write off on this invoice: PAYMENT_TOLERANCE. */
export function lifecycleContext(config: Deps['config'], invoice: Pick<Invoice, 'currency' | 'totalMinor'>): LifecycleContext {
  return { writeOffLimitMinor: toleranceMinor(config.ledger.paymentTolerance, invoice.currency, invoice.totalMinor) };
}

/** Applies an entry's effect on the invoice's sums and status; returns the invoice as it is now. */
function applyMoney(
  change: InvoiceChange,
  sums: Partial<Pick<InvoiceMoney, 'paidMinor' | 'writtenOffMinor' | 'refundedMinor'>>,
  extra: Record<string, string | null> = {},
): Invoice {
  const money: InvoiceMoney = { ...change.invoice, ...sums };
  const next = statusForMoney(change.invoice.status, money);
  const reinstated = change.invoice.status === 'expired' && next !== 'expired';
  return change.transition(next, {
    paid_minor: money.paidMinor,
    written_off_minor: money.writtenOffMinor,
    refunded_minor: money.refundedMinor,
    ...(next === 'paid' && change.invoice.status !== 'paid' ? { paid_at: change.at } : {}),
    ...(reinstated ? { expired_at: null } : {}),
    ...extra,
  });
}

function entryBase(change: InvoiceChange, actor: InvoiceActor, idempotencyKey: string) {
  return {
    invoiceId: change.invoice.id,
    currency: change.invoice.currency,
    idempotencyKey,
    actor: actor.actor,
    actorLabel: actor.actorLabel,
    staffId: actor.staffId,
    recordedAt: change.at,
    reversesEntryId: null,
    reason: null,
    bankReference: null,
    note: null,
    payerName: null,
    statementLineId: null,
    payerIban: null,
    payerBic: null,
    payerAccount: null,
    method: null,
    payeeName: null,
    payeeIban: null,
    payeeBic: null,
    payeeBsb: null,
    payeeAccount: null,
    refundStatus: null,
  } as const;
}

/** The same form (or import line) twice records one entry: the first one answers the second. */
function repeatedEntry(deps: LedgerDeps, invoiceId: number, idempotencyKey: string): LedgerEntry | undefined {
  const previous = findLedgerEntryByIdempotencyKey(deps.db, idempotencyKey);
  if (previous && previous.invoiceId !== invoiceId) throw new AppError('admin.conflict', 'idempotency key reused for another invoice');
  return previous;
}

// ---- Payments ---------------------------------------------------------------------------------

export interface PaymentInput {
  amountMinor: number;
  receivedOn: string;
  bankReference: string | null;
  note: string | null;
  payerName?: string | null;
  /** Recorded from a bank statement line: the line, and the account the money came from (for refunds). */
  statementLineId?: number | null;
  payerIban?: string | null;
  payerBic?: string | null;
  payerAccount?: string | null;
  /** From the form: the same form submitted twice records one payment. */
  idempotencyKey: string;
  /** What was paid when the form was shown: if it changed, someone else recorded a payment. */
  expectedPaidMinor?: number;
}

export interface PaymentOutcome {
  invoice: Invoice;
  payment: LedgerEntry;
  duplicate: boolean;
  paidInFull: boolean;
  overpaidMinor: number;
  reinstated: boolean;
}

export function recordPayment(deps: LedgerDeps, actor: InvoiceActor, invoiceId: number, input: PaymentInput): PaymentOutcome {
  const { db } = deps;
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'pay' },
    (change): PaymentOutcome => {
      const { invoice } = change;
      if (input.expectedPaidMinor !== undefined && invoice.paidMinor !== input.expectedPaidMinor) {
        throw new AppError('admin.conflict', `invoice ${invoice.number}: paid ${invoice.paidMinor}, form expected ${input.expectedPaidMinor}`);
      }
      const paymentId = insertLedgerEntry(db, {
        ...entryBase(change, actor, input.idempotencyKey),
        kind: 'payment',
        amountMinor: input.amountMinor,
        effectiveOn: input.receivedOn,
        bankReference: input.bankReference,
        note: input.note,
        payerName: input.payerName ?? null,
        statementLineId: input.statementLineId ?? null,
        payerIban: input.payerIban ?? null,
        payerBic: input.payerBic ?? null,
        payerAccount: input.payerAccount ?? null,
      });
      const paidMinor = invoice.paidMinor + input.amountMinor;
      const after = applyMoney(change, { paidMinor });
      const reinstated = invoice.status === 'expired';
      const balance = balanceMinor(after);
      const paidInFull = balance <= 0;
      const overpaidMinor = Math.max(0, -balance);
      const money = (minor: number) => formatMoney(minor, invoice.currency);
      change.audit({
        action: 'payment.recorded',
        summary:
          `Payment of ${money(input.amountMinor)} received ${input.receivedOn} recorded by ${actor.actorLabel}` +
          (paidInFull ? (overpaidMinor > 0 ? `; overpaid by ${money(overpaidMinor)}` : '; paid in full') : `; ${money(balance)} still to pay`) +
          (reinstated ? '; the expired invoice is reinstated' : ''),
        before: { status: invoice.status, paidMinor: invoice.paidMinor },
        after: { status: after.status, paidMinor },
        data: {
          entryId: paymentId,
          bankReference: input.bankReference,
          note: input.note,
          overpaidMinor,
          reinstated,
          ...(input.statementLineId ? { statementLineId: input.statementLineId } : {}),
        },
      });
      followMoney(change, after, input.amountMinor);
      return { invoice: after, payment: findLedgerEntry(db, paymentId)!, duplicate: false, paidInFull, overpaidMinor, reinstated };
    },
    {
      alreadyDone: (invoice) => {
        const previous = repeatedEntry(deps, invoiceId, input.idempotencyKey);
        if (!previous) return undefined;
        const balance = balanceMinor(invoice);
        return { invoice, payment: previous, duplicate: true, paidInFull: balance <= 0, overpaidMinor: Math.max(0, -balance), reinstated: false };
      },
    },
  );
}

/** What money arriving leads to: enrolment once paid in full, a "payment received" email when part-paid. */
function followMoney(change: InvoiceChange, after: Invoice, receivedMinor: number): void {
  if (after.status === 'paid' && change.invoice.status !== 'paid') change.enrol();
  else if (after.status === 'partially_paid') change.email('payment-received', { extra: { receivedMinor } });
}

// ---- Reversals ----------------------------------------------------------------------------------

export interface ReversalInput {
  paymentEntryId: number;
  reason: string;
  /** The day the money went back (or the day the mistake was found). */
  effectiveOn: string;
  idempotencyKey: string;
}

/**
 * Undoes a payment: a reversal entry linked to it. The invoice goes back to what the money now on
 * it says. Not yet enrolled: the enrolment is stopped. Already enrolled: the invoice stays enrolled
 * and is listed under "Needs attention" until the right payment arrives or staff withdraw the learner.
 */
export function reversePayment(deps: LedgerDeps, actor: InvoiceActor, invoiceId: number, input: ReversalInput): Invoice {
  const { db } = deps;
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'reverse' },
    (change) => {
      const { invoice } = change;
      const payment = findLedgerEntry(db, input.paymentEntryId);
      if (!payment || payment.invoiceId !== invoiceId || payment.kind !== 'payment' || payment.reversedByEntryId !== null) {
        throw new AppError('admin.cannot_reverse', `entry ${input.paymentEntryId} of invoice ${invoice.number}`);
      }
      // Money already paid back cannot also be taken back: refunds stay within what was paid.
      if (invoice.paidMinor - payment.amountMinor < invoice.refundedMinor) {
        throw new AppError(
          'admin.cannot_reverse',
          `invoice ${invoice.number}: ${invoice.refundedMinor} refunded, reversing ${payment.amountMinor} of ${invoice.paidMinor}`,
        );
      }
      const entryId = insertLedgerEntry(db, {
        ...entryBase(change, actor, input.idempotencyKey),
        kind: 'reversal',
        amountMinor: payment.amountMinor,
        effectiveOn: input.effectiveOn,
        reversesEntryId: payment.id,
        reason: input.reason,
      });
      const paidMinor = invoice.paidMinor - payment.amountMinor;
      // Past its expiry date and unpaid again: held for staff, like partially paid invoices, not expired.
      const pastExpiry = invoice.expiresAt <= change.at;
      const after = applyMoney(change, { paidMinor }, pastExpiry ? { expiry_held_at: invoice.expiryHeldAt ?? change.at } : {});
      if (after.status === 'awaiting_payment' || after.status === 'partially_paid') {
        cancelEnrolmentJob(db, invoiceId, 'the payment was reversed', change.at);
      }
      const money = (minor: number) => formatMoney(minor, invoice.currency);
      change.audit({
        action: 'payment.reversed',
        summary:
          `${actor.actorLabel} reversed the payment of ${money(payment.amountMinor)} received ${payment.effectiveOn}: ${input.reason}` +
          (isEnrolledUnpaid(after) ? '; the learner stays enrolled until the right payment is recorded or staff withdraw them' : ''),
        before: { status: invoice.status, paidMinor: invoice.paidMinor },
        after: { status: after.status, paidMinor },
        data: { entryId, reversesEntryId: payment.id },
      });
      return after;
    },
    { alreadyDone: (invoice) => (repeatedEntry(deps, invoiceId, input.idempotencyKey) ? invoice : undefined) },
  );
}

/** Staff withdrew an enrolled learner on OpenLearning after the payment was reversed: the invoice is to be paid again. */
export function markWithdrawn(deps: LedgerDeps, actor: InvoiceActor, invoiceId: number, note: string | null): Invoice {
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'mark_withdrawn' },
    (change) => {
      const { invoice } = change;
      const next = invoice.paidMinor > 0 ? 'partially_paid' : 'awaiting_payment';
      const after = change.transition(next, {
        withdrawn_at: change.at,
        enrolled_at: null,
        ...(invoice.expiresAt <= change.at ? { expiry_held_at: invoice.expiryHeldAt ?? change.at } : {}),
      });
      change.audit({
        action: 'enrolment.withdrawn',
        summary: `${actor.actorLabel} withdrew the learner on OpenLearning (the payment behind the enrolment was reversed)${note ? `: ${note}` : ''}`,
        before: { status: invoice.status },
        after: { status: next },
      });
      return after;
    },
    { alreadyDone: (invoice) => (invoice.withdrawnAt !== null && invoice.status !== 'enrolled' ? invoice : undefined) },
  );
}

// ---- Write-offs -------------------------------------------------------------------------------------

export interface WriteOffInput {
  reason: string;
  idempotencyKey: string;
  /** The balance the form showed: if it changed, someone else recorded money meanwhile. */
  expectedBalanceMinor: number;
}

/** Settles the rest of a part-paid invoice without money; it is then paid, and enrolment follows. */
export function writeOffBalance(deps: LedgerDeps, actor: InvoiceActor, invoiceId: number, input: WriteOffInput): Invoice {
  const { db, config } = deps;
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'write_off', context: (invoice) => lifecycleContext(config, invoice) },
    (change) => {
      const { invoice } = change;
      const balance = balanceMinor(invoice);
      if (balance !== input.expectedBalanceMinor)
        throw new AppError('admin.conflict', `invoice ${invoice.number}: balance ${balance}, form expected ${input.expectedBalanceMinor}`);
      const entryId = insertLedgerEntry(db, {
        ...entryBase(change, actor, input.idempotencyKey),
        kind: 'write_off',
        amountMinor: balance,
        effectiveOn: change.at.slice(0, 10),
        reason: input.reason,
      });
      const after = applyMoney(change, { writtenOffMinor: invoice.writtenOffMinor + balance });
      change.audit({
        action: 'payment.written_off',
        summary: `${actor.actorLabel} wrote off the difference of ${formatMoney(balance, invoice.currency)}: ${input.reason}`,
        before: { status: invoice.status, writtenOffMinor: invoice.writtenOffMinor },
        after: { status: after.status, writtenOffMinor: after.writtenOffMinor },
        data: { entryId },
      });
      followMoney(change, after, 0);
      return after;
    },
    { alreadyDone: (invoice) => (repeatedEntry(deps, invoiceId, input.idempotencyKey) ? invoice : undefined) },
  );
}

// ---- Refunds ---------------------------------------------------------------------------------------

export interface RefundInput {
  amountMinor: number;
  /** When the refund is to be made (or was made, for one paid by other means). */
  effectiveOn: string;
  method: 'bank_transfer' | 'other';
  payeeName: string;
  payeeIban: string | null;
  payeeBic: string | null;
  payeeBsb: string | null;
  payeeAccount: string | null;
  reason: string;
  idempotencyKey: string;
}

/** Records money to pay back: at most what is refundable. Bank transfers wait for a bank file; others are paid already. */
export function recordRefund(deps: LedgerDeps, actor: InvoiceActor, invoiceId: number, input: RefundInput): Invoice {
  const { db } = deps;
  return changeInvoice(
    deps,
    { invoiceId, actor, action: 'refund' },
    (change) => {
      const { invoice } = change;
      const refundable = refundableMinor(invoice);
      if (input.amountMinor <= 0 || input.amountMinor > refundable) {
        throw new AppError('admin.cannot_refund', `invoice ${invoice.number}: refund ${input.amountMinor} of at most ${refundable}`);
      }
      const entryId = insertLedgerEntry(db, {
        ...entryBase(change, actor, input.idempotencyKey),
        kind: 'refund',
        amountMinor: input.amountMinor,
        effectiveOn: input.effectiveOn,
        reason: input.reason,
        method: input.method,
        payeeName: input.payeeName,
        payeeIban: input.payeeIban,
        payeeBic: input.payeeBic,
        payeeBsb: input.payeeBsb,
        payeeAccount: input.payeeAccount,
        refundStatus: input.method === 'bank_transfer' ? 'to_pay' : 'paid',
      });
      if (input.method === 'other') setRefundStatus(db, entryId, 'paid', 'paid', { paidOn: input.effectiveOn });
      const after = applyMoney(change, { refundedMinor: invoice.refundedMinor + input.amountMinor });
      change.audit({
        action: 'refund.recorded',
        summary: `${actor.actorLabel} recorded a refund of ${formatMoney(input.amountMinor, invoice.currency)} to ${input.payeeName} (${input.method === 'bank_transfer' ? 'to pay by bank transfer' : 'paid by other means'}): ${input.reason}`,
        after: { refundedMinor: after.refundedMinor },
        data: { entryId },
      });
      return after;
    },
    { alreadyDone: (invoice) => (repeatedEntry(deps, invoiceId, input.idempotencyKey) ? invoice : undefined) },
  );
}

/** A refund the bank confirmed (or one paid by hand): its money has left. */
export function markRefundPaid(deps: Pick<Deps, 'db' | 'clock'>, actor: InvoiceActor, refundEntryId: number, paidOn: string): void {
  const at = toDbTime(deps.clock.now());
  writeTransaction(deps.db, () => {
    const refund = findLedgerEntry(deps.db, refundEntryId);
    if (!refund || refund.kind !== 'refund') throw new AppError('admin.not_found', `refund ${refundEntryId}`);
    if (refund.refundStatus === 'paid') return;
    if (!setRefundStatus(deps.db, refund.id, refund.refundStatus!, 'paid', { paidOn })) throw new AppError('admin.refund_state', `refund ${refund.id}`);
    appendAudit(deps.db, {
      at,
      actor: actor.actor,
      actorLabel: actor.actorLabel,
      action: 'refund.paid',
      invoiceId: refund.invoiceId,
      summary: `${actor.actorLabel} marked the refund of ${formatMoney(refund.amountMinor, refund.currency)} to ${refund.payeeName ?? 'the payer'} as paid on ${paidOn}`,
      data: { entryId: refund.id },
    });
  });
}

/** The invoice's sums agree with its entries (checked by the invariant tests and `portal ledger check`). */
export function ledgerDisagreement(deps: Pick<Deps, 'db'>, invoice: Invoice): string | undefined {
  const sums = ledgerSums(deps.db, invoice.id);
  for (const key of ['paidMinor', 'writtenOffMinor', 'refundedMinor'] as const) {
    if (sums[key] !== invoice[key]) return `invoice ${invoice.number}: ${key} is ${invoice[key]} but its entries add up to ${sums[key]}`;
  }
  return undefined;
}
