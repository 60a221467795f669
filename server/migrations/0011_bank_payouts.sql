-- Affiliates paid by bank transfer: VietQR (a Vietnamese bank account) or PromptPay. A NULL
-- method is PayPal (payout_email, else email), as before.
ALTER TABLE affiliates ADD COLUMN payout_method TEXT;
ALTER TABLE affiliates ADD COLUMN payout_bank TEXT;
ALTER TABLE affiliates ADD COLUMN payout_account TEXT;
ALTER TABLE affiliates ADD COLUMN payout_name TEXT;
-- A payout line keeps how it was paid, as it was at the payout: later edits of the affiliate do
-- not rewrite history. paypal_email stays NOT NULL; bank lines hold '' there.
ALTER TABLE payout_lines ADD COLUMN method TEXT NOT NULL DEFAULT 'paypal';
ALTER TABLE payout_lines ADD COLUMN bank TEXT;
ALTER TABLE payout_lines ADD COLUMN account TEXT;
ALTER TABLE payout_lines ADD COLUMN account_name TEXT;
