//! A batch's sheets on disk and in `documents` (spec §2.8, §4.2; DESIGN §3.9).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use la_schema::models::{Document, NewDocument};
use la_schema::schema::{
    agents_master as am, documents, lead_assignment_batches as lab, lead_assignments as la,
};
use sha2::{Digest, Sha256};

use crate::conventions::*;
use crate::render::{render_sheet, RenderedSheet, Sheet, SheetHeader, SheetRow};

/// Where sheets go.
#[derive(Debug, Clone, Default)]
pub struct PdfOptions {
    /// Root of the reports tree; sheets go under `leads_assignment/{date}/`.
    pub reports_root: PathBuf,
    /// Called with (sheets done, sheets in total) as the batch progresses.
    pub progress: Option<Progress>,
}

/// A progress callback: (done, total).
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Progress {
    /// Wraps a callback.
    pub fn new(f: impl Fn(usize, usize) + Send + Sync + 'static) -> Progress {
        Progress(std::sync::Arc::new(f))
    }

    /// Reports progress.
    pub fn report(&self, done: usize, total: usize) {
        (self.0)(done, total);
    }
}

/// One sheet written and registered.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SheetOutcome {
    pub document_id: i64,
    pub store_code: String,
    pub agent_code: String,
    pub path: PathBuf,
    pub leads: usize,
    pub pages: usize,
    pub bytes: u64,
}

/// One sheet that could not be produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SheetFailure {
    pub store_code: String,
    pub agent_code: String,
    pub path: PathBuf,
    pub reason: String,
}

/// Why sheets could not be (all) produced.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No such batch.
    #[error("batch {0} does not exist")]
    NoBatch(i64),
    /// Reading the batch failed.
    #[error("sheets for batch {batch_id}: {step}: {source}")]
    Query {
        batch_id: i64,
        step: &'static str,
        source: diesel::result::Error,
    },
    /// Some sheets failed; the others were written and registered.
    #[error("{} of {} sheets of batch {batch_id} failed: {}", failed.len(), failed.len() + done.len(),
            failed.iter().map(|f| format!("{} ({})", f.path.display(), f.reason)).collect::<Vec<_>>().join("; "))]
    Sheets {
        batch_id: i64,
        done: Vec<SheetOutcome>,
        failed: Vec<SheetFailure>,
    },
}

