//! End to end through the facade: docs/decisions.md S6 verification checklist, items 1–7,
//! against a real PostgreSQL and a real SMTP server on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::type_complexity,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "../examples/single_session.rs"]
mod host;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use leads_assignment::notify::testing::SmtpSink;
use leads_assignment::notify::SmtpConfig;
use leads_assignment::schema::schema::{
    documents, lead_assignment_batches, pipeline_run_summaries,
};
use leads_assignment::schema::seed::{self, MappingSeed, SeedLead};
use leads_assignment::schema::testing::{empty_db, load_legacy_fixture, migrated_db};
use leads_assignment::{run_pipeline, EmailDelivery, OverallStatus, PipelineOptions};
use mail_parser::{MessageParser, MimeHeaders};

fn options(root: &Path, email: EmailDelivery) -> PipelineOptions {
    PipelineOptions {
        reports_root: root.to_path_buf(),
        email,
        from: "Leads <leads@example.com>".into(),
        ..PipelineOptions::new(leads_assignment::RunEnv::Dev)
    }
}

fn smtp(port: u16) -> EmailDelivery {
    EmailDelivery::Smtp(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        use_tls: false,
        timeout: Duration::from_secs(5),
    })
}

/// Two stores, each with one agent and `n` leads; recipients per store and one store-less.
fn seed_two_stores(conn: &mut PgConnection, n: i32, caps: MappingSeed) {
    for (s, code, agent) in [(0, "S1", "0001"), (1, "S2", "0002")] {
        seed::store(conn, code, Some(&format!("Store {code}")), true).unwrap();
        let a = seed::agent(conn, Some(agent), &format!("Agent {agent}"), true).unwrap();
        seed::mapping(conn, code, a, caps).unwrap();
        let rows: Vec<SeedLead> = (1..=n)
            .map(|i| {
                SeedLead::new(
                    s * 1000 + i,
                    code,
                    Some(if i % 2 == 0 { "New" } else { "Existing" }),
                    None,
                )
            })
            .collect();
        seed::leads(conn, &rows).unwrap();
        seed::recipient(
            conn,
            Some(code),
            "any",
            &format!("{}@example.com", code.to_lowercase()),
            "to",
            true,
        )
        .unwrap();
    }
    seed::recipient(conn, None, "any", "ops@example.com", "to", true).unwrap();
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

#[test]
fn spec_1_migrations_apply_on_an_existing_database() {
    let db = empty_db();
    let mut c = db.conn();
    load_legacy_fixture(&mut c, 2_000).unwrap();
    let applied = leads_assignment::schema::run_pending_migrations(&mut c).unwrap();
    assert_eq!(
        applied.len(),
        leads_assignment::schema::testing::migration_count()
    );
    for t in [
        "agents_master",
        "store_lead_assignment_map",
        "lead_assignment_batches",
        "lead_assignments",
        "lead_assignment_outcomes",
    ] {
        assert_eq!(
            count(
                &mut c,
                &format!("SELECT count(*) AS n FROM pg_class WHERE relname = '{t}'")
            ),
            1,
            "{t}"
        );
    }
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM missed_leads WHERE lead_assigned"
        ),
        0
    );
    assert!(leads_assignment::schema::run_pending_migrations(&mut c)
        .unwrap()
        .is_empty());
}

#[test]
fn spec_2_assignment_creates_batches_and_rerun_makes_no_duplicates() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 5, MappingSeed::default());
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(&mut c, &options(root.path(), EmailDelivery::Disabled)).unwrap();
    assert_eq!(r.assignment.assigned, 10);
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        10
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM missed_leads WHERE lead_assigned"
        ),
        10
    );
    let again = run_pipeline(&mut c, &options(root.path(), EmailDelivery::Disabled)).unwrap();
    assert_eq!(again.assignment.assigned, 0);
    assert!(again.sheets.is_empty());
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        10
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM (SELECT lead_id FROM lead_assignments GROUP BY lead_id HAVING count(*) > 1) d"), 0);
}

