//! Emails for a batch through the existing notification tables (spec §3, §5
//! rule 6; docs/decisions.md D11–D13, D17). It owns resolving the profile, templates
//! and recipients ([`resolve`]), planning which emails go where (pure,
//! [`plan`]), rendering them with minijinja ([`render`]), the transports
//! (SMTP, `.eml` outbox, memory; [`transport`]) and [`send_for_batch`], which
//! works for any past batch and never retries.

pub mod ledger;
pub mod plan;
pub mod render;
pub mod resolve;
mod send;
pub mod transport;

pub use plan::{EmailKey, EmailKind, PlannedEmail, StoreDiagnostic};
pub use send::{
    facts_from_sheets, owed_emails, send_for_batch, EmailReport, EmailResult, NotifyError,
    NotifyOptions, NotifyReport, Selection, Tally,
};
pub use transport::{
    DisabledTransport, FileOutbox, MemoryTransport, SmtpConfig, SmtpTransport, Transport,
    TransportError, TransportKind,
};
#[cfg(feature = "testing")]
pub mod testing;
