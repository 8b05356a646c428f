ALTER TABLE lead_assignment_batches DROP COLUMN IF EXISTS delivery_tracked;
DROP TABLE IF EXISTS lead_assignment_deliveries;
