//! Benchmark: `run_leads_assignment` on 100,000 eligible leads (400 stores ×
//! 250) hidden among 500,000 `missed_leads` rows, against the plain-SQL lower
//! bound (one `INSERT … SELECT` with `row_number()` plus one `UPDATE`) on an
//! identical copy of the data.
//!
//! `cargo run --release --example bench_assign`

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use leads_assignment::assign::{run_leads_assignment, AssignOptions};
use leads_assignment::schema::testing;

mod common;
use common::{peak_rss_mb, SEED};

const LOWER_BOUND: &str = r#"
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

fn main() {
    let db = testing::migrated_db();
    let mut conn = db.conn();
    let t = Instant::now();
    conn.batch_execute(SEED).unwrap();
    println!(
        "seeded 500,000 missed_leads (100,000 eligible) in {:.1?}",
        t.elapsed()
    );
    drop(conn);
    let server = testing::server();
    let copy = server.unique_name("bench_copy");
    let copy_url = server.create_database(&copy, Some(&db.name)).unwrap();

    let mut conn = db.conn();
    let t = Instant::now();
    let report = run_leads_assignment(
        &mut conn,
        &AssignOptions {
            triggered_by: "bench".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let ours = t.elapsed();
    assert_eq!(report.assigned, 100_000);

    let mut sql_conn = leads_assignment::schema::connect(&copy_url).unwrap();
    let t = Instant::now();
    sql_conn.batch_execute(LOWER_BOUND).unwrap();
    let lower = t.elapsed();

    println!(
        "run_leads_assignment: {} leads in {:.3} s",
        report.assigned,
        ours.as_secs_f64()
    );
    println!("plain-SQL lower bound: {:.3} s", lower.as_secs_f64());
    println!("ratio: {:.2}x", ours.as_secs_f64() / lower.as_secs_f64());
    println!("peak RSS of this process: {:.1} MB", peak_rss_mb());
}
