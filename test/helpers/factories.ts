/**
 * Test data through the front door: an issued invoice is a learner who clicked "Join now" and
 * filled in the billing form, over HTTP; a paid one is staff recording the payment through the
 * finance desk's form. Tests say what they need ("an issued invoice", "a paid one") instead of
 * repeating the requests.
 */
import { expect } from 'vitest';
import { locationPath, type TestPortal } from './portal.js';
import { hiddenField, type StaffBrowser } from './staff.js';
import { enrolmentClaims, signEnrolmentToken } from './tokens.js';

export interface IssuedInvoice {
  id: number;
  number: string;
  reference: string;
  /** The learner's private status page, e.g. /i/<token>. */
  statusPath: string;
  name: string;
  email: string;
  sub: string;
  classId: string;
}

let sequence = 0;
let learnersIssued = 0;

/** A fresh learner's claims: its own OpenLearning user and class, so invoices never collide. */
export function learnerClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence++;
  return enrolmentClaims({ sub: `ol-learner-${sequence}`, class: `class-${sequence}`, ...overrides });
}

/** "Join now" with a freshly signed token: the billing page path. */
export async function joinClass(t: TestPortal, claims: Record<string, unknown>): Promise<string> {
  const response = await t.post('/enrol', { jwt: await signEnrolmentToken(claims, { now: t.clock.now() }) });
  expect(response.status, 'POST /enrol').toBe(303);
  return locationPath(response);
}

/** A learner joins a class and gets an invoice; waits for its email to be handled. */
export async function issuedInvoice(
  t: TestPortal,
  options: { claims?: Record<string, unknown>; billing?: Record<string, string> } = {},
): Promise<IssuedInvoice> {
  const claims = learnerClaims(options.claims);
  const billingPath = await joinClass(t, claims);
  const email = options.billing?.email ?? `${String(claims.sub)}@example.com`;
  const name = options.billing?.name ?? `Learner ${++learnersIssued}`;
  const issued = await t.post(billingPath, { name, email, ...options.billing });
  expect(issued.status, 'billing form').toBe(303);
  const statusPath = locationPath(issued).replace(/\/confirmation$/, '');
  const row = t.portal.deps.db
    .prepare('SELECT id, number, payment_reference AS reference FROM invoices WHERE access_token = ?')
    .get(statusPath.split('/')[2]) as { id: number; number: string; reference: string };
  await t.idle();
  return { ...row, statusPath, name, email, sub: String(claims.sub), classId: String(claims.class) };
}

/** The payment form's hidden fields and prefilled amount, as staff see them. */
export async function paymentForm(staff: StaffBrowser, invoiceId: number): Promise<{ idempotencyKey: string; expectedPaid: string; amount: string }> {
  const html = await (await staff.get(`/admin/invoices/${invoiceId}/payment`)).text();
  return {
    idempotencyKey: hiddenField(html, 'idempotencyKey'),
    expectedPaid: hiddenField(html, 'expectedPaid'),
    amount: html.match(/name="amount"[^>]*value="([^"]*)"/)![1]!,
  };
}

/** Staff record a payment through the form (the amount still due unless given). */
export async function recordPaymentAsStaff(
  staff: StaffBrowser,
  invoiceId: number,
  fields: Partial<Record<'amount' | 'receivedOn' | 'bankReference' | 'note', string>> = {},
): Promise<Response> {
  const form = await paymentForm(staff, invoiceId);
  return staff.post(`/admin/invoices/${invoiceId}/payments`, {
    amount: form.amount,
    receivedOn: '2026-11-26',
    bankReference: 'BANK-123',
    note: '',
    idempotencyKey: form.idempotencyKey,
    expectedPaid: form.expectedPaid,
    ...fields,
  });
}

/** An invoice paid in full by staff; waits for the enrolment and emails it leads to. */
export async function paidInvoice(t: TestPortal, staff: StaffBrowser, options: Parameters<typeof issuedInvoice>[1] = {}): Promise<IssuedInvoice> {
  const invoice = await issuedInvoice(t, options);
  const response = await recordPaymentAsStaff(staff, invoice.id);
  expect(response.status, 'payment form').toBe(303);
  await t.idle();
  return invoice;
}
