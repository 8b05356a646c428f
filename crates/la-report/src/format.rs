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
        w.write_record(columns.iter().map(|c| c.value(row).text()))?;
    }
    finish(w)
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

/// Any serializable rows as CSV (their field names as the header).
pub fn csv_of<T: Serialize>(rows: &[T]) -> Result<String, FormatError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    finish(w)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<String, FormatError> {
    let bytes = w
        .into_inner()
        .map_err(|e| FormatError::CsvText(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| FormatError::CsvText(e.to_string()))
}
