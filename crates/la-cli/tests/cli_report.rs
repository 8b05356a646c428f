//! `report`: what came of the assigned leads, from the tables alone, checked
//! cell by cell against a scenario computed by hand; outstanding sheets in
//! the report and in the next run's summary email.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{cli, seed_store, text};
use diesel::connection::SimpleConnection;
use diesel::OptionalExtension;
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

/// Three stores, twelve agents with long names, 40 days of batches, big
/// amounts: a report a franchise would really look at.
fn big_scenario(db: &TestDb) {
    let mut c = db.conn();
    let mut sql = String::new();
    for (i, store) in ["S001", "S002", "KOTHRUD-EAST"].iter().enumerate() {
        seed::store(&mut c, store, Some(&format!("Store {i}")), true).unwrap();
    }
    let names = [
        "Asha Kulkarni",
        "Bela Deshpande",
        "Chetan Subrahmanyam Iyengar",
        "Divya Nair",
        "Esha Venkataraman",
        "Farhan Qureshi",
        "Gauri Patwardhan",
        "Harpreet Singh Ahluwalia",
        "Ishita Chattopadhyay",
        "Jai Raghunathan",
        "Kavya Srinivasan",
        "Lalit Mukhopadhyay",
    ];
    for (i, name) in names.iter().enumerate() {
        seed::agent(&mut c, Some(&format!("A{:03}", i + 1)), name, true).unwrap();
    }
    let leads: Vec<SeedLead> = (1..=480)
        .map(|i| {
            SeedLead::new(
                i,
                ["S001", "S002", "KOTHRUD-EAST"][i as usize % 3],
                Some("E"),
                None,
            )
        })
        .collect();
    seed::leads(&mut c, &leads).unwrap();
    for b in 1..=20 {
        sql.push_str(&format!(
            "INSERT INTO lead_assignment_batches (id, batch_date) VALUES ({b}, DATE '2026-01-01' + {b});"
        ));
    }
    sql.push_str("SELECT setval(pg_get_serial_sequence('lead_assignment_batches', 'id'), 20); UPDATE missed_leads SET lead_assigned = true;");
    for id in 1..=480 {
        let (batch, agent) = (1 + id % 20, 1 + id % 12);
        let store = ["S001", "S002", "KOTHRUD-EAST"][id as usize % 3];
        sql.push_str(&format!(
            "INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid,
                lead_assignment_code, store_code, lead_type, mobile_number)
             SELECT {batch}, {id}, a.id, 'L{batch:02}{agent:03}', {id}, 'L{batch:02}{agent:03}-{id:04}', '{store}', 'E', '9{id:09}'
             FROM agents_master a WHERE a.agent_code = 'A{agent:03}';"
        ));
        if id % 7 != 0 {
            let converted = (id * 7 + id / 12) % 5 < 2;
            sql.push_str(&format!(
                "INSERT INTO lead_assignment_outcomes (lead_assignment_id, converted_flag, order_value, payment_amount)
                 SELECT id, {converted}, {v}, {v} FROM lead_assignments WHERE lead_id = {id};",
                v = if converted { format!("{}.50", 9000 + id * 97) } else { "NULL".into() }
            ));
        }
    }
    c.batch_execute(&sql).unwrap();
}

