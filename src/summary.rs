//! The run's words: the sentences of the status logs, the summary row and the
//! CLI (one home each), the overall status, and the metrics.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use la_assign::AssignmentReport;
use la_assign::StoreReport;
use la_notify::EmailKind;

use crate::finish::FinishedBatch;
use crate::options::PipelineOptions;
use crate::report::{OverallStatus, PhaseStatus, PipelineReport};
use crate::run_record::RowValues;

/// The report of a run that has not done anything yet.
pub(crate) fn empty_report(
    run_id: &str,
    options: &PipelineOptions,
    started_at: DateTime<Utc>,
) -> PipelineReport {
    PipelineReport {
        run_id: run_id.to_string(),
        run_env: options.run_env,
        started_at,
        finished_at: started_at,
        batch_id: None,
        batch_date: None,
        assignment: AssignmentReport {
            batch_id: None,
            batch_date: started_at.date_naive(),
            dry_run: options.dry_run,
            triggered_by: options.triggered_by.clone(),
            run_id: Some(run_id.to_string()),
            eligible_leads: 0,
            assigned: 0,
            pairs: Vec::new(),
            stores: Vec::new(),
            skipped_agents: Vec::new(),
            repaired_flags: Vec::new(),
        },
        sheets: Vec::new(),
        sheet_failures: Vec::new(),
        notify: None,
        email_delivery: options.email.describe(),
        finished_batches: Vec::new(),
        interrupted_runs: Vec::new(),
        phases: Vec::new(),
        overall_status: OverallStatus::Running,
        summary_text: String::new(),
        finish_commands: Vec::new(),
        later_commands: Vec::new(),
        returned: Default::default(),
    }
}

/// `N of M eligible lead(s) assigned in batch B` (or "would be assigned").
pub(crate) fn assign_line(a: &AssignmentReport) -> String {
    match a.batch_id {
        Some(b) => format!(
            "{} of {} eligible lead(s) assigned in batch {b}",
            a.assigned, a.eligible_leads
        ),
        None => format!(
            "dry run: would assign {} of {} eligible lead(s); nothing kept",
            a.assigned, a.eligible_leads
        ),
    }
}

