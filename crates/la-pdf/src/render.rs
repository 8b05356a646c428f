//! Rendering a sheet: a pure function from in-memory rows to PDF bytes
//! (pdf-writer, written step by step). No database, no files.

use chrono::NaiveDate;
use pdf_writer::types::{AnnotationFlags, FieldFlags, FieldType};
use pdf_writer::writers::{Catalog, DocumentInfo};
use pdf_writer::{Chunk, Content, Filter, Finish, Name, Rect, Ref, Str, TextStr};

use crate::embed::{self, FontRefs, FormFontRefs};
use crate::fonts::FontId;
use crate::layout::*;
use crate::pack::Objects;
use crate::text::{Laid, Line, Shaper};

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

const AP_CONTENT: &[u8] = b"/Tx BMC EMC";
/// The form's default appearance: typed values in the form font.
const FORM_DA: &[u8] = b"/LAF 8 Tf 0 g";
const FORM_FONT: Name<'static> = Name(b"LAF");
/// Each font's resource name, by [`FontId`].
const FONT_NAMES: [&[u8]; 11] = [
    b"F1", b"F2", b"F3", b"F4", b"F5", b"F6", b"F7", b"F8", b"F9", b"F10", b"F11",
];

struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// Text pieces of one page, positioned, and the fonts they use.
struct PageText {
    content: Content,
    font: Option<(FontId, f32)>,
    buf: Vec<u8>,
    fonts: [bool; 11],
}

impl PageText {
    fn new() -> PageText {
        let mut content = Content::new();
        content.begin_text();
        PageText {
            content,
            font: None,
            buf: Vec::new(),
            fonts: [false; 11],
        }
    }

    /// A laid-out cell, its first line's baseline at `y`, each further
    /// line `step` lower; right-to-left text is set flush right in `width`.
    fn show(&mut self, laid: &Laid, size: f32, (x, y): (f32, f32), width: f32, step: f32) {
        for (i, line) in laid.lines.iter().enumerate() {
            if laid.needs_actual_text {
                // The whole text on the first line, nothing on the others:
                // the cell extracts as it is stored (docs/decisions.md D24).
                let text = if i == 0 { laid.text.as_str() } else { "" };
                self.content
                    .begin_marked_content_with_properties(Name(b"Span"))
                    .properties()
                    .actual_text(TextStr(text));
            }
            let left = if laid.right_to_left {
                x + width - line.width
            } else {
                x
            };
            self.line(line, size, left, y - i as f32 * step);
            if laid.needs_actual_text {
                self.content.end_marked_content();
            }
        }
    }

    /// One line: each run of natural glyphs shown at once, any other glyph
    /// placed on its own.
    fn line(&mut self, line: &Line, size: f32, x: f32, y: f32) {
        let mut pen = x;
        for run in &line.runs {
            if self.font != Some((run.font, size)) {
                self.content
                    .set_font(Name(FONT_NAMES[run.font as usize]), size);
                self.font = Some((run.font, size));
                self.fonts[run.font as usize] = true;
            }
            let mut glyphs = run.glyphs.iter().peekable();
            while let Some(first) = glyphs.next() {
                self.content
                    .set_text_matrix([1.0, 0.0, 0.0, 1.0, pen + first.dx, y + first.dy]);
                self.buf.clear();
                self.buf.extend(first.gid.to_be_bytes());
                pen += first.advance;
                while let Some(g) = glyphs.next_if(|g| first.natural && g.natural) {
                    self.buf.extend(g.gid.to_be_bytes());
                    pen += g.advance;
                }
                self.content.show(Str(&self.buf));
            }
        }
    }
}

pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    thread_local! {
        // One deflate state per thread, reset between streams: a sheet has
        // dozens of streams, and a fresh state costs more than a small one.
        static DEFLATE: std::cell::RefCell<flate2::Compress> =
            std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), true));
    }
    DEFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset();
        let mut out = Vec::with_capacity(data.len() / 3 + 64);
        loop {
            let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
            let rest = data.get(consumed..).unwrap_or_default();
            match z.compress_vec(rest, &mut out, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => break,
                // More room needed: grow and go on.
                Ok(_) => out.reserve(out.capacity().max(64)),
                // Deflating into memory does not fail; were it to, the
                // stream is stored uncompressed instead of being cut short.
                Err(_) => return stored(data),
            }
        }
        out
    })
}

/// `data` as a zlib stream of stored (uncompressed) blocks.
fn stored(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::none());
    let _ = std::io::Write::write_all(&mut z, data);
    z.finish().unwrap_or_default()
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format(DATE_FORMAT).to_string())
        .unwrap_or_default()
}

/// The one date format on the sheet.
const DATE_FORMAT: &str = "%d-%m-%Y";

/// Row 1 of a lead, laid out: one cell per column.
type LaidRow = [Laid; 8];

/// Renders `sheet` (docs/decisions.md S4.2.2, D10, D24): every lead's Row 1
/// laid out first (a wrapped name or address makes its row taller), then
/// each page's header, headings, leads and footer, then the shared objects
/// (fonts, form, appearances).
pub fn render_sheet(sheet: &Sheet) -> Result<RenderedSheet, RenderError> {
    if let Some(bad) = sheet
        .rows
        .iter()
        .find(|r| r.lead_assignment_code.contains('.'))
    {
        return Err(RenderError::FieldName(bad.lead_assignment_code.clone()));
    }
    let mut shaper = Shaper::new().map_err(RenderError::Font)?;
    let rows: Vec<LaidRow> = sheet.rows.iter().map(|r| lay_row(&mut shaper, r)).collect();
    let heights: Vec<f32> = rows.iter().map(row1_height_of).collect();
    let pages = paginate(&heights);
    let mut w = SheetWriter::new(sheet, shaper, pages.len());
    for (page_no, range) in pages.into_iter().enumerate() {
        let leads: Vec<_> = (range.clone())
            .map(|i| (&sheet.rows[i], &rows[i], heights[i]))
            .collect();
        w.page(page_no, &leads);
    }
    w.finish(sheet)
}

/// Row 1's cells: names and addresses wrap, the rest stay on one line.
fn lay_row(shaper: &mut Shaper, row: &SheetRow) -> LaidRow {
    let rowid = row.rowid.to_string();
    let lead_date = date(row.lead_date);
    let values: [&str; 8] = [
        &rowid,
        &row.lead_assignment_code,
        &lead_date,
        row.lead_type.as_deref().unwrap_or_default(),
        &row.mobile_number,
        row.cx_name.as_deref().unwrap_or_default(),
        row.address.as_deref().unwrap_or_default(),
        row.lead_source.as_deref().unwrap_or_default(),
    ];
    std::array::from_fn(|i| {
        let (_, width) = ROW1_COLUMNS[i];
        let lines = if WRAPPING_COLUMNS.contains(&i) {
            WRAP_LINES
        } else {
            1
        };
        shaper.layout(values[i], BODY_SIZE, width - 2.0 * PAD, lines)
    })
}

/// Header cells: (x, width), the lines each may take, the line it starts on.
const HEADER_CELLS: [((f32, f32), usize, usize); 4] = [
    (HEADER_GROUP, 1, 0),
    (HEADER_AGENT, WRAP_LINES, 0),
    (HEADER_STORE, WRAP_LINES, 0),
    (HEADER_DATE, 1, 1),
];

/// Row 1 columns whose text wraps: Customer Name and Address.
const WRAPPING_COLUMNS: [usize; 2] = [5, 6];

fn row1_height_of(row: &LaidRow) -> f32 {
    row1_height(row.iter().map(|l| l.lines.len()).max().unwrap_or(1))
}

