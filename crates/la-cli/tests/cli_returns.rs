//! Returned sheets you can trust, and files nobody can plant
//! (docs/decisions.md D25, D26): the binary as a process against a real
//! PostgreSQL, sheets edited by pypdf as an agent or an attacker would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use la_schema::schema::{
    agents_master as am, documents, lead_assignment_outcomes as lao, lead_assignments as la,
};
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::{migrated_db, TestDb};

mod common;
use common::{cli, count, edit, fill, run, text};
use mail_parser::MimeHeaders;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A sheet of the batch: its file and its leads' codes.
struct Sheet {
    path: PathBuf,
    codes: Vec<String>,
}

/// Store S1 with agents 0001 and 0002 sharing 6 leads, run once: the batch
/// id and each agent's sheet.
fn one_batch(db: &TestDb, root: &Path) -> (i64, BTreeMap<&'static str, Sheet>) {
    let mut c = db.conn();
    seed::store(&mut c, "S1", Some("Kothrud"), true).unwrap();
    for (code, name) in [("0001", "Asha"), ("0002", "Chetan")] {
        let a = seed::agent(&mut c, Some(code), name, true).unwrap();
        seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    }
    let rows: Vec<SeedLead> = (1..=6)
        .map(|i| SeedLead::new(i, "S1", None, None))
        .collect();
    seed::leads(&mut c, &rows).unwrap();
    seed::recipient(&mut c, Some("S1"), "any", "s1@example.com", "to", true).unwrap();
    let out = run(db, root, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let batch = count(&mut c, "SELECT max(id) AS n FROM lead_assignment_batches");
    let mut sheets = BTreeMap::new();
    for agent in ["0001", "0002"] {
        sheets.insert(agent, sheet_of(&mut c, agent));
    }
    (batch, sheets)
}

fn sheet_of(c: &mut PgConnection, agent: &str) -> Sheet {
    let codes: Vec<String> = la::table
        .inner_join(am::table)
        .filter(am::agent_code.eq(agent))
        .order(la::rowid)
        .select(la::lead_assignment_code)
        .load(c)
        .unwrap();
    let path: String = documents::table
        .filter(documents::reference_id_3.eq(agent))
        .select(documents::file_path.assume_not_null())
        .first(c)
        .unwrap();
    Sheet {
        path: PathBuf::from(path),
        codes,
    }
}

fn ingest(db: &TestDb, args: &[&str]) -> Output {
    cli(db).arg("ingest-outcomes").args(args).output().unwrap()
}

fn all_text(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// (outcomes, ingest ledger rows).
fn written(c: &mut PgConnection) -> (i64, i64) {
    (
        count(c, "SELECT count(*) AS n FROM lead_assignment_outcomes"),
        count(c, "SELECT count(*) AS n FROM lead_assignment_ingests"),
    )
}

fn conv_y(codes: &[String]) -> Vec<(String, &'static str)> {
    codes.iter().map(|c| (format!("{c}.conv"), "Y")).collect()
}

#[test]
fn a_sheet_stripped_of_its_identity_cannot_write_a_colleagues_outcomes() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let (batch, sheets) = one_batch(&db, root.path());
    let (mine, theirs) = (&sheets["0001"], &sheets["0002"]);
    let dir = root.path();

    // Agent 0001 fills her sheet, strips (or blanks) its identity and renames
    // a field to a colleague's lead.
    let filled = dir.join("filled.pdf");
    fill(&mine.path, &filled, &conv_y(&mine.codes), false);
    for how in ["strip-identity", "blank-identity"] {
        let stripped = dir.join(format!("{how}.pdf"));
        edit(&[how, p(&filled), p(&stripped)]);
        let forged = dir.join(format!("{how}-forged.pdf"));
        edit(&[
            "rename",
            p(&stripped),
            p(&forged),
            &mine.codes[0],
            &theirs.codes[0],
        ]);
        for file in [&stripped, &forged] {
            let out = ingest(&db, &[p(file)]);
            assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
            assert!(
                all_text(&out).contains("identity is missing or altered"),
                "{}",
                all_text(&out)
            );
            assert_eq!(written(&mut c), (0, 0), "{how}: nothing written");
        }
    }

    // A sheet signed by another database (another secret): refused with its
    // identity and without it, though its codes name this database's leads.
    let other = migrated_db();
    // Test databases are clones of one template: give this one its own key,
    // as every real database has.
    diesel::sql_query(
        "UPDATE lead_assignment_secrets SET value = sha256(value || 'another database')",
    )
    .execute(&mut other.conn())
    .unwrap();
    let other_root = tempfile::tempdir().unwrap();
    let (_, other_sheets) = one_batch(&other, other_root.path());
    let foreign = dir.join("foreign.pdf");
    fill(
        &other_sheets["0001"].path,
        &foreign,
        &conv_y(&mine.codes),
        false,
    );
    let foreign_stripped = dir.join("foreign-stripped.pdf");
    edit(&["strip-identity", p(&foreign), p(&foreign_stripped)]);
    for file in [&foreign, &foreign_stripped] {
        let out = ingest(&db, &[p(file)]);
        assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
        assert!(all_text(&out).contains("identity is missing or altered"));
    }
    assert_eq!(written(&mut c), (0, 0));

    // Only a batch made before sheets carried identities takes a file without
    // one, and then only when all its leads are of one sheet.
    diesel::sql_query(format!(
        "UPDATE lead_assignment_batches SET sheets_signed = false WHERE id = {batch}"
    ))
    .execute(&mut c)
    .unwrap();
    let out = ingest(&db, &[p(&dir.join("strip-identity-forged.pdf"))]);
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    assert!(
        all_text(&out).contains("2 different sheets"),
        "{}",
        all_text(&out)
    );
    let out = ingest(&db, &[p(&dir.join("strip-identity.pdf"))]);
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    assert!(all_text(&out).contains("no identity"), "{}", all_text(&out));
    assert_eq!(written(&mut c), (3, 1));
}

#[test]
fn a_form_naming_one_lead_twice_is_refused_as_ambiguous() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let (_, sheets) = one_batch(&db, root.path());
    let mine = &sheets["0001"];
    let filled = root.path().join("filled.pdf");
    let mut values = conv_y(&mine.codes);
    values.push((format!("{}.order_no", mine.codes[1]), "ORD-SEEN"));
    fill(&mine.path, &filled, &values, false);
    // A hidden copy of the same field, first in /Fields, with another value.
    let shadowed = root.path().join("shadowed.pdf");
    edit(&[
        "shadow",
        p(&filled),
        p(&shadowed),
        &mine.codes[1],
        "order_no",
        "ORD-HIDDEN",
    ]);
    let out = ingest(&db, &[p(&shadowed)]);
    let all = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("ambiguous"), "{all}");
    assert!(all.contains(&mine.codes[1]), "names the lead: {all}");
    assert_eq!(written(&mut c), (0, 0));
    // The file as the agent saved it is fine.
    let out = ingest(&db, &[p(&filled)]);
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    let order: Option<String> = lao::table
        .filter(lao::order_number.is_not_null())
        .select(lao::order_number)
        .first(&mut c)
        .unwrap();
    assert_eq!(order.as_deref(), Some("ORD-SEEN"));
}

