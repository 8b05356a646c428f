//! Data and measurements shared by the benchmark examples.
#![allow(dead_code)]

/// `stores` stores with 1,000 `missed_leads` each, of which 250 are eligible
/// (the rest assigned already or ordered); the first `taking_part` take part,
/// with one agent each. `seed(400, 500)`: 500,000 leads, 100,000 eligible.
pub fn seed(taking_part: u32, stores: u32) -> String {
    format!(
        r#"
INSERT INTO store_master (store_code, store_name, assign_leads)
SELECT 'S' || lpad(g::text, 4, '0'), 'Store ' || g, g <= {taking_part} FROM generate_series(1, {stores}) g;
INSERT INTO agents_master (agent_code, agent_name, mobile_number)
SELECT lpad(g::text, 4, '0'), 'Agent ' || g, '98' || lpad(g::text, 8, '0') FROM generate_series(1, {taking_part}) g;
INSERT INTO store_lead_assignment_map (store_code, agent_id, priority)
SELECT 'S' || lpad(g::text, 4, '0'), g, 100 FROM generate_series(1, {taking_part}) g;
INSERT INTO missed_leads (pickup_row_id, mobile_number, pickup_created_date, store_code, store_name,
    customer_name, special_instruction, source, final_source, customer_type, is_order_placed, run_date, lead_assigned)
SELECT g, '9' || lpad(g::text, 9, '0'), date '2025-01-01' + (g % 365),
       'S' || lpad((1 + (g - 1) / 1000)::text, 4, '0'), 'Store', 'Customer ' || g, 'House ' || g || ', MG Road',
       'app', CASE WHEN g % 2 = 0 THEN 'google' END, CASE WHEN g % 3 = 0 THEN 'New' ELSE 'Existing' END,
       CASE WHEN (g - 1) % 1000 BETWEEN 250 AND 599 THEN true WHEN g % 2 = 0 THEN false END,
       date '2025-01-01', (g - 1) % 1000 >= 600
FROM generate_series(1, {stores} * 1000) g;
ANALYZE;
"#
    )
}

/// Peak resident set size of this process, in MB (VmHWM).
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The plain-SQL lower bound of an assignment run: one `INSERT … SELECT`
/// with `row_number()` plus one `UPDATE`, the same rows as the pipeline writes.
pub const LOWER_BOUND: &str = r#"
BEGIN;
SELECT pg_advisory_xact_lock(1);
WITH b AS (INSERT INTO lead_assignment_batches (batch_date, triggered_by) VALUES (current_date, 'sql') RETURNING id),
cand AS (
  SELECT ml.*, slam.agent_id, rtrim(am.agent_code) AS agent_code,
         row_number() OVER (PARTITION BY am.id ORDER BY ml.pickup_created_date DESC NULLS LAST, ml.pickup_row_id DESC) AS rn
  FROM missed_leads ml
  JOIN store_master sm ON sm.store_code = ml.store_code
  JOIN store_lead_assignment_map slam ON slam.store_code = ml.store_code AND slam.is_enabled
  JOIN agents_master am ON am.id = slam.agent_id AND am.is_active
  WHERE sm.assign_leads AND NOT ml.lead_assigned AND ml.is_order_placed IS NOT TRUE)
INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid, lead_assignment_code,
    store_code, store_name, lead_date, lead_type, mobile_number, cx_name, address, lead_source)
SELECT b.id, c.pickup_row_id, c.agent_id, 'L' || to_char(current_date, 'YYMMDD') || c.agent_code, c.rn,
       'L' || to_char(current_date, 'YYMMDD') || c.agent_code || '-' || lpad(c.rn::text, 4, '0'),
       c.store_code, c.store_name, coalesce(c.pickup_created_date, c.run_date, c.pickup_date),
       CASE WHEN lower(ltrim(c.customer_type)) LIKE 'new%' THEN 'N' ELSE 'E' END,
       c.mobile_number, c.customer_name, c.special_instruction, coalesce(nullif(c.final_source, ''), c.source)
FROM cand c, b;
UPDATE missed_leads SET lead_assigned = true
WHERE pickup_row_id IN (SELECT lead_id FROM lead_assignments) AND NOT lead_assigned;
COMMIT;
"#;

/// Runs [`LOWER_BOUND`] on a copy of `db` (made before anything ran) and
/// returns its time in seconds.
pub fn lower_bound_on(copy_url: &str) -> f64 {
    use diesel::connection::SimpleConnection;
    let mut conn = leads_assignment::schema::connect(copy_url).expect("connect to the copy");
    let t = std::time::Instant::now();
    conn.batch_execute(LOWER_BOUND).expect("the lower bound");
    t.elapsed().as_secs_f64()
}
