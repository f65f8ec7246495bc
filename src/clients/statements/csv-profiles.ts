/**
 * How a bank's CSV export is read: which columns hold what, and the file's conventions. Staff will
 * save their own profiles by name (they arrive as JSON), so the shape is a zod schema.
 */
import { z } from 'zod';
import { isCurrencyCode } from '../../domain/currencies.js';

/** A column by its header text (case, accents and punctuation ignored), by 0-based index, or the first header found among several names. */
export const columnRefSchema = z.union([z.string().min(1), z.number().int().min(0), z.object({ anyOf: z.array(z.string().min(1)).min(1) }).strict()]);
export type ColumnRef = z.infer<typeof columnRefSchema>;

export const csvColumnsSchema = z
  .object({
    date: columnRefSchema,
    valueDate: columnRefSchema.optional(),
    /** Signed amount: negative is money out. */
    amount: columnRefSchema.optional(),
    /** Or two columns; their values' signs are ignored (some banks write debits as negatives, some not). */
    credit: columnRefSchema.optional(),
    debit: columnRefSchema.optional(),
    /** One or several text columns, joined in this order. */
    description: z.union([columnRefSchema, z.array(columnRefSchema).min(1)]).optional(),
    reference: columnRefSchema.optional(),
    endToEndId: columnRefSchema.optional(),
    payerName: columnRefSchema.optional(),
    payerAccount: columnRefSchema.optional(),
    bankReference: columnRefSchema.optional(),
    currency: columnRefSchema.optional(),
    /** The statement's own account, when the export repeats it on each row (Westpac). */
    account: columnRefSchema.optional(),
    /** Running balance; read by nobody, listed so a profile can say the column is known. */
    balance: columnRefSchema.optional(),
  })
  .strict()
  .refine((columns) => (columns.amount !== undefined) !== (columns.credit !== undefined || columns.debit !== undefined), {
    message: 'map either "amount" (signed) or "credit" and/or "debit", not both and not neither',
  });
export type CsvColumns = z.infer<typeof csvColumnsSchema>;

export const DATE_FORMAT = /^(?:d{1,2}|m{1,2}|y{2}|y{4})([./ -]?)(?:d{1,2}|m{1,2}|y{2}|y{4})\1(?:d{1,2}|m{1,2}|y{2}|y{4})$/;

export const csvProfileSchema = z
  .object({
    name: z.string().min(1).max(100),
    encoding: z.enum(['auto', 'utf-8', 'windows-1252', 'latin1', 'utf-16le', 'utf-16be']).optional(),
    delimiter: z.enum([',', ';', '\t', '|']).optional(),
    decimal: z.enum(['.', ',']).optional(),
    /** Like "dd/mm/yyyy", "d/m/yy", "yyyy-mm-dd", "dd.mm.yyyy", "mm/dd/yyyy"; unset: guessed, day first. */
    dateFormat: z
      .string()
      .regex(DATE_FORMAT, 'a date format is made of dd, mm and yyyy (or d, m, yy) with one separator, e.g. "dd/mm/yyyy"')
      .refine((format) => ['d', 'm', 'y'].every((letter) => format.includes(letter)), 'a date format needs a day, a month and a year')
      .optional(),
    /** Whether a header row names the columns; lines before it (a bank's preamble) are skipped. */
    header: z.boolean(),
    /** Lines to skip before the header (or the first row) when the preamble could look like data. */
    skipRows: z.number().int().min(0).max(1000).optional(),
    /** Every amount's currency, when the file has no currency column. */
    currency: z.string().refine(isCurrencyCode, 'not an ISO 4217 currency code').optional(),
    /** Column mapping, or 'auto' to guess from common header names (needs a header row). */
    columns: z.union([z.literal('auto'), csvColumnsSchema]),
  })
  .strict()
  .superRefine((profile, context) => {
    if (profile.columns === 'auto' && !profile.header) {
      context.addIssue({ code: 'custom', path: ['columns'], message: 'columns can only be guessed from a header row' });
    }
    if (profile.columns !== 'auto' && !profile.header) {
      for (const [role, ref] of Object.entries(profile.columns)) {
        const refs = Array.isArray(ref) ? ref : [ref];
        if (refs.some((one) => typeof one !== 'number')) {
          context.addIssue({ code: 'custom', path: ['columns', role], message: 'without a header row, columns are given by 0-based index' });
        }
      }
    }
  });
export type CsvProfile = z.infer<typeof csvProfileSchema>;

export const BUILT_IN_CSV_PROFILES: Record<string, CsvProfile> = {
  // NetBank "Export transactions" CSV: no header; date, signed amount ("+1200.00", "-45.00"), description, balance.
  commbank: {
    name: 'commbank',
    header: false,
    delimiter: ',',
    decimal: '.',
    dateFormat: 'dd/mm/yyyy',
    currency: 'AUD',
    columns: { date: 0, amount: 1, description: 2, balance: 3 },
  },
  // Westpac Online Banking standard CSV export.
  westpac: {
    name: 'westpac',
    header: true,
    delimiter: ',',
    decimal: '.',
    dateFormat: 'dd/mm/yyyy',
    currency: 'AUD',
    columns: { account: 'Bank Account', date: 'Date', description: 'Narrative', debit: 'Debit Amount', credit: 'Credit Amount' },
  },
  // Wise per-currency balance statement ("Statement" CSV of one balance); the ID column was "TransferWise ID".
  wise: {
    name: 'wise',
    header: true,
    delimiter: ',',
    decimal: '.',
    columns: {
      bankReference: { anyOf: ['TransferWise ID', 'ID'] },
      date: { anyOf: ['Date', 'Date Time'] },
      amount: 'Amount',
      currency: 'Currency',
      description: 'Description',
      reference: 'Payment Reference',
      payerName: 'Payer Name',
      balance: 'Running Balance',
    },
  },
  // Any file with a header row: columns, delimiter, decimal mark, date format and encoding guessed.
  generic: { name: 'generic', header: true, columns: 'auto' },
};
