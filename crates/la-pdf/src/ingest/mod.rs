//! Reading filled sheets back into `lead_assignment_outcomes` (docs/decisions.md
//! S2.7, D10, D21, D22). [`read`] parses a file and [`values`] validates it,
//! both pure; [`ingest_outcomes`] checks the sheet's identity against the
//! database, compares every value with what is stored, and writes the new
//! and changed outcomes plus one ledger row in one transaction per file. All
//! or nothing per file, every problem of a file reported, not just the first.

mod identify;
pub mod read;
mod store;
pub mod values;
pub mod walk;

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use serde::Serialize;

pub use identify::{IdentityCheck, SheetOf};
pub use read::{read_sheet, RawOutcome, SheetFields};
pub use values::{parse_date, validate, Outcome};
pub use walk::{find_sheets, Found, Skipped};

use crate::identity::{IdentityError, SheetKey};

/// One invalid value, unknown code or foreign lead found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The page (from 1) the lead's fields are on, when known.
    pub page: Option<u32>,
    /// The lead's RowID as the sheet prints it (from its code).
    pub row_id: Option<u32>,
    pub code: String,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl Problem {
    /// A problem with one field of `raw`.
    pub fn of(raw: &RawOutcome, field: &str, value: &str, reason: impl Into<String>) -> Problem {
        Problem {
            page: raw.page,
            row_id: raw.code.rsplit_once('-').and_then(|(_, r)| r.parse().ok()),
            code: raw.code.clone(),
            field: field.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known = |n: Option<u32>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
        write!(
            f,
            "page {}, RowID {}, {}, {} \"{}\": {}",
            known(self.page),
            known(self.row_id),
            self.code,
            self.field,
            self.value,
            self.reason
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
    /// A PDF without form fields: most likely a sheet printed to PDF.
    #[error("{path}: the PDF has no form fields. If it is a leads-assignment sheet, it was flattened (printed to PDF, scanned or exported), which turns typed values into drawing that cannot be read back. Fill in the sheet file that was emailed, save it (Save, not Print), and send that file")]
    Flattened { path: PathBuf },
    /// A PDF with a form, but not a sheet of this pipeline.
    #[error("{path}: not a leads-assignment sheet: {reason}")]
    NotASheet { path: PathBuf, reason: String },
    /// The sheet's identity is missing and its leads span sheets, or it does
    /// not verify.
    #[error("{path}: refused: {reason}")]
    Identity { path: PathBuf, reason: String },
    /// Not a regular file (a FIFO, a device, a socket, a folder).
    #[error("{path}: skipped: {what}, not a regular file")]
    NotRegular { path: PathBuf, what: &'static str },
    /// Over the size limit; refused before it was read.
    #[error(
        "{path}: refused unread: {size} bytes is over the limit of {limit} bytes (--max-file-size)"
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// An older file of a sheet than the one last ingested for it.
    #[error("{path}: refused: {reason}. Nothing was written; the newer values stay")]
    Older { path: PathBuf, reason: String },
    /// The database's sheet key is not available.
    #[error("{path}: {source}")]
    Key {
        path: PathBuf,
        source: IdentityError,
    },
    /// Invalid values, unknown codes or leads of another sheet; every one is
    /// listed.
    #[error("{path}: {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  {}: {p}", path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// The database refused a read or the write.
    #[error("{path}: reading or writing outcomes: {source}")]
    Db {
        path: PathBuf,
        source: diesel::result::Error,
    },
}

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Who or what ingests, for the ledger (the CLI passes the OS user).
    pub ingested_by: String,
    /// Validate and report exactly as an ingest would, writing nothing.
    pub check_only: bool,
    /// docs/decisions.md D25: a blank field keeps the stored value unless
    /// the operator asks for blanks to clear (then each cleared value is
    /// reported as a change to "").
    pub clear_blanks: bool,
    /// A file larger than this is refused before it is read.
    pub max_file_bytes: u64,
    /// The email the file came in, when it came by mail (for the ledger).
    pub source: Option<MessageSource>,
}

/// Where a file came from when it came by mail (docs/decisions.md D29).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageSource {
    pub message_id: Option<String>,
    pub sender: String,
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

/// The default [`IngestOptions::max_file_bytes`]: 50 MB, some hundred times
/// a filled 1,000-lead sheet.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            ingested_by: String::new(),
            check_only: false,
            clear_blanks: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            source: None,
        }
    }
}

/// One value that a file changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub code: String,
    pub field: &'static str,
    /// Empty when the stored value was blank.
    pub old: String,
    /// Empty when the file's value is blank.
    pub new: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: \"{}\" → \"{}\"",
            self.code, self.field, self.old, self.new
        )
    }
}

impl Change {
    /// A stored value the file clears (only with `clear_blanks`).
    pub fn is_cleared(&self) -> bool {
        self.new.is_empty() && !self.old.is_empty()
    }
}

/// What one file gave (or, with `check_only`, would give).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub path: PathBuf,
    /// SHA-256 of the file, hex.
    pub checksum: String,
    /// The sheet the file is.
    pub sheet: SheetOf,
    pub identity: IdentityCheck,
    /// Leads that had no outcome before.
    pub new: usize,
    /// Their values (old is empty), in code and field order.
    pub new_values: Vec<Change>,
    /// Every value that differs from the stored outcome.
    pub changed: Vec<Change>,
    /// Leads whose stored outcome already equals the file's values.
    pub unchanged: usize,
    /// Leads whose seven fields are all blank (nothing written for them).
    pub blank: usize,
    /// Said once per file: a blank sheet, a sheet without identity.
    pub warnings: Vec<String>,
    /// The ledger row; None when nothing was written (`check_only`).
    pub ledger_id: Option<i64>,
}

