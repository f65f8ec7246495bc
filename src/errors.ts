/**
 * Every error a user can meet has a stable id (for logs, support and the README's troubleshooting
 * table), an HTTP status, and words for the person in front of the page. `detail` is for the log only.
 */

export interface ErrorSpec {
  status: number;
  title: string;
  message: string;
  /** What the person should do next. */
  action?: string;
}

const GO_BACK = 'Go back to the course page on OpenLearning and click "Join now" again.';

export const ERROR_CATALOGUE = {
  // --- The token OpenLearning posts to /enrol -------------------------------------------------
  'token.missing': {
    status: 400,
    title: 'We did not receive your enrolment details',
    message: 'This page must be opened from the "Join now" button of an OpenLearning course.',
    action: GO_BACK,
  },
  'token.malformed': {
    status: 400,
    title: 'Your enrolment link is damaged',
    message: 'The enrolment details sent by OpenLearning could not be read.',
    action: GO_BACK,
  },
  'token.algorithm': {
    status: 400,
    title: 'Your enrolment link could not be verified',
    message: 'The enrolment details were not signed the way OpenLearning signs them.',
    action: GO_BACK,
  },
  'token.bad_signature': {
    status: 400,
    title: 'Your enrolment link could not be verified',
    message: 'We could not confirm that the enrolment details come from OpenLearning.',
    action: `${GO_BACK} If this keeps happening, tell the course team.`,
  },
  'token.unknown_key': {
    status: 400,
    title: 'Your enrolment link could not be verified',
    message: 'The enrolment details were signed with a key we do not know.',
    action: `${GO_BACK} If this keeps happening, tell the course team.`,
  },
  'token.keys_unavailable': {
    status: 503,
    title: 'We cannot check your enrolment link right now',
    message: 'We could not reach OpenLearning to confirm your enrolment details.',
    action: 'Wait a minute, then go back to the course page on OpenLearning and click "Join now" again.',
  },
  'token.expired': {
    status: 400,
    title: 'Your enrolment link has expired',
    message: 'For your security, the link from OpenLearning is only valid for a short time.',
    action: GO_BACK,
  },
  'token.not_yet_valid': {
    status: 400,
    title: 'Your enrolment link is not valid yet',
    message: 'The enrolment details are dated in the future; a clock may be wrong.',
    action: 'Wait a minute, then go back to the course page on OpenLearning and click "Join now" again.',
  },
  'token.wrong_audience': {
    status: 400,
    title: 'This enrolment link is for another institution',
    message: 'The course sent you to the wrong payment page.',
    action: 'Tell the course team; they need to check the External Enrolment URL of the course.',
  },
  'token.unsigned': {
    status: 400,
    title: 'This course is not set up to send signed enrolment details',
    message: 'OpenLearning sent your enrolment details without a signature, so we cannot trust them and have not used them.',
    action:
      'Tell the course team: in OpenLearning, Institution Settings > External Gateway, "Signed Data Transfer" must be switched on. Then go back to the course page and click "Join now" again.',
  },
  'token.lifetime': {
    status: 400,
    title: 'Your enrolment link could not be accepted',
    message: 'The link from OpenLearning is valid for far longer than an enrolment link should be.',
    action: `${GO_BACK} If this keeps happening, tell the course team.`,
  },
  'token.claims': {
    status: 400,
    title: 'Your enrolment link is incomplete',
    message: 'Some details about the class or program were missing or unreadable in the link sent by OpenLearning.',
    action: `${GO_BACK} If this keeps happening, tell the course team.`,
  },
  'token.currency': {
    status: 400,
    title: 'This class has a price we cannot invoice',
    message: 'The currency of the class price is not one we recognise.',
    action: 'Tell the course team; they need to check the class price and currency on OpenLearning.',
  },
  'token.price': {
    status: 400,
    title: 'This class has a price we cannot invoice',
    message: 'The class price is not a valid amount for its currency.',
    action: 'Tell the course team; they need to check the class price on OpenLearning.',
  },
  'token.zero_price': {
    status: 400,
    title: 'This class is free: there is nothing to invoice',
    message: 'The price OpenLearning sent is zero, and this payment page only issues invoices to be paid by bank transfer.',
    action: 'Tell the course team; a free class or program should be set up on OpenLearning without the external payment gateway.',
  },
  'token.redirect_url': {
    status: 400,
    title: 'Your enrolment link is not from a course we know',
    message: 'The link back to the course does not point to OpenLearning.',
    action: 'Tell the course team; they need to check the course set-up.',
  },
  'token.replayed': {
    status: 409,
    title: 'This enrolment link has already been used',
    message: 'Each "Join now" click can only be used once, for your security (for example after using the browser Back button or reloading).',
    action: GO_BACK,
  },
  'request.too_large': {
    status: 413,
    title: 'That was too much data',
    message: 'The form you sent was larger than we accept.',
    action: 'Go back and try again with shorter text.',
  },
  'request.bad_form': {
    status: 400,
    title: 'We could not read that form',
    message: 'The form was sent in a way we do not understand.',
    action: 'Go back, reload the page and try again.',
  },
  // --- Learner pages ------------------------------------------------------------------------
  'billing.not_found': {
    status: 404,
    title: 'We cannot find this page',
    message: 'This payment link is not valid. It may have been mistyped or cut short.',
    action: GO_BACK,
  },
  'billing.link_expired': {
    status: 410,
    title: 'This payment page has expired',
    message: 'Payment pages are valid for 24 hours after you click "Join now".',
    action: GO_BACK,
  },
  'invoice.not_found': {
    status: 404,
    title: 'We cannot find this invoice',
    message: 'This invoice link is not valid. It may have been mistyped or cut short.',
    action: 'Use the link in the email we sent you with your invoice, or contact the course team.',
  },
  'invoice.resend_too_soon': {
    status: 429,
    title: 'We have just sent it',
    message: 'We emailed your invoice a moment ago; it can take a few minutes to arrive.',
    action: 'Check your spam folder. You can ask again in a few minutes.',
  },
  // --- Staff area ----------------------------------------------------------------------------
  'auth.required': { status: 401, title: 'Please sign in', message: 'This page is for finance staff.', action: 'Sign in and try again.' },
  'auth.forbidden': {
    status: 403,
    title: 'Not allowed',
    message: 'Your account does not have permission for this.',
    action: 'Ask an administrator if you need it.',
  },
  'auth.csrf': {
    status: 403,
    title: 'This form has expired',
    message: 'For your security we could not accept this form (it may be stale, or sent from another site).',
    action: 'Go back, reload the page and try again.',
  },
  'admin.bad_date': {
    status: 400,
    title: 'That is not a real date',
    message: 'A date in the address is not a real date (dates are written YYYY-MM-DD, e.g. 2026-02-28).',
    action: 'Go back to the invoice list and pick the dates again.',
  },
  'admin.not_found': { status: 404, title: 'Not found', message: 'There is nothing at this address.', action: 'Go back to the invoice list.' },
  'admin.conflict': {
    status: 409,
    title: 'This changed in the meantime',
    message: 'Someone or something changed this invoice while you were looking at it.',
    action: 'Reload the invoice and check before trying again.',
  },
  'admin.payment_on_cancelled': {
    status: 409,
    title: 'This invoice is cancelled',
    message: 'Payments cannot be recorded on a cancelled invoice.',
    action: 'If money arrived for it, refund it or ask the learner to join again and record it on the new invoice.',
  },
  'admin.cannot_cancel': {
    status: 409,
    title: 'This invoice cannot be cancelled',
    message: 'Only unpaid, partially paid or expired invoices can be cancelled.',
    action: 'Go back to the invoice.',
  },
  'admin.cannot_write_off': {
    status: 409,
    title: 'This invoice cannot be written off',
    message: 'Only the rest of a partially paid invoice can be written off, and finance staff may write off at most the amount PAYMENT_TOLERANCE allows.',
    action: 'Record the rest of the payment, or ask an administrator to write off a larger difference.',
  },
  'admin.cannot_reverse': {
    status: 409,
    title: 'This payment cannot be reversed',
    message: 'It has been reversed already, or it is not a payment of this invoice.',
    action: 'Reload the invoice and check its payments.',
  },
  'admin.cannot_refund': {
    status: 409,
    title: 'Nothing to refund',
    message: 'A refund can be at most what was paid beyond what the invoice asks for (or everything paid on a cancelled invoice).',
    action: 'Reload the invoice and check its balance.',
  },
  'admin.refund_state': {
    status: 409,
    title: 'This refund has moved on',
    message: 'It was already sent in a bank file or marked as paid.',
    action: 'Reload the refunds list.',
  },
  'bank_file.invalid': {
    status: 422,
    title: 'The bank file could not be made',
    message: 'Some refunds or bank settings cannot be written in the bank file format; each problem is listed.',
    action: 'Correct the refunds or settings listed, then make the file again.',
  },
  // --- Bank statements ---------------------------------------------------------------------------
  'statement.unreadable': {
    status: 422,
    title: 'This bank statement could not be read',
    message: 'The file is not a statement we can read, or part of it is damaged; nothing of it was stored.',
    action: 'Check the problem shown (it names the line or element), export the statement again from the bank, or pick the right format or CSV profile.',
  },
  'statement.duplicate_file': {
    status: 409,
    title: 'This statement was imported before',
    message: 'The same file was imported earlier; nothing was recorded twice.',
    action: 'Open the earlier import to review its lines.',
  },
  'statement.unknown_csv_profile': {
    status: 422,
    title: 'Unknown CSV profile',
    message: 'There is no CSV profile by that name.',
    action: 'Pick one of the built-in profiles (commbank, westpac, wise, generic) or save your bank’s profile first.',
  },
  'statement.bad_csv_profile': {
    status: 422,
    title: 'This CSV profile is not valid',
    message: 'The profile must be JSON with a name and the columns of the bank’s CSV export; each problem is listed.',
    action: 'Correct the profile and save it again.',
  },
  'statement.line_decided': {
    status: 409,
    title: 'This statement line was already dealt with',
    message: 'It was recorded as a payment, marked as not ours, or is not a payment received.',
    action: 'Reload the statement to see what was done with it.',
  },
  'statement.wrong_currency': {
    status: 409,
    title: 'The payment is in another currency',
    message: 'The statement line is not in the invoice’s currency, so it cannot be recorded on it as it is.',
    action: 'Record the payment on the invoice by hand with the amount the bank credited in the invoice’s currency.',
  },
  'einvoice.invalid': {
    status: 409,
    title: 'This e-invoice cannot be made',
    message: 'The invoice lacks something the European e-invoice standard (EN 16931) requires, so no e-invoice file was made.',
    action: 'The log lists the rules it breaks (often SELLER_ELECTRONIC_ADDRESS or the seller tax id is missing); fix the setting and try again.',
  },
  // --- Generic -------------------------------------------------------------------------------
  not_found: { status: 404, title: 'Page not found', message: 'There is nothing at this address.' },
  method_not_allowed: { status: 405, title: 'Not allowed', message: 'This address does not accept that kind of request.' },
  'storage.full': {
    status: 503,
    title: 'We cannot save anything right now',
    message: 'The server has run out of storage space, so nothing was saved. Nothing was charged and your details are safe.',
    action: 'Please try again later. If it keeps happening, contact the course team.',
  },
  internal: {
    status: 500,
    title: 'Something went wrong on our side',
    message: 'We could not complete your request. Nothing was charged and your details are safe.',
    action: 'Please try again in a few minutes. If it keeps happening, contact the course team and quote the reference below.',
  },
} satisfies Record<string, ErrorSpec>;

