//! Rendering a sheet: a pure function from in-memory rows to PDF bytes
//! (pdf-writer, written step by step). No database, no files.

use chrono::NaiveDate;
use pdf_writer::types::{AnnotationFlags, FieldFlags, FieldType};
use pdf_writer::writers::{Catalog, DocumentInfo};
use pdf_writer::{Chunk, Content, Filter, Finish, Name, Rect, Ref, Str, TextStr};

use crate::draw::{PageText, FONT_NAMES};
use crate::embed::{self, FontRefs};
use crate::fonts::{FontId, FONT_COUNT};
use crate::frame::{self, Stamp};
use crate::layout::*;
use crate::pack::{compress, Objects};
use crate::sheet::{RenderError, RenderedSheet, Sheet, SheetHeader, SheetRow};
use crate::text::{Laid, Shaper};

const AP_CONTENT: &[u8] = b"/Tx BMC EMC";
/// The form's default appearance: typed values in the form font.
const FORM_DA: &[u8] = b"/Wingdings 8 Tf 0 g";
const FORM_FONT: Name<'static> = Name(b"Wingdings");
struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format(DATE_FORMAT).to_string())
        .unwrap_or_default()
}

/// Row 1 of a lead, laid out: one cell per column.
type LaidRow = [Laid; ROW1_COLUMNS.len()];

/// A lead as its page draws it: its row, its Row 1 laid out, that row's
/// height.
struct PageLead<'a> {
    row: &'a SheetRow,
    laid: &'a LaidRow,
    row1_h: f32,
}

/// Renders `sheet` (docs/decisions.md S4.2.2, D10, D24): every lead's Row 1
/// laid out first (a wrapped name or address makes its row taller), then
/// each page (the shared frame, its leads, its number), then the shared
/// objects (fonts, form, appearances).
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
        let leads: Vec<PageLead> = range
            .map(|i| PageLead {
                row: &sheet.rows[i],
                laid: &rows[i],
                row1_h: heights[i],
            })
            .collect();
        w.page(page_no, &leads);
    }
    w.finish(sheet)
}

/// Row 1's cells, column by column ([`ROW1_COLUMNS`]): a wrapping column's
/// text on up to two lines, the rest on one.
fn lay_row(shaper: &mut Shaper, row: &SheetRow) -> LaidRow {
    std::array::from_fn(|i| {
        let c = &ROW1_COLUMNS[i];
        let lines = if c.wraps { WRAP_LINES } else { 1 };
        shaper.layout(&row.shows(c.shows), BODY_SIZE, c.width - 2.0 * PAD, lines)
    })
}

impl SheetRow {
    /// What Row 1 shows of this lead in the column showing `field`.
    fn shows(&self, field: LeadField) -> std::borrow::Cow<'_, str> {
        fn text(t: &Option<String>) -> std::borrow::Cow<'_, str> {
            t.as_deref().unwrap_or_default().into()
        }
        match field {
            LeadField::RowId => self.rowid.to_string().into(),
            LeadField::Code => self.lead_assignment_code.as_str().into(),
            LeadField::LeadDate => date(self.lead_date).into(),
            LeadField::LeadType => text(&self.lead_type),
            LeadField::Mobile => self.mobile_number.as_str().into(),
            LeadField::CustomerName => text(&self.cx_name),
            LeadField::Address => text(&self.address),
            LeadField::Source => text(&self.lead_source),
        }
    }
}

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
    fonts: [Option<FontRefs>; FONT_COUNT],
    form_font: FontRefs,
    /// The page frame and the Row 2 stamp (form XObjects).
    frame: Ref,
    row2: Ref,
    /// One appearance stream per input field (shared by every lead).
    appearances: Vec<Ref>,
    /// The Conv combo box's options, one array every lead's Conv refers to.
    conv_options: Ref,
    /// (page, content stream) per page.
    page_refs: Vec<(Ref, Ref)>,
    row1_x: Vec<f32>,
    row2_x: Vec<f32>,
    /// Each lead's parent field.
    parents: Vec<Ref>,
    /// The hidden identity field (its own widget), when the sheet has one.
    identity: Option<Ref>,
    missing_glyphs: Vec<(String, Vec<char>)>,
}

/// One page's content: XObject invocations, the grid's path, the text.
struct PageDraw {
    stamps: Content,
    grid: Content,
    text: PageText,
    /// Right-to-left cells, drawn after the rest of the page's text
    /// (docs/decisions.md D24): readers that order a line's text by the
    /// direction most of its words run (PDFium) then read such a cell as a
    /// line of its own, and the row's codes and dates keep their order.
    last: Vec<Deferred>,
}

