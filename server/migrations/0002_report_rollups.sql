-- Reports over millions of clicks: per-day click counts kept as the clicks are written, and
-- indexes that let the reports read only indexes.

-- Clicks on affiliate links per UTC day (`at / 86400`) and affiliate. Written in the same
-- transaction as the clicks it counts.
CREATE TABLE click_daily (
    day           BIGINT NOT NULL,
    affiliate_id  TEXT NOT NULL,
    clicks        BIGINT NOT NULL,
    unique_clicks BIGINT NOT NULL,
    bot_clicks    BIGINT NOT NULL,
    PRIMARY KEY (day, affiliate_id)
);

INSERT INTO click_daily (day, affiliate_id, clicks, unique_clicks, bot_clicks)
SELECT at / 86400, affiliate_id, SUM(1 - is_bot), SUM(CASE WHEN is_bot = 0 THEN is_unique ELSE 0 END), SUM(is_bot)
FROM clicks WHERE affiliate_id IS NOT NULL GROUP BY at / 86400, affiliate_id;

-- Distinct visitors in a period, read from the index alone (and still the dedupe lookup).
DROP INDEX clicks_visitor;
CREATE INDEX clicks_visitor ON clicks (visitor_key, affiliate_id, at, is_bot);

-- A referral's net commission, summed from the index alone.
CREATE INDEX ledger_referral_amount ON ledger (referral_id, amount);

-- Store revenue in a period, read from the index alone.
CREATE INDEX orders_revenue ON orders (at, currency, amount);