/// The objects of one sheet being written, and what every page shares.
struct SheetWriter {
    objects: Objects,
    refs: Refs,
    shaper: Shaper,
    catalog: Ref,
    page_tree: Ref,
    info: Ref,
    /// Each used font's objects, by [`FontId`], made on first use.
    fonts: [Option<FontRefs>; 11],
    form_font: FormFontRefs,
    /// One appearance stream per input field (shared by every lead).
    appearances: Vec<Ref>,
    /// (page, content stream) per page.
    page_refs: Vec<(Ref, Ref)>,
    row1_x: Vec<f32>,
    row2_x: Vec<f32>,
    /// The small labels inside every Row 2 cell, laid out once per sheet.
    labels: Vec<Laid>,
    /// Group code, agent, store, batch date; the legend.
    header: [Laid; 4],
    legend: Laid,
    /// Each lead's parent field.
    parents: Vec<Ref>,
    /// The hidden identity field (its own widget), when the sheet has one.
    identity: Option<Ref>,
    missing_glyphs: Vec<(String, Vec<char>)>,
}

impl SheetWriter {
    fn new(sheet: &Sheet, mut shaper: Shaper, pages: usize) -> SheetWriter {
        let mut refs = Refs(0);
        let (catalog, page_tree, info) = (refs.next(), refs.next(), refs.next());
        let form_font = FormFontRefs::new(|| refs.next());
        let appearances = INPUT_FIELDS.iter().map(|_| refs.next()).collect();
        let page_refs = (0..pages).map(|_| (refs.next(), refs.next())).collect();
        let identity = sheet.identity.as_ref().map(|_| refs.next());
        let labels = INPUT_FIELDS
            .iter()
            .map(|f| shaper.layout(f.label, LABEL_SIZE, f.width - 2.0 * PAD, 1))
            .collect();
        let texts = header_texts(&sheet.header);
        let header = std::array::from_fn(|i| {
            let ((_, width), lines, _) = HEADER_CELLS[i];
            shaper.layout(&texts[i], HEADER_SIZE, width, lines)
        });
        let legend = shaper.layout(LEGEND, FOOTER_SIZE, CONTENT_W - FOOTER_PAGE_W, 1);
        SheetWriter {
            objects: Objects::default(),
            refs,
            catalog,
            page_tree,
            info,
            fonts: [None; 11],
            form_font,
            appearances,
            page_refs,
            row1_x: column_xs(ROW1_COLUMNS.iter().map(|c| c.1)),
            row2_x: column_xs(INPUT_FIELDS.iter().map(|f| f.width)),
            labels,
            header,
            legend,
            parents: Vec::with_capacity(sheet.rows.len()),
            identity,
            missing_glyphs: Vec::new(),
            shaper,
        }
    }

    /// One page: header, headings, its leads, the grid and the footer.
    fn page(&mut self, page_no: usize, leads: &[(&SheetRow, &LaidRow, f32)]) {
        let (page_ref, content_ref) = self.page_refs[page_no];
        let mut grid = Content::new();
        let mut text = PageText::new();
        self.header(&mut text);
        self.headings(&mut text, &mut grid);
        let mut annots = Vec::with_capacity(leads.len() * INPUT_FIELDS.len() + 1);
        if page_no == 0 {
            annots.extend(self.identity);
        }
        let mut top = BODY_TOP;
        for (row, laid, row1_h) in leads {
            annots.extend(self.lead(&mut text, &mut grid, page_ref, (top, *row1_h), row, laid));
            top -= row1_h + ROW2_H;
        }
        self.footer(&mut text, page_no);
        grid.stroke();
        text.content.end_text();
        let mut data = grid.finish().into_vec();
        data.push(b'\n');
        data.extend_from_slice(&text.content.finish());
        self.objects.top(content_ref, |c| {
            c.stream(content_ref, &compress(&data))
                .filter(Filter::FlateDecode);
        });
        let fonts = self.page_fonts(&text.fonts);
        let page_tree = self.page_tree;
        self.objects.top(page_ref, |c| {
            let mut page = c.page(page_ref);
            page.parent(page_tree)
                .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .contents(content_ref);
            {
                let mut resources = page.resources();
                let mut dict = resources.fonts();
                for (font, r) in fonts {
                    dict.pair(Name(FONT_NAMES[font as usize]), r);
                }
            }
            page.annotations(annots);
        });
    }

