//! `send_for_batch` against a real PostgreSQL and a real SMTP server on
//! 127.0.0.1; messages parsed back with mail-parser.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_assign::{run_leads_assignment, AssignOptions};
use la_notify::testing::{Received, SmtpSink};
use la_notify::{
    send_for_batch, EmailKey, EmailResult, NotifyOptions, Selection, SmtpConfig, SmtpTransport,
    StoreDiagnostic,
};
use la_pdf::{generate_pdfs_for_batch, PdfOptions};
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::{migrated_db, TestDb};
use mail_parser::{MessageParser, MimeHeaders};

struct Fixture {
    db: TestDb,
    conn: PgConnection,
    batch: i64,
    _root: tempfile::TempDir,
}

/// Stores A (agents 0001, 0002) and B (agent 0003) with sheets on disk, and
/// recipients of every kind.
fn fixture(store_a_name: &str) -> Fixture {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "A", Some(store_a_name), true).unwrap();
    seed::store(&mut c, "B", Some("Baner"), true).unwrap();
    for (code, store) in [("0001", "A"), ("0002", "A"), ("0003", "B")] {
        let a = seed::agent(&mut c, Some(code), &format!("Agent {code}"), true).unwrap();
        seed::mapping(&mut c, store, a, MappingSeed::default()).unwrap();
    }
    let leads: Vec<SeedLead> = (1..=6)
        .map(|i| SeedLead::new(i, if i <= 4 { "A" } else { "B" }, None, None))
        .collect();
    seed::leads(&mut c, &leads).unwrap();
    let batch = run_leads_assignment(
        &mut c,
        &AssignOptions {
            triggered_by: "test".into(),
            ..Default::default()
        },
    )
    .unwrap()
    .batch_id
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    generate_pdfs_for_batch(
        &mut c,
        batch,
        &PdfOptions {
            reports_root: root.path().to_path_buf(),
            ..Default::default()
        },
    )
    .unwrap();

    seed::recipient(&mut c, Some("A"), "any", "a-to@example.com", "to", true).unwrap();
    seed::recipient(&mut c, Some("a"), "dev", "a-cc@example.com", "cc", true).unwrap(); // case-insensitive
    seed::recipient(&mut c, Some("A"), "any", "a-bcc@example.com", "bcc", true).unwrap();
    seed::recipient(&mut c, Some("A"), "prod", "a-prod@example.com", "to", true).unwrap(); // other env
    seed::recipient(&mut c, Some("B"), "any", "b-off@example.com", "to", false).unwrap(); // inactive
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    seed::recipient(&mut c, Some("ALL"), "dev", "audit@example.com", "bcc", true).unwrap();
    seed::recipient(&mut c, Some("A"), "any", "not an address", "to", true).unwrap();
    Fixture {
        db,
        conn: c,
        batch,
        _root: root,
    }
}

fn smtp(port: u16) -> SmtpTransport {
    SmtpTransport::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        use_tls: false,
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn opts() -> NotifyOptions {
    NotifyOptions {
        run_env: la_notify::RunEnv::Dev,
        run_id: Some("run-1".into()),
        from: "Leads <leads@example.com>".into(),
        ..Default::default()
    }
}

fn addrs(a: Option<&mail_parser::Address>) -> BTreeSet<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address().map(str::to_lowercase))
            .collect()
    })
    .unwrap_or_default()
}

