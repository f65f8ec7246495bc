/**
 * The ledger's promises under random sequences of payments, reversals, write-offs, refunds and
 * cancellations (fast-check), run through the real commands on a real SQLite file:
 *  - paid = payments - reversals, and the sums kept on the invoice equal its entries;
 *  - refunds never exceed what is refundable, so the balance never goes below what can be paid back;
 *  - a credit note is the exact negation of the invoice it cancels, and numbers stay gapless;
 *  - every entry has an actor and an audit row;
 *  - a refused request (bad input, a double click) writes nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { COMMAND_LINE_ACTOR } from '../../src/commands/actors.js';
import { cancelInvoice } from '../../src/commands/invoice-actions.js';
import { ledgerDisagreement, recordPayment, recordRefund, reversePayment, writeOffBalance } from '../../src/commands/ledger.js';
import { findInvoiceById } from '../../src/db/invoices.js';
import { balanceMinor, refundableMinor } from '../../src/domain/invoice.js';
import { AppError } from '../../src/errors.js';
import { startTestPortal, type TestPortal } from '../helpers/portal.js';
import { seedInvoices } from '../helpers/seed.js';

let t: TestPortal;

beforeAll(async () => {
  t = await startTestPortal();
  // No workers: the enrolment and mail queues fill up, but nothing moves the invoice behind the test's back.
  await t.portal.runner.stop();
});
afterAll(async () => t?.close());

type Op =
  | { kind: 'pay'; amount: number; key: number }
  | { kind: 'reverse'; pick: number; key: number }
  | { kind: 'write_off'; key: number }
  | { kind: 'refund'; amount: number; key: number }
  | { kind: 'cancel' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('pay' as const),
    amount: fc.oneof(fc.integer({ min: 1, max: 120_000 }), fc.constant(110_000), fc.constant(55_000)),
    key: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat(), key: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('write_off' as const), key: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('refund' as const), amount: fc.integer({ min: 1, max: 150_000 }), key: fc.integer({ min: 0, max: 5 }) }),
  fc.constant({ kind: 'cancel' as const }),
);

function snapshot(invoiceId: number) {
  const db = t.portal.deps.db;
  return {
    invoice: db.prepare('SELECT * FROM invoices WHERE id = ?').get(invoiceId),
    entries: (db.prepare('SELECT COUNT(*) AS n FROM ledger_entries WHERE invoice_id = ?').get(invoiceId) as { n: number }).n,
    notes: (db.prepare('SELECT COUNT(*) AS n FROM credit_notes').get() as { n: number }).n,
    audit: (db.prepare('SELECT COUNT(*) AS n FROM audit_log WHERE invoice_id = ?').get(invoiceId) as { n: number }).n,
  };
}

function checkInvariants(invoiceId: number): void {
  const { db } = t.portal.deps;
  const invoice = findInvoiceById(db, invoiceId)!;
  expect(ledgerDisagreement(t.portal.deps, invoice)).toBeUndefined();
  const sums = db
    .prepare(
      `SELECT COALESCE(SUM(CASE WHEN kind = 'payment' THEN amount_minor END), 0) AS payments,
              COALESCE(SUM(CASE WHEN kind = 'reversal' THEN amount_minor END), 0) AS reversals FROM ledger_entries WHERE invoice_id = ?`,
    )
    .get(invoiceId) as { payments: number; reversals: number };
  expect(invoice.paidMinor).toBe(sums.payments - sums.reversals);
  expect(invoice.paidMinor).toBeGreaterThanOrEqual(0);
  // Never more paid back than came in; what is left to refund is money actually held.
  expect(invoice.refundedMinor).toBeLessThanOrEqual(invoice.paidMinor);
  expect(refundableMinor(invoice)).toBeLessThanOrEqual(invoice.paidMinor - invoice.refundedMinor + invoice.writtenOffMinor);
  expect(-balanceMinor(invoice)).toBeLessThanOrEqual(refundableMinor(invoice));
  const note = db.prepare('SELECT net_minor AS net, tax_minor AS tax, total_minor AS total FROM credit_notes WHERE invoice_id = ?').get(invoiceId) as
    { net: number; tax: number; total: number } | undefined;
  if (invoice.status === 'cancelled') {
    expect(note).toEqual({ net: -invoice.netMinor, tax: -invoice.taxMinor, total: -invoice.totalMinor });
    expect(invoice.creditedMinor).toBe(invoice.totalMinor);
  } else {
    expect(note).toBeUndefined();
  }
  const seqs = (db.prepare('SELECT seq FROM credit_notes ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  const orphans = db
    .prepare(
      `SELECT e.id FROM ledger_entries e WHERE e.invoice_id = ? AND (e.actor = '' OR NOT EXISTS (
         SELECT 1 FROM audit_log a WHERE a.invoice_id = e.invoice_id AND json_extract(a.data_json, '$.entryId') = e.id))`,
    )
    .all(invoiceId);
  expect(orphans).toEqual([]);
}

let run = 0;

test('random sequences of payments, reversals, write-offs, refunds and cancellations keep every invariant', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 10 }), (ops) => {
      run++;
      const deps = t.portal.deps;
      const [invoiceId] = seedInvoices(deps, 1);
      const key = (o: { key: number }, what: string) => `run-${run}-${what}-${o.key}-k0123456789`;
      for (const o of ops) {
        const before = snapshot(invoiceId!);
        const invoice = findInvoiceById(deps.db, invoiceId!)!;
        try {
          if (o.kind === 'pay')
            recordPayment(deps, COMMAND_LINE_ACTOR, invoiceId!, {
              amountMinor: o.amount,
              receivedOn: '2026-11-26',
              bankReference: null,
              note: null,
              idempotencyKey: key(o, 'pay'),
            });
          if (o.kind === 'reverse') {
            const payments = deps.db.prepare("SELECT id FROM ledger_entries WHERE invoice_id = ? AND kind = 'payment' ORDER BY id").all(invoiceId) as {
              id: number;
            }[];
            const target = payments.length ? payments[o.pick % payments.length]!.id : 999_999_999;
            reversePayment(deps, COMMAND_LINE_ACTOR, invoiceId!, {
              paymentEntryId: target,
              reason: 'test',
              effectiveOn: '2026-11-27',
              idempotencyKey: key(o, 'reverse'),
            });
          }
          if (o.kind === 'write_off')
            writeOffBalance(deps, COMMAND_LINE_ACTOR, invoiceId!, {
              reason: 'test',
              idempotencyKey: key(o, 'write-off'),
              expectedBalanceMinor: balanceMinor(invoice),
            });
          if (o.kind === 'refund') {
            recordRefund(deps, COMMAND_LINE_ACTOR, invoiceId!, {
              amountMinor: o.amount,
              effectiveOn: '2026-11-28',
              method: 'other',
              payeeName: 'Payer',
              payeeIban: null,
              payeeBic: null,
              payeeBsb: null,
              payeeAccount: null,
              reason: 'test',
              idempotencyKey: key(o, 'refund'),
            });
          }
          if (o.kind === 'cancel') cancelInvoice(deps, COMMAND_LINE_ACTOR, invoiceId!, 'test');
        } catch (error) {
          // Refused with a stable id, and nothing written: not a row, not an audit entry.
          expect(error).toBeInstanceOf(AppError);
          expect(snapshot(invoiceId!)).toEqual(before);
        }
        checkInvariants(invoiceId!);
      }
    }),
    { numRuns: 120 },
  );
});

test('the same request twice (a double click) records one entry', () => {
  const deps = t.portal.deps;
  const [invoiceId] = seedInvoices(deps, 1);
  const payment = { amountMinor: 50_000, receivedOn: '2026-11-26', bankReference: null, note: null, idempotencyKey: 'double-click-payment-0001' };
  recordPayment(deps, COMMAND_LINE_ACTOR, invoiceId!, payment);
  const again = recordPayment(deps, COMMAND_LINE_ACTOR, invoiceId!, payment);
  expect(again.duplicate).toBe(true);
  expect(snapshot(invoiceId!).entries).toBe(1);
  const entry = again.payment.id;
  const reversal = { paymentEntryId: entry, reason: 'wrong invoice', effectiveOn: '2026-11-27', idempotencyKey: 'double-click-reverse-0001' };
  reversePayment(deps, COMMAND_LINE_ACTOR, invoiceId!, reversal);
  reversePayment(deps, COMMAND_LINE_ACTOR, invoiceId!, reversal);
  expect(snapshot(invoiceId!).entries).toBe(2);
  checkInvariants(invoiceId!);
});

// Found by the random sequences above: a written-off shortfall was offered back as a refund.
const refundTo = (amountMinor: number, key: string) => ({
  amountMinor,
  effectiveOn: '2026-11-28',
  method: 'other' as const,
  payeeName: 'Payer',
  payeeIban: null,
  payeeBic: null,
  payeeBsb: null,
  payeeAccount: null,
  reason: 'cancelled',
  idempotencyKey: key,
});

test('a shortfall written off, the payment reversed and the invoice cancelled leaves nothing to refund', () => {
  const deps = t.portal.deps;
  const [invoiceId] = seedInvoices(deps, 1);
  const paid = recordPayment(deps, COMMAND_LINE_ACTOR, invoiceId!, {
    amountMinor: 55_000,
    receivedOn: '2026-11-26',
    bankReference: null,
    note: null,
    idempotencyKey: 'writeoff-reverse-pay-0001',
  });
  writeOffBalance(deps, COMMAND_LINE_ACTOR, invoiceId!, { reason: 'short', idempotencyKey: 'writeoff-reverse-wo-0001', expectedBalanceMinor: 55_000 });
  reversePayment(deps, COMMAND_LINE_ACTOR, invoiceId!, {
    paymentEntryId: paid.payment.id,
    reason: 'bounced',
    effectiveOn: '2026-11-27',
    idempotencyKey: 'writeoff-reverse-rev-0001',
  });
  expect(balanceMinor(findInvoiceById(deps.db, invoiceId!)!)).toBe(55_000);
  cancelInvoice(deps, COMMAND_LINE_ACTOR, invoiceId!, 'bounced');
  const cancelled = findInvoiceById(deps.db, invoiceId!)!;
  expect(balanceMinor(cancelled)).toBe(0);
  expect(refundableMinor(cancelled)).toBe(0);
  expect(() => recordRefund(deps, COMMAND_LINE_ACTOR, invoiceId!, refundTo(1, 'writeoff-reverse-refund-0001'))).toThrow(
    expect.objectContaining({ id: 'admin.cannot_refund' }),
  );
  checkInvariants(invoiceId!);
});
