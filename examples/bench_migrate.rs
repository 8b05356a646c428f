//! Benchmark: `leads-assignment migrate` on a legacy database holding
//! 1,000,000 `missed_leads` rows (tests/fixtures/legacy_schema.sql).
//!
//! `cargo run --release --example bench_migrate`

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::process::Command;
use std::time::Instant;

use leads_assignment::schema::testing;

fn main() {
    let db = testing::empty_db();
    let mut conn = db.conn();
    let t = Instant::now();
    testing::load_legacy_fixture(&mut conn, 1_000_000).unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "ANALYZE").unwrap();
    println!(
        "legacy database with 1,000,000 missed_leads built in {:.1?}",
        t.elapsed()
    );
    drop(conn);

    // The real command, as a process (built by `cargo build --release -p la-cli`).
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("leads-assignment");
    let t = Instant::now();
    let out = if bin.exists() {
        Command::new(&bin)
            .args(["migrate", "--database-url", &db.url])
            .output()
            .unwrap()
    } else {
        panic!("build the binary first: cargo build --release -p la-cli");
    };
    let elapsed = t.elapsed();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("migrate took {:.2} s", elapsed.as_secs_f64());
}
