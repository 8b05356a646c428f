//! Rendering a sheet: a pure function from in-memory rows to PDF bytes
//! (pdf-writer, written step by step). No database, no files.

use chrono::NaiveDate;
use pdf_writer::types::{
    AnnotationFlags, CidFontType, FieldFlags, FieldType, FontFlags, SystemInfo, UnicodeCmap,
};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::font::{Shaped, Shaper, FONT_NAME};
use crate::layout::*;

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

fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 1)
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d-%m-%Y").to_string())
        .unwrap_or_default()
}

/// Renders `sheet` (docs/decisions.md S4.2.2; docs/decisions.md D10).
pub fn render_sheet(sheet: &Sheet) -> Result<RenderedSheet, RenderError> {
    if let Some(bad) = sheet
        .rows
        .iter()
        .find(|r| r.lead_assignment_code.contains('.'))
    {
        return Err(RenderError::FieldName(bad.lead_assignment_code.clone()));
    }
    let mut shaper = Shaper::new().map_err(RenderError::Font)?;
    let pages = page_count(sheet.rows.len());
    let per_page = leads_per_page();
    let mut pdf = Pdf::new();
    let mut refs = Refs(0);
    let catalog = refs.next();
    let page_tree = refs.next();
    let info = refs.next();
    let type0 = refs.next();
    let cid = refs.next();
    let descriptor = refs.next();
    let font_file = refs.next();
    let to_unicode = refs.next();
    let helv = refs.next();
    let appearances: Vec<Ref> = ROW2_COLUMNS.iter().map(|_| refs.next()).collect();
    let page_refs: Vec<(Ref, Ref)> = (0..pages).map(|_| (refs.next(), refs.next())).collect();

    let row1_x = column_xs(ROW1_COLUMNS.iter().map(|c| c.1));
    let row2_x = column_xs(ROW2_COLUMNS.iter().map(|c| c.1));
    let mut parents = Vec::with_capacity(sheet.rows.len());
    let mut missing_glyphs = Vec::new();
    let h = &sheet.header;
    let store = match &h.store_name {
        Some(n) if !n.trim().is_empty() => format!("Store: {} - {}", h.store_code, n),
        _ => format!("Store: {}", h.store_code),
    };
    let header_left = format!("Page Group Code: {}", h.page_group_code);
    let header_agent = format!("Agent: {} - {}", h.agent_code, h.agent_name);
    let header_date = format!(
        "Batch Date: {} (batch {})",
        h.batch_date.format("%Y-%m-%d"),
        h.batch_id
    );
    // The small labels inside every Row 2 cell, shaped once per sheet.
    let labels: Vec<Shaped> = ROW2_COLUMNS
        .iter()
        .map(|(label, width, _)| shaper.fit(label, LABEL_SIZE, width - 2.0 * PAD).0)
        .collect();

    for (page_no, (page_ref, content_ref)) in page_refs.iter().enumerate() {
        let rows = sheet.rows.iter().skip(page_no * per_page).take(per_page);
        let n_rows = sheet
            .rows
            .len()
            .saturating_sub(page_no * per_page)
            .min(per_page);
        let mut grid = Content::new();
        let mut text = PageText {
            content: Content::new(),
            size: 0.0,
            buf: Vec::new(),
        };
        text.content.begin_text();

        // Header, every page.
        let top = PAGE_H - MARGIN;
        let line1 = top - HEADER_SIZE;
        let line2 = line1 - HEADER_SIZE - 6.0;
        let (s, _) = shaper.fit(&header_left, HEADER_SIZE, 200.0);
        text.show(&s, HEADER_SIZE, MARGIN, line1);
        let (s, _) = shaper.fit(&header_agent, HEADER_SIZE, 260.0);
        text.show(&s, HEADER_SIZE, MARGIN + 210.0, line1);
        let (s, _) = shaper.fit(&store, HEADER_SIZE, CONTENT_W - 480.0);
        text.show(&s, HEADER_SIZE, MARGIN + 480.0, line1);
        let (s, _) = shaper.fit(&header_date, HEADER_SIZE, 400.0);
        text.show(&s, HEADER_SIZE, MARGIN, line2);
        let page_label = format!("Page {} of {}", page_no + 1, pages);
        let (s, _) = shaper.fit(&page_label, HEADER_SIZE, 200.0);
        let w = s.width_pt(HEADER_SIZE, shaper.units_per_em());
        text.show(&s, HEADER_SIZE, PAGE_W - MARGIN - w, line2);

        // Column headings, every page.
        let heading_top = PAGE_H - MARGIN - HEADER_H;
        for (i, (title, width)) in ROW1_COLUMNS.iter().enumerate() {
            let (s, _) = shaper.fit(title, HEADING_SIZE, width - 2.0 * PAD);
            text.show(
                &s,
                HEADING_SIZE,
                row1_x[i] + PAD,
                heading_top - HEADING_H + 3.5,
            );
        }
        for (i, (title, width, _)) in ROW2_COLUMNS.iter().enumerate() {
            let (s, _) = shaper.fit(title, HEADING_SIZE, width - 2.0 * PAD);
            text.show(
                &s,
                HEADING_SIZE,
                row2_x[i] + PAD,
                heading_top - 2.0 * HEADING_H + 3.5,
            );
        }
        grid.set_line_width(0.6).set_stroke_gray(0.2);
        grid.rect(MARGIN, BODY_TOP, CONTENT_W, 2.0 * HEADING_H)
            .stroke();
        grid.set_line_width(0.3).set_stroke_gray(0.45);
        grid.move_to(MARGIN, BODY_TOP + HEADING_H)
            .line_to(PAGE_W - MARGIN, BODY_TOP + HEADING_H);
        vertical_lines(
            &mut grid,
            &row1_x,
            BODY_TOP + HEADING_H,
            BODY_TOP + 2.0 * HEADING_H,
        );
        vertical_lines(&mut grid, &row2_x, BODY_TOP, BODY_TOP + HEADING_H);

        let mut annots = Vec::with_capacity(n_rows * ROW2_COLUMNS.len());
        for (slot, row) in rows.enumerate() {
            let y_top = lead_top(slot);
            let y_mid = y_top - ROW1_H;
            let y_bottom = y_mid - ROW2_H;
            // Row 1: read-only text.
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
                let (s, miss) = shaper.fit(value, BODY_SIZE, ROW1_COLUMNS[i].1 - 2.0 * PAD);
                missing.extend(miss);
                text.show(&s, BODY_SIZE, row1_x[i] + PAD, y_mid + 4.0);
            }
            if !missing.is_empty() {
                missing_glyphs.push((row.lead_assignment_code.clone(), missing));
            }
            // Row 2: labels and input fields.
            let parent = refs.next();
            let mut kids = Vec::with_capacity(ROW2_COLUMNS.len());
            for (i, (_, width, field)) in ROW2_COLUMNS.iter().enumerate() {
                text.show(
                    &labels[i],
                    LABEL_SIZE,
                    row2_x[i] + PAD,
                    y_mid - LABEL_SIZE - 0.5,
                );
                let widget = refs.next();
                kids.push(widget);
                let mut f = pdf.form_field(widget);
                f.parent(parent).partial_name(TextStr(field));
                if *field == "conv" {
                    f.field_type(FieldType::Choice)
                        .field_flags(FieldFlags::COMBO);
                    f.choice_options()
                        .options([TextStr(""), TextStr("Y"), TextStr("N")]);
                } else {
                    f.field_type(FieldType::Text);
                }
                f.vartext_default_appearance(Str(HELV_DA));
                let mut a = f.into_annotation();
                a.rect(Rect::new(
                    row2_x[i] + 1.0,
                    y_bottom + 1.0,
                    row2_x[i] + width - 1.0,
                    y_bottom + 16.0,
                ));
                a.page(*page_ref).flags(AnnotationFlags::PRINT);
                a.appearance().normal().stream(appearances[i]);
                a.appearance_characteristics().border_color_gray(0.6);
                a.finish();
            }
            annots.extend(kids.iter().copied());
            pdf.form_field(parent)
                .partial_name(TextStr(&row.lead_assignment_code))
                .children(kids);
            parents.push(parent);
            // Grid: lead block outline, the line between its rows, columns.
            grid.rect(MARGIN, y_bottom, CONTENT_W, LEAD_H);
            grid.move_to(MARGIN, y_mid).line_to(PAGE_W - MARGIN, y_mid);
            vertical_lines(&mut grid, &row1_x, y_mid, y_top);
            vertical_lines(&mut grid, &row2_x, y_bottom, y_mid);
        }
        grid.stroke();
        text.content.end_text();
        let mut data = grid.finish().into_vec();
        data.push(b'\n');
        data.extend_from_slice(&text.content.finish());
        pdf.stream(*content_ref, &compress(&data))
            .filter(Filter::FlateDecode);
        let mut page = pdf.page(*page_ref);
        page.parent(page_tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(*content_ref);
        page.resources().fonts().pair(FONT, type0);
        page.annotations(annots);
        page.finish();
    }

    pdf.pages(page_tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(i32::try_from(pages).unwrap_or(i32::MAX));
    for (i, (_, width, _)) in ROW2_COLUMNS.iter().enumerate() {
        pdf.form_xobject(appearances[i], AP_CONTENT)
            .bbox(Rect::new(0.0, 0.0, width - 2.0, 15.0));
    }
    pdf.type1_font(helv)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    write_font(
        &mut pdf, &shaper, type0, cid, descriptor, font_file, to_unicode,
    )?;

    let mut cat = pdf.catalog(catalog);
    cat.pages(page_tree);
    let mut form = cat.form();
    form.fields(parents.iter().copied());
    form.pair(Name(b"NeedAppearances"), true);
    form.default_appearance(Str(HELV_DA));
    form.default_resources().fonts().pair(Name(b"Helv"), helv);
    form.finish();
    cat.finish();
    let title = format!(
        "Leads assignment {} {} batch {}",
        h.page_group_code, h.store_code, h.batch_id
    );
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("leads-assignment"));

    Ok(RenderedSheet {
        bytes: pdf.finish(),
        pages,
        missing_glyphs,
    })
}

