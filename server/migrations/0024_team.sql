-- The merchant's team: people who sign in to the dashboard as themselves, each with a role
-- (owner, manager, viewer). A member has no password until they open their invitation; a new
-- invitation (a lost link, a forgotten password) replaces the last one.
CREATE TABLE team_members (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    role              TEXT NOT NULL,
    password_hash     TEXT,
    invite_hash       TEXT UNIQUE,
    invite_expires_at BIGINT,
    created_at        BIGINT NOT NULL,
    last_sign_in_at   BIGINT
);
-- Whose session it is: a member, or (NULL) the owner's password.
ALTER TABLE sessions ADD COLUMN member_id TEXT;
CREATE INDEX sessions_member ON sessions (member_id);