#[test]
fn spec_3_caps_are_enforced() {
    let db = migrated_db();
    let mut c = db.conn();
    let caps = MappingSeed {
        max_existing_per_lot: Some(1),
        max_new_per_lot: Some(1),
        max_daily_leads: Some(2),
        ..Default::default()
    };
    seed_two_stores(&mut c, 6, caps);
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(&mut c, &options(root.path(), EmailDelivery::Disabled)).unwrap();
    assert_eq!(r.assignment.assigned, 4);
    for p in &r.assignment.pairs {
        assert_eq!((p.existing_assigned, p.new_assigned), (1, 1));
    }
    let second = run_pipeline(&mut c, &options(root.path(), EmailDelivery::Disabled)).unwrap();
    assert_eq!(
        second.assignment.assigned, 0,
        "daily cap of 2 already used today"
    );
    assert_eq!(second.overall_status, OverallStatus::SuccessWithWarnings);
}

#[test]
fn spec_4_sheets_on_disk_with_two_rows_per_lead_and_documents_rows() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 4, MappingSeed::default());
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(&mut c, &options(root.path(), EmailDelivery::Disabled)).unwrap();
    assert_eq!(r.sheets.len(), 2);
    for s in &r.sheets {
        assert!(s.path.starts_with(root.path()));
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", s.path.to_str().unwrap(), "-"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("Store: {} - Store {}", s.store_code, s.store_code)),
            "{text}"
        );
        assert!(
            text.contains("Conv (Y/N)") && text.contains("Payment Amt"),
            "Row 2 labels"
        );
        let doc = lopdf::Document::load(&s.path).unwrap();
        let form = doc
            .catalog()
            .unwrap()
            .get(b"AcroForm")
            .unwrap()
            .as_dict()
            .unwrap();
        assert_eq!(
            form.get(b"Fields").unwrap().as_array().unwrap().len(),
            4 + 1,
            "one parent field per lead, and the sheet's identity"
        );
    }
    let rows: Vec<(String, Option<String>, Option<String>, Option<String>)> = documents::table
        .select((
            documents::doc_type,
            documents::doc_subtype,
            documents::reference_id_2,
            documents::created_by,
        ))
        .order(documents::id)
        .load(&mut c)
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (t, st, _, by) in rows {
        assert_eq!(
            (t.as_str(), st.as_deref(), by.as_deref()),
            (
                "leads_assignment",
                Some("per_store_agent_pdf"),
                Some("leads_assignment_pipeline")
            )
        );
    }
}

#[test]
fn spec_5_emails_use_the_notification_tables_with_the_right_sheets() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 3, MappingSeed::default());
    let sink = SmtpSink::start().unwrap();
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(&mut c, &options(root.path(), smtp(sink.port))).unwrap();
    let n = r.notify.as_ref().unwrap();
    assert_eq!((n.sent(), n.failed()), (3, 0), "{n:?}");
    let inbox = sink.received();
    for store in ["S1", "S2"] {
        let msg = inbox
            .iter()
            .find(|m| {
                m.rcpt
                    .iter()
                    .any(|r| r.contains(&format!("{}@example.com", store.to_lowercase())))
            })
            .unwrap();
        let parsed = MessageParser::default().parse(&msg.data).unwrap();
        let names: Vec<&str> = parsed
            .attachments()
            .filter_map(|a| a.attachment_name())
            .collect();
        assert_eq!(names.len(), 1);
        assert!(names[0].contains(&format!("_{store}_")), "{names:?}");
    }
    let summary = inbox
        .iter()
        .find(|m| {
            MessageParser::default()
                .parse(&m.data)
                .unwrap()
                .subject()
                .unwrap()
                .contains("run")
        })
        .unwrap();
    let body = MessageParser::default()
        .parse(&summary.data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(body.contains("- S1") && body.contains("- S2"), "{body}");
}

