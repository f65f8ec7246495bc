import type { Context } from 'koa';
import type { Db } from '../../db/connection.js';
import { findInvoiceById } from '../../db/invoices.js';
import type { Invoice } from '../../domain/invoice.js';
import { AppError } from '../../errors.js';

/** Reading staff forms: a trimmed string field, or '' when absent or not a string. */
export function field(body: Record<string, unknown>, name: string, maxLength = 1000): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim().slice(0, maxLength) : '';
}

export function optionalField(body: Record<string, unknown>, name: string, maxLength = 1000): string | null {
  const value = field(body, name, maxLength);
  return value === '' ? null : value;
}

/** Route ids are positive integers; anything else is a 404, not a database query. */
export function idParam(value: string | undefined): number | undefined {
  return value !== undefined && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined;
}

/** The invoice named by the route's :id, or a 404 page. */
export function loadInvoiceParam(db: Db, ctx: Context): Invoice {
  const param = (ctx as Context & { params?: Record<string, string> }).params?.id;
  const id = idParam(param);
  const invoice = id === undefined ? undefined : findInvoiceById(db, id);
  if (!invoice) throw new AppError('admin.not_found', `invoice ${param}`);
  return invoice;
}
