-- Whether an affiliate is paid as a person or a company: Thailand files the tax withheld from
-- each on its own form (ภ.ง.ด.3, ภ.ง.ด.53). NULL: not set.
ALTER TABLE affiliates ADD COLUMN payee_type TEXT;
