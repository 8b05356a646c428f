//! Nothing undelivered: every committed batch reaches its agents, whatever
//! fails after the commit (the binary as a process, real PostgreSQL, real
//! SMTP servers on 127.0.0.1, real files).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_notify::testing::SmtpSink;
use la_schema::schema::documents;
use la_schema::seed;
use la_schema::testing::migrated_db;

mod common;
use common::{
    cli, count, finish_lines, run, seed_store, seed_stores, smtp_env, spawn_run, text, wait_until,
};

#[test]
fn codes_that_sanitize_alike_get_their_own_sheets_rows_and_emails() {
    let db = migrated_db();
    let mut c = db.conn();
    let pairs = [
        ("BLR.01", "0001"),
        ("BLR_01", "0002"),
        ("A 1", "0003"),
        ("A_1", "0004"),
        ("S1_X", "01"),
        ("S1", "X_01"),
    ];
    for (i, (store, agent)) in pairs.iter().enumerate() {
        seed_store(
            &mut c,
            store,
            agent,
            i as i32 * 100 + 1,
            2,
            &format!("r{i}"),
        );
    }
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = cli(&db)
        .args(["run", "--reports-root", root.path().to_str().unwrap()])
        .envs(smtp_env(sink.port))
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("Status: success\n"), "{stdout}");
    let docs: Vec<(String, Option<String>)> = documents::table
        .select((documents::file_name, documents::file_path))
        .load(&mut c)
        .unwrap();
    assert_eq!(docs.len(), 6);
    let names: BTreeSet<&String> = docs.iter().map(|d| &d.0).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    for (_, path) in &docs {
        let path = std::path::PathBuf::from(path.as_ref().unwrap());
        assert!(path.is_absolute() && path.is_file(), "{}", path.display());
    }
    let received: BTreeSet<String> = sink
        .received()
        .iter()
        .flat_map(|m| {
            m.rcpt
                .iter()
                .map(|r| r.trim_matches(['<', '>']).to_string())
        })
        .collect();
    for i in 0..6 {
        assert!(
            received.contains(&format!("r{i}@example.com")),
            "{received:?}"
        );
    }
}

#[test]
fn a_batch_whose_reports_root_failed_is_finished_by_the_next_plain_run() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 3);
    // The operator: the one who may see every store in the run summary.
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("reports");
    std::fs::write(&root, b"a file where the folder should be").unwrap();
    let first = run(&db, &root, &[]);
    assert_eq!(first.status.code(), Some(3), "{}", text(&first.stdout));
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 0);

    std::fs::remove_file(&root).unwrap();
    let next = run(&db, &root, &[]);
    let stdout = text(&next.stdout);
    assert_eq!(
        next.status.code(),
        Some(0),
        "{stdout}{}",
        text(&next.stderr)
    );
    assert!(
        stdout.contains("Finished earlier batches: batch 1 of"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 sheet(s) written") && stdout.contains("(finished)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("nothing to assign") || stdout.contains("0 of 0"),
        "{stdout}"
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 2);
    assert_eq!(
        count(&mut c, "SELECT count(DISTINCT email_key) AS n FROM lead_assignment_deliveries WHERE batch_id = 1 AND outcome = 'written_to_outbox'"),
        3,
        "both store emails and the summary"
    );
    let summary: String = diesel::sql_query(
        "SELECT summary_text AS t FROM pipeline_run_summaries ORDER BY id DESC LIMIT 1",
    )
    .get_result::<Text>(&mut c)
    .unwrap()
    .t;
    assert!(summary.contains("earlier batches: batch 1"), "{summary}");
    // Nothing is owed any more: a third run finishes nothing.
    let third = text(&run(&db, &root, &[]).stdout);
    assert!(!third.contains("Finished earlier batches"), "{third}");
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[test]
fn a_run_killed_after_its_commit_is_marked_interrupted_and_finished() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 3);
    // The operator: the one who may see every store in the run summary.
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    // Hold back the first documents row: the run stops right after its commit.
    let mut blocker = db.conn();
    blocker
        .batch_execute("BEGIN; LOCK TABLE documents IN EXCLUSIVE MODE;")
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut child = spawn_run(&db, root.path(), &["--run-id", "doomed"]);
    wait_until(
        &mut c,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"documents\"%'",
        |n| n > 0,
        "the run never reached its sheets",
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        6
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    blocker.batch_execute("ROLLBACK").unwrap();
    // The server notices the dead client and ends its session (and lock).
    wait_until(
        &mut c,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'INSERT INTO \"documents\"%'",
        |n| n == 0,
        "the server never ended the dead run's session",
    );
    // ... and with it the run's session lock ("LARU"), whatever connection held it.
    wait_until(
        &mut c,
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 1279349333",
        |n| n == 0,
        "the dead run's lock was never released",
    );
    let status = |c: &mut PgConnection| {
        diesel::sql_query(
            "SELECT overall_status AS t FROM pipeline_run_summaries WHERE run_id = 'doomed'",
        )
        .get_result::<Text>(c)
        .unwrap()
        .t
    };
    assert_eq!(status(&mut c), "running");

    let next = run(&db, root.path(), &[]);
    let stdout = text(&next.stdout);
    assert_eq!(
        next.status.code(),
        Some(0),
        "{stdout}{}",
        text(&next.stderr)
    );
    assert!(
        stdout.contains("Earlier run doomed was interrupted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Finished earlier batches: batch 1"),
        "{stdout}"
    );
    assert_eq!(status(&mut c), "interrupted");
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 2);
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'written_to_outbox'"),
        3
    );
}