impl IngestReport {
    /// Leads whose outcome the file changes.
    pub fn changed_leads(&self) -> usize {
        let mut codes: Vec<&str> = self.changed.iter().map(|c| c.code.as_str()).collect();
        codes.dedup();
        codes.len()
    }

    /// `new N, changed N, unchanged N, blank N`, or `unchanged` when the
    /// file brings nothing new.
    pub fn counts(&self) -> String {
        if self.new == 0 && self.changed.is_empty() && self.unchanged > 0 {
            return format!(
                "unchanged ({} outcome(s), blank {})",
                self.unchanged, self.blank
            );
        }
        format!(
            "new {}, changed {}, unchanged {}, blank {}",
            self.new,
            self.changed_leads(),
            self.unchanged,
            self.blank
        )
    }
}

/// Reads, checks and (unless `check_only`) writes one filled sheet, all or
/// nothing.
pub fn ingest_outcomes(
    conn: &mut PgConnection,
    path: &Path,
    options: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let parsed = parse_file(path, options.max_file_bytes)?;
    let key = load_key(conn, path)?;
    apply(conn, &parsed, &key, options)
}

/// [`ingest_outcomes`] on bytes already read; `path` names them.
pub fn ingest_bytes(
    conn: &mut PgConnection,
    path: &Path,
    bytes: &[u8],
    options: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    ingest_parsed(conn, &parse_sheet(path, bytes)?, options)
}

/// A file read and parsed (the part of an ingest that needs no database,
/// and may run on any thread), to be checked and written by
/// [`ingest_parsed`].
#[derive(Debug)]
pub struct ParsedSheet(Parsed);

/// Parses `bytes` (named `path`) as a filled sheet.
pub fn parse_sheet(path: &Path, bytes: &[u8]) -> Result<ParsedSheet, IngestError> {
    parse(path, bytes).map(ParsedSheet)
}

/// The database half of [`ingest_bytes`] for a sheet [`parse_sheet`] read.
pub fn ingest_parsed(
    conn: &mut PgConnection,
    sheet: &ParsedSheet,
    options: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let key = load_key(conn, &sheet.0.path)?;
    apply(conn, &sheet.0, &key, options)
}

/// [`ingest_outcomes`] for many files, in order, calling `done` with each
/// result. Files are read and parsed ahead on `PARSERS` threads while the
/// database checks and writes the current one.
pub fn ingest_files(
    conn: &mut PgConnection,
    paths: &[PathBuf],
    options: &IngestOptions,
    mut done: impl FnMut(&Path, Result<IngestReport, IngestError>),
) {
    std::thread::scope(|scope| {
        // Parser k reads files k, k + PARSERS, …; taking one result from each
        // in turn gives the files back in order.
        let parsers: Vec<_> = (0..PARSERS)
            .map(|k| {
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                scope.spawn(move || {
                    for path in paths.iter().skip(k).step_by(PARSERS) {
                        if tx.send(parse_file(path, options.max_file_bytes)).is_err() {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        let mut key: Option<SheetKey> = None;
        for (i, path) in paths.iter().enumerate() {
            // A parser that stopped (it cannot, short of a bug) still leaves
            // a word for each of its files.
            let parsed = parsers[i % PARSERS].recv().unwrap_or_else(|_| {
                Err(IngestError::NotPdf {
                    path: path.clone(),
                    reason: "the parser thread stopped before this file".into(),
                })
            });
            let result = parsed.and_then(|p| {
                let key = match &key {
                    Some(k) => k.clone(),
                    None => key.insert(load_key(conn, path)?).clone(),
                };
                apply(conn, &p, &key, options)
            });
            done(path, result);
        }
    });
}

/// Threads that read and parse files ahead of the database work.
const PARSERS: usize = 2;

/// A file read and parsed, not yet checked against the database.
#[derive(Debug)]
struct Parsed {
    path: PathBuf,
    checksum: String,
    /// Digests of the earlier revisions the file carries (D25).
    revisions: Vec<String>,
    fields: SheetFields,
}

fn parse_file(path: &Path, limit: u64) -> Result<Parsed, IngestError> {
    let bytes = walk::read_bounded(path, limit)?;
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, IngestError> {
    Ok(Parsed {
        path: path.to_path_buf(),
        checksum: crate::files::sha256_hex(bytes),
        revisions: earlier_revisions(bytes),
        fields: read_sheet(path, bytes)?,
    })
}

/// The SHA-256 of each earlier revision a file carries: a viewer that saves
/// incrementally appends to the file it opened, so the bytes up to each
/// `%%EOF` but the last (with or without the line end after it) are that
/// earlier file.
fn earlier_revisions(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&bytes[at..], b"%%EOF").map(|i| at + i + 5) {
        let eol = bytes[i..]
            .iter()
            .take(2)
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        for end in [i, i + eol].into_iter().filter(|&e| e < bytes.len()) {
            let digest = crate::files::sha256_hex(&bytes[..end]);
            if !out.contains(&digest) {
                out.push(digest);
            }
        }
        at = i;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn load_key(conn: &mut PgConnection, path: &Path) -> Result<SheetKey, IngestError> {
    SheetKey::load(conn).map_err(|source| IngestError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// The database half: identity, comparison and (unless checking) the writes,
/// in one transaction.
fn apply(
    conn: &mut PgConnection,
    parsed: &Parsed,
    key: &SheetKey,
    options: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let file = store::File {
        path: &parsed.path,
        checksum: parsed.checksum.clone(),
        revisions: &parsed.revisions,
        fields: &parsed.fields,
        key,
        options,
    };
    let result = if options.check_only {
        file.ingest(conn)
    } else {
        conn.transaction(|c| file.ingest(c))
    };
    result.map_err(|f| f.into_error(&parsed.path))
}
