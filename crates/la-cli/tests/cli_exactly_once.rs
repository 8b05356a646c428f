//! Every email exactly once, and only to those who should see it
//! (docs/decisions.md D13, D17, D27): the binary as processes, a real
//! PostgreSQL, the real SMTP server of the suite (whose every message passes
//! a strict parser), and hostile SMTP servers on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_notify::testing::{Received, SmtpSink};
use la_schema::seed;
use la_schema::testing::{migrated_db, TestDb};
use mail_parser::MimeHeaders;

mod common;
use common::{cli, count, seed_stores, smtp_env, text};

fn all(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn run_with(db: &TestDb, root: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> Output {
    cli(db)
        .args(["run", "--reports-root", root.to_str().unwrap()])
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.clone())))
        .output()
        .unwrap()
}

fn smtp(port: u16) -> Vec<(&'static str, String)> {
    smtp_env(port)
}

/// The subjects (or keys) received, how often each.
fn per_recipient(received: &[Received]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in received {
        for to in &r.rcpt {
            *out.entry(to.clone()).or_default() += 1;
        }
    }
    out
}

/// Batch 1 with `stores` store emails (and the summary) still owed: its run
/// met an SMTP host that refuses connections.
fn owed_batch(db: &TestDb, root: &std::path::Path, stores: i32) {
    let mut c = db.conn();
    seed_stores(&mut c, stores, 1);
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let out = run_with(db, root, &smtp(dead_port()), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
}

#[test]
fn two_senders_at_once_deliver_every_email_once() {
    let db = migrated_db();
    let root = tempfile::tempdir().unwrap();
    owed_batch(&db, root.path(), 30);
    let sink = SmtpSink::start().unwrap();
    let root_s = root.path().to_str().unwrap().to_string();
    // Two notifies and two runs, all finishing batch 1 at the same time.
    let mut children = Vec::new();
    for k in 0..4 {
        let mut cmd = cli(&db);
        if k < 2 {
            cmd.args(["notify", "--batch", "1", "--reports-root", &root_s]);
        } else {
            cmd.args(["run", "--reports-root", &root_s]);
        }
        cmd.envs(smtp(sink.port))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        children.push(cmd.spawn().unwrap());
    }
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(matches!(o.status.code(), Some(0)), "{}", all(o));
    }
    let got = per_recipient(&sink.received());
    assert_eq!(got.len(), 31, "30 managers and the operator: {got:?}");
    assert_eq!(
        got["ops@example.com"], 31,
        "every store email and the summary: {got:?}"
    );
    assert!(
        got.iter().all(|(to, n)| to == "ops@example.com" || *n == 1),
        "each exactly once: {got:?}"
    );
    let mut c = db.conn();
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'sent'"
        ),
        31
    );
}

#[test]
fn the_outbox_never_settles_what_smtp_owes_and_finishing_uses_the_batchs_env() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 1);
    // Batch 1 is a `local` run's: its summary goes to the local operator.
    seed::recipient(&mut c, None, "local", "local-ops@example.com", "to", true).unwrap();
    seed::recipient(&mut c, None, "dev", "dev-ops@example.com", "to", true).unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run_with(&db, root.path(), &smtp(dead_port()), &["--env", "local"]);
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));

    // A shell without SMTP settings: nothing of batch 1 goes to the outbox.
    let out = run_with(&db, root.path(), &[], &[]);
    let text_out = all(&out);
    assert_eq!(out.status.code(), Some(0), "{text_out}");
    assert!(text_out.contains("success_with_warnings"), "{text_out}");
    assert!(text_out.contains("owed to SMTP"), "says so: {text_out}");
    assert!(
        text_out.contains("notify --batch 1 --env local"),
        "{text_out}"
    );
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE batch_id = 1 AND outcome = 'written_to_outbox'"),
        0
    );
    let outbox = root.path().join("leads_assignment").join("outbox");
    let names: Vec<String> = std::fs::read_dir(&outbox)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(names.iter().all(|n| !n.starts_with("b1-")), "{names:?}");
    // `notify` from that shell leaves it owed too.
    let out = cli(&db)
        .args([
            "notify",
            "--batch",
            "1",
            "--env",
            "local",
            "--reports-root",
            root.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", all(&out));
    assert!(all(&out).contains("delivers by SMTP"), "{}", all(&out));

    // A dev run with SMTP finishes it for batch 1's own env (local).
    let sink = SmtpSink::start().unwrap();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let got = per_recipient(&sink.received());
    assert_eq!(
        got.get("local-ops@example.com"),
        Some(&3),
        "2 stores + summary: {got:?}"
    );
    assert_eq!(got.get("dev-ops@example.com"), None, "{got:?}");
    assert_eq!(got.get("s0@example.com"), Some(&1), "{got:?}");
}

#[test]
fn store_managers_see_only_their_store_and_the_summary_needs_a_right_to_all() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 3, 2); // managers s0, s1, s2 only
    seed::store(&mut c, "S9", Some("Idle"), true).unwrap();
    let a = seed::agent(&mut c, Some("0009"), "Idle Agent", true).unwrap();
    seed::mapping(&mut c, "S9", a, la_schema::seed::MappingSeed::default()).unwrap();
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    let stdout = all(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("no summary recipients: add a recipient with store_code NULL"),
        "{stdout}"
    );
    let received = sink.received();
    assert_eq!(received.len(), 3, "three store emails, no summary");
    for r in &received {
        assert_eq!(r.rcpt.len(), 1);
        let body = String::from_utf8_lossy(&r.data);
        let own = r.rcpt[0]
            .trim_start_matches('s')
            .trim_end_matches("@example.com");
        for other in ["S0", "S1", "S2"].iter().filter(|s| !s.ends_with(own)) {
            assert!(
                !body.contains(&format!("store {other}")),
                "{} sees {other}",
                r.rcpt[0]
            );
        }
    }
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE email_key = 'summary' AND outcome = 'skipped' AND error LIKE 'no summary recipients%'"),
        1
    );

    // An operator on every store's row gets the summary, which names every
    // store, the idle one with 0 assigned too.
    for s in ["S0", "S1", "S2", "S9"] {
        seed::recipient(&mut c, Some(s), "any", "ops@example.com", "to", true).unwrap();
    }
    seed_more_leads(&mut c);
    sink.clear();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let summary: Vec<Received> = sink
        .received()
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.data).contains("Per store"))
        .collect();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].rcpt, vec!["ops@example.com".to_string()]);
    let body = String::from_utf8_lossy(&summary[0].data).replace("=\r\n", "");
    for s in ["S0", "S1", "S2", "S9"] {
        assert!(
            body.contains(&format!("- {s}")),
            "{s} in the summary: {body}"
        );
    }
}

