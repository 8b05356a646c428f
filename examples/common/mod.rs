//! Data and measurements shared by the benchmark examples.
#![allow(dead_code)]

/// 500,000 `missed_leads` over 500 stores: stores 1..400 take part with one
/// agent each and 1,000 leads, of which 250 are eligible (the rest assigned
/// already or ordered); stores 401..500 do not take part. 100,000 eligible.
pub const SEED: &str = r#"
INSERT INTO store_master (store_code, store_name, assign_leads)
SELECT 'S' || lpad(g::text, 4, '0'), 'Store ' || g, g <= 400 FROM generate_series(1, 500) g;
INSERT INTO agents_master (agent_code, agent_name, mobile_number)
SELECT lpad(g::text, 4, '0'), 'Agent ' || g, '98' || lpad(g::text, 8, '0') FROM generate_series(1, 400) g;
INSERT INTO store_lead_assignment_map (store_code, agent_id, priority)
SELECT 'S' || lpad(g::text, 4, '0'), g, 100 FROM generate_series(1, 400) g;
-- 500,000 leads over 500 stores: stores 1..400 get 1,000 each, of which 250
-- are eligible (the rest assigned already or order placed); stores 401..500
-- do not take part.
INSERT INTO missed_leads (pickup_row_id, mobile_number, pickup_created_date, store_code, store_name,
    customer_name, special_instruction, source, final_source, customer_type, is_order_placed, run_date, lead_assigned)
SELECT g, '9' || lpad(g::text, 9, '0'), date '2025-01-01' + (g % 365),
       'S' || lpad((1 + (g - 1) / 1000)::text, 4, '0'), 'Store', 'Customer ' || g, 'House ' || g || ', MG Road',
       'app', CASE WHEN g % 2 = 0 THEN 'google' END, CASE WHEN g % 3 = 0 THEN 'New' ELSE 'Existing' END,
       CASE WHEN (g - 1) % 1000 BETWEEN 250 AND 599 THEN true WHEN g % 2 = 0 THEN false END,
       date '2025-01-01', (g - 1) % 1000 >= 600
FROM generate_series(1, 500000) g;
ANALYZE;
"#;

/// Peak resident set size of this process, in MB (VmHWM).
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
