//! The pipeline runner (spec §4.3): assign → sheets → emails, status logs in
//! the existing JSON style (through `log` key-values), and one
//! `pipeline_run_summaries` row per run.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use la_assign::{run_leads_assignment, AssignError, AssignOptions, AssignmentReport};
use la_notify::{
    send_for_batch, FileOutbox, NotifyOptions, NotifyReport, SmtpConfig, SmtpTransport,
    StoreDiagnostic, Transport,
};
use la_pdf::{generate_sheets, PdfError, PdfOptions, Progress, SheetFailure, SheetOutcome};
use la_schema::models::NewRunSummary;
use la_schema::schema::pipeline_run_summaries as prs;
use serde::Serialize;

use crate::diagnose::{diagnose, DiagnoseOptions};

/// `pipeline_run_summaries.pipeline_name` and the `pipeline` field of status logs.
pub const PIPELINE_NAME: &str = "leads_assignment";

/// Where emails go.
#[derive(Debug, Clone)]
pub enum EmailDelivery {
    /// No emails at all (`--no-email`).
    Disabled,
    /// Through an SMTP server.
    Smtp(SmtpConfig),
    /// `.eml` files in this folder; nothing is sent (DESIGN §3.11).
    Outbox(PathBuf),
}

impl EmailDelivery {
    /// DESIGN §3.11: env `prod` without SMTP refuses to start unless email is
    /// explicitly disabled. The one place this rule lives.
    pub fn check_env(&self, run_env: &str) -> Result<(), String> {
        if run_env == "prod" && matches!(self, EmailDelivery::Outbox(_)) {
            return Err("env prod needs an SMTP host (REPORT_EMAIL_SMTP_HOST) or email explicitly disabled (--no-email); nothing was written".into());
        }
        Ok(())
    }
}

/// How to run the pipeline. Configuration enters here as plain values; the
/// library reads no environment.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// `dev`, `prod` or `local`.
    pub run_env: String,
    /// Generated when None (`la-{timestamp}-{pid}`).
    pub run_id: Option<String>,
    /// E.g. `manual`, `cli`, `pipeline:single_session`.
    pub triggered_by: String,
    /// Plan and report, keep nothing (no sheets, no emails, no summary row).
    pub dry_run: bool,
    /// Root of the reports tree (sheets, outbox).
    pub reports_root: PathBuf,
    /// Session time zone for the business date, e.g. `Asia/Kolkata`.
    pub timezone: Option<String>,
    pub email: EmailDelivery,
    /// Sender mailbox.
    pub from: String,
    /// Progress of the sheet and email phases: (phase, done, total).
    pub progress: Option<PhaseProgress>,
}

/// The callback inside [`PhaseProgress`].
pub type PhaseProgressFn = dyn Fn(&str, usize, usize) + Send + Sync;

/// A progress callback: (phase, done, total).
#[derive(Clone)]
pub struct PhaseProgress(pub std::sync::Arc<PhaseProgressFn>);

impl std::fmt::Debug for PhaseProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhaseProgress(..)")
    }
}

impl PhaseProgress {
    /// The (done, total) callback of one phase.
    pub fn for_phase(&self, phase: &'static str) -> Progress {
        let inner = self.0.clone();
        Progress::new(move |done, total| inner(phase, done, total))
    }
}

impl PipelineOptions {
    /// Defaults for env `env`: outbox under `./reports`, triggered by `manual`.
    pub fn new(env: &str) -> PipelineOptions {
        let reports_root = PathBuf::from("reports");
        PipelineOptions {
            run_env: env.to_string(),
            run_id: None,
            triggered_by: "manual".into(),
            dry_run: false,
            email: EmailDelivery::Outbox(default_outbox(&reports_root)),
            reports_root,
            timezone: None,
            from: "leads-assignment@localhost".into(),
            progress: None,
        }
    }
}

/// The outbox folder under a reports root.
pub fn default_outbox(reports_root: &std::path::Path) -> PathBuf {
    reports_root.join("leads_assignment").join("outbox")
}

/// How the run ended, as `pipeline_run_summaries.overall_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    Success,
    SuccessWithWarnings,
    Failed,
}

impl OverallStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            OverallStatus::Success => "success",
            OverallStatus::SuccessWithWarnings => "success_with_warnings",
            OverallStatus::Failed => "failed",
        }
    }
}

/// One phase's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub phase: String,
    /// `ok`, `warning`, `failed`, `skipped`.
    pub status: String,
    pub duration_ms: u128,
    pub message: String,
}