#[test]
fn spec_6_runs_from_the_host_pipeline_and_honours_the_skip_flag() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 3, MappingSeed::default());
    let root = tempfile::tempdir().unwrap();
    let opts = options(root.path(), EmailDelivery::Disabled);

    c.batch_execute(
        "INSERT INTO system_config (key, value) VALUES ('skip_lead_assignment', 'true')",
    )
    .unwrap();
    let skipped = host::run_host(&mut c, "ss-1", &opts).unwrap();
    assert!(skipped.host_work_done && skipped.lead_assignment.is_none());
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignment_batches"),
        0
    );

    c.batch_execute("UPDATE system_config SET value = 'false' WHERE key = 'skip_lead_assignment'")
        .unwrap();
    let ran = host::run_host(&mut c, "ss-2", &opts).unwrap();
    let report = ran.lead_assignment.unwrap().unwrap();
    assert_eq!(report.assignment.assigned, 6);
    let (triggered, run_id): (Option<String>, Option<String>) = lead_assignment_batches::table
        .select((
            lead_assignment_batches::triggered_by,
            lead_assignment_batches::run_id,
        ))
        .first(&mut c)
        .unwrap();
    assert_eq!(
        (triggered.as_deref(), run_id.as_deref()),
        (Some("pipeline:single_session"), Some("ss-2"))
    );
    // The host's own row is kept; ours sits beside it.
    let ids: BTreeSet<String> = pipeline_run_summaries::table
        .select(pipeline_run_summaries::run_id)
        .load(&mut c)
        .unwrap()
        .into_iter()
        .collect();
    assert!(
        ids.contains("ss-2") && ids.contains("ss-2:leads_assignment"),
        "{ids:?}"
    );

    // A failing lead assignment does not undo the host's work.
    c.batch_execute(
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$; \
         CREATE TRIGGER boom BEFORE INSERT ON lead_assignment_batches FOR EACH ROW EXECUTE FUNCTION boom();",
    )
    .unwrap();
    let failed = host::run_host(&mut c, "ss-3", &opts).unwrap();
    assert!(failed.host_work_done);
    assert!(failed
        .lead_assignment
        .unwrap()
        .unwrap_err()
        .contains("injected"));
    let host_row: String = pipeline_run_summaries::table
        .filter(pipeline_run_summaries::run_id.eq("ss-3"))
        .select(pipeline_run_summaries::pipeline_name)
        .first(&mut c)
        .unwrap();
    assert_eq!(host_row, "single_session");
    let la_row: Option<String> = pipeline_run_summaries::table
        .filter(pipeline_run_summaries::run_id.eq("ss-3:leads_assignment"))
        .select(pipeline_run_summaries::overall_status)
        .first(&mut c)
        .unwrap();
    assert_eq!(la_row.as_deref(), Some("failed"));
}

#[test]
fn spec_7_other_pipelines_rows_are_untouched() {
    let db = empty_db();
    let mut c = db.conn();
    load_legacy_fixture(&mut c, 3_000).unwrap();
    leads_assignment::schema::run_pending_migrations(&mut c).unwrap();
    let digest = |c: &mut PgConnection, sql: &str| -> String {
        #[derive(QueryableByName)]
        struct D {
            #[diesel(sql_type = Text)]
            d: String,
        }
        diesel::sql_query(sql).get_result::<D>(c).unwrap().d
    };
    let queries = [
        "SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS d FROM documents t WHERE doc_type <> 'leads_assignment'",
        "SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS d FROM pipeline_run_summaries t WHERE pipeline_name <> 'leads_assignment'",
        "SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS d FROM notification_recipients t",
        "SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS d FROM email_templates t",
        "SELECT md5(string_agg(t::text, ',' ORDER BY id)) AS d FROM system_config t",
        "SELECT md5(string_agg((t.pickup_row_id, t.mobile_number, t.customer_name, t.is_order_placed)::text, ',' ORDER BY pickup_row_id)) AS d FROM missed_leads t",
    ];
    let before: Vec<String> = queries.iter().map(|q| digest(&mut c, q)).collect();
    c.batch_execute(
        "UPDATE store_master SET assign_leads = true WHERE store_code IN ('S001', 'S002');
         INSERT INTO agents_master (agent_code, agent_name, mobile_number) VALUES ('0001', 'Asha', '98');
         INSERT INTO store_lead_assignment_map (store_code, agent_id) VALUES ('S001', 1), ('S002', 1);",
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(
        &mut c,
        &options(
            root.path(),
            EmailDelivery::Outbox(root.path().join("outbox")),
        ),
    )
    .unwrap();
    assert!(r.assignment.assigned > 0);
    let after: Vec<String> = queries.iter().map(|q| digest(&mut c, q)).collect();
    assert_eq!(before, after);
    // docs/decisions.md D16: flipping the flag sets updated_at; other rows keep theirs.
    let started = r.started_at.to_rfc3339();
    assert_eq!(
        count(&mut c, &format!("SELECT count(*) AS n FROM missed_leads WHERE lead_assigned AND updated_at < '{started}'")),
        0
    );
    assert_eq!(
        count(&mut c, &format!("SELECT count(*) AS n FROM missed_leads WHERE NOT lead_assigned AND updated_at >= '{started}'")),
        0
    );
    // Only the flags of the assigned leads changed in missed_leads.
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM missed_leads WHERE lead_assigned"
        ),
        i64::from(r.assignment.assigned)
    );
}