/// The stored outcome of `code`: (conv, order no, order value, remarks).
fn stored(
    c: &mut PgConnection,
    code: &str,
) -> (Option<bool>, Option<String>, Option<String>, Option<String>) {
    lao::table
        .inner_join(la::table)
        .filter(la::lead_assignment_code.eq(code))
        .select((
            lao::converted_flag,
            lao::order_number,
            lao::order_value,
            lao::remarks,
        ))
        .first::<(
            Option<bool>,
            Option<String>,
            Option<bigdecimal::BigDecimal>,
            Option<String>,
        )>(c)
        .map(|(a, b, v, d)| (a, b, v.map(|v| format!("{v:.2}")), d))
        .unwrap()
}

#[test]
fn a_blank_never_erases_unless_the_operator_clears_on_purpose() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let (_, sheets) = one_batch(&db, root.path());
    let mine = &sheets["0001"];
    let code = &mine.codes[0];
    let first = root.path().join("first.pdf");
    fill(
        &mine.path,
        &first,
        &[
            (format!("{code}.conv"), "Y"),
            (format!("{code}.order_no"), "ORD-1"),
            (format!("{code}.order_value"), "1250"),
        ],
        false,
    );
    assert_eq!(ingest(&db, &[p(&first)]).status.code(), Some(0));

    // A later file of the sheet fills only Remarks: the rest stays.
    let later = root.path().join("later.pdf");
    fill(
        &mine.path,
        &later,
        &[
            (format!("{code}.conv"), "Y"),
            (format!("{code}.remarks"), "call back"),
        ],
        false,
    );
    let out = ingest(&db, &[p(&later)]);
    let all = all_text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!("changed {code} remarks: \"\" → \"call back\"")),
        "{all}"
    );
    assert!(!all.contains("order_no"), "a blank is not a change: {all}");
    let want = (
        Some(true),
        Some("ORD-1".to_string()),
        Some("1250.00".to_string()),
        Some("call back".to_string()),
    );
    assert_eq!(stored(&mut c, code), want);

    // Clearing is the operator's explicit choice, and says what it cleared.
    let out = ingest(&db, &["--clear-blanks", p(&later)]);
    let all = all_text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!("cleared {code} order_no: \"ORD-1\" → \"\"")),
        "{all}"
    );
    assert!(
        all.contains(&format!("cleared {code} order_value: \"1250.00\" → \"\"")),
        "{all}"
    );
    assert_eq!(
        stored(&mut c, code),
        (Some(true), None, None, Some("call back".to_string()))
    );
}

