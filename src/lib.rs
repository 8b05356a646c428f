//! The `leads-assignment` facade: one dependency for a host pipeline. It owns
//! the pipeline runner ([`run_pipeline`]: assign → sheets → emails, status
//! logs, the `pipeline_run_summaries` row) and the per-store diagnostics
//! ([`diagnose`]), and re-exports the pipeline's crates — [`schema`] (tables,
//! migrations, connections), [`assign`] (the engine and its persistence),
//! [`pdf`] (agent sheets and outcome ingestion), [`notify`] (emails).
//!
//! API for a host: [`run_pipeline`] with [`PipelineOptions`] (built from
//! the environment by [`PipelineOptions::from_env`] and
//! [`EmailDelivery::from_env`], as the CLI does), the [`PipelineReport`] it
//! returns and its sentences; [`unfinished_batches`] and [`finish_unfinished`];
//! [`diagnose`]; the re-exported crates for anything finer. Everything else is
//! how the runner works and is `pub(crate)`.

mod ahead;
pub mod diagnose;
pub mod env;
mod finish;
mod options;
mod report;
mod run_record;
mod runner;
mod summary;

pub use diesel;
pub use la_assign as assign;
pub use la_collect as collect;
pub use la_notify as notify;
pub use la_pdf as pdf;
pub use la_report as outcomes;
pub use la_schema as schema;

pub use diagnose::{diagnose, DiagnoseError, DiagnoseOptions, StoreDiagnosis};
pub use env::{ConfigError, Vars};
pub use finish::{
    finish_unfinished, sent_to_new_recipients, unfinished_batches, waiting_for_new_recipients,
    FinishedBatch, UnfinishedBatch, FINISH_WINDOW_DAYS,
};
pub use la_notify::RunEnv;
pub use options::{
    transport_for, EmailDelivery, PhaseProgress, PipelineError, PipelineOptions, DEFAULT_SENDER,
};
pub use report::{
    shell_quote, FinishCommand, OverallStatus, Phase, PhaseReport, PhaseStatus, PipelineReport,
    BINARY,
};
pub use runner::{generate_run_id, run_pipeline, run_pipeline_with, PIPELINE_NAME};
pub use summary::{
    finished_batches_line, later_line, left_reasons, returned_line, unreadable_line,
};
