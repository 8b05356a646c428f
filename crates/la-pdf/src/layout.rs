//! Sheet geometry (A4 landscape, points): where the header, the column
//! headings and each lead's two rows go, and how many pages a sheet takes.
//! The renderer draws exactly what this module computes.

/// Page width (A4 landscape).
pub(crate) const PAGE_W: f32 = 842.0;
/// Page height (A4 landscape).
pub const PAGE_H: f32 = 595.0;
/// Margin on every side.
pub(crate) const MARGIN: f32 = 24.0;
/// Height of the header block (two lines).
pub(crate) const HEADER_H: f32 = 34.0;
/// Height of each of the two column-heading rows.
pub(crate) const HEADING_H: f32 = 12.0;
/// Row 1 (read-only) height with one line of text.
pub const ROW1_H: f32 = 14.0;
/// What Row 1 grows by when a name or address wraps onto a second line.
pub(crate) const ROW1_LINE: f32 = 9.5;
/// Lines a name or an address may take before it is shortened.
pub(crate) const WRAP_LINES: usize = 2;
/// Row 2 (inputs) height: a small label over the field.
pub const ROW2_H: f32 = 24.0;
/// Height of a lead's two rows when nothing wraps; leads never split
/// across pages.
pub const LEAD_H: f32 = ROW1_H + ROW2_H;
/// The footer under the body: the legend and "Page N of M".
pub(crate) const FOOTER_H: f32 = 12.0;
/// Footer text size.
pub(crate) const FOOTER_SIZE: f32 = 6.5;
/// Font sizes.
pub(crate) const HEADER_SIZE: f32 = 10.0;
/// Column headings.
pub(crate) const HEADING_SIZE: f32 = 7.0;
/// Row 1 text.
pub(crate) const BODY_SIZE: f32 = 8.0;
/// The small labels inside Row 2 cells.
pub(crate) const LABEL_SIZE: f32 = 5.5;
/// Horizontal padding inside a cell.
pub(crate) const PAD: f32 = 2.5;

/// The one date format on the sheet (`strftime`).
pub(crate) const DATE_FORMAT: &str = "%d-%m-%Y";

/// The one-line legend in every page's footer.
pub(crate) const LEGEND: &str =
    "E = existing customer, N = new customer \u{b7} Conv: Y or N (Yes/No) \u{b7} \
Order Date: DD-MM-YYYY \u{b7} Value, Payment Amt: rupees, e.g. 1250 or \u{20b9}1,250.50 \u{b7} \
Return this PDF filled in (not printed or scanned) as a reply to the email it came with";

/// What a Row 1 column shows of its lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadField {
    RowId,
    Code,
    LeadDate,
    LeadType,
    Mobile,
    CustomerName,
    Address,
    Source,
}

/// One Row 1 column: its heading, width, what it shows, and whether its
/// text wraps onto a second line (docs/decisions.md D24).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row1Column {
    pub heading: &'static str,
    pub width: f32,
    pub shows: LeadField,
    pub wraps: bool,
}

const fn column(heading: &'static str, width: f32, shows: LeadField, wraps: bool) -> Row1Column {
    Row1Column {
        heading,
        width,
        shows,
        wraps,
    }
}

/// Row 1, column by column, left to right. Widths add up to the usable
/// width; customer name and address wrap.
pub(crate) const ROW1_COLUMNS: [Row1Column; 8] = [
    column("RowID", 34.0, LeadField::RowId, false),
    column("Assignment Code", 86.0, LeadField::Code, false),
    column("Lead Date", 56.0, LeadField::LeadDate, false),
    column("Type", 28.0, LeadField::LeadType, false),
    column("Mobile No", 74.0, LeadField::Mobile, false),
    column("Customer Name", 150.0, LeadField::CustomerName, true),
    column("Address", 270.0, LeadField::Address, true),
    column("Source", 96.0, LeadField::Source, false),
];

