-- "Join now" posted again (the Back button) leads the learner back to the billing page its token
-- created: found by the token's jti.
CREATE INDEX enrolment_requests_jti ON enrolment_requests (jti);
