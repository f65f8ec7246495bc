-- Expiring an invoice moved it from the 'awaiting_payment' to the 'expired' part of four
-- status-prefixed indexes, each move costing the expiry job about as much as the others
-- (bench/jobs.bench.ts). Two of them never need the expired part: (status, expires_at) serves the
-- jobs, which look only for open invoices, and the finance desk's expired tab sorted by amount
-- walks the plain (total_minor, id) index instead, keeping the expired rows, a large share of it.
-- The expired tab's date sorts (issued, due) still read their status index: newest first, the
-- plain index would start with a month of invoices that are not expired yet.
--
-- SQLite uses a partial index only when the query's WHERE names the index's condition, so the
-- queries meant for these two say `status <> 'expired'` (NOT_EXPIRED in src/db/invoices.ts).
DROP INDEX invoices_status_total;
DROP INDEX invoices_status_expiry;
CREATE INDEX invoices_status_total ON invoices (status, total_minor, id) WHERE status <> 'expired';
CREATE INDEX invoices_status_expiry ON invoices (status, expires_at) WHERE status <> 'expired';