/// Everything a run did.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineReport {
    pub run_id: String,
    pub run_env: String,
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
    pub phases: Vec<PhaseReport>,
    pub overall_status: OverallStatus,
    pub summary_text: String,
    /// Commands that finish a partly done run (`pdf --batch N`, `notify --batch N`).
    pub finish_commands: Vec<String>,
}

impl PipelineReport {
    /// Assignments committed but some sheets or emails failed.
    pub fn partly_done(&self) -> bool {
        !self.finish_commands.is_empty()
    }
}

/// Why a run failed before completing its assignment phase. Nothing was
/// assigned; a `failed` summary row was written when possible.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Refused to start; nothing was written.
    #[error("refusing to start: {0}")]
    Config(String),
    /// The assignment failed and was rolled back.
    #[error("run {run_id}: {source}")]
    Assign { run_id: String, source: AssignError },
    /// Recording the run summary failed.
    #[error("run {run_id}: writing pipeline_run_summaries: {source}")]
    Summary {
        run_id: String,
        source: diesel::result::Error,
    },
}

fn status_log(level: log::Level, run_id: &str, phase: &str, status: &str, message: &str) {
    log::log!(target: "leads_assignment", level,
        pipeline = PIPELINE_NAME, run_id = run_id, phase = phase, status = status; "{message}");
}

/// A run id when none is given: `la-{YYYYmmddHHMMSS}-{pid}`.
pub fn generate_run_id() -> String {
    format!(
        "la-{}-{}",
        Utc::now().format("%Y%m%d%H%M%S%3f"),
        std::process::id()
    )
}

