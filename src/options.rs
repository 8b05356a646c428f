//! How a run is configured: its options, how its emails go (and the
//! transport for that), the sender's checks, and why a run refuses to start
//! or fails before its commit. Shared by the runner, the finisher and the
//! environment reader, so none of them imports another for these.

use std::path::PathBuf;

use la_assign::AssignError;
use la_notify::{DisabledTransport, FileOutbox, RunEnv, SmtpConfig, SmtpTransport, Transport};
use la_pdf::Progress;

/// Where emails go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailDelivery {
    /// No emails at all (`--no-email`); the ledger records them `skipped`.
    Disabled,
    /// Through an SMTP server.
    Smtp(SmtpConfig),
    /// `.eml` files in this folder; nothing is sent (docs/decisions.md D11).
    Outbox(PathBuf),
}

impl EmailDelivery {
    /// D11: env `prod` without SMTP refuses to start unless email is
    /// explicitly disabled. The one place this rule lives.
    pub fn check_env(&self, run_env: RunEnv) -> Result<(), String> {
        if run_env == RunEnv::Prod && matches!(self, EmailDelivery::Outbox(_)) {
            return Err("env prod needs an SMTP host (REPORT_EMAIL_SMTP_HOST) or email explicitly disabled (--no-email); nothing was written".into());
        }
        Ok(())
    }

    /// One line for logs and reports.
    pub fn describe(&self) -> String {
        match self {
            EmailDelivery::Disabled => "disabled".into(),
            EmailDelivery::Smtp(c) => format!("SMTP {}:{}", c.host, c.port),
            EmailDelivery::Outbox(dir) => {
                format!("the outbox folder {} (nothing is sent)", dir.display())
            }
        }
    }
}

/// The transport for a delivery setting; SMTP settings are checked here.
pub fn transport_for(email: &EmailDelivery) -> Result<Box<dyn Transport>, PipelineError> {
    Ok(match email {
        EmailDelivery::Disabled => Box::new(DisabledTransport),
        EmailDelivery::Smtp(cfg) => {
            Box::new(SmtpTransport::new(cfg).map_err(|e| PipelineError::Config(e.to_string()))?)
        }
        EmailDelivery::Outbox(dir) => Box::new(FileOutbox::new(dir.clone())),
    })
}

/// How to run the pipeline. Configuration enters here as plain values; the
/// library reads no environment.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Selects notification profiles and recipients.
    pub run_env: RunEnv,
    /// Generated when None ([`crate::generate_run_id`]: `la-{YYYYMMDDHHMMSSmmm}-{pid}`).
    pub run_id: Option<String>,
    /// E.g. `manual`, `cli`, `pipeline:single_session`.
    pub triggered_by: String,
    /// Plan and report, keep nothing (no batch, no sheets, no emails, no summary row).
    pub dry_run: bool,
    /// Run even when `system_config.skip_lead_assignment` is `'true'`.
    pub ignore_skip_flag: bool,
    /// Root of the reports tree (sheets, outbox).
    pub reports_root: PathBuf,
    /// Session time zone for the business date, e.g. `Asia/Kolkata`.
    pub timezone: Option<String>,
    pub email: EmailDelivery,
    /// Sender mailbox.
    pub from: String,
    /// Progress of the sheet and email phases: (phase, done, total).
    pub progress: Option<PhaseProgress>,
    /// The summary email lists sheets without any outcome this many days
    /// after their batch (None: 2 days).
    pub outstanding_after_days: Option<u32>,
    /// The reply mailbox, read first when set (docs/decisions.md D29).
    pub collect: Option<la_collect::ImapConfig>,
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
    /// What a run checks before anything is written, and the run's one
    /// transport: the sender; unless a dry run, which sends nothing,
    /// docs/decisions.md D11 (prod sends by SMTP, with a real sender).
    /// [`crate::run_pipeline`] starts with it; a caller that refuses before
    /// it connects calls it and passes the transport to
    /// [`crate::run_pipeline_with`].
    pub fn ready(&self) -> Result<Box<dyn Transport>, PipelineError> {
        check_sender(&self.from).map_err(PipelineError::Config)?;
        if !self.dry_run {
            self.email
                .check_env(self.run_env)
                .map_err(PipelineError::Config)?;
            check_sender_for(&self.email, self.run_env, &self.from)
                .map_err(PipelineError::Config)?;
        }
        transport_for(&self.email)
    }

    /// Defaults for env `env`: outbox under `./reports`, triggered by `manual`.
    pub fn new(env: RunEnv) -> PipelineOptions {
        let reports_root = PathBuf::from("reports");
        PipelineOptions {
            run_env: env,
            run_id: None,
            triggered_by: "manual".into(),
            dry_run: false,
            ignore_skip_flag: false,
            email: EmailDelivery::Outbox(default_outbox(&reports_root)),
            reports_root,
            timezone: None,
            from: DEFAULT_SENDER.into(),
            progress: None,
            outstanding_after_days: None,
            collect: None,
        }
    }
}

/// The outbox folder under a reports root.
pub(crate) fn default_outbox(reports_root: &std::path::Path) -> PathBuf {
    la_pdf::ReportsLayout::new(reports_root).outbox_dir()
}

/// Why a run failed before its assignments were committed: nothing was
/// assigned. (After the commit nothing fails the run as a whole: the report
/// is partly done and says how to finish.)
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Refused to start; nothing was written.
    #[error("refusing to start: {0}")]
    Config(String),
    /// The assignment failed and was rolled back.
    #[error("run {run_id}: {source}")]
    Assign { run_id: String, source: AssignError },
    /// Recording the start of the run failed; nothing was assigned.
    #[error("run {run_id}: writing pipeline_run_summaries: {source}")]
    Summary {
        run_id: String,
        source: diesel::result::Error,
    },
    /// A query outside the phases failed.
    #[error("{step}: {source}")]
    Query {
        step: &'static str,
        source: diesel::result::Error,
    },
    /// Reading what the batches' emails owe failed.
    #[error("{0}")]
    Notify(String),
}

/// The sender when `REPORT_EMAIL_FROM` is not set: a syntactically real
/// domain that delivers nowhere, never `@localhost` (docs/decisions.md D11).
pub const DEFAULT_SENDER: &str = "Leads Assignment <leads-assignment@example.invalid>";

/// In env `prod`, SMTP needs a real sender: the default is refused there.
pub(crate) fn check_sender_for(
    email: &EmailDelivery,
    run_env: RunEnv,
    from: &str,
) -> Result<(), String> {
    if run_env == RunEnv::Prod && matches!(email, EmailDelivery::Smtp(_)) && from == DEFAULT_SENDER
    {
        return Err("env prod sends by SMTP and needs a sender: set REPORT_EMAIL_FROM (e.g. \"Leads Desk <leads@your-domain>\"); nothing was written".into());
    }
    Ok(())
}

/// The sender must be a mailbox (`Name <addr@host>` or `addr@host`).
pub(crate) fn check_sender(from: &str) -> Result<(), String> {
    from.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| {
            format!("sender address {from:?} (REPORT_EMAIL_FROM) is not an email address: {e}")
        })
}