/// A cell drawn after the rest of its page: laid out, where and how wide.
struct Deferred {
    laid: Laid,
    at: (f32, f32),
    width: f32,
}

impl PageDraw {
    /// The page's content stream (stamps, grid, text; the right-to-left
    /// cells last) and the fonts its text used.
    fn finish(self) -> (Vec<u8>, [bool; FONT_COUNT]) {
        let PageDraw {
            stamps,
            mut grid,
            mut text,
            last,
        } = self;
        for d in &last {
            text.show(&d.laid, BODY_SIZE, d.at, d.width, ROW1_LINE);
        }
        grid.stroke();
        text.content.end_text();
        let mut data = stamps.finish().into_vec();
        data.push(b'\n');
        data.extend_from_slice(&grid.finish());
        data.push(b'\n');
        data.extend_from_slice(&text.content.finish());
        (data, text.fonts)
    }
}

impl SheetWriter {
    fn new(sheet: &Sheet, shaper: Shaper, pages: usize) -> SheetWriter {
        let mut refs = Refs(0);
        let (catalog, page_tree, info) = (refs.next(), refs.next(), refs.next());
        let form_font = FontRefs::new(|| refs.next());
        let (frame, row2) = (refs.next(), refs.next());
        let appearances = INPUT_FIELDS.iter().map(|_| refs.next()).collect();
        let conv_options = refs.next();
        let page_refs = (0..pages).map(|_| (refs.next(), refs.next())).collect();
        let identity = sheet.identity.as_ref().map(|_| refs.next());
        let mut w = SheetWriter {
            objects: Objects::default(),
            refs,
            catalog,
            page_tree,
            info,
            fonts: [None; FONT_COUNT],
            form_font,
            frame,
            row2,
            appearances,
            conv_options,
            page_refs,
            row1_x: column_xs(ROW1_COLUMNS.iter().map(|c| c.width)),
            row2_x: column_xs(INPUT_FIELDS.iter().map(|f| f.width)),
            parents: Vec::with_capacity(sheet.rows.len()),
            identity,
            missing_glyphs: Vec::new(),
            shaper,
        };
        let page_frame = frame::page_frame(&mut w.shaper, &sheet.header);
        w.stamp(frame, page_frame);
        let row2_stamp = frame::row2_stamp(&mut w.shaper);
        w.stamp(row2, row2_stamp);
        w
    }

    /// A form XObject with the fonts it uses.
    fn stamp(&mut self, id: Ref, stamp: Stamp) {
        let fonts = self.page_fonts(&stamp.fonts);
        let data = compress(&stamp.content);
        self.objects.top(id, |c| {
            let mut x = c.form_xobject(id, &data);
            // A point of room around it: no line is clipped at its edges.
            x.bbox(Rect::new(
                -1.0,
                -1.0,
                stamp.size.0 + 1.0,
                stamp.size.1 + 1.0,
            ));
            x.filter(Filter::FlateDecode);
            let mut resources = x.resources();
            let mut dict = resources.fonts();
            for (font, r) in fonts {
                dict.pair(Name(FONT_NAMES[font as usize]), r);
            }
        });
    }

    /// One page: the frame, its leads, "Page N of M".
    fn page(&mut self, page_no: usize, leads: &[PageLead]) {
        let (page_ref, content_ref) = self.page_refs[page_no];
        let mut draw = PageDraw {
            stamps: Content::new(),
            grid: Content::new(),
            text: PageText::new(),
            last: Vec::new(),
        };
        draw.stamps.x_object(frame::FRAME);
        frame::body_lines(&mut draw.grid);
        let mut annots = Vec::with_capacity(leads.len() * INPUT_FIELDS.len() + 1);
        if page_no == 0 {
            annots.extend(self.identity);
        }
        let mut top = BODY_TOP;
        for lead in leads {
            annots.extend(self.lead(&mut draw, page_ref, top, lead));
            top -= lead.row1_h + ROW2_H;
        }
        self.page_number(&mut draw.text, page_no);
        let (data, used) = draw.finish();
        self.objects.top(content_ref, |c| {
            c.stream(content_ref, &compress(&data))
                .filter(Filter::FlateDecode);
        });
        let fonts = self.page_fonts(&used);
        let (page_tree, stamps) = (
            self.page_tree,
            [(frame::FRAME, self.frame), (frame::ROW2, self.row2)],
        );
        self.objects.top(page_ref, |c| {
            let mut page = c.page(page_ref);
            page.parent(page_tree)
                .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .contents(content_ref);
            {
                let mut resources = page.resources();
                resources.x_objects().pairs(stamps);
                let mut dict = resources.fonts();
                for (font, r) in fonts {
                    dict.pair(Name(FONT_NAMES[font as usize]), r);
                }
            }
            page.annotations(annots);
        });
    }

