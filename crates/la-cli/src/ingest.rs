//! `ingest-outcomes`: filled sheets into outcomes, one block of lines per
//! file, a total, exit 1 when any file failed.

use std::path::{Path, PathBuf};

use leads_assignment::pdf::{ingest_files, IngestError, IngestOptions, IngestReport};

use crate::commands::{connect, CmdError};
use crate::exit;

/// Ingests (or, with `check_only`, checks) every PDF under `paths`.
pub fn ingest(
    url: Option<&str>,
    paths: &[PathBuf],
    options: &IngestOptions,
) -> Result<u8, CmdError> {
    let mut files = Vec::new();
    for p in paths {
        collect_pdfs(p, &mut files)?;
    }
    if files.is_empty() {
        return Err(CmdError::from("no PDF files found in the given paths"));
    }
    let mut conn = connect(url)?;
    let mut tally = Tally::default();
    ingest_files(&mut conn, &files, options, |_, result| {
        out!("{}", file_lines(&result, options.check_only));
        tally.add(&result);
    });
    out!("{}", tally.line(files.len(), options.check_only));
    Ok(if tally.failed == 0 {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// The OS user, for the ingest ledger.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

fn collect_pdfs(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), CmdError> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                collect_pdfs(&p, out)?;
            } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
                out.push(p);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// One file: its counts and sheet, each changed value (old → new), each
/// warning; or FAILED with every problem on its own line.
fn file_lines(result: &Result<IngestReport, IngestError>, check: bool) -> String {
    let r = match result {
        Ok(r) => r,
        Err(e) => return format!("FAILED {e}"),
    };
    let word = if check { "check " } else { "ok    " };
    let mut lines = vec![format!(
        "{word} {}: {} ({})",
        r.path.display(),
        r.counts(),
        r.sheet
    )];
    lines.extend(r.changed.iter().map(|c| format!("         changed {c}")));
    lines.extend(r.warnings.iter().map(|w| format!("         warning: {w}")));
    lines.join("\n")
}

/// Totals over the files.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    failed: usize,
    new: usize,
    changed: usize,
    unchanged: usize,
    blank: usize,
}

impl Tally {
    fn add(&mut self, result: &Result<IngestReport, IngestError>) {
        match result {
            Ok(r) => {
                self.ok += 1;
                self.new += r.new;
                self.changed += r.changed_leads();
                self.unchanged += r.unchanged;
                self.blank += r.blank;
            }
            Err(_) => self.failed += 1,
        }
    }

    fn line(&self, files: usize, check: bool) -> String {
        let done = if check { "would ingest" } else { "ingested" };
        format!(
            "{files} file(s): {} {done}, {} failed; outcomes new {}, changed {}, unchanged {}, blank {}{}",
            self.ok,
            self.failed,
            self.new,
            self.changed,
            self.unchanged,
            self.blank,
            if check { " (checked only: nothing was written)" } else { "" }
        )
    }
}