    /// The fonts a page used, with their objects (made on first use).
    fn page_fonts(&mut self, used: &[bool; 11]) -> Vec<(FontId, Ref)> {
        let mut out = Vec::new();
        for font in FontId::ALL.into_iter().filter(|f| used[*f as usize]) {
            let refs = &mut self.refs;
            let made =
                *self.fonts[font as usize].get_or_insert_with(|| FontRefs::new(|| refs.next()));
            out.push((font, made.type0));
        }
        out
    }

    /// The sheet's identity: group code and batch date on the left, the
    /// agent and the store (each on up to two lines) beside them.
    fn header(&mut self, text: &mut PageText) {
        let line1 = PAGE_H - MARGIN - HEADER_SIZE;
        let line2 = line1 - HEADER_SIZE - HEADER_LINE_GAP;
        for (laid, ((x, width), _, line)) in self.header.iter().zip(HEADER_CELLS) {
            let y = if line == 0 { line1 } else { line2 };
            text.show(laid, HEADER_SIZE, (MARGIN + x, y), width, line1 - line2);
        }
    }

    /// The legend and "Page N of M", under the body.
    fn footer(&mut self, text: &mut PageText, page_no: usize) {
        let baseline = BODY_BOTTOM - FOOTER_H + 3.0;
        text.show(
            &self.legend,
            FOOTER_SIZE,
            (MARGIN, baseline),
            CONTENT_W,
            0.0,
        );
        let label = format!("Page {} of {}", page_no + 1, self.page_refs.len());
        let laid = self.shaper.layout(&label, HEADER_SIZE, FOOTER_PAGE_W, 1);
        let w = laid.lines.first().map_or(0.0, |l| l.width);
        text.show(&laid, HEADER_SIZE, (PAGE_W - MARGIN - w, baseline), w, 0.0);
    }

    /// The two rows of column headings and their grid.
    fn headings(&mut self, text: &mut PageText, grid: &mut Content) {
        let top = PAGE_H - MARGIN - HEADER_H;
        let row1 = ROW1_COLUMNS.iter().map(|(t, w)| (*t, *w)).zip(&self.row1_x);
        let row2 = INPUT_FIELDS
            .iter()
            .map(|f| (f.label, f.width))
            .zip(&self.row2_x);
        for (((title, width), x), baseline) in row1
            .map(|c| (c, top - HEADING_H + HEADING_BASELINE))
            .chain(row2.map(|c| (c, top - 2.0 * HEADING_H + HEADING_BASELINE)))
        {
            let laid = self
                .shaper
                .layout(title, HEADING_SIZE, width - 2.0 * PAD, 1);
            text.show(
                &laid,
                HEADING_SIZE,
                (x + PAD, baseline),
                width - 2.0 * PAD,
                0.0,
            );
        }
        grid.set_line_width(0.6).set_stroke_gray(0.2);
        grid.rect(MARGIN, BODY_TOP, CONTENT_W, 2.0 * HEADING_H)
            .stroke();
        grid.set_line_width(0.3).set_stroke_gray(0.45);
        grid.move_to(MARGIN, BODY_TOP + HEADING_H)
            .line_to(PAGE_W - MARGIN, BODY_TOP + HEADING_H);
        vertical_lines(
            grid,
            &self.row1_x,
            BODY_TOP + HEADING_H,
            BODY_TOP + 2.0 * HEADING_H,
        );
        vertical_lines(grid, &self.row2_x, BODY_TOP, BODY_TOP + HEADING_H);
    }

