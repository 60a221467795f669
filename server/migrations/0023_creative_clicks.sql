-- The creatives report without reading every click of its period: a click's `utm_content` (the
-- portal puts the creative's id there) stored with the click, and per-day counts of them
-- (server/src/creative_clicks.rs fills both for the stored clicks).
ALTER TABLE clicks ADD COLUMN content_name TEXT;

-- Non-bot clicks per UTC day, affiliate (`''` for none) and `utm_content`. Written in the same
-- transaction as the clicks.
CREATE TABLE content_daily (
    day          BIGINT NOT NULL,
    affiliate_id TEXT NOT NULL,
    content      TEXT NOT NULL,
    clicks       BIGINT NOT NULL,
    PRIMARY KEY (day, affiliate_id, content)
);
