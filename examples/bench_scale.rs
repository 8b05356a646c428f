//! Benchmark: the pipeline (assignment + sheets, emails off) at 50,000 and at
//! 500,000 eligible leads (250 per store, one agent each, among four times as
//! many `missed_leads`), each on a fresh throwaway database: time per lead
//! and this process's peak RSS after each. Streaming keeps memory flat: the
//! 500,000-lead run should need no more than twice the 50,000-lead one.
//!
//! `cargo run --release --example bench_scale`
//!
//! `cargo run --release --example bench_scale -- 1000000 60` runs once at
//! 1,000,000 leads with every statement bounded to 60 s (`statement_timeout`),
//! to show how far under the default bound (30 minutes) the longest is.

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

/// One run at `leads` eligible leads: (seconds, peak RSS in MB after it).
fn run(leads: u32, statement_timeout_s: Option<u64>) -> (f64, f64) {
    let db = testing::migrated_db();
    let mut conn = db.conn();
    if let Some(s) = statement_timeout_s {
        conn.batch_execute(&format!("SET statement_timeout = '{s}s'"))
            .unwrap();
    }
    let t = Instant::now();
    conn.batch_execute(&seed(leads / 250, leads / 250)).unwrap();
    println!(
        "{leads} eligible leads: seeded {} missed_leads in {:.1?}",
        leads * 4,
        t.elapsed()
    );
    let root = tempfile::tempdir().unwrap();
    let options = PipelineOptions {
        reports_root: root.path().to_path_buf(),
        email: EmailDelivery::Disabled,
        triggered_by: "bench".into(),
        ..PipelineOptions::new(leads_assignment::RunEnv::Dev)
    };
    let t = Instant::now();
    let report = run_pipeline(&mut conn, &options).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.assignment.assigned, leads);
    assert_eq!(report.sheets.len() as u32, leads / 250);
    for p in &report.phases {
        println!("  {:<7} {:>7.2} s", p.phase, p.duration_ms as f64 / 1000.0);
    }
    (secs, peak_rss_mb())
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("LEADS [STATEMENT_TIMEOUT_S]"))
        .collect();
    if let Some(&leads) = args.first() {
        let leads = u32::try_from(leads).expect("leads");
        let (s, rss) = run(leads, args.get(1).copied());
        println!(
            "{leads}: {s:.2} s, {:.1} µs per lead, peak RSS {rss:.1} MB, statement_timeout {:?} s",
            s / f64::from(leads) * 1e6,
            args.get(1)
        );
        return;
    }
    let (small_s, small_rss) = run(50_000, None);
    println!(
        "   50,000: {small_s:.2} s, {:.1} µs per lead, peak RSS {small_rss:.1} MB",
        small_s / 50_000.0 * 1e6
    );
    let (big_s, big_rss) = run(500_000, None);
    println!(
        "  500,000: {big_s:.2} s, {:.1} µs per lead, peak RSS {big_rss:.1} MB",
        big_s / 500_000.0 * 1e6
    );
    println!(
        "time per lead {:.2}x, peak RSS {:.2}x the 50,000-lead figures",
        (big_s / 500_000.0) / (small_s / 50_000.0),
        big_rss / small_rss
    );
}
