//! Returns with no hands (docs/decisions.md D29): the binary reads a real
//! IMAP mailbox (a throwaway Dovecot), ingests the returned sheets against a
//! real PostgreSQL, files each message and answers through the suite's real
//! SMTP server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Output;

use diesel::prelude::*;
use la_collect::testing::{reply, ImapServer, PASSWORD, USER};
use la_notify::testing::{Received, SmtpSink};
use la_schema::schema::{agents_master as am, documents, lead_assignments as la};
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::{migrated_db, TestDb};

mod common;
use common::{cli, count, edit, fill, smtp_env, text};

fn all(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

fn imap_env(server: &ImapServer) -> Vec<(&'static str, String)> {
    vec![
        ("REPORT_EMAIL_IMAP_HOST", "127.0.0.1".into()),
        ("REPORT_EMAIL_IMAP_PORT", server.port.to_string()),
        ("REPORT_EMAIL_IMAP_USE_TLS", "false".into()),
        ("REPORT_EMAIL_IMAP_USERNAME", USER.into()),
        ("REPORT_EMAIL_IMAP_PASSWORD", PASSWORD.into()),
    ]
}

struct Setup {
    db: TestDb,
    c: PgConnection,
    root: tempfile::TempDir,
    imap: ImapServer,
    sink: SmtpSink,
    /// Agents 0001 and 0002's sheets and their codes.
    sheets: Vec<(PathBuf, Vec<String>)>,
}

/// Store S1 (manager s1@example.com) with two agents, one run, its sheets.
fn setup() -> Setup {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", Some("Kothrud"), true).unwrap();
    for (code, name) in [("0001", "Asha"), ("0002", "Chetan")] {
        let a = seed::agent(&mut c, Some(code), name, true).unwrap();
        seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    }
    let rows: Vec<SeedLead> = (1..=4)
        .map(|i| SeedLead::new(i, "S1", None, None))
        .collect();
    seed::leads(&mut c, &rows).unwrap();
    seed::recipient(&mut c, Some("S1"), "any", "s1@example.com", "to", true).unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = cli(&db)
        .args([
            "run",
            "--no-email",
            "--reports-root",
            root.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let mut sheets = Vec::new();
    for agent in ["0001", "0002"] {
        let codes: Vec<String> = la::table
            .inner_join(am::table)
            .filter(am::agent_code.eq(agent))
            .order(la::rowid)
            .select(la::lead_assignment_code)
            .load(&mut c)
            .unwrap();
        let path: String = documents::table
            .filter(documents::reference_id_3.eq(agent))
            .select(documents::file_path.assume_not_null())
            .first(&mut c)
            .unwrap();
        sheets.push((PathBuf::from(path), codes));
    }
    Setup {
        db,
        c,
        root,
        imap: ImapServer::start(),
        sink: SmtpSink::start().unwrap(),
        sheets,
    }
}

impl Setup {
    fn collect(&self, extra: &[&str]) -> Output {
        cli(&self.db)
            .args([
                "collect",
                "--reports-root",
                self.root.path().to_str().unwrap(),
            ])
            .args(extra)
            .envs(imap_env(&self.imap))
            .envs(smtp_env(self.sink.port))
            .output()
            .unwrap()
    }

    /// Agent 0001's sheet filled: Y and an order number for each lead.
    fn filled(&self, name: &str) -> Vec<u8> {
        let (src, codes) = &self.sheets[0];
        let dst = self.root.path().join(name);
        let mut values: Vec<(String, &str)> =
            codes.iter().map(|c| (format!("{c}.conv"), "Y")).collect();
        values.push((format!("{}.order_no", codes[0]), "ORD-77"));
        fill(src, &dst, &values, false);
        std::fs::read(dst).unwrap()
    }

    fn outcomes(&mut self) -> i64 {
        count(
            &mut self.c,
            "SELECT count(*) AS n FROM lead_assignment_outcomes",
        )
    }
}

fn body(r: &Received) -> String {
    let m = mail_parser::MessageParser::default()
        .parse(&r.data)
        .unwrap();
    m.body_text(0).unwrap_or_default().into_owned()
}

#[test]
fn a_good_sheet_is_ingested_filed_and_answered_once() {
    let mut s = setup();
    let pdf = s.filled("S1-asha.pdf");
    s.imap.append(
        "INBOX",
        &reply(
            "Store One <S1@example.com>",
            "<r1@store.example>",
            "Re: Leads S1",
            &[("S1-asha.pdf", "application/pdf", &pdf)],
        ),
    );
    // A dry run lists it and changes nothing.
    let dry = s.collect(&["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", all(&dry));
    assert!(
        text(&dry.stdout).contains("would be collected"),
        "{}",
        all(&dry)
    );
    assert_eq!((s.outcomes(), s.imap.count("INBOX")), (0, 1));
    assert!(s.sink.received().is_empty());

    let out = s.collect(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(s.outcomes(), 2, "{}", all(&out));
    assert_eq!((s.imap.count("INBOX"), s.imap.count("Collected")), (0, 1));
    let got = s.sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt, vec!["s1@example.com".to_string()]);
    let m = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    assert_eq!(m.subject(), Some("Re: Leads S1"));
    assert_eq!(m.in_reply_to().as_text(), Some("r1@store.example"));
    let b = body(&got[0]);
    assert!(
        b.contains("ACCEPTED") && b.contains("order_no: \"ORD-77\""),
        "{b}"
    );
    let source: String =
        diesel::sql_query("SELECT source_message_id AS t FROM lead_assignment_ingests")
            .get_result::<T>(&mut s.c)
            .unwrap()
            .t;
    assert_eq!(source, "<r1@store.example>");

    // Again: nothing new, no email.
    let ledger = count(
        &mut s.c,
        "SELECT count(*) AS n FROM lead_assignment_ingests",
    );
    let out = s.collect(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(
        count(
            &mut s.c,
            "SELECT count(*) AS n FROM lead_assignment_ingests"
        ),
        ledger
    );
    assert_eq!(s.sink.received().len(), 1);
}

#[derive(QueryableByName)]
struct T {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[test]
fn forged_missing_and_foreign_replies_are_answered_or_ignored_as_they_deserve() {
    let mut s = setup();
    let pdf = s.filled("good.pdf");
    let good = s.root.path().join("good.pdf");
    let forged = s.root.path().join("forged.pdf");
    let theirs = s.sheets[1].1[0].clone();
    edit(&[
        "rename",
        good.to_str().unwrap(),
        forged.to_str().unwrap(),
        &s.sheets[0].1[0],
        &theirs,
    ]);
    let forged_bytes = std::fs::read(&forged).unwrap();
    s.imap.append(
        "INBOX",
        &reply(
            "s1@example.com",
            "<f@x>",
            "forged",
            &[("sheet.pdf", "application/pdf", &forged_bytes)],
        ),
    );
    s.imap.append(
        "INBOX",
        &reply("s1@example.com", "<none@x>", "nothing", &[]),
    );
    s.imap.append(
        "INBOX",
        &reply(
            "s1@example.com",
            "<jpg@x>",
            "photo",
            &[("photo.jpg", "image/jpeg", b"JFIF")],
        ),
    );
    s.imap.append(
        "INBOX",
        &reply(
            "stranger@evil.example",
            "<s@x>",
            "hello",
            &[("sheet.pdf", "application/pdf", &pdf)],
        ),
    );

    let out = s.collect(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(s.outcomes(), 0, "nothing written: {}", all(&out));
    assert_eq!(
        (
            s.imap.count("INBOX"),
            s.imap.count("Refused"),
            s.imap.count("Collected")
        ),
        (0, 4, 0)
    );
    let got = s.sink.received();
    assert_eq!(got.len(), 3, "no receipt to the stranger");
    assert!(got
        .iter()
        .all(|r| r.rcpt == vec!["s1@example.com".to_string()]));
    let by_subject = |subj: &str| {
        got.iter()
            .find(|r| {
                mail_parser::MessageParser::default()
                    .parse(&r.data)
                    .and_then(|m| m.subject().map(|x| x == subj))
                    .unwrap_or(false)
            })
            .map(body)
            .unwrap()
    };
    let f = by_subject("Re: forged");
    assert!(
        f.contains("REFUSED") && f.contains("not on this sheet") && f.contains(&theirs),
        "{f}"
    );
    assert!(by_subject("Re: nothing").contains("No filled sheet was found"));
    let p = by_subject("Re: photo");
    assert!(
        p.contains("No filled sheet was found") && p.contains("photo.jpg"),
        "{p}"
    );
    assert!(
        text(&out.stdout).contains("stranger@evil.example"),
        "listed: {}",
        all(&out)
    );
    // diagnose lists it too.
    let d = cli(&s.db).args(["diagnose"]).output().unwrap();
    assert!(
        text(&d.stdout).contains("stranger@evil.example"),
        "{}",
        all(&d)
    );
}

#[test]
fn a_collect_killed_between_ingest_and_move_is_finished_with_one_receipt() {
    let mut s = setup();
    let pdf = s.filled("k.pdf");
    let msg = reply(
        "s1@example.com",
        "<k@x>",
        "killed",
        &[("k.pdf", "application/pdf", &pdf)],
    );
    // What a killed collect leaves: the message recorded (its ingest
    // committed with it), its receipt not sent, the message still in INBOX.
    s.imap.append("INBOX", &msg);
    diesel::sql_query(
        "INSERT INTO lead_assignment_collected (message_key, message_id, sender, subject, status, folder, receipt_key, receipt_subject, receipt_body)
         VALUES ('<k@x>', '<k@x>', 's1@example.com', 'killed', 'collected', 'Collected', 'receipt-k', 'Re: killed', 'ACCEPTED before the crash')",
    )
    .execute(&mut s.c)
    .unwrap();
    let out = s.collect(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(s.outcomes(), 0, "not ingested again");
    assert_eq!((s.imap.count("INBOX"), s.imap.count("Collected")), (0, 1));
    assert_eq!(s.sink.received().len(), 1);
    assert!(body(&s.sink.received()[0]).contains("ACCEPTED before the crash"));
    let again = s.collect(&[]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(s.sink.received().len(), 1, "exactly one receipt");
}

#[test]
fn run_collects_first_unless_told_not_to() {
    let mut s = setup();
    let pdf = s.filled("r.pdf");
    s.imap.append(
        "INBOX",
        &reply(
            "s1@example.com",
            "<run@x>",
            "run",
            &[("r.pdf", "application/pdf", &pdf)],
        ),
    );
    s.imap.append(
        "INBOX",
        &reply("nobody@evil.example", "<evil@x>", "hi", &[]),
    );
    let run = |s: &Setup, extra: &[&str]| {
        cli(&s.db)
            .args(["run", "--reports-root", s.root.path().to_str().unwrap()])
            .args(extra)
            .envs(imap_env(&s.imap))
            .envs(smtp_env(s.sink.port))
            .output()
            .unwrap()
    };
    let out = run(&s, &["--no-collect"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!((s.outcomes(), s.imap.count("INBOX")), (0, 2));
    let out = run(&s, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!((s.outcomes(), s.imap.count("Collected")), (2, 1));
    assert!(
        text(&out.stdout).contains("filed to Refused unanswered: nobody@evil.example"),
        "the run lists the stranger: {}",
        all(&out)
    );
    assert!(
        text(&out.stdout).contains("Returned sheets: S1 1 sheet(s), 2 outcome(s)"),
        "{}",
        all(&out)
    );
    let row: String = diesel::sql_query(
        "SELECT summary_text AS t FROM pipeline_run_summaries ORDER BY id DESC LIMIT 1",
    )
    .get_result::<T>(&mut s.c)
    .unwrap()
    .t;
    assert!(row.contains("Returned sheets: S1 1 sheet(s)"), "{row}");
    // Usage: no host is exit 2, a bad port too.
    let no_host = cli(&s.db).arg("collect").output().unwrap();
    assert_eq!(no_host.status.code(), Some(2), "{}", all(&no_host));
    let bad_port = cli(&s.db)
        .arg("collect")
        .envs(imap_env(&s.imap))
        .env("REPORT_EMAIL_IMAP_PORT", "99999")
        .output()
        .unwrap();
    assert_eq!(bad_port.status.code(), Some(2), "{}", all(&bad_port));
}