#[test]
fn an_older_file_never_rolls_back_a_newer_one() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let (_, sheets) = one_batch(&db, root.path());
    let mine = &sheets["0001"];
    let code = &mine.codes[0];
    let dir = root.path();
    let v1 = dir.join("v1.pdf");
    fill(
        &mine.path,
        &v1,
        &[(format!("{code}.order_no"), "OLD")],
        false,
    );
    // The agent corrects it: saved incrementally on top of v1 (v1 stays
    // inside it as an earlier revision), and as a fresh copy.
    let v2 = dir.join("v2.pdf");
    fill(&v1, &v2, &[(format!("{code}.order_no"), "NEW")], true);
    let v2_copy = dir.join("v2-copy.pdf");
    fill(
        &mine.path,
        &v2_copy,
        &[(format!("{code}.order_no"), "NEW")],
        false,
    );

    assert_eq!(ingest(&db, &[p(&v2)]).status.code(), Some(0));
    let before = written(&mut c);
    // v1 is an earlier revision of v2.
    let out = ingest(&db, &[p(&v1)]);
    let all = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("older file"), "{all}");
    assert!(
        all.contains("v1.pdf") && all.contains("v2.pdf"),
        "names both: {all}"
    );
    assert!(all.contains("ingested 20"), "and the ingest time: {all}");
    assert_eq!(written(&mut c), before, "nothing written");
    assert_eq!(stored(&mut c, code).1.as_deref(), Some("NEW"));

    // A fresh file with v1's values, ingested after it was replaced.
    let v1_copy = dir.join("v1-copy.pdf");
    let old_again = [
        (format!("{code}.order_no"), "OLD"),
        (format!("{code}.payment_mode"), "cash"),
    ];
    fill(&mine.path, &v1_copy, &old_again, false);
    assert_eq!(
        ingest(&db, &[p(&v1_copy)]).status.code(),
        Some(0),
        "OLD again: a new file"
    );
    assert_eq!(
        ingest(&db, &[p(&v2_copy)]).status.code(),
        Some(0),
        "then NEW"
    );
    let out = ingest(&db, &[p(&v1_copy)]);
    let all = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("v1-copy.pdf") && all.contains("v2-copy.pdf"),
        "{all}"
    );
    assert_eq!(stored(&mut c, code).1.as_deref(), Some("NEW"));

    // The newest file again: unchanged, as before.
    let out = ingest(&db, &[p(&v2_copy)]);
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    assert!(
        text(&out.stdout).contains("unchanged"),
        "{}",
        all_text(&out)
    );
}

