-- Withholding tax certificates name the payee with their address (the payer's details are in
-- the program's settings, `payer`).
ALTER TABLE affiliates ADD COLUMN address TEXT;
