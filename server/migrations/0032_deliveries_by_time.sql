-- The merchant's list of deliveries reads each outbox newest first, a page at a time: these
-- indexes give each table's newest rows without sorting all of them.
CREATE INDEX outbox_at ON outbox (at, id);
CREATE INDEX postbacks_at ON postbacks (at, id);
