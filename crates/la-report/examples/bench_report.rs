//! Benchmark: `report` over 1,000,000 assignments (400 stores, 100 agents,
//! 28 daily batches) and 300,000 outcomes, on a throwaway PostgreSQL: each
//! grouping, the outstanding sheets, and the HTML page's three extra queries.
//!
//! `cargo run --release -p la-report --example bench_report`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use la_report::{outstanding_sheets, report, GroupBy, OutstandingFilter, ReportFilter};
use la_schema::testing::migrated_db;

fn main() {
    let db = migrated_db();
    let mut c = db.conn();
    let t = Instant::now();
    c.batch_execute(
        "INSERT INTO agents_master (agent_code, agent_name, mobile_number)
           SELECT lpad(g::text, 4, '0'), 'Agent ' || g, '98' FROM generate_series(1, 100) g;
         INSERT INTO lead_assignment_batches (batch_date)
           SELECT current_date - g FROM generate_series(0, 27) g;
         INSERT INTO missed_leads (pickup_row_id, mobile_number, store_code, lead_assigned)
           SELECT g, '9' || lpad(g::text, 9, '0'), 'S' || lpad((g % 400)::text, 3, '0'), true
           FROM generate_series(1, 1000000) g;
         INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code,
             rowid, lead_assignment_code, store_code, lead_type, mobile_number)
           SELECT 1 + g % 28, g, 1 + (g / 7) % 100, 'L' || g % 28 || '-' || (1 + (g / 7) % 100),
                  g, 'L' || g, 'S' || lpad((g % 400)::text, 3, '0'),
                  CASE WHEN g % 3 = 0 THEN 'N' ELSE 'E' END, '9'
           FROM generate_series(1, 1000000) g;
         INSERT INTO lead_assignment_outcomes (lead_assignment_id, converted_flag, order_value, payment_amount)
           SELECT id, id % 2 = 0, 100 + id % 900, 100 + id % 900
           FROM lead_assignments WHERE id % 10 < 3;
         ANALYZE;",
    )
    .unwrap();
    println!(
        "seeded 1,000,000 assignments and 300,000 outcomes in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let today = chrono::Local::now().date_naive();
    let filter = ReportFilter::last_28_days(today);
    for by in GroupBy::ALL {
        report(&mut c, by, &filter).unwrap(); // warm the cache once
        let t = Instant::now();
        let rows = report(&mut c, by, &filter).unwrap();
        println!(
            "report --by {:<11} {:>6.3} s  {:>6} rows",
            by.as_str(),
            t.elapsed().as_secs_f64(),
            rows.len()
        );
    }
    let t = Instant::now();
    let sheets = outstanding_sheets(
        &mut c,
        &OutstandingFilter {
            today,
            older_than_days: 2,
            since: None,
            stores: Vec::new(),
        },
    )
    .unwrap();
    println!(
        "report --outstanding    {:>6.3} s  {:>6} sheets",
        t.elapsed().as_secs_f64(),
        sheets.len()
    );
}
