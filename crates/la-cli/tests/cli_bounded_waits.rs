//! Never wait forever on the database, and say who is in the way
//! (docs/decisions.md D28): the binary as a process against the suite's real
//! PostgreSQL, with another session holding the locks it needs, and a server
//! that accepts connections and never answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_schema::testing::{migrated_db, TestDb};

mod common;
use common::{cli, count, seed_stores, text};

fn all(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// Runs `cmd`; fails the test (killing it) if it is still running after
/// 60 s, far beyond every bound these tests configure.
fn bounded(mut cmd: Command) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!(
                "still waiting after 60 s: {}",
                all(&child.wait_with_output().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child.wait_with_output().unwrap(), started.elapsed())
}

/// `leads-assignment ARGS` with a 2 s lock timeout.
fn with_short_waits(db: &TestDb, args: &[&str]) -> Command {
    let mut c = cli(db);
    c.args(args).env("LEADS_DB_LOCK_TIMEOUT", "2");
    c
}

/// Another session, named `etl-test`, that runs `sql` and keeps its
/// transaction open; its pid.
fn blocker(db: &TestDb, sql: &str) -> (PgConnection, i32) {
    let mut b = db.conn();
    b.batch_execute(&format!("SET application_name = 'etl-test'; BEGIN; {sql}"))
        .unwrap();
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(&mut b)
        .unwrap()
        .pid;
    (b, pid)
}

#[test]
fn a_locked_lead_ends_the_run_within_the_bound_naming_lead_and_session() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 5);
    let (mut b, pid) = blocker(
        &db,
        "SELECT 1 FROM missed_leads WHERE pickup_row_id = 3 FOR NO KEY UPDATE;",
    );
    // diagnose shows who holds the pipeline's tables right now.
    let (diag, _) = bounded(with_short_waits(&db, &["diagnose"]));
    assert!(
        text(&diag.stdout).contains("Sessions holding locks"),
        "{}",
        all(&diag)
    );
    assert!(
        text(&diag.stdout).contains(&format!("pid {pid} (application_name \"etl-test\"")),
        "{}",
        all(&diag)
    );

    let root = tempfile::tempdir().unwrap();
    let (out, took) = bounded(with_short_waits(
        &db,
        &[
            "run",
            "--no-email",
            "--reports-root",
            root.path().to_str().unwrap(),
        ],
    ));
    let msg = all(&out);
    assert_eq!(out.status.code(), Some(1), "{msg}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(msg.contains("lock timeout"), "{msg}");
    assert!(msg.contains("pickup_row_id 3"), "names the lead: {msg}");
    assert!(
        msg.contains(&format!("pid {pid}")) && msg.contains("etl-test"),
        "{msg}"
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        0,
        "rolled back"
    );
    let row: String = diesel::sql_query(
        "SELECT summary_text AS t FROM pipeline_run_summaries ORDER BY id DESC LIMIT 1",
    )
    .get_result::<T>(&mut c)
    .unwrap()
    .t;
    assert!(
        row.contains("etl-test"),
        "the summary row says what blocked it: {row}"
    );

    b.batch_execute("ROLLBACK").unwrap();
    let (out, _) = bounded(with_short_waits(
        &db,
        &[
            "run",
            "--no-email",
            "--reports-root",
            root.path().to_str().unwrap(),
        ],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        5
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(DISTINCT lead_id) AS n FROM lead_assignments"
        ),
        5
    );
}

#[derive(QueryableByName)]
struct T {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[test]
fn a_locked_documents_table_after_the_commit_exits_3_and_the_next_run_finishes() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 2);
    let (mut b, pid) = blocker(&db, "LOCK TABLE documents IN ACCESS EXCLUSIVE MODE;");
    let root = tempfile::tempdir().unwrap();
    let root_s = root.path().to_str().unwrap();
    let (out, took) = bounded(with_short_waits(&db, &["run", "--reports-root", root_s]));
    let msg = all(&out);
    assert_eq!(out.status.code(), Some(3), "{msg}");
    assert!(took < Duration::from_secs(45), "{took:?}");
    assert!(msg.contains("documents (AccessExclusiveLock)"), "{msg}");
    assert!(
        msg.contains(&format!("pid {pid}")) && msg.contains("etl-test"),
        "{msg}"
    );
    assert!(
        msg.contains("leads-assignment pdf --batch 1"),
        "finish commands: {msg}"
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        4
    );

    // Every other command is bounded the same way, and names the table.
    for args in [
        vec!["pdf", "--batch", "1", "--reports-root", root_s],
        vec!["notify", "--batch", "1", "--reports-root", root_s],
    ] {
        let (out, _) = bounded(with_short_waits(&db, &args));
        let msg = all(&out);
        assert_ne!(out.status.code(), Some(0), "{args:?}: {msg}");
        assert!(
            msg.contains("documents (AccessExclusiveLock)"),
            "{args:?}: {msg}"
        );
    }

    b.batch_execute("ROLLBACK").unwrap();
    let (out, _) = bounded(with_short_waits(&db, &["run", "--reports-root", root_s]));
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert!(
        all(&out).contains("Finished earlier batches: batch 1"),
        "{}",
        all(&out)
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 2);
}

#[test]
fn migrate_agents_and_report_name_what_they_wait_for() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 1);
    for (table, args) in [
        ("__diesel_schema_migrations", vec!["migrate"]),
        ("agents_master", vec!["agents", "list"]),
        ("lead_assignments", vec!["report"]),
    ] {
        let (mut b, _) = blocker(
            &db,
            &format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;"),
        );
        let (out, _) = bounded(with_short_waits(&db, &args));
        let msg = all(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {msg}");
        assert!(
            msg.contains(&format!("{table} (AccessExclusiveLock)")),
            "{args:?}: {msg}"
        );
        assert!(msg.contains("etl-test"), "{msg}");
        b.batch_execute("ROLLBACK").unwrap();
    }
}

#[test]
fn a_server_that_never_answers_ends_within_the_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(8) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leads-assignment"));
    cmd.args(["run", "--no-email"])
        .env(
            "DATABASE_URL",
            format!("postgres://u:s3cr%40t@127.0.0.1:{port}/db"),
        )
        .env("LEADS_DB_CONNECT_TIMEOUT", "2");
    let (out, took) = bounded(cmd);
    let msg = all(&out);
    assert_eq!(out.status.code(), Some(1), "{msg}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        msg.contains("127.0.0.1") && msg.contains(&port.to_string()),
        "{msg}"
    );
    assert!(msg.contains("timeout"), "{msg}");
    assert!(!msg.contains("s3cr"), "no part of the password: {msg}");
}
