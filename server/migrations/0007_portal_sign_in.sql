-- Affiliates sign in to the portal with a link sent to their email: the link carries a
-- one-time code (kept as its SHA-256), which is exchanged for a session token of 30 days.

CREATE TABLE portal_links (
    code_hash    TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL REFERENCES affiliates (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX portal_links_affiliate ON portal_links (affiliate_id, expires_at);

CREATE TABLE affiliate_sessions (
    token_hash   TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL REFERENCES affiliates (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX affiliate_sessions_affiliate ON affiliate_sessions (affiliate_id);
