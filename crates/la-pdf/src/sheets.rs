//! A batch's sheets on disk and in `documents` (docs/decisions.md S2.8, S4.2, D9).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use diesel::prelude::*;
use la_schema::models::{Document, NewDocument};
use la_schema::schema::{
    agents_master as am, lead_assignment_batches as lab, lead_assignments as la,
};

use crate::conventions::*;
use crate::files::{sheet_file_name, ReportsLayout};
use crate::identity::{sign_sheet, SheetKey};
use crate::registry;
use crate::render::render_sheet;
use crate::sheet::{Sheet, SheetHeader, SheetRow};
use crate::sql::{AssignmentRow, SheetRows, FETCH_ROWS};

/// Where sheets go.
#[derive(Debug, Clone, Default)]
pub struct PdfOptions {
    /// Root of the reports tree; sheets go under `leads_assignment/{date}/`.
    pub reports_root: PathBuf,
    /// Called with (sheets done, sheets in total) as the batch progresses.
    pub progress: Option<Progress>,
    /// Write only the sheets that are missing (no `documents` row, file gone,
    /// or its size differs from the row): how an unfinished batch is finished.
    pub only_missing: bool,
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
    /// Leads with characters no sheet font covers, drawn as placeholders
    /// (docs/decisions.md D24).
    pub unreadable_leads: usize,
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
    /// The key that signs sheet identities is not available.
    #[error("sheets for batch {batch_id}: {source}")]
    Key {
        batch_id: i64,
        source: crate::identity::IdentityError,
    },
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
    let key = SheetKey::load(conn).map_err(|source| PdfError::Key { batch_id, source })?;
    let expected = batch_sheets(conn, &[batch_id]).map_err(q("checking the batch's sheets"))?;
    // With only_missing, the sheets to write; else every one.
    let expected: Vec<ExpectedSheet> = expected
        .into_iter()
        .filter(|s| !options.only_missing || s.state != SheetState::Ok)
        .collect();
    let wanted: HashSet<(String, i64)> = expected
        .iter()
        .map(|s| (s.store_code.clone(), s.agent_id))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let layout = ReportsLayout::new(&options.reports_root);
    // When the folder cannot be made (or is a link), each sheet says why.
    let dir = layout.ready_sheet_dir(batch_date).map_err(|e| {
        let folder = layout.sheet_dir(batch_date);
        PdfError::Sheets {
            batch_id,
            done: Vec::new(),
            failed: expected
                .iter()
                .map(|s| SheetFailure {
                    store_code: s.store_code.clone(),
                    agent_code: s.agent_code.clone(),
                    path: folder.join(&s.file_name),
                    reason: format!("the sheet folder {}: {e}", folder.display()),
                })
                .collect(),
        }
    })?;
    let mut sink = SheetSink::new(batch_id, &dir, options, wanted.len());
    let mut pending: Vec<AgentSheet> = Vec::new();
    for_each_sheet(conn, batch_id, batch_date, |conn, mut sheet| {
        if !wanted.contains(&(sheet.header.store_code.clone(), sheet.agent_id)) {
            return Ok(());
        }
        sign_sheet(&mut sheet.sheet, sheet.agent_id, &key)
            .map_err(|source| PdfError::Key { batch_id, source })?;
        pending.push(sheet);
        if pending.len() >= sink.chunk {
            sink.write(conn, &std::mem::take(&mut pending));
        }
        Ok(())
    })?;
    sink.write(conn, &pending);
    sink.finish()
}

/// A sheet to render, with the agent it belongs to.
struct AgentSheet {
    agent_id: i64,
    sheet: Sheet,
}

impl std::ops::Deref for AgentSheet {
    type Target = Sheet;
    fn deref(&self) -> &Sheet {
        &self.sheet
    }
}

/// Store names from `store_master`, for headers whose leads carry none.
#[derive(Debug, Default)]
pub struct StoreNames(std::collections::HashMap<String, String>);

