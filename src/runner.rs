//! The pipeline runner (docs/decisions.md S4.3): finish earlier batches → assign → sheets
//! → emails, status logs in the existing JSON style (through `log`
//! key-values), and one `pipeline_run_summaries` row per run, written
//! `running` first and completed at the end.

use std::time::Instant;

use chrono::Utc;
use diesel::prelude::*;
use la_assign::{run_leads_assignment, AssignOptions, AssignmentReport};
use la_notify::{send_for_batch, NotifyOptions, StoreDiagnostic, Transport};
use la_pdf::{generate_sheets, PdfError, PdfOptions};
use la_schema::schema::system_config;
use la_schema::session::is_wait_timeout;

use crate::ahead::SheetsAhead;
use crate::finish::finish_with;
use crate::options::{EmailDelivery, PipelineError, PipelineOptions};
use crate::report::{
    FinishCommand, OverallStatus, Phase, PhaseReport, PhaseStatus, PipelineReport,
};
use crate::run_record::{mark_interrupted, RunRecord};
use crate::summary;
use la_pdf::StoreNames;

/// `pipeline_run_summaries.pipeline_name` and the `pipeline` field of status logs.
pub const PIPELINE_NAME: &str = la_schema::PIPELINE;

pub(crate) fn status_log(
    level: log::Level,
    run_id: &str,
    phase: Phase,
    status: &str,
    message: &str,
) {
    let phase = phase.as_str();
    log::log!(target: PIPELINE_NAME, level,
        pipeline = PIPELINE_NAME, run_id = run_id, phase = phase, status = status; "{message}");
}

/// A run id when none is given: `la-{YYYYMMDDHHMMSSmmm}-{pid}` (UTC, to the
/// millisecond).
pub fn generate_run_id() -> String {
    format!(
        "la-{}-{}",
        Utc::now().format("%Y%m%d%H%M%S%3f"),
        std::process::id()
    )
}

/// `system_config.skip_lead_assignment` is active and `'true'` (D18).
pub(crate) fn skip_flag_set(conn: &mut PgConnection) -> QueryResult<bool> {
    let value: Option<Option<String>> = system_config::table
        .filter(system_config::key.eq("skip_lead_assignment"))
        .filter(system_config::is_active.eq(true))
        .select(system_config::value)
        .first(conn)
        .optional()?;
    Ok(value
        .flatten()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")))
}

/// Runs the pipeline: earlier unfinished batches → assign → (nothing
/// assigned: stop) → sheets → emails → summary row. Failures after the
/// commit do not fail the run: the report says which, and how to finish
/// (`finish_commands`).
pub fn run_pipeline(
    conn: &mut PgConnection,
    options: &PipelineOptions,
) -> Result<PipelineReport, PipelineError> {
    run(conn, options, options.ready())
}

/// [`run_pipeline`] with the transport [`PipelineOptions::ready`] built: for a
/// caller that checked the configuration before it connected.
pub fn run_pipeline_with(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    transport: Box<dyn Transport>,
) -> Result<PipelineReport, PipelineError> {
    run(conn, options, Ok(transport))
}

fn run(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    ready: Result<Box<dyn Transport>, PipelineError>,
) -> Result<PipelineReport, PipelineError> {
    let mut run = Run::start(conn, options, ready)?;
    if run.report.overall_status == OverallStatus::Skipped {
        return Ok(run.report);
    }
    run.collect(conn);
    run.finish_earlier_batches(conn);
    run.assign(conn)?;
    if let Some(batch_id) = run.committed_batch() {
        run.sheets(conn, batch_id);
        run.emails(conn, batch_id);
    }
    Ok(run.complete(conn))
}

/// One run in progress.
struct Run<'a> {
    options: &'a PipelineOptions,
    report: PipelineReport,
    record: Option<RunRecord>,
    transport: Box<dyn Transport>,
    /// The committed batch's sheets, rendered during the assignment.
    ahead: Option<SheetsAhead>,
}

