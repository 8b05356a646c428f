//! Emails for a batch through the existing notification tables (docs/decisions.md S3, S5
//! rule 6, D11–D13, D17). It owns resolving the profile, templates
//! and recipients ([`resolve`]), planning which emails go where (pure,
//! [`plan`]), rendering them with minijinja ([`render`]), the transports
//! (SMTP, `.eml` outbox, memory; [`transport`]) and [`send_for_batch`], which
//! works for any past batch and never retries.
//!
//! API: [`send_for_batch`] with a [`Selection`], [`owed_emails`], the
//! transports ([`Transport`], [`SmtpTransport`], [`FileOutbox`],
//! [`MemoryTransport`], [`DisabledTransport`]), [`resolve`], [`ledger`] (what
//! a batch owes), [`receipt`] (a returned sheet's answer); [`plan`] and
//! [`render`] are public for diagnostics and tests of the wording.

mod headers;
pub mod ledger;
pub mod plan;
pub mod receipt;
pub mod render;
pub mod resolve;
mod send;
pub mod transport;

pub use plan::{EmailKey, EmailKind, PlannedEmail, StoreDiagnostic};
pub use resolve::RunEnv;
pub use send::{
    owed_emails, send_for_batch, EmailReport, EmailResult, NotifyError, NotifyOptions,
    NotifyReport, Selection, Tally,
};
pub use transport::{
    DisabledTransport, FileOutbox, MemoryTransport, SmtpConfig, SmtpTransport, Transport,
    TransportError, TransportKind,
};
#[cfg(feature = "testing")]
pub mod testing;
