//! What a run did, as types: phase and overall status, the commands that
//! finish a partly done run (shell-quoted in one place), and the report.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use la_assign::AssignmentReport;
use la_notify::{NotifyReport, RunEnv};
use la_pdf::{SheetFailure, SheetOutcome};
use serde::Serialize;

use crate::finish::FinishedBatch;

pub use la_schema::codes::OverallStatus;

/// How one phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseStatus {
    Ok,
    Warning,
    Failed,
    Skipped,
}

impl PhaseStatus {
    /// The log level a phase line gets.
    pub fn level(self) -> log::Level {
        match self {
            PhaseStatus::Ok | PhaseStatus::Skipped => log::Level::Info,
            PhaseStatus::Warning => log::Level::Warn,
            PhaseStatus::Failed => log::Level::Error,
        }
    }

    /// `ok`, `warning`, `failed`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseStatus::Ok => "ok",
            PhaseStatus::Warning => "warning",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Skipped => "skipped",
        }
    }
}

/// A phase of a run, in the order phases run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Starting: the configuration checked, the skip flag read.
    Start,
    /// Returned sheets from the reply mailbox.
    Collect,
    /// Earlier batches finished.
    Finish,
    Assign,
    Sheets,
    Notify,
    /// The run's summary row and email.
    Summary,
    /// The run's end: its last status log line (no phase report of its own).
    Done,
}

impl Phase {
    /// As logs and `phases_json` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Collect => "collect",
            Phase::Finish => "finish",
            Phase::Assign => "assign",
            Phase::Sheets => "sheets",
            Phase::Notify => "notify",
            Phase::Summary => "summary",
            Phase::Done => "done",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One phase's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub phase: Phase,
    pub status: PhaseStatus,
    pub duration_ms: u128,
    pub message: String,
}

/// A command that finishes a partly done run, e.g.
/// `leads-assignment notify --batch 42 --env prod --reports-root /srv/reports`.
/// Displayed shell-quoted, so it can be pasted into a shell as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishCommand {
    /// The arguments after the program name, unquoted.
    pub args: Vec<String>,
}

/// The binary's name in printed commands.
pub const BINARY: &str = "leads-assignment";

impl FinishCommand {
    /// Re-writes a batch's missing sheets (and re-registers them).
    pub fn pdf(batch_id: i64, reports_root: &Path) -> FinishCommand {
        FinishCommand {
            args: vec![
                "pdf".into(),
                "--batch".into(),
                batch_id.to_string(),
                "--reports-root".into(),
                absolute(reports_root),
            ],
        }
    }

    /// Sends what the ledger does not show as delivered.
    pub fn notify(batch_id: i64, run_env: RunEnv, reports_root: &Path) -> FinishCommand {
        FinishCommand {
            args: vec![
                "notify".into(),
                "--batch".into(),
                batch_id.to_string(),
                "--env".into(),
                run_env.to_string(),
                "--reports-root".into(),
                absolute(reports_root),
            ],
        }
    }

    /// The batch the command is about.
    pub fn batch_id(&self) -> Option<i64> {
        let i = self.args.iter().position(|a| a == "--batch")?;
        self.args.get(i + 1)?.parse().ok()
    }
}

/// The reports root as an absolute path, so the command works from any folder.
fn absolute(root: &Path) -> String {
    std::fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// `s` as one shell word: unchanged when it is made of safe characters only,
/// else in single quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

impl std::fmt::Display for FinishCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(BINARY)?;
        for a in &self.args {
            write!(f, " {}", shell_quote(a))?;
        }
        Ok(())
    }
}

impl Serialize for FinishCommand {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Everything a run did.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineReport {
    pub run_id: String,
    pub run_env: RunEnv,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub batch_id: Option<i64>,
    pub batch_date: Option<NaiveDate>,
    pub assignment: AssignmentReport,
    pub sheets: Vec<SheetOutcome>,
    pub sheet_failures: Vec<SheetFailure>,
    pub notify: Option<NotifyReport>,
    /// Where emails went (SMTP host, outbox folder, or disabled).
    pub email_delivery: String,
    /// Earlier batches this run finished (or tried to): docs/decisions.md D14.
    pub finished_batches: Vec<FinishedBatch>,
    /// Earlier runs found `running` with their process gone, now `interrupted`.
    pub interrupted_runs: Vec<String>,
    pub phases: Vec<PhaseReport>,
    pub overall_status: OverallStatus,
    pub summary_text: String,
    /// Commands that finish a partly done run (`pdf --batch N`, `notify --batch N`).
    pub finish_commands: Vec<FinishCommand>,
    /// What the reply mailbox brought this run (docs/decisions.md D29).
    pub returned: ReturnedSheets,
    /// Commands for earlier batches whose emails this run may not send
    /// (email disabled, or owed to SMTP without SMTP here): not a failure of
    /// this run, but named so nobody forgets them.
    pub later_commands: Vec<FinishCommand>,
}

impl PipelineReport {
    /// Leads drawn with placeholders for characters no sheet font covers.
    pub fn unreadable_leads(&self) -> usize {
        self.sheets.iter().map(|s| s.unreadable_leads).sum()
    }

    /// Assignments committed but some sheets or emails failed.
    pub fn partly_done(&self) -> bool {
        !self.finish_commands.is_empty()
    }

    /// The batches the finish commands are about, in order, once each.
    pub fn unfinished_batch_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .finish_commands
            .iter()
            .filter_map(FinishCommand::batch_id)
            .collect();
        ids.dedup();
        ids
    }

    /// Adds a finish command unless it is already there.
    pub(crate) fn add_finish_command(&mut self, c: FinishCommand) {
        if !self.finish_commands.contains(&c) {
            self.finish_commands.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_minimal_and_safe() {
        let cases = [
            ("store-S001", "store-S001"),
            ("/srv/reports", "/srv/reports"),
            ("", "''"),
            ("a b", "'a b'"),
            ("$(touch x)", "'$(touch x)'"),
            ("it's", r"'it'\''s'"),
            ("a;b", "'a;b'"),
            ("`id`", "'`id`'"),
        ];
        for (raw, quoted) in cases {
            assert_eq!(shell_quote(raw), quoted, "{raw:?}");
        }
    }

    #[test]
    fn quoted_words_survive_a_real_shell() -> std::io::Result<()> {
        let words = ["S 1,2", "$(echo pwned)", "it's", "`id`", "a\nb", "-x", "*"];
        let line: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {}", line.join(" ")))
            .output()?;
        let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(got, words);
        Ok(())
    }

    #[test]
    fn commands_name_their_batch_and_root() {
        let c = FinishCommand::notify(42, RunEnv::Prod, Path::new("/srv/my reports"));
        assert_eq!(
            c.to_string(),
            "leads-assignment notify --batch 42 --env prod --reports-root '/srv/my reports'"
        );
        assert_eq!(c.batch_id(), Some(42));
    }
}

/// What the reply mailbox brought a run: per store, sheets returned and
/// outcomes recorded; sheets refused; messages from strangers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReturnedSheets {
    pub stores: Vec<ReturnedStore>,
    /// Sheets refused (their senders were told why).
    pub refused: usize,
    /// Senders who are no recipients (filed to Refused, not answered).
    pub strangers: Vec<String>,
}

/// One store's returned sheets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReturnedStore {
    pub store_code: String,
    pub sheets: usize,
    pub outcomes: usize,
}
