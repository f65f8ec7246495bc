import { addDays, addCalendarDays, calendarDate, toDbTime } from '../clock.js';
import type { Config } from '../config.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { findInvoiceById, findLiveInvoiceFor, insertInvoice, nextInvoiceSeq, paymentReferenceExists } from '../db/invoices.js';
import { findRequestByToken, linkRequestToInvoice } from '../db/requests.js';
import type { BillingDetails } from '../domain/billing-details.js';
import { formatInvoiceNumber, type Invoice, type Issuer } from '../domain/invoice.js';
import { generatePaymentReference } from '../domain/payment-reference.js';
import { invoiceAmounts } from '../domain/tax.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { queueInvoiceEmail } from './emails.js';
import { newSecretToken } from './secret-token.js';

export function issuerFromConfig(config: Config): Issuer {
  return {
    sandbox: config.mode === 'sandbox',
    seller: { name: config.seller.name, address: config.seller.address, taxId: config.seller.taxId ?? null, taxIdLabel: config.seller.taxIdLabel },
    bank: {
      accountName: config.bank.accountName ?? null,
      iban: config.bank.iban ?? null,
      bic: config.bank.bic ?? null,
      details: config.bank.details ?? null,
    },
  };
}

export type IssueResult = { invoice: Invoice; created: boolean };

/**
 * Step 2 of the learner flow. One transaction allocates the next number (gapless: the number is
 * only taken if everything else commits), computes the amounts, stores the invoice and queues its
 * email. Submitting twice, or from two billing pages for the same class, returns the same invoice.
 */
export function issueInvoice(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'views' | 'randomBytes' | 'background'>,
  requestToken: string,
  details: BillingDetails,
): IssueResult {
  const { db, config } = deps;
  const now = deps.clock.now();
  const at = toDbTime(now);
  const result = writeTransaction(db, (): IssueResult => {
    const request = findRequestByToken(db, requestToken);
    if (!request) throw new AppError('billing.not_found', 'unknown billing token');
    if (request.invoiceId !== null) return { invoice: findInvoiceById(db, request.invoiceId)!, created: false };
    if (request.expiresAt <= at)
      throw new AppError('billing.link_expired', `request ${request.id} expired at ${request.expiresAt}`, { courseUrl: request.redirectUrl });

    const live = findLiveInvoiceFor(db, request.olUserId, request);
    if (live) {
      linkRequestToInvoice(db, request.id, live.id);
      return { invoice: live, created: false };
    }

    const seq = nextInvoiceSeq(db);
    let paymentReference: string;
    do paymentReference = generatePaymentReference(deps.randomBytes);
    while (paymentReferenceExists(db, paymentReference));

    const amounts = invoiceAmounts(request.priceMinor, request.currency, config.tax.rate, config.tax.inclusive);
    const issueDate = calendarDate(now, config.timeZone);
    const id = insertInvoice(db, {
      seq,
      number: formatInvoiceNumber(config.invoice.prefix, seq),
      accessToken: newSecretToken(deps.randomBytes),
      paymentReference,
      olUserId: request.olUserId,
      audience: request.audience,
      courseId: request.courseId,
      classId: request.classId,
      programId: request.programId,
      courseTitle: request.title,
      redirectUrl: request.redirectUrl,
      buyerName: details.name,
      buyerEmail: details.email,
      buyerOrganisation: details.organisation,
      buyerAddress: details.address,
      buyerCountry: details.country,
      buyerTaxId: details.taxId,
      buyerPoNumber: details.poNumber,
      buyerReference: details.buyerReference,
      currency: request.currency,
      netMinor: amounts.netMinor,
      taxMinor: amounts.taxMinor,
      totalMinor: amounts.totalMinor,
      taxRate: config.tax.rate.percent,
      taxLabel: config.tax.label,
      taxInclusive: config.tax.inclusive,
      issueDate,
      dueDate: addCalendarDays(issueDate, config.invoice.dueDays),
      issuedAt: at,
      expiresAt: toDbTime(addDays(now, config.invoice.expiryDays)),
      issuer: issuerFromConfig(config),
    });
    linkRequestToInvoice(db, request.id, id);
    const invoice = findInvoiceById(db, id)!;
    appendAudit(db, {
      at: request.createdAt,
      actor: 'learner',
      actorLabel: `OpenLearning user ${request.olUserId}`,
      action: 'enrolment.requested',
      invoiceId: id,
      summary: `Learner clicked "Join now" for ${request.title} (${request.programId !== null ? `program ${request.programId}` : `class ${request.classId}`})`,
      data: {
        jti: request.jti,
        ...(request.programId !== null ? { programId: request.programId } : { courseId: request.courseId, classId: request.classId }),
        priceMinor: request.priceMinor,
        currency: request.currency,
      },
    });
    appendAudit(db, {
      at,
      actor: 'learner',
      actorLabel: details.email,
      action: 'invoice.issued',
      invoiceId: id,
      summary: `Invoice ${invoice.number} issued to ${details.name} <${details.email}>`,
      after: { status: invoice.status, totalMinor: invoice.totalMinor, currency: invoice.currency, dueDate: invoice.dueDate },
    });
    queueInvoiceEmail(deps, invoice, 'invoice', { at, dedupeKey: `invoice:${id}` });
    return { invoice, created: true };
  });
  return result;
}
