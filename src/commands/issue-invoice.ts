import { addDays, addCalendarDays, calendarDate, toDbTime } from '../clock.js';
import type { Config } from '../config.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { findInvoiceById, findLiveInvoiceFor, insertInvoice, nextInvoiceSeq, paymentReferenceExists } from '../db/invoices.js';
import { findRequestByToken, linkRequestToInvoice } from '../db/requests.js';
import type { BillingDetails } from '../domain/billing-details.js';
import { formatInvoiceNumber, type Invoice, type Issuer } from '../domain/invoice.js';
import { bankAccountFor } from '../domain/bank-accounts.js';
import { generatePaymentReference } from '../domain/payment-reference.js';
import type { Language } from '../i18n.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { queueInvoiceEmail } from './emails.js';
import { decideInvoiceTax } from './invoice-tax.js';
import { newSecretToken } from './secret-token.js';

/** The seller and the one account an invoice in `currency` is paid into, as they are now. */
export function issuerFromConfig(config: Config, currency: string): Issuer {
  const account = bankAccountFor(config.bank.accounts, currency);
  return {
    sandbox: config.mode === 'sandbox',
    seller: {
      name: config.seller.name,
      address: config.seller.address,
      taxId: config.seller.taxId ?? null,
      taxIdLabel: config.seller.taxIdLabel,
      country: config.seller.country,
      registered: !config.seller.taxIdNone,
    },
    bank: {
      accountName: account?.accountName ?? null,
      iban: account?.iban ?? null,
      bic: account?.bic ?? null,
      bsb: account?.bsb ?? null,
      accountNumber: account?.accountNumber ?? null,
      details: account?.details ?? null,
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
  /** The language the learner filled the form in: their emails and the PDF use it. */
  language: Language = 'en',
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

    const buyerTaxId = details.checkedTaxId;
    const { treatment, amounts } = decideInvoiceTax(config, request.priceMinor, request.currency, {
      country: details.country,
      taxId: buyerTaxId,
      organisation: details.organisation,
    });
    const issueDate = calendarDate(now, config.timeZone);
    const id = insertInvoice(db, {
      seq,
      number: formatInvoiceNumber(config.invoice.prefix, seq),
      accessToken: newSecretToken(deps.randomBytes, now),
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
      buyerTaxIdScheme: buyerTaxId?.scheme ?? null,
      buyerTaxIdNormalized: buyerTaxId?.normalized ?? null,
      buyerTaxIdCountry: buyerTaxId?.country ?? null,
      buyerTaxIdLabel: buyerTaxId?.label ?? null,
      buyerReference: details.buyerReference,
      currency: request.currency,
      netMinor: amounts.netMinor,
      taxMinor: amounts.taxMinor,
      totalMinor: amounts.totalMinor,
      taxRate: treatment.rate.percent,
      taxLabel: config.tax.label,
      taxInclusive: config.tax.inclusive,
      taxCategory: treatment.category,
      taxLegend: treatment.legend,
      taxLegalReference: treatment.legalReference,
      issueDate,
      // SUPPLY_DATE=class_start: the class start date when the token carried one, else the issue
      // date (stored as null: the PDF prints a date of supply only when it differs).
      supplyDate: config.invoice.supplyDate === 'class_start' && request.classStartDate && request.classStartDate !== issueDate ? request.classStartDate : null,
      notes: config.invoice.notes ?? null,
      language,
      secondLanguage: config.invoice.secondLanguage !== undefined && config.invoice.secondLanguage !== language ? config.invoice.secondLanguage : null,
      dueDate: addCalendarDays(issueDate, config.invoice.dueDays),
      issuedAt: at,
      expiresAt: toDbTime(addDays(now, config.invoice.expiryDays)),
      issuer: issuerFromConfig(config, request.currency),
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
      after: {
        status: invoice.status,
        totalMinor: invoice.totalMinor,
        currency: invoice.currency,
        dueDate: invoice.dueDate,
        taxCategory: invoice.taxCategory,
        taxRate: invoice.taxRate,
      },
    });
    queueInvoiceEmail(deps, invoice, 'invoice', { at, dedupeKey: `invoice:${id}` });
    return { invoice, created: true };
  });
  return result;
}
