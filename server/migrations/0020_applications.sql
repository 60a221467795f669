-- Applications from the public form: what the applicant wrote, kept beside the affiliate it
-- created (merchant-created affiliates have none).
CREATE TABLE affiliate_applications (
    affiliate_id TEXT PRIMARY KEY REFERENCES affiliates (id),
    website      TEXT,
    message      TEXT,
    terms_url    TEXT,
    applied_at   BIGINT NOT NULL
);
-- Every accepted application by its client address's hash, for the per-address hourly limit;
-- rows older than a day are removed.
CREATE TABLE application_attempts (
    id      TEXT PRIMARY KEY,
    at      BIGINT NOT NULL,
    ip_hash TEXT NOT NULL
);
CREATE INDEX application_attempts_at ON application_attempts (at);
