import { sql, type Db } from './connection.js';

export interface Payment {
  id: number;
  invoiceId: number;
  amountMinor: number;
  currency: string;
  receivedOn: string;
  bankReference: string | null;
  note: string | null;
  idempotencyKey: string;
  recordedBy: number;
  recordedByEmail: string;
  recordedAt: string;
}

const COLUMNS = `payments.id, invoice_id AS invoiceId, amount_minor AS amountMinor, currency, received_on AS receivedOn,
  bank_reference AS bankReference, note, idempotency_key AS idempotencyKey, recorded_by AS recordedBy,
  staff.email AS recordedByEmail, recorded_at AS recordedAt`;

export function findPaymentByIdempotencyKey(db: Db, key: string): Payment | undefined {
  return sql<[string], Payment>(db, `SELECT ${COLUMNS} FROM payments JOIN staff ON staff.id = payments.recorded_by WHERE idempotency_key = ?`).get(key);
}

export function paymentsForInvoice(db: Db, invoiceId: number): Payment[] {
  return sql<[number], Payment>(
    db,
    `SELECT ${COLUMNS} FROM payments JOIN staff ON staff.id = payments.recorded_by WHERE invoice_id = ? ORDER BY payments.id`,
  ).all(invoiceId);
}

export function insertPayment(db: Db, p: Omit<Payment, 'id' | 'recordedByEmail'>): number {
  return Number(
    sql(
      db,
      `INSERT INTO payments (invoice_id, amount_minor, currency, received_on, bank_reference, note, idempotency_key, recorded_by, recorded_at)
      VALUES (@invoiceId, @amountMinor, @currency, @receivedOn, @bankReference, @note, @idempotencyKey, @recordedBy, @recordedAt)`,
    ).run(p).lastInsertRowid,
  );
}

/** The date the last payment was received (for the CSV export). */
export function lastPaymentDate(db: Db, invoiceId: number): string | undefined {
  return (sql(db, 'SELECT MAX(received_on) AS d FROM payments WHERE invoice_id = ?').get(invoiceId) as { d: string | null }).d ?? undefined;
}
