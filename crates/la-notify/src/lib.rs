//! Emails for a batch through the existing notification tables (spec §3, §5
//! rule 6; DESIGN.md §3 items 11–12). It owns resolving the profile, templates
//! and recipients ([`resolve`]), planning which emails go where (pure,
//! [`plan`]), rendering them with minijinja ([`render`]), the transports
//! (SMTP, `.eml` outbox, memory; [`transport`]) and [`send_for_batch`], which
//! works for any past batch and never retries.

pub mod plan;
pub mod render;
pub mod resolve;
mod send;
pub mod transport;

pub use plan::{EmailKind, PlannedEmail, StoreDiagnostic};
pub use send::{
    send_for_batch, EmailReport, EmailResult, NotifyError, NotifyOptions, NotifyReport,
};
pub use transport::{FileOutbox, MemoryTransport, SmtpConfig, SmtpTransport, Transport};
#[cfg(feature = "testing")]
pub mod testing;
