-- When the merchant marked a payout line's transfer as sent (NULL: not yet). Bank transfers are
-- paid one by one from a banking app; this is how the merchant keeps count.
ALTER TABLE payout_lines ADD COLUMN sent_at BIGINT;
