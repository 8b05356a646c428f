-- Removes what the up migration added, newest first. Note: if an earlier
-- implementation had created these tables, reverting drops them too; take a
-- backup of lead_assignments / lead_assignment_outcomes before reverting in
-- production.
DROP TABLE IF EXISTS lead_assignment_outcomes;
DROP TABLE IF EXISTS lead_assignments;
DROP TABLE IF EXISTS lead_assignment_batches;
ALTER TABLE missed_leads DROP COLUMN IF EXISTS lead_assigned;
DROP TABLE IF EXISTS store_lead_assignment_map;
DROP TABLE IF EXISTS agents_master;
ALTER TABLE store_master DROP COLUMN IF EXISTS assign_leads;
