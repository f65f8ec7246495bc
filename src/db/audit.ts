import { sql, type Db } from './connection.js';

export interface AuditEntry {
  at: string;
  /** 'system', 'learner', or 'staff:<id>' */
  actor: string;
  actorLabel?: string | null;
  action: string;
  invoiceId?: number | null;
  /** One sentence for the invoice timeline. */
  summary: string;
  before?: unknown;
  after?: unknown;
  data?: unknown;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  actorLabel: string | null;
  action: string;
  invoiceId: number | null;
  summary: string;
  before: unknown;
  after: unknown;
  data: unknown;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** The only way anything is written to the audit log; the database refuses updates and deletes. */
export function appendAudit(db: Db, entry: AuditEntry): void {
  sql(
    db,
    `INSERT INTO audit_log (at, actor, actor_label, action, invoice_id, summary, before_json, after_json, data_json)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    entry.at,
    entry.actor,
    entry.actorLabel ?? null,
    entry.action,
    entry.invoiceId ?? null,
    entry.summary,
    json(entry.before),
    json(entry.after),
    json(entry.data),
  );
}

type RawAuditRow = Omit<AuditRow, 'before' | 'after' | 'data'> & { beforeJson: string | null; afterJson: string | null; dataJson: string | null };

function parseRow(r: RawAuditRow): AuditRow {
  const { beforeJson, afterJson, dataJson, ...rest } = r;
  return { ...rest, before: beforeJson && JSON.parse(beforeJson), after: afterJson && JSON.parse(afterJson), data: dataJson && JSON.parse(dataJson) };
}

const COLUMNS = `id, at, actor, actor_label AS actorLabel, action, invoice_id AS invoiceId, summary,
  before_json AS beforeJson, after_json AS afterJson, data_json AS dataJson`;

export function invoiceTimeline(db: Db, invoiceId: number): AuditRow[] {
  return sql<[number], RawAuditRow>(db, `SELECT ${COLUMNS} FROM audit_log WHERE invoice_id = ? ORDER BY at, id`).all(invoiceId).map(parseRow);
}

export function listAudit(db: Db, options: { beforeId?: number; limit: number }): AuditRow[] {
  return sql<[number, number], RawAuditRow>(db, `SELECT ${COLUMNS} FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`)
    .all(options.beforeId ?? Number.MAX_SAFE_INTEGER, options.limit)
    .map(parseRow);
}
