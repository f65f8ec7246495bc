/**
 * The billing details form. Names and addresses are kept exactly as typed (in any script); we only
 * trim surrounding space and refuse invisible control characters, which no real name contains.
 */
import { z } from 'zod';
import { isCountryCode } from './countries.js';
import { validateTaxId, type TaxIdResult } from './tax-ids.js';
import { hasControlCharacters } from './text.js';

export interface BillingDetails {
  name: string;
  email: string;
  organisation: string | null;
  address: string | null;
  country: string | null;
  /** As printed: the canonical form of a recognised number (FR40303265045), free text as typed. */
  taxId: string | null;
  poNumber: string | null;
  /** The tax id as validateTaxId() read it with the billing country; null when none was given. */
  checkedTaxId: Extract<TaxIdResult, { ok: true }> | null;
  /** The reference the buyer's accounts department asked to be quoted. */
  buyerReference: string | null;
}

export type BillingField = Exclude<keyof BillingDetails, 'checkedTaxId'>;

export const BILLING_FIELDS: readonly BillingField[] = ['name', 'email', 'organisation', 'address', 'country', 'taxId', 'poNumber', 'buyerReference'];

// Internationalised addresses are fine (zoë@exämple.com); "a@b" and spaces are typos, not addresses.
const EMAIL_PATTERN =
  /^(?!\.)(?!.*\.\.)[^\s@"<>(),;:\\[\]]{1,64}(?<!\.)@(?=.{1,253}$)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/iu;

/**
 * What is wrong with a field, in words of no language: the page words it in the learner's.
 * `detail` is the tax id check's own (English) explanation.
 */
export type FieldError =
  | { code: 'required_name' | 'required_email' | 'control_characters' | 'email' | 'country' }
  | { code: 'too_long'; max: number }
  | { code: 'tax_id'; detail: string };

// zod carries our codes in the issue's params; the message is only a fallback for logs.
function issue(ctx: z.RefinementCtx, error: FieldError): void {
  ctx.addIssue({ code: 'custom', message: error.code, params: { fieldError: error } });
}

function text(max: number, options: { required?: 'required_name' | 'required_email'; multiline?: boolean }) {
  return z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .superRefine((v, ctx) => {
      if (v === '') {
        if (options.required) issue(ctx, { code: options.required });
        return;
      }
      if ([...v].length > max) issue(ctx, { code: 'too_long', max });
      if (hasControlCharacters(v, { multiline: options.multiline === true })) issue(ctx, { code: 'control_characters' });
    })
    .transform((v) => (v === '' ? null : v));
}

const schema = z.object({
  name: text(200, { required: 'required_name' }),
  email: text(254, { required: 'required_email' }).superRefine((v, ctx) => {
    if (v !== null && !EMAIL_PATTERN.test(v)) issue(ctx, { code: 'email' });
  }),
  organisation: text(200, {}),
  address: text(1000, { multiline: true }),
  country: text(2, {}).superRefine((v, ctx) => {
    if (v !== null && !isCountryCode(v)) issue(ctx, { code: 'country' });
  }),
  taxId: text(50, {}),
  poNumber: text(50, {}),
  buyerReference: text(100, {}),
});

export type BillingFormResult =
  { ok: true; details: BillingDetails } | { ok: false; errors: Partial<Record<BillingField, FieldError>>; values: Record<BillingField, string> };

/**
 * The tax id is read with the country chosen next to it; a number of a known shape that fails its
 * check is an error, so a typo never silently costs a business the reverse charge.
 */
function checkTaxId(taxId: string | null, country: string | null): TaxIdResult | null {
  return taxId === null ? null : validateTaxId(taxId, country);
}

/** Parses the submitted form; on error returns what is wrong with each field and the values as typed. */
export function parseBillingForm(body: Record<string, unknown>): BillingFormResult {
  const input = Object.fromEntries(BILLING_FIELDS.map((f) => [f, typeof body[f] === 'string' ? body[f] : undefined]));
  const parsed = schema.safeParse(input);
  const errors: Partial<Record<BillingField, FieldError>> = {};
  if (parsed.success) {
    const d = parsed.data;
    const checked = checkTaxId(d.taxId, d.country);
    if (checked?.ok === false) errors.taxId = { code: 'tax_id', detail: checked.message };
    else return { ok: true, details: { ...d, name: d.name!, email: d.email!, taxId: checked?.display ?? null, checkedTaxId: checked } };
  } else {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as BillingField;
      errors[field] ??= (issue as { params?: { fieldError?: FieldError } }).params?.fieldError ?? { code: 'control_characters' };
    }
    // Say what is wrong with the tax id now too, rather than after the other fields are fixed.
    const taxId = typeof input.taxId === 'string' ? input.taxId.trim() : '';
    const country = typeof input.country === 'string' && isCountryCode(input.country.trim()) ? input.country.trim() : null;
    const checked = errors.taxId === undefined && taxId !== '' ? checkTaxId(taxId, country) : null;
    if (checked?.ok === false) errors.taxId = { code: 'tax_id', detail: checked.message };
  }
  const values = Object.fromEntries(BILLING_FIELDS.map((f) => [f, (input[f] as string | undefined) ?? ''])) as Record<BillingField, string>;
  return { ok: false, errors, values };
}
