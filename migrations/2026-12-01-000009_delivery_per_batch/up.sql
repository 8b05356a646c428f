-- Every email exactly once (docs/decisions.md D13): a batch records how its
-- emails are delivered, so an email owed by an SMTP batch is settled only by
-- SMTP, and finishing it later uses the batch's own env. Existing batches:
-- SMTP when the ledger shows an SMTP attempt, the outbox when it shows only
-- outbox attempts, otherwise unknown (any delivery settles them, as before).
ALTER TABLE lead_assignment_batches
    ADD COLUMN IF NOT EXISTS delivery_transport varchar(16),
    ADD COLUMN IF NOT EXISTS delivery_env varchar(16);
UPDATE lead_assignment_batches b
SET delivery_transport = CASE
        WHEN EXISTS (SELECT 1 FROM lead_assignment_deliveries d
                     WHERE d.batch_id = b.id AND d.transport = 'smtp') THEN 'smtp'
        WHEN EXISTS (SELECT 1 FROM lead_assignment_deliveries d
                     WHERE d.batch_id = b.id AND d.transport = 'outbox') THEN 'outbox'
    END
WHERE b.delivery_transport IS NULL;
