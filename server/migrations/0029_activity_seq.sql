-- Each activity entry takes the next `seq` (MAX + 1): without an index that is a scan of the
-- whole log per entry, which an import of thousands of affiliates (one entry each) multiplies.
CREATE INDEX activity_seq ON activity (seq);