/// Runs the pipeline: assign → (nothing assigned: stop) → sheets → emails →
/// summary row. Sheet or email failures do not fail the run: the report says
/// which, and how to finish (`finish_commands`).
pub fn run_pipeline(
    conn: &mut PgConnection,
    options: &PipelineOptions,
) -> Result<PipelineReport, PipelineError> {
    let started_at = Utc::now();
    let run_id = options.run_id.clone().unwrap_or_else(generate_run_id);
    if let Err(msg) = options.email.check_env(&options.run_env) {
        status_log(log::Level::Error, &run_id, "start", "failed", &msg);
        return Err(PipelineError::Config(msg));
    }
    status_log(
        log::Level::Info,
        &run_id,
        "start",
        "ok",
        &format!(
            "env {}, triggered by {}",
            options.run_env, options.triggered_by
        ),
    );
    let mut phases = Vec::new();

    // Phase 1: assign.
    let t = Instant::now();
    let assign_options = AssignOptions {
        triggered_by: options.triggered_by.clone(),
        run_id: Some(run_id.clone()),
        dry_run: options.dry_run,
        timezone: options.timezone.clone(),
    };
    let assignment = match run_leads_assignment(conn, &assign_options) {
        Ok(r) => r,
        Err(source) => {
            let msg = source.to_string();
            status_log(log::Level::Error, &run_id, "assign", "failed", &msg);
            phases.push(PhaseReport {
                phase: "assign".into(),
                status: "failed".into(),
                duration_ms: t.elapsed().as_millis(),
                message: msg.clone(),
            });
            if !options.dry_run {
                let row = summary_row(
                    &run_id,
                    &options.run_env,
                    started_at,
                    None,
                    OverallStatus::Failed,
                    &format!("Leads assignment run {run_id} failed: {msg}"),
                    &phases,
                    serde_json::json!({}),
                );
                if let Err(e) = write_summary(conn, row) {
                    log::error!("could not record the failed run: {e}");
                }
            }
            return Err(PipelineError::Assign { run_id, source });
        }
    };
    let assign_msg = format!(
        "{} of {} eligible lead(s) assigned{}",
        assignment.assigned,
        assignment.eligible_leads,
        assignment
            .batch_id
            .map(|b| format!(" in batch {b}"))
            .unwrap_or_else(|| " (dry run, rolled back)".into())
    );
    status_log(log::Level::Info, &run_id, "assign", "ok", &assign_msg);
    if let Ok(json) = serde_json::to_string(&assignment) {
        log::debug!(target: "leads_assignment", pipeline = PIPELINE_NAME, run_id = run_id.as_str(), phase = "assign", status = "report"; "{json}");
    }
    for s in &assignment.skipped_agents {
        status_log(
            log::Level::Warn,
            &run_id,
            "assign",
            "warning",
            &format!(
                "store {}: agent {} skipped: {}",
                s.store_code, s.agent_id, s.reason
            ),
        );
    }
    phases.push(PhaseReport {
        phase: "assign".into(),
        status: "ok".into(),
        duration_ms: t.elapsed().as_millis(),
        message: assign_msg,
    });

    let mut report = PipelineReport {
        run_id: run_id.clone(),
        run_env: options.run_env.clone(),
        started_at,
        finished_at: started_at,
        batch_id: assignment.batch_id,
        batch_date: Some(assignment.batch_date),
        sheets: Vec::new(),
        sheet_failures: Vec::new(),
        notify: None,
        email_delivery: describe_delivery(&options.email),
        phases,
        overall_status: OverallStatus::Success,
        summary_text: String::new(),
        finish_commands: Vec::new(),
        assignment,
    };
    let batch_id = match report.batch_id {
        Some(b) if report.assignment.assigned > 0 => b,
        _ => {
            let why = if options.dry_run {
                "dry run: nothing kept"
            } else {
                "nothing to assign: no sheets, no emails"
            };
            status_log(log::Level::Info, &run_id, "done", "ok", why);
            return finish(conn, options, report);
        }
    };

    // Phase 2: sheets.
    let t = Instant::now();
    let pdf_options = PdfOptions {
        reports_root: options.reports_root.clone(),
        progress: options.progress.as_ref().map(|p| p.for_phase("sheets")),
    };
    let (status, msg) = match generate_sheets(conn, batch_id, &pdf_options) {
        Ok(done) => {
            report.sheets = done;
            (
                "ok",
                format!(
                    "{} sheet(s) written under {}",
                    report.sheets.len(),
                    options.reports_root.display()
                ),
            )
        }
        Err(PdfError::Sheets { done, failed, .. }) => {
            report.sheets = done;
            report.sheet_failures = failed;
            (
                "failed",
                format!(
                    "{} sheet(s) written, {} failed",
                    report.sheets.len(),
                    report.sheet_failures.len()
                ),
            )
        }
        Err(e) => ("failed", e.to_string()),
    };
    if status != "ok" {
        report
            .finish_commands
            .push(format!("leads-assignment pdf --batch {batch_id}"));
    }
    status_log(
        if status == "ok" {
            log::Level::Info
        } else {
            log::Level::Error
        },
        &run_id,
        "sheets",
        status,
        &msg,
    );
    report.phases.push(PhaseReport {
        phase: "sheets".into(),
        status: status.into(),
        duration_ms: t.elapsed().as_millis(),
        message: msg,
    });

    // Phase 3: emails.
    let t = Instant::now();
    let mut transport: Box<dyn Transport> = match &options.email {
        EmailDelivery::Disabled => {
            status_log(
                log::Level::Info,
                &run_id,
                "notify",
                "skipped",
                "email disabled",
            );
            report.phases.push(PhaseReport {
                phase: "notify".into(),
                status: "skipped".into(),
                duration_ms: 0,
                message: "email disabled".into(),
            });
            return finish(conn, options, report);
        }
        EmailDelivery::Smtp(cfg) => match SmtpTransport::new(cfg) {
            Ok(t) => Box::new(t),
            Err(e) => {
                report
                    .finish_commands
                    .push(notify_command(batch_id, &options.run_env));
                status_log(log::Level::Error, &run_id, "notify", "failed", &e);
                report.phases.push(PhaseReport {
                    phase: "notify".into(),
                    status: "failed".into(),
                    duration_ms: 0,
                    message: e,
                });
                return finish(conn, options, report);
            }
        },
        EmailDelivery::Outbox(dir) => {
            log::warn!(target: "leads_assignment", "no SMTP host configured: emails are written to {} and nothing is sent", dir.display());
            Box::new(FileOutbox::new(dir.clone()))
        }
    };
    let diagnostics = store_diagnostics(conn, options, &report.assignment);
    let notify_options = NotifyOptions {
        run_env: options.run_env.clone(),
        run_id: Some(run_id.clone()),
        from: options.from.clone(),
        store_diagnostics: Some(diagnostics),
        progress: options.progress.as_ref().map(|p| p.for_phase("emails")),
        only: None,
    };
    let (status, msg) = match send_for_batch(conn, batch_id, &notify_options, transport.as_mut()) {
        Ok(n) => {
            let msg = format!(
                "{} email(s) sent, {} failed, {} without recipients ({})",
                n.sent(),
                n.failed(),
                n.without_recipients(),
                n.transport
            );
            let status = if n.failed() > 0 {
                "failed"
            } else if n.without_recipients() > 0 || !n.warnings.is_empty() {
                "warning"
            } else {
                "ok"
            };
            report.notify = Some(n);
            (status, msg)
        }
        Err(e) => ("failed", e.to_string()),
    };
    let sheets_failed = report.finish_commands.iter().any(|c| c.contains(" pdf "));
    if status == "failed" || sheets_failed {
        // Re-send what failed, and the emails of stores whose sheets are
        // regenerated by the pdf command; the delivered ones are not repeated.
        let mut keys = report
            .notify
            .as_ref()
            .map(NotifyReport::failed_keys)
            .unwrap_or_default();
        for f in &report.sheet_failures {
            let key = format!("store-{}", f.store_code);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut cmd = notify_command(batch_id, &options.run_env);
        if !keys.is_empty() {
            cmd.push_str(&format!(" --only {}", keys.join(",")));
        }
        report.finish_commands.push(cmd);
    }
    let level = match status {
        "ok" => log::Level::Info,
        "warning" => log::Level::Warn,
        _ => log::Level::Error,
    };
    status_log(level, &run_id, "notify", status, &msg);
    report.phases.push(PhaseReport {
        phase: "notify".into(),
        status: status.into(),
        duration_ms: t.elapsed().as_millis(),
        message: msg,
    });
    finish(conn, options, report)
}

fn notify_command(batch_id: i64, env: &str) -> String {
    format!("leads-assignment notify --batch {batch_id} --env {env}")
}

fn describe_delivery(d: &EmailDelivery) -> String {
    match d {
        EmailDelivery::Disabled => "disabled".into(),
        EmailDelivery::Smtp(c) => format!("SMTP {}:{}", c.host, c.port),
        EmailDelivery::Outbox(dir) => format!("outbox folder {} (nothing sent)", dir.display()),
    }
}

/// Summary-email lines: every participating store, with this batch's count
/// and the diagnostics' reasons.
fn store_diagnostics(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    assignment: &AssignmentReport,
) -> Vec<StoreDiagnostic> {
    let diag = diagnose(
        conn,
        &DiagnoseOptions {
            store: None,
            run_env: options.run_env.clone(),
            timezone: options.timezone.clone(),
        },
    )
    .unwrap_or_else(|e| {
        log::warn!("diagnostics for the summary email failed: {e}");
        Vec::new()
    });
    let assigned = |code: &str| -> i64 {
        assignment
            .pairs_of(code)
            .map(|p| i64::from(p.existing_assigned + p.new_assigned))
            .sum()
    };
    let mut out: Vec<StoreDiagnostic> = diag
        .into_iter()
        .filter(|d| d.assign_leads || d.enabled_mappings > 0 || assigned(&d.store_code) > 0)
        .map(|d| StoreDiagnostic {
            assigned: assigned(&d.store_code),
            store_code: d.store_code,
            store_name: d.store_name,
            reasons: d.reasons,
        })
        .collect();
    for s in &assignment.stores {
        if !out.iter().any(|d| d.store_code == s.store_code) {
            out.push(StoreDiagnostic {
                store_code: s.store_code.clone(),
                store_name: None,
                assigned: i64::from(s.assigned_existing + s.assigned_new),
                reasons: Vec::new(),
            });
        }
    }
    out
}

fn finish(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    mut report: PipelineReport,
) -> Result<PipelineReport, PipelineError> {
    report.finished_at = Utc::now();
    let a = &report.assignment;
    let n = report.notify.as_ref();
    let unassigned: u32 = a.stores.iter().map(|s| s.unassigned).sum();
    let warnings = !a.skipped_agents.is_empty()
        || unassigned > 0
        || n.is_some_and(|n| n.without_recipients() > 0 || !n.warnings.is_empty());
    report.overall_status = if report.partly_done() {
        OverallStatus::Failed
    } else if warnings {
        OverallStatus::SuccessWithWarnings
    } else {
        OverallStatus::Success
    };
    let mut text = format!(
        "Leads assignment run {} (env {}) on {}: {} of {} eligible lead(s) assigned",
        report.run_id, report.run_env, a.batch_date, a.assigned, a.eligible_leads
    );
    match report.batch_id {
        Some(b) => text.push_str(&format!(" in batch {b}")),
        None => text.push_str(" (dry run: nothing kept)"),
    }
    if a.assigned == 0 && !a.dry_run {
        text.push_str("; nothing to assign, so no sheets and no emails");
    } else if !a.dry_run {
        text.push_str(&format!(
            "; {} sheet(s) written, {} failed",
            report.sheets.len(),
            report.sheet_failures.len()
        ));
        match n {
            Some(n) => text.push_str(&format!(
                "; {} email(s) sent, {} failed, {} without recipients via {}",
                n.sent(),
                n.failed(),
                n.without_recipients(),
                n.transport
            )),
            None => text.push_str(&format!("; emails: {}", report.email_delivery)),
        }
    }
    if unassigned > 0 {
        text.push_str(&format!(
            "; {unassigned} eligible lead(s) left for the next run"
        ));
    }
    if !a.skipped_agents.is_empty() {
        text.push_str(&format!(
            "; {} agent mapping(s) skipped",
            a.skipped_agents.len()
        ));
    }
    if report.partly_done() {
        text.push_str(&format!(
            "; to finish: {}",
            report.finish_commands.join(" && ")
        ));
    }
    report.summary_text = text;
    status_log(
        if report.overall_status == OverallStatus::Failed {
            log::Level::Error
        } else {
            log::Level::Info
        },
        &report.run_id,
        "done",
        report.overall_status.as_str(),
        &report.summary_text,
    );
    if options.dry_run {
        return Ok(report);
    }
    let metrics = serde_json::json!({
        "eligible_leads": a.eligible_leads,
        "assigned": a.assigned,
        "unassigned": unassigned,
        "stores": a.stores.len(),
        "agents_skipped": a.skipped_agents.len(),
        "sheets": report.sheets.len(),
        "sheet_failures": report.sheet_failures.len(),
        "emails_planned": n.map_or(0, |n| n.emails.len()),
        "emails_sent": n.map_or(0, NotifyReport::sent),
        "emails_failed": n.map_or(0, NotifyReport::failed),
        "emails_without_recipients": n.map_or(0, NotifyReport::without_recipients),
        "batch_id": report.batch_id,
    });
    let row = summary_row(
        &report.run_id,
        &report.run_env,
        report.started_at,
        report.batch_date,
        report.overall_status,
        &report.summary_text,
        &report.phases,
        metrics,
    );
    write_summary(conn, row).map_err(|source| PipelineError::Summary {
        run_id: report.run_id.clone(),
        source,
    })?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn summary_row(
    run_id: &str,
    env: &str,
    started_at: DateTime<Utc>,
    report_date: Option<NaiveDate>,
    status: OverallStatus,
    text: &str,
    phases: &[PhaseReport],
    metrics: serde_json::Value,
) -> NewRunSummary {
    let finished_at = Utc::now();
    let secs = (finished_at - started_at).num_seconds().max(0);
    NewRunSummary {
        pipeline_name: PIPELINE_NAME.into(),
        run_id: run_id.chars().take(64).collect(),
        run_env: Some(env.chars().take(32).collect()),
        started_at: Some(started_at),
        finished_at: Some(finished_at),
        total_time_taken: Some(format!(
            "{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )),
        report_date,
        overall_status: Some(status.as_str().into()),
        summary_text: Some(text.into()),
        phases_json: serde_json::to_value(phases).ok(),
        metrics_json: Some(metrics),
    }
}

/// Inserts the run's row, or updates this pipeline's earlier row of the same
/// run id. When the run id belongs to another pipeline's row (a host pipeline
/// passing its own id), the row is stored as `{run_id}:leads_assignment`.
fn write_summary(conn: &mut PgConnection, mut row: NewRunSummary) -> QueryResult<()> {
    conn.transaction(|conn| {
        for attempt in 0..2 {
            let updated = diesel::update(
                prs::table
                    .filter(prs::run_id.eq(&row.run_id))
                    .filter(prs::pipeline_name.eq(PIPELINE_NAME)),
            )
            .set((
                prs::run_env.eq(&row.run_env),
                prs::started_at.eq(row.started_at),
                prs::finished_at.eq(row.finished_at),
                prs::total_time_taken.eq(&row.total_time_taken),
                prs::report_date.eq(row.report_date),
                prs::overall_status.eq(&row.overall_status),
                prs::summary_text.eq(&row.summary_text),
                prs::phases_json.eq(&row.phases_json),
                prs::metrics_json.eq(&row.metrics_json),
            ))
            .execute(conn)?;
            if updated > 0 {
                return Ok(());
            }
            let inserted = diesel::insert_into(prs::table)
                .values(&row)
                .on_conflict(prs::run_id)
                .do_nothing()
                .execute(conn)?;
            if inserted > 0 || attempt == 1 {
                return Ok(());
            }
            // The id is another pipeline's row: keep ours beside it.
            let suffix = ":leads_assignment";
            let base: String = row.run_id.chars().take(64 - suffix.len()).collect();
            row.run_id = format!("{base}{suffix}");
        }
        Ok(())
    })
}
