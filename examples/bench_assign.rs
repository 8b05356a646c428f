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
use common::{peak_rss_mb, seed};

fn main() {
    let db = testing::migrated_db();
    let mut conn = db.conn();
    let t = Instant::now();
    conn.batch_execute(&seed(400, 500)).unwrap();
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

    let lower = common::lower_bound_on(&copy_url);

    println!(
        "run_leads_assignment: {} leads in {:.3} s",
        report.assigned,
        ours.as_secs_f64()
    );
    println!("plain-SQL lower bound: {lower:.3} s");
    println!("ratio: {:.2}x", ours.as_secs_f64() / lower);
    println!("peak RSS of this process: {:.1} MB", peak_rss_mb());
}
