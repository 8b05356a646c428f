//! What came of the assigned leads (docs/decisions.md D21): per agent, store,
//! store and agent, lead type or day, from the assignment, batch and outcome
//! tables alone. [`queries`] holds the typed queries (usable by a host
//! pipeline), [`columns`] the one definition of each column, [`format`] CSV
//! and JSON, [`html`] a self-contained page with SVG charts.
//!
//! API: [`report`], [`outstanding_sheets`], [`unknown_stores`] with their
//! filters and rows, [`Column`] for any output, [`format`] and [`HtmlReport`].

pub mod columns;
pub mod format;
pub mod html;
pub mod queries;

pub use columns::{Column, Value};
pub use format::FormatError;
pub use html::HtmlReport;
pub use queries::{
    outstanding_sheets, report, unknown_stores, GroupBy, OutstandingFilter, OutstandingSheet,
    ReportFilter, ReportRow, DEFAULT_OUTSTANDING_DAYS,
};
