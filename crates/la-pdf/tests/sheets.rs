//! `generate_pdfs_for_batch` against a real PostgreSQL: files, documents rows,
//! regeneration, path safety and failures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::path::Path;

use diesel::prelude::*;
use la_assign::{run_leads_assignment, AssignOptions};
use la_pdf::{generate_pdfs_for_batch, PdfError, PdfOptions};
use la_schema::models::Document;
use la_schema::schema::documents;
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::migrated_db;
use sha2::{Digest, Sha256};

fn assign(conn: &mut PgConnection) -> i64 {
    run_leads_assignment(
        conn,
        &AssignOptions {
            triggered_by: "test".into(),
            ..Default::default()
        },
    )
    .unwrap()
    .batch_id
    .unwrap()
}

fn docs(conn: &mut PgConnection) -> Vec<Document> {
    documents::table
        .select(Document::as_select())
        .order(documents::id)
        .load(conn)
        .unwrap()
}

fn options(root: &Path) -> PdfOptions {
    PdfOptions {
        reports_root: root.to_path_buf(),
        ..Default::default()
    }
}

fn two_stores_one_agent(conn: &mut PgConnection, stores: [&str; 2]) {
    let a = seed::agent(conn, Some("0007"), "Ravi", true).unwrap();
    for (i, s) in stores.iter().enumerate() {
        seed::store(conn, s, Some("Baner"), true).unwrap();
        seed::mapping(conn, s, a, MappingSeed::default()).unwrap();
        let rows: Vec<SeedLead> = (0..5)
            .map(|j| SeedLead::new((i * 100 + j + 1) as i32, s, None, None))
            .collect();
        seed::leads(conn, &rows).unwrap();
    }
}

#[test]
fn documents_rows_follow_the_conventions_and_match_the_files() {
    let db = migrated_db();
    let mut c = db.conn();
    two_stores_one_agent(&mut c, ["S1", "S2"]);
    let batch = assign(&mut c);
    let root = tempfile::tempdir().unwrap();
    let ids = generate_pdfs_for_batch(&mut c, batch, &options(root.path())).unwrap();
    assert_eq!(ids.len(), 2);
    let rows = docs(&mut c);
    assert_eq!(rows.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
    let date: chrono::NaiveDate =
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Date>("current_date"))
            .get_result(&mut c)
            .unwrap();
    for (d, store) in rows.iter().zip(["S1", "S2"]) {
        assert_eq!(d.doc_type, "leads_assignment");
        assert_eq!(d.doc_subtype.as_deref(), Some("per_store_agent_pdf"));
        assert_eq!(d.doc_date, Some(date));
        assert_eq!(
            (d.reference_name_1.as_deref(), d.reference_id_1.as_deref()),
            (Some("pipeline"), Some("leads_assignment"))
        );
        assert_eq!(
            (d.reference_name_2.as_deref(), d.reference_id_2.as_deref()),
            (Some("store_code"), Some(store))
        );
        assert_eq!(
            (d.reference_name_3.as_deref(), d.reference_id_3.as_deref()),
            (Some("agent_code"), Some("0007"))
        );
        assert_eq!(d.mime_type, "application/pdf");
        assert_eq!(d.storage_backend, "fs");
        assert_eq!(d.status, "ok");
        assert_eq!(d.created_by.as_deref(), Some("leads_assignment_pipeline"));
        let expected_name = format!("leads_assignment_{date}_{store}_0007_b{batch}.pdf");
        assert_eq!(d.file_name, expected_name);
        let path = Path::new(d.file_path.as_deref().unwrap());
        assert_eq!(
            path,
            root.path()
                .join("leads_assignment")
                .join(date.to_string())
                .join(&expected_name)
        );
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(d.file_size_bytes, Some(bytes.len() as i64));
        assert_eq!(
            d.checksum.as_deref(),
            Some(format!("{:x}", Sha256::digest(&bytes)).as_str())
        );
        common::qpdf_check(path);
        // Seven per lead, and the sheet's identity.
        let fields = common::fields(&bytes);
        assert_eq!(fields.len(), 5 * 7 + 1);
        assert!(fields.contains_key(la_pdf::IDENTITY_FIELD));
    }
    // Regenerating rewrites the files and updates the same rows.
    let again = generate_pdfs_for_batch(&mut c, batch, &options(root.path())).unwrap();
    assert_eq!(again, ids);
    assert_eq!(docs(&mut c).len(), 2);
    // No temp files left behind.
    let dir = root.path().join("leads_assignment").join(date.to_string());
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 2);
}