    /// The fonts a page used, with their objects (made on first use).
    fn page_fonts(&mut self, used: &[bool; FONT_COUNT]) -> Vec<(FontId, Ref)> {
        let mut out = Vec::new();
        for font in FontId::ALL.into_iter().filter(|f| used[*f as usize]) {
            let refs = &mut self.refs;
            let made =
                *self.fonts[font as usize].get_or_insert_with(|| FontRefs::new(|| refs.next()));
            out.push((font, made.type0));
        }
        out
    }

    /// "Page N of M", right-aligned in the footer.
    fn page_number(&mut self, text: &mut PageText, page_no: usize) {
        let baseline = FOOTER_BASELINE;
        let label = format!("Page {} of {}", page_no + 1, self.page_refs.len());
        let laid = self.shaper.layout(&label, HEADER_SIZE, FOOTER_PAGE_W, 1);
        let w = laid.lines.first().map_or(0.0, |l| l.width);
        text.show(&laid, HEADER_SIZE, (PAGE_W - MARGIN - w, baseline), w, 0.0);
    }

    /// One lead whose block starts at `y_top`: Row 1 text and lines, the
    /// Row 2 stamp, the fields. Returns the page's new widget annotations.
    fn lead(
        &mut self,
        draw: &mut PageDraw,
        page_ref: Ref,
        y_top: f32,
        &PageLead { row, laid, row1_h }: &PageLead,
    ) -> Vec<Ref> {
        let y_mid = y_top - row1_h;
        let y_bottom = y_mid - ROW2_H;
        let baseline = y_top - ROW1_H + ROW1_BASELINE;
        for (i, cell) in laid.iter().enumerate() {
            let width = ROW1_COLUMNS[i].width - 2.0 * PAD;
            let at = (self.row1_x[i] + PAD, baseline);
            if cell.right_to_left {
                draw.last.push(Deferred {
                    laid: cell.clone(),
                    at,
                    width,
                });
            } else {
                draw.text.show(cell, BODY_SIZE, at, width, ROW1_LINE);
            }
        }
        let missing: Vec<char> = laid
            .iter()
            .flat_map(|l| l.missing.iter().copied())
            .collect();
        if !missing.is_empty() {
            self.missing_glyphs
                .push((row.lead_assignment_code.clone(), missing));
        }
        draw.stamps.save_state();
        draw.stamps.transform([1.0, 0.0, 0.0, 1.0, 0.0, y_bottom]);
        draw.stamps.x_object(frame::ROW2).restore_state();
        let parent = self.refs.next();
        let mut kids = Vec::with_capacity(INPUT_FIELDS.len());
        for (i, field) in INPUT_FIELDS.iter().enumerate() {
            let x = self.row2_x[i];
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
        let grid = &mut draw.grid;
        grid.rect(MARGIN, y_bottom, CONTENT_W, row1_h + ROW2_H);
        grid.move_to(MARGIN, y_mid).line_to(PAGE_W - MARGIN, y_mid);
        frame::vertical_lines(grid, &self.row1_x, y_mid, y_top);
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
        let options = self.conv_options;
        self.objects.packed(widget, |c| {
            let mut f = c.form_field(widget);
            f.parent(parent)
                .partial_name(TextStr(field.name))
                .alternate_name(TextStr(field.tooltip));
            if field.kind == InputKind::YesNo {
                f.field_type(FieldType::Choice)
                    .field_flags(FieldFlags::COMBO);
                f.pair(Name(b"Opt"), options);
                // A value from the start: pdf.js draws no combo box without
                // one (it prints none of them).
                f.pair(Name(b"V"), TextStr(""));
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
                embed::write_subset(&mut self.objects, refs, font, subset)?;
            }
        }
        let script = self.shaper.form_script();
        embed::write_form_font(&mut self.objects, self.form_font, script)?;
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

    /// The page tree, the Conv options and the fields' appearance streams.
    fn shared_objects(&mut self) {
        let options = self.conv_options;
        self.objects.packed(options, |c| {
            c.indirect(options).array().items(CONV_OPTIONS.map(TextStr));
        });
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
        let (catalog, tree, form_font) = (self.catalog, self.page_tree, self.form_font.type0);
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