#[test]
fn notify_sends_only_what_is_owed_and_all_sends_everything() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 2);
    // The operator: the one who may see every store in the run summary.
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let out = cli(&db)
        .args(["run", "--reports-root", r])
        .envs(smtp_env(sink.port))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(sink.received().len(), 3);

    let again = cli(&db)
        .args(["notify", "--batch", "1", "--reports-root", r])
        .envs(smtp_env(sink.port))
        .output()
        .unwrap();
    let stdout = text(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("nothing to send: all 3 email(s) were already delivered"),
        "{stdout}"
    );
    assert_eq!(sink.received().len(), 3, "nothing sent twice");

    let all = cli(&db)
        .args(["notify", "--batch", "1", "--all", "--reports-root", r])
        .envs(smtp_env(sink.port))
        .output()
        .unwrap();
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stdout));
    assert_eq!(sink.received().len(), 6);
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'sent' AND message_id LIKE '<la.%@example.invalid>'"),
        6,
        "a ledger row with a Message-ID per attempt"
    );
    let unknown = cli(&db)
        .args([
            "notify",
            "--batch",
            "1",
            "--only",
            "store-NOPE",
            "--only",
            "summary",
        ])
        .envs(smtp_env(sink.port))
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("\"store-NOPE\""),
        "{}",
        text(&unknown.stderr)
    );
    assert_eq!(sink.received().len(), 6, "a usage mistake sends nothing");
}

/// An SMTP server that accepts connections and never says a word; it lets
/// go after `secs`.
fn silent_server(secs: u64) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut held = Vec::new();
        while Instant::now() < end {
            if let Ok((s, _)) = listener.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    port
}

/// An SMTP server whose greeting never ends: a `220-` continuation line
/// every 300 ms, for at most `secs`.
fn trickling_server(secs: u64) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(secs);
        listener.set_nonblocking(true).unwrap();
        let mut clients = Vec::new();
        while Instant::now() < end {
            if let Ok((s, _)) = listener.accept() {
                clients.push(s);
            }
            clients.retain_mut(|s| s.write_all(b"220-still greeting\r\n").is_ok());
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    port
}

