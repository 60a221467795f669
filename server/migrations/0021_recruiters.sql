-- Recruiters (two-tier): who recruited an affiliate, and the share of each of the recruit's
-- commissions the recruiter earns on top (the program's `recruiter_rate_bps`). The share
-- follows the recruit's referral; its money moves in `ledger` under `recruiter_commission_id`.
ALTER TABLE affiliates ADD COLUMN recruiter_id TEXT;
CREATE INDEX affiliates_recruiter ON affiliates (recruiter_id);
CREATE TABLE recruiter_commissions (
    id           TEXT PRIMARY KEY,
    referral_id  TEXT NOT NULL UNIQUE REFERENCES referrals (id),
    affiliate_id TEXT NOT NULL REFERENCES affiliates (id),
    recruit_id   TEXT NOT NULL,
    rate_bps     BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    reversed     BIGINT NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'paid', 'rejected', 'reversed')),
    payout_id    TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX recruiter_commissions_affiliate ON recruiter_commissions (affiliate_id, created_at);
CREATE INDEX recruiter_commissions_created ON recruiter_commissions (created_at);
ALTER TABLE ledger ADD COLUMN recruiter_commission_id TEXT;
ALTER TABLE payout_lines ADD COLUMN recruiter_commissions BIGINT NOT NULL DEFAULT 0;
