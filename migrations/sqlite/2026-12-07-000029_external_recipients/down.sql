DROP TABLE external_claims;
ALTER TABLE items DROP COLUMN offered_outside;
ALTER TABLE organisations DROP COLUMN external_terms;
DROP TABLE external_recipients;
