-- Programs, sold by OpenLearning's institution External Gateway, next to classes of courses.
--
-- An invoice (and the billing request before it) is for either a class (course_id and class_id)
-- or a program (program_id). course_id and class_id were created NOT NULL, and SQLite cannot
-- drop a NOT NULL with ALTER TABLE; rebuilding `invoices` would mean recreating every trigger,
-- index and the full-text table that migrations 001 to 006 hang on it. So a program row keeps
-- course_id and class_id as empty text, and the CHECKs below make that the only shape allowed:
-- exactly one of "class" (both ids non-empty, no program) or "program" (a program id, both empty).
-- The code never reads those empty strings: the Invoice carries `programId` and the views and the
-- enrolment call branch on it.
ALTER TABLE invoices ADD COLUMN program_id TEXT CHECK (
  (program_id IS NULL AND course_id <> '' AND class_id <> '')
  OR (program_id IS NOT NULL AND program_id <> '' AND course_id = '' AND class_id = '')
);
ALTER TABLE enrolment_requests ADD COLUMN program_id TEXT CHECK (
  (program_id IS NULL AND course_id <> '' AND class_id <> '')
  OR (program_id IS NOT NULL AND program_id <> '' AND course_id = '' AND class_id = '')
);

-- "Join now" on a program the learner already has a live invoice for finds it by this.
CREATE INDEX invoices_learner_program ON invoices (ol_user_id, program_id) WHERE program_id IS NOT NULL;

-- The finance desk's course / class filter lists classes; a program row has no class to list.
DROP TRIGGER invoices_known_class;
CREATE TRIGGER invoices_known_class AFTER INSERT ON invoices WHEN NEW.program_id IS NULL
BEGIN
  INSERT INTO known_classes (course_id, class_id, title, currency) VALUES (NEW.course_id, NEW.class_id, NEW.course_title, NEW.currency)
  ON CONFLICT (course_id, class_id) DO UPDATE SET title = excluded.title, currency = excluded.currency;
END;
