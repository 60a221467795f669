-- Cost of goods: a sale may carry its cost (minor units of its currency, 0 to its amount; NULL
-- when the shop did not send one). A refund takes back that cost in proportion to the amount it
-- refunds (the rounding of commission reversals, so the refunds of a whole order take back
-- exactly its cost): reports count cost of goods net of refunds, like revenue.
ALTER TABLE orders ADD COLUMN cost BIGINT;
ALTER TABLE refunds ADD COLUMN cost BIGINT NOT NULL DEFAULT 0;

-- `referral_daily` (migration 4) per day, affiliate, currency and kind, for sales: the cost of
-- goods of referrals not rejected whose sale carries a cost, the cost their refunds took back,
-- and the net sales (not reversed, not rejected) without a cost.
ALTER TABLE referral_daily ADD COLUMN cost BIGINT NOT NULL DEFAULT 0;
ALTER TABLE referral_daily ADD COLUMN cost_refunded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE referral_daily ADD COLUMN sales_without_cost BIGINT NOT NULL DEFAULT 0;

-- No sale carried a cost before this migration: every net sale is one without.
UPDATE referral_daily SET sales_without_cost = referrals_net WHERE kind = 'sale';