fn seed_more_leads(c: &mut PgConnection) {
    let rows: Vec<seed::SeedLead> = (0..3)
        .map(|s| seed::SeedLead::new(50_000 + s, &format!("S{s}"), None, None))
        .collect();
    seed::leads(c, &rows).unwrap();
}

#[test]
fn no_email_is_not_a_failure_and_a_dry_run_works_in_prod() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    owed_batch(&db, root.path(), 1);
    seed_more_leads(&mut c);
    let out = run_with(&db, root.path(), &[], &["--no-email"]);
    let stdout = all(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("success_with_warnings"), "{stdout}");
    assert!(
        stdout.contains("notify --batch 1"),
        "names the earlier batch: {stdout}"
    );
    assert!(
        !stdout.contains("notify --batch 2"),
        "never its own: {stdout}"
    );

    let out = run_with(&db, root.path(), &[], &["--env", "prod", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert!(
        all(&out).contains("would be assigned") || all(&out).contains("Totals"),
        "{}",
        all(&out)
    );
}

/// An SMTP server that accepts everything until the message's end, then
/// trickles `250-` continuation lines every 300 ms and never finishes.
fn trickles_after_data() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut w = stream.try_clone().unwrap();
                let mut r = BufReader::new(stream);
                let _ = w.write_all(b"220 trickle.test ESMTP\r\n");
                let mut in_data = false;
                let mut line = String::new();
                let end = Instant::now() + Duration::from_secs(120);
                while Instant::now() < end {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    if in_data {
                        if cmd == "." {
                            while Instant::now() < end
                                && w.write_all(b"250-still writing\r\n").is_ok()
                            {
                                std::thread::sleep(Duration::from_millis(300));
                            }
                            return;
                        }
                        continue;
                    }
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250 trickle.test\r\n"
                    } else if cmd == "DATA" {
                        in_data = true;
                        b"354 go on\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply);
                }
            });
        }
    });
    port
}

#[test]
fn one_email_has_one_deadline_however_many_recipients() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 1);
    for i in 0..40 {
        seed::recipient(
            &mut c,
            Some("S0"),
            "any",
            &format!("m{i}@example.com"),
            "to",
            true,
        )
        .unwrap();
    }
    let root = tempfile::tempdir().unwrap();
    let mut env = smtp(trickles_after_data());
    env.push(("REPORT_EMAIL_SMTP_TIMEOUT", "2".into()));
    let started = Instant::now();
    let out = run_with(&db, root.path(), &env, &[]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    assert!(
        all(&out).contains("did not answer within 2 s"),
        "{}",
        all(&out)
    );
    // 41 recipients at one deadline each would be 80 s and more.
    assert!(took < Duration::from_secs(40), "{took:?}");
}