fn rcpt(r: &Received) -> BTreeSet<String> {
    r.rcpt
        .iter()
        .map(|s| s.trim_matches(['<', '>']).to_lowercase())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn find<'a>(inbox: &'a [Received], subject_part: &str) -> &'a Received {
    inbox
        .iter()
        .find(|r| {
            MessageParser::default()
                .parse(&r.data)
                .and_then(|m| m.subject().map(|s| s.contains(subject_part)))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no message with subject containing {subject_part:?}"))
}

#[test]
fn store_emails_reach_exactly_their_recipients_with_only_their_sheets() {
    let mut f = fixture("Kothrud");
    let sink = SmtpSink::start().unwrap();
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(report.sent(), 3); // A, B, summary
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("not an address") && w.contains("row")),
        "{:?}",
        report.warnings
    );

    let inbox = sink.received();
    assert_eq!(inbox.len(), 3);
    let a = find(&inbox, ": A Kothrud");
    assert_eq!(
        rcpt(a),
        set(&[
            "a-to@example.com",
            "a-cc@example.com",
            "a-bcc@example.com",
            "ops@example.com",
            "audit@example.com"
        ])
    );
    let m = MessageParser::default().parse(&a.data).unwrap();
    assert_eq!(addrs(m.to()), set(&["a-to@example.com", "ops@example.com"]));
    assert_eq!(addrs(m.cc()), set(&["a-cc@example.com"]));
    assert!(
        m.bcc().is_none() && m.header_raw("Bcc").is_none(),
        "bcc must not appear in headers"
    );
    let raw = String::from_utf8_lossy(&a.data);
    assert!(!raw.contains("a-bcc@example.com") && !raw.contains("audit@example.com"));

    // Attachments: store A's two sheets, byte-identical to the files, names kept.
    let docs: Vec<(String, String, String)> = la_schema::schema::documents::table
        .select((
            la_schema::schema::documents::reference_id_2.assume_not_null(),
            la_schema::schema::documents::file_name,
            la_schema::schema::documents::file_path.assume_not_null(),
        ))
        .load(&mut f.conn)
        .unwrap();
    let atts: Vec<_> = m.attachments().collect();
    let a_docs: Vec<_> = docs.iter().filter(|d| d.0 == "A").collect();
    assert_eq!(atts.len(), a_docs.len());
    assert_eq!(atts.len(), 2);
    for d in a_docs {
        let part = atts
            .iter()
            .find(|p| p.attachment_name() == Some(d.1.as_str()))
            .unwrap_or_else(|| panic!("{} not attached", d.1));
        assert_eq!(
            part.contents(),
            std::fs::read(Path::new(&d.2)).unwrap().as_slice()
        );
        let ct = part.content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("application", Some("pdf")));
    }
    // Subject and body from the database templates.
    assert!(
        m.subject().unwrap().starts_with("Leads assignment "),
        "{:?}",
        m.subject()
    );
    let body = m.body_text(0).unwrap();
    assert!(
        body.contains("4 missed pickup leads of store A (Kothrud)"),
        "{body}"
    );
    assert!(body.contains("Agent 0001 Agent 0001: 2 leads"), "{body}");

    let b = find(&inbox, ": B Baner");
    assert_eq!(
        rcpt(b),
        set(&["ops@example.com", "audit@example.com"]),
        "inactive and other-env recipients get nothing"
    );
    let mb = MessageParser::default().parse(&b.data).unwrap();
    assert_eq!(mb.attachments().count(), 1);
    assert!(mb
        .attachments()
        .all(|p| p.attachment_name().unwrap().contains("_B_")));
    for r in &inbox {
        assert!(!rcpt(r).contains("a-prod@example.com") && !rcpt(r).contains("b-off@example.com"));
    }
}

