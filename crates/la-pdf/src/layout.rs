//! Sheet geometry (A4 landscape, points): where the header, the column
//! headings and each lead's two rows go, and how many pages a sheet takes.
//! The renderer draws exactly what this module computes.

/// Page width (A4 landscape).
pub const PAGE_W: f32 = 842.0;
/// Page height (A4 landscape).
pub const PAGE_H: f32 = 595.0;
/// Margin on every side.
pub const MARGIN: f32 = 24.0;
/// Height of the header block (two lines).
pub const HEADER_H: f32 = 34.0;
/// Height of each of the two column-heading rows.
pub const HEADING_H: f32 = 12.0;
/// Row 1 (read-only) height.
pub const ROW1_H: f32 = 14.0;
/// Row 2 (inputs) height: a small label over the field.
pub const ROW2_H: f32 = 24.0;
/// Height of a lead's two rows, which never split across pages.
pub const LEAD_H: f32 = ROW1_H + ROW2_H;
/// Font sizes.
pub const HEADER_SIZE: f32 = 10.0;
/// Column headings.
pub const HEADING_SIZE: f32 = 7.0;
/// Row 1 text.
pub const BODY_SIZE: f32 = 8.0;
/// The small labels inside Row 2 cells.
pub const LABEL_SIZE: f32 = 5.5;
/// Horizontal padding inside a cell.
pub const PAD: f32 = 2.5;

/// Row 1 columns: heading and width. Widths add up to the usable width.
pub const ROW1_COLUMNS: [(&str, f32); 8] = [
    ("RowID", 34.0),
    ("Assignment Code", 86.0),
    ("Lead Date", 56.0),
    ("Type", 28.0),
    ("Mobile No", 74.0),
    ("Customer Name", 150.0),
    ("Address", 270.0),
    ("Source", 96.0),
];

/// Row 2 columns: heading, width and form-field name (docs/decisions.md D10).
pub const ROW2_COLUMNS: [(&str, f32, &str); 7] = [
    ("Conv (Y/N)", 52.0, "conv"),
    ("Order No", 104.0, "order_no"),
    ("Order Date", 74.0, "order_date"),
    ("Value", 74.0, "order_value"),
    ("Payment Mode", 100.0, "payment_mode"),
    ("Payment Amt", 80.0, "payment_amount"),
    ("Remarks", 310.0, "remarks"),
];

/// Usable width between the margins.
pub const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

/// Top of the first lead block on every page.
pub const BODY_TOP: f32 = PAGE_H - MARGIN - HEADER_H - 2.0 * HEADING_H;

/// Leads that fit on one page.
pub const fn leads_per_page() -> usize {
    ((BODY_TOP - MARGIN) / LEAD_H) as usize
}

/// Pages for `leads` leads (an empty sheet still has one page).
pub fn page_count(leads: usize) -> usize {
    leads.div_ceil(leads_per_page()).max(1)
}

/// Top edge of the `slot`-th lead block on its page.
pub fn lead_top(slot: usize) -> f32 {
    BODY_TOP - slot as f32 * LEAD_H
}

/// Left x of each column, for any column list.
pub fn column_xs(widths: impl IntoIterator<Item = f32>) -> Vec<f32> {
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
        let w1: f32 = ROW1_COLUMNS.iter().map(|c| c.1).sum();
        let w2: f32 = ROW2_COLUMNS.iter().map(|c| c.1).sum();
        assert!((w1 - CONTENT_W).abs() < 0.01, "{w1}");
        assert!((w2 - CONTENT_W).abs() < 0.01, "{w2}");
    }

    #[test]
    fn pages() {
        let per = leads_per_page();
        assert!(per >= 10);
        assert!(lead_top(per - 1) - LEAD_H >= MARGIN);
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(per), 1);
        assert_eq!(page_count(per + 1), 2);
    }
}
