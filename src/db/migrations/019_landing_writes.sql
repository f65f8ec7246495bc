-- A landing wrote three random keys into three B-trees (the jti into used_tokens, and into
-- enrolment_requests_jti; the billing token into enrolment_requests' unique index), each a
-- different page at every commit. The jti is now written once: the spent token points at the
-- billing request it created, which is how "Join now" posted again finds its billing page.
-- (New billing tokens start with their creation time, so their index grows at one end.)
-- No foreign key: purging an abandoned request would then search used_tokens, which has no index on
-- it; a request_id left pointing at a purged request finds nothing, as a missing one would.
ALTER TABLE used_tokens ADD COLUMN request_id INTEGER;
UPDATE used_tokens SET request_id = (SELECT max(id) FROM enrolment_requests WHERE enrolment_requests.jti = used_tokens.jti);
DROP INDEX enrolment_requests_jti;
