//! Reading filled sheets back into `lead_assignment_outcomes` (docs/decisions.md S2.7;
//! docs/decisions.md D10). Parsing and validation are pure; only [`ingest_outcomes`]
//! touches the database, in one transaction per file. All or nothing per file,
//! and every problem of a file is reported, not just the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;
use la_schema::models::NewOutcome;
use la_schema::schema::{lead_assignment_outcomes as lao, lead_assignments as la};
use lopdf::{Dictionary, Document, Object};
use serde::Serialize;

use crate::layout::{FieldId, FIELD_NAMES, INPUT_FIELDS};

/// One invalid value (or unknown code) found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: String,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {:?}: {}",
            self.code, self.field, self.value, self.reason
        )
    }
}

/// Why a file was not ingested. Nothing of that file was written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not a readable PDF (garbage, empty, truncated, corrupt).
    #[error("{path}: not a readable PDF: {reason}")]
    NotPdf { path: PathBuf, reason: String },
    /// Encrypted PDFs are refused.
    #[error("{path}: the PDF is encrypted; save it without a password and try again")]
    Encrypted { path: PathBuf },
    /// A PDF, but not a sheet of this pipeline.
    #[error("{path}: not a leads-assignment sheet: {reason}")]
    NotASheet { path: PathBuf, reason: String },
    /// Invalid values or unknown codes; every one is listed.
    #[error("{path}: {} problem(s): {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// The database refused the write.
    #[error("{path}: writing outcomes: {source}")]
    Db {
        path: PathBuf,
        source: diesel::result::Error,
    },
}

/// The raw values of one lead's seven fields (None = field absent or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOutcome {
    pub code: String,
    /// In [`FIELD_NAMES`] order.
    pub values: [Option<String>; 7],
}

/// A validated outcome (before its assignment id is known).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub code: String,
    pub converted_flag: Option<bool>,
    pub order_number: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub order_value: Option<BigDecimal>,
    pub payment_mode: Option<String>,
    pub payment_amount: Option<BigDecimal>,
    pub remarks: Option<String>,
}

/// What one file gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub path: PathBuf,
    /// Outcome rows inserted or updated.
    pub ingested: usize,
    /// Leads whose seven fields were all blank (nothing written for them).
    pub skipped_blank: usize,
}

fn is_lead_code(name: &str) -> bool {
    // L{yymmdd}{agent_code}-{rowid:04}
    let Some((group, rowid)) = name.rsplit_once('-') else {
        return false;
    };
    let g = group.as_bytes();
    g.len() > 7
        && g[0] == b'L'
        && g[1..7].iter().all(u8::is_ascii_digit)
        && rowid.len() >= 4
        && rowid.bytes().all(|b| b.is_ascii_digit())
}

fn text(doc: &Document, obj: &Object) -> Option<String> {
    let (_, obj) = doc.dereference(obj).ok()?;
    match obj {
        Object::String(..) => lopdf::decode_text_string(obj).ok(),
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        Object::Array(items) => items.iter().find_map(|o| text(doc, o)),
        Object::Integer(i) => Some(i.to_string()),
        Object::Real(r) => Some(r.to_string()),
        _ => None,
    }
}

fn dict<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(obj)
        .ok()
        .and_then(|(_, o)| o.as_dict().ok())
}

/// Terminal fields as (fully qualified name, value). A value stored on a
/// widget kid (no `/T`) counts for its field.
fn collect_fields(
    doc: &Document,
    node: &Dictionary,
    prefix: &str,
    depth: usize,
    seen: &mut HashSet<Vec<u8>>,
    out: &mut Vec<(String, Option<String>)>,
) {
    if depth > 8 {
        return;
    }
    let name = node.get(b"T").ok().and_then(|t| text(doc, t));
    let fq = match (&name, prefix.is_empty()) {
        (Some(n), true) => n.clone(),
        (Some(n), false) => format!("{prefix}.{n}"),
        (None, _) => prefix.to_string(),
    };
    let kids: Vec<&Dictionary> = node
        .get(b"Kids")
        .ok()
        .and_then(|k| doc.dereference(k).ok())
        .and_then(|(_, k)| k.as_array().ok())
        .map(|a| a.iter().filter_map(|k| dict(doc, k)).collect())
        .unwrap_or_default();
    let named_kids: Vec<&&Dictionary> = kids.iter().filter(|k| k.has(b"T")).collect();
    if !named_kids.is_empty() {
        for k in named_kids {
            collect_fields(doc, k, &fq, depth + 1, seen, out);
        }
        return;
    }
    if !seen.insert(fq.clone().into_bytes()) {
        return;
    }
    let own = node.get(b"V").ok().and_then(|v| text(doc, v));
    let value = own.or_else(|| {
        kids.iter()
            .find_map(|w| w.get(b"V").ok().and_then(|v| text(doc, v)))
    });
    out.push((fq, value));
}

