-- The history of the program's settings: each change, who made it, and each setting before and
-- after (JSON: [{"setting", "before", "after"}]).
CREATE TABLE program_changes (
    id       TEXT PRIMARY KEY,
    at       BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    by_whom  TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE INDEX program_changes_newest ON program_changes (at, seq);