#[test]
fn summary_goes_to_storeless_recipients_and_lists_every_store_with_its_reason() {
    let mut f = fixture("Kothrud");
    let sink = SmtpSink::start().unwrap();
    let diagnostics = vec![
        StoreDiagnostic {
            store_code: "A".into(),
            store_name: None,
            assigned: 4,
            reasons: vec![],
        },
        StoreDiagnostic {
            store_code: "B".into(),
            store_name: None,
            assigned: 2,
            reasons: vec!["agent 0003 reached max_daily_leads".into()],
        },
        StoreDiagnostic {
            store_code: "C".into(),
            store_name: None,
            assigned: 0,
            reasons: vec!["assign_leads is false".into()],
        },
    ];
    let o = NotifyOptions {
        store_diagnostics: Some(diagnostics),
        ..opts()
    };
    send_for_batch(&mut f.conn, f.batch, &o, &mut smtp(sink.port)).unwrap();
    let inbox = sink.received();
    let s = find(&inbox, "Leads assignment run run-1");
    assert_eq!(rcpt(s), set(&["ops@example.com", "audit@example.com"]));
    let body = MessageParser::default()
        .parse(&s.data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    for line in [
        "- A Kothrud: 4 assigned",
        "- B Baner: 2 assigned; agent 0003 reached max_daily_leads",
        "- C: 0 assigned; assign_leads is false",
    ] {
        assert!(body.contains(line), "{line:?} missing from {body}");
    }
    assert!(
        body.contains("Store emails: 2 sent") && !body.contains("failed"),
        "{body}"
    );
}

#[test]
fn missing_template_falls_back_with_a_warning() {
    let mut f = fixture("Kothrud");
    f.conn
        .batch_execute("DELETE FROM email_templates WHERE name = 'default'")
        .unwrap();
    let sink = SmtpSink::start().unwrap();
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("'default'") && w.contains("built-in")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.sent(), 3);
    let inbox = sink.received();
    let a = find(&inbox, ": A Kothrud");
    let body = MessageParser::default()
        .parse(&a.data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(body.contains("Attached sheets:"), "{body}");
}

#[test]
fn a_broken_template_fails_that_email_without_sending_raw_text() {
    let mut f = fixture("Kothrud");
    f.conn
        .batch_execute(
            "UPDATE email_templates SET subject_template = '{{ broken' WHERE name = 'default'",
        )
        .unwrap();
    let sink = SmtpSink::start().unwrap();
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    let a = report.for_store("A").unwrap();
    assert!(
        matches!(&a.result, EmailResult::Failed(r) if r.contains("template 'default'")),
        "{:?}",
        a.result
    );
    assert_eq!(report.sent(), 1, "only the summary");
    assert!(sink
        .received()
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.data).contains("{{")));
}

#[test]
fn smtp_down_then_resend_delivers_everything() {
    let mut f = fixture("Kothrud");
    // Nothing listens on port 1.
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(1)).unwrap();
    // One connection failure: the other emails are not attempted, with its cause.
    assert_eq!((report.failed(), report.not_attempted()), (1, 2));
    assert!(report.emails.iter().all(|e| matches!(&e.result,
        EmailResult::Failed(r) | EmailResult::NotAttempted(r)
            if r.contains("127.0.0.1:1") && r.contains("refused the connection"))));
    let sink = SmtpSink::start().unwrap();
    let again = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    assert_eq!((again.sent(), again.failed()), (3, 0));
    assert_eq!(sink.received().len(), 3);
}

#[test]
fn a_refused_recipient_fails_only_its_email() {
    let mut f = fixture("Kothrud");
    let sink = SmtpSink::start().unwrap();
    sink.refuse("a-cc@example.com");
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    let a = report.for_store("A").unwrap();
    assert!(
        matches!(&a.result, EmailResult::Failed(r) if r.contains("550")),
        "{:?}",
        a.result
    );
    assert_eq!(report.sent(), 2);
    sink.accept_all();
    sink.clear();
    // Re-send only what failed: the delivered emails are not repeated.
    assert_eq!(report.undelivered_keys(), vec![EmailKey::Store("A".into())]);
    let again = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    assert_eq!(
        (again.sent(), again.failed(), again.emails.len()),
        (1, 0, 1)
    );
    assert_eq!(again.already_delivered.len(), 2);
    let inbox = sink.received();
    assert_eq!(inbox.len(), 1);
    assert!(rcpt(&inbox[0]).contains("a-cc@example.com"));
    // --only picks exactly the named emails, delivered or not.
    sink.clear();
    let only = NotifyOptions {
        select: Selection::Only(vec![EmailKey::Summary]),
        ..opts()
    };
    let one = send_for_batch(&mut f.conn, f.batch, &only, &mut smtp(sink.port)).unwrap();
    assert_eq!((one.sent(), one.emails.len()), (1, 1));
    let bad = NotifyOptions {
        select: Selection::Only(vec![EmailKey::Store("NOPE".into())]),
        ..opts()
    };
    let err = send_for_batch(&mut f.conn, f.batch, &bad, &mut smtp(sink.port)).unwrap_err();
    assert!(err.to_string().contains("\"store-NOPE\""), "{err}");
}

