//! Rendering a sheet: a pure function from in-memory rows to PDF bytes
//! (pdf-writer, written step by step). No database, no files.

use chrono::NaiveDate;
use pdf_writer::types::{
    AnnotationFlags, CidFontType, FieldFlags, FieldType, FontFlags, SystemInfo, UnicodeCmap,
};
use pdf_writer::writers::{Catalog, DocumentInfo};
use pdf_writer::{Chunk, Content, Filter, Finish, Name, Rect, Ref, Str, TextStr};

use crate::font::{Shaped, Shaper, FONT_NAME};
use crate::layout::*;
use crate::pack::Objects;

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
const HELV_DA: &[u8] = b"/Helv 8 Tf 0 g";
const FONT: Name<'static> = Name(b"F1");

struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// Text pieces of one page, positioned.
struct PageText {
    content: Content,
    size: f32,
    buf: Vec<u8>,
}

impl PageText {
    fn show(&mut self, shaped: &Shaped, size: f32, x: f32, y: f32) {
        if shaped.glyphs.is_empty() {
            return;
        }
        if size != self.size {
            self.content.set_font(FONT, size);
            self.size = size;
        }
        self.content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
        self.buf.clear();
        self.buf
            .extend(shaped.glyphs.iter().flat_map(|g| g.to_be_bytes()));
        self.content.show(Str(&self.buf));
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
    d.map(|d| d.format("%d-%m-%Y").to_string())
        .unwrap_or_default()
}

/// Renders `sheet` (docs/decisions.md S4.2.2, D10): every page's header,
/// headings and leads, then the shared objects (font, form, appearances).
pub fn render_sheet(sheet: &Sheet) -> Result<RenderedSheet, RenderError> {
    if let Some(bad) = sheet
        .rows
        .iter()
        .find(|r| r.lead_assignment_code.contains('.'))
    {
        return Err(RenderError::FieldName(bad.lead_assignment_code.clone()));
    }
    let mut w = SheetWriter::new(sheet)?;
    let per_page = leads_per_page();
    for page_no in 0..w.page_refs.len() {
        let rows = sheet.rows.iter().skip(page_no * per_page).take(per_page);
        w.page(page_no, rows.collect());
    }
    w.finish(sheet)
}

/// The objects of one sheet being written, and what every page shares.
struct SheetWriter {
    objects: Objects,
    refs: Refs,
    shaper: Shaper,
    catalog: Ref,
    page_tree: Ref,
    info: Ref,
    font: FontRefs,
    helv: Ref,
    /// One appearance stream per input field (shared by every lead).
    appearances: Vec<Ref>,
    /// (page, content stream) per page.
    page_refs: Vec<(Ref, Ref)>,
    row1_x: Vec<f32>,
    row2_x: Vec<f32>,
    /// The small labels inside every Row 2 cell, shaped once per sheet.
    labels: Vec<Shaped>,
    header: [String; 4],
    /// Each lead's parent field.
    parents: Vec<Ref>,
    /// The hidden identity field (its own widget), when the sheet has one.
    identity: Option<Ref>,
    missing_glyphs: Vec<(String, Vec<char>)>,
}

/// The embedded font's objects.
struct FontRefs {
    type0: Ref,
    cid: Ref,
    descriptor: Ref,
    file: Ref,
    to_unicode: Ref,
}

impl SheetWriter {
    fn new(sheet: &Sheet) -> Result<SheetWriter, RenderError> {
        let mut shaper = Shaper::new().map_err(RenderError::Font)?;
        let mut refs = Refs(0);
        let (catalog, page_tree, info) = (refs.next(), refs.next(), refs.next());
        let font = FontRefs {
            type0: refs.next(),
            cid: refs.next(),
            descriptor: refs.next(),
            file: refs.next(),
            to_unicode: refs.next(),
        };
        let helv = refs.next();
        let appearances = INPUT_FIELDS.iter().map(|_| refs.next()).collect();
        let page_refs = (0..page_count(sheet.rows.len()))
            .map(|_| (refs.next(), refs.next()))
            .collect();
        let identity = sheet.identity.as_ref().map(|_| refs.next());
        let labels = INPUT_FIELDS
            .iter()
            .map(|f| shaper.fit(f.label, LABEL_SIZE, f.width - 2.0 * PAD).0)
            .collect();
        Ok(SheetWriter {
            objects: Objects::default(),
            refs,
            catalog,
            page_tree,
            info,
            font,
            helv,
            appearances,
            page_refs,
            row1_x: column_xs(ROW1_COLUMNS.iter().map(|c| c.1)),
            row2_x: column_xs(INPUT_FIELDS.iter().map(|f| f.width)),
            labels,
            header: header_texts(&sheet.header),
            parents: Vec::with_capacity(sheet.rows.len()),
            identity,
            missing_glyphs: Vec::new(),
            shaper,
        })
    }

