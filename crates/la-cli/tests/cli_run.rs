//! The `leads-assignment` binary as a process: run, exit codes, re-sending,
//! refusal in prod, concurrency, SIGKILL, ingest, diagnose and demo.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};

use diesel::prelude::*;
use la_notify::testing::SmtpSink;
use la_schema::seed;
use la_schema::testing::migrated_db;

mod common;
use common::{cli, count, run, seed_stores, spawn_run, text, wait_until};

#[test]
fn standalone_run_then_nothing_to_assign() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 3);
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("Totals: 6 of 6 eligible lead(s) assigned"),
        "{stdout}"
    );
    assert!(stdout.contains("No SMTP host configured"), "{stdout}");
    assert!(
        stdout.contains("Sheets: /"),
        "the sheet folder, once: {stdout}"
    );
    assert!(
        stdout
            .lines()
            .filter(|l| l.starts_with("S0 ") || l.starts_with("S1 "))
            .all(|l| l.contains(" ok ") && l.ends_with("written to the outbox")),
        "{stdout}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.ends_with(" sent") || l.contains(" sent,") || l.contains(" sent via")),
        "the outbox is never 'sent': {stdout}"
    );
    let outbox = root.path().join("leads_assignment").join("outbox");
    assert_eq!(
        std::fs::read_dir(&outbox).unwrap().count(),
        3,
        "one .eml per store, and the summary to the operator"
    );

    let again = run(&db, root.path(), &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("Emails: none (nothing assigned)"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM pipeline_run_summaries WHERE summary_text LIKE '%nothing to assign%'"), 1);
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM documents"),
        2,
        "no sheets for an empty run"
    );

    // A character no sheet font has: one warning line, and the status says so.
    let mut odd = seed::SeedLead::new(9001, "S0", None, None);
    odd.customer_name = Some("Ravi 🪔".into());
    seed::leads(&mut c, &[odd]).unwrap();
    let third = run(&db, root.path(), &[]);
    let stdout = text(&third.stdout);
    assert_eq!(third.status.code(), Some(0), "{stdout}");
    let line = "warning: 1 lead(s) with characters no sheet font covers (drawn as placeholders)";
    assert_eq!(stdout.matches(line).count(), 1, "{stdout}");
    assert!(stdout.contains("Status: success_with_warnings"), "{stdout}");
}

#[test]
fn smtp_down_exits_3_and_the_printed_notify_command_finishes_the_job() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 3, 2);
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = cli(&db)
        .args(["run", "--reports-root", root.path().to_str().unwrap()])
        .env("REPORT_EMAIL_SMTP_HOST", "127.0.0.1")
        .env("REPORT_EMAIL_SMTP_PORT", "1")
        .env("REPORT_EMAIL_USE_TLS", "false")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        6
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 3);
    let line = stdout
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("leads-assignment notify --batch")
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("--env dev --reports-root /"), "{line}");
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'failed'"
        ),
        1,
        "one connection failure"
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'not_attempted'"
        ),
        3,
        "the other store emails and the summary were not attempted"
    );
    let args: Vec<&str> = line.split_whitespace().skip(1).collect();
    let sink = SmtpSink::start().unwrap();
    let resend = cli(&db)
        .args(&args)
        .env("REPORT_EMAIL_SMTP_HOST", "127.0.0.1")
        .env("REPORT_EMAIL_SMTP_PORT", sink.port.to_string())
        .env("REPORT_EMAIL_USE_TLS", "false")
        .output()
        .unwrap();
    assert_eq!(
        resend.status.code(),
        Some(0),
        "{}{}",
        text(&resend.stdout),
        text(&resend.stderr)
    );
    assert_eq!(
        sink.received().len(),
        4,
        "every store's email and the summary delivered"
    );
}

#[test]
fn prod_without_smtp_refuses_before_writing_anything() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 2);
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &["--env", "prod"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("REPORT_EMAIL_SMTP_HOST") && stderr.contains("--no-email"),
        "{stderr}"
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_batches"),
        0
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM pipeline_run_summaries"),
        0
    );
    assert!(std::fs::read_dir(root.path()).unwrap().next().is_none());
    // --no-email lets it run.
    assert_eq!(
        run(&db, root.path(), &["--env", "prod", "--no-email"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn two_runs_started_together_assign_each_lead_once() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 4, 150);
    let root = tempfile::tempdir().unwrap();
    let spawn = || {
        cli(&db)
            .args([
                "run",
                "--no-email",
                "--reports-root",
                root.path().to_str().unwrap(),
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
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        600
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(DISTINCT lead_id) AS n FROM lead_assignments"
        ),
        600
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM missed_leads WHERE lead_assigned"
        ),
        600
    );
}

#[test]
fn sigkill_inside_the_assignment_transaction_leaves_nothing() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 20);
    // Hold a row lock the run's flag UPDATE needs, so the run stops inside its transaction.
    let mut blocker = db.conn();
    diesel::connection::SimpleConnection::batch_execute(
        &mut blocker,
        "BEGIN; SELECT 1 FROM missed_leads WHERE pickup_row_id = 1 FOR NO KEY UPDATE;",
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut child = spawn_run(&db, root.path(), &["--no-email"]);
    wait_until(
        &mut c,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE \"missed_leads\"%'",
        |n| n > 0,
        "the run never reached its UPDATE",
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut blocker, "ROLLBACK").unwrap();
    // The server notices the dead client and rolls its transaction back.
    wait_until(
        &mut c,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'UPDATE \"missed_leads\"%' AND state <> 'idle'",
        |n| n == 0,
        "the server never ended the dead run's session",
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_batches"),
        0
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        0
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM missed_leads WHERE lead_assigned"
        ),
        0
    );
    let next = run(&db, root.path(), &["--no-email"]);
    assert_eq!(next.status.code(), Some(0));
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        20
    );
}