impl<'a> Run<'a> {
    /// Checks the configuration, honours the skip flag, marks interrupted
    /// runs and writes this run's `running` row.
    fn start(
        conn: &mut PgConnection,
        options: &'a PipelineOptions,
        ready: Result<Box<dyn Transport>, PipelineError>,
    ) -> Result<Self, PipelineError> {
        let started_at = Utc::now();
        let run_id = options.run_id.clone().unwrap_or_else(generate_run_id);
        let transport = ready.inspect_err(|e| {
            status_log(
                log::Level::Error,
                &run_id,
                Phase::Start,
                PhaseStatus::Failed.as_str(),
                &e.to_string(),
            );
        })?;
        status_log(
            log::Level::Info,
            &run_id,
            Phase::Start,
            PhaseStatus::Ok.as_str(),
            &format!(
                "env {}, triggered by {}",
                options.run_env, options.triggered_by
            ),
        );
        let mut run = Run {
            options,
            report: summary::empty_report(&run_id, options, started_at),
            record: None,
            transport,
            ahead: None,
        };
        let at = |step| move |source| PipelineError::Query { step, source };
        if !options.ignore_skip_flag && skip_flag_set(conn).map_err(at("reading system_config"))? {
            run.skip(conn)?;
            return Ok(run);
        }
        if options.dry_run {
            return Ok(run);
        }
        run.report.interrupted_runs =
            mark_interrupted(conn).map_err(at("checking for interrupted runs"))?;
        let values = summary::row_values(&run.report, OverallStatus::Running, None);
        let record = RunRecord::start(conn, &values).map_err(|source| PipelineError::Summary {
            run_id: run_id.clone(),
            source,
        })?;
        run.record = Some(record);
        Ok(run)
    }

    /// D18: records a `skipped` row and ends the run.
    fn skip(&mut self, conn: &mut PgConnection) -> Result<(), PipelineError> {
        let msg = "system_config skip_lead_assignment is 'true': lead assignment skipped (run --ignore-skip-flag overrides)";
        self.phase(Phase::Start, PhaseStatus::Skipped, 0, msg);
        self.report.overall_status = OverallStatus::Skipped;
        self.report.summary_text = format!("Leads assignment run {}: {msg}", self.report.run_id);
        self.report.finished_at = Utc::now();
        if !self.options.dry_run {
            let values = summary::row_values(&self.report, OverallStatus::Skipped, None);
            RunRecord::start(conn, &values).map_err(|source| PipelineError::Summary {
                run_id: self.report.run_id.clone(),
                source,
            })?;
        }
        Ok(())
    }

    fn phase(&mut self, phase: Phase, status: PhaseStatus, duration_ms: u128, message: &str) {
        status_log(
            status.level(),
            &self.report.run_id,
            phase,
            status.as_str(),
            message,
        );
        self.report.phases.push(PhaseReport {
            phase,
            status,
            duration_ms,
            message: message.into(),
        });
    }

    /// D29: the reply mailbox first, so today's outcomes are in before the
    /// summary. A mailbox that cannot be read is a warning, not a failure.
    fn collect(&mut self, conn: &mut PgConnection) {
        let Some(imap) = &self.options.collect else {
            return;
        };
        let t = Instant::now();
        let options = la_collect::CollectOptions {
            imap: imap.clone(),
            from: self.options.from.clone(),
            dry_run: self.options.dry_run,
            max_file_bytes: la_pdf::ingest::DEFAULT_MAX_FILE_BYTES,
            run_id: self.report.run_id.clone(),
            ingested_by: format!("run {}", self.report.run_id),
        };
        match la_collect::collect(conn, &options, self.transport.as_mut()) {
            Ok(r) => {
                let returned = summary::returned_sheets(&r);
                let msg = format!("mailbox: {}", r.line());
                self.report.returned = returned;
                let status = if self.report.returned.strangers.is_empty() {
                    PhaseStatus::Ok
                } else {
                    PhaseStatus::Warning
                };
                self.phase(Phase::Collect, status, t.elapsed().as_millis(), &msg);
            }
            Err(e) => {
                let msg = format!("the reply mailbox was not read: {e}");
                self.phase(
                    Phase::Collect,
                    PhaseStatus::Warning,
                    t.elapsed().as_millis(),
                    &msg,
                );
            }
        }
    }

