ALTER TABLE lead_assignment_ingests
    DROP COLUMN IF EXISTS cleared_count,
    DROP COLUMN IF EXISTS revisions,
    DROP COLUMN IF EXISTS values_sha256;
DROP TABLE IF EXISTS lead_assignment_sheets;
ALTER TABLE lead_assignment_batches DROP COLUMN IF EXISTS sheets_signed;