#[test]
fn a_runaway_template_fails_its_email_not_the_run() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 2, 1);
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    c.batch_execute(
        "UPDATE email_templates SET body_template = '{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}' WHERE name = 'default';
         UPDATE email_templates SET subject_template = '{% for a in range(100000) %}{{ \"x\" * 100 }}{% endfor %}' WHERE name = 'summary';",
    )
    .unwrap();
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    let text_out = all(&out);
    assert_eq!(out.status.code(), Some(3), "{text_out}");
    assert!(
        text_out.contains("more work than any email may"),
        "{text_out}"
    );
    assert!(text_out.contains("exceeds 1048576 bytes"), "{text_out}");
    assert!(sink.received().is_empty());
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM lead_assignment_deliveries WHERE outcome = 'failed'"
        ),
        3
    );
}

#[test]
fn headers_every_client_accepts_and_prod_needs_a_sender() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", Some("बाणेर"), true).unwrap();
    let a = seed::agent(&mut c, Some("0001"), "सुनीता देशपांडे", true).unwrap();
    seed::mapping(&mut c, "S1", a, la_schema::seed::MappingSeed::default()).unwrap();
    seed::leads(&mut c, &[seed::SeedLead::new(1, "S1", None, None)]).unwrap();
    c.batch_execute(
        "INSERT INTO notification_recipients (profile_id, store_code, env, email_address, display_name, send_as, is_active)
         SELECT p.id, x.s, 'any', x.e, x.n, 'to', true
         FROM notification_profiles p JOIN pipelines pl ON pl.id = p.pipeline_id AND pl.code = 'leads_assignment',
              (VALUES ('S1', 'a@example.com', 'Dr. A.K. Sharma'), ('S1', 'b@example.com', 'A.K.Sharma'),
                      (NULL, 'c@example.com', 'सुनीता देशपांडे')) AS x(s, e, n)",
    )
    .unwrap();
    c.batch_execute("UPDATE email_templates SET subject_template = 'Leads {{ store_name }}: सुनीता देशपांडे सुनीता देशपांडे सुनीता देशपांडे' WHERE name = 'default'").unwrap();
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    // received() has put every message through the strict parser.
    let received = sink.received();
    assert_eq!(received.len(), 2);
    let store = received
        .iter()
        .find(|r| r.rcpt.contains(&"a@example.com".to_string()))
        .unwrap();
    let parsed = mail_parser::MessageParser::default()
        .parse(&store.data)
        .unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Leads बाणेर: सुनीता देशपांडे सुनीता देशपांडे सुनीता देशपांडे")
    );
    let raw = String::from_utf8_lossy(&store.data);
    assert!(raw.contains("\"A.K.Sharma\" <b@example.com>"), "{raw}");
    let names: Vec<Option<&str>> = parsed
        .attachments()
        .map(|a| a.content_type().and_then(|t| t.attribute("name")))
        .collect();
    assert_eq!(names.len(), 1);
    assert!(
        names[0].is_some_and(|n| n.ends_with("_b1.pdf")),
        "{names:?}"
    );
    assert!(!raw.contains("@localhost"), "{raw}");

    // In prod, SMTP without REPORT_EMAIL_FROM is refused before anything.
    let out = run_with(&db, root.path(), &smtp(sink.port), &["--env", "prod"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(all(&out).contains("REPORT_EMAIL_FROM"), "{}", all(&out));
}

#[test]
fn new_recipients_are_told_what_waited_for_them() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_stores(&mut c, 1, 1); // S0 with its manager; S7 with nobody
    seed::store(&mut c, "S7", Some("New"), true).unwrap();
    let a = seed::agent(&mut c, Some("0007"), "Asha", true).unwrap();
    seed::mapping(&mut c, "S7", a, la_schema::seed::MappingSeed::default()).unwrap();
    seed::leads(&mut c, &[seed::SeedLead::new(700, "S7", None, None)]).unwrap();
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    // S7 had nobody; it gets its first recipient.
    c.batch_execute(
        "INSERT INTO notification_recipients (profile_id, store_code, env, email_address, send_as, is_active)
         SELECT p.id, 'S7', 'any', 's7@example.com', 'to', true FROM notification_profiles p",
    )
    .unwrap();
    let diag = cli(&db)
        .args(["diagnose", "--reports-root", root.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        text(&diag.stdout).contains("1 email(s) waiting for its new recipients (batch 1)"),
        "{}",
        all(&diag)
    );
    sink.clear();
    let out = run_with(&db, root.path(), &smtp(sink.port), &[]);
    let stdout = all(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("store S7: 1 earlier email(s) sent to its new recipients (batch 1)"),
        "{stdout}"
    );
    assert_eq!(
        per_recipient(&sink.received()).get("s7@example.com"),
        Some(&1)
    );
}