#[test]
fn nothing_eligible_stops_after_assignment_and_records_it() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(
        &mut c,
        &options(
            root.path(),
            EmailDelivery::Outbox(root.path().join("outbox")),
        ),
    )
    .unwrap();
    assert_eq!(r.assignment.assigned, 0);
    assert!(r.sheets.is_empty() && r.notify.is_none());
    assert!(!root.path().join("outbox").exists());
    let (status, text): (Option<String>, Option<String>) = pipeline_run_summaries::table
        .select((
            pipeline_run_summaries::overall_status,
            pipeline_run_summaries::summary_text,
        ))
        .first(&mut c)
        .unwrap();
    assert_eq!(status.as_deref(), Some("success"));
    assert!(text.unwrap().contains("nothing to assign"));
}

#[test]
fn summary_row_has_every_field() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 2, MappingSeed::default());
    let root = tempfile::tempdir().unwrap();
    let r = run_pipeline(
        &mut c,
        &PipelineOptions {
            run_id: Some("run-xyz".into()),
            ..options(root.path(), EmailDelivery::Outbox(root.path().join("o")))
        },
    )
    .unwrap();
    #[derive(QueryableByName, Debug)]
    struct Row {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let row: Row = diesel::sql_query(
        "SELECT concat_ws('|', pipeline_name, run_id, run_env, started_at IS NOT NULL, finished_at >= started_at, total_time_taken ~ '^\\d\\d:\\d\\d:\\d\\d$', report_date = current_date, overall_status, phases_json->0->>'phase', metrics_json->>'assigned') AS v FROM pipeline_run_summaries",
    )
    .get_result(&mut c)
    .unwrap();
    assert_eq!(
        row.v,
        format!(
            "leads_assignment|run-xyz|dev|t|t|t|t|{}|assign|4",
            r.overall_status.as_str()
        )
    );
}

#[test]
fn failed_sheets_make_the_run_partly_done_with_commands_that_finish_it() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 2, MappingSeed::default());
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("reports");
    std::fs::write(&root, b"a file where the folder should be").unwrap();
    let outbox = tmp.path().join("outbox");
    let r = run_pipeline(
        &mut c,
        &options(&root, EmailDelivery::Outbox(outbox.clone())),
    )
    .unwrap();
    assert!(r.partly_done());
    assert_eq!(r.overall_status, OverallStatus::Failed);
    assert_eq!(r.sheet_failures.len(), 2);
    let b = r.batch_id.unwrap();
    let root_text = root.display();
    assert_eq!(
        r.finish_commands
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec![
            format!("leads-assignment pdf --batch {b} --reports-root {root_text}"),
            format!("leads-assignment notify --batch {b} --env dev --reports-root {root_text}")
        ]
    );
    // The store emails waited for their sheets; the ledger says so.
    let n = r.notify.as_ref().unwrap();
    assert_eq!(n.not_attempted(), 2, "{n:?}");
    // The commands' library equivalents complete the job.
    std::fs::remove_file(&root).unwrap();
    leads_assignment::pdf::generate_pdfs_for_batch(
        &mut c,
        b,
        &leads_assignment::pdf::PdfOptions {
            reports_root: root.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut transport = leads_assignment::notify::FileOutbox::new(&outbox);
    let n = leads_assignment::notify::send_for_batch(
        &mut c,
        b,
        &leads_assignment::notify::NotifyOptions {
            run_env: leads_assignment::RunEnv::Dev,
            from: "leads@example.com".into(),
            ..Default::default()
        },
        &mut transport,
    )
    .unwrap();
    assert_eq!(
        n.delivered(),
        2,
        "exactly the two store emails that waited: {n:?}"
    );
    assert_eq!(n.sent(), 0, "the outbox never counts as sent");
    let eml = std::fs::read(outbox.join(format!("b{b}-store-S1.eml"))).unwrap();
    assert_eq!(
        MessageParser::default()
            .parse(&eml)
            .unwrap()
            .attachments()
            .count(),
        1
    );
}

#[test]
fn sheets_rendered_during_a_run_that_rolls_back_leave_no_file_behind() {
    let db = migrated_db();
    let mut c = db.conn();
    seed_two_stores(&mut c, 300, MappingSeed::default());
    // The database refuses one lead's assignment: the run rolls back after
    // every store was dealt and its sheets were being rendered ahead.
    c.batch_execute(
        "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.lead_id = 250 THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON lead_assignments
           FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();",
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let err = run_pipeline(&mut c, &options(root.path(), EmailDelivery::Disabled)).unwrap_err();
    assert!(err.to_string().contains("refused for the test"), "{err}");
    let mut left = Vec::new();
    let mut dirs = vec![root.path().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                left.push(p);
            }
        }
    }
    assert!(left.is_empty(), "files left behind: {left:?}");
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM lead_assignments"),
        0
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM documents"), 0);
}