impl StoreNames {
    /// Every store's non-blank name.
    pub fn load(conn: &mut PgConnection) -> diesel::QueryResult<StoreNames> {
        use la_schema::schema::store_master::dsl as sm;
        let rows: Vec<(String, Option<String>)> = sm::store_master
            .select((sm::store_code, sm::store_name))
            .order(sm::id)
            .load(conn)?;
        let mut names = std::collections::HashMap::new();
        for (code, name) in rows {
            if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
                names.entry(code).or_insert(name);
            }
        }
        Ok(StoreNames(names))
    }

    /// The header's store name: the leads' own (their snapshot) when it has
    /// one, else `store_master`'s.
    pub fn header_name(&self, store_code: &str, snapshot: Option<&str>) -> Option<String> {
        match snapshot {
            Some(s) if !s.trim().is_empty() => Some(s.to_owned()),
            _ => self.0.get(store_code).cloned(),
        }
    }
}

/// docs/decisions.md S4.2.1: the batch's assignments as sheets, one per
/// (store, agent), read through a holdable cursor in store-code byte order,
/// then agent, then rowid: `each` gets every sheet as soon as its last row is
/// read, so only a sheet's rows are in memory at a time. The cursor is closed
/// whatever happens.
fn for_each_sheet(
    conn: &mut PgConnection,
    batch_id: i64,
    batch_date: NaiveDate,
    mut each: impl FnMut(&mut PgConnection, AgentSheet) -> Result<(), PdfError>,
) -> Result<(), PdfError> {
    let q = |step| {
        move |source| PdfError::Query {
            batch_id,
            step,
            source,
        }
    };
    let mut rows = SheetRows::open(conn, batch_id).map_err(q("reading the assignments"))?;
    let names = StoreNames::load(conn).map_err(q("reading store_master's names"));
    let result = names
        .and_then(|names| read_sheets(conn, &mut rows, (batch_id, batch_date), &names, &mut each));
    let closed = rows
        .close(conn)
        .map_err(q("closing the cursor over the assignments"));
    result.and(closed)
}

fn read_sheets(
    conn: &mut PgConnection,
    rows: &mut SheetRows,
    (batch_id, batch_date): (i64, NaiveDate),
    names: &StoreNames,
    each: &mut impl FnMut(&mut PgConnection, AgentSheet) -> Result<(), PdfError>,
) -> Result<(), PdfError> {
    let mut current: Option<AgentSheet> = None;
    loop {
        let page = rows.page(conn).map_err(|source| PdfError::Query {
            batch_id,
            step: "reading the assignments",
            source,
        })?;
        let last_page = page.len() < FETCH_ROWS;
        for r in page {
            let same = current.as_ref().is_some_and(|s| s.holds(&r));
            if !same {
                if let Some(done) = current.take() {
                    each(conn, done)?;
                }
                current = Some(AgentSheet::first(&r, (batch_id, batch_date), names));
            }
            if let Some(s) = current.as_mut() {
                s.sheet.rows.push(r.into());
            }
        }
        if last_page {
            break;
        }
    }
    match current {
        Some(done) => each(conn, done),
        None => Ok(()),
    }
}

impl AgentSheet {
    /// An empty sheet for the (store, agent) of `r`.
    fn first(
        r: &AssignmentRow,
        (batch_id, batch_date): (i64, NaiveDate),
        names: &StoreNames,
    ) -> AgentSheet {
        AgentSheet {
            agent_id: r.agent_id,
            sheet: Sheet {
                header: SheetHeader {
                    page_group_code: r.page_group_code.clone(),
                    agent_code: r.agent_code.as_deref().unwrap_or("").trim_end().to_string(),
                    agent_name: r.agent_name.clone(),
                    store_code: r.store_code.clone(),
                    store_name: names.header_name(&r.store_code, r.store_name.as_deref()),
                    batch_id,
                    batch_date,
                },
                rows: Vec::new(),
                identity: None,
            },
        }
    }

    /// Whether `r` belongs on this sheet.
    fn holds(&self, r: &AssignmentRow) -> bool {
        let h = &self.sheet.header;
        self.agent_id == r.agent_id
            && h.store_code == r.store_code
            && h.page_group_code == r.page_group_code
    }
}

impl From<AssignmentRow> for SheetRow {
    fn from(r: AssignmentRow) -> SheetRow {
        SheetRow {
            rowid: r.rowid,
            lead_assignment_code: r.lead_assignment_code,
            lead_date: r.lead_date,
            lead_type: r.lead_type,
            mobile_number: r.mobile_number,
            cx_name: r.cx_name,
            address: r.address,
            lead_source: r.lead_source,
        }
    }
}