/// A path part safe for any file system: letters, digits, `-`, `_`; anything
/// else becomes `_`, so no value can leave the reports root (DESIGN §3.9).
pub fn sanitize(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

/// `leads_assignment_{YYYY-MM-DD}_{store}_{agent_code}_b{batch_id}.pdf` (DESIGN §3.9).
pub fn sheet_file_name(
    batch_date: NaiveDate,
    store_code: &str,
    agent_code: &str,
    batch_id: i64,
) -> String {
    format!(
        "leads_assignment_{}_{}_{}_b{batch_id}.pdf",
        batch_date.format("%Y-%m-%d"),
        sanitize(store_code),
        sanitize(agent_code)
    )
}

type Row = (
    String,
    i64,
    String,
    i32,
    String,
    Option<NaiveDate>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

/// Renders, writes and registers every sheet of `batch_id`: one per (store,
/// agent), temp file then rename, then its `documents` row (updated in place
/// when the batch is regenerated). Returns the document ids, in store/agent order.
/// A sheet that fails leaves no `documents` row; the others still complete.
pub fn generate_pdfs_for_batch(
    conn: &mut PgConnection,
    batch_id: i64,
    options: &PdfOptions,
) -> Result<Vec<i64>, PdfError> {
    generate_sheets(conn, batch_id, options)
        .map(|done| done.into_iter().map(|s| s.document_id).collect())
}

/// Like [`generate_pdfs_for_batch`], with the details of each sheet.
pub fn generate_sheets(
    conn: &mut PgConnection,
    batch_id: i64,
    options: &PdfOptions,
) -> Result<Vec<SheetOutcome>, PdfError> {
    let q = |step| {
        move |source| PdfError::Query {
            batch_id,
            step,
            source,
        }
    };
    let batch_date: NaiveDate = lab::table
        .find(batch_id)
        .select(lab::batch_date)
        .first(conn)
        .optional()
        .map_err(q("reading the batch"))?
        .ok_or(PdfError::NoBatch(batch_id))?;
    // Spec §4.2.1.
    let rows: Vec<Row> = la::table
        .inner_join(am::table)
        .filter(la::assignment_batch_id.eq(batch_id))
        .order((la::store_code, la::agent_id, la::rowid))
        .select((
            la::store_code,
            la::agent_id,
            la::page_group_code,
            la::rowid,
            la::lead_assignment_code,
            la::lead_date,
            la::lead_type,
            la::mobile_number,
            la::cx_name,
            la::address,
            la::lead_source,
            la::store_name,
            am::agent_code,
            am::agent_name,
        ))
        .load(conn)
        .map_err(q("reading the assignments"))?;

    let mut sheets: BTreeMap<(String, i64, String), Sheet> = BTreeMap::new();
    for r in rows {
        let agent_code = r.12.as_deref().unwrap_or("").trim_end().to_string();
        let sheet = sheets
            .entry((r.0.clone(), r.1, r.2.clone()))
            .or_insert_with(|| Sheet {
                header: SheetHeader {
                    page_group_code: r.2.clone(),
                    agent_code,
                    agent_name: r.13.clone(),
                    store_code: r.0.clone(),
                    store_name: r.11.clone(),
                    batch_id,
                    batch_date,
                },
                rows: Vec::new(),
            });
        sheet.rows.push(SheetRow {
            rowid: r.3,
            lead_assignment_code: r.4,
            lead_date: r.5,
            lead_type: r.6,
            mobile_number: r.7,
            cx_name: r.8,
            address: r.9,
            lead_source: r.10,
        });
    }

    let dir = options
        .reports_root
        .join("leads_assignment")
        .join(batch_date.format("%Y-%m-%d").to_string());
    let sheets: Vec<Sheet> = sheets.into_values().collect();
    let total = sheets.len();
    let mut done = Vec::new();
    let mut failed = Vec::new();
    // Rendering is pure and runs on every core, a few sheets at a time (so
    // memory stays bounded); files and rows are then written in order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for chunk in sheets.chunks(threads * 2) {
        let rendered: Vec<Result<RenderedSheet, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|sheet| scope.spawn(move || render_sheet(sheet).map_err(|e| e.to_string())))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the renderer panicked".into()))
                })
                .collect()
        });
        for (sheet, rendered) in chunk.iter().zip(rendered) {
            let h = &sheet.header;
            let file_name = sheet_file_name(batch_date, &h.store_code, &h.agent_code, batch_id);
            let path = dir.join(&file_name);
            match rendered.and_then(|r| write_one(conn, sheet, &r, &dir, &path, &file_name)) {
                Ok(outcome) => done.push(outcome),
                Err(reason) => {
                    log::error!("sheet {} failed: {reason}", path.display());
                    failed.push(SheetFailure {
                        store_code: h.store_code.clone(),
                        agent_code: h.agent_code.clone(),
                        path,
                        reason,
                    });
                }
            }
            if let Some(p) = &options.progress {
                p.report(done.len() + failed.len(), total);
            }
        }
    }
    if failed.is_empty() {
        log::info!(
            "batch {batch_id}: {} sheets written under {}",
            done.len(),
            dir.display()
        );
        Ok(done)
    } else {
        Err(PdfError::Sheets {
            batch_id,
            done,
            failed,
        })
    }
}