#[test]
fn one_agent_two_stores_two_batches_same_day_four_files() {
    let db = migrated_db();
    let mut c = db.conn();
    two_stores_one_agent(&mut c, ["S1", "S2"]);
    let root = tempfile::tempdir().unwrap();
    let b1 = assign(&mut c);
    generate_pdfs_for_batch(&mut c, b1, &options(root.path())).unwrap();
    let more: Vec<SeedLead> = (0..3)
        .flat_map(|j| {
            [
                SeedLead::new(50 + j, "S1", None, None),
                SeedLead::new(150 + j, "S2", None, None),
            ]
        })
        .collect();
    seed::leads(&mut c, &more).unwrap();
    let b2 = assign(&mut c);
    generate_pdfs_for_batch(&mut c, b2, &options(root.path())).unwrap();
    let rows = docs(&mut c);
    assert_eq!(rows.len(), 4);
    let paths: HashSet<String> = rows.iter().map(|d| d.file_path.clone().unwrap()).collect();
    assert_eq!(paths.len(), 4);
    for d in &rows {
        let bytes = std::fs::read(d.file_path.as_deref().unwrap()).unwrap();
        assert_eq!(
            d.checksum.as_deref(),
            Some(format!("{:x}", Sha256::digest(&bytes)).as_str()),
            "{} was overwritten",
            d.file_name
        );
    }
}

#[test]
fn hostile_store_codes_stay_inside_the_reports_root() {
    let db = migrated_db();
    let mut c = db.conn();
    two_stores_one_agent(&mut c, ["../../etc", "A/1"]);
    let batch = assign(&mut c);
    let root = tempfile::tempdir().unwrap();
    let inner = root.path().join("reports");
    generate_pdfs_for_batch(&mut c, batch, &options(&inner)).unwrap();
    for d in docs(&mut c) {
        let p = std::fs::canonicalize(d.file_path.unwrap()).unwrap();
        assert!(
            p.starts_with(std::fs::canonicalize(&inner).unwrap()),
            "{} escaped",
            p.display()
        );
    }
    // Nothing but the reports folder was created beside it.
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
}

#[test]
fn unwritable_reports_root_fails_clearly_then_completes_once_fixed() {
    let db = migrated_db();
    let mut c = db.conn();
    two_stores_one_agent(&mut c, ["S1", "S2"]);
    let batch = assign(&mut c);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("reports");
    // A file where the directory should be: unwritable even for root.
    std::fs::write(&root, b"not a directory").unwrap();
    let err = generate_pdfs_for_batch(&mut c, batch, &options(&root)).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, PdfError::Sheets { ref done, ref failed, .. } if done.is_empty() && failed.len() == 2)
    );
    assert!(msg.contains(&root.display().to_string()), "{msg}");
    assert!(
        docs(&mut c).is_empty(),
        "no documents row may point at a missing file"
    );

    std::fs::remove_file(&root).unwrap();
    let ids = generate_pdfs_for_batch(&mut c, batch, &options(&root)).unwrap();
    assert_eq!(ids.len(), 2);
    for d in docs(&mut c) {
        assert!(Path::new(&d.file_path.unwrap()).is_file());
    }
}

#[test]
fn long_name_and_address_fit_and_the_sheet_stays_valid() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", None, true).unwrap();
    let a = seed::agent(&mut c, Some("0001"), "Asha", true).unwrap();
    seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    let mut l = SeedLead::new(1, "S1", None, None);
    l.special_instruction = Some("A".repeat(500));
    l.customer_name = Some("N".repeat(200));
    seed::leads(&mut c, &[l]).unwrap();
    let batch = assign(&mut c);
    let root = tempfile::tempdir().unwrap();
    generate_pdfs_for_batch(&mut c, batch, &options(root.path())).unwrap();
    let d = &docs(&mut c)[0];
    let p = Path::new(d.file_path.as_deref().unwrap());
    common::qpdf_check(p);
    // All of it in the text layer, shortened where it is drawn.
    assert!(common::pdftotext(p).contains(&"A".repeat(500)));
    let drawn = common::pypdf_text(p);
    assert!(drawn.contains('…') && !drawn.contains(&"A".repeat(200)));
}

#[test]
fn unknown_batch_is_an_error() {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let err = generate_pdfs_for_batch(&mut c, 999, &options(root.path())).unwrap_err();
    assert!(matches!(err, PdfError::NoBatch(999)));
}

#[test]
fn staged_files_left_by_a_killed_process_are_swept_after_a_day() {
    let db = migrated_db();
    let mut c = db.conn();
    two_stores_one_agent(&mut c, ["S1", "S2"]);
    let batch = assign(&mut c);
    let root = tempfile::tempdir().unwrap();
    let date: chrono::NaiveDate = la_schema::schema::lead_assignment_batches::table
        .find(batch)
        .select(la_schema::schema::lead_assignment_batches::batch_date)
        .first(&mut c)
        .unwrap();
    let dir = la_pdf::ReportsLayout::new(root.path()).sheet_dir(date);
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join(".la-stale1.tmp");
    let fresh = dir.join(".la-fresh1.tmp");
    let other = dir.join("notes.tmp");
    for p in [&stale, &fresh, &other] {
        std::fs::write(p, b"partial").unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    for p in [&stale, &other] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
    }
    generate_pdfs_for_batch(&mut c, batch, &options(root.path())).unwrap();
    assert!(!stale.exists(), "a day-old staged file is removed");
    assert!(fresh.exists(), "a live writer's staged file is left alone");
    assert!(
        other.exists(),
        "files that are not staged sheets are never touched"
    );
}