    /// One page: header, headings, its leads, and the grid.
    fn page(&mut self, page_no: usize, rows: Vec<&SheetRow>) {
        let (page_ref, content_ref) = self.page_refs[page_no];
        let mut grid = Content::new();
        let mut text = PageText {
            content: Content::new(),
            size: 0.0,
            buf: Vec::new(),
        };
        text.content.begin_text();
        self.header(&mut text, page_no);
        self.headings(&mut text, &mut grid);
        let mut annots = Vec::with_capacity(rows.len() * INPUT_FIELDS.len() + 1);
        if page_no == 0 {
            annots.extend(self.identity);
        }
        for (slot, row) in rows.into_iter().enumerate() {
            annots.extend(self.lead(&mut text, &mut grid, page_ref, slot, row));
        }
        grid.stroke();
        text.content.end_text();
        let mut data = grid.finish().into_vec();
        data.push(b'\n');
        data.extend_from_slice(&text.content.finish());
        self.objects.top(content_ref, |c| {
            c.stream(content_ref, &compress(&data))
                .filter(Filter::FlateDecode);
        });
        let (page_tree, font) = (self.page_tree, self.font.type0);
        self.objects.top(page_ref, |c| {
            let mut page = c.page(page_ref);
            page.parent(page_tree)
                .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .contents(content_ref);
            page.resources().fonts().pair(FONT, font);
            page.annotations(annots);
        });
    }

