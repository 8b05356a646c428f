DROP INDEX CONCURRENTLY IF EXISTS ix_missed_leads_assign_eligible;
