-- Bonuses: money given to an affiliate outside any referral, payable at once and paid by the
-- next payout. Their money moves in `ledger` like commission, under `bonus_id`.
CREATE TABLE bonuses (
    id           TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL REFERENCES affiliates (id),
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('approved', 'paid', 'cancelled')),
    payout_id    TEXT,
    by_whom      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    cancelled_at BIGINT
);
CREATE INDEX bonuses_affiliate ON bonuses (affiliate_id, created_at);
CREATE INDEX bonuses_created ON bonuses (created_at);
ALTER TABLE ledger ADD COLUMN bonus_id TEXT;
-- A payout line counts the bonuses it settles, and keeps what its transfer cost the merchant
-- (a bank or PayPal fee, in the line's currency), recorded when it is marked sent.
ALTER TABLE payout_lines ADD COLUMN bonuses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payout_lines ADD COLUMN fee BIGINT;
CREATE INDEX payout_lines_sent ON payout_lines (sent_at);