export type ErrorId = keyof typeof ERROR_CATALOGUE;

/**
 * The errors a learner can meet. Their words are translated in the learner catalogues
 * (error.<id>.title, .message and .action); this catalogue is the English. Staff errors stay English.
 */
export const LEARNER_ERROR_IDS = [
  'token.missing',
  'token.malformed',
  'token.algorithm',
  'token.bad_signature',
  'token.unknown_key',
  'token.keys_unavailable',
  'token.expired',
  'token.not_yet_valid',
  'token.wrong_audience',
  'token.unsigned',
  'token.lifetime',
  'token.claims',
  'token.currency',
  'token.price',
  'token.zero_price',
  'token.redirect_url',
  'token.replayed',
  'request.too_large',
  'request.bad_form',
  'billing.not_found',
  'billing.link_expired',
  'invoice.not_found',
  'invoice.resend_too_soon',
  'not_found',
  'method_not_allowed',
  'storage.full',
  'internal',
] as const satisfies readonly ErrorId[];

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly id: ErrorId,
    /** Precise reason for the log (never shown to the user). */
    readonly detail?: string,
    /** Extra values for the page template (e.g. a link back to the course). */
    readonly pageData: Record<string, unknown> = {},
  ) {
    super(detail ? `${id}: ${detail}` : id);
    this.name = 'AppError';
    this.status = ERROR_CATALOGUE[id].status;
  }

  get spec(): ErrorSpec {
    return ERROR_CATALOGUE[this.id];
  }
}