fn vertical_lines(grid: &mut Content, xs: &[f32], y0: f32, y1: f32) {
    for x in xs.iter().skip(1) {
        grid.move_to(*x, y0).line_to(*x, y1);
    }
}

/// Type0 / CIDFontType2 with the subset embedded, widths and a ToUnicode map.
fn write_font(
    pdf: &mut Pdf,
    shaper: &Shaper,
    type0: Ref,
    cid: Ref,
    descriptor: Ref,
    font_file: Ref,
    to_unicode: Ref,
) -> Result<(), RenderError> {
    let subset = subsetter::subset(crate::font::FONT_DATA, 0, &shaper.remapper)
        .map_err(|e| RenderError::Font(format!("subsetting: {e:?}")))?;
    let base = format!("LASUBS+{FONT_NAME}");
    let scale = 1000.0 / shaper.units_per_em();
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);
    let mut c = pdf.cid_font(cid);
    c.subtype(CidFontType::Type2)
        .base_font(Name(base.as_bytes()))
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    c.widths()
        .consecutive(0, shaper.widths.iter().map(|w| f32::from(*w) * scale));
    c.finish();
    let b = shaper.bbox();
    pdf.font_descriptor(descriptor)
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
    let compressed = compress(&subset);
    pdf.stream(font_file, &compressed)
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(subset.len()).unwrap_or(i32::MAX),
        );
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
    for (g, ch) in &shaper.to_unicode {
        cmap.pair(*g, *ch);
    }
    let cmap = compress(&cmap.finish());
    pdf.cmap(to_unicode, &cmap).filter(Filter::FlateDecode);
    Ok(())
}