    /// One lead whose block starts at `top` with Row 1 `row1_h` high: Row 1
    /// text, Row 2 labels and fields, its grid. Returns the page's new
    /// widget annotations.
    fn lead(
        &mut self,
        text: &mut PageText,
        grid: &mut Content,
        page_ref: Ref,
        (y_top, row1_h): (f32, f32),
        row: &SheetRow,
        laid: &LaidRow,
    ) -> Vec<Ref> {
        let y_mid = y_top - row1_h;
        let y_bottom = y_mid - ROW2_H;
        let baseline = y_top - ROW1_H + ROW1_BASELINE;
        for (i, cell) in laid.iter().enumerate() {
            let width = ROW1_COLUMNS[i].1 - 2.0 * PAD;
            text.show(
                cell,
                BODY_SIZE,
                (self.row1_x[i] + PAD, baseline),
                width,
                ROW1_LINE,
            );
        }
        let missing: Vec<char> = laid
            .iter()
            .flat_map(|l| l.missing.iter().copied())
            .collect();
        if !missing.is_empty() {
            self.missing_glyphs
                .push((row.lead_assignment_code.clone(), missing));
        }
        let parent = self.refs.next();
        let mut kids = Vec::with_capacity(INPUT_FIELDS.len());
        for (i, field) in INPUT_FIELDS.iter().enumerate() {
            let x = self.row2_x[i];
            let label_at = (x + PAD, y_mid - LABEL_SIZE - LABEL_GAP);
            text.show(&self.labels[i], LABEL_SIZE, label_at, field.width, 0.0);
            let widget = self.refs.next();
            kids.push(widget);
            let rect = Rect::new(
                x + FIELD_INSET,
                y_bottom + FIELD_INSET,
                x + field.width - FIELD_INSET,
                y_bottom + FIELD_INSET + FIELD_H,
            );
            self.input_field(widget, parent, field, rect, page_ref, self.appearances[i]);
        }
        self.objects.packed(parent, |c| {
            c.form_field(parent)
                .partial_name(TextStr(&row.lead_assignment_code))
                .children(kids.iter().copied());
        });
        self.parents.push(parent);
        grid.rect(MARGIN, y_bottom, CONTENT_W, row1_h + ROW2_H);
        grid.move_to(MARGIN, y_mid).line_to(PAGE_W - MARGIN, y_mid);
        vertical_lines(grid, &self.row1_x, y_mid, y_top);
        vertical_lines(grid, &self.row2_x, y_bottom, y_mid);
        kids
    }

    /// One input field: a widget under the lead's parent field, with its
    /// tooltip; Conv offers Y, N, Yes and No.
    fn input_field(
        &mut self,
        widget: Ref,
        parent: Ref,
        field: &InputField,
        rect: Rect,
        page_ref: Ref,
        appearance: Ref,
    ) {
        self.objects.packed(widget, |c| {
            let mut f = c.form_field(widget);
            f.parent(parent)
                .partial_name(TextStr(field.name))
                .alternate_name(TextStr(field.tooltip));
            if field.kind == InputKind::YesNo {
                f.field_type(FieldType::Choice)
                    .field_flags(FieldFlags::COMBO);
                f.choice_options().options(CONV_OPTIONS.map(TextStr));
            } else {
                f.field_type(FieldType::Text);
            }
            // The form's default appearance (`/DA`) is inherited from the AcroForm.
            let mut a = f.into_annotation();
            a.rect(rect);
            a.page(page_ref).flags(AnnotationFlags::PRINT);
            a.appearance().normal().stream(appearance);
            a.appearance_characteristics().border_color_gray(0.6);
        });
    }

    /// The page tree, appearances, fonts, the form and the document info.
    fn finish(mut self, sheet: &Sheet) -> Result<RenderedSheet, RenderError> {
        self.shared_objects();
        for (font, subset) in self.shaper.subsets() {
            if let Some(refs) = self.fonts[font as usize] {
                embed::write_subset(&mut self.objects, refs, font.file(), subset)?;
            }
        }
        embed::write_form_font(&mut self.objects, self.form_font)?;
        self.form(sheet);
        self.info(&sheet.header);
        let bytes = self
            .objects
            .finish(self.refs.0 + 1, self.catalog, self.info)
            .map_err(RenderError::Pack)?;
        Ok(RenderedSheet {
            bytes,
            pages: self.page_refs.len(),
            missing_glyphs: self.missing_glyphs,
        })
    }

