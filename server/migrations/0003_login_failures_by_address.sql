-- Sign-in throttling per client address, so one attacker cannot lock the merchant out.
ALTER TABLE login_failures ADD COLUMN ip_hash TEXT;
CREATE INDEX login_failures_ip ON login_failures (ip_hash, at);