/// Where rendered sheets go: renders on every core, a few sheets at a time
/// (so memory stays bounded), then writes files and rows in order, and keeps
/// what was done and what failed.
pub(crate) struct SheetSink<'a> {
    batch_id: i64,
    dir: &'a Path,
    options: &'a PdfOptions,
    /// Sheets rendered at once.
    chunk: usize,
    total: usize,
    done: Vec<SheetOutcome>,
    failed: Vec<SheetFailure>,
}

impl<'a> SheetSink<'a> {
    pub(crate) fn new(
        batch_id: i64,
        dir: &'a Path,
        options: &'a PdfOptions,
        total: usize,
    ) -> SheetSink<'a> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        SheetSink {
            batch_id,
            dir,
            options,
            chunk: threads * 2,
            total,
            done: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Renders and stages `sheets` in parallel (the render and the file's
    /// sync on every core), then places each file and writes its row, in order.
    fn write(&mut self, conn: &mut PgConnection, sheets: &[AgentSheet]) {
        let dir = self.dir;
        let rendered: Vec<Result<Staged, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = sheets
                .iter()
                .map(|s| scope.spawn(move || Staged::render(&s.sheet, dir)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the renderer panicked".into()))
                })
                .collect()
        });
        for (sheet, rendered) in sheets.iter().zip(rendered) {
            self.place(conn, &SheetMeta::from(sheet), rendered);
        }
    }

    /// Names a staged sheet's file and writes its row (or records why not).
    pub(crate) fn place(
        &mut self,
        conn: &mut PgConnection,
        sheet: &SheetMeta,
        rendered: Result<Staged, String>,
    ) {
        let h = &sheet.header;
        let fallback = sheet_file_name(h.batch_date, &h.store_code, &h.agent_code, self.batch_id);
        match rendered.and_then(|r| write_one(conn, sheet, r, self.dir)) {
            Ok(outcome) => self.done.push(outcome),
            Err(reason) => {
                let path = self.dir.join(&fallback);
                log::error!("sheet {} failed: {reason}", path.display());
                self.failed.push(SheetFailure {
                    store_code: h.store_code.clone(),
                    agent_code: h.agent_code.clone(),
                    path,
                    reason,
                });
            }
        }
        if let Some(p) = &self.options.progress {
            p.report(self.done.len() + self.failed.len(), self.total);
        }
    }

    pub(crate) fn finish(self) -> Result<Vec<SheetOutcome>, PdfError> {
        if self.failed.is_empty() {
            log::info!(
                "batch {}: {} sheets written under {}",
                self.batch_id,
                self.done.len(),
                self.dir.display()
            );
            Ok(self.done)
        } else {
            Err(PdfError::Sheets {
                batch_id: self.batch_id,
                done: self.done,
                failed: self.failed,
            })
        }
    }
}

/// A sheet rendered and its file staged (written and synced, not yet named).
pub(crate) struct Staged {
    file: crate::files::StagedFile,
    size: u64,
    checksum: String,
    pages: usize,
    unreadable_leads: usize,
}

impl Staged {
    /// Renders `sheet` and stages its file in `dir`; keeps only what its
    /// `documents` row needs, not the bytes.
    pub(crate) fn render(sheet: &Sheet, dir: &Path) -> Result<Staged, String> {
        let rendered = render_sheet(sheet).map_err(|e| e.to_string())?;
        if let Some((first, _)) = rendered.missing_glyphs.first() {
            let mut chars: Vec<char> = rendered
                .missing_glyphs
                .iter()
                .flat_map(|m| m.1.clone())
                .collect();
            chars.sort_unstable();
            chars.dedup();
            log::warn!(
                "sheet of store {} agent {}: {} lead(s) (the first {first}) have characters no sheet font covers, drawn as placeholders: {chars:?}",
                sheet.header.store_code,
                sheet.header.agent_code,
                rendered.missing_glyphs.len()
            );
        }
        let file = crate::files::stage_file(dir, &rendered.bytes)
            .map_err(|e| format!("writing a sheet into {}: {e}", dir.display()))?;
        Ok(Staged {
            file,
            size: rendered.bytes.len() as u64,
            checksum: crate::files::sha256_hex(&rendered.bytes),
            pages: rendered.pages,
            unreadable_leads: rendered.missing_glyphs.len(),
        })
    }
}

