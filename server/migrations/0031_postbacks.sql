-- Affiliates' postbacks: the tracker address an affiliate gives (a template with `{macros}`),
-- and one row per request owed to it, written with the referral event it reports and sent by
-- the worker like the webhook outbox.
ALTER TABLE affiliates ADD COLUMN postback_url TEXT;

CREATE TABLE postbacks (
    id           TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL,
    referral_id  TEXT NOT NULL,
    event        TEXT NOT NULL,
    url          TEXT NOT NULL,
    at           BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    next_at      BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at    BIGINT,
    last_error   TEXT
);
CREATE INDEX postbacks_due ON postbacks (delivered_at, failed_at, next_at);
CREATE INDEX postbacks_affiliate ON postbacks (affiliate_id, at);