/// Reads the seven values of every lead of a sheet. Never panics.
pub fn read_sheet(path: &Path, bytes: &[u8]) -> Result<Vec<RawOutcome>, IngestError> {
    let doc = load_pdf(path, bytes)?;
    let not_sheet = |reason: &str| IngestError::NotASheet {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let catalog = doc.catalog().map_err(|e| IngestError::NotPdf {
        path: path.to_path_buf(),
        reason: format!("no catalog: {e}"),
    })?;
    let form = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|f| dict(&doc, f))
        .ok_or_else(|| not_sheet("it has no form"))?;
    let fields: Vec<&Dictionary> = form
        .get(b"Fields")
        .ok()
        .and_then(|f| doc.dereference(f).ok())
        .and_then(|(_, f)| f.as_array().ok())
        .map(|a| a.iter().filter_map(|f| dict(&doc, f)).collect())
        .unwrap_or_default();
    let mut terminal = Vec::new();
    let mut seen = HashSet::new();
    for f in fields {
        collect_fields(&doc, f, "", 0, &mut seen, &mut terminal);
    }
    let leads = leads_of(terminal);
    if leads.is_empty() {
        return Err(not_sheet(
            "no lead fields (L{yymmdd}{agent}-{rowid}.conv …) in its form",
        ));
    }
    Ok(leads)
}

/// Parses the bytes as a complete, unencrypted PDF.
fn load_pdf(path: &Path, bytes: &[u8]) -> Result<Document, IngestError> {
    let not_pdf = |reason: String| IngestError::NotPdf {
        path: path.to_path_buf(),
        reason,
    };
    let encrypted = || IngestError::Encrypted {
        path: path.to_path_buf(),
    };
    if bytes.is_empty() {
        return Err(not_pdf("the file is empty".into()));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(not_pdf("no %PDF- header".into()));
    }
    // A complete file (incremental updates included) ends with %%EOF.
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(not_pdf("no %%EOF at the end: the file is truncated".into()));
    }
    let doc = std::panic::catch_unwind(|| Document::load_mem(bytes))
        .map_err(|_| not_pdf("the PDF parser gave up on this file".into()))?
        .map_err(|e| {
            if matches!(e, lopdf::Error::Decryption(_))
                || e.to_string().to_lowercase().contains("encrypt")
            {
                encrypted()
            } else {
                not_pdf(e.to_string())
            }
        })?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(encrypted());
    }
    Ok(doc)
}

/// docs/decisions.md D10: each lead's values under its parent field, named
/// by its lead_assignment_code; no header parsing. In code order.
fn leads_of(terminal: Vec<(String, Option<String>)>) -> Vec<RawOutcome> {
    let mut leads: BTreeMap<String, RawOutcome> = BTreeMap::new();
    for (fq, value) in terminal {
        let Some((code, field)) = fq.split_once('.') else {
            continue;
        };
        let Some(i) = FIELD_NAMES.iter().position(|f| *f == field) else {
            continue;
        };
        if !is_lead_code(code) {
            continue;
        }
        let entry = leads.entry(code.to_string()).or_insert_with(|| RawOutcome {
            code: code.to_string(),
            values: Default::default(),
        });
        entry.values[i] = value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
    }
    leads.into_values().collect()
}

/// `Y`/`N`/`Yes`/`No` in any case.
pub fn parse_conv(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(true),
        "n" | "no" => Ok(false),
        _ => Err("expected Y, N, Yes or No".into()),
    }
}

/// `DD-MM-YYYY`, `DD/MM/YYYY` or `YYYY-MM-DD`; impossible dates rejected.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    for fmt in ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            if (1900..=2999).contains(&chrono::Datelike::year(&d)) {
                return Ok(d);
            }
        }
    }
    Err("expected a real date as DD-MM-YYYY, DD/MM/YYYY or YYYY-MM-DD".into())
}

