-- Conventions: instants are ISO-8601 UTC text ('2026-11-26T14:22:00.000Z', sortable as text);
-- calendar dates are 'YYYY-MM-DD' in the configured TIMEZONE; money is INTEGER minor units next to
-- an ISO 4217 code.

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Single use of the OpenLearning token: a jti seen once is refused afterwards. Rows can be purged
-- once the token itself has expired (it would be refused as expired anyway).
CREATE TABLE used_tokens (
  jti TEXT PRIMARY KEY,
  audience TEXT NOT NULL,
  used_at TEXT NOT NULL,
  token_expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX used_tokens_expiry ON used_tokens (token_expires_at);

-- An accepted "Join now": what OpenLearning told us, waiting for the learner's billing details.
CREATE TABLE enrolment_requests (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  jti TEXT NOT NULL,
  ol_user_id TEXT NOT NULL,
  audience TEXT NOT NULL,
  course_id TEXT NOT NULL,
  class_id TEXT NOT NULL,
  title TEXT NOT NULL,
  currency TEXT NOT NULL,
  price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
  redirect_url TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  invoice_id INTEGER REFERENCES invoices (id)
);
CREATE INDEX enrolment_requests_unused ON enrolment_requests (expires_at) WHERE invoice_id IS NULL;

CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  access_token TEXT NOT NULL UNIQUE,
  payment_reference TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'partially_paid', 'paid', 'enrolment_failed', 'enrolled', 'expired', 'cancelled')),
  ol_user_id TEXT NOT NULL,
  audience TEXT NOT NULL,
  course_id TEXT NOT NULL,
  class_id TEXT NOT NULL,
  course_title TEXT NOT NULL,
  redirect_url TEXT NOT NULL,
  buyer_name TEXT NOT NULL,
  buyer_email TEXT NOT NULL,
  buyer_organisation TEXT,
  buyer_address TEXT,
  buyer_country TEXT,
  buyer_tax_id TEXT,
  buyer_po_number TEXT,
  currency TEXT NOT NULL,
  net_minor INTEGER NOT NULL CHECK (net_minor >= 0),
  tax_minor INTEGER NOT NULL CHECK (tax_minor >= 0),
  total_minor INTEGER NOT NULL CHECK (total_minor = net_minor + tax_minor),
  paid_minor INTEGER NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
  tax_rate TEXT NOT NULL,
  tax_label TEXT NOT NULL,
  tax_inclusive INTEGER NOT NULL CHECK (tax_inclusive IN (0, 1)),
  issue_date TEXT NOT NULL,
  due_date TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  paid_at TEXT,
  enrolled_at TEXT,
  expired_at TEXT,
  cancelled_at TEXT,
  cancel_reason TEXT,
  -- Seller and bank details as printed on the PDF, so the status page always matches the invoice.
  issuer_json TEXT NOT NULL,
  pdf_sha256 TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX invoices_learner_class ON invoices (ol_user_id, class_id);
CREATE INDEX invoices_status_expiry ON invoices (status, expires_at);
CREATE INDEX invoices_status_due ON invoices (status, due_date);

-- Emails are written here in the same transaction as the change they announce, then delivered
-- by a worker with retries: an SMTP outage delays mail, it never loses it. A row is small (kind,
-- recipient, subject, a little context); the body is rendered from the templates when it is sent.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  invoice_id INTEGER REFERENCES invoices (id),
  dedupe_key TEXT UNIQUE,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  context_json TEXT NOT NULL DEFAULT '{}',
  attach_invoice_pdf INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  locked_until TEXT,
  locked_by TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  message_id TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_invoice ON outbox (invoice_id);

-- Append-only record of every change of state, by whom, with values before and after. It is also
-- the invoice timeline. The triggers make "append-only" a property of the database, not a promise.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_label TEXT,
  action TEXT NOT NULL,
  invoice_id INTEGER REFERENCES invoices (id),
  summary TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT,
  data_json TEXT
);
CREATE INDEX audit_log_invoice ON audit_log (invoice_id, id) WHERE invoice_id IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