/// The repaired `lead_assigned` flags (docs/decisions.md D16).
pub(crate) fn repaired_line(a: &AssignmentReport) -> String {
    let verb = if a.dry_run {
        "would be re-flagged"
    } else {
        "re-flagged"
    };
    format!(
        "{} lead(s) flagged unassigned already had an assignment and {verb} assigned: pickup_row_id {}",
        a.repaired_flags.len(),
        a.repaired_flags
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Why a store's leads were left, one phrase per (reason, type):
/// `3 N lead(s) left: every agent of the store is capped for the lead's type`.
pub fn left_reasons(s: &StoreReport) -> Vec<String> {
    s.unassigned_reasons
        .iter()
        .map(|(reason, t, n)| format!("{n} {} lead(s) left: {reason}", t.as_str()))
        .collect()
}

/// `N sheet(s) written under ROOT[, N failed]`.
pub(crate) fn sheets_line(r: &PipelineReport, root: &Path) -> String {
    let mut s = format!(
        "{} sheet(s) written under {}",
        r.sheets.len(),
        root.display()
    );
    if !r.sheet_failures.is_empty() {
        s.push_str(&format!(", {} failed", r.sheet_failures.len()));
    }
    if let Some(line) = unreadable_line(r) {
        s.push_str(&format!(", {line}"));
    }
    s
}

/// The run's `N lead(s) with characters no sheet font covers …`, when
/// there are any.
pub fn unreadable_line(r: &PipelineReport) -> Option<String> {
    unreadable_words(r.unreadable_leads())
}

/// `N lead(s) with characters no sheet font covers (drawn as placeholders)`
/// when `n` is not zero: the one wording of it (docs/decisions.md D24).
pub(crate) fn unreadable_words(n: usize) -> Option<String> {
    (n > 0).then(|| {
        format!("{n} lead(s) with characters no sheet font covers (drawn as placeholders)")
    })
}

/// What finishing earlier batches did, in one line.
pub fn finished_batches_line(batches: &[FinishedBatch]) -> String {
    let parts: Vec<String> = batches
        .iter()
        .map(|b| {
            let mut p = format!("batch {} of {}:", b.batch_id, b.batch_date);
            if !b.sheets.is_empty() || !b.sheet_failures.is_empty() {
                p.push_str(&format!(
                    " {} sheet(s) written{}",
                    b.sheets.len(),
                    if b.sheet_failures.is_empty() {
                        String::new()
                    } else {
                        format!(", {} failed", b.sheet_failures.len())
                    }
                ));
            }
            if let Some(n) = &b.notify {
                p.push_str(&format!(" emails {}", n.tally()));
            }
            if let Some(e) = &b.error {
                p.push_str(&format!(" error: {e}"));
            }
            p.push_str(if b.done {
                " (finished)"
            } else {
                " (still unfinished)"
            });
            p
        })
        .collect();
    format!("earlier batches: {}", parts.join("; "))
}

/// Sets the overall status and the summary text from what the run did.
pub(crate) fn conclude(r: &mut PipelineReport) {
    r.finished_at = Utc::now();
    let unassigned: u32 = r.assignment.stores.iter().map(|s| s.unassigned).sum();
    let n = r.notify.as_ref();
    let warnings = !r.assignment.skipped_agents.is_empty()
        || unassigned > 0
        || !r.assignment.repaired_flags.is_empty()
        || !r.interrupted_runs.is_empty()
        || r.phases.iter().any(|p| p.status == PhaseStatus::Warning)
        || r.unreadable_leads() > 0
        || n.is_some_and(|n| n.without_recipients() > 0 || !n.warnings.is_empty());
    r.overall_status = if r.partly_done() {
        OverallStatus::Failed
    } else if warnings {
        OverallStatus::SuccessWithWarnings
    } else {
        OverallStatus::Success
    };
    r.summary_text = summary_text(r, unassigned);
}

fn summary_text(r: &PipelineReport, unassigned: u32) -> String {
    let a = &r.assignment;
    let mut text = format!(
        "Leads assignment run {} (env {}) on {}: {}",
        r.run_id,
        r.run_env,
        a.batch_date,
        assign_line(a)
    );
    if !r.interrupted_runs.is_empty() {
        text.push_str(&format!(
            "; marked interrupted: {}",
            r.interrupted_runs.join(", ")
        ));
    }
    if !r.finished_batches.is_empty() {
        text.push_str(&format!("; {}", finished_batches_line(&r.finished_batches)));
    }
    if a.assigned == 0 && !a.dry_run {
        text.push_str("; nothing to assign, so no sheets and no emails");
    } else if !a.dry_run {
        text.push_str(&format!(
            "; {} sheet(s) written, {} failed",
            r.sheets.len(),
            r.sheet_failures.len()
        ));
        if let Some(line) = unreadable_line(r) {
            text.push_str(&format!("; {line}"));
        }
        match n_line(r) {
            Some(line) => text.push_str(&format!("; emails: {line}")),
            None => text.push_str(&format!("; emails: {}", r.email_delivery)),
        }
    }
    if unassigned > 0 {
        let verb = if a.dry_run { "would be left" } else { "left" };
        text.push_str(&format!(
            "; {unassigned} eligible lead(s) {verb} for the next run"
        ));
    }
    if !a.skipped_agents.is_empty() {
        text.push_str(&format!(
            "; {} agent mapping(s) skipped",
            a.skipped_agents.len()
        ));
    }
    if !a.repaired_flags.is_empty() {
        text.push_str(&format!("; {}", repaired_line(a)));
    }
    if r.partly_done() {
        let commands: Vec<String> = r.finish_commands.iter().map(ToString::to_string).collect();
        text.push_str(&format!("; to finish: {}", commands.join(" && ")));
    }
    if let Some(line) = later_line(r) {
        text.push_str(&format!("; {line}"));
    }
    if let Some(line) = returned_line(&r.returned) {
        text.push_str(&format!("; {line}"));
    }
    for line in crate::finish::sent_to_new_recipients(&r.finished_batches) {
        text.push_str(&format!("; {line}"));
    }
    text
}

/// `earlier batches still owe emails this run does not send (why): CMD; CMD`
/// (docs/decisions.md D13), when there are any.
pub fn later_line(r: &PipelineReport) -> Option<String> {
    if r.later_commands.is_empty() {
        return None;
    }
    let why: Vec<&str> = (r.finished_batches.iter())
        .filter_map(|b| b.emails_left.as_deref())
        .collect();
    let commands: Vec<String> = r.later_commands.iter().map(ToString::to_string).collect();
    Some(format!(
        "earlier batches still owe emails this run does not send ({}); to send them: {}",
        why.first().copied().unwrap_or("not sendable here"),
        commands.join("; ")
    ))
}

fn n_line(r: &PipelineReport) -> Option<String> {
    r.notify
        .as_ref()
        .map(|n| format!("{} via {}", n.tally(), n.transport))
}

/// The row's values for a status.
pub(crate) fn row_values(
    r: &PipelineReport,
    status: OverallStatus,
    metrics: Option<serde_json::Value>,
) -> RowValues<'_> {
    RowValues {
        run_id: &r.run_id,
        env: r.run_env,
        started_at: r.started_at,
        report_date: r.batch_date,
        status,
        text: &r.summary_text,
        phases: &r.phases,
        metrics: metrics.unwrap_or_else(|| serde_json::json!({})),
    }
}

/// `metrics_json`.
pub(crate) fn metrics(r: &PipelineReport) -> serde_json::Value {
    let a = &r.assignment;
    let n = r.notify.as_ref();
    let t = n.map(|n| n.tally_of(&[EmailKind::Store, EmailKind::AllSheets, EmailKind::Summary]));
    serde_json::json!({
        "eligible_leads": a.eligible_leads,
        "assigned": a.assigned,
        "unassigned": a.stores.iter().map(|s| s.unassigned).sum::<u32>(),
        "stores": a.stores.len(),
        "agents_skipped": a.skipped_agents.len(),
        "flags_repaired": a.repaired_flags.len(),
        "sheets": r.sheets.len(),
        "sheet_failures": r.sheet_failures.len(),
        "unreadable_leads": r.unreadable_leads(),
        "emails_planned": n.map_or(0, |n| n.emails.len()),
        "emails_sent": t.map_or(0, |t| t.sent),
        "emails_written_to_outbox": t.map_or(0, |t| t.written_to_outbox),
        "emails_failed": t.map_or(0, |t| t.failed),
        "emails_not_attempted": t.map_or(0, |t| t.not_attempted),
        "emails_without_recipients": n.map_or(0, la_notify::NotifyReport::without_recipients),
        "batch_id": r.batch_id,
        "finished_batches": r.finished_batches.iter().map(|b| b.batch_id).collect::<Vec<_>>(),
        "interrupted_runs": r.interrupted_runs,
        "finish_commands": r.finish_commands,
    })
}

/// docs/decisions.md D29: per store, the sheets a collection ingested and
/// the outcomes they recorded; the refused sheets; the strangers.
pub(crate) fn returned_sheets(r: &la_collect::CollectReport) -> crate::report::ReturnedSheets {
    let mut out = crate::report::ReturnedSheets::default();
    let mut stores: BTreeMap<&str, crate::report::ReturnedStore> = BTreeMap::new();
    for m in &r.messages {
        if m.status == la_collect::Handled::Now(la_schema::codes::CollectedStatus::Stranger) {
            out.strangers.push(m.sender.clone());
        }
        for s in &m.sheets {
            let Ok(rep) = &s.result else {
                out.refused += 1;
                continue;
            };
            let code = rep.sheet.store_code.as_str();
            let store = stores
                .entry(code)
                .or_insert_with(|| crate::report::ReturnedStore {
                    store_code: code.to_string(),
                    ..Default::default()
                });
            store.sheets += 1;
            store.outcomes += rep.new + rep.changed_leads();
        }
    }
    out.stores = stores.into_values().collect();
    out
}

/// `Returned sheets: S1 2 sheet(s), 14 outcome(s); 1 refused; not answered: x@y`
pub fn returned_line(r: &crate::report::ReturnedSheets) -> Option<String> {
    let parts = returned_parts(r);
    (!parts.is_empty()).then(|| format!("Returned sheets: {}", parts.join("; ")))
}

/// The returned sheets, one part per store, then the refused and strangers.
pub(crate) fn returned_parts(r: &crate::report::ReturnedSheets) -> Vec<String> {
    let mut parts: Vec<String> = r
        .stores
        .iter()
        .map(|s| {
            format!(
                "{} {} sheet(s), {} outcome(s)",
                s.store_code, s.sheets, s.outcomes
            )
        })
        .collect();
    if r.refused > 0 {
        parts.push(format!("{} refused (the senders were told why)", r.refused));
    }
    if !r.strangers.is_empty() {
        parts.push(format!(
            "from senders who are no recipients, filed to Refused unanswered: {}",
            r.strangers.join(", ")
        ));
    }
    parts
}
