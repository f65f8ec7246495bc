-- The language a learner reads the portal in: chosen on the billing page (remembered on the
-- request when switched), then kept on the invoice for every later email and the PDF. The second
-- language is INVOICE_SECOND_LANGUAGE at issue, so a re-rendered PDF is the same.
ALTER TABLE enrolment_requests ADD COLUMN language TEXT;
ALTER TABLE invoices ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE invoices ADD COLUMN second_language TEXT;
