-- The ledger behind each invoice: every money movement is an entry, never edited or deleted.
--   payment    money received (a bank transfer), recorded by staff or from a statement line
--   reversal   a payment undone (recorded against the wrong invoice, returned by the bank);
--              linked to the payment it reverses, at most one per payment
--   write_off  the rest of the balance settled without money (a bank fee, a rounding difference)
--   refund     money paid back to the payer; it moves through to_pay -> sent (in a bank file) -> paid
-- The invoice's paid, written-off and refunded amounts are kept next to it as sums of its entries,
-- in the same transaction, so lists read them without adding up entries (a test checks they agree).
CREATE TABLE ledger_entries (
  id INTEGER PRIMARY KEY,
  invoice_id INTEGER NOT NULL REFERENCES invoices (id),
  kind TEXT NOT NULL CHECK (kind IN ('payment', 'reversal', 'write_off', 'refund')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  -- The bank date: received (payment), returned (reversal), paid out (refund); the day of a write-off.
  effective_on TEXT NOT NULL,
  reverses_entry_id INTEGER UNIQUE REFERENCES ledger_entries (id),
  reason TEXT,
  bank_reference TEXT,
  note TEXT,
  payer_name TEXT,
  -- Refunds: where the money goes, and how far it got.
  method TEXT CHECK (method IN ('bank_transfer', 'other')),
  payee_name TEXT,
  payee_iban TEXT,
  payee_bic TEXT,
  payee_bsb TEXT,
  payee_account TEXT,
  refund_status TEXT CHECK (refund_status IN ('to_pay', 'sent', 'paid')),
  refund_file_id INTEGER REFERENCES refund_files (id),
  refund_paid_on TEXT,
  -- One per form or import line: the same request twice records one entry.
  idempotency_key TEXT NOT NULL UNIQUE,
  actor TEXT NOT NULL,
  actor_label TEXT NOT NULL,
  staff_id INTEGER REFERENCES staff (id),
  recorded_at TEXT NOT NULL,
  CHECK ((kind = 'reversal') = (reverses_entry_id IS NOT NULL)),
  CHECK ((kind = 'refund') = (refund_status IS NOT NULL))
);
CREATE INDEX ledger_entries_invoice ON ledger_entries (invoice_id, id);
CREATE INDEX ledger_entries_effective ON ledger_entries (effective_on, id);
CREATE INDEX ledger_entries_refunds ON ledger_entries (refund_status, id) WHERE kind = 'refund';

-- A bank file of refunds (SEPA pain.001 or ABA), kept so it can be downloaded again.
CREATE TABLE refund_files (
  id INTEGER PRIMARY KEY,
  format TEXT NOT NULL CHECK (format IN ('pain.001.001.09', 'pain.001.001.03', 'aba')),
  currency TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  file_name TEXT NOT NULL,
  content TEXT NOT NULL,
  refunds INTEGER NOT NULL,
  total_minor INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);

CREATE TRIGGER refund_files_no_delete BEFORE DELETE ON refund_files
BEGIN
  SELECT RAISE(ABORT, 'refund files are never deleted');
END;

CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are never deleted: record a reversal instead');
END;

-- Only a refund's progress may change; the money movement itself never does.
CREATE TRIGGER ledger_entries_no_edit BEFORE UPDATE ON ledger_entries
WHEN NEW.invoice_id IS NOT OLD.invoice_id OR NEW.kind IS NOT OLD.kind OR NEW.amount_minor IS NOT OLD.amount_minor
  OR NEW.currency IS NOT OLD.currency OR NEW.effective_on IS NOT OLD.effective_on OR NEW.reverses_entry_id IS NOT OLD.reverses_entry_id
  OR NEW.reason IS NOT OLD.reason OR NEW.idempotency_key IS NOT OLD.idempotency_key OR NEW.actor IS NOT OLD.actor
  OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.payee_iban IS NOT OLD.payee_iban OR NEW.payee_account IS NOT OLD.payee_account
  OR NEW.payee_bsb IS NOT OLD.payee_bsb OR NEW.payee_name IS NOT OLD.payee_name
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are never edited: only a refund''s status moves on');
END;

-- Every payment recorded so far becomes a payment entry, with its staff member as the actor.
INSERT INTO ledger_entries (invoice_id, kind, amount_minor, currency, effective_on, bank_reference, note, idempotency_key, actor, actor_label, staff_id, recorded_at)
  SELECT p.invoice_id, 'payment', p.amount_minor, p.currency, p.received_on, p.bank_reference, p.note, p.idempotency_key,
         'staff:' || p.recorded_by, s.email, p.recorded_by, p.recorded_at
  FROM payments p JOIN staff s ON s.id = p.recorded_by ORDER BY p.id;
DROP TRIGGER payments_no_delete;
DROP TABLE payments;

-- Sums of the ledger kept on the invoice (paid_minor already exists: payments minus reversals).
ALTER TABLE invoices ADD COLUMN written_off_minor INTEGER NOT NULL DEFAULT 0 CHECK (written_off_minor >= 0);
ALTER TABLE invoices ADD COLUMN refunded_minor INTEGER NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0);
-- What a credit note took back (the whole total when the invoice was cancelled with one).
ALTER TABLE invoices ADD COLUMN credited_minor INTEGER NOT NULL DEFAULT 0 CHECK (credited_minor >= 0);
-- When staff withdrew an enrolled learner whose payment was reversed.
ALTER TABLE invoices ADD COLUMN withdrawn_at TEXT;

-- Credit notes: their own gapless series (CREDIT_NOTE_PREFIX), one per cancelled invoice. Amounts
-- are stored as printed: the negation of the invoice's net, tax and total.
CREATE TABLE credit_notes (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  invoice_id INTEGER NOT NULL UNIQUE REFERENCES invoices (id),
  issue_date TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  reason TEXT NOT NULL,
  currency TEXT NOT NULL,
  net_minor INTEGER NOT NULL CHECK (net_minor <= 0),
  tax_minor INTEGER NOT NULL CHECK (tax_minor <= 0),
  total_minor INTEGER NOT NULL CHECK (total_minor = net_minor + tax_minor),
  issuer_json TEXT NOT NULL,
  pdf_sha256 TEXT
);

CREATE TRIGGER credit_notes_no_delete BEFORE DELETE ON credit_notes
BEGIN
  SELECT RAISE(ABORT, 'credit notes are never deleted');
END;

-- "Needs attention": enrolled on OpenLearning but the money behind it was reversed.
CREATE INDEX invoices_enrolled_unpaid ON invoices (status, id) WHERE status = 'enrolled' AND paid_minor + written_off_minor < total_minor;
