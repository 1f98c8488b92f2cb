-- The send relay claims accepted messages with a short lease and starts their workflows outside
-- any transaction. It used to hold the rows locked while it started a whole batch, and a started
-- workflow's first ledger write waited for the lock: up to the time it took to start the batch.
ALTER TABLE messages ADD COLUMN dispatch_lease_until timestamptz;
