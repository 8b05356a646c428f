//! The binary as a new operator meets it: help everywhere, usage mistakes
//! that exit 2 before anything is written, helpful failures, machine-readable
//! output, completions, the man page and the first-setup SQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use diesel::connection::SimpleConnection;
use la_schema::seed::{self, SeedLead};
use la_schema::testing::{empty_db, migrated_db};

mod common;
use common::{cli, count, run, seed_stores, text};

fn bare() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leads-assignment"));
    for v in [
        "DATABASE_URL",
        "LEADS_TIMEZONE",
        "LOG_FORMAT",
        "RUN_ENV",
        "REPORTS_ROOT",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn every_command_answers_h_with_help_for_every_option() {
    for path in [
        vec![],
        vec!["migrate"],
        vec!["run"],
        vec!["pdf"],
        vec!["notify"],
        vec!["ingest-outcomes"],
        vec!["diagnose"],
        vec!["agents"],
        vec!["agents", "list"],
        vec!["agents", "leave"],
        vec!["agents", "leave", "add"],
        vec!["agents", "leave", "list"],
        vec!["agents", "leave", "remove"],
        vec!["demo"],
        vec!["completions"],
        vec!["man"],
    ] {
        let out = bare().args(&path).arg("-h").output().unwrap();
        let help = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{path:?}");
        // Every option line carries a description after its name.
        for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
            let described = line
                .trim()
                .split("  ")
                .filter(|p| !p.trim().is_empty())
                .count()
                >= 2;
            assert!(described, "{path:?}: {line:?} has no help");
        }
    }
    let demo = text(&bare().args(["demo", "-h"]).output().unwrap().stdout);
    assert!(!demo.contains("--database-url"), "{demo}");
    let top = text(&bare().arg("-h").output().unwrap().stdout);
    assert!(top.starts_with("Hands missed pickup leads"), "{top}");
}

#[test]
fn usage_mistakes_exit_2_naming_the_flag_and_write_nothing() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 2);
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();

    let no_db = bare().args(["run", "--reports-root", r]).output().unwrap();
    assert_eq!(no_db.status.code(), Some(2));
    assert!(
        text(&no_db.stderr).contains("--database-url")
            && text(&no_db.stderr).contains("DATABASE_URL")
    );

    for tz in ["+05:30", "Mars/Olympus"] {
        let out = cli(&db)
            .args(["run", "--reports-root", r, "--timezone", tz])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{tz}");
        assert!(
            text(&out.stderr).contains("--timezone"),
            "{}",
            text(&out.stderr)
        );
    }
    let env_tz = cli(&db)
        .args(["run", "--reports-root", r])
        .env("LEADS_TIMEZONE", "+05:30")
        .output()
        .unwrap();
    assert_eq!(env_tz.status.code(), Some(2));

    let both = cli(&db)
        .args(["notify", "--batch", "1", "--all", "--only", "summary"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(
        text(&both.stderr).contains("--all"),
        "{}",
        text(&both.stderr)
    );

    let json = cli(&db)
        .args(["run", "--log-format", "json", "--timezone", "+05:30"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(2));
    for line in text(&json.stderr).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(v["level"], "error");
    }
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_batches"),
        0
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM pipeline_run_summaries"),
        0
    );
}

#[test]
fn an_unmigrated_database_gets_the_migrate_hint_and_an_empty_one_a_sentence() {
    let raw = empty_db();
    for args in [vec!["run"], vec!["diagnose"], vec!["agents", "list"]] {
        let out = bare()
            .args(&args)
            .env("DATABASE_URL", &raw.url)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("not migrated") && err.contains("leads-assignment migrate"),
            "{err}"
        );
    }
    let json_err = bare()
        .args(["diagnose", "--log-format", "json"])
        .env("DATABASE_URL", &raw.url)
        .output()
        .unwrap();
    let last = text(&json_err.stderr);
    let v: serde_json::Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    assert!(v["message"].as_str().unwrap().contains("not migrated"));

    let db = migrated_db();
    let out = cli(&db).arg("diagnose").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).starts_with("No stores:"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn run_json_is_the_report_and_quiet_prints_nothing() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 3);
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &["--no-email", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pairs = v["assignment"]["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0]["store_code"], "S0");
    assert_eq!(pairs[0]["existing_assigned"], 3);
    assert_eq!(v["overall_status"], "success");

    seed::leads(&mut c, &[SeedLead::new(99, "S0", None, None)]).unwrap();
    let quiet = run(&db, root.path(), &["--no-email", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(text(&quiet.stdout), "");
    assert_eq!(text(&quiet.stderr), "");
}

#[test]
fn the_run_table_fits_100_columns_whatever_the_names() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 2);
    c.batch_execute(
        "UPDATE agents_master SET agent_name = E'Venkataramanan\\nSubrahmanya 漢字漢字'",
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &["--no-email"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let table: Vec<&str> = stdout.lines().skip(1).take(2).collect();
    assert!(table[0].starts_with("store"), "{stdout}");
    for line in table {
        let width = unicode_width::UnicodeWidthStr::width(line);
        assert!(width <= 100, "{width}: {line}");
    }
    assert!(
        stdout.contains("Venkataramanan…") || stdout.contains("…"),
        "{stdout}"
    );
    assert!(!stdout.lines().nth(2).unwrap().contains('\n'));
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let out = bare().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("ingest-outcomes"), "{shell}");
    }
    let man = bare().arg("man").output().unwrap();
    assert_eq!(man.status.code(), Some(0));
    assert!(text(&man.stdout).contains(".TH leads-assignment"));
}

#[test]
fn the_first_setup_example_leads_to_a_successful_run() {
    let db = migrated_db();
    let mut c = db.conn();
    let sql = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operator-setup.sql"
    ))
    .unwrap();
    c.batch_execute(&sql).unwrap();
    let rows: Vec<SeedLead> = (1..=5)
        .map(|i| SeedLead::new(i, "PNQ01", None, None))
        .collect();
    seed::leads(&mut c, &rows).unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("Totals: 5 of 5 eligible lead(s) assigned"),
        "{stdout}"
    );
    assert!(stdout.contains("Status: success\n"), "{stdout}");
}

#[test]
fn demo_clears_what_it_wrote_before() {
    let out_dir = tempfile::tempdir().unwrap();
    let stale = out_dir
        .path()
        .join("leads_assignment")
        .join("outbox")
        .join("stale.eml");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, b"old").unwrap();
    // docs/decisions.md D26: what a demo wrote is marked as the demo's.
    std::fs::write(
        out_dir
            .path()
            .join("leads_assignment")
            .join(".leads-assignment-demo"),
        b"",
    )
    .unwrap();
    let keep = out_dir.path().join("notes.txt");
    std::fs::write(&keep, b"mine").unwrap();
    let out = bare()
        .args([
            "demo",
            "--leads",
            "200",
            "--out",
            out_dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Cleared the previous demo's"));
    assert!(!stale.exists());
    assert!(keep.exists(), "only the demo's own folders are cleared");
}
