/**
 * The learner's side: the External Enrolment URL OpenLearning posts to, the billing form, and the
 * invoice pages. None of it uses cookies: "Join now" is a cross-site POST, and the unguessable
 * token in each URL is the learner's credential.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { toDbTime } from '../clock.js';
import { acceptEnrolment, BILLING_LINK_HOURS, rememberBillingLanguage } from '../commands/accept-enrolment.js';
import { learnerActor } from '../commands/actors.js';
import { followCourseLink, resendInvoiceEmail } from '../commands/invoice-actions.js';
import { ensureCreditNotePdf, ensureInvoicePdf } from '../commands/invoice-pdf.js';
import { creditNoteForInvoice } from '../db/credit-notes.js';
import { issueInvoice } from '../commands/issue-invoice.js';
import { billingLink, invoiceLinks } from '../commands/links.js';
import { looksLikeSecretToken } from '../commands/secret-token.js';
import { findInvoiceByAccessToken, findInvoiceById } from '../db/invoices.js';
import { findRequestByToken, type EnrolmentRequest } from '../db/requests.js';
import { BILLING_FIELDS, parseBillingForm, type BillingField, type FieldError } from '../domain/billing-details.js';
import { countryOptions } from '../domain/countries.js';
import { amountDueMinor, type Invoice } from '../domain/invoice.js';
import { allowedActions, isEnrolling, isOpen } from '../domain/invoice-lifecycle.js';
import { decideInvoiceTax, reverseChargeOffered } from '../commands/invoice-tax.js';
import { formatTaxRate } from '../domain/tax.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { sendEInvoice } from './e-invoice-download.js';
import { chooseLanguage, isLanguage, languageOptions, translator, type Language, type Translator } from '../i18n.js';
import { render } from './render.js';

export function learnerRoutes(deps: Deps): Router {
  const router = new Router();
  const { config, db, clock } = deps;

  function loadRequest(token: string): EnrolmentRequest {
    const request = looksLikeSecretToken(token) ? findRequestByToken(db, token) : undefined;
    if (!request) throw new AppError('billing.not_found', 'unknown billing token');
    return request;
  }

  function loadInvoice(token: string): Invoice {
    const invoice = looksLikeSecretToken(token) ? findInvoiceByAccessToken(db, token) : undefined;
    if (!invoice) throw new AppError('invoice.not_found', 'unknown invoice token');
    return invoice;
  }

  /** The page's language: `?lang=`, else what the learner chose before, else their browser's. */
  function pageLanguage(ctx: Context, remembered: string | null, asked: unknown = ctx.query.lang): Language {
    return chooseLanguage(config.invoice.languages, { asked, remembered, accepted: ctx.acceptsLanguages() });
  }

  /** What every learner page needs for its language: the translator and the switcher's links (same page, other language). */
  function languageContext(ctx: Context, language: Language, form?: string) {
    const options = languageOptions(config.invoice.languages).map((option) => ({ ...option, href: `${ctx.path}?lang=${option.code}` }));
    return { i18n: translator('learner', language), switcher: { languages: options, form } };
  }

  function fieldMessage(i18n: Translator, error: FieldError): string {
    // The tax id check explains in English exactly what is wrong with the number; other languages say it in general terms.
    if (error.code === 'tax_id') return i18n.language === 'en' ? error.detail : i18n.text('billing.error.tax_id');
    return i18n.text(`billing.error.${error.code}`, error.code === 'too_long' ? { max: error.max } : {});
  }

  function renderBillingForm(
    ctx: Context,
    request: EnrolmentRequest,
    language: Language,
    values: Partial<Record<BillingField, string>>,
    fieldErrors: Partial<Record<BillingField, FieldError>>,
  ) {
    const i18n = translator('learner', language);
    const errors = Object.fromEntries(Object.entries(fieldErrors).map(([field, error]) => [field, fieldMessage(i18n, error)]));
    // Who the buyer is (a business with a VAT id of another member state) is known only on submit:
    // the summary shows what everyone else pays, and says when a business pays less.
    const { treatment, amounts } = decideInvoiceTax(config, request.priceMinor, request.currency, { country: null, taxId: null, organisation: null });
    render(ctx, 'learner/billing.njk', {
      ...languageContext(ctx, language, 'billing-form'),
      title: i18n.text('billing.title', { title: request.title }),
      request,
      amounts,
      tax: {
        label: config.tax.label,
        rate: formatTaxRate(treatment.rate),
        inclusive: config.tax.inclusive,
        zero: treatment.rate.numerator === 0n,
        legend: treatment.legend,
        reverseChargeOffered: reverseChargeOffered(config),
      },
      values,
      errors,
      errorCount: Object.keys(errors).length,
      countries: countryOptions(i18n.locale),
      linkHours: BILLING_LINK_HOURS,
      seller: config.seller,
      action: billingLink('', request.token),
    });
  }

  /** OpenLearning's "Join now" lands here (the External Enrolment URL). */
  router.post('enrol', '/enrol', async function receiveEnrolment(ctx) {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const accepted = await acceptEnrolment(deps, body);
    ctx.status = 303;
    ctx.state.logFields = accepted.log;
    if (accepted.kind === 'billing') {
      ctx.redirect(billingLink(config.publicUrl, accepted.token));
    } else {
      ctx.state.logFields = { ...accepted.log, invoice: accepted.invoice.number, existing: true };
      ctx.redirect(invoiceLinks(config.publicUrl, accepted.invoice).status);
    }
  });

  router.get('enrol-get', '/enrol', function explainEnrol() {
    // Someone opened the External Enrolment URL directly: explain instead of a bare 405.
    throw new AppError('token.missing', 'GET /enrol');
  });

  router.get('billing', '/billing/:token', function showBillingForm(ctx) {
    const request = loadRequest(ctx.params.token!);
    if (request.invoiceId !== null) {
      const invoice = findInvoiceById(db, request.invoiceId)!;
      ctx.status = 303;
      return ctx.redirect(invoiceLinks(config.publicUrl, invoice).status);
    }
    if (request.expiresAt <= toDbTime(clock.now()))
      throw new AppError('billing.link_expired', `request ${request.id} expired`, { courseUrl: request.redirectUrl });
    renderBillingForm(ctx, request, pageLanguage(ctx, request.language), {}, {});
  });

  router.post('billing-submit', '/billing/:token', async function submitBillingForm(ctx) {
    const request = loadRequest(ctx.params.token!);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (isLanguage(body.switchLanguage) && request.invoiceId === null) {
      // The language switcher: show the form again in the chosen language with what was typed so far, and remember the choice.
      const language = pageLanguage(ctx, request.language, body.switchLanguage);
      rememberBillingLanguage(deps, request.id, language);
      return renderBillingForm(ctx, request, language, valuesOf(body), {});
    }
    const language = pageLanguage(ctx, request.language, body.language);
    const form = parseBillingForm(body);
    if (!form.ok && request.invoiceId === null) {
      if (request.expiresAt <= toDbTime(clock.now()))
        throw new AppError('billing.link_expired', `request ${request.id} expired`, { courseUrl: request.redirectUrl });
      ctx.status = 422;
      return renderBillingForm(ctx, request, language, form.values, form.errors);
    }
    const { invoice, created } = form.ok
      ? issueInvoice(deps, request.token, form.details, language)
      : { invoice: findInvoiceById(db, request.invoiceId!)!, created: false };
    ctx.state.logFields = { invoice: invoice.number, created, language };
    if (created) {
      // Rendering starts now, on a worker thread, and the learner is not held up for it: a download
      // of the PDF linked from the next page waits for this render. If it fails, the PDF is
      // rendered on first download or by the mail worker.
      void ensureInvoicePdf(deps, invoice).catch((err: unknown) => deps.logger.error({ err, invoice: invoice.number }, 'invoice PDF rendering failed'));
    }
    ctx.status = 303;
    ctx.redirect(`${invoiceLinks(config.publicUrl, invoice).status}/confirmation`);
  });

  function invoicePage(ctx: Context, invoice: Invoice, extra: Record<string, unknown>) {
    const language = pageLanguage(ctx, invoice.language);
    render(ctx, 'learner/invoice.njk', {
      ...languageContext(ctx, language),
      // Links on the page keep a language the learner switched to.
      langParam: isLanguage(ctx.query.lang) ? language : undefined,
      title: translator('learner', language).text('invoice.title', { number: invoice.number }),
      invoice,
      links: invoiceLinks('', invoice),
      amountDueMinor: amountDueMinor(invoice),
      actions: allowedActions(invoice, 'learner'),
      creditNote: creditNoteForInvoice(db, invoice.id),
      open: isOpen(invoice.status),
      enrolling: isEnrolling(invoice.status),
      bank: invoice.issuer.bank,
      seller: invoice.issuer.seller,
      ...extra,
    });
  }

  router.get('invoice', '/i/:token', function showInvoice(ctx) {
    const invoice = loadInvoice(ctx.params.token!);
    invoicePage(ctx, invoice, { resent: ctx.query.resent === '1' });
  });

  router.get('invoice-confirmation', '/i/:token/confirmation', function showConfirmation(ctx) {
    const invoice = loadInvoice(ctx.params.token!);
    invoicePage(ctx, invoice, { confirmation: true });
  });

  router.get('invoice-pdf', '/i/:token/:number.pdf', async function downloadPdf(ctx) {
    const invoice = loadInvoice(ctx.params.token!);
    // The invoice, or the credit note that cancelled it: both are the learner's documents.
    const note = ctx.params.number === invoice.number ? undefined : creditNoteForInvoice(db, invoice.id);
    if (ctx.params.number !== invoice.number && ctx.params.number !== note?.number) throw new AppError('invoice.not_found', `no file ${ctx.params.number}.pdf`);
    ctx.body = note ? await ensureCreditNotePdf(deps, invoice, note) : await ensureInvoicePdf(deps, invoice);
    ctx.type = 'application/pdf';
    ctx.set('Content-Disposition', `inline; filename="${ctx.params.number}.pdf"`);
  });

  // Invoices to organisations only: their accounts departments import these; a private learner has no use for one.
  router.get('invoice-einvoice', '/i/:token/:number.xml', async function downloadEInvoice(ctx) {
    const invoice = loadInvoice(ctx.params.token!);
    const note = ctx.params.number === invoice.number ? undefined : creditNoteForInvoice(db, invoice.id);
    if (!invoice.buyerOrganisation || (ctx.params.number !== invoice.number && ctx.params.number !== note?.number))
      throw new AppError('invoice.not_found', `no e-invoice ${ctx.params.number}`);
    await sendEInvoice(ctx, config, invoice, note);
  });

  router.post('invoice-resend', '/i/:token/resend', function resendInvoice(ctx) {
    const invoice = loadInvoice(ctx.params.token!);
    const status = invoiceLinks(config.publicUrl, invoice).status;
    ctx.status = 303;
    const lang = isLanguage(ctx.query.lang) ? `lang=${ctx.query.lang}` : '';
    // Only an open invoice is worth sending again; for any other the page already says why.
    if (!allowedActions(invoice, 'learner').resend) return ctx.redirect(lang ? `${status}?${lang}` : status);
    try {
      resendInvoiceEmail(deps, learnerActor(invoice), invoice.id);
    } catch (error) {
      if (error instanceof AppError && error.id === 'invoice.resend_too_soon')
        throw new AppError(error.id, error.detail, { backUrl: invoiceLinks('', invoice).status });
      throw error;
    }
    ctx.redirect(`${status}?resent=1${lang ? `&${lang}` : ''}`);
  });

  router.get('invoice-course', '/i/:token/course', function goToCourse(ctx) {
    const invoice = loadInvoice(ctx.params.token!);
    followCourseLink(deps, invoice);
    ctx.redirect(invoice.redirectUrl);
  });

  return router;
}

/** The form's text fields as typed (the switcher keeps them without checking them). */
function valuesOf(body: Record<string, unknown>): Partial<Record<BillingField, string>> {
  return Object.fromEntries(BILLING_FIELDS.map((field) => [field, typeof body[field] === 'string' ? body[field] : '']));
}
