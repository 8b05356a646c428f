//! `agents list` and `agents leave …` as a process: leave takes an agent out
//! for dated days, says so everywhere, and the agent catches up on return.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::migrated_db;

mod common;
use common::{cli, count, run, text};

fn today(c: &mut diesel::PgConnection) -> chrono::NaiveDate {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Date>("current_date"))
        .get_result(c)
        .unwrap()
}

fn leads(c: &mut diesel::PgConnection, ids: std::ops::Range<i32>) {
    let rows: Vec<SeedLead> = ids.map(|i| SeedLead::new(i, "S1", None, None)).collect();
    seed::leads(c, &rows).unwrap();
}

#[test]
fn leave_input_mistakes_are_refused_and_write_nothing() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::agent(&mut c, Some("0001"), "Asha", true).unwrap();
    let add = |args: &[&str]| {
        cli(&db)
            .args(["agents", "leave", "add"])
            .args(args)
            .output()
            .unwrap()
    };

    let unknown = add(&["0999", "--from", "2030-01-01", "--to", "2030-01-02"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("\"0999\""),
        "{}",
        text(&unknown.stderr)
    );

    let reversed = add(&["0001", "--from", "2030-01-05", "--to", "2030-01-02"]);
    assert_eq!(reversed.status.code(), Some(2));
    assert!(
        text(&reversed.stderr).contains("--to"),
        "{}",
        text(&reversed.stderr)
    );

    let malformed = add(&["0001", "--from", "5 Jan", "--to", "2030-01-02"]);
    assert_eq!(malformed.status.code(), Some(2));
    assert!(
        text(&malformed.stderr).contains("YYYY-MM-DD"),
        "{}",
        text(&malformed.stderr)
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM agent_leave"), 0);

    let ok = add(&[
        "0001",
        "--from",
        "2030-01-01",
        "--to",
        "2030-01-10",
        "--reason",
        "wedding",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let overlap = add(&["0001", "--from", "2030-01-10", "--to", "2030-01-12"]);
    assert_eq!(overlap.status.code(), Some(1));
    assert!(
        text(&overlap.stderr).contains("overlaps"),
        "{}",
        text(&overlap.stderr)
    );
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM agent_leave"), 1);
}

#[test]
fn an_agent_on_leave_gets_nothing_is_named_and_catches_up_on_return() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", None, true).unwrap();
    for (code, name) in [("0001", "Asha"), ("0002", "Bina")] {
        let a = seed::agent(&mut c, Some(code), name, true).unwrap();
        seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    }
    let day = today(&mut c);
    let until = day + chrono::Duration::days(3);
    let add = cli(&db)
        .args(["agents", "leave", "add", "0002", "--reason", "wedding"])
        .args(["--from", &day.to_string(), "--to", &until.to_string()])
        .output()
        .unwrap();
    assert_eq!(add.status.code(), Some(0), "{}", text(&add.stderr));

    leads(&mut c, 1..7);
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &["--no-email"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "0002 Bina skipped: on leave until {until} (wedding)"
        )),
        "{stdout}"
    );
    let diagnose = text(
        &cli(&db)
            .args(["diagnose", "--store", "S1"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        diagnose.contains(&format!("on leave until {until} (wedding)")),
        "{diagnose}"
    );
    let listed = text(&cli(&db).args(["agents", "list"]).output().unwrap().stdout);
    assert!(
        listed.contains(&format!(
            "Bina                 active, on leave until {until} (wedding)"
        )),
        "{listed}"
    );
    assert!(listed.contains("today 6, 28 days 6"), "{listed}");

    let list = text(
        &cli(&db)
            .args(["agents", "leave", "list"])
            .output()
            .unwrap()
            .stdout,
    );
    let id = list.split_whitespace().next().unwrap().to_string();
    assert!(list.contains("0002") && list.contains("wedding"), "{list}");
    let removed = cli(&db)
        .args(["agents", "leave", "remove", &id])
        .output()
        .unwrap();
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed.stderr));

    // Back: the day's catch-up (6), then the tier's pace.
    leads(&mut c, 100..108);
    assert_eq!(
        run(&db, root.path(), &["--no-email"]).status.code(),
        Some(0)
    );
    let by = |c: &mut diesel::PgConnection, code: &str| {
        count(
            c,
            &format!("SELECT count(*) AS n FROM lead_assignments a JOIN agents_master m ON m.id = a.agent_id WHERE m.agent_code = '{code}'"),
        )
    };
    assert_eq!((by(&mut c, "0001"), by(&mut c, "0002")), (7, 7));
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM store_lead_assignment_map WHERE is_enabled"
        ),
        2,
        "leave never touches mappings"
    );
}