    /// The sheet's identity and "Page N of M", on every page.
    fn header(&mut self, text: &mut PageText, page_no: usize) {
        let line1 = PAGE_H - MARGIN - HEADER_SIZE;
        let line2 = line1 - HEADER_SIZE - HEADER_LINE_GAP;
        let [group, agent, store, date] = &self.header;
        for (value, (x, width), y) in [
            (group, HEADER_GROUP, line1),
            (agent, HEADER_AGENT, line1),
            (store, HEADER_STORE, line1),
            (date, HEADER_DATE, line2),
        ] {
            let (s, _) = self.shaper.fit(value, HEADER_SIZE, width);
            text.show(&s, HEADER_SIZE, MARGIN + x, y);
        }
        let label = format!("Page {} of {}", page_no + 1, self.page_refs.len());
        let (s, _) = self.shaper.fit(&label, HEADER_SIZE, HEADER_PAGE_W);
        let w = s.width_pt(HEADER_SIZE, self.shaper.units_per_em());
        text.show(&s, HEADER_SIZE, PAGE_W - MARGIN - w, line2);
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
            let (s, _) = self.shaper.fit(title, HEADING_SIZE, width - 2.0 * PAD);
            text.show(&s, HEADING_SIZE, x + PAD, baseline);
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

    /// One lead: Row 1 text, Row 2 labels and fields, its grid. Returns the
    /// page's new widget annotations.
    fn lead(
        &mut self,
        text: &mut PageText,
        grid: &mut Content,
        page_ref: Ref,
        slot: usize,
        row: &SheetRow,
    ) -> Vec<Ref> {
        let y_top = lead_top(slot);
        let y_mid = y_top - ROW1_H;
        let y_bottom = y_mid - ROW2_H;
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
        let mut missing = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let (s, miss) = self
                .shaper
                .fit(value, BODY_SIZE, ROW1_COLUMNS[i].1 - 2.0 * PAD);
            missing.extend(miss);
            text.show(&s, BODY_SIZE, self.row1_x[i] + PAD, y_mid + ROW1_BASELINE);
        }
        if !missing.is_empty() {
            self.missing_glyphs
                .push((row.lead_assignment_code.clone(), missing));
        }
        let parent = self.refs.next();
        let mut kids = Vec::with_capacity(INPUT_FIELDS.len());
        for (i, field) in INPUT_FIELDS.iter().enumerate() {
            let x = self.row2_x[i];
            text.show(
                &self.labels[i],
                LABEL_SIZE,
                x + PAD,
                y_mid - LABEL_SIZE - LABEL_GAP,
            );
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
        grid.rect(MARGIN, y_bottom, CONTENT_W, LEAD_H);
        grid.move_to(MARGIN, y_mid).line_to(PAGE_W - MARGIN, y_mid);
        vertical_lines(grid, &self.row1_x, y_mid, y_top);
        vertical_lines(grid, &self.row2_x, y_bottom, y_mid);
        kids
    }

    /// One input field: a widget under the lead's parent field.
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
            f.parent(parent).partial_name(TextStr(field.name));
            if field.kind == InputKind::YesNo {
                f.field_type(FieldType::Choice)
                    .field_flags(FieldFlags::COMBO);
                f.choice_options()
                    .options([TextStr(""), TextStr("Y"), TextStr("N")]);
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
        write_font(&mut self.objects, &self.shaper, &self.font)?;
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

    /// The page tree, the fields' appearance streams and the form font.
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
        let helv = self.helv;
        self.objects.packed(helv, |c| {
            c.type1_font(helv)
                .base_font(Name(b"Helvetica"))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        });
    }

    /// The catalog with the form: every lead's parent field and the identity.
    fn form(&mut self, sheet: &Sheet) {
        if let (Some(field), Some(value)) = (self.identity, &sheet.identity) {
            let first_page = self.page_refs.first().map(|p| p.0);
            self.objects
                .packed(field, |c| identity_field(c, field, value, first_page));
        }
        let (catalog, tree, helv) = (self.catalog, self.page_tree, self.helv);
        let fields = self.parents.iter().copied().chain(self.identity);
        self.objects.top(catalog, |c| {
            let mut cat = c.indirect(catalog).start::<Catalog>();
            cat.pages(tree);
            let mut form = cat.form();
            form.fields(fields);
            form.pair(Name(b"NeedAppearances"), true);
            form.default_appearance(Str(HELV_DA));
            form.default_resources().fonts().pair(Name(b"Helv"), helv);
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
            h.batch_date.format("%Y-%m-%d"),
            h.batch_id
        ),
    ]
}

fn vertical_lines(grid: &mut Content, xs: &[f32], y0: f32, y1: f32) {
    for x in xs.iter().skip(1) {
        grid.move_to(*x, y0).line_to(*x, y1);
    }
}

/// Type0 / CIDFontType2 with the subset embedded, widths and a ToUnicode map.
fn write_font(objects: &mut Objects, shaper: &Shaper, refs: &FontRefs) -> Result<(), RenderError> {
    let FontRefs {
        type0,
        cid,
        descriptor,
        file: font_file,
        to_unicode,
    } = *refs;
    let subset = subsetter::subset(crate::font::FONT_DATA, 0, &shaper.remapper)
        .map_err(|e| RenderError::Font(format!("subsetting: {e:?}")))?;
    let base = format!("LASUBS+{FONT_NAME}");
    let scale = 1000.0 / shaper.units_per_em();
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    objects.packed(type0, |c| {
        c.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(to_unicode);
    });
    objects.packed(cid, |c| {
        let mut c = c.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        c.widths()
            .consecutive(0, shaper.widths.iter().map(|w| f32::from(*w) * scale));
    });
    let b = shaper.bbox();
    objects.packed(descriptor, |c| {
        c.font_descriptor(descriptor)
            .name(Name(base.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                f32::from(b.x_min) * scale,
                f32::from(b.y_min) * scale,
                f32::from(b.x_max) * scale,
                f32::from(b.y_max) * scale,
            ))
            .italic_angle(0.0)
            .ascent(f32::from(shaper.ascender()) * scale)
            .descent(f32::from(shaper.descender()) * scale)
            .cap_height(f32::from(shaper.cap_height()) * scale)
            .stem_v(80.0)
            .font_file2(font_file);
    });
    let compressed = compress(&subset);
    objects.top(font_file, |c| {
        c.stream(font_file, &compressed)
            .filter(Filter::FlateDecode)
            .pair(
                Name(b"Length1"),
                i32::try_from(subset.len()).unwrap_or(i32::MAX),
            );
    });
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
    for (g, ch) in &shaper.to_unicode {
        cmap.pair(*g, *ch);
    }
    let cmap = compress(&cmap.finish());
    objects.top(to_unicode, |c| {
        c.cmap(to_unicode, &cmap).filter(Filter::FlateDecode);
    });
    Ok(())
}
