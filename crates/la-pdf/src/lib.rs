//! Agent sheets: everything about the PDF files. It owns the sheet layout
//! ([`layout`]), rendering in-memory rows to PDF bytes ([`render`], pure),
//! writing a batch's sheets to disk with their `documents` rows
//! ([`generate_pdfs_for_batch`]), and reading filled sheets back into
//! `lead_assignment_outcomes` ([`ingest`]). docs/decisions.md S2.8, S4.2,
//! D9, D10, D15.
//!
//! API: [`generate_pdfs_for_batch`], [`generate_sheets`], [`batch_sheets`],
//! [`render_sheet`] (pure) and [`Prerender`]; reading returns:
//! [`ingest_outcomes`], [`ingest_files`], [`ingest_bytes`], [`parse_sheet`]
//! with [`ingest_parsed`]; [`ReportsLayout`] and the file helpers; [`layout`]
//! (the geometry tests and benchmarks measure) and [`identity`]. Shaping,
//! fonts, drawing and packing are private.

mod draw;
mod embed;
pub mod files;
mod fonts;
mod frame;
pub mod identity;
pub mod ingest;
pub mod layout;
mod pack;
mod prerender;
mod registry;
pub mod render;
mod sheet;
mod sheets;
mod sql;
mod text;

pub use files::{file_part, sanitize, write_file_atomically, ReportsLayout, StagedFile};
pub use identity::{IdentityError, SheetIdentity, SheetKey, IDENTITY_FIELD};
pub use ingest::{
    ingest_bytes, ingest_files, ingest_outcomes, ingest_parsed, parse_sheet, Change, IdentityCheck,
    IngestError, IngestOptions, IngestReport, MessageSource, ParsedSheet, Problem, SheetOf,
};
pub use prerender::Prerender;
pub use render::render_sheet;
pub use sheet::{RenderError, RenderedSheet, Sheet, SheetHeader, SheetRow};
pub use sheets::{
    batch_sheets, generate_pdfs_for_batch, generate_sheets, ExpectedSheet, PdfError, PdfOptions,
    Progress, SheetFailure, SheetOutcome, SheetState, StoreNames,
};

pub use layout::{FieldId, InputField, InputKind, FIELD_NAMES};

/// `documents` conventions for sheets (docs/decisions.md S2.8).
pub mod conventions {
    /// `doc_type`.
    pub(crate) const DOC_TYPE: &str = la_schema::PIPELINE;
    /// `doc_subtype`.
    pub(crate) const DOC_SUBTYPE: &str = "per_store_agent_pdf";
    /// `created_by`.
    pub(crate) const CREATED_BY: &str = "leads_assignment_pipeline";
    /// `mime_type`.
    pub(crate) const MIME_TYPE: &str = "application/pdf";
}