/// Headless Chromium on `page` `width` pixels wide: a screenshot at `png`,
/// and the page's scroll width (measured in a frame that wide: headless
/// windows are at least 500 pixels wide).
fn chromium(page: &std::path::Path, width: u32, png: &std::path::Path) -> u32 {
    let profile = tempfile::tempdir().unwrap();
    let browser = |size: String, extra: &[String]| {
        let out = std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--window-size={size}"))
            .args(extra)
            .output()
            .expect("chromium is required: run scripts/install-test-deps");
        assert!(out.status.success(), "chromium: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let url = format!("file://{}", page.display());
    browser(
        format!("{width},3200"),
        &[format!("--screenshot={}", png.display()), url],
    );
    let html = std::fs::read_to_string(page).unwrap();
    let srcdoc = html.replace('&', "&amp;").replace('"', "&quot;");
    let probe = page.with_extension("probe.html");
    std::fs::write(
        &probe,
        format!(
            "<!DOCTYPE html><body><iframe style=\"width:{width}px;height:900px;border:0\" \
             onload=\"var d=this.contentDocument.documentElement;document.body.dataset.scroll=d.scrollWidth+' '+d.clientWidth\" \
             srcdoc=\"{srcdoc}\"></iframe></body>"
        ),
    )
    .unwrap();
    let dom = browser(
        "1400,1000".into(),
        &[
            "--virtual-time-budget=5000".into(),
            "--dump-dom".into(),
            format!("file://{}", probe.display()),
        ],
    );
    let measure = dom
        .split("data-scroll=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (scroll, client) = measure.split_once(' ').unwrap();
    assert_eq!(
        client.parse::<u32>().unwrap(),
        width,
        "the frame is {width} wide"
    );
    scroll.parse().unwrap()
}

#[test]
fn the_html_page_fits_a_desktop_and_a_phone() {
    let db = migrated_db();
    big_scenario(&db);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html");
    std::fs::create_dir_all(&out).unwrap();
    let page = out.join("report.html");
    cli(&db)
        .args([
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--html",
        ])
        .arg(&page)
        .output()
        .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    // People's words and numbers: headings, rupees, percentages, names.
    for shown in [
        "Conversion rate",
        "With outcome",
        "₹",
        " %",
        "Divya Nair (A004)",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    assert!(
        !html.contains("conversion_rate") && !html.contains("0.3"),
        "raw names or ratios"
    );
    for width in [1280, 390] {
        let png = out.join(format!("report-{width}.png"));
        let scroll = chromium(&page, width, &png);
        assert!(
            scroll <= width,
            "at {width} px the page scrolls sideways to {scroll} px"
        );
        assert!(
            std::fs::metadata(&png).unwrap().len() > 10_000,
            "a screenshot at {}",
            png.display()
        );
    }
}

#[test]
fn report_follows_its_time_zone_and_refuses_flags_it_cannot_honour() {
    let db = migrated_db();
    let mut c = db.conn();
    // A zone whose date is not the server's right now (one of the two is,
    // whatever the hour), with ten minutes before either date changes (a
    // few minutes a day have none: wait for one, bounded): its business
    // date's batch, one lead, no outcome.
    #[derive(diesel::QueryableByName)]
    struct Tz {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tz: String,
    }
    let pick = diesel::sql_query(
        "SELECT tz FROM unnest(ARRAY['Pacific/Kiritimati', 'Pacific/Pago_Pago']) tz
         WHERE (now() AT TIME ZONE tz)::date <> current_date
           AND (now() AT TIME ZONE tz)::time < '23:50'
           AND localtime < '23:50' LIMIT 1",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    let tz = loop {
        let found = diesel::RunQueryDsl::get_result::<Tz>(pick.clone(), &mut c).optional();
        if let Some(Tz { tz }) = found.unwrap() {
            break tz;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no zone away from midnight"
        );
        std::thread::sleep(std::time::Duration::from_secs(5));
    };
    seed_store(&mut c, "S1", "A001", 1, 1, "s1");
    c.batch_execute(&format!(
        "INSERT INTO lead_assignment_batches (id, batch_date) VALUES (1, (now() AT TIME ZONE '{tz}')::date);
         INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid,
             lead_assignment_code, store_code, lead_type, mobile_number)
         SELECT 1, 1, a.id, 'L1', 1, 'L1-0001', 'S1', 'E', '9000000001' FROM agents_master a;"
    ))
    .unwrap();
    let outstanding = |tz: Option<&str>| {
        let mut cmd = cli(&db);
        cmd.args([
            "report",
            "--outstanding",
            "--older-than",
            "0",
            "--format",
            "csv",
        ]);
        if let Some(tz) = tz {
            cmd.args(["--timezone", tz]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // In the zone, the batch is today's: listed, 0 days old.
    let zoned = outstanding(Some(&tz));
    let row = zoned.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with("S1,") && row.ends_with(",1,0"),
        "{tz}: {zoned}"
    );
    assert_ne!(
        outstanding(None),
        zoned,
        "{tz}: the server's date gives another age"
    );
    let out = cli(&db)
        .args([
            "report",
            "--by",
            "store",
            "--format",
            "csv",
            "--timezone",
            &tz,
        ])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("\nS1,1,"),
        "{}",
        text(&out.stdout)
    );

    // Flags it cannot honour are usage errors (exit 2), named.
    for (args, named) in [
        (vec!["--store", "S1", "--store", "NOPE"], "NOPE"),
        (vec!["--outstanding", "--by", "agent"], "--by"),
        (vec!["--outstanding", "--html", "x.html"], "--html"),
    ] {
        let out = cli(&db).arg("report").args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(named),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}