/// An amount: optional `₹`, `Rs`, `Rs.` or `INR`; thousands separators in
/// Western (`125,000`) or Indian (`1,25,000`) grouping; at most 2 decimals;
/// `0 <= x < 10^10` (fits numeric(12,2)).
pub fn parse_amount(s: &str) -> Result<BigDecimal, String> {
    let mut t = s.trim();
    for prefix in ["₹", "INR", "Rs.", "Rs"] {
        if t.len() >= prefix.len()
            && t.is_char_boundary(prefix.len())
            && t[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            t = t[prefix.len()..].trim_start();
            break;
        }
    }
    if t.is_empty() {
        return Err("no number".into());
    }
    if t.starts_with('-') {
        return Err("must not be negative".into());
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err("invalid decimals".into());
        }
        if f.len() > 2 {
            return Err("more than 2 decimals".into());
        }
    }
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return Err("not a number".into());
    }
    if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let (first, rest) = groups.split_first().ok_or("not a number")?;
        let (last, middle) = rest.split_last().ok_or("not a number")?;
        let western = (1..=3).contains(&first.len()) && rest.iter().all(|g| g.len() == 3);
        let indian = (1..=2).contains(&first.len())
            && last.len() == 3
            && middle.iter().all(|g| g.len() == 2);
        if !(western || indian) {
            return Err("misplaced thousands separator".into());
        }
    }
    let digits: String = int.chars().filter(|c| *c != ',').collect();
    let normalized = match frac {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let value = BigDecimal::from_str(&normalized).map_err(|e| e.to_string())?;
    if value >= 10_000_000_000i64 {
        return Err("too large (at most 9,999,999,999.99)".into());
    }
    Ok(value)
}

/// Puts one field's value into the outcome, parsed by what the field holds.
fn set_value(o: &mut Outcome, id: FieldId, value: &str) -> Result<(), String> {
    match id {
        FieldId::Conv => o.converted_flag = Some(parse_conv(value)?),
        FieldId::OrderNo => o.order_number = Some(value.to_string()),
        FieldId::OrderDate => o.order_date = Some(parse_date(value)?),
        FieldId::OrderValue => o.order_value = Some(parse_amount(value)?),
        FieldId::PaymentMode => o.payment_mode = Some(value.to_string()),
        FieldId::PaymentAmount => o.payment_amount = Some(parse_amount(value)?),
        FieldId::Remarks => o.remarks = Some(value.to_string()),
    }
    Ok(())
}

/// Validates one lead's values (each by its field, every problem listed).
/// `Ok(None)` when all seven are blank.
pub fn validate(raw: &RawOutcome) -> Result<Option<Outcome>, Vec<Problem>> {
    if raw.values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut outcome = Outcome {
        code: raw.code.clone(),
        converted_flag: None,
        order_number: None,
        order_date: None,
        order_value: None,
        payment_mode: None,
        payment_amount: None,
        remarks: None,
    };
    let mut problems = Vec::new();
    for (field, value) in INPUT_FIELDS.iter().zip(&raw.values) {
        let Some(v) = value.as_deref() else {
            continue;
        };
        if let Err(reason) = set_value(&mut outcome, field.id, v) {
            problems.push(Problem {
                code: raw.code.clone(),
                field: field.name.to_string(),
                value: v.to_string(),
                reason,
            });
        }
    }
    if problems.is_empty() {
        Ok(Some(outcome))
    } else {
        Err(problems)
    }
}

/// Reads, validates and upserts one filled sheet, all or nothing.
pub fn ingest_outcomes(conn: &mut PgConnection, path: &Path) -> Result<IngestReport, IngestError> {
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ingest_bytes(conn, path, &bytes)
}