/// Runs `cmd`, killing it and failing the test if it is not done in 60 s.
fn bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!(
                "still running after 60 s: {}",
                all_text(&child.wait_with_output().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn folders_are_walked_safely_each_file_once() {
    let db = migrated_db();
    let root = tempfile::tempdir().unwrap();
    let (_, sheets) = one_batch(&db, root.path());
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    fill(
        &sheets["0001"].path,
        &dir.join("a.pdf"),
        &conv_y(&sheets["0001"].codes),
        false,
    );
    let made = |cmd: &str, args: &[&str]| {
        assert!(
            Command::new(cmd).args(args).status().unwrap().success(),
            "{cmd}"
        );
    };
    made("mkfifo", &[p(&dir.join("x.pdf"))]);
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.pdf")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("loop1")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("loop2")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.pdf"), dir.join("again.pdf")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(dir, dir.join("sub").join("up")).unwrap();
    std::fs::File::create(dir.join("big.pdf"))
        .unwrap()
        .set_len(51 * 1024 * 1024)
        .unwrap();

    let mut cmd = cli(&db);
    cmd.args(["ingest-outcomes", "--check", p(dir)]);
    let out = bounded(cmd);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "big.pdf fails: {}",
        all_text(&out)
    );
    let checked: Vec<&str> = stdout.lines().filter(|l| l.starts_with("check ")).collect();
    assert_eq!(checked.len(), 1, "a.pdf once, not its link again: {stdout}");
    assert!(stdout.contains("x.pdf: skipped: a FIFO"), "{stdout}");
    assert!(stdout.contains("zero.pdf: skipped: a device"), "{stdout}");
    assert!(stdout.contains("refused unread"), "{stdout}");
    assert!(stdout.contains("big.pdf"), "{stdout}");
    assert!(
        stdout.contains("5 file(s)") || stdout.contains("2 file(s)"),
        "{stdout}"
    );

    // Named directly, the FIFO and the device are skipped too, never read.
    let mut cmd = cli(&db);
    cmd.args([
        "ingest-outcomes",
        "--check",
        p(&dir.join("x.pdf")),
        p(&dir.join("zero.pdf")),
        p(&dir.join("a.pdf")),
    ]);
    let out = bounded(cmd);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    assert!(
        stdout.contains("skipped: a FIFO") && stdout.contains("skipped: a device"),
        "{stdout}"
    );
    // A smaller limit refuses a real sheet unread.
    let out = ingest(
        &db,
        &["--check", "--max-file-size", "1", p(&dir.join("big.pdf"))],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        all_text(&out).contains("over the limit of 1048576 bytes"),
        "{}",
        all_text(&out)
    );
}

/// Every store email `.eml` of the outbox: file name → content.
fn outbox(root: &Path) -> HashMap<String, String> {
    std::fs::read_dir(root.join("leads_assignment").join("outbox"))
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (
                name,
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned(),
            )
        })
        .collect()
}

#[test]
fn a_planted_sheet_is_never_sent_and_is_rewritten() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let (batch, sheets) = one_batch(&db, root.path());
    let sheet = &sheets["0001"].path;
    let size = std::fs::metadata(sheet).unwrap().len() as usize;
    // A same-size "secret" outside the reports root, and a link to it at the
    // sheet's place; then a same-size planted file.
    let secrets = tempfile::tempdir().unwrap();
    let secret = secrets.path().join("secret.txt");
    std::fs::write(
        &secret,
        &"TOPSECRET ".repeat(size / 10 + 1).as_bytes()[..size],
    )
    .unwrap();
    for plant in ["link", "file"] {
        std::fs::remove_file(sheet).unwrap();
        if plant == "link" {
            std::os::unix::fs::symlink(&secret, sheet).unwrap();
        } else {
            std::fs::write(sheet, std::fs::read(&secret).unwrap()).unwrap();
        }
        std::fs::remove_dir_all(root.path().join("leads_assignment").join("outbox")).unwrap();
        let out = cli(&db)
            .args([
                "notify",
                "--batch",
                &batch.to_string(),
                "--all",
                "--reports-root",
                p(root.path()),
            ])
            .output()
            .unwrap();
        let all = all_text(&out);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{plant}: the store email waits: {all}"
        );
        for (name, eml) in outbox(root.path()) {
            assert!(
                !eml.contains("TOPSECRET") && !eml.contains("VE9QU0VDUkVU"),
                "{plant}: {name}"
            );
            assert!(
                !name.contains("store-S1"),
                "{plant}: the store's email is not sent: {name}"
            );
        }
        let diag = cli(&db)
            .args(["diagnose", "--reports-root", p(root.path())])
            .output()
            .unwrap();
        assert!(
            text(&diag.stdout).contains("not the file written"),
            "{plant}: {}",
            all_text(&diag)
        );

        // The next run rewrites it: the bytes of documents.checksum, no link.
        let out = run(&db, root.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
        let checksum: String = documents::table
            .filter(documents::reference_id_3.eq("0001"))
            .select(documents::checksum.assume_not_null())
            .first(&mut c)
            .unwrap();
        assert!(!std::fs::symlink_metadata(sheet)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            la_pdf::files::sha256_hex(&std::fs::read(sheet).unwrap()),
            checksum,
            "{plant}"
        );
        assert!(std::fs::read_to_string(&secret)
            .unwrap()
            .starts_with("TOPSECRET"));
    }
}

