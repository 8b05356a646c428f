//! Benchmark: 400 store emails, each with one 150 KB PDF attached, over SMTP to
//! a server on 127.0.0.1 (one connection reused), through `send_for_batch`.
//!
//! `cargo run --release -p la-notify --example bench_notify`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use la_notify::testing::SmtpSink;
use la_notify::{send_for_batch, NotifyOptions, SmtpTransport};
use la_schema::testing::migrated_db;

fn main() {
    let db = migrated_db();
    let mut conn = db.conn();
    let dir = tempfile::tempdir().unwrap();
    // A 150 KB attachment (incompressible bytes, like a compressed PDF).
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let bytes: Vec<u8> = (0..150 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let file = dir.path().join("sheet.pdf");
    std::fs::write(&file, &bytes).unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO store_master (store_code, store_name, assign_leads)
           SELECT 'S' || lpad(g::text, 4, '0'), 'Store ' || g, true FROM generate_series(1, 400) g;
         INSERT INTO agents_master (agent_code, agent_name, mobile_number)
           SELECT lpad(g::text, 4, '0'), 'Agent ' || g, '9800000000' FROM generate_series(1, 400) g;
         INSERT INTO missed_leads (pickup_row_id, mobile_number, store_code)
           SELECT g, '9' || lpad(g::text, 9, '0'), 'S' || lpad(g::text, 4, '0') FROM generate_series(1, 400) g;
         INSERT INTO lead_assignment_batches (id, batch_date) VALUES (1, current_date);
         INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid,
             lead_assignment_code, store_code, mobile_number, lead_type)
           SELECT 1, g, g, 'L' || lpad(g::text, 4, '0'), 1, 'L' || lpad(g::text, 4, '0') || '-0001',
                  'S' || lpad(g::text, 4, '0'), '9', 'E' FROM generate_series(1, 400) g;
         INSERT INTO documents (id, doc_type, doc_subtype, doc_date, reference_name_2, reference_id_2, file_name,
             mime_type, file_path, file_size_bytes, checksum)
           SELECT g, 'leads_assignment', 'per_store_agent_pdf', current_date, 'store_code', 'S' || lpad(g::text, 4, '0'),
                  'leads_assignment_' || to_char(current_date, 'YYYY-MM-DD') || '_S' || lpad(g::text, 4, '0')
                      || '_' || lpad(g::text, 4, '0') || '_b1.pdf',
                  'application/pdf', '{}', {}, '{}'
           FROM generate_series(1, 400) g;
         INSERT INTO lead_assignment_sheets (batch_id, store_code, agent_id, file_name, document_id)
           SELECT 1, reference_id_2, id, file_name, id FROM documents;
         INSERT INTO notification_recipients (profile_id, store_code, env, email_address, send_as)
           SELECT p.id, 'S' || lpad(g::text, 4, '0'), 'any', 'store' || g || '@example.com', 'to'
           FROM generate_series(1, 400) g, notification_profiles p WHERE p.code = 'leads_assignment';
         INSERT INTO notification_recipients (profile_id, store_code, env, email_address, send_as)
           SELECT p.id, NULL, 'any', 'ops@example.com', 'bcc'
           FROM notification_profiles p WHERE p.code = 'leads_assignment';",
        file.display(),
        bytes.len(),
        la_pdf::files::sha256_hex(&bytes)
    ))
    .unwrap();

    let sink = SmtpSink::start().unwrap();
    let mut transport = SmtpTransport::new(&sink.config()).unwrap();
    let options = NotifyOptions {
        run_env: la_notify::RunEnv::Dev,
        from: "leads@example.com".into(),
        ..Default::default()
    };
    let t = Instant::now();
    let report = send_for_batch(&mut conn, 1, &options, &mut transport).unwrap();
    let el = t.elapsed().as_secs_f64();
    let store_emails = report
        .emails
        .iter()
        .filter(|e| e.store_code.is_some())
        .count();
    assert_eq!(report.failed() + report.not_attempted(), 0);
    // The store emails and the summary (to the operator: D17).
    assert_eq!(sink.received().len(), report.delivered());
    assert_eq!(report.delivered(), store_emails + 1);
    println!(
        "{store_emails} store emails with a 150 KB PDF each over SMTP on 127.0.0.1: {el:.2} s, {:.0} emails/s",
        store_emails as f64 / el
    );
}
