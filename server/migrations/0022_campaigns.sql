-- Campaigns: which of an affiliate's tagged links sell (`?ref=alice&utm_campaign=tiktok`).
-- A click's campaign name is its `utm_campaign`, else its `campaign` (filled from the stored
-- parameters by server/src/campaigns.rs, which also backfills the rest below); a referral's is
-- that of what credited it, set when it is made.
ALTER TABLE clicks ADD COLUMN campaign_name TEXT;
ALTER TABLE referrals ADD COLUMN campaign TEXT;

-- Non-bot clicks on affiliate links per UTC day, affiliate and campaign name (clicks without
-- one are `click_daily` less these). Written in the same transaction as the clicks.
CREATE TABLE campaign_daily (
    day           BIGINT NOT NULL,
    affiliate_id  TEXT NOT NULL,
    campaign      TEXT NOT NULL,
    clicks        BIGINT NOT NULL,
    unique_clicks BIGINT NOT NULL,
    PRIMARY KEY (day, affiliate_id, campaign)
);
CREATE INDEX referrals_campaign ON referrals (affiliate_id, campaign, at);