/// What a sheet's file and row are named by: its header, agent and size.
pub(crate) struct SheetMeta {
    pub header: SheetHeader,
    pub agent_id: i64,
    pub leads: usize,
}

impl From<&AgentSheet> for SheetMeta {
    fn from(s: &AgentSheet) -> SheetMeta {
        SheetMeta {
            header: s.sheet.header.clone(),
            agent_id: s.agent_id,
            leads: s.sheet.rows.len(),
        }
    }
}

/// Why writing one sheet failed.
enum WriteError {
    File(String),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for WriteError {
    fn from(e: diesel::result::Error) -> Self {
        WriteError::Db(e)
    }
}

fn write_one(
    conn: &mut PgConnection,
    sheet: &SheetMeta,
    staged: Staged,
    dir: &Path,
) -> Result<SheetOutcome, String> {
    let Staged {
        file,
        size,
        checksum,
        pages,
        unreadable_leads,
    } = staged;
    let h = &sheet.header;
    // Name, file, then its row, under the batch's lock: a documents row never
    // points at a missing or partial file, and concurrent writers take turns.
    let result = conn.transaction(|conn| {
        la_schema::locks::lock_xact(conn, la_schema::locks::SHEETS, h.batch_id)?;
        let named = registry::name_sheet(conn, h, sheet.agent_id)?.ok_or_else(|| {
            WriteError::File(format!(
                "both file names of store {} agent {} are other sheets' of batch {}",
                h.store_code, h.agent_code, h.batch_id
            ))
        })?;
        let path = dir.join(&named.file_name);
        file.place(&named.file_name)
            .map_err(|e| WriteError::File(format!("writing {}: {e}", path.display())))?;
        let row = document_row(h, &named.file_name, &path, size, checksum);
        let id = registry::register(conn, &named, &row)?;
        Ok((id, path))
    });
    let (document_id, path) = result.map_err(|e| match e {
        WriteError::File(msg) => msg,
        WriteError::Db(e) => format!(
            "registering the sheet of store {} agent {}: {e}",
            h.store_code, h.agent_code
        ),
    })?;
    Ok(SheetOutcome {
        document_id,
        store_code: h.store_code.clone(),
        agent_code: h.agent_code.clone(),
        path,
        leads: sheet.leads,
        pages,
        bytes: size,
        unreadable_leads,
    })
}

/// The `documents` row of a sheet written to `path`.
fn document_row(
    h: &SheetHeader,
    file_name: &str,
    path: &Path,
    size: u64,
    checksum: String,
) -> NewDocument {
    NewDocument {
        doc_type: DOC_TYPE.into(),
        doc_subtype: Some(DOC_SUBTYPE.into()),
        doc_date: Some(h.batch_date),
        reference_name_1: Some("pipeline".into()),
        reference_id_1: Some(la_schema::PIPELINE.into()),
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
    }
}

/// What a needed sheet looks like on record and on disk (docs/decisions.md
/// D26: on disk means the very bytes that were written).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SheetState {
    /// Registered, and the file is there with the recorded SHA-256.
    Ok,
    /// No `documents` row.
    NotRegistered,
    /// The row points at a file that is gone.
    FileMissing,
    /// The file's size differs from the row's.
    SizeDiffers { recorded: Option<i64>, on_disk: u64 },
    /// Not the file that was written: a link, not a regular file, or other
    /// bytes of the same size.
    NotAsWritten { reason: String },
}

impl std::fmt::Display for SheetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SheetState::Ok => f.write_str("on disk"),
            SheetState::NotRegistered => f.write_str("never written"),
            SheetState::FileMissing => f.write_str("file missing"),
            SheetState::SizeDiffers { recorded, on_disk } => write!(
                f,
                "file is {on_disk} bytes, documents says {}",
                recorded.map_or("nothing".into(), |r| r.to_string())
            ),
            SheetState::NotAsWritten { reason } => write!(f, "not the file written: {reason}"),
        }
    }
}

