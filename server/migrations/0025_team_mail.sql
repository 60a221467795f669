-- What each team member is emailed about (a comma list of events; owners and managers are
-- invited with every one), and the member a queued email goes to (none: the affiliate it
-- concerns, as before).
ALTER TABLE team_members ADD COLUMN notify TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN member_id TEXT;
