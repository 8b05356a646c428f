//! Returned sheets are trusted only as far as they prove (sheet identity,
//! docs/decisions.md D22), and every ingest is recorded (D21): real sheets,
//! filled by pypdf and pdftk, altered as an attacker would, against a real
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use la_assign::{run_leads_assignment, AssignOptions};
use la_pdf::{
    generate_pdfs_for_batch, ingest_outcomes, IdentityCheck, IngestError, IngestOptions,
    PdfOptions, IDENTITY_FIELD,
};
use la_schema::schema::{
    agents_master as am, lead_assignment_ingests as lai, lead_assignment_outcomes as lao,
    lead_assignments as la,
};
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::migrated_db;
use lopdf::{Document, Object};

/// One agent's sheet of the batch.
struct AgentSheet {
    path: PathBuf,
    codes: Vec<String>,
}

/// Store S1 with agents 0001 and 0002 sharing 8 leads; their two sheets.
fn two_sheets(conn: &mut PgConnection, root: &Path) -> BTreeMap<String, AgentSheet> {
    seed::store(conn, "S1", Some("Kothrud"), true).unwrap();
    for (code, name) in [("0001", "Asha"), ("0002", "Chetan")] {
        let a = seed::agent(conn, Some(code), name, true).unwrap();
        seed::mapping(conn, "S1", a, MappingSeed::default()).unwrap();
    }
    let rows: Vec<SeedLead> = (1..=8)
        .map(|i| SeedLead::new(i, "S1", None, None))
        .collect();
    seed::leads(conn, &rows).unwrap();
    let options = AssignOptions {
        triggered_by: "test".into(),
        ..Default::default()
    };
    let batch = run_leads_assignment(conn, &options)
        .unwrap()
        .batch_id
        .unwrap();
    let pdf = PdfOptions {
        reports_root: root.to_path_buf(),
        ..Default::default()
    };
    generate_pdfs_for_batch(conn, batch, &pdf).unwrap();
    let paths: Vec<String> = la_schema::schema::documents::table
        .select(la_schema::schema::documents::file_path.assume_not_null())
        .load(conn)
        .unwrap();
    let mut sheets = BTreeMap::new();
    for agent in ["0001", "0002"] {
        let codes = la::table
            .inner_join(am::table)
            .filter(am::agent_code.eq(agent))
            .order(la::rowid)
            .select(la::lead_assignment_code)
            .load(conn)
            .unwrap();
        let path = paths
            .iter()
            .find(|p| p.contains(&format!("_{agent}_")))
            .unwrap();
        sheets.insert(
            agent.to_string(),
            AgentSheet {
                path: PathBuf::from(path),
                codes,
            },
        );
    }
    sheets
}

fn options(check_only: bool) -> IngestOptions {
    IngestOptions {
        ingested_by: "tester".into(),
        check_only,
        ..IngestOptions::default()
    }
}

/// Every lead converted with an order value.
fn values(codes: &[String]) -> BTreeMap<String, String> {
    codes
        .iter()
        .flat_map(|c| {
            [
                (format!("{c}.conv"), "Y".to_string()),
                (format!("{c}.order_value"), "500".to_string()),
            ]
        })
        .collect()
}

/// The file with `edit` applied to its form's fields (by lopdf).
fn edited(src: &Path, dst: &Path, edit: impl FnOnce(&mut Document)) {
    let mut doc = Document::load(src).unwrap();
    edit(&mut doc);
    doc.save(dst).unwrap();
}

/// Top-level form fields: (object id, /T).
fn top_fields(doc: &Document) -> Vec<(lopdf::ObjectId, String)> {
    let form = doc.catalog().unwrap().get(b"AcroForm").unwrap();
    let form = match form {
        Object::Reference(id) => doc.get_dictionary(*id).unwrap(),
        other => other.as_dict().unwrap(),
    };
    let fields = match form.get(b"Fields").unwrap() {
        Object::Reference(id) => doc.get_object(*id).unwrap().as_array().unwrap(),
        other => other.as_array().unwrap(),
    };
    fields
        .iter()
        .filter_map(|f| {
            let id = f.as_reference().unwrap();
            let t = doc.get_dictionary(id).unwrap().get(b"T").ok()?;
            Some((
                id,
                String::from_utf8_lossy(t.as_str().unwrap()).into_owned(),
            ))
        })
        .collect()
}

