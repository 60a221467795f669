-- Cross-device attribution by customer (the program's `match_customers`): a sale or lead with no
-- other signal finds the customer's latest conversion credited through a visit, by email hash
-- or the shop's customer id.
CREATE INDEX orders_email_hash ON orders (email_hash, at);
CREATE INDEX orders_customer ON orders (customer_id, at);
CREATE INDEX leads_email_hash ON leads (email_hash, at);
CREATE INDEX leads_customer ON leads (customer_id, at);
