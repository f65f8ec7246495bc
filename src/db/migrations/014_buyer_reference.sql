-- The reference the buyer's accounts department asked the learner to quote (a cost centre, a
-- department code): printed on the invoice and sent as the buyer reference (BT-10) of its e-invoice.
ALTER TABLE invoices ADD COLUMN buyer_reference TEXT;
