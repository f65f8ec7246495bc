-- The invoice list at a million invoices (measured by bench/invoice-list.bench.ts).

-- Search compares invoice numbers case-insensitively (number = ? COLLATE NOCASE), which the BINARY
-- UNIQUE index on number cannot answer: without this index every search read the whole table.
CREATE INDEX invoices_number_nocase ON invoices (number COLLATE NOCASE);

-- Searches shorter than a trigram (two characters: 张伟) use LIKE over these three columns. This
-- covering index is a small fraction of the table, so that scan reads it instead of every invoice.
CREATE INDEX invoices_search_text ON invoices (buyer_name, buyer_organisation, course_title);

-- Filtering by class, newest first: the class's invoices in list order, so a page reads ~50 rows
-- instead of fetching and sorting all of a big class's invoices. It also answers everything the
-- (course_id, class_id) index it replaces did.
CREATE INDEX invoices_class_issued ON invoices (course_id, class_id, issued_at, id);
DROP INDEX invoices_course_class;