/// A sheet a batch needs: one per (store, agent) with assignments.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExpectedSheet {
    pub batch_id: i64,
    pub batch_date: NaiveDate,
    pub store_code: String,
    pub agent_id: i64,
    pub agent_code: String,
    pub agent_name: String,
    pub leads: i64,
    pub file_name: String,
    /// The registered `documents` row, if any.
    pub document_id: Option<i64>,
    /// Its `documents.checksum`.
    pub checksum: Option<String>,
    pub path: Option<PathBuf>,
    pub state: SheetState,
}

/// One (batch, store, agent) group of assignments: a sheet's worth.
#[derive(Queryable)]
struct SheetGroup {
    key: SheetOf,
    leads: i64,
}

/// What identifies a sheet.
#[derive(Queryable)]
struct SheetOf {
    batch_id: i64,
    batch_date: NaiveDate,
    store_code: String,
    agent_id: i64,
    agent_code: Option<String>,
    agent_name: String,
}

/// Every sheet the given batches need, with its state, in batch / store /
/// agent order: one grouped query over the assignments, the registered
/// sheets and their `documents` rows, and each registered file read and
/// hashed (opened without following a link).
pub fn batch_sheets(conn: &mut PgConnection, batch_ids: &[i64]) -> QueryResult<Vec<ExpectedSheet>> {
    if batch_ids.is_empty() {
        return Ok(Vec::new());
    }
    let key = (
        la::assignment_batch_id,
        lab::batch_date,
        la::store_code,
        la::agent_id,
        am::agent_code,
        am::agent_name,
    );
    let groups: Vec<SheetGroup> = la::table
        .inner_join(am::table)
        .inner_join(lab::table)
        .filter(la::assignment_batch_id.eq_any(batch_ids))
        .group_by(key)
        .select((key, diesel::dsl::count_star()))
        .order((la::assignment_batch_id, la::store_code, la::agent_id))
        .load(conn)?;
    let mut registered = registry::registered(conn, batch_ids)?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let k = &g.key;
            let r = registered.remove(&(k.batch_id, k.store_code.clone(), k.agent_id));
            expected_sheet(g, r)
        })
        .collect())
}

fn expected_sheet(group: SheetGroup, registered: Option<registry::Registered>) -> ExpectedSheet {
    let (g, leads) = (group.key, group.leads);
    let agent_code = g.agent_code.as_deref().unwrap_or("").trim_end().to_string();
    // docs/decisions.md D26: an old batch keeps the name it was given.
    let (file_name, doc) = match registered {
        Some(r) => (r.file_name, r.document),
        None => (
            sheet_file_name(g.batch_date, &g.store_code, &agent_code, g.batch_id),
            None,
        ),
    };
    let path = doc
        .as_ref()
        .and_then(|d| d.file_path.as_ref())
        .map(PathBuf::from);
    ExpectedSheet {
        batch_id: g.batch_id,
        batch_date: g.batch_date,
        store_code: g.store_code,
        agent_id: g.agent_id,
        agent_code,
        agent_name: g.agent_name,
        leads,
        file_name,
        document_id: doc.as_ref().map(|d| d.id),
        checksum: doc.as_ref().and_then(|d| d.checksum.clone()),
        state: sheet_state(doc.as_ref(), path.as_deref()),
        path,
    }
}

/// A row, a file that is not a link, its size and its SHA-256 against the row's.
fn sheet_state(doc: Option<&Document>, path: Option<&Path>) -> SheetState {
    let (Some(doc), Some(path)) = (doc, path) else {
        return if doc.is_none() {
            SheetState::NotRegistered
        } else {
            SheetState::FileMissing
        };
    };
    match std::fs::symlink_metadata(path) {
        Err(_) => return SheetState::FileMissing,
        Ok(m) if m.is_file() && i64::try_from(m.len()).ok() != doc.file_size_bytes => {
            return SheetState::SizeDiffers {
                recorded: doc.file_size_bytes,
                on_disk: m.len(),
            }
        }
        Ok(_) => {}
    }
    match crate::files::read_verified(path, doc.checksum.as_deref()) {
        Ok(_) => SheetState::Ok,
        Err(reason) => SheetState::NotAsWritten { reason },
    }
}
