import { addCalendarDays, addDays, calendarDate, toDbTime } from '../../src/clock.js';
import { issuerFromConfig } from '../../src/commands/issue-invoice.js';
import { writeTransaction } from '../../src/db/connection.js';
import { insertInvoice, nextInvoiceSeq } from '../../src/db/invoices.js';
import { mod97CheckDigits } from '../../src/domain/iban.js';
import { formatInvoiceNumber } from '../../src/domain/invoice.js';
import type { Deps } from '../../src/deps.js';

/**
 * Inserts `count` awaiting-payment invoices directly (fast), issued at the clock's now. Used by
 * the job tests and by bench/jobs.bench.ts.
 */
export function seedInvoices(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  count: number,
  overrides: { dueDays?: number; expiryDays?: number; email?: (i: number) => string; reference?: (seq: number) => string } = {},
): number[] {
  const { db, config, clock } = deps;
  const now = clock.now();
  const issueDate = calendarDate(now, config.timeZone);
  return writeTransaction(db, () => {
    const ids: number[] = [];
    let seq = nextInvoiceSeq(db);
    for (let i = 0; i < count; i++, seq++) {
      ids.push(
        insertInvoice(db, {
          seq,
          number: formatInvoiceNumber(config.invoice.prefix, seq),
          accessToken: `seed${String(seq).padStart(39, '0')}`,
          paymentReference: overrides.reference?.(seq) ?? referenceFor(seq),
          olUserId: `seed-user-${seq}`,
          audience: config.openlearning.audience,
          courseId: 'seed-course',
          classId: `seed-class-${seq}`,
          courseTitle: 'Seeded Course',
          redirectUrl: 'https://www.openlearning.com/seeded/',
          buyerName: `Seeded Learner ${seq}`,
          buyerEmail: overrides.email?.(i) ?? `seed${seq}@example.com`,
          buyerOrganisation: null,
          buyerAddress: null,
          buyerCountry: null,
          buyerTaxId: null,
          buyerPoNumber: null,
          buyerTaxIdScheme: null,
          buyerTaxIdNormalized: null,
          buyerTaxIdCountry: null,
          buyerTaxIdLabel: null,
          currency: 'AUD',
          netMinor: 100000,
          taxMinor: 10000,
          totalMinor: 110000,
          taxRate: '10',
          taxLabel: 'GST',
          taxInclusive: true,
          taxCategory: 'S',
          taxLegend: null,
          taxLegalReference: null,
          issueDate,
          supplyDate: null,
          notes: null,
          dueDate: addCalendarDays(issueDate, overrides.dueDays ?? config.invoice.dueDays),
          issuedAt: toDbTime(now),
          expiresAt: toDbTime(addDays(now, overrides.expiryDays ?? config.invoice.expiryDays)),
          issuer: issuerFromConfig(config, 'AUD'),
        }),
      );
    }
    return ids;
  });
}

/** A valid (mod-97) payment reference derived from the sequence number, unique per invoice. */
export function referenceFor(seq: number): string {
  const body = String(900_000_000 + seq);
  return body + mod97CheckDigits(`${body}00`);
}