#[test]
fn links_planted_below_the_reports_root_are_refused() {
    for planted in ["date", "leads_assignment", "outbox"] {
        let db = migrated_db();
        let mut c = db.conn();
        common::seed_stores(&mut c, 1, 2);
        let today: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "to_char(current_date, 'YYYY-MM-DD')",
        ))
        .get_result(&mut c)
        .unwrap();
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let base = root.path().join("leads_assignment");
        let at = match planted {
            "leads_assignment" => base.clone(),
            "date" => base.join(&today),
            _ => base.join("outbox"),
        };
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path(), &at).unwrap();
        let out = run(&db, root.path(), &[]);
        let all = all_text(&out);
        assert_eq!(out.status.code(), Some(3), "{planted}: {all}");
        assert!(all.contains("is a link"), "{planted}: {all}");
        assert!(all.contains("leads-assignment "), "finish commands: {all}");
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            0,
            "{planted}: nothing written through the link"
        );
        // The reports root itself may be a link the operator chose.
        std::fs::remove_file(&at).unwrap();
        let chosen = tempfile::tempdir().unwrap();
        let link = chosen.path().join("reports");
        std::os::unix::fs::symlink(root.path(), &link).unwrap();
        let out = run(&db, &link, &[]);
        assert_eq!(out.status.code(), Some(0), "{planted}: {}", all_text(&out));
    }
}

/// Two store codes that sanitize alike and share the short hash of their
/// file part: found by brute force over separators that all sanitize to `_`.
fn colliding_store_codes() -> (String, String) {
    let seps = ['.', ' ', '+', '#'];
    let mut seen: HashMap<String, String> = HashMap::new();
    for n in 0u64.. {
        let mut code = String::from("ST");
        let mut k = n;
        for _ in 0..16 {
            code.push(seps[(k % 4) as usize]);
            k /= 4;
        }
        let part = la_pdf::file_part(&code);
        if let Some(other) = seen.insert(part, code.clone()) {
            return (other, code);
        }
    }
    unreachable!()
}

