-- Reftrail schema, version 1.
--
-- One file for SQLite and PostgreSQL alike, so it uses only what both accept: TEXT and BIGINT
-- columns, TEXT primary keys made by the server, CHECK constraints, plain indexes.
-- Times are BIGINT Unix seconds (UTC); the API formats them as RFC 3339. Money is BIGINT minor
-- units beside a TEXT ISO 4217 code. Flags are BIGINT 0/1. JSON documents are TEXT.
--
-- Money never changes in place: `ledger` is append-only and every balance is a SUM over it.

-- Credentials and settings -------------------------------------------------------------------

CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('secret', 'publishable')),
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE cookie_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Failed sign-ins, for throttling across processes.
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_at ON login_failures (at);

-- Affiliates ---------------------------------------------------------------------------------

CREATE TABLE affiliates (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT,
    email_hash   TEXT,
    payout_email TEXT,
    category     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'suspended')),
    commission   TEXT,
    token_hash   TEXT UNIQUE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX affiliates_category ON affiliates (category);

CREATE TABLE coupons (
    code         TEXT PRIMARY KEY,
    affiliate_id TEXT NOT NULL REFERENCES affiliates (id),
    created_at   BIGINT NOT NULL
);
CREATE INDEX coupons_affiliate ON coupons (affiliate_id);

-- Traffic and conversions --------------------------------------------------------------------

CREATE TABLE clicks (
    id           TEXT PRIMARY KEY,
    affiliate_id TEXT,
    at           BIGINT NOT NULL,
    visitor_key  TEXT NOT NULL,
    is_unique    BIGINT NOT NULL,
    is_bot       BIGINT NOT NULL,
    ip_hash      TEXT NOT NULL,
    consent      TEXT NOT NULL,
    via          TEXT,
    url          TEXT NOT NULL,
    referrer     TEXT NOT NULL,
    landing      TEXT,
    campaign     TEXT,
    click_ids    TEXT,
    user_agent   TEXT NOT NULL
);
CREATE INDEX clicks_at ON clicks (at);
CREATE INDEX clicks_affiliate_at ON clicks (affiliate_id, at);
CREATE INDEX clicks_visitor ON clicks (visitor_key, affiliate_id, at);
CREATE INDEX clicks_ip ON clicks (ip_hash, at);

-- Every order the shop reports, attributed or not: store revenue needs them all.
CREATE TABLE orders (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL UNIQUE,
    at            BIGINT NOT NULL,
    amount        BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    shipping      BIGINT NOT NULL,
    tax           BIGINT NOT NULL,
    coupon        TEXT,
    email_hash    TEXT,
    customer_id   TEXT,
    subscription_id TEXT,
    items         TEXT,
    verified      BIGINT NOT NULL,
    affiliate_id  TEXT,
    attributed_by TEXT,
    click_id      TEXT
);
CREATE INDEX orders_at ON orders (at);
CREATE INDEX orders_subscription ON orders (subscription_id, at);

CREATE TABLE refunds (
    id         TEXT PRIMARY KEY,
    refund_key TEXT NOT NULL UNIQUE,
    order_ref  TEXT NOT NULL REFERENCES orders (id),
    amount     BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    reason     TEXT,
    at         BIGINT NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_ref);

CREATE TABLE leads (
    id            TEXT PRIMARY KEY,
    dedupe_key    TEXT NOT NULL UNIQUE,
    at            BIGINT NOT NULL,
    event         TEXT NOT NULL,
    email_hash    TEXT,
    customer_id   TEXT,
    verified      BIGINT NOT NULL,
    affiliate_id  TEXT,
    attributed_by TEXT,
    click_id      TEXT
);
CREATE INDEX leads_at ON leads (at);

-- Referrals and money ------------------------------------------------------------------------

-- A credited conversion. Its money lives in `ledger`; `commission` is the amount first owed.
CREATE TABLE referrals (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('sale', 'lead')),
    source_id     TEXT NOT NULL UNIQUE,
    affiliate_id  TEXT NOT NULL REFERENCES affiliates (id),
    at            BIGINT NOT NULL,
    amount        BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    commission    BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'paid', 'rejected', 'reversed')),
    verified      BIGINT NOT NULL,
    attributed_by TEXT NOT NULL,
    flags         TEXT NOT NULL,
    hold_until    BIGINT NOT NULL,
    payout_id     TEXT,
    decided_at    BIGINT
);
CREATE INDEX referrals_at ON referrals (at);
CREATE INDEX referrals_affiliate ON referrals (affiliate_id, at);
CREATE INDEX referrals_status ON referrals (status, hold_until);

-- Append-only; ids sort by creation time. `bucket` is where the money sits: pending (in the hold period), approved
-- (payable), paid. A transfer between buckets is two rows that sum to zero; a new commission or
-- a reversal is one row. Per referral, the sum of all rows is its commission net of reversals.
CREATE TABLE ledger (
    id           TEXT PRIMARY KEY,
    at           BIGINT NOT NULL,
    affiliate_id TEXT NOT NULL,
    referral_id  TEXT,
    payout_id    TEXT,
    bucket       TEXT NOT NULL CHECK (bucket IN ('pending', 'approved', 'paid')),
    entry        TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL
);
CREATE INDEX ledger_affiliate ON ledger (affiliate_id, currency, bucket);
CREATE INDEX ledger_referral ON ledger (referral_id);
CREATE INDEX ledger_at ON ledger (at);

CREATE TABLE payouts (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    note       TEXT
);

CREATE TABLE payout_lines (
    payout_id    TEXT NOT NULL REFERENCES payouts (id),
    affiliate_id TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    paypal_email TEXT NOT NULL,
    referrals    BIGINT NOT NULL,
    PRIMARY KEY (payout_id, affiliate_id, currency)
);

-- Replays ------------------------------------------------------------------------------------

-- The first answer to an idempotent request, replayed verbatim.
CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- Webhooks -----------------------------------------------------------------------------------

-- Written in the same transaction as the change it reports; a worker delivers it.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    url          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    at           BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    next_at      BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at    BIGINT,
    last_error   TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, failed_at, next_at);
