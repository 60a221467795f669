-- Tax withheld from payouts (the program's `withholding` rules). An affiliate may be exempt, and
-- gives the tax id that the shop's filing names. A payout line keeps what was withheld and the
-- tax id as they were: its `amount` is what the affiliate received, `amount + withheld` what
-- their balance was settled by.
ALTER TABLE affiliates ADD COLUMN withholding_exempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE affiliates ADD COLUMN tax_id TEXT;
ALTER TABLE payout_lines ADD COLUMN withheld BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payout_lines ADD COLUMN tax_id TEXT;
