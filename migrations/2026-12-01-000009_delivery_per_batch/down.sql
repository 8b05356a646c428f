ALTER TABLE lead_assignment_batches
    DROP COLUMN IF EXISTS delivery_env,
    DROP COLUMN IF EXISTS delivery_transport;
