-- Recovery codes for two-factor sign-in: each signs a member in once in place of the app's code;
-- only their SHA-256 is kept.
CREATE TABLE team_recovery_codes (
    member_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (member_id, code_hash)
);
