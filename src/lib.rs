//! The `leads-assignment` facade: one dependency for a host pipeline. It owns
//! the pipeline runner ([`run_pipeline`]: assign → sheets → emails, status
//! logs, the `pipeline_run_summaries` row) and the per-store diagnostics
//! ([`diagnose`]), and re-exports the pipeline's crates — [`schema`] (tables,
//! migrations, connections), [`assign`] (the engine and its persistence),
//! [`pdf`] (agent sheets and outcome ingestion), [`notify`] (emails).

pub mod diagnose;
mod runner;

pub use diesel;
pub use la_assign as assign;
pub use la_notify as notify;
pub use la_pdf as pdf;
pub use la_schema as schema;

pub use diagnose::{diagnose, DiagnoseError, DiagnoseOptions, StoreDiagnosis};
pub use runner::{
    default_outbox, generate_run_id, run_pipeline, EmailDelivery, OverallStatus, PhaseProgress,
    PhaseReport, PipelineError, PipelineOptions, PipelineReport, PIPELINE_NAME,
};
