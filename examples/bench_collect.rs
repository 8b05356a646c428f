//! Benchmark: `collect` of 100 replies, each with one filled 250-lead sheet,
//! from a throwaway Dovecot on 127.0.0.1 into a throwaway PostgreSQL, with
//! the receipts through a real SMTP server on 127.0.0.1: seconds in total and
//! per message, and peak RSS.
//!
//! `cargo run --release --example bench_collect`

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use la_collect::testing::{reply, ImapServer};
use la_notify::testing::SmtpSink;
use leads_assignment::assign::{run_leads_assignment, AssignOptions};
use leads_assignment::collect::{collect, CollectOptions};
use leads_assignment::notify::SmtpTransport;
use leads_assignment::pdf::{generate_pdfs_for_batch, PdfOptions, FIELD_NAMES};
use leads_assignment::schema::testing::migrated_db;

mod common;
use common::peak_rss_mb;

/// Every field of the sheet filled by lopdf, as an agent's viewer would.
fn filled(path: &std::path::Path) -> Vec<u8> {
    let mut doc = lopdf::Document::load(path).unwrap();
    let values = ["Y", "ORD-1", "29-01-2026", "1250", "UPI", "1250", "ok"];
    let ids: Vec<_> = doc.objects.keys().copied().collect();
    for id in ids {
        let Ok(d) = doc.get_dictionary_mut(id) else {
            continue;
        };
        let name = d
            .get(b"T")
            .ok()
            .and_then(|t| t.as_str().ok())
            .map(<[u8]>::to_vec);
        if let Some(i) = name.and_then(|n| FIELD_NAMES.iter().position(|f| f.as_bytes() == n)) {
            d.set("V", lopdf::text_string(values[i]));
        }
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn main() {
    let db = migrated_db();
    let mut c = db.conn();
    c.batch_execute(
        "INSERT INTO store_master (store_code, assign_leads) SELECT 'S' || lpad(g::text, 3, '0'), true FROM generate_series(1, 100) g;
         INSERT INTO agents_master (agent_code, agent_name, mobile_number) SELECT lpad(g::text, 4, '0'), 'Agent ' || g, '98' FROM generate_series(1, 100) g;
         INSERT INTO store_lead_assignment_map (store_code, agent_id) SELECT 'S' || lpad(g::text, 3, '0'), g FROM generate_series(1, 100) g;
         INSERT INTO missed_leads (pickup_row_id, mobile_number, store_code, customer_name)
           SELECT g, '9' || lpad(g::text, 9, '0'), 'S' || lpad((1 + (g - 1) / 250)::text, 3, '0'), 'Customer ' || g FROM generate_series(1, 25000) g;
         INSERT INTO notification_recipients (profile_id, store_code, env, email_address, send_as)
           SELECT p.id, NULL, 'any', 'desk@example.com', 'to' FROM notification_profiles p;",
    )
    .unwrap();
    let batch = run_leads_assignment(&mut c, &AssignOptions::default())
        .unwrap()
        .batch_id
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let pdf = PdfOptions {
        reports_root: root.path().to_path_buf(),
        ..Default::default()
    };
    generate_pdfs_for_batch(&mut c, batch, &pdf).unwrap();
    let imap = ImapServer::start();
    let day = std::fs::read_dir(root.path().join("leads_assignment"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir() && !p.ends_with("outbox"))
        .unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(day).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pdf") {
            n += 1;
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let id = format!("<bench{n}@store.example>");
            let bytes = filled(&p);
            imap.append(
                "INBOX",
                &reply(
                    "desk@example.com",
                    &id,
                    "Re: sheet",
                    &[(&name, "application/pdf", &bytes)],
                ),
            );
        }
    }
    assert_eq!(n, 100);
    let sink = SmtpSink::start().unwrap();
    let mut transport = SmtpTransport::new(&sink.config()).unwrap();
    let options = CollectOptions {
        imap: imap.config(),
        from: "leads@example.com".into(),
        dry_run: false,
        max_file_bytes: leads_assignment::pdf::ingest::DEFAULT_MAX_FILE_BYTES,
        run_id: "bench".into(),
        ingested_by: "bench".into(),
    };
    let dry = CollectOptions {
        dry_run: true,
        ..options.clone()
    };
    let t = Instant::now();
    collect(&mut c, &dry, &mut transport).unwrap();
    println!(
        "dry run (fetch, parse, check; no write, no receipt, no move): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let report = collect(&mut c, &options, &mut transport).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.messages.len(), 100, "{}", report.line());
    assert!(
        report
            .messages
            .iter()
            .all(|m| m.status.to_string() == "collected"),
        "{}",
        report.line()
    );
    assert_eq!(sink.received().len(), 100);
    println!(
        "collect of 100 replies with one filled 250-lead sheet each: {secs:.2} s, {:.1} ms per message, peak RSS {:.1} MB",
        secs * 10.0,
        peak_rss_mb()
    );
}