/// The text pdftotext extracts from the run's only sheet of `store`.
fn sheet_text(conn: &mut PgConnection, store: &str) -> String {
    let path: String = documents::table
        .filter(documents::reference_id_2.eq(store))
        .select(documents::file_path.assume_not_null())
        .order(documents::id.desc())
        .first(conn)
        .unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.as_str(), "-"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn names_in_any_script_run_clean_and_an_unreadable_one_is_one_warning() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", Some("Kothrud"), true).unwrap();
    let a = seed::agent(&mut c, Some("0001"), "Asha", true).unwrap();
    seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let scripts = leads_assignment::schema::testing::names_in_every_script();
    let leads: Vec<SeedLead> = (1..)
        .zip(&scripts)
        .map(|(i, (_, name, address))| {
            let mut l = SeedLead::new(i, "S1", None, None);
            l.store_name = None;
            l.customer_name = Some((*name).into());
            l.special_instruction = Some((*address).into());
            l
        })
        .collect();
    seed::leads(&mut c, &leads).unwrap();
    let root = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().unwrap();
    let r = run_pipeline(&mut c, &options(root.path(), smtp(sink.port))).unwrap();
    assert_eq!(
        r.overall_status,
        OverallStatus::Success,
        "{}",
        r.summary_text
    );
    assert_eq!(r.unreadable_leads(), 0);
    // Canonically equivalent: a vowel drawn in two parts (ো) reads as its
    // two parts (docs/decisions.md D24).
    let nfc = |t: &str| t.nfc().collect::<String>();
    let text = nfc(&sheet_text(&mut c, "S1"));
    for (script, name, address) in &scripts {
        assert!(text.contains(&nfc(name)), "{script} {name}: {text}");
        assert!(text.contains(&nfc(address)), "{script} {address}: {text}");
    }
    // The leads carry no store name: the header takes store_master's.
    assert!(text.contains("Store: S1 - Kothrud"), "{text}");

    let mut odd = SeedLead::new(100, "S1", None, None);
    odd.customer_name = Some("Ravi 🪔".into());
    seed::leads(&mut c, &[odd]).unwrap();
    let r = run_pipeline(&mut c, &options(root.path(), smtp(sink.port))).unwrap();
    assert_eq!(r.overall_status, OverallStatus::SuccessWithWarnings);
    let line = "1 lead(s) with characters no sheet font covers (drawn as placeholders)";
    assert!(r.summary_text.contains(line), "{}", r.summary_text);
    let row: (Option<String>, Option<String>, Option<serde_json::Value>) =
        pipeline_run_summaries::table
            .order(pipeline_run_summaries::id.desc())
            .select((
                pipeline_run_summaries::overall_status,
                pipeline_run_summaries::summary_text,
                pipeline_run_summaries::metrics_json,
            ))
            .first(&mut c)
            .unwrap();
    assert_eq!(row.0.as_deref(), Some("success_with_warnings"));
    assert!(row.1.unwrap().contains(line));
    assert_eq!(row.2.unwrap()["unreadable_leads"], 1);
    let summary = sink
        .received()
        .into_iter()
        .map(|m| {
            MessageParser::default()
                .parse(&m.data)
                .unwrap()
                .body_text(0)
                .unwrap()
                .into_owned()
        })
        .rfind(|body| body.contains(&format!("Leads assignment run {}", r.run_id)))
        .unwrap();
    assert_eq!(
        summary.matches("no sheet font covers").count(),
        1,
        "{summary}"
    );
    assert!(summary.contains(line), "{summary}");
}
