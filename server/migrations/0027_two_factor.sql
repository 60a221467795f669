-- Two-factor sign-in for team members: the authenticator's secret (base32) once confirmed, the
-- one being set up until then, and the last code's step (a code is used once).
ALTER TABLE team_members ADD COLUMN totp_secret TEXT;
ALTER TABLE team_members ADD COLUMN totp_pending TEXT;
ALTER TABLE team_members ADD COLUMN totp_last_step BIGINT;
