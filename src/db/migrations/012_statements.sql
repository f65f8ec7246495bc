-- Bank statements imported by finance staff (camt.052/053/054, MT940, CSV) and their lines, each
-- matched to the invoices it pays. A line is stored once whatever file brought it (dedupe_key), so
-- re-importing a statement, or one that overlaps an earlier one, records nothing twice.
CREATE TABLE statements (
  id INTEGER PRIMARY KEY,
  format TEXT NOT NULL CHECK (format IN ('camt', 'mt940', 'csv')),
  format_detail TEXT NOT NULL,
  -- The bank's id of the file or statement (camt GrpHdr/MsgId, Stmt/Id; MT940 :20:).
  file_id TEXT,
  account TEXT NOT NULL,
  account_currency TEXT,
  file_name TEXT NOT NULL,
  -- The same bytes twice are refused (statement.duplicate_file).
  sha256 TEXT NOT NULL UNIQUE,
  csv_profile TEXT,
  imported_at TEXT NOT NULL,
  imported_by TEXT NOT NULL,
  opening_balance_minor INTEGER,
  opening_balance_currency TEXT,
  opening_balance_date TEXT,
  closing_balance_minor INTEGER,
  closing_balance_currency TEXT,
  closing_balance_date TEXT,
  -- One problem a line: balances that do not add up, a gap since the account's previous statement.
  balance_problems TEXT,
  lines_in_file INTEGER NOT NULL,
  duplicate_lines INTEGER NOT NULL
);
CREATE INDEX statements_account ON statements (account, closing_balance_date);

CREATE TABLE statement_lines (
  id INTEGER PRIMARY KEY,
  statement_id INTEGER NOT NULL REFERENCES statements (id),
  line_index INTEGER NOT NULL,
  "where" TEXT NOT NULL,
  dedupe_key TEXT NOT NULL UNIQUE,
  direction TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
  reversal INTEGER NOT NULL CHECK (reversal IN (0, 1)),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  booking_date TEXT NOT NULL,
  value_date TEXT,
  bank_reference TEXT,
  end_to_end_id TEXT,
  structured_reference TEXT,
  remittance TEXT NOT NULL,
  remittance_parts_json TEXT NOT NULL,
  payer_name TEXT,
  payer_iban TEXT,
  payer_bic TEXT,
  payer_other TEXT,
  return_reason TEXT,
  match_kind TEXT CHECK (match_kind IN ('exact', 'amount_differs', 'suggested', 'unmatched')),
  -- The matcher's LineMatch (allocations, evidence, suggestions) when the line was imported.
  match_json TEXT,
  -- Said beside an unmatched line: "reference of INV-000042, which is already paid".
  match_note TEXT,
  state TEXT NOT NULL CHECK (state IN ('open', 'recorded', 'not_ours', 'ignored')),
  ledger_entry_id INTEGER REFERENCES ledger_entries (id),
  decided_at TEXT,
  decided_by TEXT,
  UNIQUE (statement_id, line_index)
);
CREATE INDEX statement_lines_open ON statement_lines (state, match_kind) WHERE state = 'open';

-- Column mappings for banks' CSV exports, saved by name (besides the built-in ones).
CREATE TABLE csv_profiles (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  json TEXT NOT NULL,
  saved_at TEXT NOT NULL,
  saved_by TEXT NOT NULL
);

-- A payment recorded from a statement line keeps the line and the payer's account, so a refund
-- can be paid back to that account. payee_* stay for refunds: where money goes, not where it came from.
ALTER TABLE ledger_entries ADD COLUMN statement_line_id INTEGER REFERENCES statement_lines (id);
ALTER TABLE ledger_entries ADD COLUMN payer_iban TEXT;
ALTER TABLE ledger_entries ADD COLUMN payer_bic TEXT;
ALTER TABLE ledger_entries ADD COLUMN payer_account TEXT;
CREATE INDEX ledger_entries_statement_line ON ledger_entries (statement_line_id) WHERE statement_line_id IS NOT NULL;

-- The entry's link to its line and the payer's account are set at insert and never change either.
DROP TRIGGER ledger_entries_no_edit;
CREATE TRIGGER ledger_entries_no_edit BEFORE UPDATE ON ledger_entries
WHEN NEW.invoice_id IS NOT OLD.invoice_id OR NEW.kind IS NOT OLD.kind OR NEW.amount_minor IS NOT OLD.amount_minor
  OR NEW.currency IS NOT OLD.currency OR NEW.effective_on IS NOT OLD.effective_on OR NEW.reverses_entry_id IS NOT OLD.reverses_entry_id
  OR NEW.reason IS NOT OLD.reason OR NEW.idempotency_key IS NOT OLD.idempotency_key OR NEW.actor IS NOT OLD.actor
  OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.payee_iban IS NOT OLD.payee_iban OR NEW.payee_account IS NOT OLD.payee_account
  OR NEW.payee_bsb IS NOT OLD.payee_bsb OR NEW.payee_name IS NOT OLD.payee_name
  OR NEW.statement_line_id IS NOT OLD.statement_line_id OR NEW.payer_iban IS NOT OLD.payer_iban OR NEW.payer_bic IS NOT OLD.payer_bic
  OR NEW.payer_account IS NOT OLD.payer_account OR NEW.payer_name IS NOT OLD.payer_name OR NEW.bank_reference IS NOT OLD.bank_reference
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are never edited: only a refund''s status moves on');
END;
