//! `leads-assignment migrate` as a process against real PostgreSQL servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leads-assignment"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit `code`, exactly one line on stderr, no panic, no backtrace, no password.
fn assert_one_line_exit(out: &Output, code: i32, secret: Option<&str>) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr:?}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    if let Some(secret) = secret {
        assert!(
            !stderr.contains(secret) && !text(&out.stdout).contains(secret),
            "password leaked: {stderr}"
        );
    }
    stderr
}

#[test]
fn migrate_applies_then_reports_up_to_date() {
    let db = la_schema::testing::empty_db();
    let out = cli(&["migrate", "--database-url", &db.url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let n = la_schema::testing::migration_count();
    assert!(
        stdout.contains(&format!("{n} migration(s) applied")),
        "{stdout}"
    );
    assert!(stdout.contains("applied 20261101000001"), "{stdout}");

    let out = Command::new(env!("CARGO_BIN_EXE_leads-assignment"))
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).trim(), "schema is up to date");
}

/// Exit 1, one line, no password.
fn assert_one_line_failure(out: &Output, secret: Option<&str>) -> String {
    assert_one_line_exit(out, 1, secret)
}

#[test]
fn missing_or_malformed_url_is_one_line_exit_1() {
    // No URL at all is a usage mistake (exit 2) naming the flag and variable.
    let e = assert_one_line_exit(&cli(&["migrate"]), 2, None);
    assert!(
        e.contains("--database-url") && e.contains("DATABASE_URL"),
        "{e}"
    );
    let e = assert_one_line_failure(
        &cli(&["migrate", "--database-url", "mysql://root:hunter2@x/y"]),
        Some("hunter2"),
    );
    assert!(e.contains("not a PostgreSQL URL"), "{e}");
    assert_one_line_failure(
        &cli(&["migrate", "--database-url", "postgres://u:hunter2@[::zz/db"]),
        Some("hunter2"),
    );
}

#[test]
fn down_server_is_one_line_exit_1() {
    // Port 1 on loopback: nothing listens there.
    let e = assert_one_line_failure(
        &cli(&[
            "migrate",
            "--database-url",
            "postgres://app:hunter2@127.0.0.1:1/leads",
        ]),
        Some("hunter2"),
    );
    assert!(e.contains("Connection refused"), "{e}");
}

#[test]
fn wrong_password_is_one_line_exit_1_without_the_password() {
    let server = la_pgtemp::TempServer::start_with_password("right-pw").unwrap();
    let url = format!(
        "postgres://postgres:wrong-pw-42@127.0.0.1:{}/postgres",
        server.port()
    );
    let e = assert_one_line_failure(
        &cli(&["migrate", "--database-url", &url]),
        Some("wrong-pw-42"),
    );
    assert!(e.contains("password authentication failed"), "{e}");
    // And the right one works.
    let out = cli(&["migrate", "--database-url", &server.url("postgres")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    server.stop();
}