fn rename_field(doc: &mut Document, from: &str, to: &str) {
    let (id, _) = top_fields(doc)
        .into_iter()
        .find(|(_, t)| t == from)
        .unwrap();
    doc.get_dictionary_mut(id)
        .unwrap()
        .set("T", Object::string_literal(to));
}

fn drop_identity(doc: &mut Document) {
    let (id, _) = top_fields(doc)
        .into_iter()
        .find(|(_, t)| t == IDENTITY_FIELD)
        .unwrap();
    doc.get_dictionary_mut(id).unwrap().remove(b"T");
}

/// Two agents' sheets in a fresh database, and agent 0001's filled by pypdf.
struct Setup {
    _db: la_schema::testing::TestDb,
    c: PgConnection,
    root: tempfile::TempDir,
    sheets: BTreeMap<String, AgentSheet>,
    filled: PathBuf,
}

fn setup() -> Setup {
    let db = migrated_db();
    let mut c = db.conn();
    let root = tempfile::tempdir().unwrap();
    let sheets = two_sheets(&mut c, root.path());
    let a = &sheets["0001"];
    let filled = root.path().join("a-filled.pdf");
    common::pypdf_fill(&a.path, &filled, &values(&a.codes), false);
    Setup {
        _db: db,
        c,
        root,
        sheets,
        filled,
    }
}

fn written(conn: &mut PgConnection) -> (i64, i64) {
    let outcomes = lao::table.count().get_result(conn).unwrap();
    let ledger = lai::table.count().get_result(conn).unwrap();
    (outcomes, ledger)
}

#[test]
fn a_field_renamed_to_another_agents_lead_is_refused_and_writes_nothing() {
    let Setup {
        mut c,
        root,
        sheets,
        filled,
        ..
    } = setup();
    let (a, b) = (&sheets["0001"], &sheets["0002"]);

    // Agent 0001's file with one lead field renamed to a lead of 0002.
    let forged = root.path().join("forged.pdf");
    edited(&filled, &forged, |d| {
        rename_field(d, &a.codes[0], &b.codes[0])
    });
    let e = ingest_outcomes(&mut c, &forged, &options(false)).unwrap_err();
    let IngestError::Invalid { problems, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 1, "{e}");
    assert_eq!(problems[0].code, b.codes[0]);
    assert!(problems[0].reason.contains("not on this sheet"), "{e}");
    assert_eq!(problems[0].page, Some(1), "{e}");
    assert!(e.to_string().contains("agent 0002"), "{e}");
    assert_eq!(written(&mut c), (0, 0));

    // Its identity edited to claim agent 0002: the MAC does not verify.
    let claimed = root.path().join("claimed.pdf");
    edited(&filled, &claimed, |d| {
        let (id, _) = top_fields(d)
            .into_iter()
            .find(|(_, t)| t == IDENTITY_FIELD)
            .unwrap();
        let f = d.get_dictionary_mut(id).unwrap();
        let v = String::from_utf8_lossy(f.get(b"V").unwrap().as_str().unwrap()).into_owned();
        let swapped = v.replace("\"agent_code\":\"0001\"", "\"agent_code\":\"0002\"");
        assert_ne!(v, swapped);
        f.set("V", Object::string_literal(swapped));
    });
    let e = ingest_outcomes(&mut c, &claimed, &options(false)).unwrap_err();
    assert!(
        matches!(&e, IngestError::Identity { reason, .. } if reason.contains("does not verify")),
        "{e}"
    );
    assert_eq!(written(&mut c), (0, 0));

    // The genuine sheets of both agents are accepted, pypdf and pdftk alike.
    let r = ingest_outcomes(&mut c, &filled, &options(false)).unwrap();
    assert_eq!(
        (r.new, r.identity),
        (a.codes.len(), IdentityCheck::Verified)
    );
    assert_eq!(r.sheet.agent_code, "0001");
    let b_filled = root.path().join("b-filled.pdf");
    common::pdftk_fill(&b.path, &b_filled, &values(&b.codes));
    let r = ingest_outcomes(&mut c, &b_filled, &options(false)).unwrap();
    assert_eq!(r.new, b.codes.len());
    assert_eq!(written(&mut c), (8, 2));
}