/// What an input field holds: how it is drawn and how its value is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Y / N (Yes / No when read back): a combo box.
    YesNo,
    /// Free text.
    Text,
    /// A date (DD-MM-YYYY on the sheet).
    Date,
    /// An amount in rupees.
    Amount,
}

/// Which input field: what its value means in `lead_assignment_outcomes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Conv,
    OrderNo,
    OrderDate,
    OrderValue,
    PaymentMode,
    PaymentAmount,
    Remarks,
}

/// One of the seven input fields under each lead (docs/decisions.md D10):
/// the one definition the layout, the renderer and ingestion all use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputField {
    pub id: FieldId,
    /// The heading and the small label in the cell.
    pub label: &'static str,
    /// Column width.
    pub width: f32,
    /// The form field's name under the lead's parent field.
    pub name: &'static str,
    pub kind: InputKind,
    /// The tooltip (`/TU`): the field and its format.
    pub tooltip: &'static str,
}

/// The input fields, in sheet order.
pub(crate) const INPUT_FIELDS: [InputField; 7] = [
    InputField {
        id: FieldId::Conv,
        label: "Conv (Y/N)",
        width: 52.0,
        name: "conv",
        kind: InputKind::YesNo,
        tooltip: "Converted: Y or N (Yes or No)",
    },
    InputField {
        id: FieldId::OrderNo,
        label: "Order No",
        width: 104.0,
        name: "order_no",
        kind: InputKind::Text,
        tooltip: "Order number, as on the order",
    },
    InputField {
        id: FieldId::OrderDate,
        label: "Order Date",
        width: 74.0,
        name: "order_date",
        kind: InputKind::Date,
        tooltip: "Order date: DD-MM-YYYY",
    },
    InputField {
        id: FieldId::OrderValue,
        label: "Value",
        width: 74.0,
        name: "order_value",
        kind: InputKind::Amount,
        tooltip: "Order value in rupees, e.g. 1250 or 1,250.50",
    },
    InputField {
        id: FieldId::PaymentMode,
        label: "Payment Mode",
        width: 100.0,
        name: "payment_mode",
        kind: InputKind::Text,
        tooltip: "Payment mode, e.g. cash, UPI, card",
    },
    InputField {
        id: FieldId::PaymentAmount,
        label: "Payment Amt",
        width: 80.0,
        name: "payment_amount",
        kind: InputKind::Amount,
        tooltip: "Amount paid in rupees, e.g. 1250 or 1,250.50",
    },
    InputField {
        id: FieldId::Remarks,
        label: "Remarks",
        width: 310.0,
        name: "remarks",
        kind: InputKind::Text,
        tooltip: "Remarks: anything the store should know",
    },
];

/// The input fields' names, in sheet order.
pub const FIELD_NAMES: [&str; 7] = {
    let mut names = [""; 7];
    let mut i = 0;
    while i < names.len() {
        names[i] = INPUT_FIELDS[i].name;
        i += 1;
    }
    names
};

/// Header: (x from the left margin, width) of the page-group code (first
/// line) and the batch date (second line), and of the agent and the store,
/// which may take both lines.
pub(crate) const HEADER_GROUP: (f32, f32) = (0.0, 200.0);
/// The agent, first header line.
pub(crate) const HEADER_AGENT: (f32, f32) = (210.0, 260.0);
/// The store, first header line (to the right margin).
pub(crate) const HEADER_STORE: (f32, f32) = (480.0, CONTENT_W - 480.0);
/// The batch date, second header line.
pub(crate) const HEADER_DATE: (f32, f32) = (0.0, 200.0);
/// Widest "Page N of M", right-aligned in the footer.
pub(crate) const FOOTER_PAGE_W: f32 = 80.0;
/// Space between the two header lines.
pub(crate) const HEADER_LINE_GAP: f32 = 6.0;
/// Baseline of heading text above the bottom of its row.
pub(crate) const HEADING_BASELINE: f32 = 3.5;
/// Baseline of Row 1 text above the bottom of the row.
pub(crate) const ROW1_BASELINE: f32 = 4.0;
/// Gap between a Row 2 label's baseline and the top of Row 2.
pub(crate) const LABEL_GAP: f32 = 0.5;
/// Inset of an input widget from its cell's sides and bottom.
pub(crate) const FIELD_INSET: f32 = 1.0;
/// Height of an input widget.
pub(crate) const FIELD_H: f32 = 15.0;

