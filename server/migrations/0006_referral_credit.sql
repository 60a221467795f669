-- Multi-touch credit: who contributed to a referral, as the program's `multi_touch` model split
-- it over the buyer's touch trail when the referral was created (server/src/credit.rs). The
-- commission stays with the referral's affiliate; these shares only feed the reports' credited
-- revenue and assisted sales.
--
-- One row per affiliate with a share (basis points, 1 to 10,000; a referral's rows sum to
-- 10,000), `seq` its place in the trail (first appearance, oldest first: the money split's tie
-- order), `at` the referral's time. `solo` is 1 when the referral's only row gives its own
-- affiliate all 10,000: the reports read the other rows alone (index `referral_credit_split`),
-- and a referral without rows counts as solo.
CREATE TABLE referral_credit (
    referral_id  TEXT NOT NULL REFERENCES referrals (id),
    affiliate_id TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    share_bp     BIGINT NOT NULL CHECK (share_bp > 0 AND share_bp <= 10000),
    at           BIGINT NOT NULL,
    solo         BIGINT NOT NULL,
    PRIMARY KEY (referral_id, affiliate_id)
);
CREATE INDEX referral_credit_split ON referral_credit (solo, at);
CREATE INDEX referral_credit_affiliate ON referral_credit (affiliate_id);

-- Referrals before this migration have no trail: their affiliate gets it all.
INSERT INTO referral_credit (referral_id, affiliate_id, seq, share_bp, at, solo)
SELECT id, affiliate_id, 0, 10000, at, 1 FROM referrals;
