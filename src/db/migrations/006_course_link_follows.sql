-- The learner's course link is also opened by mail scanners and link prefetchers: record when it
-- was first followed (one timeline entry) and count the rest, instead of an audit row per GET.
ALTER TABLE invoices ADD COLUMN course_link_first_followed_at TEXT;
ALTER TABLE invoices ADD COLUMN course_link_follows INTEGER NOT NULL DEFAULT 0;
