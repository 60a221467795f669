-- Emails to affiliates (a new referral, a payout), written in the same transaction as the change
-- they tell of; the worker sends them over SMTP, rendered when sent in the program's language.
CREATE TABLE mail_outbox (
    id           TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    affiliate_id TEXT NOT NULL,
    payload      TEXT NOT NULL,
    at           BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    next_at      BIGINT NOT NULL,
    sent_at      BIGINT,
    failed_at    BIGINT,
    last_error   TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, failed_at, next_at);