    /// The page tree and the fields' appearance streams.
    fn shared_objects(&mut self) {
        let (tree, pages) = (self.page_tree, &self.page_refs);
        self.objects.packed(tree, |c| {
            c.pages(tree)
                .kids(pages.iter().map(|(p, _)| *p))
                .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
        });
        for (field, &appearance) in INPUT_FIELDS.iter().zip(&self.appearances) {
            self.objects.top(appearance, |c| {
                c.form_xobject(appearance, AP_CONTENT).bbox(Rect::new(
                    0.0,
                    0.0,
                    field.width - 2.0 * FIELD_INSET,
                    FIELD_H,
                ));
            });
        }
    }

    /// The catalog with the form: every lead's parent field and the identity.
    fn form(&mut self, sheet: &Sheet) {
        if let (Some(field), Some(value)) = (self.identity, &sheet.identity) {
            let first_page = self.page_refs.first().map(|p| p.0);
            self.objects
                .packed(field, |c| identity_field(c, field, value, first_page));
        }
        let (catalog, tree, form_font) = (self.catalog, self.page_tree, self.form_font.font);
        let fields = self.parents.iter().copied().chain(self.identity);
        self.objects.top(catalog, |c| {
            let mut cat = c.indirect(catalog).start::<Catalog>();
            cat.pages(tree);
            let mut form = cat.form();
            form.fields(fields);
            form.pair(Name(b"NeedAppearances"), true);
            form.default_appearance(Str(FORM_DA));
            form.default_resources().fonts().pair(FORM_FONT, form_font);
        });
    }

    /// The document info: a title naming the sheet.
    fn info(&mut self, h: &SheetHeader) {
        let title = format!(
            "Leads assignment {} {} batch {}",
            h.page_group_code, h.store_code, h.batch_id
        );
        let info = self.info;
        self.objects.top(info, |c| {
            c.indirect(info)
                .start::<DocumentInfo>()
                .title(TextStr(&title))
                .producer(TextStr("leads-assignment"));
        });
    }
}

/// What the Conv combo box offers (ingestion reads the same four).
const CONV_OPTIONS: [&str; 5] = ["", "Y", "N", "Yes", "No"];

/// The identity's hidden, read-only text field with its zero-size widget.
fn identity_field(pdf: &mut Chunk, field: Ref, value: &str, page: Option<Ref>) {
    let mut f = pdf.form_field(field);
    f.partial_name(TextStr(crate::identity::IDENTITY_FIELD))
        .field_type(FieldType::Text)
        .field_flags(FieldFlags::READ_ONLY)
        .text_value(TextStr(value));
    let mut a = f.into_annotation();
    a.rect(Rect::new(0.0, 0.0, 0.0, 0.0))
        .flags(AnnotationFlags::HIDDEN | AnnotationFlags::READ_ONLY);
    if let Some(page) = page {
        a.page(page);
    }
    a.finish();
}

/// The header's four texts: page group, agent, store, batch date.
fn header_texts(h: &SheetHeader) -> [String; 4] {
    let store = match &h.store_name {
        Some(n) if !n.trim().is_empty() => format!("Store: {} - {}", h.store_code, n),
        _ => format!("Store: {}", h.store_code),
    };
    [
        format!("Page Group Code: {}", h.page_group_code),
        format!("Agent: {} - {}", h.agent_code, h.agent_name),
        store,
        format!(
            "Batch Date: {} (batch {})",
            h.batch_date.format(DATE_FORMAT),
            h.batch_id
        ),
    ]
}

fn vertical_lines(grid: &mut Content, xs: &[f32], y0: f32, y1: f32) {
    for x in xs.iter().skip(1) {
        grid.move_to(*x, y0).line_to(*x, y1);
    }
}