#[test]
fn ingest_outcomes_reports_each_file_and_exits_1_when_one_fails() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 3);
    let root = tempfile::tempdir().unwrap();
    assert_eq!(
        run(&db, root.path(), &["--no-email"]).status.code(),
        Some(0)
    );
    let sheet: String = la_schema::schema::documents::table
        .select(la_schema::schema::documents::file_path.assume_not_null())
        .first(&mut c)
        .unwrap();
    // Fill every conv field with "Y" (as a viewer would store it) and save.
    let mut doc = lopdf::Document::load(&sheet).unwrap();
    let ids: Vec<_> = doc.objects.keys().copied().collect();
    for id in ids {
        if let Ok(d) = doc.get_dictionary_mut(id) {
            if d.get(b"T").ok().and_then(|t| t.as_str().ok()) == Some(b"conv".as_slice()) {
                d.set("V", lopdf::Object::string_literal("Y"));
            }
        }
    }
    let inbox = root.path().join("returned");
    std::fs::create_dir_all(inbox.join("sub")).unwrap();
    doc.save(inbox.join("sub").join("good.pdf")).unwrap();
    std::fs::write(inbox.join("bad.PDF"), b"not a pdf at all").unwrap();
    std::fs::write(inbox.join("notes.txt"), b"ignored").unwrap();
    let out = cli(&db)
        .args(["ingest-outcomes", inbox.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("ok")
            && l.contains("good.pdf")
            && l.contains("new 3, changed 0, unchanged 0, blank 0")
            && l.contains("batch 1, store")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("FAILED")
            && l.contains("bad.PDF")
            && l.contains("not a readable PDF")),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 file(s): 1 ingested, 1 failed"),
        "{stdout}"
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_outcomes WHERE converted_flag"
        ),
        3
    );
    let ledger = "SELECT count(*) AS n FROM lead_assignment_ingests";
    assert_eq!(count(&mut c, ledger), 1);
    // A check reports as an ingest would, writes nothing, exits 1 for the bad file.
    let check = cli(&db)
        .args(["ingest-outcomes", "--check", inbox.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = text(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("check") && l.contains("unchanged")),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was written"), "{stdout}");
    assert_eq!(count(&mut c, ledger), 1);
    // Only good files: exit 0; the same file again is "unchanged".
    let ok = cli(&db)
        .args([
            "ingest-outcomes",
            "--ingested-by",
            "Meera",
            inbox.join("sub").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert!(
        text(&ok.stdout).contains(": unchanged"),
        "{}",
        text(&ok.stdout)
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_ingests WHERE ingested_by = 'Meera'"
        ),
        1
    );
}

#[test]
fn diagnose_json_and_usage_errors() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 2);
    seed::store(&mut c, "OFF", None, false).unwrap();
    let out = cli(&db).args(["diagnose", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stores = v.as_array().unwrap();
    let off = stores.iter().find(|s| s["store_code"] == "OFF").unwrap();
    assert!(off["verdict"]
        .as_str()
        .unwrap()
        .contains("assign_leads is false"));
    let s0 = stores.iter().find(|s| s["store_code"] == "S0").unwrap();
    assert_eq!(s0["next_run_assigns"], 2);
    let out = cli(&db)
        .args(["diagnose", "--store", "s0"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("=> ok: the next run assigns 2 lead(s)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        cli(&db)
            .args(["run", "--env", "staging"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        cli(&db).args(["pdf"]).output().unwrap().status.code(),
        Some(2)
    );
}

#[test]
fn json_status_logs_one_object_per_line() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 2);
    let root = tempfile::tempdir().unwrap();
    let out = run(
        &db,
        root.path(),
        &["--no-email", "--log-format", "json", "--run-id", "r-json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = text(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let phases: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l.get("phase").is_some()).collect();
    assert!(phases
        .iter()
        .any(|l| l["phase"] == "assign" && l["status"] == "ok" && l["run_id"] == "r-json"));
    for l in &phases {
        for k in [
            "ts", "level", "pipeline", "run_id", "phase", "status", "message",
        ] {
            assert!(l.get(k).is_some(), "{k} missing in {l}");
        }
    }
}

#[test]
fn demo_runs_to_completion_with_valid_sheets_and_emails() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leads-assignment"))
        .args([
            "demo",
            "--leads",
            "600",
            "--out",
            out_dir.path().to_str().unwrap(),
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("Second run the same day"), "{stdout}");
    let mut pdfs = Vec::new();
    let tree = out_dir.path().join("leads_assignment");
    for day in std::fs::read_dir(&tree).unwrap() {
        let day = day.unwrap();
        if day.file_name() == "outbox" || !day.file_type().unwrap().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(day.path()).unwrap() {
            pdfs.push(f.unwrap().path());
        }
    }
    assert!(pdfs.len() > 20, "{}", pdfs.len());
    for p in pdfs.iter().take(5) {
        let check = Command::new("qpdf")
            .arg("--check")
            .arg(p)
            .output()
            .expect("qpdf is required: run scripts/install-test-deps");
        assert!(check.status.success(), "{}", p.display());
    }
    let emls = std::fs::read_dir(tree.join("outbox")).unwrap().count();
    assert!(emls > 20, "{emls}");
}