fn write_one(
    conn: &mut PgConnection,
    sheet: &Sheet,
    rendered: &RenderedSheet,
    dir: &Path,
    path: &Path,
    file_name: &str,
) -> Result<SheetOutcome, String> {
    let h = &sheet.header;
    for (code, chars) in &rendered.missing_glyphs {
        log::warn!(
            "lead {code}: characters not in the sheet font, drawn as placeholders: {chars:?}"
        );
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if !path.starts_with(dir) || path.parent() != Some(dir) {
        return Err(format!("refusing to write outside {}", dir.display()));
    }
    // Temp file in the same directory, then rename: never a partial file at `path`.
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&rendered.bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("writing {}: {e}", path.display()));
    }
    let checksum = format!("{:x}", Sha256::digest(&rendered.bytes));
    let size = rendered.bytes.len() as u64;
    let row = NewDocument {
        doc_type: DOC_TYPE.into(),
        doc_subtype: Some(DOC_SUBTYPE.into()),
        doc_date: Some(h.batch_date),
        reference_name_1: Some("pipeline".into()),
        reference_id_1: Some("leads_assignment".into()),
        reference_name_2: Some("store_code".into()),
        reference_id_2: Some(h.store_code.clone()),
        reference_name_3: Some("agent_code".into()),
        reference_id_3: Some(h.agent_code.clone()),
        file_name: file_name.to_string(),
        mime_type: MIME_TYPE.into(),
        file_size_bytes: Some(i64::try_from(size).unwrap_or(i64::MAX)),
        storage_backend: "fs".into(),
        file_path: Some(path.to_string_lossy().into_owned()),
        checksum: Some(checksum),
        status: "ok".into(),
        error_message: None,
        created_by: Some(CREATED_BY.into()),
    };
    let document_id = conn
        .transaction(|conn| upsert_document(conn, &row))
        .map_err(|e| format!("registering {} in documents: {e}", path.display()))?;
    Ok(SheetOutcome {
        document_id,
        store_code: h.store_code.clone(),
        agent_code: h.agent_code.clone(),
        path: path.to_path_buf(),
        leads: sheet.rows.len(),
        pages: rendered.pages,
        bytes: size,
    })
}

/// The sheet's row is found by type, subtype and file name (which carries the
/// date, store, agent and batch), so regenerating updates it in place.
fn upsert_document(conn: &mut PgConnection, row: &NewDocument) -> QueryResult<i64> {
    let existing: Option<i64> = documents::table
        .filter(documents::doc_type.eq(DOC_TYPE))
        .filter(documents::doc_subtype.eq(DOC_SUBTYPE))
        .filter(documents::file_name.eq(&row.file_name))
        .select(documents::id)
        .order(documents::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => diesel::update(documents::table.find(id))
            .set(row)
            .returning(documents::id)
            .get_result(conn),
        None => diesel::insert_into(documents::table)
            .values(row)
            .returning(documents::id)
            .get_result(conn),
    }
}

/// The sheets registered for a batch (by the file-name convention), in id order.
pub fn documents_for_batch(conn: &mut PgConnection, batch_id: i64) -> QueryResult<Vec<Document>> {
    Ok(documents_for_batches(conn, &[batch_id])?
        .remove(&batch_id)
        .unwrap_or_default())
}

/// The sheets of several batches in one query, by batch id.
pub fn documents_for_batches(
    conn: &mut PgConnection,
    batch_ids: &[i64],
) -> QueryResult<BTreeMap<i64, Vec<Document>>> {
    type Cond = Box<dyn BoxableExpression<documents::table, Pg, SqlType = Bool>>;
    let Some(cond) = batch_ids
        .iter()
        .map(|b| -> Cond { Box::new(documents::file_name.like(format!("%\\_b{b}.pdf"))) })
        .reduce(|a, b| Box::new(a.or(b)))
    else {
        return Ok(BTreeMap::new());
    };
    let docs: Vec<Document> = documents::table
        .filter(documents::doc_type.eq(DOC_TYPE))
        .filter(documents::doc_subtype.eq(DOC_SUBTYPE))
        .filter(cond)
        .select(Document::as_select())
        .order(documents::id)
        .load(conn)?;
    let mut out: BTreeMap<i64, Vec<Document>> = BTreeMap::new();
    for d in docs {
        if let Some(b) = batch_of_file_name(&d.file_name) {
            out.entry(b).or_default().push(d);
        }
    }
    Ok(out)
}

/// The batch id a sheet's file name carries (inverse of [`sheet_file_name`]).
pub fn batch_of_file_name(file_name: &str) -> Option<i64> {
    file_name
        .strip_suffix(".pdf")?
        .rsplit_once("_b")?
        .1
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_parts_cannot_escape() {
        assert_eq!(sanitize("../../etc"), "______etc");
        assert_eq!(sanitize("A/1"), "A_1");
        assert_eq!(sanitize(""), "_");
        let d = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap_or_default();
        assert_eq!(
            sheet_file_name(d, "S01", "0001", 7),
            "leads_assignment_2025-01-29_S01_0001_b7.pdf"
        );
        assert_eq!(
            batch_of_file_name(&sheet_file_name(d, "A_b1", "0001", 17)),
            Some(17)
        );
    }
}