#[test]
fn a_store_name_with_line_breaks_cannot_add_a_header() {
    let mut f = fixture("Evil\r\nBcc: victim@evil.test\r\nX-Injected: yes");
    let sink = SmtpSink::start().unwrap();
    send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    for r in sink.received() {
        assert!(!rcpt(&r).contains("victim@evil.test"));
        let m = MessageParser::default().parse(&r.data).unwrap();
        assert!(m.header_raw("X-Injected").is_none());
        assert!(m.bcc().is_none());
    }
}

#[test]
fn a_store_without_recipients_is_reported_not_an_error() {
    let mut f = fixture("Kothrud");
    f.conn.batch_execute("UPDATE notification_recipients SET is_active = false WHERE store_code IS NULL OR store_code IN ('ALL', 'B')").unwrap();
    let sink = SmtpSink::start().unwrap();
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut smtp(sink.port)).unwrap();
    assert_eq!(
        report.for_store("B").unwrap().result,
        EmailResult::NoRecipients
    );
    assert_eq!(report.without_recipients(), 1);
    // No store-less recipient, and nobody on every store's list: the summary
    // (every store's figures) is withheld, on record (docs/decisions.md D17).
    let summary = report
        .emails
        .iter()
        .find(|e| e.key == EmailKey::Summary)
        .unwrap();
    assert_eq!(
        summary.result,
        EmailResult::Withheld(la_notify::plan::NO_SUMMARY_RECIPIENTS.into())
    );
    assert_eq!(report.sent(), 1);
    let _ = f.db;
}

#[test]
fn file_outbox_writes_one_eml_per_email() {
    let mut f = fixture("Kothrud");
    let dir = tempfile::tempdir().unwrap();
    let mut outbox = la_notify::FileOutbox::new(dir.path());
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut outbox).unwrap();
    assert_eq!(
        (report.delivered(), report.sent()),
        (3, 0),
        "the outbox is never 'sent'"
    );
    assert_eq!(report.tally().to_string(), "3 written to the outbox");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let b = f.batch;
    assert_eq!(
        names,
        vec![
            format!("b{b}-store-A.eml"),
            format!("b{b}-store-B.eml"),
            format!("b{b}-summary.eml")
        ]
    );
    let m = std::fs::read(dir.path().join(format!("b{b}-store-A.eml"))).unwrap();
    assert_eq!(
        MessageParser::default()
            .parse(&m)
            .unwrap()
            .attachments()
            .count(),
        2
    );
}

#[test]
fn credentials_never_appear_in_debug_output_or_errors() {
    let mut f = fixture("Kothrud");
    let sink = SmtpSink::start().unwrap();
    let config = SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        username: Some("mailer".into()),
        password: Some("s3cr3t-Pa55".into()),
        use_tls: false,
        timeout: Duration::from_secs(5),
    };
    assert!(!format!("{config:?}").contains("s3cr3t-Pa55"));
    let mut transport = SmtpTransport::new(&config).unwrap();
    assert!(!format!("{transport:?}").contains("s3cr3t-Pa55"));
    // The sink offers no AUTH: every email fails, and no message names the password.
    let report = send_for_batch(&mut f.conn, f.batch, &opts(), &mut transport).unwrap();
    let all = format!("{report:?}");
    assert!(!all.contains("s3cr3t-Pa55"), "{all}");
    assert_eq!((report.failed(), report.not_attempted()), (1, 2));
    assert!(report.emails.iter().all(|e| matches!(&e.result,
        EmailResult::Failed(r) | EmailResult::NotAttempted(r) if r.contains("authentication"))));
}
