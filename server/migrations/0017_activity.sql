-- The activity log: who created or changed an affiliate, issued their portal token, approved or
-- rejected a referral, made a payout or marked a line sent, created or revoked a key.
CREATE TABLE activity (
    id           TEXT PRIMARY KEY,
    at           BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    by_whom      TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    affiliate_id TEXT,
    details      TEXT NOT NULL
);
CREATE INDEX activity_newest ON activity (at, seq);
CREATE INDEX activity_by_affiliate ON activity (affiliate_id, at, seq);