    /// D14: sheets and emails that earlier batches of the last 7 days still owe.
    fn finish_earlier_batches(&mut self, conn: &mut PgConnection) {
        if self.options.dry_run {
            return;
        }
        let t = Instant::now();
        let run_id = self.report.run_id.clone();
        match finish_with(conn, self.options, self.transport.as_mut(), Some(&run_id)) {
            Ok(batches) if batches.is_empty() => {}
            Ok(batches) => {
                let msg = summary::finished_batches_line(&batches);
                // A batch whose emails this run may not send is a warning,
                // not a failure of this run (docs/decisions.md D13).
                let failed = batches.iter().any(|b| !b.done && b.emails_left.is_none());
                let waiting = batches.iter().any(|b| b.emails_left.is_some());
                self.report.finished_batches = batches;
                let status = if failed {
                    PhaseStatus::Failed
                } else if waiting {
                    PhaseStatus::Warning
                } else {
                    PhaseStatus::Ok
                };
                self.phase(Phase::Finish, status, t.elapsed().as_millis(), &msg);
                self.add_commands_for_unfinished();
            }
            Err(e) => {
                let msg = format!("checking earlier batches failed: {e}");
                self.phase(
                    Phase::Finish,
                    PhaseStatus::Warning,
                    t.elapsed().as_millis(),
                    &msg,
                );
            }
        }
    }

    /// The commands that finish the earlier batches still unfinished: part
    /// of this run's finish commands when finishing failed, or only named
    /// (`later_commands`) when this run may not send their emails.
    fn add_commands_for_unfinished(&mut self) {
        let root = self.options.reports_root.clone();
        let mut commands = Vec::new();
        let mut later = Vec::new();
        for b in self.report.finished_batches.iter().filter(|b| !b.done) {
            let sheets = !b.sheet_failures.is_empty() || b.error.is_some();
            if sheets {
                commands.push(FinishCommand::pdf(b.batch_id, &root));
            }
            let notify = FinishCommand::notify(b.batch_id, b.run_env, &root);
            if b.emails_left.is_some() && !sheets {
                later.push(notify);
            } else {
                commands.push(notify);
            }
        }
        for c in commands {
            self.report.add_finish_command(c);
        }
        self.report.later_commands.extend(later);
    }

    fn assign(&mut self, conn: &mut PgConnection) -> Result<(), PipelineError> {
        let t = Instant::now();
        let assign_options = AssignOptions {
            triggered_by: self.options.triggered_by.clone(),
            run_id: Some(self.report.run_id.clone()),
            dry_run: self.options.dry_run,
            timezone: self.options.timezone.clone(),
            delivery_transport: Some(self.transport.kind()),
            delivery_env: Some(self.options.run_env),
        };
        // docs/decisions.md D23: the sheets are rendered while the batch is
        // still open; without the key they are simply written afterwards.
        let mut ahead = (!self.options.dry_run)
            .then(|| {
                la_pdf::SheetKey::load(conn)
                    .ok()
                    .zip(StoreNames::load(conn).ok())
            })
            .flatten()
            .map(|(key, names)| SheetsAhead::new(&self.options.reports_root, key, names));
        let result = match ahead.as_mut() {
            Some(a) => la_assign::run_leads_assignment_observed(conn, &assign_options, a),
            None => run_leads_assignment(conn, &assign_options),
        };
        match result {
            Ok(assignment) => {
                self.ahead = ahead;
                let msg = summary::assign_line(&assignment);
                self.log_assignment(&assignment);
                self.report.batch_id = assignment.batch_id;
                self.report.batch_date = Some(assignment.batch_date);
                self.report.assignment = assignment;
                self.phase(
                    Phase::Assign,
                    PhaseStatus::Ok,
                    t.elapsed().as_millis(),
                    &msg,
                );
                Ok(())
            }
            Err(source) => {
                let msg = with_obstacle(conn, source.to_string());
                self.phase(
                    Phase::Assign,
                    PhaseStatus::Failed,
                    t.elapsed().as_millis(),
                    &msg,
                );
                self.report.overall_status = OverallStatus::Failed;
                self.report.summary_text =
                    format!("Leads assignment run {} failed: {msg}", self.report.run_id);
                self.write_row(conn);
                Err(PipelineError::Assign {
                    run_id: self.report.run_id.clone(),
                    source,
                })
            }
        }
    }

