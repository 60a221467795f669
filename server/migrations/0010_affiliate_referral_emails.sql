-- An affiliate may turn the email about each new referral off for themselves (`PATCH /v1/me`);
-- payout and approval emails still go.
ALTER TABLE affiliates ADD COLUMN referral_emails BIGINT NOT NULL DEFAULT 1;