#[test]
fn crafted_name_collisions_lose_nothing() {
    let (s1, s2) = colliding_store_codes();
    assert_ne!(s1, s2);
    assert_eq!(
        la_pdf::file_part(&s1),
        la_pdf::file_part(&s2),
        "a real collision"
    );
    let db = migrated_db();
    let mut c = db.conn();
    let a = seed::agent(&mut c, Some("0001"), "Asha", true).unwrap();
    for (i, s) in [&s1, &s2].into_iter().enumerate() {
        seed::store(&mut c, s, Some("Kothrud"), true).unwrap();
        seed::mapping(&mut c, s, a, MappingSeed::default()).unwrap();
        let rows: Vec<SeedLead> = (1..=2)
            .map(|k| SeedLead::new(i as i32 * 10 + k, s, None, None))
            .collect();
        seed::leads(&mut c, &rows).unwrap();
        seed::recipient(
            &mut c,
            Some(s),
            "any",
            &format!("s{i}@example.com"),
            "to",
            true,
        )
        .unwrap();
    }
    let root = tempfile::tempdir().unwrap();
    let out = run(&db, root.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));

    let docs: Vec<(String, String, String)> = documents::table
        .select((
            documents::reference_id_2.assume_not_null(),
            documents::file_name,
            documents::file_path.assume_not_null(),
        ))
        .order(documents::id)
        .load(&mut c)
        .unwrap();
    assert_eq!(docs.len(), 2, "a documents row per sheet: {docs:?}");
    assert_ne!(docs[0].1, docs[1].1, "{docs:?}");
    for (store, _, path) in &docs {
        let bytes = std::fs::read(path).unwrap();
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let identity = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .find(|d| d.get(b"T").ok().and_then(|t| t.as_str().ok()) == Some(b"sheet_identity"))
            .and_then(|d| d.get(b"V").ok().and_then(|v| v.as_str().ok()))
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap();
        let json_store = serde_json::to_string(store).unwrap();
        assert!(
            identity.contains(&json_store),
            "{store:?}'s file is its own sheet"
        );
    }
    // Two store emails, each in its own file, each with its own store's sheet.
    let emails = outbox(root.path());
    let stores: Vec<_> = emails.keys().filter(|n| n.contains("-store-")).collect();
    assert_eq!(stores.len(), 2, "{:?}", emails.keys());
    for (store, name, _) in &docs {
        let carrying: Vec<_> = emails
            .iter()
            .filter(|(n, e)| n.contains("-store-") && attachment_names(e).contains(name))
            .collect();
        assert_eq!(carrying.len(), 1, "{name} goes out once");
        let subject = mail_parser::MessageParser::default()
            .parse(carrying[0].1.as_bytes())
            .and_then(|m| m.subject().map(str::to_string))
            .unwrap();
        assert!(
            subject.contains(store.as_str()),
            "to its own store: {subject}"
        );
    }
}

fn attachment_names(eml: &str) -> Vec<String> {
    let m = mail_parser::MessageParser::default()
        .parse(eml.as_bytes())
        .unwrap();
    m.attachments()
        .filter_map(|a| a.attachment_name().map(str::to_string))
        .collect()
}

#[test]
fn a_renamed_agent_keeps_the_files_of_old_batches() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let (batch, sheets) = one_batch(&db, root.path());
    let before: Vec<(i64, String)> = documents::table
        .select((documents::id, documents::file_name))
        .order(documents::id)
        .load(&mut c)
        .unwrap();
    diesel::update(am::table.filter(am::agent_code.eq("0001")))
        .set(am::agent_code.eq("0009"))
        .execute(&mut c)
        .unwrap();
    let diag = cli(&db)
        .args(["diagnose", "--reports-root", p(root.path())])
        .output()
        .unwrap();
    let diag = text(&diag.stdout);
    assert!(diag.contains("Unfinished batches: none"), "{diag}");
    assert!(
        diag.contains(&format!("last batch {batch}: sheets on disk")),
        "{diag}"
    );
    let out = cli(&db)
        .args([
            "pdf",
            "--batch",
            &batch.to_string(),
            "--reports-root",
            p(root.path()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    let after: Vec<(i64, String)> = documents::table
        .select((documents::id, documents::file_name))
        .order(documents::id)
        .load(&mut c)
        .unwrap();
    assert_eq!(before, after, "the same rows, the same names");
    assert!(sheets["0001"].path.exists());
    let out = run(&db, root.path(), &[]);
    assert!(
        !all_text(&out).contains(&format!("pdf --batch {batch}")),
        "{}",
        all_text(&out)
    );
}

#[test]
fn demo_clears_only_what_a_demo_wrote() {
    let out_dir = tempfile::tempdir().unwrap();
    let reports = out_dir.path().join("leads_assignment");
    std::fs::create_dir_all(reports.join("2026-01-01")).unwrap();
    std::fs::write(
        reports.join("2026-01-01").join("real.pdf"),
        b"an operator's file",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leads-assignment"))
        .args(["demo", "--leads", "20", "--out", p(out_dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    assert!(
        all_text(&out).contains("holds files no demo wrote"),
        "{}",
        all_text(&out)
    );
    assert!(reports.join("2026-01-01").join("real.pdf").exists());
}