#[test]
fn sheets_without_identity_are_accepted_only_for_unsigned_batches_and_one_sheet() {
    let Setup {
        mut c,
        root,
        sheets,
        filled,
        ..
    } = setup();
    let (a, b) = (&sheets["0001"], &sheets["0002"]);

    // docs/decisions.md D25: the batch's sheets are signed, so a file of it
    // without identity is refused, however plausible its leads.
    let stripped = root.path().join("stripped.pdf");
    edited(&filled, &stripped, drop_identity);
    let e = ingest_outcomes(&mut c, &stripped, &options(false)).unwrap_err();
    assert!(
        matches!(&e, IngestError::Identity { reason, .. } if reason.contains("missing or altered")),
        "{e}"
    );
    assert_eq!(written(&mut c), (0, 0));
    // From here on, a batch made before sheets carried identities.
    diesel::sql_query("UPDATE lead_assignment_batches SET sheets_signed = false")
        .execute(&mut c)
        .unwrap();

    // Mixing two agents' codes in a sheet without identity.
    let mixed = root.path().join("mixed.pdf");
    edited(&filled, &mixed, |d| {
        drop_identity(d);
        rename_field(d, &a.codes[0], &b.codes[0]);
    });
    let e = ingest_outcomes(&mut c, &mixed, &options(false)).unwrap_err();
    assert!(
        matches!(&e, IngestError::Identity { reason, .. } if reason.contains("2 different sheets")),
        "{e}"
    );
    assert_eq!(written(&mut c), (0, 0));

    // A sheet from before identities: accepted, with a warning.
    let legacy = root.path().join("legacy.pdf");
    edited(&filled, &legacy, drop_identity);
    let r = ingest_outcomes(&mut c, &legacy, &options(false)).unwrap();
    assert_eq!(r.identity, IdentityCheck::Legacy);
    assert_eq!(r.new, a.codes.len());
    assert!(r.warnings[0].contains("no identity"), "{:?}", r.warnings);
    let identity: String = lai::table.select(lai::identity).first(&mut c).unwrap();
    assert_eq!(identity, "legacy");
}

#[test]
fn check_writes_nothing_blank_sheets_warn_flattened_sheets_are_explained() {
    let Setup {
        mut c,
        root,
        sheets,
        filled,
        ..
    } = setup();

    let checked = ingest_outcomes(&mut c, &filled, &options(true)).unwrap();
    assert_eq!(checked.ledger_id, None);
    assert_eq!(written(&mut c), (0, 0));
    let real = ingest_outcomes(&mut c, &filled, &options(false)).unwrap();
    assert_eq!(
        (checked.new, checked.counts()),
        (real.new, real.counts()),
        "a check reports what the ingest then does"
    );
    assert!(real.ledger_id.is_some());

    // The unfilled sheet: blank, a warning, exit 0 (Ok), counted blank.
    let blank = ingest_outcomes(&mut c, &sheets["0002"].path, &options(false)).unwrap();
    assert_eq!((blank.new, blank.blank), (0, sheets["0002"].codes.len()));
    assert!(blank.warnings.iter().any(|w| w.starts_with("blank sheet")));

    // Flattened by pdftk: no form fields left, and the error says what to send.
    let flat = root.path().join("flat.pdf");
    let out = common::run(
        "pdftk",
        &[
            filled.to_str().unwrap(),
            "output",
            flat.to_str().unwrap(),
            "flatten",
        ],
    );
    assert!(out.status.success());
    let e = ingest_outcomes(&mut c, &flat, &options(true)).unwrap_err();
    assert!(matches!(e, IngestError::Flattened { .. }), "{e}");
    assert!(e.to_string().contains("flattened"), "{e}");
}
