//! What every page and every lead repeat, drawn once per sheet as form
//! XObjects that pages invoke: the page frame (header, column headings and
//! their grid, legend) and the Row 2 stamp (the field labels and the row's
//! lines). A page then holds only its leads' own text and lines.

use pdf_writer::{Content, Name};

use crate::draw::PageText;
use crate::fonts::FONT_COUNT;
use crate::layout::*;
use crate::sheet::SheetHeader;
use crate::text::Shaper;

/// Resource names pages invoke the two XObjects by.
pub(crate) const FRAME: Name<'static> = Name(b"Fr");
pub(crate) const ROW2: Name<'static> = Name(b"R2");

/// A form XObject's content and the fonts it uses.
pub(crate) struct Stamp {
    pub content: Vec<u8>,
    pub fonts: [bool; FONT_COUNT],
    /// Width and height of its bounding box.
    pub size: (f32, f32),
}

/// Lines of the grid inside the body.
pub(crate) fn body_lines(grid: &mut Content) {
    grid.set_line_width(0.3).set_stroke_gray(0.45);
}

fn stamp(grid: Content, mut text: PageText, size: (f32, f32)) -> Stamp {
    text.content.end_text();
    let mut content = grid.finish().into_vec();
    content.push(b'\n');
    content.extend_from_slice(&text.content.finish());
    Stamp {
        content,
        fonts: text.fonts,
        size,
    }
}

/// Where a header text goes.
struct HeaderCell {
    /// (x from the left margin, width).
    at: (f32, f32),
    /// The lines it may take.
    lines: usize,
    /// The header line it starts on (0 or 1).
    line: usize,
}

/// Group code, agent, store, batch date.
const HEADER_CELLS: [HeaderCell; 4] = [
    HeaderCell {
        at: HEADER_GROUP,
        lines: 1,
        line: 0,
    },
    HeaderCell {
        at: HEADER_AGENT,
        lines: WRAP_LINES,
        line: 0,
    },
    HeaderCell {
        at: HEADER_STORE,
        lines: WRAP_LINES,
        line: 0,
    },
    HeaderCell {
        at: HEADER_DATE,
        lines: 1,
        line: 1,
    },
];

/// The page frame: the sheet's identity (group code and batch date on the
/// left, agent and store beside them on up to two lines each), the two rows
/// of column headings with their grid, and the legend.
pub(crate) fn page_frame(shaper: &mut Shaper, header: &SheetHeader) -> Stamp {
    let mut text = PageText::new();
    let mut grid = Content::new();
    let line1 = PAGE_H - MARGIN - HEADER_SIZE;
    let line2 = line1 - HEADER_SIZE - HEADER_LINE_GAP;
    for (value, cell) in header_texts(header).iter().zip(HEADER_CELLS) {
        let HeaderCell {
            at: (x, width),
            lines,
            line,
        } = cell;
        let laid = shaper.layout(value, HEADER_SIZE, width, lines);
        let y = if line == 0 { line1 } else { line2 };
        text.show(&laid, HEADER_SIZE, (MARGIN + x, y), width, line1 - line2);
    }
    headings(shaper, &mut text, &mut grid);
    let legend = shaper.layout(LEGEND, FOOTER_SIZE, CONTENT_W - FOOTER_PAGE_W, 1);
    let baseline = FOOTER_BASELINE;
    text.show(&legend, FOOTER_SIZE, (MARGIN, baseline), CONTENT_W, 0.0);
    stamp(grid, text, (PAGE_W, PAGE_H))
}

/// The two rows of column headings and their grid.
fn headings(shaper: &mut Shaper, text: &mut PageText, grid: &mut Content) {
    let top = PAGE_H - MARGIN - HEADER_H;
    let row1_x = column_xs(ROW1_COLUMNS.iter().map(|c| c.width));
    let row2_x = column_xs(INPUT_FIELDS.iter().map(|f| f.width));
    let row1 = ROW1_COLUMNS
        .iter()
        .map(|c| (c.heading, c.width))
        .zip(&row1_x);
    let row2 = INPUT_FIELDS.iter().map(|f| (f.label, f.width)).zip(&row2_x);
    for (((title, width), x), baseline) in row1
        .map(|c| (c, top - HEADING_H + HEADING_BASELINE))
        .chain(row2.map(|c| (c, top - 2.0 * HEADING_H + HEADING_BASELINE)))
    {
        let laid = shaper.layout(title, HEADING_SIZE, width - 2.0 * PAD, 1);
        text.show(&laid, HEADING_SIZE, (x + PAD, baseline), width, 0.0);
    }
    grid.set_line_width(0.6).set_stroke_gray(0.2);
    grid.rect(MARGIN, BODY_TOP, CONTENT_W, 2.0 * HEADING_H)
        .stroke();
    body_lines(grid);
    grid.move_to(MARGIN, BODY_TOP + HEADING_H)
        .line_to(PAGE_W - MARGIN, BODY_TOP + HEADING_H);
    vertical_lines(
        grid,
        &row1_x,
        BODY_TOP + HEADING_H,
        BODY_TOP + 2.0 * HEADING_H,
    );
    vertical_lines(grid, &row2_x, BODY_TOP, BODY_TOP + HEADING_H);
    grid.stroke();
}

/// The Row 2 stamp, drawn at each lead's Row 2 (its origin at the row's
/// bottom left corner of the page): the fields' small labels and the lines
/// between the fields.
pub(crate) fn row2_stamp(shaper: &mut Shaper) -> Stamp {
    let mut text = PageText::new();
    let mut grid = Content::new();
    let xs = column_xs(INPUT_FIELDS.iter().map(|f| f.width));
    for (field, x) in INPUT_FIELDS.iter().zip(&xs) {
        let laid = shaper.layout(field.label, LABEL_SIZE, field.width - 2.0 * PAD, 1);
        let at = (x + PAD, ROW2_H - LABEL_SIZE - LABEL_GAP);
        text.show(&laid, LABEL_SIZE, at, field.width, 0.0);
    }
    body_lines(&mut grid);
    vertical_lines(&mut grid, &xs, 0.0, ROW2_H);
    grid.stroke();
    stamp(grid, text, (PAGE_W, ROW2_H))
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

/// Vertical lines at every column boundary but the first.
pub(crate) fn vertical_lines(grid: &mut Content, xs: &[f32], y0: f32, y1: f32) {
    for x in xs.iter().skip(1) {
        grid.move_to(*x, y0).line_to(*x, y1);
    }
}
