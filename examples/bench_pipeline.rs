//! Benchmark: the full pipeline (assignment + sheets + outbox emails) on
//! 100,000 eligible leads across 400 stores (among 500,000 missed_leads).
//!
//! `cargo run --release --example bench_pipeline`

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use leads_assignment::schema::testing;
use leads_assignment::{run_pipeline, EmailDelivery, PipelineOptions};

mod common;
use common::{peak_rss_mb, seed};

fn main() {
    let db = testing::migrated_db();
    let mut conn = db.conn();
    let t = Instant::now();
    conn.batch_execute(&seed(400, 500)).unwrap();
    conn.batch_execute(
        "INSERT INTO notification_recipients (profile_id, store_code, env, email_address, send_as)
           SELECT p.id, 'S' || lpad(g::text, 4, '0'), 'any', 'store' || g || '@example.com', 'to'
           FROM generate_series(1, 400) g, notification_profiles p WHERE p.code = 'leads_assignment';
         INSERT INTO notification_recipients (profile_id, store_code, env, email_address, send_as)
           SELECT id, NULL, 'any', 'ops@example.com', 'to' FROM notification_profiles WHERE code = 'leads_assignment';",
    )
    .unwrap();
    println!("seeded in {:.1?}", t.elapsed());
    drop(conn);
    let server = testing::server();
    let copy_url = server
        .create_database(&server.unique_name("bench_copy"), Some(&db.name))
        .unwrap();
    let mut conn = db.conn();
    let root = tempfile::tempdir().unwrap();
    let options = PipelineOptions {
        reports_root: root.path().to_path_buf(),
        email: EmailDelivery::Outbox(root.path().join("outbox")),
        triggered_by: "bench".into(),
        ..PipelineOptions::new(leads_assignment::RunEnv::Dev)
    };
    let t = Instant::now();
    let report = run_pipeline(&mut conn, &options).unwrap();
    let total = t.elapsed().as_secs_f64();
    assert_eq!(report.assignment.assigned, 100_000);
    assert_eq!(report.sheets.len(), 400);
    assert_eq!(report.notify.as_ref().unwrap().delivered(), 401);
    for p in &report.phases {
        println!(
            "  {:<7} {:>6.2} s  {}",
            p.phase,
            p.duration_ms as f64 / 1000.0,
            p.message
        );
    }
    println!("total: {total:.2} s, peak RSS {:.1} MB", peak_rss_mb());
    let phase = |name: &str| {
        report
            .phases
            .iter()
            .find(|p| p.phase.as_str() == name)
            .map_or(0.0, |p| p.duration_ms as f64 / 1000.0)
    };
    let (assign, sheets) = (phase("assign"), phase("sheets"));
    let lower = common::lower_bound_on(&copy_url);
    println!(
        "plain-SQL lower bound of the assignment: {lower:.2} s; assign + sheets {:.2} s = {:.2}x, assign alone {:.2}x",
        assign + sheets,
        (assign + sheets) / lower,
        assign / lower
    );
    // What the next run pays first: checking the batch just made (100,000
    // assignments, 400 sheets, 401 ledger rows) for anything unfinished.
    let t = Instant::now();
    let since = chrono::Utc::now() - chrono::Duration::days(leads_assignment::FINISH_WINDOW_DAYS);
    let open =
        leads_assignment::unfinished_batches(&mut conn, leads_assignment::RunEnv::Dev, Some(since))
            .unwrap();
    assert!(open.is_empty(), "{open:?}");
    println!(
        "unfinished-batch check of that batch: {:.3} s",
        t.elapsed().as_secs_f64()
    );
}