    fn log_assignment(&self, assignment: &AssignmentReport) {
        let run_id = &self.report.run_id;
        if let Ok(json) = serde_json::to_string(assignment) {
            log::debug!(target: PIPELINE_NAME, pipeline = PIPELINE_NAME, run_id = run_id.as_str(), phase = Phase::Assign.as_str(), status = "report"; "{json}");
        }
        let warn = |msg: &str| {
            status_log(
                log::Level::Warn,
                run_id,
                Phase::Assign,
                PhaseStatus::Warning.as_str(),
                msg,
            )
        };
        for s in &assignment.skipped_agents {
            warn(&format!(
                "store {}: agent {} skipped: {}",
                s.store_code, s.agent_id, s.reason
            ));
        }
        if !assignment.repaired_flags.is_empty() {
            warn(&summary::repaired_line(assignment));
        }
    }

    /// The batch to write sheets and emails for, when this run committed one
    /// with assignments.
    fn committed_batch(&mut self) -> Option<i64> {
        match self.report.batch_id {
            Some(b) if self.report.assignment.assigned > 0 => Some(b),
            _ => {
                let why = if self.options.dry_run {
                    "dry run: nothing kept"
                } else {
                    "nothing to assign: no sheets, no emails"
                };
                status_log(
                    log::Level::Info,
                    &self.report.run_id,
                    Phase::Done,
                    PhaseStatus::Ok.as_str(),
                    why,
                );
                None
            }
        }
    }

    fn sheets(&mut self, conn: &mut PgConnection, batch_id: i64) {
        let t = Instant::now();
        let pdf_options = PdfOptions {
            reports_root: self.options.reports_root.clone(),
            progress: self
                .options
                .progress
                .as_ref()
                .map(|p| p.for_phase("sheets")),
            only_missing: false,
        };
        let written = match self.ahead.take() {
            Some(ahead) => ahead.renderer.finish(conn, batch_id, &pdf_options),
            None => generate_sheets(conn, batch_id, &pdf_options),
        };
        let (status, msg) = match written {
            Ok(done) => {
                self.report.sheets = done;
                // docs/decisions.md D24: a lead drawn with placeholders is a warning.
                let status = if self.report.unreadable_leads() > 0 {
                    PhaseStatus::Warning
                } else {
                    PhaseStatus::Ok
                };
                (
                    status,
                    summary::sheets_line(&self.report, &self.options.reports_root),
                )
            }
            Err(PdfError::Sheets { done, failed, .. }) => {
                let waited = failed.iter().any(|f| is_wait_timeout(&f.reason));
                self.report.sheets = done;
                self.report.sheet_failures = failed;
                let mut line = summary::sheets_line(&self.report, &self.options.reports_root);
                if waited {
                    line = format!("{line}; {}", la_schema::blocking::explain(conn));
                }
                (PhaseStatus::Failed, line)
            }
            Err(e) => (PhaseStatus::Failed, with_obstacle(conn, e.to_string())),
        };
        if status == PhaseStatus::Failed {
            let root = self.options.reports_root.clone();
            self.report
                .add_finish_command(FinishCommand::pdf(batch_id, &root));
        }
        self.phase(Phase::Sheets, status, t.elapsed().as_millis(), &msg);
    }

