//! Helpers shared by the process tests of the binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::TestDb;

pub fn cli(db: &TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leads-assignment"));
    c.env("DATABASE_URL", &db.url).env("RUST_LOG", "info");
    for v in [
        "REPORT_EMAIL_SMTP_HOST",
        "REPORT_EMAIL_SMTP_PORT",
        "REPORT_EMAIL_USE_TLS",
        "REPORT_EMAIL_FROM",
        "REPORT_EMAIL_IMAP_HOST",
        "RUN_ENV",
        "REPORTS_ROOT",
        "LOG_FORMAT",
    ] {
        c.env_remove(v);
    }
    c
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

pub fn seed_stores(conn: &mut PgConnection, stores: i32, leads_each: i32) {
    for s in 0..stores {
        let code = format!("S{s}");
        seed::store(conn, &code, Some("Kothrud"), true).unwrap();
        let a = seed::agent(conn, Some(&format!("{s:04}")), "Asha", true).unwrap();
        seed::mapping(conn, &code, a, MappingSeed::default()).unwrap();
        let rows: Vec<SeedLead> = (1..=leads_each)
            .map(|i| SeedLead::new(s * 10_000 + i, &code, None, None))
            .collect();
        seed::leads(conn, &rows).unwrap();
        seed::recipient(
            conn,
            Some(&code),
            "any",
            &format!("s{s}@example.com"),
            "to",
            true,
        )
        .unwrap();
    }
}

pub fn run(db: &TestDb, root: &Path, extra: &[&str]) -> Output {
    cli(db)
        .args(["run", "--reports-root", root.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

/// One store with one agent, `n` leads with ids from `first_id`, and one
/// recipient `{tag}@example.com`.
pub fn seed_store(
    conn: &mut PgConnection,
    store: &str,
    agent_code: &str,
    first_id: i32,
    n: i32,
    tag: &str,
) {
    seed::store(conn, store, Some("Kothrud"), true).unwrap();
    let a = seed::agent(conn, Some(agent_code), "Asha", true).unwrap();
    seed::mapping(conn, store, a, MappingSeed::default()).unwrap();
    let rows: Vec<SeedLead> = (first_id..first_id + n)
        .map(|i| SeedLead::new(i, store, None, None))
        .collect();
    seed::leads(conn, &rows).unwrap();
    seed::recipient(
        conn,
        Some(store),
        "any",
        &format!("{tag}@example.com"),
        "to",
        true,
    )
    .unwrap();
}

/// The SMTP settings of a server on 127.0.0.1:`port`, for `cli(..).envs(..)`.
pub fn smtp_env(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("REPORT_EMAIL_SMTP_HOST", "127.0.0.1".into()),
        ("REPORT_EMAIL_SMTP_PORT", port.to_string()),
        ("REPORT_EMAIL_USE_TLS", "false".into()),
    ]
}

/// The lines of `stdout` that are printed finish commands.
pub fn finish_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("leads-assignment "))
        .map(str::to_string)
        .collect()
}

/// Waits (at most 30 s) until `sql` (a `count(*) AS n`) says `wanted(n)`.
pub fn wait_until(conn: &mut PgConnection, sql: &str, wanted: impl Fn(i64) -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !wanted(count(conn, sql)) {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Spawns `run` with the given arguments, output discarded.
pub fn spawn_run(db: &TestDb, root: &Path, extra: &[&str]) -> std::process::Child {
    cli(db)
        .args(["run", "--reports-root", root.to_str().unwrap()])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

pub use la_schema::testing::python;

/// Runs the pypdf editor (tests/edit/sheet_edit.py) with `args`.
pub fn edit(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/edit/sheet_edit.py");
    let out = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("python with pypdf: run scripts/install-test-deps");
    assert!(out.status.success(), "pypdf: {}", text(&out.stderr));
}

/// `src` filled by pypdf with `values` (field name → value) into `dst`.
pub fn fill(src: &Path, dst: &Path, values: &[(String, &str)], incremental: bool) {
    let json = dst.with_extension("json");
    let map: BTreeMap<&str, &str> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    std::fs::write(&json, serde_json::to_vec(&map).unwrap()).unwrap();
    let (s, d, j) = (
        src.to_str().unwrap(),
        dst.to_str().unwrap(),
        json.to_str().unwrap(),
    );
    if incremental {
        edit(&["fill", s, d, j, "incremental"]);
    } else {
        edit(&["fill", s, d, j]);
    }
}