// A widget never covers its cell's label.
const _: () = assert!(FIELD_H + FIELD_INSET < ROW2_H - LABEL_SIZE - LABEL_GAP);

/// Usable width between the margins.
pub(crate) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

/// Top of the first lead block on every page.
pub(crate) const BODY_TOP: f32 = PAGE_H - MARGIN - HEADER_H - 2.0 * HEADING_H;

/// Bottom of the body, above the footer.
pub(crate) const BODY_BOTTOM: f32 = MARGIN + FOOTER_H;
/// Baseline of the footer's legend and page number.
pub(crate) const FOOTER_BASELINE: f32 = MARGIN + 3.0;

/// Leads that fit on one page when nothing wraps.
#[cfg(test)]
pub(crate) const fn leads_per_page() -> usize {
    ((BODY_TOP - BODY_BOTTOM) / LEAD_H) as usize
}

/// Row 1's height for text on `lines` lines.
pub fn row1_height(lines: usize) -> f32 {
    ROW1_H + ROW1_LINE * lines.saturating_sub(1) as f32
}

/// The leads of each page, given each lead's Row 1 height: as many whole
/// leads as fit (at least one); an empty sheet still has one page.
pub fn paginate(row1_heights: &[f32]) -> Vec<std::ops::Range<usize>> {
    let mut pages = Vec::new();
    let (mut start, mut used) = (0, 0.0);
    for (i, h) in row1_heights.iter().enumerate() {
        let lead = h + ROW2_H;
        if i > start && used + lead > BODY_TOP - BODY_BOTTOM {
            pages.push(start..i);
            (start, used) = (i, 0.0);
        }
        used += lead;
    }
    pages.push(start..row1_heights.len());
    pages
}

/// Left x of each column, for any column list.
pub(crate) fn column_xs(widths: impl IntoIterator<Item = f32>) -> Vec<f32> {
    let mut x = MARGIN;
    widths
        .into_iter()
        .map(|w| {
            let left = x;
            x += w;
            left
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fill_the_usable_width() {
        let w1: f32 = ROW1_COLUMNS.iter().map(|c| c.width).sum();
        let w2: f32 = INPUT_FIELDS.iter().map(|f| f.width).sum();
        assert!((w1 - CONTENT_W).abs() < 0.01, "{w1}");
        assert!((w2 - CONTENT_W).abs() < 0.01, "{w2}");
    }

    #[test]
    fn names_and_addresses_wrap() {
        let wrapping: Vec<LeadField> = (ROW1_COLUMNS.iter())
            .filter(|c| c.wraps)
            .map(|c| c.shows)
            .collect();
        assert_eq!(wrapping, [LeadField::CustomerName, LeadField::Address]);
    }

    #[test]
    fn field_names_follow_the_table() {
        assert_eq!(FIELD_NAMES[0], "conv");
        assert_eq!(FIELD_NAMES[6], "remarks");
    }

    #[test]
    fn pages_hold_whole_leads_and_wrapped_ones_take_more_room() {
        let per = leads_per_page();
        assert!(per >= 10);
        let one = vec![ROW1_H; per];
        assert_eq!(paginate(&one), vec![(0..per)]);
        assert_eq!(paginate(&[ROW1_H; 0]), vec![(0..0)]);
        let mut more = one.clone();
        more.push(ROW1_H);
        assert_eq!(paginate(&more), [0..per, per..per + 1]);
        let wrapped = vec![row1_height(2); per];
        let pages = paginate(&wrapped);
        assert!(pages.len() == 2 && pages[0].end < per, "{pages:?}");
        for page in pages {
            let used: f32 = wrapped[page].iter().map(|h| h + ROW2_H).sum();
            assert!(used <= BODY_TOP - BODY_BOTTOM);
        }
    }
}