/// [`ingest_outcomes`] on bytes already read; `path` names them in errors.
pub fn ingest_bytes(
    conn: &mut PgConnection,
    path: &Path,
    bytes: &[u8],
) -> Result<IngestReport, IngestError> {
    let raw = read_sheet(path, bytes)?;
    let mut problems = Vec::new();
    let mut outcomes = Vec::new();
    let mut skipped_blank = 0;
    for r in &raw {
        match validate(r) {
            Ok(Some(o)) => outcomes.push(o),
            Ok(None) => skipped_blank += 1,
            Err(p) => problems.extend(p),
        }
    }
    let db = |source| IngestError::Db {
        path: path.to_path_buf(),
        source,
    };
    let codes: Vec<&str> = raw.iter().map(|r| r.code.as_str()).collect();
    let ids = assignment_ids(conn, &codes).map_err(db)?;
    problems.extend(
        codes
            .iter()
            .filter(|c| !ids.contains_key(**c))
            .map(|code| Problem {
                code: (*code).to_string(),
                field: "-".into(),
                value: String::new(),
                reason: "no such lead_assignment_code in lead_assignments".into(),
            }),
    );
    if !problems.is_empty() {
        return Err(IngestError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    }
    let rows: Vec<NewOutcome> = outcomes
        .into_iter()
        .filter_map(|o| {
            let id = *ids.get(&o.code)?;
            Some(o.into_row(id))
        })
        .collect();
    let written = conn
        .transaction(|conn| upsert_outcomes(conn, &rows))
        .map_err(db)?;
    log::info!(
        "{}: {written} outcome(s) ingested, {skipped_blank} blank lead(s) skipped",
        path.display()
    );
    Ok(IngestReport {
        path: path.to_path_buf(),
        ingested: written,
        skipped_blank,
    })
}

/// The assignment id of each known code.
fn assignment_ids(conn: &mut PgConnection, codes: &[&str]) -> QueryResult<HashMap<String, i64>> {
    Ok(la::table
        .filter(la::lead_assignment_code.eq_any(codes))
        .select((la::lead_assignment_code, la::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

impl Outcome {
    fn into_row(self, lead_assignment_id: i64) -> NewOutcome {
        NewOutcome {
            lead_assignment_id,
            converted_flag: self.converted_flag,
            order_number: self.order_number,
            order_date: self.order_date,
            order_value: self.order_value,
            payment_mode: self.payment_mode,
            payment_amount: self.payment_amount,
            remarks: self.remarks,
        }
    }
}

/// Inserts or updates the outcome of each assignment; returns the rows written.
fn upsert_outcomes(conn: &mut PgConnection, rows: &[NewOutcome]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(2_000) {
        n += diesel::insert_into(lao::table)
            .values(chunk)
            .on_conflict(lao::lead_assignment_id)
            .do_update()
            .set((
                lao::converted_flag.eq(excluded(lao::converted_flag)),
                lao::order_number.eq(excluded(lao::order_number)),
                lao::order_date.eq(excluded(lao::order_date)),
                lao::order_value.eq(excluded(lao::order_value)),
                lao::payment_mode.eq(excluded(lao::payment_mode)),
                lao::payment_amount.eq(excluded(lao::payment_amount)),
                lao::remarks.eq(excluded(lao::remarks)),
                lao::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_values() {
        for (s, v) in [
            ("Y", true),
            ("y", true),
            ("Yes", true),
            ("YES", true),
            ("n", false),
            ("No", false),
            (" no ", false),
        ] {
            assert_eq!(parse_conv(s), Ok(v), "{s}");
        }
        for s in ["1", "true", "Yup", "N/A"] {
            assert!(parse_conv(s).is_err(), "{s}");
        }
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 29);
        assert_eq!(parse_date("29-01-2025").ok(), d);
        assert_eq!(parse_date("29/01/2025").ok(), d);
        assert_eq!(parse_date("2025-01-29").ok(), d);
        for s in [
            "31-02-2025",
            "29-13-2025",
            "2025/01/29",
            "yesterday",
            "29-01-25",
            "00-01-2025",
        ] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn amounts() {
        let ok = |s: &str, v: &str| {
            assert_eq!(
                parse_amount(s),
                Ok(BigDecimal::from_str(v).unwrap_or_default()),
                "{s}"
            )
        };
        ok("1250", "1250");
        ok("₹1,250.50", "1250.50");
        ok("Rs. 1,25,000.50", "125000.50");
        ok("rs 125,000", "125000");
        ok("INR 99.9", "99.9");
        ok("0", "0");
        ok("9,99,99,99,999.99", "9999999999.99");
        for s in [
            "-5",
            "1.234",
            "12,34",
            "1,2,3",
            "abc",
            "₹",
            "1e5",
            "10000000000",
            "1,25,0000",
            "12.",
            ".5",
        ] {
            assert!(parse_amount(s).is_err(), "{s}");
        }
    }

    #[test]
    fn codes() {
        assert!(is_lead_code("L2501290001-0007"));
        assert!(is_lead_code("L250129A_1-12345"));
        assert!(!is_lead_code("L2501290001"));
        assert!(!is_lead_code("X2501290001-0007"));
        assert!(!is_lead_code("L25012\u{2dc}0001-0001"));
    }
}
