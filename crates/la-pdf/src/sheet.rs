//! What a sheet is made of, before and after rendering: its header, its
//! leads, the rendered bytes, and why rendering may fail. Shared by the
//! renderer, the fonts it embeds, the frame, the sheet files and the
//! registry, so none of them imports the renderer for them.

use chrono::NaiveDate;

/// The sheet's identity, printed in every page's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetHeader {
    pub page_group_code: String,
    pub agent_code: String,
    pub agent_name: String,
    pub store_code: String,
    pub store_name: Option<String>,
    pub batch_id: i64,
    pub batch_date: NaiveDate,
}

/// One lead (Row 1 data; Row 2 is the blank input row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    pub rowid: i32,
    pub lead_assignment_code: String,
    pub lead_date: Option<NaiveDate>,
    pub lead_type: Option<String>,
    pub mobile_number: String,
    pub cx_name: Option<String>,
    pub address: Option<String>,
    pub lead_source: Option<String>,
}

/// A sheet to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub header: SheetHeader,
    pub rows: Vec<SheetRow>,
    /// The signed identity (docs/decisions.md D22), carried in a hidden,
    /// read-only form field; `None` renders a sheet without one.
    pub identity: Option<String>,
}

/// The rendered bytes and what the renderer noticed.
#[derive(Debug, Clone)]
pub struct RenderedSheet {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Per lead code, the characters the font lacks (drawn as placeholders).
    pub missing_glyphs: Vec<(String, Vec<char>)>,
}

/// Why a sheet could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The embedded font could not be read or subset.
    #[error("sheet font: {0}")]
    Font(String),
    /// The file could not be assembled (a bug, reported rather than panicking).
    #[error("assembling the sheet's file: {0}")]
    Pack(String),
    /// A lead code cannot name a form field.
    #[error("lead_assignment_code {0:?} cannot name a form field (it contains '.')")]
    FieldName(String),
}
