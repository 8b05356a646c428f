//! `report`: what came of the assigned leads, from the tables alone, checked
//! cell by cell against a scenario computed by hand; outstanding sheets in
//! the report and in the next run's summary email.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{cli, seed_store, text};
use diesel::connection::SimpleConnection;
use la_schema::seed::{self, SeedLead};
use la_schema::testing::{migrated_db, TestDb};

/// One assigned lead: (id, batch, store, agent, type, outcome as SQL values
/// `converted_flag, order_value, payment_amount`, or None).
type Lead = (
    i32,
    i32,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// Two stores, three agents, two batches (2026-01-10 and -12), ten leads.
const LEADS: [Lead; 10] = [
    (1, 1, "S1", "A001", "E", Some("true, 1000, 900")),
    (2, 1, "S1", "A001", "N", None),
    (3, 1, "S1", "A001", "E", Some("false, NULL, NULL")),
    (4, 1, "S1", "A002", "E", None),
    (5, 1, "S1", "A002", "N", None),
    (6, 2, "S1", "A001", "E", Some("true, 500.50, 500.50")),
    (7, 1, "S2", "A002", "N", Some("true, 200, NULL")),
    (8, 2, "S2", "A003", "E", None),
    (9, 2, "S2", "A003", "E", None),
    (10, 2, "S2", "A002", "E", Some("NULL, NULL, NULL")),
];

fn scenario(db: &TestDb) {
    let mut c = db.conn();
    for store in ["S1", "S2"] {
        seed::store(&mut c, store, Some(&format!("Store {store}")), true).unwrap();
    }
    for (code, name) in [("A001", "Asha"), ("A002", "Bela"), ("A003", "Chetan")] {
        seed::agent(&mut c, Some(code), name, true).unwrap();
    }
    let leads: Vec<SeedLead> = LEADS
        .iter()
        .map(|l| SeedLead::new(l.0, l.2, Some(l.4), None))
        .collect();
    seed::leads(&mut c, &leads).unwrap();
    let mut sql = String::from(
        "INSERT INTO lead_assignment_batches (id, batch_date) VALUES (1, '2026-01-10'), (2, '2026-01-12');
         SELECT setval(pg_get_serial_sequence('lead_assignment_batches', 'id'), 2);
         UPDATE missed_leads SET lead_assigned = true;",
    );
    for (id, batch, store, agent, ty, outcome) in LEADS {
        sql.push_str(&format!(
            "INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid,
                lead_assignment_code, store_code, lead_type, mobile_number)
             SELECT {batch}, {id}, a.id, 'L26011{batch}{agent}', {id}, 'L26011{batch}{agent}-{id:04}', '{store}', '{ty}', '9{id:09}'
             FROM agents_master a WHERE a.agent_code = '{agent}';"
        ));
        if let Some(values) = outcome {
            sql.push_str(&format!(
                "INSERT INTO lead_assignment_outcomes (lead_assignment_id, converted_flag, order_value, payment_amount)
                 SELECT id, {values} FROM lead_assignments WHERE lead_id = {id};"
            ));
        }
    }
    c.batch_execute(&sql).unwrap();
}

