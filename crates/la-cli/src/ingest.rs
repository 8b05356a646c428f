//! `ingest-outcomes`: filled sheets into outcomes, one block of lines per
//! file, a total, exit 1 when any file failed.

use std::path::PathBuf;

use leads_assignment::pdf::ingest::{find_sheets, Found};
use leads_assignment::pdf::{ingest_files, IngestError, IngestOptions, IngestReport};

use crate::db::connect;
use crate::error::CmdError;
use crate::exit;

/// Ingests (or, with `check_only`, checks) every PDF under `paths`.
pub fn ingest(
    url: Option<&str>,
    paths: &[PathBuf],
    options: &IngestOptions,
) -> Result<u8, CmdError> {
    let Found { files, skipped } = find_sheets(paths);
    for s in &skipped {
        out!("{s}");
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
    lines.extend(r.changed.iter().map(|c| {
        let word = if c.is_cleared() { "cleared" } else { "changed" };
        format!("         {word} {c}")
    }));
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
