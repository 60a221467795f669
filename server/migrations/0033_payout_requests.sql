-- An affiliate's request to be paid their approved balance in one currency, until a payout pays
-- it, the merchant declines it or the affiliate takes it back. At most one is open per
-- affiliate and currency.
CREATE TABLE payout_requests (
    id           TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    status       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    closed_at    BIGINT,
    payout_id    TEXT,
    reason       TEXT
);
CREATE UNIQUE INDEX payout_requests_one_open ON payout_requests (affiliate_id, currency) WHERE status = 'open';
CREATE INDEX payout_requests_by_status ON payout_requests (status, at);
CREATE INDEX payout_requests_by_affiliate ON payout_requests (affiliate_id, at);
