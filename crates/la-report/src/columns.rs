//! A report's columns: one definition of each (its name, its value in a
//! row, how a table shows it), used by every format.

use crate::queries::{GroupBy, ReportRow};

/// One column of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    StoreCode,
    AgentCode,
    AgentName,
    LeadType,
    BatchDate,
    Assigned,
    WithOutcome,
    Converted,
    ConversionRate,
    OrderValue,
    PaymentAmount,
    Sheets,
    SheetsOutstanding,
}

/// The figures every report has, after its key columns.
const FIGURES: [Column; 8] = [
    Column::Assigned,
    Column::WithOutcome,
    Column::Converted,
    Column::ConversionRate,
    Column::OrderValue,
    Column::PaymentAmount,
    Column::Sheets,
    Column::SheetsOutstanding,
];

/// A cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Count(i64),
    /// A ratio, shown with 4 decimals.
    Rate(f64),
    /// An amount, exact, with 2 decimals.
    Amount(String),
}

impl Value {
    /// As CSV and tables write it.
    pub fn text(&self) -> String {
        match self {
            Value::Text(s) | Value::Amount(s) => s.clone(),
            Value::Count(n) => n.to_string(),
            Value::Rate(r) => format!("{r:.4}"),
        }
    }

    /// As JSON writes it: numbers are numbers.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Value::Text(s) => serde_json::Value::from(s.as_str()),
            Value::Count(n) => serde_json::Value::from(*n),
            Value::Rate(_) | Value::Amount(_) => self
                .text()
                .parse::<serde_json::Number>()
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
        }
    }

    /// Right-aligned in a table.
    pub(crate) fn is_number(&self) -> bool {
        !matches!(self, Value::Text(_))
    }

    /// As people read it (the HTML page): counts and rupees in Indian
    /// grouping, amounts with ₹, rates as percentages with one decimal.
    pub fn shown(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Count(n) => indian(&n.to_string()),
            Value::Rate(r) => format!("{:.1} %", r * 100.0),
            Value::Amount(a) => {
                let (int, frac) = a.split_once('.').unwrap_or((a, "00"));
                format!("₹{}.{frac}", indian(int))
            }
        }
    }
}

/// A whole number's digits in Indian grouping: the last three, then pairs
/// (`12,61,735`).
pub fn indian(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    let chars: Vec<char> = digits.chars().collect();
    let split = chars.len().saturating_sub(3);
    let (head, tail) = chars.split_at(split);
    let mut out = String::from(sign);
    let first = head.len() % 2;
    for (i, c) in head.iter().enumerate() {
        if i > 0 && (i + 2 - first) % 2 == 0 {
            out.push(',');
        }
        out.push(*c);
    }
    if !head.is_empty() {
        out.push(',');
    }
    out.extend(tail);
    out
}

/// What describes a column: its name (the CSV header and JSON key), its
/// table heading and width, and its title on the HTML page.
struct Described {
    name: &'static str,
    heading: &'static str,
    width: usize,
    title: &'static str,
}

impl Described {
    const fn new(
        name: &'static str,
        heading: &'static str,
        width: usize,
        title: &'static str,
    ) -> Described {
        Described {
            name,
            heading,
            width,
            title,
        }
    }
}

impl Column {
    /// The report's columns for a grouping: its keys, then the figures.
    pub fn for_grouping(by: GroupBy) -> Vec<Column> {
        let keys: &[Column] = match by {
            GroupBy::Agent => &[Column::AgentCode, Column::AgentName],
            GroupBy::Store => &[Column::StoreCode],
            GroupBy::StoreAgent => &[Column::StoreCode, Column::AgentCode, Column::AgentName],
            GroupBy::LeadType => &[Column::LeadType],
            GroupBy::Day => &[Column::BatchDate],
        };
        keys.iter().chain(FIGURES.iter()).copied().collect()
    }

