-- Finance desk: staff accounts and sessions, payments, enrolment through the OpenLearning API,
-- and what the invoice list needs to stay fast with a million invoices.

CREATE TABLE staff (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT,
  role TEXT NOT NULL CHECK (role IN ('admin', 'finance')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  password_changed_at TEXT NOT NULL,
  disabled_at TEXT,
  last_sign_in_at TEXT
);

-- Server-side sessions: the cookie holds a random id, the table holds its SHA-256, so a copy of
-- the database does not contain usable session cookies. Revoking is deleting or stamping a row.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  staff_id INTEGER NOT NULL REFERENCES staff (id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ip TEXT,
  user_agent TEXT,
  revoked_at TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_staff ON sessions (staff_id);

-- Failed sign-ins, keyed by account ('email:...') and by address ('ip:...'), for throttling.
CREATE TABLE sign_in_failures (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);

CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  invoice_id INTEGER NOT NULL REFERENCES invoices (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  received_on TEXT NOT NULL,
  bank_reference TEXT,
  note TEXT,
  -- One per "record payment" form: submitting the same form twice records one payment.
  idempotency_key TEXT NOT NULL UNIQUE,
  recorded_by INTEGER NOT NULL REFERENCES staff (id),
  recorded_at TEXT NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id);

-- One enrolment job per invoice (UNIQUE): whatever is clicked or retried, there is one job.
CREATE TABLE enrolment_jobs (
  id INTEGER PRIMARY KEY,
  invoice_id INTEGER NOT NULL UNIQUE REFERENCES invoices (id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  give_up_at TEXT NOT NULL,
  locked_until TEXT,
  locked_by TEXT,
  last_http_status INTEGER,
  last_message TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX enrolment_jobs_due ON enrolment_jobs (next_attempt_at) WHERE status = 'pending';

-- Each call to OpenLearning. A row is written (and committed) before the call and completed
-- after it, so a call whose outcome was never recorded (the process died) is visible.
CREATE TABLE enrolment_attempts (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES enrolment_jobs (id),
  invoice_id INTEGER NOT NULL REFERENCES invoices (id),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  outcome TEXT CHECK (outcome IN ('enrolled', 'retry', 'rejected', 'unknown')),
  http_status INTEGER,
  message TEXT
);
CREATE INDEX enrolment_attempts_job ON enrolment_attempts (job_id);
CREATE UNIQUE INDEX enrolment_attempts_one_success ON enrolment_attempts (invoice_id) WHERE outcome = 'enrolled';

-- The invoice list: each tab is a status, sorted by issue or due date, newest first.
CREATE INDEX invoices_status_issued ON invoices (status, issued_at, id);
CREATE INDEX invoices_issued ON invoices (issued_at, id);
CREATE INDEX invoices_due ON invoices (due_date, id);
CREATE INDEX invoices_status_total ON invoices (status, total_minor, id);
CREATE INDEX invoices_total ON invoices (total_minor, id);
CREATE INDEX invoices_email ON invoices (buyer_email COLLATE NOCASE);
CREATE INDEX invoices_course_class ON invoices (course_id, class_id);

-- Tab counts without counting a million rows: kept exact by triggers.
CREATE TABLE invoice_status_counts (
  status TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO invoice_status_counts (status, n)
  SELECT s.status, (SELECT COUNT(*) FROM invoices WHERE invoices.status = s.status)
  FROM (SELECT 'awaiting_payment' AS status UNION ALL SELECT 'partially_paid' UNION ALL SELECT 'paid' UNION ALL SELECT 'enrolment_failed'
        UNION ALL SELECT 'enrolled' UNION ALL SELECT 'expired' UNION ALL SELECT 'cancelled') AS s;

CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices
BEGIN
  UPDATE invoice_status_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER invoices_count_update AFTER UPDATE OF status ON invoices WHEN OLD.status <> NEW.status
BEGIN
  UPDATE invoice_status_counts SET n = n - 1 WHERE status = OLD.status;
  UPDATE invoice_status_counts SET n = n + 1 WHERE status = NEW.status;
END;

-- The few distinct course classes and currencies, for the filter drop-downs (so they never scan invoices).
CREATE TABLE known_classes (
  course_id TEXT NOT NULL,
  class_id TEXT NOT NULL,
  title TEXT NOT NULL,
  currency TEXT NOT NULL,
  PRIMARY KEY (course_id, class_id)
) WITHOUT ROWID;
INSERT INTO known_classes (course_id, class_id, title, currency)
  SELECT course_id, class_id, MAX(course_title), MAX(currency) FROM invoices GROUP BY course_id, class_id;

CREATE TRIGGER invoices_known_class AFTER INSERT ON invoices
BEGIN
  INSERT INTO known_classes (course_id, class_id, title, currency) VALUES (NEW.course_id, NEW.class_id, NEW.course_title, NEW.currency)
  ON CONFLICT (course_id, class_id) DO UPDATE SET title = excluded.title, currency = excluded.currency;
END;

-- Substring search over names, emails, organisations and course titles in any script: a
-- trigram full-text index (external content: the text lives only in invoices).
CREATE VIRTUAL TABLE invoices_fts USING fts5 (
  buyer_name, buyer_email, buyer_organisation, course_title,
  content = 'invoices', content_rowid = 'id', tokenize = 'trigram remove_diacritics 1'
);
INSERT INTO invoices_fts (rowid, buyer_name, buyer_email, buyer_organisation, course_title)
  SELECT id, buyer_name, buyer_email, buyer_organisation, course_title FROM invoices;

CREATE TRIGGER invoices_fts_insert AFTER INSERT ON invoices
BEGIN
  INSERT INTO invoices_fts (rowid, buyer_name, buyer_email, buyer_organisation, course_title)
  VALUES (NEW.id, NEW.buyer_name, NEW.buyer_email, NEW.buyer_organisation, NEW.course_title);
END;

CREATE TRIGGER invoices_fts_update AFTER UPDATE OF buyer_name, buyer_email, buyer_organisation, course_title ON invoices
BEGIN
  INSERT INTO invoices_fts (invoices_fts, rowid, buyer_name, buyer_email, buyer_organisation, course_title)
  VALUES ('delete', OLD.id, OLD.buyer_name, OLD.buyer_email, OLD.buyer_organisation, OLD.course_title);
  INSERT INTO invoices_fts (rowid, buyer_name, buyer_email, buyer_organisation, course_title)
  VALUES (NEW.id, NEW.buyer_name, NEW.buyer_email, NEW.buyer_organisation, NEW.course_title);
END;

-- Invoices are never deleted; the database refuses it, like it refuses edits to the audit log.
CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
BEGIN
  SELECT RAISE(ABORT, 'invoices are never deleted: cancel them instead');
END;

CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
  SELECT RAISE(ABORT, 'payments are never deleted');
END;
