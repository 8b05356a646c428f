-- Serves the eligibility scan of la_assign (unassigned leads whose order was
-- not placed, newest first) without blocking writers of the live table.
-- One statement only: a multi-statement string would run as one implicit
-- transaction, which CONCURRENTLY refuses.
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_missed_leads_assign_eligible
    ON missed_leads (store_code, pickup_created_date DESC NULLS LAST, pickup_row_id DESC)
    WHERE lead_assigned = false AND is_order_placed IS NOT TRUE;
