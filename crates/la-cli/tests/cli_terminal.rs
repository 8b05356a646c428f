//! What reaches the operator's terminal (docs/decisions.md D31): names,
//! values and file names holding ESC, BEL, CR, a C1 control and a bidi
//! override reach no command's stdout or stderr raw; values print as text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;

use diesel::prelude::*;
use la_schema::schema::{documents, lead_assignments as la};
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::{migrated_db, TestDb};

mod common;
use common::{cli, fill, run, text};

/// Clears the screen, rings, returns to the line's start, turns red through
/// a C1 CSI and reverses what follows.
const EVIL: &str = "Evil\u{1b}[2J\u{7}\rX\u{9b}31m\u{202e}fdp.exe";
const RAW: [char; 5] = ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'];

/// `out` has none of the raw characters, and shows `EVIL` escaped when
/// `shown` (the command prints the name).
fn assert_safe(what: &str, out: &Output, shown: bool) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let s = text(bytes);
        let raw: Vec<char> = RAW.iter().copied().filter(|c| s.contains(*c)).collect();
        assert!(raw.is_empty(), "{what}: {stream} has {raw:?} raw:\n{s}");
    }
    if shown {
        // Shown escaped (a table may cut the rest).
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            all.contains("Evil\\u{1b}[2J"),
            "{what}: the name is not shown escaped:\n{all}"
        );
    }
}

/// Store S1 (named EVIL) with agent 0001 (named EVIL, on leave for EVIL
/// reasons tomorrow), three leads of customers named EVIL, one recipient.
fn evil_store(db: &TestDb) {
    let mut c = db.conn();
    seed::store(&mut c, "S1", Some(EVIL), true).unwrap();
    let a = seed::agent(&mut c, Some("0001"), EVIL, true).unwrap();
    seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    let rows: Vec<SeedLead> = (1..=3)
        .map(|i| {
            let mut l = SeedLead::new(i, "S1", None, None);
            l.customer_name = Some(EVIL.into());
            l.store_name = Some(EVIL.into());
            l
        })
        .collect();
    seed::leads(&mut c, &rows).unwrap();
    seed::recipient(&mut c, Some("S1"), "any", "s1@example.com", "to", true).unwrap();
    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1)).to_string();
    let out = cli(db)
        .args([
            "agents", "leave", "add", "0001", "--from", &tomorrow, "--to", &tomorrow,
        ])
        .args(["--reason", EVIL])
        .output()
        .unwrap();
    assert_safe("agents leave add", &out, false);
}

/// The first sheet's file and its first lead's code.
fn first_sheet(db: &TestDb) -> (String, String) {
    let mut c = db.conn();
    let sheet = documents::table
        .select(documents::file_path.assume_not_null())
        .first(&mut c)
        .unwrap();
    let code = la::table
        .select(la::lead_assignment_code)
        .order(la::rowid)
        .first(&mut c)
        .unwrap();
    (sheet, code)
}

#[test]
fn no_command_prints_a_name_that_drives_the_terminal() {
    let db = migrated_db();
    evil_store(&db);
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();

    let dry = run(&db, root.path(), &["--dry-run"]);
    assert_safe("run --dry-run", &dry, true);
    let out = run(&db, root.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_safe("run", &out, true);
    let json_logs = run(&db, root.path(), &["--log-format", "json"]);
    assert_safe("run --log-format json", &json_logs, false);

    let batch = "1";
    for (what, args, shown) in [
        ("diagnose", vec!["diagnose", "--reports-root", r], true),
        ("agents list", vec!["agents", "list"], true),
        ("agents leave list", vec!["agents", "leave", "list"], true),
        ("report", vec!["report"], true),
        (
            "report --outstanding",
            vec!["report", "--outstanding", "--older-than", "0"],
            true,
        ),
        (
            "pdf",
            vec!["pdf", "--batch", batch, "--reports-root", r],
            false,
        ),
        (
            "notify",
            vec!["notify", "--batch", batch, "--all", "--reports-root", r],
            false,
        ),
    ] {
        let out = cli(&db).args(&args).output().unwrap();
        assert!(out.status.code().is_some(), "{what}");
        assert_safe(what, &out, shown);
    }

    // A filled sheet under a file name that drives the terminal, with a
    // value that does too.
    let (sheet, code) = first_sheet(&db);
    let returned = tempfile::tempdir().unwrap();
    let file = returned.path().join(format!("{EVIL}.pdf"));
    fill(
        Path::new(&sheet),
        &file,
        &[(format!("{code}.remarks"), EVIL)],
        false,
    );
    let out = cli(&db)
        .arg("ingest-outcomes")
        .arg(returned.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_safe("ingest-outcomes", &out, true);
}

#[test]
fn changed_values_print_as_the_text_itself() {
    let db = migrated_db();
    common::seed_store(&mut db.conn(), "S1", "0001", 1, 2, "s1");
    let root = tempfile::tempdir().unwrap();
    assert_eq!(run(&db, root.path(), &[]).status.code(), Some(0));
    let (sheet, code) = first_sheet(&db);
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.pdf");
    let values = [
        (format!("{code}.remarks"), "call back"),
        (format!("{code}.order_value"), "900"),
        (format!("{code}.order_date"), "01-12-2026"),
    ];
    fill(Path::new(&sheet), &first, &values, false);
    let out = cli(&db)
        .arg("ingest-outcomes")
        .arg(&first)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let hindi = "ग्राहक ने कल बुलाया";
    let filled = dir.path().join("filled.pdf");
    let values = [
        (format!("{code}.remarks"), hindi),
        (format!("{code}.order_value"), "₹१,२५०"),
        (format!("{code}.order_date"), "०५-१२-२०२६"),
    ];
    fill(Path::new(&sheet), &filled, &values, false);
    let out = cli(&db)
        .arg("ingest-outcomes")
        .arg(&filled)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // Hindi as Hindi, numbers in Devanagari digits read as the numbers.
    assert!(
        stdout.contains(&format!("remarks: \"call back\" → \"{hindi}\"")),
        "{stdout}"
    );
    assert!(
        stdout.contains("order_value: \"900.00\" → \"1250.00\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("order_date: \"01-12-2026\" → \"05-12-2026\""),
        "{stdout}"
    );
    assert!(!stdout.contains("\\u{"), "{stdout}");
}

#[test]
fn a_raw_at_in_the_password_is_refused_before_connecting() {
    let db = migrated_db();
    let url = "postgres://leads:s3cr@tPart@127.0.0.1:1/leads";
    let out = cli(&db)
        .env("DATABASE_URL", url)
        .arg("diagnose")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("percent-encode @ in the password as %40"),
        "{stderr}"
    );
    for part in ["s3cr", "tPart"] {
        assert!(
            !stderr.contains(part) && !text(&out.stdout).contains(part),
            "{stderr}"
        );
    }
}
