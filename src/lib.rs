//! The `leads-assignment` facade: one dependency for a host pipeline. It
//! re-exports the pipeline's crates — [`schema`] (tables, migrations,
//! connections), [`assign`] (the engine and its persistence), [`pdf`] (agent
//! sheets and outcome ingestion), [`notify`] (emails) — and will own the runner
//! that chains assign → sheets → emails.

pub use la_assign as assign;
pub use la_notify as notify;
pub use la_pdf as pdf;
pub use la_schema as schema;
