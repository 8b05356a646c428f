//! Reports as CSV and JSON: the same columns, names and numbers.

use serde::Serialize;

use crate::columns::Column;
use crate::queries::{GroupBy, ReportRow};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing CSV: {0}")]
    CsvText(String),
    #[error("drawing a chart: {0}")]
    Chart(String),
}

/// CSV with a header row of the column names.
pub fn csv(by: GroupBy, rows: &[ReportRow]) -> Result<String, FormatError> {
    let columns = Column::for_grouping(by);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns.iter().map(|c| c.name()))?;
    for row in rows {
        w.write_record(
            columns
                .iter()
                .map(|c| inert(&c.value(row).text()).into_owned()),
        )?;
    }
    finish(w)
}

/// A cell a spreadsheet will not run: one that begins with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (or their full-width forms) gets a
/// leading `'`, as OWASP recommends against CSV injection
/// (docs/decisions.md D31). The report's own figures never begin so.
pub(crate) fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = |c: char| {
        matches!(
            c,
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}' | '\u{ff20}'
        )
    };
    if cell.starts_with(risky) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A JSON array of objects keyed by the column names.
pub fn json(by: GroupBy, rows: &[ReportRow]) -> serde_json::Value {
    let columns = Column::for_grouping(by);
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| (c.name().to_string(), c.value(row).json()))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect::<Vec<serde_json::Value>>()
        .into()
}

/// Any serializable rows as CSV (their field names as the header), every
/// cell `inert`.
pub fn csv_of<T: Serialize>(rows: &[T]) -> Result<String, FormatError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    let plain = finish(w)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain.as_bytes());
    let mut w = csv::Writer::from_writer(Vec::new());
    for record in r.records() {
        w.write_record(record?.iter().map(|c| inert(c).into_owned()))?;
    }
    finish(w)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, FormatError> {
    let bytes = w
        .into_inner()
        .map_err(|e| FormatError::CsvText(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| FormatError::CsvText(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_run_as_formulas_are_inert() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+91 98200", "'+91 98200"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("＝1+1", "'＝1+1"),
            ("S001", "S001"),
            ("0.3667", "0.3667"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(inert(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn serialized_rows_are_inert_too() {
        #[derive(Serialize)]
        struct Row {
            store_code: &'static str,
            leads: i64,
        }
        let csv = csv_of(&[Row {
            store_code: "=1+1",
            leads: 3,
        }])
        .unwrap();
        assert_eq!(csv, "store_code,leads\n'=1+1,3\n");
    }
}
