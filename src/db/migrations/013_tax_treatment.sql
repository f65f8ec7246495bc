-- What was decided about tax when the invoice was issued, kept on the invoice so its PDF and pages
-- never read today's configuration (like issuer_json for the seller and the bank account).
--   tax_category          EN 16931 VAT category: S standard, AE reverse charge, E exempt, Z zero
--                         rated, O not subject (seller not registered)
--   tax_legend            what the invoice must say about the tax: 'Reverse charge', the exemption reason
--   tax_legal_reference   the law the legend rests on (Article 196 of Council Directive 2006/112/EC)
--   buyer_tax_id_*        the buyer's tax id as checked on the billing form (buyer_tax_id keeps the
--                         printed form): its scheme (eu_vat, au_abn, free_text...), canonical form,
--                         country of registration and the name printed before it (VAT, ABN, Tax ID)
--   supply_date           the date of supply when it differs from the issue date, else NULL
--   invoice_notes         INVOICE_NOTES at issue: the legal text at the foot of the invoice and its credit note
ALTER TABLE invoices ADD COLUMN tax_category TEXT NOT NULL DEFAULT 'S' CHECK (tax_category IN ('S', 'AE', 'E', 'Z', 'O'));
ALTER TABLE invoices ADD COLUMN tax_legend TEXT;
ALTER TABLE invoices ADD COLUMN tax_legal_reference TEXT;
ALTER TABLE invoices ADD COLUMN buyer_tax_id_scheme TEXT;
ALTER TABLE invoices ADD COLUMN buyer_tax_id_normalized TEXT;
ALTER TABLE invoices ADD COLUMN buyer_tax_id_country TEXT;
ALTER TABLE invoices ADD COLUMN buyer_tax_id_label TEXT;
ALTER TABLE invoices ADD COLUMN supply_date TEXT;
ALTER TABLE invoices ADD COLUMN invoice_notes TEXT;

-- Invoices issued before: taxed at the configured rate, or at none.
UPDATE invoices SET tax_category = 'Z' WHERE tax_rate = '0';