fn report(db: &TestDb, args: &[&str]) -> String {
    let out = cli(db)
        .args(["report", "--from", "2026-01-01", "--to", "2026-01-31"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

const FIGURES: &str = "assigned,with_outcome,converted,conversion_rate,order_value,payment_amount,sheets,sheets_outstanding";

#[test]
fn csv_and_json_equal_the_hand_computed_tables_for_every_grouping() {
    let db = migrated_db();
    scenario(&db);
    let expected: [(&str, &str, &[&str]); 5] = [
        (
            "store-agent",
            "store_code,agent_code,agent_name",
            &[
                "S1,A001,Asha,4,3,2,0.5000,1500.50,1400.50,2,0",
                "S1,A002,Bela,2,0,0,0.0000,0.00,0.00,1,1",
                "S2,A002,Bela,2,2,1,0.5000,200.00,0.00,2,0",
                "S2,A003,Chetan,2,0,0,0.0000,0.00,0.00,1,1",
            ],
        ),
        (
            "agent",
            "agent_code,agent_name",
            &[
                "A001,Asha,4,3,2,0.5000,1500.50,1400.50,2,0",
                "A002,Bela,4,2,1,0.2500,200.00,0.00,3,1",
                "A003,Chetan,2,0,0,0.0000,0.00,0.00,1,1",
            ],
        ),
        (
            "store",
            "store_code",
            &[
                "S1,6,3,2,0.3333,1500.50,1400.50,3,1",
                "S2,4,2,1,0.2500,200.00,0.00,3,1",
            ],
        ),
        (
            "lead-type",
            "lead_type",
            &[
                "E,7,4,2,0.2857,1500.50,1400.50,5,2",
                "N,3,1,1,0.3333,200.00,0.00,3,1",
            ],
        ),
        (
            "day",
            "batch_date",
            &[
                "2026-01-10,6,3,2,0.3333,1200.00,900.00,3,1",
                "2026-01-12,4,2,1,0.2500,500.50,500.50,3,1",
            ],
        ),
    ];
    for (by, keys, rows) in expected {
        let csv = report(&db, &["--by", by, "--format", "csv"]);
        let want = format!("{keys},{FIGURES}\n{}\n", rows.join("\n"));
        assert_eq!(csv, want, "--by {by}");

        let json: serde_json::Value =
            serde_json::from_str(&report(&db, &["--by", by, "--format", "json"])).unwrap();
        let objects = json.as_array().unwrap();
        assert_eq!(objects.len(), rows.len(), "--by {by}");
        let header: Vec<&str> = want.lines().next().unwrap().split(',').collect();
        for (object, row) in objects.iter().zip(rows) {
            assert_eq!(object.as_object().unwrap().len(), header.len());
            for (key, cell) in header.iter().zip(row.split(',')) {
                let v = &object[*key];
                match cell.parse::<f64>() {
                    Ok(n) if !key.ends_with("_code") && *key != "batch_date" => {
                        assert_eq!(v.as_f64(), Some(n), "--by {by} {key}")
                    }
                    _ => assert_eq!(v.as_str(), Some(cell), "--by {by} {key}"),
                }
            }
        }
    }
    // --store narrows (case-insensitively) and the table fits 100 columns.
    let s2 = report(&db, &["--by", "store", "--format", "csv", "--store", "s2"]);
    assert_eq!(s2.lines().count(), 2, "{s2}");
    let table = report(&db, &[]);
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert!(table.contains("Chetan"), "{table}");
}

#[test]
fn html_is_one_self_contained_page_with_three_svg_charts() {
    let db = migrated_db();
    scenario(&db);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    report(&db, &["--html", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<svg").count(), 3, "one per chart");
    for title in [
        "Conversion rate per agent",
        "Assigned and converted per store",
        "Converted per day",
    ] {
        assert!(html.contains(title), "{title}");
    }
    assert!(html.contains("<td>Chetan</td>"));
    for outside in [
        "http://", "https://", "<script", "<link", "<img", "@import", "url(",
    ] {
        assert!(!html.contains(outside), "{outside}");
    }
}

#[test]
fn outstanding_sheets_are_listed_and_the_next_summary_email_names_them() {
    let db = migrated_db();
    scenario(&db);
    let csv = report(
        &db,
        &["--outstanding", "--older-than", "0", "--format", "csv"],
    );
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[0].starts_with("S1,Store S1,A002,Bela,1,2026-01-10,2,"),
        "{csv}"
    );
    assert!(
        rows[1].starts_with("S2,Store S2,A003,Chetan,2,2026-01-12,2,"),
        "{csv}"
    );

    // The next run (a new store with leads) emails a summary listing them.
    let mut c = db.conn();
    seed_store(&mut c, "S9", "A009", 100, 2, "s9");
    seed::recipient(&mut c, None, "any", "ops@example.com", "to", true).unwrap();
    let root = tempfile::tempdir().unwrap();
    let out = common::run(&db, root.path(), &["--outstanding-after", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outbox = root.path().join("leads_assignment").join("outbox");
    let summary = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|m| m.contains("Sheets outstanding"))
        .expect("a summary email with the outstanding sheets");
    assert!(summary.contains("- S1 Store S1: 1 sheet(s)"), "{summary}");
    assert!(
        summary.contains("agent A002 Bela, batch 1 of 2026-01-10: 2 leads"),
        "{summary}"
    );
    assert!(
        summary.contains("agent A003 Chetan, batch 2 of 2026-01-12: 2 leads"),
        "{summary}"
    );

    // diagnose shows a store's outstanding sheets.
    let d = cli(&db)
        .args(["diagnose", "--store", "S2"])
        .output()
        .unwrap();
    assert!(
        text(&d.stdout).contains("outstanding sheet: agent A003 Chetan, batch 2"),
        "{}",
        text(&d.stdout)
    );
}
