-- Links are read without regard to case (`?ref=Alice` credits `alice`): the lookups compare
-- LOWER(id), which this index serves.
CREATE INDEX affiliates_lower_id ON affiliates (LOWER(id));