fn assert_bounded_failure_then_finish(port: u16, timeout: Option<&str>) {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 3, 2); // three store emails and the summary
                               // The operator: the one who may see every store in the run summary.
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut cmd = cli(&db);
    cmd.args(["run", "--reports-root", root.path().to_str().unwrap()])
        .envs(smtp_env(port));
    if let Some(t) = timeout {
        cmd.env("REPORT_EMAIL_SMTP_TIMEOUT", t);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    assert!(took < Duration::from_secs(90), "{took:?}");
    assert!(stdout.contains("did not answer within"), "{stdout}");
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        6
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'failed'"
        ),
        1
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'not_attempted'"
        ),
        3
    );
    // The host is back: the printed command delivers every email.
    let sink = SmtpSink::start().unwrap();
    let lines = finish_lines(&stdout);
    let notify = lines
        .iter()
        .find(|l| l.contains(" notify "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let done = cli(&db).args(["--version"]).output().unwrap();
    assert!(done.status.success());
    let resend = std::process::Command::new("sh")
        .arg("-c")
        .arg(notify.replacen(
            "leads-assignment",
            env!("CARGO_BIN_EXE_leads-assignment"),
            1,
        ))
        .env("DATABASE_URL", &db.url)
        .envs(smtp_env(sink.port))
        .output()
        .unwrap();
    assert_eq!(
        resend.status.code(),
        Some(0),
        "{}{}",
        text(&resend.stdout),
        text(&resend.stderr)
    );
    assert_eq!(sink.received().len(), 4);
}

#[test]
fn an_smtp_host_that_never_answers_costs_one_timeout() {
    assert_bounded_failure_then_finish(silent_server(120), None);
}

#[test]
fn an_smtp_greeting_that_never_ends_costs_one_timeout() {
    assert_bounded_failure_then_finish(trickling_server(60), Some("3"));
}

#[test]
fn the_database_lost_after_the_commit_exits_3_with_commands_that_work_pasted() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_store(&mut c, "S 1,$(touch pwned)", "0001", 1, 2, "odd");
    seed_store(&mut c, "S2", "0002", 100, 2, "plain");
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    // The run's session dies at its first documents row, after the commit.
    c.batch_execute(
        "CREATE FUNCTION la_test_die() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
         CREATE TRIGGER la_test_die BEFORE INSERT ON documents
           FOR EACH ROW EXECUTE FUNCTION la_test_die();",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("my reports");
    let out = run(&db, &root, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("Partly done: assignments of batch 1 are committed"),
        "{stdout}"
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        4
    );
    c.batch_execute("DROP TRIGGER la_test_die ON documents")
        .unwrap();

    let lines = finish_lines(&stdout);
    assert_eq!(lines.len(), 2, "{stdout}");
    let cwd = tempfile::tempdir().unwrap();
    for line in &lines {
        let pasted = std::process::Command::new("sh")
            .arg("-c")
            .arg(line.replacen(
                "leads-assignment",
                env!("CARGO_BIN_EXE_leads-assignment"),
                1,
            ))
            .current_dir(cwd.path())
            .env("DATABASE_URL", &db.url)
            .env_remove("REPORT_EMAIL_SMTP_HOST")
            .output()
            .unwrap();
        assert_eq!(
            pasted.status.code(),
            Some(0),
            "{line}: {}{}",
            text(&pasted.stdout),
            text(&pasted.stderr)
        );
    }
    assert!(!cwd.path().join("pwned").exists());
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 2);
    assert_eq!(
        count(&mut c, "SELECT count(DISTINCT email_key) AS n FROM lead_assignment_deliveries WHERE outcome = 'written_to_outbox'"),
        3
    );
    let outbox = root.join("leads_assignment").join("outbox");
    assert_eq!(std::fs::read_dir(outbox).unwrap().count(), 3);
}