    fn emails(&mut self, conn: &mut PgConnection, batch_id: i64) {
        let t = Instant::now();
        let root = self.options.reports_root.clone();
        let resend = FinishCommand::notify(batch_id, self.options.run_env, &root);
        if let EmailDelivery::Outbox(dir) = &self.options.email {
            log::warn!(target: PIPELINE_NAME, "no SMTP host configured: emails are written to {} and nothing is sent", dir.display());
        }
        let sheets_failed = self.report.partly_done();
        let mut finish: Vec<String> = self
            .report
            .finish_commands
            .iter()
            .map(ToString::to_string)
            .collect();
        if sheets_failed && self.transport.kind() != la_notify::TransportKind::Disabled {
            finish.push(resend.to_string());
        }
        let notify_options = NotifyOptions {
            run_env: self.options.run_env,
            run_id: Some(self.report.run_id.clone()),
            from: self.options.from.clone(),
            store_diagnostics: Some(store_diagnostics(&self.report)),
            progress: self
                .options
                .progress
                .as_ref()
                .map(|p| p.for_phase("emails")),
            select: la_notify::Selection::Undelivered,
            finish_commands: finish,
            resend_command: Some(resend.to_string()),
            outstanding_after_days: self.options.outstanding_after_days,
            returned: summary::returned_parts(&self.report.returned),
        };
        let (status, msg) =
            match send_for_batch(conn, batch_id, &notify_options, self.transport.as_mut()) {
                Ok(n) => {
                    let status = if n.failed() + n.not_attempted() > 0 {
                        PhaseStatus::Failed
                    } else if n.without_recipients() > 0 || !n.warnings.is_empty() {
                        PhaseStatus::Warning
                    } else if n.transport_kind == la_notify::TransportKind::Disabled {
                        PhaseStatus::Skipped
                    } else {
                        PhaseStatus::Ok
                    };
                    let msg = format!("emails: {} via {}", n.tally(), n.transport);
                    self.report.notify = Some(n);
                    (status, msg)
                }
                Err(e) => (PhaseStatus::Failed, with_obstacle(conn, e.to_string())),
            };
        // A run without email never owes its own emails: `notify` stays
        // available, but it is not a command that finishes this run.
        let disabled = self.transport.kind() == la_notify::TransportKind::Disabled;
        if (status == PhaseStatus::Failed || sheets_failed) && !disabled {
            self.report.add_finish_command(resend);
        }
        self.phase(Phase::Notify, status, t.elapsed().as_millis(), &msg);
    }

    /// Computes the overall status and text, and completes the summary row.
    /// A row that cannot be written makes a committed run partly done.
    fn complete(mut self, conn: &mut PgConnection) -> PipelineReport {
        summary::conclude(&mut self.report);
        status_log(
            if self.report.overall_status == OverallStatus::Failed {
                log::Level::Error
            } else {
                log::Level::Info
            },
            &self.report.run_id,
            Phase::Done,
            self.report.overall_status.as_str(),
            &self.report.summary_text,
        );
        self.write_row(conn);
        self.report
    }

    fn write_row(&mut self, conn: &mut PgConnection) {
        let Some(record) = &self.record else {
            return;
        };
        let values = summary::row_values(
            &self.report,
            self.report.overall_status,
            Some(summary::metrics(&self.report)),
        );
        if let Err(e) = record.complete(conn, &values) {
            let msg = format!("completing the pipeline_run_summaries row failed (the next run marks it interrupted): {e}");
            self.phase(Phase::Summary, PhaseStatus::Failed, 0, &msg);
            if let Some(batch_id) = self.report.batch_id {
                let root = self.options.reports_root.clone();
                let env = self.options.run_env;
                self.report
                    .add_finish_command(FinishCommand::notify(batch_id, env, &root));
                self.report.overall_status = OverallStatus::Failed;
            }
        }
    }
}

/// `msg` and, when it is a wait on the database that ran out, who is in the
/// way right now (docs/decisions.md D28).
fn with_obstacle(conn: &mut PgConnection, msg: String) -> String {
    if !is_wait_timeout(&msg) {
        return msg;
    }
    format!("{msg}; {}", la_schema::blocking::explain(conn))
}

/// Summary-email lines: every store of the run with what it got and, in the
/// run report's words, why not more (no re-reading of the leads), and how
/// many of its leads the sheets could not draw fully.
fn store_diagnostics(report: &PipelineReport) -> Vec<StoreDiagnostic> {
    let assignment = &report.assignment;
    let mut out: Vec<StoreDiagnostic> = assignment
        .stores
        .iter()
        .map(|s| StoreDiagnostic {
            store_code: s.store_code.clone(),
            store_name: None,
            assigned: i64::from(s.assigned_existing + s.assigned_new),
            reasons: summary::left_reasons(s),
        })
        .collect();
    for sk in &assignment.skipped_agents {
        if let Some(d) = out.iter_mut().find(|d| d.store_code == sk.store_code) {
            d.reasons
                .push(format!("agent {} skipped: {}", sk.agent_id, sk.reason));
        }
    }
    for d in &mut out {
        let n: usize = (report.sheets.iter())
            .filter(|s| s.store_code == d.store_code)
            .map(|s| s.unreadable_leads)
            .sum();
        d.reasons.extend(summary::unreadable_words(n));
    }
    out
}
