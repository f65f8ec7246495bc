-- Sandbox mode only: the built-in stand-in for OpenLearning records the enrolments the portal
-- makes through its API, so the demo course page can show them. Unused in production.
CREATE TABLE sandbox_enrolments (
  class_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  enrolled_at TEXT NOT NULL,
  PRIMARY KEY (class_id, user_id)
) WITHOUT ROWID;
