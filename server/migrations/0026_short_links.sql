-- Short links: `/go/{code}` leads to one affiliate's link to a page of the shop, with a
-- campaign name. `opens` counts the redirects (bots left out); the clicks are the tracker's.
CREATE TABLE short_links (
    code         TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL REFERENCES affiliates (id),
    landing_url  TEXT NOT NULL,
    campaign     TEXT,
    opens        BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
CREATE INDEX short_links_affiliate ON short_links (affiliate_id, created_at);