    /// The CSV header and JSON key.
    pub fn name(self) -> &'static str {
        self.describe().name
    }

    /// A table's short heading.
    pub fn heading(self) -> &'static str {
        self.describe().heading
    }

    /// A table's column width.
    pub fn width(self) -> usize {
        self.describe().width
    }

    /// Its title on the HTML page.
    pub fn title(self) -> &'static str {
        self.describe().title
    }

    /// A figure (right-aligned), not a key.
    pub fn is_figure(self) -> bool {
        FIGURES.contains(&self)
    }

    fn describe(self) -> Described {
        match self {
            Column::StoreCode => Described::new("store_code", "store", 8, "Store"),
            Column::AgentCode => Described::new("agent_code", "agent", 5, "Agent"),
            Column::AgentName => Described::new("agent_name", "name", 14, "Name"),
            Column::LeadType => Described::new("lead_type", "type", 4, "Type"),
            Column::BatchDate => Described::new("batch_date", "date", 10, "Batch date"),
            Column::Assigned => Described::new("assigned", "assigned", 8, "Assigned"),
            Column::WithOutcome => Described::new("with_outcome", "outcome", 7, "With outcome"),
            Column::Converted => Described::new("converted", "conv", 6, "Converted"),
            Column::ConversionRate => {
                Described::new("conversion_rate", "rate", 6, "Conversion rate")
            }
            Column::OrderValue => Described::new("order_value", "order value", 11, "Order value"),
            Column::PaymentAmount => Described::new("payment_amount", "paid", 11, "Paid"),
            Column::Sheets => Described::new("sheets", "sheets", 6, "Sheets"),
            Column::SheetsOutstanding => {
                Described::new("sheets_outstanding", "out", 4, "Outstanding sheets")
            }
        }
    }

    /// This column's value in `row`.
    pub fn value(self, row: &ReportRow) -> Value {
        let text = |s: &Option<String>| Value::Text(s.clone().unwrap_or_default());
        let amount = |a: &bigdecimal::BigDecimal| Value::Amount(format!("{a:.2}"));
        match self {
            Column::StoreCode => text(&row.store_code),
            Column::AgentCode => text(&row.agent_code),
            Column::AgentName => text(&row.agent_name),
            Column::LeadType => text(&row.lead_type),
            Column::BatchDate => {
                Value::Text(row.batch_date.map(|d| d.to_string()).unwrap_or_default())
            }
            Column::Assigned => Value::Count(row.assigned),
            Column::WithOutcome => Value::Count(row.with_outcome),
            Column::Converted => Value::Count(row.converted),
            Column::ConversionRate => Value::Rate(row.conversion_rate()),
            Column::OrderValue => amount(&row.order_value),
            Column::PaymentAmount => amount(&row.payment_amount),
            Column::Sheets => Value::Count(row.sheets),
            Column::SheetsOutstanding => Value::Count(row.sheets_outstanding),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grouping_fits_100_columns_in_a_table() {
        for by in GroupBy::ALL {
            let cols = Column::for_grouping(by);
            let width: usize = cols.iter().map(|c| c.width() + 1).sum();
            assert!(width <= 100, "{by:?}: {width}");
        }
    }

    #[test]
    fn the_page_shows_rupees_in_indian_grouping_and_rates_as_percentages() {
        for (digits, want) in [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("12345", "12,345"),
            ("123456", "1,23,456"),
            ("1261735", "12,61,735"),
            ("9999999999", "9,99,99,99,999"),
            ("-100000", "-1,00,000"),
        ] {
            assert_eq!(indian(digits), want, "{digits}");
        }
        assert_eq!(Value::Amount("1261735.50".into()).shown(), "₹12,61,735.50");
        assert_eq!(Value::Rate(0.36666).shown(), "36.7 %");
        assert_eq!(Value::Count(100000).shown(), "1,00,000");
    }

    #[test]
    fn rates_and_amounts_are_numbers_in_json() {
        assert_eq!(Value::Rate(1.0 / 3.0).text(), "0.3333");
        assert_eq!(Value::Rate(1.0 / 3.0).json().to_string(), "0.3333");
        assert_eq!(Value::Amount("1250.50".into()).json().to_string(), "1250.5");
        assert_eq!(Value::Count(3).json().to_string(), "3");
    }
}
