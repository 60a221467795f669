-- Reports over long periods without reading every referral, ledger row and click: rollups kept
-- in the same transaction as the rows they count (server/src/rollups.rs), built here from the
-- existing rows.

-- Per UTC day of the referral (`at / 86400`), affiliate, currency and kind: referrals, those
-- not reversed or rejected, those reversed; order amounts, those not rejected; commission first
-- owed; the ledger's net commission; refunds of referrals not rejected.
CREATE TABLE referral_daily (
    day           BIGINT NOT NULL,
    affiliate_id  TEXT NOT NULL,
    currency      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    referrals     BIGINT NOT NULL,
    referrals_net BIGINT NOT NULL,
    reversed      BIGINT NOT NULL,
    amount        BIGINT NOT NULL,
    amount_kept   BIGINT NOT NULL,
    commission    BIGINT NOT NULL,
    ledger_net    BIGINT NOT NULL,
    refunded      BIGINT NOT NULL,
    PRIMARY KEY (day, affiliate_id, currency, kind)
);

INSERT INTO referral_daily (day, affiliate_id, currency, kind, referrals, referrals_net, reversed, amount,
    amount_kept, commission, ledger_net, refunded)
SELECT r.at / 86400, r.affiliate_id, r.currency, r.kind, COUNT(*),
    SUM(CASE WHEN r.status IN ('reversed', 'rejected') THEN 0 ELSE 1 END),
    SUM(CASE WHEN r.status = 'reversed' THEN 1 ELSE 0 END), SUM(r.amount),
    SUM(CASE WHEN r.status = 'rejected' THEN 0 ELSE r.amount END), SUM(r.commission),
    SUM(COALESCE(l.net, 0)), SUM(CASE WHEN r.status = 'rejected' THEN 0 ELSE COALESCE(f.refunded, 0) END)
FROM referrals r
LEFT JOIN (SELECT referral_id, SUM(amount) AS net FROM ledger WHERE referral_id IS NOT NULL GROUP BY referral_id) l
    ON l.referral_id = r.id
LEFT JOIN (SELECT order_ref, SUM(amount) AS refunded FROM refunds GROUP BY order_ref) f ON f.order_ref = r.source_id
GROUP BY r.at / 86400, r.affiliate_id, r.currency, r.kind;

-- Per UTC day of the order and currency: every order's amount (attributed or not), and the
-- refunds of those orders.
CREATE TABLE order_daily (
    day      BIGINT NOT NULL,
    currency TEXT NOT NULL,
    amount   BIGINT NOT NULL,
    refunded BIGINT NOT NULL,
    PRIMARY KEY (day, currency)
);

INSERT INTO order_daily (day, currency, amount, refunded)
SELECT o.at / 86400, o.currency, SUM(o.amount), SUM(COALESCE(f.refunded, 0))
FROM orders o
LEFT JOIN (SELECT order_ref, SUM(amount) AS refunded FROM refunds GROUP BY order_ref) f ON f.order_ref = o.id
GROUP BY o.at / 86400, o.currency;

-- Per visitor, the UTC day of their latest non-bot click on an affiliate link.
CREATE TABLE visitor_last (
    visitor_key TEXT PRIMARY KEY,
    day         BIGINT NOT NULL
);

INSERT INTO visitor_last (visitor_key, day)
SELECT visitor_key, MAX(at) / 86400 FROM clicks WHERE affiliate_id IS NOT NULL AND is_bot = 0 GROUP BY visitor_key;

CREATE INDEX visitor_last_day ON visitor_last (day);