#[test]
fn planted_links_are_never_followed_and_concurrent_pdf_runs_both_succeed() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 3);
    // The operator: the one who may see every store in the run summary.
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("reports");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    let today: chrono::NaiveDate =
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Date>("current_date"))
            .get_result(&mut c)
            .unwrap();
    let sheets = root.join("leads_assignment").join(today.to_string());
    let outbox = root.join("leads_assignment").join("outbox");
    std::fs::create_dir_all(&sheets).unwrap();
    std::fs::create_dir_all(&outbox).unwrap();
    for s in ["S0_0000", "S1_0001"] {
        let name = format!("leads_assignment_{today}_{s}_b1.pdf");
        std::os::unix::fs::symlink(&victim, sheets.join(format!(".{name}.tmp"))).unwrap();
        std::os::unix::fs::symlink(&victim, sheets.join(&name)).unwrap();
    }
    for e in ["b1-store-S0", "b1-store-S1", "b1-summary"] {
        std::os::unix::fs::symlink(&victim, outbox.join(format!(".{e}.eml.tmp"))).unwrap();
        std::os::unix::fs::symlink(&victim, outbox.join(format!("{e}.eml"))).unwrap();
    }
    let out = run(&db, &root, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    for e in std::fs::read_dir(&sheets)
        .unwrap()
        .chain(std::fs::read_dir(&outbox).unwrap())
    {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".tmp") {
            assert!(
                !e.file_type().unwrap().is_symlink(),
                "{name} is still a link"
            );
        }
    }

    let spawn = || {
        cli(&db)
            .args([
                "pdf",
                "--batch",
                "1",
                "--reports-root",
                root.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 2);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

#[test]
fn a_drifted_flag_is_repaired_and_reported_not_fatal() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 3);
    let root = tempfile::tempdir().unwrap();
    assert_eq!(
        run(&db, root.path(), &["--no-email"]).status.code(),
        Some(0)
    );
    c.batch_execute("UPDATE missed_leads SET lead_assigned = false, updated_at = '2020-01-01' WHERE pickup_row_id = 2")
        .unwrap();
    let out = run(&db, root.path(), &["--no-email"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("flag repaired: pickup_row_id [2]"),
        "{stdout}"
    );
    assert!(stdout.contains("Status: success_with_warnings"), "{stdout}");
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM missed_leads WHERE lead_assigned AND updated_at > '2020-01-01'"),
        3
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        3
    );
}

#[test]
fn the_skip_flag_is_honoured_and_a_dry_run_consumes_no_batch_id() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 2);
    let root = tempfile::tempdir().unwrap();
    c.batch_execute(
        "INSERT INTO system_config (key, value) VALUES ('skip_lead_assignment', 'true')",
    )
    .unwrap();
    let skipped = run(&db, root.path(), &["--no-email"]);
    assert_eq!(skipped.status.code(), Some(0), "{}", text(&skipped.stderr));
    assert!(
        text(&skipped.stdout).contains("skipped"),
        "{}",
        text(&skipped.stdout)
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_batches"),
        0
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM pipeline_run_summaries WHERE overall_status = 'skipped'"
        ),
        1
    );
    let dry = run(
        &db,
        root.path(),
        &["--no-email", "--ignore-skip-flag", "--dry-run"],
    );
    let stdout = text(&dry.stdout);
    assert_eq!(dry.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("would be assigned"), "{stdout}");
    let real = run(&db, root.path(), &["--no-email", "--ignore-skip-flag"]);
    assert_eq!(real.status.code(), Some(0));
    assert_eq!(
        count(&mut c, "SELECT max(id) AS n FROM lead_assignment_batches"),
        1,
        "the dry run took no batch id"
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'skipped'"
        ),
        2,
        "--no-email records its emails as skipped"
    );
}

#[test]
fn passwords_never_appear_whatever_the_connection_string() {
    let forms = [
        ("postgres://app:p@ss/w0rd@127.0.0.1:1/leads", "p@ss/w0rd"),
        ("postgres://app:p%40ssw0rd@127.0.0.1:1/leads", "p%40ssw0rd"),
        ("postgres://app:p%40ssw0rd@127.0.0.1:1/leads", "p@ssw0rd"),
        (
            "postgres://127.0.0.1:1/leads?user=app&password=s3cr3t-q",
            "s3cr3t-q",
        ),
        (
            "host=127.0.0.1 port=1 user=app password=s3cr3t-kv dbname=leads",
            "s3cr3t-kv",
        ),
        (
            "host=127.0.0.1 port=1 password='s3cr 3t' dbname=leads",
            "s3cr 3t",
        ),
    ];
    for (url, secret) in forms {
        for args in [vec!["migrate"], vec!["run", "--no-email"], vec!["diagnose"]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_leads-assignment"))
                .args(&args)
                .env("DATABASE_URL", url)
                .output()
                .unwrap();
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            // A raw @ in the password is refused before connecting (exit 2).
            let want = if url.matches('@').count() > 1 { 2 } else { 1 };
            assert_eq!(out.status.code(), Some(want), "{url}: {all}");
            assert!(!all.contains(secret), "{url} leaked {secret:?}: {all}");
        }
    }
}
