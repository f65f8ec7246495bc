-- The class start date, when OpenLearning's token carries one: the date of supply of a course
-- (SUPPLY_DATE=class_start). OpenLearning does not document such a claim; the portal reads it when
-- it is there (class_start_date, start_date or class_start) and otherwise leaves this empty.
ALTER TABLE enrolment_requests ADD COLUMN class_start_date TEXT;
